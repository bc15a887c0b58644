#include "shard/util/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "shard/util/quote.h"
#include "shard/util/banned.h"

int shard_error_set(struct shard_error *err, int code, const char *fmt, ...)
{
	char raw[sizeof(err->msg)];
	va_list ap;

	if (!err || err->code)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* names from input in it are shown, never obeyed (quote.h) */
	quote_into(err->msg, sizeof(err->msg), raw);
	return code;
}

void shard_error_clear(struct shard_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
