/*
 * Streaming JUnit XML reader: libxml2's SAX2 push parser fed in chunks, so
 * memory does not grow with the size of a file or of a text node. Safety
 * (docs/design.md): no network, no DTD loading, no entity substitution, any
 * DOCTYPE that declares an entity rejected, nesting depth bounded here.
 * The root must be <testsuites> or <testsuite>; anything else is "not a
 * JUnit report". Errors name file:line:column.
 */
#ifndef SHARD_JUNIT_H
#define SHARD_JUNIT_H

#include <stddef.h>

#include "shard/util/ctx.h"
#include "shard/util/error.h"
#include "shard/util/spanread.h"

enum junit_outcome {
	JUNIT_PASSED = 0,
	JUNIT_FAILED,
	JUNIT_ERROR,
	JUNIT_SKIPPED,
};

/*
 * An outcome's name, as the histories store it and the history export,
 * the queue and messages spell it: "passed", "failed", "error", "skipped".
 */
const char *junit_outcome_name(enum junit_outcome o);
/* The outcome named name; -1 for NULL or a name not above. */
int junit_outcome_parse(const char *name);

/* Strings are borrowed: valid only during the callback. NULL when absent. */
struct junit_suite {
	const char *name;
	const char *file;
	const char *hostname;
	const char *timestamp;
	double time;    /* clamped to >= 0 */
	int has_time;   /* 0 when missing, empty or unparsable */
	unsigned depth; /* nesting among <testsuite> elements, 0 = outermost */
	unsigned long xml_line; /* line of the start tag */
};

struct junit_case {
	const char *classname;
	const char *name;
	const char *file;
	long line; /* the line="" attribute, 0 when absent */
	double time;
	int has_time;
	const char *time_text; /* the time="" attribute, NULL when absent */
	enum junit_outcome
		outcome;     /* failure > error > skipped > passed by child */
	const char *message; /* message="" of the outcome element, or NULL */
	unsigned flaky;      /* <flakyFailure>/<flakyError> children */
	unsigned reruns;     /* <rerunFailure>/<rerunError> children */
	const struct junit_suite *suite; /* innermost suite, NULL if none */
	unsigned long xml_line;
};
/*
 * Without an outcome child, status="disabled" or "notrun" and
 * result="skipped" or "suppressed" (googletest) make a testcase SKIPPED.
 */

enum junit_element_kind {
	JUNIT_EL_OTHER = 0,
	JUNIT_EL_SUITES,
	JUNIT_EL_SUITE,
	JUNIT_EL_PROPERTIES, /* <properties> directly inside a suite */
	JUNIT_EL_CASE,
};

/*
 * Raw element events, for a consumer that copies input bytes (merge).
 * Offsets count bytes of the input as read; they are meaningful only when
 * raw is set (UTF-8 input that libxml2 did not transcode). An empty
 * element (<x/>) has end == end_end == start_end; <x></x> has end ==
 * start_end < end_end.
 */
struct junit_element {
	const char *local; /* local name */
	enum junit_element_kind kind;
	unsigned depth; /* 0 for the root */
	int raw;
	const char *encoding; /* when not raw: the encoding libxml2
				     transcodes from, e.g. "ISO-8859-1" */
	int prefixed;         /* the element's name has a namespace prefix */
	unsigned long long start, start_end; /* the start tag */
	unsigned long long end, end_end; /* the end tag (element_end only) */
	size_t nattrs;            /* suites only (element_start): pairs of */
	const char *const *attrs; /* decoded name, value; else NULL */
	unsigned long xml_line;
};

/*
 * Callbacks may be NULL. Returning non-zero stops the read; the callback
 * sets err itself and its code is returned by junit_read_*().
 * On any error the read stops at once: suites already started get no
 * suite_end and open testcases are not reported, so discard what was
 * gathered. Under recover, what the input leaves open at its end is closed
 * (testcases reported, suites ended) before a successful return.
 */
struct junit_handler {
	int (*suite_start)(void *data, const struct junit_suite *s,
			   struct shard_error *err);
	int (*property)(void *data, const struct junit_suite *s,
			const char *name, const char *value,
			struct shard_error *err);
	int (*testcase)(void *data, const struct junit_case *c,
			struct shard_error *err);
	/* case_seconds: the sum of the times of the suite's own testcases */
	int (*suite_end)(void *data, const struct junit_suite *s,
			 double case_seconds, struct shard_error *err);
	/* after suite_start; before testcase and suite_end */
	int (*element_start)(void *data, const struct junit_element *e,
			     struct shard_error *err);
	int (*element_end)(void *data, const struct junit_element *e,
			   struct shard_error *err);
	void *data;
};

struct junit_options {
	int recover;             /* libxml2 recovery: warn instead of failing */
	unsigned max_depth;      /* element nesting bound; 0 means 256 */
	int utf8;                /* the input is UTF-8 whatever it declares
				   (it was transcoded): XML_PARSE_IGNORE_ENC */
	struct spanread *window; /* junit_read_fd reads through it (on the
				    fd it holds) rather than read(2), and
				    never moves it while a chunk is parsed:
				    callbacks may copy spans from it */
};

/*
 * Read fd to its end. path names the input in messages. Returns 0, or
 * SHARD_EINPUT with err = "path:line:col: message" for malformed XML, a
 * non-JUnit root or a forbidden DOCTYPE, SHARD_EENV for a read error, or a
 * callback's code. Warnings (negative times clamped to 0, unparsable
 * times, recovered errors) go to ctx's warn callback as "path:line: ...".
 */
int junit_read_fd(int fd, const char *path, const struct junit_options *opt,
		  const struct junit_handler *h, const struct shard_ctx *ctx,
		  struct shard_error *err);
int junit_read_mem(const char *buf, size_t len, const char *path,
		   const struct junit_options *opt,
		   const struct junit_handler *h, const struct shard_ctx *ctx,
		   struct shard_error *err);

/*
 * Parse a time attribute: "1.5", "2,503.1" (thousands separators), with
 * surrounding blanks. Returns 0 and *out; 1 when negative (*out = 0);
 * -1 when empty or not a number (*out = 0).
 */
int junit_parse_time(const char *s, double *out);

/*
 * The libxml2 this process runs with (not the headers it was built
 * against), dotted: "2.9.14". Written into buf; returns buf.
 */
const char *junit_libxml2_version(char *buf, size_t size);

#endif
