#include "shard/util/patchout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/util.h"
#include "shard/util/banned.h"

#define PATCHOUT_BUF (1u << 20)

void patchout_init(struct patchout *p, int fd, const char *path,
		   unsigned long long start)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->path = path;
	p->cap = PATCHOUT_BUF;
	p->buf = xmalloc(p->cap);
	p->off = start;
}

void patchout_release(struct patchout *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = 0;
}

/* pwrite() all of data at file offset at. */
static int write_at(struct patchout *p, const char *data, size_t n,
		    unsigned long long at, struct shard_error *err)
{
	while (n) {
		ssize_t w = pwrite(p->fd, data, n, (off_t)at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return shard_error_set(err, SHARD_EENV,
					       "%s: write error: %s", p->path,
					       w < 0 ? strerror(errno)
						     : "nothing written");
		data += w;
		n -= (size_t)w;
		at += (unsigned long long)w;
	}
	return 0;
}

int patchout_flush(struct patchout *p, struct shard_error *err)
{
	if (p->len && write_at(p, p->buf, p->len, p->off, err))
		return err->code;
	p->off += p->len;
	p->len = 0;
	return 0;
}

int patchout_put(struct patchout *p, const void *data, size_t n,
		 struct shard_error *err)
{
	if (p->len + n > p->cap && patchout_flush(p, err))
		return err->code;
	if (n >= p->cap) {
		if (write_at(p, data, n, p->off, err))
			return err->code;
		p->off += n;
		return 0;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return 0;
}

/* Overwrite bytes already in the file, in pieces when they are blanks. */
static int patch_file(struct patchout *p, unsigned long long at,
		      const char *data, int c, size_t n,
		      struct shard_error *err)
{
	char fill[4096];

	if (data)
		return write_at(p, data, n, at, err);
	memset(fill, c, sizeof(fill));
	while (n) {
		size_t k = n < sizeof(fill) ? n : sizeof(fill);

		if (write_at(p, fill, k, at, err))
			return err->code;
		at += k;
		n -= k;
	}
	return 0;
}

int patchout_patch(struct patchout *p, unsigned long long at, const void *data,
		   int c, size_t n, struct shard_error *err)
{
	size_t in_file = 0;

	if (at < p->off) {
		in_file = p->off - at < n ? (size_t)(p->off - at) : n;
		if (patch_file(p, at, data, c, in_file, err))
			return err->code;
	}
	if (n > in_file) {
		char *dst = p->buf + (at + in_file - p->off);

		if (data)
			memcpy(dst, (const char *)data + in_file, n - in_file);
		else
			memset(dst, c, n - in_file);
	}
	return 0;
}
