/*
 * Canonical keys and grouping for test ids. Everything here works on the
 * bytes of the id: no locale, no allocation beyond the output strbuf, so
 * that keys are the same on every machine and a million ids map quickly.
 */
#include "shard/identity.h"

#include <string.h>

#include "shard/util/banned.h"

static const char *const go_markers[] = {
	".Test",
	".Benchmark",
	".Example",
	".Fuzz",
};

static const char *const source_exts[] = {
	"c",     "cc",      "cjs", "coffee", "cpp", "cs",    "ex",
	"exs",   "feature", "go",  "java",   "js",  "jsx",   "kt",
	"mjs",   "php",     "py",  "rb",     "rs",  "scala", "svelte",
	"swift", "ts",      "tsx", "vue",
};

static int is_upper_or_end(char c)
{
	return c == '\0' || c == '/' || c == '_' || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Position of the Go test-name marker ("pkg/path.TestX"), or 0. */
static size_t go_marker_pos(const char *id)
{
	const char *slash = strchr(id, '/');
	const char *best = NULL;

	if (!slash)
		return 0;
	for (size_t i = 0; i < sizeof(go_markers) / sizeof(*go_markers); i++) {
		size_t n = strlen(go_markers[i]);
		const char *p = strstr(id, go_markers[i]);

		while (p && !is_upper_or_end(p[n]))
			p = strstr(p + 1, go_markers[i]);
		if (p && p > slash && (!best || p < best))
			best = p;
	}
	/* the package path may not contain a '/' after the marker's segment */
	return best ? (size_t)(best - id) : 0;
}

/* Length of s[0..n) without a trailing "[...]" or ":123" locator. */
static size_t path_base_len_n(const char *s, size_t n)
{
	const char *from = s, *br;
	size_t i;

	for (i = n; i > 0; i--)
		if (s[i - 1] == '/' || s[i - 1] == '\\') {
			from = s + i;
			break;
		}
	br = memchr(from, '[', (size_t)(s + n - from));
	if (n && s[n - 1] == ']' && br)
		return (size_t)(br - s);
	for (i = n; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		;
	if (i < n && i > 0 && s[i - 1] == ':')
		return i - 1;
	return n;
}

static size_t path_base_len(const char *s)
{
	return path_base_len_n(s, strlen(s));
}

static int known_ext(const char *ext, size_t len)
{
	for (size_t i = 0; i < sizeof(source_exts) / sizeof(*source_exts); i++)
		if (strlen(source_exts[i]) == len &&
		    !memcmp(source_exts[i], ext, len))
			return 1;
	return 0;
}

static int is_path_n(const char *s, size_t len)
{
	size_t n = path_base_len_n(s, len), seg = 0, dot = 0, i;
	int has_sep = 0, letter = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '/' || s[i] == '\\') {
			has_sep = 1;
			seg = i + 1;
			dot = 0;
		} else if (s[i] == '.') {
			dot = i + 1;
		}
	}
	if (!dot || dot <= seg || dot == n || n - dot > 12)
		return 0;
	for (i = dot; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (!alpha && !(c >= '0' && c <= '9'))
			return 0;
		letter |= alpha;
	}
	if (has_sep)
		return letter;
	/* "a.test.js", "x_spec.rb"; not "org.x.FooTest.c" */
	for (i = 0, letter = 0; i < n; i++)
		letter += s[i] == '.';
	return letter <= 2 && known_ext(s + dot, n - dot);
}

int identity_is_path(const char *s)
{
	return is_path_n(s, strlen(s));
}

/* A pytest node id: "::" after a file path ("tests/x.py::t", "x.py::t"). */
static int is_nodeid(const char *id)
{
	const char *sep = strstr(id, "::");

	return sep && is_path_n(id, (size_t)(sep - id));
}

enum identity_kind identity_kind(const char *id)
{
	if (is_nodeid(id))
		return IDENTITY_NODEID;
	if (go_marker_pos(id))
		return IDENTITY_GO;
	if (identity_is_path(id))
		return IDENTITY_PATH;
	return IDENTITY_DOTTED;
}

static void path_n(struct strbuf *out, const char *path, size_t n)
{
	size_t start = out->len, i = 0;

	for (;;) {
		if (i + 2 <= n && path[i] == '.' &&
		    (path[i + 1] == '/' || path[i + 1] == '\\'))
			i += 2;
		else
			break;
	}
	strbuf_add(out, path + i, n - i);
	for (i = start; i < out->len; i++)
		if (out->buf[i] == '\\')
			out->buf[i] = '/';
}

