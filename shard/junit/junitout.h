/*
 * What shard writes into JUnit of its own: the testcase that stands for
 * a planned test no report holds, written alike by the merge (--plan,
 * and a shard's check of its runner's report), a queue worker's file and
 * the queue's report, so that every tool reading them sees one shape
 * (classname "shard", the id as the name, an <error> of type
 * shard.missing) and the XML is well-formed for any id (quote_xml).
 */
#ifndef SHARD_JUNITOUT_H
#define SHARD_JUNITOUT_H

#include "shard/util/strbuf.h"

/* Append the testcase for id, its error saying message, and a newline. */
void junitout_missing(struct strbuf *out, const char *id, const char *message);

#endif
