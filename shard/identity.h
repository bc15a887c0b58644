/*
 * Test identity (docs/design.md "Test identity"). Lists, plans and {} carry the
 * user's ids byte for byte; history is keyed by a canonical key derived
 * from them, so that a test listed by its runner meets its own results
 * recorded from JUnit:
 *
 *   pytest node id  tests/api/test_x.py::TestC::test_y[a/b::c]
 *                   -> tests.api.test_x.TestC.test_y[a/b::c]
 *   JUnit case      classname + "." + name
 *   Go              example.com/m/pkg.TestA/sub (package + "." + test)
 *   file paths      jest, rspec, knapsack: "./" stripped, "\" -> "/"
 *   dotted names    Maven/Gradle org.x.FooTest.bar: as is
 *
 * Grouping (for --by class|file and for estimating tests with no history)
 * is read off the listed ids and returned as prefix lengths, so it costs
 * no allocation.
 */
#ifndef SHARD_IDENTITY_H
#define SHARD_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "shard/util/strbuf.h"

enum identity_kind {
	IDENTITY_NODEID, /* contains "::" (pytest) */
	IDENTITY_PATH,   /* a file path, optionally with [..] or :line */
	IDENTITY_GO,     /* package path + ".Test..." */
	IDENTITY_DOTTED, /* dotted class name + "." + method */
};

enum identity_kind identity_kind(const char *id);

/* Append the canonical key of a listed id to out. */
void identity_key(struct strbuf *out, const char *id);

/*
 * Append the canonical key of a JUnit testcase to out. classname, file,
 * suite_file and suite_name may be NULL. With an empty classname the base
 * is the case's file, else the suite's file, else a suite name that is a
 * path, else the suite name; with no base at all the key is the name.
 */
void identity_case_key(struct strbuf *out, const char *classname,
		       const char *name, const char *file,
		       const char *suite_file, const char *suite_name);

/*
 * Append the file a JUnit case belongs to, normalised as a path, or
 * nothing when no attribute names one (case file, suite file, or a suite
 * name that is a path). Returns 1 if a file was appended.
 */
int identity_case_file(struct strbuf *out, const char *file,
		       const char *suite_file, const char *suite_name);

/*
 * The 64-bit hash of a canonical key, as history stores it beside the
 * key: FNV-1a with a final mix. Persistent: never change it.
 */
uint64_t identity_hash(const char *key, size_t len);

/* Append path with "./" prefixes stripped and "\" turned into "/". */
void identity_path_n(struct strbuf *out, const char *path, size_t len);
/* Append the file of a listed id (identity_file_len) as identity_path. */
void identity_file_path(struct strbuf *out, const char *id);
void identity_path(struct strbuf *out, const char *path);

/* 1 if s looks like a source file path ("a/b.py", "x_spec.rb", "a\\b.js"). */
int identity_is_path(const char *s);

/*
 * For a Go subtest name ("TestA/sub/x") the length of its parent's name
 * ("TestA/sub"); 0 when name is not a Go subtest.
 */
size_t identity_go_parent_len(const char *name);

/*
 * Grouping of a listed id, as prefix lengths of id: its file (the part
 * before the first "::"; a path without its [..]/:line suffix; a Go
 * package; a dotted name's class), its class (the part before the last
 * "::"; else as file) and its directory (the file's dirname, or a dotted
 * class's package; 0 when there is none).
 */
size_t identity_file_len(const char *id);
size_t identity_class_len(const char *id);
size_t identity_dir_len(const char *id);

#endif
