/*
 * A fixed list of names, compared up to the '=': the scrub runs in a
 * forked child, where only async-signal-safe work belongs.
 */
#include "shard/exec/childenv.h"

#include <stddef.h>
#include <string.h>

#include "shard/util/banned.h"

static const char *const private_names[] = {
	"SHARD_HISTORY",
	"SHARD_HISTORY_TOKEN",
};

int childenv_private(const char *entry)
{
	for (size_t i = 0; i < sizeof(private_names) / sizeof(*private_names);
	     i++) {
		size_t n = strlen(private_names[i]);

		if (!strncmp(entry, private_names[i], n) && entry[n] == '=')
			return 1;
	}
	return 0;
}

void childenv_scrub(char **envp)
{
	char **to = envp;

	for (char **e = envp; e && *e; e++)
		if (!childenv_private(*e))
			*to++ = *e;
	if (to)
		*to = NULL;
}
