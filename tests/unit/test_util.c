/*
 * Tests for reading a file whole (shard/util/util.c): regular files and
 * pipes, what out held before, a read interrupted by a signal, the size
 * cap on either side of it, and the errors that name the file.
 */
#define _DEFAULT_SOURCE /* setitimer */
#include "shard/util/util.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "shard/util/error.h"
#include "shard/util/strbuf.h"
#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64];
	char path[128];
	struct strbuf out;
	struct shard_error err;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/shard-util-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	strbuf_init(&f->out, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	strbuf_release(&f->out);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* n bytes that differ along the way, so that a lost chunk shows. */
static char *pattern(size_t n)
{
	char *p = xmalloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	return p;
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A pipe whose writer (a child) sends data after delay_ms; its read end. */
static int pipe_from_child(const char *data, size_t n, int delay_ms, pid_t *pid)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		size_t off = 0;

		close(fds[0]);
		if (delay_ms)
			usleep((useconds_t)delay_ms * 1000);
		while (off < n) {
			ssize_t w = write(fds[1], data + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void a_regular_file_is_appended_whole_to_what_out_held(void **state)
{
	struct fixture *f = *state;
	size_t n = 300000;
	char *data = pattern(n);

	write_file(f->path, data, n);
	strbuf_addstr(&f->out, "before:");
	assert_int_equal(read_file_whole(f->path, READ_FILE_WHOLE_MAX, &f->out,
					 &f->err),
			 0);
	assert_int_equal(f->out.len, 7 + n);
	assert_memory_equal(f->out.buf, "before:", 7);
	assert_memory_equal(f->out.buf + 7, data, n);
	assert_int_equal(f->out.buf[f->out.len], '\0');
	free(data);
}

static void an_empty_file_adds_nothing(void **state)
{
	struct fixture *f = *state;

	write_file(f->path, "", 0);
	assert_int_equal(read_file_whole(f->path, 10, &f->out, &f->err), 0);
	assert_int_equal(f->out.len, 0);
	assert_int_equal(f->err.code, 0);
}

static void a_pipe_of_many_chunks_is_read_whole(void **state)
{
	struct fixture *f = *state;
	size_t n = 1000003;
	char *data = pattern(n);
	pid_t pid;
	int fd = pipe_from_child(data, n, 0, &pid);

	assert_int_equal(read_fd_whole(fd, "<pipe>", READ_FILE_WHOLE_MAX,
				       &f->out, &f->err),
			 0);
	close(fd);
	reap(pid);
	assert_int_equal(f->out.len, n);
	assert_memory_equal(f->out.buf, data, n);
	free(data);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void a_read_interrupted_by_a_signal_goes_on(void **state)
{
	struct fixture *f = *state;
	struct itimerval every = { { 0, 20000 }, { 0, 20000 } }, off = { 0 };
	struct sigaction sa, old;
	size_t n = 200000;
	char *data = pattern(n);
	pid_t pid;
	int fd;

	/* no SA_RESTART: the blocked read(2) fails with EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	fd = pipe_from_child(data, n, 300, &pid);
	assert_int_equal(setitimer(ITIMER_REAL, &every, NULL), 0);
	assert_int_equal(read_fd_whole(fd, "<pipe>", READ_FILE_WHOLE_MAX,
				       &f->out, &f->err),
			 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	close(fd);
	reap(pid);
	assert_int_equal(f->out.len, n);
	assert_memory_equal(f->out.buf, data, n);
	free(data);
}

static void a_file_of_max_bytes_is_read(void **state)
{
	struct fixture *f = *state;

	write_file(f->path, "0123456789", 10);
	assert_int_equal(read_file_whole(f->path, 10, &f->out, &f->err), 0);
	assert_string_equal(f->out.buf, "0123456789");
}

static void a_file_past_max_is_too_large_and_out_keeps_its_bytes(void **state)
{
	struct fixture *f = *state;
	char want[256];

	write_file(f->path, "0123456789X", 11);
	strbuf_addstr(&f->out, "kept");
	assert_int_equal(read_file_whole(f->path, 10, &f->out, &f->err),
			 SHARD_EINPUT);
	snprintf(want, sizeof(want), "%s: too large: more than 10 bytes",
		 f->path);
	assert_string_equal(f->err.msg, want);
	assert_string_equal(f->out.buf, "kept");
	assert_int_equal(f->out.len, 4);
}

static void a_pipe_past_max_is_too_large(void **state)
{
	struct fixture *f = *state;
	size_t n = 100000;
	char *data = pattern(n);
	pid_t pid;
	int fd = pipe_from_child(data, n, 0, &pid);

	assert_int_equal(read_fd_whole(fd, "<stdin>", 70000, &f->out, &f->err),
			 SHARD_EINPUT);
	close(fd); /* the writer may be blocked: it gets EPIPE */
	reap(pid);
	assert_string_equal(f->err.msg,
			    "<stdin>: too large: more than 70000 bytes");
	assert_int_equal(f->out.len, 0);
	free(data);
}

static void a_missing_file_is_an_input_error_naming_it(void **state)
{
	struct fixture *f = *state;
	char want[256];

	assert_int_equal(read_file_whole(f->path, 10, &f->out, &f->err),
			 SHARD_EINPUT);
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path);
	assert_string_equal(f->err.msg, want);
}

static void a_directory_is_a_read_error_naming_it(void **state)
{
	struct fixture *f = *state;
	char want[256];

	strbuf_addstr(&f->out, "kept");
	assert_int_equal(read_file_whole(f->dir, READ_FILE_WHOLE_MAX, &f->out,
					 &f->err),
			 SHARD_EENV);
	snprintf(want, sizeof(want), "%s: read error: Is a directory", f->dir);
	assert_string_equal(f->err.msg, want);
	assert_string_equal(f->out.buf, "kept");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_regular_file_is_appended_whole_to_what_out_held),
		T(an_empty_file_adds_nothing),
		T(a_pipe_of_many_chunks_is_read_whole),
		T(a_read_interrupted_by_a_signal_goes_on),
		T(a_file_of_max_bytes_is_read),
		T(a_file_past_max_is_too_large_and_out_keeps_its_bytes),
		T(a_pipe_past_max_is_too_large),
		T(a_missing_file_is_an_input_error_naming_it),
		T(a_directory_is_a_read_error_naming_it),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
