/*
 * Tests for output files (shard/util/atomicfile.c), one kind of target each:
 * regular and new files (whole or not at all, mode, owner, umask, a
 * 255-byte name), symbolic links, FIFOs, device nodes, descriptors,
 * sockets and standard output. Device nodes and links are made inside
 * the test's own directory, never in the system's /dev: run as root, the
 * code before these tests replaced what -o named there.
 */
#define _XOPEN_SOURCE 700 /* mknod */
#include "shard/util/atomicfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

#define PATH_BUF 1024

struct fixture {
	char dir[64];
	mode_t umask;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-atomicfile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->umask = umask(022);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	umask(f->umask);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* f->dir/name into buf (PATH_BUF bytes); returns buf. */
static char *at(char *buf, const struct fixture *f, const char *name)
{
	int n = snprintf(buf, PATH_BUF, "%s/%s", f->dir, name);

	assert_true(n > 0 && n < PATH_BUF);
	return buf;
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole of fd (or of path when fd < 0) into out. */
static void slurp(const char *path, int fd, struct strbuf *out)
{
	char buf[4096];
	int own = fd < 0;
	ssize_t n;

	if (own)
		fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	strbuf_reset(out);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	if (own)
		close(fd);
}

static void assert_holds(const char *path, const char *want)
{
	struct strbuf got = STRBUF_INIT;

	slurp(path, -1, &got);
	assert_string_equal(got.buf, want);
	strbuf_release(&got);
}

/* Entries of dir other than . and ..; the first one's name in *first. */
static size_t entries(const char *dir, struct strbuf *first)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!n++ && first) {
			strbuf_reset(first);
			strbuf_addstr(first, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static void write_whole(const char *path, const char *text)
{
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;

	assert_int_equal(atomicfile_open(&a, path, NULL, &e), 0);
	fputs(text, a.f);
	assert_int_equal(atomicfile_commit(&a, &e), 0);
	assert_null(a.f);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

static void a_regular_file_is_replaced_whole_and_keeps_its_mode(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF];

	put_file(at(p, f, "out.json"), "old", 0640);
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), 0);
	fputs("new", a.f);
	/* the target is untouched until commit; the runner never sees it */
	assert_holds(p, "old");
	assert_int_equal(entries(f->dir, NULL), 2);
	assert_true(fcntl(fileno(a.f), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(atomicfile_commit(&a, &e), 0);
	assert_holds(p, "new");
	assert_int_equal(mode_of(p), S_IFREG | 0640);
	assert_int_equal(entries(f->dir, NULL), 1);
}

static void root_gives_the_file_back_to_its_owner(void **state)
{
	struct fixture *f = *state;
	char p[PATH_BUF];
	struct stat st;

	if (geteuid() != 0)
		skip();
	put_file(at(p, f, "owned"), "old", 04755);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(chmod(p, 04755), 0); /* chown cleared set-id */
	write_whole(p, "new");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode, S_IFREG | 04755);
}

static void a_new_file_gets_the_umask(void **state)
{
	struct fixture *f = *state;
	char p[PATH_BUF];

	umask(027);
	write_whole(at(p, f, "a"), "x");
	assert_int_equal(mode_of(p), S_IFREG | 0640);
	umask(002);
	write_whole(at(p, f, "b"), "x");
	assert_int_equal(mode_of(p), S_IFREG | 0664);
}

static void abort_leaves_the_target_and_no_temporary(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF];

	put_file(at(p, f, "kept"), "old", 0644);
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), 0);
	fputs("half", a.f);
	atomicfile_abort(&a);
	assert_null(a.f);
	assert_holds(p, "old");
	assert_int_equal(entries(f->dir, NULL), 1);
	atomicfile_abort(&a); /* twice: a no-op */
}

