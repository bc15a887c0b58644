/*
 * A NULL-terminated vector of owned strings (git's strvec), for argv and
 * envp: v[n] is always NULL, so v can be passed to execvp as is.
 */
#ifndef SHARD_STRVEC_H
#define SHARD_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v; /* never NULL after strvec_init */
	size_t n;
	size_t alloc;
};

void strvec_init(struct strvec *sv);
/* Append a copy of s; pushf formats it. */
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append copies of every string of the NULL-terminated v. */
void strvec_pushv(struct strvec *sv, const char *const *v);
/*
 * Set the environment entry "NAME=value" in sv: replaces an entry of the
 * same NAME, else appends.
 */
void strvec_setenv(struct strvec *sv, const char *name, const char *value);
/* The value of NAME among "NAME=value" entries, or NULL (borrowed). */
const char *strvec_getenv(const struct strvec *sv, const char *name);
/* Free every string; sv is empty and reusable. */
void strvec_clear(struct strvec *sv);
/* Free everything; sv needs strvec_init before another use. */
void strvec_release(struct strvec *sv);

#endif
