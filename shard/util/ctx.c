#include "shard/util/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shard/util/quote.h"
#include "shard/util/banned.h"

const char *shard_getenv(const struct shard_ctx *ctx, const char *name)
{
	size_t n = strlen(name);

	if (!ctx || !ctx->envp)
		return NULL;
	for (char *const *e = ctx->envp; *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

void shard_warn(const struct shard_ctx *ctx, const char *fmt, ...)
{
	char raw[2048], msg[2048];
	va_list ap;

	if (!ctx || !ctx->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	quote_into(msg, sizeof(msg), raw);
	ctx->warn(ctx->data, msg);
}

void shard_progress(const struct shard_ctx *ctx, const char *what,
		    uint64_t done, uint64_t total)
{
	if (ctx && ctx->progress)
		ctx->progress(ctx->data, what, done, total);
}

double shard_now(const struct shard_ctx *ctx)
{
	return ctx && ctx->clock ? ctx->clock(ctx->data) : 0.0;
}