static void a_failed_rename_leaves_no_temporary(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF], q[PATH_BUF], want[2 * PATH_BUF];

	at(p, f, "became-a-dir");
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), 0);
	fputs("x", a.f);
	assert_int_equal(mkdir(p, 0755), 0);
	put_file(at(q, f, "became-a-dir/inside"), "kept", 0644);
	assert_int_equal(atomicfile_commit(&a, &e), SHARD_EENV);
	assert_null(a.f);
	snprintf(want, sizeof(want), "%s: cannot write: %s", p,
		 strerror(EISDIR));
	assert_string_equal(e.msg, want);
	assert_holds(q, "kept");
	assert_int_equal(entries(f->dir, NULL), 1);
}

/* 255 bytes: "a" and 127 two-byte characters. */
static void a_name_of_name_max_bytes_works(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct strbuf name = STRBUF_INIT, tmp = STRBUF_INIT;
	struct atomicfile a;
	char p[PATH_BUF];
	const char *cut;

	strbuf_addch(&name, 'a');
	for (int i = 0; i < 127; i++)
		strbuf_addstr(&name, "\xc3\xa9");
	assert_int_equal(name.len, 255);
	assert_int_equal(atomicfile_open(&a, at(p, f, name.buf), NULL, &e), 0);
	assert_int_equal(entries(f->dir, &tmp), 1);
	/* the temporary: a prefix of the name, cut between characters */
	assert_true(tmp.len <= NAME_MAX);
	cut = strstr(tmp.buf, ".tmp-");
	assert_non_null(cut);
	assert_int_equal(strlen(cut), 11);
	assert_int_equal((cut - tmp.buf) % 2, 1);
	assert_memory_equal(tmp.buf, name.buf, (size_t)(cut - tmp.buf));
	fputs("x", a.f);
	assert_int_equal(atomicfile_commit(&a, &e), 0);
	assert_holds(p, "x");
	assert_int_equal(entries(f->dir, &tmp), 1);
	assert_string_equal(tmp.buf, name.buf);
	strbuf_release(&name);
	strbuf_release(&tmp);
}

static void a_symlink_is_written_through_and_stays_a_link(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char d1[PATH_BUF], d2[PATH_BUF], link[PATH_BUF], target[PATH_BUF];
	char text[64];
	ssize_t n;

	assert_int_equal(mkdir(at(d1, f, "d1"), 0755), 0);
	assert_int_equal(mkdir(at(d2, f, "d2"), 0755), 0);
	put_file(at(target, f, "d2/target"), "old", 0600);
	assert_int_equal(symlink("../d2/target", at(link, f, "d1/link")), 0);
	assert_int_equal(atomicfile_open(&a, link, NULL, &e), 0);
	/* the temporary is beside the target, so the rename stays on its
	 * file system */
	assert_int_equal(entries(d1, NULL), 1);
	assert_int_equal(entries(d2, NULL), 2);
	fputs("new", a.f);
	assert_int_equal(atomicfile_commit(&a, &e), 0);
	assert_true(S_ISLNK(mode_of(link)));
	n = readlink(link, text, sizeof(text) - 1);
	assert_true(n > 0);
	text[n] = '\0';
	assert_string_equal(text, "../d2/target");
	assert_holds(target, "new");
	assert_int_equal(mode_of(target), S_IFREG | 0600);
	assert_int_equal(entries(d2, NULL), 1);
}

static void a_dangling_symlink_creates_its_target(void **state)
{
	struct fixture *f = *state;
	char link[PATH_BUF], target[PATH_BUF];

	assert_int_equal(symlink("made", at(link, f, "link")), 0);
	write_whole(link, "x");
	assert_true(S_ISLNK(mode_of(link)));
	assert_holds(at(target, f, "made"), "x");
	assert_int_equal(entries(f->dir, NULL), 2);
}

