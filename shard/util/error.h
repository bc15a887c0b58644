/*
 * Errors: functions return 0 or a negative code and fill a caller-provided
 * struct shard_error with one line of context. The message is set once,
 * where the failure happens, and passed up unchanged (libgit2's way).
 */
#ifndef SHARD_ERROR_H
#define SHARD_ERROR_H

enum shard_code {
	SHARD_OK = 0,
	SHARD_EFAIL = -1,  /* a test failed, or the work found a failure */
	SHARD_EINPUT = -2, /* invalid input or usage: exit 2 */
	SHARD_EENV = -3,   /* I/O, database, network, process: exit 3 */
};

struct shard_error {
	int code;
	char msg[1024];
};

#define SHARD_ERROR_INIT \
	{ \
		0, \
		{ \
			0 \
		} \
	}

/*
 * Record code and message in err unless one is already recorded (the first
 * failure wins); returns code so that callers can `return shard_error_set()`.
 * err may be NULL. The message is one line: control bytes and the like in
 * it (names from input) are escaped (quote.h).
 */
int shard_error_set(struct shard_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void shard_error_clear(struct shard_error *err);

#endif
