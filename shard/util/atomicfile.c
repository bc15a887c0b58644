#include "shard/util/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#define MAX_LINKS 40  /* links followed, as Linux's own limit */
#define SUFFIX_LEN 11 /* ".tmp-" and six letters */
#define TRIES 100     /* temporary names tried before EEXIST */

#define PROC_LINK (-2) /* see descriptor() */

/*
 * What link p is: the number N when it is an entry of this process's
 * descriptor directory (compared by inode, not by name: /dev/fd/N and
 * /dev/stdout lead there too); PROC_LINK for another link of procfs
 * (another process's descriptor, /proc/thread-self/fd/N), which only
 * the kernel can follow, as it opens it; -1 for an ordinary link.
 */
static int descriptor(const char *p)
{
	const char *base = strrchr(p, '/');
	struct stat link, dir, self;
	char *d;
	long n;
	int ours;

	if (stat("/proc/self/fd", &self) < 0 || lstat(p, &link) < 0 ||
	    link.st_dev != self.st_dev)
		return -1;
	if (!base || shard_parse_long(base + 1, 0, INT_MAX, &n) < 0)
		return PROC_LINK;
	d = xstrndup(p, base == p ? 1 : (size_t)(base - p));
	ours = !stat(d, &dir) && dir.st_dev == self.st_dev &&
	       dir.st_ino == self.st_ino;
	free(d);
	return ours ? (int)n : PROC_LINK;
}

/* The text of link p into out; -1 with errno if it cannot be read. */
static int read_link(const char *p, struct strbuf *out)
{
	for (size_t size = 256;; size *= 2) {
		char *buf = xmalloc(size);
		ssize_t n = readlink(p, buf, size);
		int e = errno;

		if (n >= 0 && (size_t)n < size) {
			strbuf_reset(out);
			strbuf_add(out, buf, (size_t)n);
		}
		free(buf);
		errno = e;
		if (n < 0 || (size_t)n < size)
			return n < 0 ? -1 : 0;
	}
}

/*
 * Follow path's symbolic links to what they name: *fdnum >= 0 when that
 * is one of our descriptors; PROC_LINK when dest is a link of procfs;
 * else (-1) dest is a path that is no link (or does not exist: it will
 * be created). A relative link is read from its
 * own directory, as the kernel does. -1 with errno on a loop or an
 * unreadable link; other errors are left to the open that follows.
 */
static int resolve(const char *path, struct strbuf *dest, int *fdnum)
{
	struct strbuf link = STRBUF_INIT;
	struct stat st;
	int r = 0;

	*fdnum = -1;
	strbuf_addstr(dest, path);
	for (int n = 0;; n++) {
		const char *slash;

		if (lstat(dest->buf, &st) < 0 || !S_ISLNK(st.st_mode))
			break;
		if ((*fdnum = descriptor(dest->buf)) != -1)
			break;
		if (n == MAX_LINKS) {
			errno = ELOOP;
			r = -1;
			break;
		}
		if ((r = read_link(dest->buf, &link)) < 0)
			break;
		slash = strrchr(dest->buf, '/');
		if (link.buf[0] == '/' || !slash)
			strbuf_reset(dest);
		else
			strbuf_setlen(dest, (size_t)(slash + 1 - dest->buf));
		strbuf_add(dest, link.buf, link.len);
	}
	strbuf_release(&link);
	return r;
}

/* Six letters for a temporary name: varied, not secret (O_EXCL guards). */
static void add_letters(struct strbuf *sb, uint64_t seed)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint64_t x = seed + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	for (int i = 0; i < 6; i++, x /= sizeof(abc) - 1)
		strbuf_addch(sb, abc[x % (sizeof(abc) - 1)]);
}

/*
 * Create a new temporary file beside dest, named after it. mkstemp is
 * not used: it creates 0600, and the umask cannot be read without
 * changing it under other threads; open() applies it (and a default
 * ACL) itself.
 */
