#include "shard/junit/reportlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/atomicfile.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
#define OPEN "<?shard-pad"
#define CLOSE "?>"
#define TAIL "\n</testsuites>\n"
#define LEN(s) (sizeof(s) - 1)
#define RESERVE \
	3 /* a space (the instruction's name
				     must be followed by one), then
				     where CLOSE goes in step 2 */
#define MIN_PAD (64 * 1024)

static int write_error(const struct reportlog *l, struct shard_error *err)
{
	return shard_error_set(err, SHARD_EENV, "%s: write error: %s", l->path,
			       strerror(errno ? errno : EIO));
}

static int put(struct reportlog *l, unsigned long long at, const char *buf,
	       size_t len, struct shard_error *err)
{
	if (l->before_write)
		l->before_write(l->hook_data, at, buf, len);
	while (len) {
		ssize_t n = pwrite(l->fd, buf, len, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return write_error(l, err);
		buf += n;
		len -= (size_t)n;
		at += (unsigned long long)n;
	}
	return 0;
}

static void put_spaces(FILE *f, size_t n)
{
	char sp[4096];

	memset(sp, ' ', sizeof(sp));
	for (; n > sizeof(sp); n -= sizeof(sp))
		fwrite(sp, 1, sizeof(sp), f);
	fwrite(sp, 1, n, f);
}

/* The suites held so far, [HEAD, pad), copied from the file to f. */
static int copy_suites(struct reportlog *l, FILE *f, struct shard_error *err)
{
	char buf[65536];
	unsigned long long at = LEN(HEAD);

	while (l->fd >= 0 && at < l->pad) {
		size_t want = l->pad - at < sizeof(buf) ? (size_t)(l->pad - at)
							: sizeof(buf);
		ssize_t n = pread(l->fd, buf, want, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return shard_error_set(err, SHARD_EENV,
					       "%s: read "
					       "error: %s",
					       l->path,
					       n < 0 ? strerror(errno)
						     : "file shrank");
		fwrite(buf, 1, (size_t)n, f);
		at += (unsigned long long)n;
	}
	return 0;
}

/*
 * Write the file whole: what it holds, then xml (len bytes, may be 0),
 * then a pad of pad spaces (none when pad is 0: no instruction at all).
 */
static int rewrite(struct reportlog *l, const char *xml, size_t len, size_t pad,
		   struct shard_error *err)
{
	struct atomicfile out;
	unsigned long long suites;
	int fd;

	if (atomicfile_open(&out, l->path, NULL, err))
		return err->code;
	fputs(HEAD, out.f);
	if (copy_suites(l, out.f, err)) {
		atomicfile_abort(&out);
		return err->code;
	}
	if (len) {
		fwrite(xml, 1, len, out.f);
		fputc('\n', out.f);
	}
	suites = (unsigned long long)ftello(out.f);
	if (pad) {
		fputs(OPEN, out.f);
		put_spaces(out.f, pad);
		fputs(CLOSE, out.f);
	}
	fputs(TAIL, out.f);
	if (atomicfile_commit(&out, err))
		return err->code;
	fd = open(l->path, O_RDWR);
	if (fd < 0)
		return shard_error_set(err, SHARD_EENV, "%s: cannot open: %s",
				       l->path, strerror(errno));
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	l->pad = suites;
	l->end = suites + LEN(OPEN) + pad;
	l->broken = 0;
	l->rewrites++;
	return 0;
}

int reportlog_create(struct reportlog *l, const char *path,
		     struct shard_error *err)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->path = xstrdup(path);
	if (!strcmp(path, "-"))
		return shard_error_set(err, SHARD_EINPUT,
				       "a report kept batch "
				       "by batch needs a file, not standard "
				       "output");
	l->pad = LEN(HEAD);
	return rewrite(l, NULL, 0, MIN_PAD, err);
}

static int holds_close(const char *xml, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (xml[i] == '?' && xml[i + 1] == '>')
			return 1;
	return 0;
}

int reportlog_append(struct reportlog *l, const char *xml, size_t len,
		     struct shard_error *err)
{
	unsigned long long c = l->pad + LEN(OPEN), at = c + RESERVE;
	char blank[LEN(OPEN) + RESERVE];

	/* room: reserve, xml, newline, OPEN and at least one space; a pad
	 * that a failed write left holding more than spaces is replaced */
	if (l->broken || holds_close(xml, len) ||
	    l->end - c < RESERVE + len + 1 + LEN(OPEN) + 1) {
		unsigned long long held = l->pad - LEN(HEAD) + len + 1;

		return rewrite(l, xml, len,
			       held > MIN_PAD ? (size_t)held : MIN_PAD, err);
	}
	/* 1. inside the instruction: text */
	l->broken = 1;
	if (put(l, at, xml, len, err) ||
	    put(l, at + len, "\n" OPEN, 1 + LEN(OPEN), err))
		return err->code;
	/* 2. the instruction ends before the suite, another opens after */
	if (put(l, c + 1, CLOSE, LEN(CLOSE), err))
		return err->code;
	l->pad = at + len + 1;
	l->broken = 0;
	/* 3. the empty instruction left behind goes (were this to fail,
	 * what is left of it is text between suites) */
	memset(blank, ' ', sizeof(blank));
	return put(l, c - LEN(OPEN), blank, sizeof(blank), err);
}

int reportlog_finish(struct reportlog *l, struct shard_error *err)
{
	return rewrite(l, NULL, 0, 0, err);
}

void reportlog_release(struct reportlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
