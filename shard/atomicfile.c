#include "atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"
#include "banned.h"

int atomicfile_open(struct atomicfile *a, const char *path, FILE *std_out,
		    struct shard_error *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd;

	memset(a, 0, sizeof(*a));
	if (!strcmp(path, "-")) {
		a->f = std_out;
		return 0;
	}
	strbuf_addf(&tmp, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0) {
			close(fd);
			unlink(tmp.buf);
		}
		strbuf_release(&tmp);
		return shard_error_set(err, SHARD_EENV, "%s: cannot write: %s",
				       path, strerror(e));
	}
	fchmod(fd, 0644);
	a->tmp = strbuf_detach(&tmp, NULL);
	a->path = xstrdup(path);
	return 0;
}

int atomicfile_commit(struct atomicfile *a, struct shard_error *err)
{
	int bad;

	if (!a->tmp) {
		bad = a->f && fflush(a->f) == EOF;
		a->f = NULL;
		return bad ? shard_error_set(err, SHARD_EENV,
					     "standard output: %s",
					     strerror(errno))
			   : 0;
	}
	bad = fflush(a->f) == EOF;
	bad |= fclose(a->f) == EOF;
	a->f = NULL;
	if (bad || rename(a->tmp, a->path) < 0) {
		shard_error_set(err, SHARD_EENV, "%s: cannot write: %s",
				a->path, strerror(errno));
		atomicfile_abort(a);
		return SHARD_EENV;
	}
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	return 0;
}

void atomicfile_abort(struct atomicfile *a)
{
	if (a->tmp) {
		if (a->f)
			fclose(a->f);
		unlink(a->tmp);
	}
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof(*a));
}