static int create_tmp(const char *dest, mode_t mode, struct strbuf *tmp)
{
	const char *slash = strrchr(dest, '/');
	size_t dir = slash ? (size_t)(slash + 1 - dest) : 0;
	size_t name = strlen(dest + dir);
	struct timespec now;
	uint64_t seed;

	if (name > NAME_MAX - SUFFIX_LEN)
		name = NAME_MAX - SUFFIX_LEN;
	while (name && ((unsigned char)dest[dir + name] & 0xc0) == 0x80)
		name--; /* not inside a UTF-8 character */
	/* not the context's clock: the name only has to differ between
	 * writers, and never reaches the output */
	clock_gettime(CLOCK_REALTIME, &now);
	seed = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^
	       ((uint64_t)getpid() << 40);
	for (int i = 0; i < TRIES; i++) {
		int fd;

		strbuf_reset(tmp);
		strbuf_add(tmp, dest, dir + name);
		strbuf_addstr(tmp, ".tmp-");
		add_letters(tmp, seed + (uint64_t)i);
		fd = open(tmp->buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * Give the temporary file the target's owner and mode. Failures are
 * ignored, as cp does: only root may give a file away, and the set-id
 * bits are then dropped rather than granted to a new owner.
 */
static void keep_owner_mode(int fd, const struct stat *target)
{
	mode_t mode = target->st_mode & 07777;
	struct stat st;

	if (!fstat(fd, &st) &&
	    (st.st_uid != target->st_uid || st.st_gid != target->st_gid) &&
	    fchown(fd, target->st_uid, target->st_gid) < 0)
		mode &= 0777;
	fchmod(fd, mode);
}

/* Write to descriptor fdnum if >= 0, else to what dest is, as it stands. */
static int open_direct(struct atomicfile *a, const char *dest, int fdnum)
{
	int fd;

	if (fdnum >= 0)
		fd = fcntl(fdnum, F_DUPFD_CLOEXEC, 0);
	else
		fd = open(dest, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	a->own_f = 1;
	return 0;
}

/* target: dest's status, NULL when there is no such file yet */
static int open_tmp(struct atomicfile *a, const char *dest,
		    const struct stat *target)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd = create_tmp(dest, target ? 0600 : 0666, &tmp);

	if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0) {
			close(fd);
			unlink(tmp.buf);
		}
		strbuf_release(&tmp);
		errno = e;
		return -1;
	}
	if (target)
		keep_owner_mode(fd, target);
	a->own_f = 1;
	a->tmp = strbuf_detach(&tmp, NULL);
	a->dest = xstrdup(dest);
	return 0;
}

int atomicfile_open(struct atomicfile *a, const char *path, FILE *std_out,
		    struct shard_error *err)
{
	struct strbuf dest = STRBUF_INIT;
	struct stat st;
	int fdnum, exists, r;

	memset(a, 0, sizeof(*a));
	if (!strcmp(path, "-")) {
		a->f = std_out;
		return 0;
	}
	if (std_out)
		fflush(std_out); /* first, if N is the same descriptor */
	r = resolve(path, &dest, &fdnum);
	exists = !r && fdnum == -1 && !stat(dest.buf, &st);
	if (!r && (fdnum != -1 || (exists && !S_ISREG(st.st_mode))))
		r = open_direct(a, dest.buf, fdnum);
	else if (!r)
		r = open_tmp(a, dest.buf, exists ? &st : NULL);
	strbuf_release(&dest);
	if (r < 0)
		return shard_error_set(err, SHARD_EENV, "%s: cannot write: %s",
				       path, strerror(errno));
	a->path = xstrdup(path);
	return 0;
}

/* Flush and close f (if ours); 0, or -1 with the first errno. */
static int finish_f(struct atomicfile *a)
{
	int r = 0, e = 0;

	if (a->f && fflush(a->f) == EOF) {
		r = -1;
		e = errno;
	}
	if (a->f && a->tmp && !r && fsync(fileno(a->f)) < 0) {
		r = -1;
		e = errno;
	}
	if (a->own_f && fclose(a->f) == EOF && !r) {
		r = -1;
		e = errno;
	}
	a->f = NULL;
	a->own_f = 0;
	errno = e;
	return r;
}

int atomicfile_commit(struct atomicfile *a, struct shard_error *err)
{
	int r = finish_f(a);

	if (!r && a->tmp && rename(a->tmp, a->dest) < 0)
		r = -1;
	if (r < 0 && !a->path)
		shard_error_set(err, SHARD_EENV, "standard output: %s",
				strerror(errno));
	else if (r < 0)
		shard_error_set(err, SHARD_EENV, "%s: cannot write: %s",
				a->path, strerror(errno));
	if (r < 0 && a->tmp)
		unlink(a->tmp);
	free(a->path);
	free(a->dest);
	free(a->tmp);
	memset(a, 0, sizeof(*a));
	return r < 0 ? SHARD_EENV : 0;
}

void atomicfile_abort(struct atomicfile *a)
{
	if (a->own_f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	free(a->path);
	free(a->dest);
	free(a->tmp);
	memset(a, 0, sizeof(*a));
}
