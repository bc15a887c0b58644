#include "shard/util/strvec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

void strvec_init(struct strvec *sv)
{
	sv->n = 0;
	sv->alloc = 0;
	sv->v = NULL;
	ALLOC_GROW(sv->v, 1, sv->alloc);
	sv->v[0] = NULL;
}

static void push_owned(struct strvec *sv, char *s)
{
	ALLOC_GROW(sv->v, sv->n + 2, sv->alloc);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	push_owned(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	push_owned(sv, strbuf_detach(&sb, NULL));
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; v && *v; v++)
		strvec_push(sv, *v);
}

static ssize_t find_env(const struct strvec *sv, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < sv->n; i++)
		if (!strncmp(sv->v[i], name, len) && sv->v[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

void strvec_setenv(struct strvec *sv, const char *name, const char *value)
{
	ssize_t i = find_env(sv, name);
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s=%s", name, value);
	if (i < 0) {
		push_owned(sv, strbuf_detach(&sb, NULL));
		return;
	}
	free(sv->v[i]);
	sv->v[i] = strbuf_detach(&sb, NULL);
}

const char *strvec_getenv(const struct strvec *sv, const char *name)
{
	ssize_t i = find_env(sv, name);

	return i < 0 ? NULL : sv->v[i] + strlen(name) + 1;
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strvec_init(sv);
}

void strvec_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}
