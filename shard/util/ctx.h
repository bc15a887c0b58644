/*
 * What cmd/ hands the core: the environment as an envp snapshot (so that
 * CI detection is a pure function of it), a clock, a warning sink and a
 * progress callback. The core never reads the process environment, prints
 * or exits on its own.
 */
#ifndef SHARD_CTX_H
#define SHARD_CTX_H

#include <stdint.h>

struct shard_ctx {
	char *const *envp;           /* NULL-terminated "NAME=value" */
	double (*clock)(void *data); /* seconds since the epoch */
	void (*warn)(void *data, const char *msg);
	void (*progress)(void *data, const char *what, uint64_t done,
			 uint64_t total);
	void *data; /* passed to the callbacks */
};

/* The value of NAME in ctx->envp, or NULL (borrowed). */
const char *shard_getenv(const struct shard_ctx *ctx, const char *name);
/*
 * Format a warning, one line with what quote.h escapes escaped, and hand
 * it to ctx->warn (dropped if NULL).
 */
void shard_warn(const struct shard_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void shard_progress(const struct shard_ctx *ctx, const char *what,
		    uint64_t done, uint64_t total);
double shard_now(const struct shard_ctx *ctx);

#endif
