/*
 * Names from input, shown to people. Test names, file names, run ids and
 * property values come from JUnit files, artifacts and the environment,
 * and reach terminals, CI logs and GitHub's log parser: there a control
 * byte can move the cursor, a newline can start a line the runner obeys
 * as a workflow command (::add-mask::, ::set-output), and a bidirectional
 * override can make text read otherwise than it is. One function makes
 * any bytes safe to show, for every message and every report for people:
 * C0 controls and DEL, C1 controls, bidirectional controls, line and
 * paragraph separators and bytes that are not UTF-8 become escapes;
 * printable ASCII and the rest of UTF-8 are kept as they are.
 */
#ifndef SHARD_QUOTE_H
#define SHARD_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "shard/util/strbuf.h"

/*
 * Append len bytes of s to out, each unsafe byte as \xHH (\t, \n and \r
 * as such) and each unsafe character as \u{HHHH}. Returns strbuf_add's
 * result (-1 only when a capped buffer is full).
 */
int quote_add(struct strbuf *out, const char *s, size_t len);
int quote_str(struct strbuf *out, const char *s);

/*
 * Like quote_add, of at most max bytes of s (whole characters), then
 * "..." when s was cut: for ids in messages, which may be long.
 */
int quote_add_cut(struct strbuf *out, const char *s, size_t len, size_t max);

/*
 * The length (1 to 4) of the UTF-8 sequence at s (len bytes left) and its
 * code point in *cp, or 0 when none starts there (RFC 3629: overlong
 * forms, surrogates and points past U+10FFFF are none).
 */
size_t quote_utf8(const char *s, size_t len, uint32_t *cp);

/* Whether len bytes of s hold anything quote_add would escape. */
int quote_needed(const char *s, size_t len);

/*
 * s quoted into buf (size bytes, NUL-terminated), cut at a whole escape
 * or character when it does not fit.
 */
void quote_into(char *buf, size_t size, const char *s);

/*
 * Append s for a double-quoted XML attribute or text: & < > " as
 * entities, tab, newline and carriage return as character references,
 * and what XML 1.0 cannot hold at all (other C0 controls, U+FFFE,
 * U+FFFF, bytes that are not UTF-8) as quote_add's escapes, so that
 * what shard writes is well-formed whatever the id.
 */
int quote_xml(struct strbuf *out, const char *s);

#endif
