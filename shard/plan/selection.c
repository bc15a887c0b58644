/*
 * A plan file lists its tests shard after shard, so a shard's tests are
 * a run of the file's list and its indexes into the order are the run's
 * positions; a plan made here has each shard's indexes into the list
 * already, which the selection borrows.
 */
#include "shard/plan/selection.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/util/strbuf.h"
#include "shard/util/util.h"
#include "shard/util/banned.h"

void selection_init(struct selection *sel)
{
	memset(sel, 0, sizeof(*sel));
	testlist_init(&sel->list);
	testlist_init(&sel->pf.tests);
}

void selection_release(struct selection *sel)
{
	for (size_t i = 0; sel->shards && i < sel->nshards; i++) {
		free(sel->shards[i].ids);
		if (sel->from_file)
			free(sel->shards[i].tests);
	}
	free(sel->shards);
	sel->shards = NULL;
	sel->nshards = 0;
	planfile_release(&sel->pf);
	pin_plan_release(&sel->pp);
	partition_list_release(&sel->order);
	testlist_release(&sel->list);
}

int selection_read_planfile(const char *path, struct planfile *p,
			    struct shard_error *err)
{
	struct strbuf text = STRBUF_INIT;
	int r = read_file_whole(path, READ_FILE_WHOLE_MAX, &text, err);

	if (!r)
		r = planfile_read(text.buf, text.len, path, p, err);
	strbuf_release(&text);
	return r;
}

int selection_from_planfile(struct selection *sel, const char *path,
			    long shards, struct shard_error *err)
{
	struct planfile *p = &sel->pf;
	int r;

	sel->from_file = 1;
	if ((r = selection_read_planfile(path, p, err)))
		return r;
	if (shards > 0 && (size_t)shards != p->nshards)
		return shard_error_set(err, SHARD_EINPUT,
				       "%s has %zu shards, "
				       "not %ld",
				       path, p->nshards, shards);
	partition_list_init(&sel->order, p->tests.ids, p->tests.lens,
			    p->tests.nr);
	sel->plan_hash = p->hash;
	sel->nshards = p->nshards;
	sel->shards =
		xcalloc(p->nshards ? p->nshards : 1, sizeof(*sel->shards));
	for (size_t i = 0; i < p->nshards; i++) {
		struct selection_shard *s = &sel->shards[i];
		size_t end = i + 1 < p->nshards ? p->first[i + 1] : p->tests.nr;

		s->n = end - p->first[i];
		s->ids = xcalloc(s->n + 1, sizeof(char *));
		s->tests = xcalloc(s->n + 1, sizeof(size_t));
		for (size_t j = 0; j < s->n; j++) {
			s->ids[j] = p->tests.ids[p->first[i] + j];
			s->tests[j] = p->first[i] + j;
		}
		s->predicted = p->predicted[i];
		if (s->predicted > sel->makespan)
			sel->makespan = s->predicted;
	}
	return 0;
}

struct partition_list *selection_list(struct selection *sel)
{
	partition_list_init(&sel->order, (const char *const *)sel->list.ids,
			    sel->list.lens, sel->list.nr);
	return &sel->order;
}

void selection_from_plan(struct selection *sel)
{
	const struct plan *p = &sel->pp.plan;

	sel->plan_hash = p->hash;
	sel->makespan = p->makespan;
	sel->nshards = p->nshards;
	sel->shards =
		xcalloc(p->nshards ? p->nshards : 1, sizeof(*sel->shards));
	for (size_t i = 0; i < p->nshards; i++) {
		const struct plan_shard *ps = &p->shards[i];
		struct selection_shard *s = &sel->shards[i];

		s->ids = xcalloc(ps->nr + 1, sizeof(char *));
		for (size_t j = 0; j < ps->nr; j++)
			s->ids[j] = sel->list.ids[ps->tests[j]];
		s->tests = ps->tests; /* the plan's */
		s->n = ps->nr;
		s->predicted = ps->seconds + p->overhead;
	}
}
