/*
 * Pull and push: a history kept as an object at an HTTP(S) URL, GET and
 * merged in (histmerge.c), PUT with a condition on the ETag last seen
 * (etag.c), pulling again on a conflict.
 */
#include "shard/store/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/strbuf.h"
#include "shard/util/banned.h"

/* GET the remote history into a new temporary file (*tmp, the caller's). */
static int download(const struct history_remote *rm, char **tmp,
		    struct http_result *res, struct shard_error *err)
{
	struct strbuf p = STRBUF_INIT;
	int fd, r;

	strbuf_addf(&p, "%s/shard-pull-XXXXXX",
		    rm->tmpdir ? rm->tmpdir : "/tmp");
	*tmp = strbuf_detach(&p, NULL);
	if ((fd = mkstemp(*tmp)) < 0) {
		r = shard_error_set(err, SHARD_EENV, "%s: %s", *tmp,
				    strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return r;
	}
	r = http_get(rm->http, rm->url, fd, res, err);
	close(fd);
	return r;
}

/* Merge the downloaded file into the local history (created if missing). */
static int merge_download(const struct history_remote *rm, const char *tmp,
			  struct history_counts *added, struct shard_error *err)
{
	struct store_options remote_opt = { 0, 0, 0 }, local_opt = { 1, 0, 0 };
	struct shard_error why = SHARD_ERROR_INIT;
	struct store *remote = NULL, *local = NULL;
	struct strbuf u = STRBUF_INIT;
	int r;

	if (store_sqlite_open(tmp, &remote_opt, &remote, &why) || !remote) {
		http_redact(rm->url, &u);
		r = shard_error_set(err, SHARD_EENV,
				    "GET %s: not a shard history (%s)", u.buf,
				    why.msg[0] ? why.msg : "empty");
		strbuf_release(&u);
		store_close(remote);
		return r;
	}
	r = store_open(rm->history, &local_opt, &local, err);
	if (!r)
		r = history_merge(remote, local, added, err);
	store_close(local);
	store_close(remote);
	return r;
}

int history_pull(const struct history_remote *rm,
		 struct history_pull_result *out, struct shard_error *err)
{
	struct http_result res;
	char *tmp = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = download(rm, &tmp, &res, err)))
		goto out;
	if (res.status == 404) {
		r = history_etag_write(rm->history, NULL, err);
		goto out;
	}
	if (res.status != 200) {
		r = http_status_error(err, "GET", rm->url, res.status);
		goto out;
	}
	out->found = 1;
	r = merge_download(rm, tmp, &out->added, err);
	if (!r)
		r = history_etag_write(rm->history, res.etag, err);
out:
	if (tmp)
		store_sqlite_remove(tmp);
	free(tmp);
	return r;
}

/* Checkpoint, then PUT the file conditionally on the saved ETag. */
static int put_once(const struct history_remote *rm, struct http_result *res,
		    struct shard_error *err)
{
	struct store_options opt = { 0, 0, 0 };
	struct store *st = NULL;
	char *etag = NULL;
	int fd = -1, r;

	if ((r = store_open(rm->history, &opt, &st, err)))
		return r;
	if (!st)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s: no history to push", rm->history);
	r = store_checkpoint(st, err);
	store_close(st);
	if (!r)
		r = history_etag_read(rm->history, &etag, err);
	if (!r && (fd = open(rm->history, O_RDONLY)) < 0)
		r = shard_error_set(err, SHARD_EENV, "%s: %s", rm->history,
				    strerror(errno));
	if (!r)
		r = http_put(rm->http, rm->url, fd, etag, res, err);
	if (fd >= 0)
		close(fd);
	free(etag);
	return r;
}

static void counts_add(struct history_counts *to,
		       const struct history_counts *c)
{
	to->runs += c->runs;
	to->sources += c->sources;
	to->results += c->results;
	to->tests += c->tests;
}

int history_push(const struct history_remote *rm,
		 struct history_push_result *out, struct shard_error *err)
{
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct history_pull_result pulled;
		struct http_result res;
		struct strbuf u = STRBUF_INIT;
		int r = put_once(rm, &res, err);

		if (r)
			return r;
		if (res.status / 100 == 2)
			return history_etag_write(rm->history, res.etag, err);
		if (res.status != 412)
			return http_status_error(err, "PUT", rm->url,
						 res.status);
		if (out->conflicts >= rm->conflicts) {
			http_redact(rm->url, &u);
			r = shard_error_set(err, SHARD_EENV,
					    "PUT %s: HTTP 412: the remote "
					    "history changed again after %u "
					    "merges; giving up",
					    u.buf, out->conflicts);
			strbuf_release(&u);
			return r;
		}
		http_wait(rm->http, ++out->conflicts);
		if ((r = history_pull(rm, &pulled, err)))
			return r;
		counts_add(&out->merged, &pulled.added);
	}
}