uint64_t identity_hash(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

void identity_path_n(struct strbuf *out, const char *path, size_t len)
{
	path_n(out, path, len);
}

void identity_file_path(struct strbuf *out, const char *id)
{
	path_n(out, id, identity_file_len(id));
}

void identity_path(struct strbuf *out, const char *path)
{
	path_n(out, path, strlen(path));
}

/* A file's part of a key: python modules dotted without ".py". */
static void file_key_n(struct strbuf *out, const char *path, size_t n,
		       int always_dot)
{
	size_t start = out->len;
	int py;

	path_n(out, path, n);
	py = out->len - start >= 3 &&
	     !memcmp(out->buf + out->len - 3, ".py", 3);
	if (!py && !always_dot)
		return;
	if (py)
		strbuf_setlen(out, out->len - 3);
	for (size_t i = start; i < out->len; i++)
		if (out->buf[i] == '/')
			out->buf[i] = '.';
}

/* First '[' after the first "::": where pytest's parameters begin. */
static const char *param_start(const char *id)
{
	const char *sep = strstr(id, "::");

	return sep ? strchr(sep + 2, '[') : strchr(id, '[');
}

static void nodeid_key(struct strbuf *out, const char *id)
{
	const char *sep = strstr(id, "::");
	const char *param = param_start(id);
	const char *p = sep;

	file_key_n(out, id, (size_t)(sep - id), 1);
	if (!param)
		param = id + strlen(id);
	while (p < param) {
		const char *next = strstr(p, "::");

		if (!next || next >= param) {
			strbuf_add(out, p, (size_t)(param - p));
			break;
		}
		strbuf_add(out, p, (size_t)(next - p));
		strbuf_addch(out, '.');
		p = next + 2;
	}
	strbuf_addstr(out, param);
}

void identity_key(struct strbuf *out, const char *id)
{
	switch (identity_kind(id)) {
	case IDENTITY_NODEID:
		nodeid_key(out, id);
		break;
	case IDENTITY_PATH:
		identity_path(out, id);
		break;
	case IDENTITY_GO:
	case IDENTITY_DOTTED:
		strbuf_addstr(out, id);
		break;
	}
}

static int nonempty(const char *s)
{
	return s && *s;
}

void identity_case_key(struct strbuf *out, const char *classname,
		       const char *name, const char *file,
		       const char *suite_file, const char *suite_name)
{
	size_t before = out->len;

	if (!name)
		name = "";
	if (nonempty(classname))
		strbuf_addstr(out, classname);
	else if (nonempty(file))
		file_key_n(out, file, strlen(file), 0);
	else if (nonempty(suite_file))
		file_key_n(out, suite_file, strlen(suite_file), 0);
	else if (nonempty(suite_name) && identity_is_path(suite_name))
		file_key_n(out, suite_name, strlen(suite_name), 0);
	else if (nonempty(suite_name))
		strbuf_addstr(out, suite_name);
	if (out->len > before)
		strbuf_addch(out, '.');
	strbuf_addstr(out, name);
}

int identity_case_file(struct strbuf *out, const char *file,
		       const char *suite_file, const char *suite_name)
{
	if (nonempty(file))
		identity_path(out, file);
	else if (nonempty(suite_file))
		identity_path(out, suite_file);
	else if (nonempty(suite_name) && identity_is_path(suite_name))
		path_n(out, suite_name, path_base_len(suite_name));
	else
		return 0;
	return 1;
}

size_t identity_go_parent_len(const char *name)
{
	static const char *const prefixes[] = {
		"Test",
		"Benchmark",
		"Example",
		"Fuzz",
	};
	const char *slash = strrchr(name, '/');

	if (!slash)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return (size_t)(slash - name);
	return 0;
}

/* Position of the last '.' before limit, or 0. */
static size_t last_dot_before(const char *id, size_t limit)
{
	for (size_t i = limit; i > 0; i--)
		if (id[i - 1] == '.')
			return i - 1;
	return 0;
}

static size_t last_sep_before(const char *id, size_t limit)
{
	for (size_t i = limit; i > 0; i--)
		if (id[i - 1] == '/' || id[i - 1] == '\\')
			return i - 1;
	return 0;
}

size_t identity_file_len(const char *id)
{
	switch (identity_kind(id)) {
	case IDENTITY_NODEID:
		return (size_t)(strstr(id, "::") - id);
	case IDENTITY_PATH:
		return path_base_len(id);
	case IDENTITY_GO:
		return go_marker_pos(id);
	case IDENTITY_DOTTED:
		break;
	}
	return identity_class_len(id);
}

size_t identity_class_len(const char *id)
{
	const char *param = param_start(id);
	size_t limit = param ? (size_t)(param - id) : strlen(id);
	size_t dot;

	switch (identity_kind(id)) {
	case IDENTITY_NODEID:
		for (size_t i = limit; i >= 2; i--)
			if (id[i - 1] == ':' && id[i - 2] == ':')
				return i - 2;
		return limit;
	case IDENTITY_PATH:
	case IDENTITY_GO:
		return identity_file_len(id);
	case IDENTITY_DOTTED:
		break;
	}
	dot = last_dot_before(id, limit);
	return dot ? dot : strlen(id);
}

size_t identity_dir_len(const char *id)
{
	size_t file = identity_file_len(id);

	switch (identity_kind(id)) {
	case IDENTITY_NODEID:
	case IDENTITY_PATH:
	case IDENTITY_GO:
		return last_sep_before(id, file);
	case IDENTITY_DOTTED:
		break;
	}
	return last_dot_before(id, file);
}
