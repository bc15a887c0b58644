/*
 * Tests for the output patcher (shard/util/patchout.h): appends through
 * the buffer from a start offset, patches of bytes still buffered, of
 * bytes already in the file (with data, with a fill byte, in pieces
 * larger than one write) and across the two, a write larger than the
 * buffer, and the write error.
 */
#include "shard/util/patchout.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "shard/util/banned.h"

struct fixture {
	char dir[64], path[128];
	int fd;
	struct patchout p;
	struct shard_error err;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_patchout.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/out", fx->dir);
	fx->fd = open(fx->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fx->fd < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	patchout_release(&fx->p);
	close(fx->fd);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/* The file's bytes (NUL-terminated; *len without the NUL). */
static char *contents(struct fixture *fx, size_t *len)
{
	off_t end = lseek(fx->fd, 0, SEEK_END);
	char *buf = malloc((size_t)end + 1);

	assert_non_null(buf);
	assert_int_equal(pread(fx->fd, buf, (size_t)end, 0), end);
	buf[end] = '\0';
	*len = (size_t)end;
	return buf;
}

static void put(struct fixture *fx, const char *s)
{
	assert_int_equal(patchout_put(&fx->p, s, strlen(s), &fx->err), 0);
}

static void appends_land_from_the_start_offset(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *got;

	assert_int_equal(write(fx->fd, "HEAD:", 5), 5);
	patchout_init(&fx->p, fx->fd, fx->path, 5);
	put(fx, "<a>");
	put(fx, "</a>");
	assert_int_equal(patchout_tell(&fx->p), 12);
	got = contents(fx, &len);
	assert_string_equal(got, "HEAD:"); /* still buffered */
	free(got);
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	got = contents(fx, &len);
	assert_string_equal(got, "HEAD:<a></a>");
	free(got);
}

static void a_patch_of_buffered_bytes_lands_in_the_buffer(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *got;

	patchout_init(&fx->p, fx->fd, fx->path, 0);
	put(fx, "<s tests=\"??\">");
	put(fx, "<t/>");
	assert_int_equal(patchout_patch(&fx->p, 10, "12", 0, 2, &fx->err), 0);
	assert_int_equal(patchout_patch(&fx->p, 14, NULL, ' ', 4, &fx->err), 0);
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	got = contents(fx, &len);
	assert_string_equal(got, "<s tests=\"12\">    ");
	free(got);
}

static void a_patch_of_written_bytes_goes_to_the_file(void **state)
{
	struct fixture *fx = *state;
	size_t len;
	char *got;

	patchout_init(&fx->p, fx->fd, fx->path, 0);
	put(fx, "0123456789");
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	put(fx, "abcdef");
	/* "789" in the file, "abc" in the buffer */
	assert_int_equal(patchout_patch(&fx->p, 7, "XYZUVW", 0, 6, &fx->err),
			 0);
	assert_int_equal(patchout_patch(&fx->p, 1, NULL, '-', 2, &fx->err), 0);
	got = contents(fx, &len);
	assert_string_equal(got, "0--3456XYZ"); /* the file's part at once */
	free(got);
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	got = contents(fx, &len);
	assert_string_equal(got, "0--3456XYZUVWdef");
	free(got);
}

static void a_long_blank_patch_is_written_in_pieces(void **state)
{
	struct fixture *fx = *state;
	size_t n = 10000, len;
	char *data = malloc(n), *got;

	assert_non_null(data);
	memset(data, 'x', n);
	patchout_init(&fx->p, fx->fd, fx->path, 0);
	assert_int_equal(patchout_put(&fx->p, data, n, &fx->err), 0);
	put(fx, "!");
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	assert_int_equal(patchout_patch(&fx->p, 1, NULL, ' ', n - 2, &fx->err),
			 0);
	got = contents(fx, &len);
	assert_int_equal(len, n + 1);
	assert_int_equal(got[0], 'x');
	for (size_t i = 1; i < n - 1; i++)
		if (got[i] != ' ')
			fail_msg("byte %zu is '%c'", i, got[i]);
	assert_string_equal(got + n - 1, "x!");
	free(got);
	free(data);
}

static void a_write_larger_than_the_buffer_goes_straight_out(void **state)
{
	struct fixture *fx = *state;
	size_t n = (1u << 20) + 7, len;
	char *data = malloc(n), *got;

	assert_non_null(data);
	memset(data, 'b', n);
	patchout_init(&fx->p, fx->fd, fx->path, 0);
	put(fx, "<");
	assert_int_equal(patchout_put(&fx->p, data, n, &fx->err), 0);
	/* what came before it was flushed first, and it went out whole */
	assert_int_equal(fx->p.len, 0);
	assert_int_equal(patchout_tell(&fx->p), n + 1);
	put(fx, ">");
	assert_int_equal(patchout_patch(&fx->p, n - 1, "ZZ>", 0, 3, &fx->err),
			 0);
	assert_int_equal(patchout_flush(&fx->p, &fx->err), 0);
	got = contents(fx, &len);
	assert_int_equal(len, n + 2);
	assert_int_equal(got[0], '<');
	assert_int_equal(got[1], 'b');
	assert_string_equal(got + n - 1, "ZZ>");
	free(got);
	free(data);
}

static void a_write_error_names_the_file(void **state)
{
	struct fixture *fx = *state;
	int ro = open(fx->path, O_RDONLY);

	assert_true(ro >= 0);
	patchout_init(&fx->p, ro, "report.xml", 0);
	put(fx, "data");
	assert_int_equal(patchout_flush(&fx->p, &fx->err), SHARD_EENV);
	assert_string_equal(fx->err.msg,
			    "report.xml: write error: Bad file descriptor");
	close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			appends_land_from_the_start_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_patch_of_buffered_bytes_lands_in_the_buffer, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_patch_of_written_bytes_goes_to_the_file, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_long_blank_patch_is_written_in_pieces, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			a_write_larger_than_the_buffer_goes_straight_out, setup,
			teardown),
		cmocka_unit_test_setup_teardown(a_write_error_names_the_file,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
