#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "banned.h"

int shard_error_set(struct shard_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void shard_error_clear(struct shard_error *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
