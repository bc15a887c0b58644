#include "shard/junit/junitout.h"

#include "shard/util/quote.h"
#include "shard/util/banned.h"

void junitout_missing(struct strbuf *out, const char *id, const char *message)
{
	strbuf_addstr(out, "<testcase classname=\"shard\" name=\"");
	quote_xml(out, id);
	strbuf_addstr(out, "\" time=\"0\"><error type=\"shard.missing\" "
			   "message=\"");
	quote_xml(out, message);
	strbuf_addstr(out, "\"/></testcase>\n");
}
