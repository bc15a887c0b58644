/*
 * The ETag a pull or push saw, in "<history>.etag" beside the history.
 */
#include "shard/store/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/atomicfile.h"
#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

static char *etag_path(const char *history)
{
	struct strbuf p = STRBUF_INIT;

	strbuf_addf(&p, "%s.etag", history);
	return strbuf_detach(&p, NULL);
}

/* An ETag goes into a request header: printable ASCII, no CR or LF. */
static int etag_valid(const char *s, size_t len)
{
	if (!len || len > 250)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int history_etag_read(const char *history, char **etag, struct shard_error *err)
{
	char *path = etag_path(history), buf[512];
	int fd = open(path, O_RDONLY), r = 0;
	ssize_t n = 0;

	*etag = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
					    strerror(errno));
		free(path);
		return r;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
				    strerror(errno));
	else if (!etag_valid(buf, (size_t)n))
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: not an ETag; remove the file to push "
				    "as if for the first time",
				    path);
	else
		*etag = xstrndup(buf, (size_t)n);
	free(path);
	return r;
}

int history_etag_write(const char *history, const char *etag,
		       struct shard_error *err)
{
	char *path = etag_path(history);
	struct atomicfile a = { 0 };
	int r = 0;

	if (!etag || !*etag) {
		if (unlink(path) < 0 && errno != ENOENT)
			r = shard_error_set(err, SHARD_EENV, "%s: %s", path,
					    strerror(errno));
	} else if (!etag_valid(etag, strlen(etag))) {
		r = shard_error_set(err, SHARD_EINPUT,
				    "%s: the server sent an ETag that cannot "
				    "be sent back",
				    path);
	} else if (!(r = atomicfile_open(&a, path, NULL, err))) {
		fprintf(a.f, "%s\n", etag);
		if ((r = atomicfile_commit(&a, err)))
			atomicfile_abort(&a);
	}
	free(path);
	return r;
}