/* a/l1 -> ../b/l2 -> t: each relative text read from its link's directory */
static void a_chain_of_relative_links_is_followed(void **state)
{
	struct fixture *f = *state;
	char p[PATH_BUF];

	assert_int_equal(mkdir(at(p, f, "a"), 0755), 0);
	assert_int_equal(mkdir(at(p, f, "b"), 0755), 0);
	assert_int_equal(symlink("t", at(p, f, "b/l2")), 0);
	assert_int_equal(symlink("../b/l2", at(p, f, "a/l1")), 0);
	write_whole(p, "x");
	assert_holds(at(p, f, "b/t"), "x");
	assert_true(S_ISLNK(mode_of(at(p, f, "a/l1"))));
}

static void a_link_loop_is_an_error_naming_the_path(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF], want[2 * PATH_BUF];

	assert_int_equal(symlink("l2", at(p, f, "l1")), 0);
	assert_int_equal(symlink("l1", at(p, f, "l2")), 0);
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), SHARD_EENV);
	assert_null(a.f);
	snprintf(want, sizeof(want), "%s: cannot write: %s", p,
		 strerror(ELOOP));
	assert_string_equal(e.msg, want);
	assert_int_equal(entries(f->dir, NULL), 2);
}

static void a_fifo_is_written_directly(void **state)
{
	struct fixture *f = *state;
	struct strbuf got = STRBUF_INIT;
	char p[PATH_BUF];
	int reader;

	assert_int_equal(mkfifo(at(p, f, "fifo"), 0644), 0);
	reader = open(p, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	write_whole(p, "through the fifo");
	slurp(NULL, reader, &got);
	close(reader);
	assert_string_equal(got.buf, "through the fifo");
	assert_true(S_ISFIFO(mode_of(p)));
	assert_int_equal(entries(f->dir, NULL), 1);
	strbuf_release(&got);
}

/* A node with the numbers of the system's device (root only). */
static int make_node(const char *path, const char *like)
{
	struct stat st;

	assert_int_equal(stat(like, &st), 0);
	if (mknod(path, S_IFCHR | 0666, st.st_rdev) < 0) {
		assert_true(errno == EPERM);
		return -1;
	}
	return 0;
}

static void a_device_node_is_written_and_kept(void **state)
{
	struct fixture *f = *state;
	char p[PATH_BUF];
	struct stat st, null;

	if (make_node(at(p, f, "null"), "/dev/null") < 0)
		skip();
	write_whole(p, "discarded");
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(stat("/dev/null", &null), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_true(st.st_rdev == null.st_rdev);
	assert_int_equal(entries(f->dir, NULL), 1);
}

static void a_device_that_fails_is_named(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF], want[2 * PATH_BUF];

	if (make_node(at(p, f, "full"), "/dev/full") < 0)
		skip();
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), 0);
	fputs("x", a.f);
	assert_int_equal(atomicfile_commit(&a, &e), SHARD_EENV);
	snprintf(want, sizeof(want), "%s: cannot write: %s", p,
		 strerror(ENOSPC));
	assert_string_equal(e.msg, want);
	assert_true(S_ISCHR(mode_of(p)));
}

/* /dev/fd/N of a file opened for appending: N's own offset and flags */
static void a_descriptor_is_written_as_if_shared(void **state)
{
	struct fixture *f = *state;
	char p[PATH_BUF], fdpath[64];
	int fd;

	if (access("/proc/self/fd", F_OK) < 0)
		skip();
	put_file(at(p, f, "log"), "first\n", 0644);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	write_whole(fdpath, "second\n");
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	write_whole(fdpath, "third\n");
	assert_int_equal(write(fd, "fourth\n", 7), 7); /* still open */
	close(fd);
	assert_holds(p, "first\nsecond\nthird\nfourth\n");
	assert_int_equal(entries(f->dir, NULL), 1);
}

/*
 * A link like /dev/stdout, to /proc/self/fd/1, with fd 1 a pipe for the
 * test. Made in the test's directory: the code before this test replaced
 * /dev/stdout itself, as root.
 */
