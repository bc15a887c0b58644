/*
 * Choosing a history backend from its location.
 */
#include "shard/store/store.h"

#include <string.h>

#include "shard/util/banned.h"

int store_open(const char *location, const struct store_options *opt,
	       struct store **out, struct shard_error *err)
{
	*out = NULL;
	if (!strncmp(location, "postgres://", 11) ||
	    !strncmp(location, "postgresql://", 13))
		return store_pg_open(location, opt, out, err);
	if (!strncmp(location, "http://", 7) ||
	    !strncmp(location, "https://", 8))
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: an HTTP URL is not a history "
				       "location; use 'shard history pull'",
				       location);
	return store_sqlite_open(location, opt, out, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}