static void a_link_to_dev_fd_1_is_descriptor_one(void **state)
{
	struct fixture *f = *state;
	struct strbuf got = STRBUF_INIT;
	char p[PATH_BUF];
	int pipefd[2], saved;

	if (access("/proc/self/fd", F_OK) < 0)
		skip();
	assert_int_equal(symlink("/proc/self/fd/1", at(p, f, "stdout")), 0);
	fflush(stdout);
	assert_int_equal(pipe(pipefd), 0);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_int_equal(dup2(pipefd[1], 1), 1);
	close(pipefd[1]);
	write_whole(p, "to the pipe");
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	slurp(NULL, pipefd[0], &got);
	close(pipefd[0]);
	assert_string_equal(got.buf, "to the pipe");
	assert_true(S_ISLNK(mode_of(p)));
	assert_int_equal(entries(f->dir, NULL), 1);
	strbuf_release(&got);
}

static void a_socket_file_is_refused_and_kept(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct atomicfile a;
	char p[PATH_BUF];
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_true(strlen(at(p, f, "sock")) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), SHARD_EENV);
	close(s);
	assert_non_null(strstr(e.msg, p));
	assert_non_null(strstr(e.msg, ": cannot write: "));
	assert_true(S_ISSOCK(mode_of(p)));
	assert_int_equal(entries(f->dir, NULL), 1);
}

static void a_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF], want[2 * PATH_BUF];

	assert_int_equal(mkdir(at(p, f, "dir"), 0755), 0);
	assert_int_equal(atomicfile_open(&a, p, NULL, &e), SHARD_EENV);
	snprintf(want, sizeof(want), "%s: cannot write: %s", p,
		 strerror(EISDIR));
	assert_string_equal(e.msg, want);
	assert_int_equal(entries(f->dir, NULL), 1);
}

static void a_missing_directory_is_named(void **state)
{
	struct fixture *f = *state;
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	char p[PATH_BUF], want[2 * PATH_BUF];

	assert_int_equal(atomicfile_open(&a, at(p, f, "no/such/out"), NULL, &e),
			 SHARD_EENV);
	assert_null(a.f);
	snprintf(want, sizeof(want), "%s: cannot write: %s", p,
		 strerror(ENOENT));
	assert_string_equal(e.msg, want);
}

static void dash_is_the_callers_stream_left_open(void **state)
{
	struct shard_error e = SHARD_ERROR_INIT;
	struct atomicfile a;
	FILE *mem = tmpfile();
	char buf[16] = "";

	(void)state;
	assert_non_null(mem);
	assert_int_equal(atomicfile_open(&a, "-", mem, &e), 0);
	assert_ptr_equal(a.f, mem);
	fputs("out", a.f);
	assert_int_equal(atomicfile_commit(&a, &e), 0);
	fputs("+", mem); /* still open */
	rewind(mem);
	assert_non_null(fgets(buf, sizeof(buf), mem));
	assert_string_equal(buf, "out+");
	fclose(mem);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_regular_file_is_replaced_whole_and_keeps_its_mode),
		T(root_gives_the_file_back_to_its_owner),
		T(a_new_file_gets_the_umask),
		T(abort_leaves_the_target_and_no_temporary),
		T(a_failed_rename_leaves_no_temporary),
		T(a_name_of_name_max_bytes_works),
		T(a_symlink_is_written_through_and_stays_a_link),
		T(a_dangling_symlink_creates_its_target),
		T(a_chain_of_relative_links_is_followed),
		T(a_link_loop_is_an_error_naming_the_path),
		T(a_fifo_is_written_directly),
		T(a_device_node_is_written_and_kept),
		T(a_device_that_fails_is_named),
		T(a_descriptor_is_written_as_if_shared),
		T(a_link_to_dev_fd_1_is_descriptor_one),
		T(a_socket_file_is_refused_and_kept),
		T(a_directory_is_refused),
		T(a_missing_directory_is_named),
		T(dash_is_the_callers_stream_left_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
