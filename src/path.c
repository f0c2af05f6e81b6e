/*
 * path.c: the learning path: `runner list` (each kata's state and the next
 * one to do) and `runner progress` (history per kata), from the progress
 * database.  Entry points: list_command, progress_command, path_status,
 * path_next, path_find (commands.h).
 *
 * A kata's state comes from its last complete run (every test graded, or a
 * build error) that was not of the reference solution: not started,
 * does not build, failing (N of M pass), passed, or passed but changed
 * since (the source's digest now differs from the one recorded).  Also
 * record_progress, which check and watch record their runs with.
 */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "learner.h"
#include "progress.h"
#include "report.h"

#define LAST_RUN "SELECT passed, failed, build_error IS NOT NULL, digest " \
	"FROM runs WHERE kata = ?1 AND solution = 0 AND (build_error IS " \
	"NOT NULL OR passed + failed + skipped >= ?2) ORDER BY id DESC " \
	"LIMIT 1"

void path_status(struct progress *p, const struct grader *g,
		 struct kata_status *st)
{
	sqlite3 *db = progress_sqlite(p);
	sqlite3_stmt *q;

	*st = (struct kata_status){ KS_NEW, 0, (unsigned)g->ntests };
	if (!db || sqlite3_prepare_v2(db, LAST_RUN, -1, &q, NULL))
		return;
	sqlite3_bind_text(q, 1, g->kata, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, (int)g->ntests);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const char *was = (const char *)sqlite3_column_text(q, 3);
		char *now = learner_digest(g->kata);
		st->passed = (unsigned)sqlite3_column_int(q, 0);
		st->state = sqlite3_column_int(q, 2) ? KS_BROKEN :
			    sqlite3_column_int(q, 1) || !st->passed ?
			    KS_FAILING : KS_PASSED;
		if (st->state == KS_PASSED &&
		    (!was || !now || strcmp(was, now)))
			st->state = KS_CHANGED;
		free(now);
	}
	sqlite3_finalize(q);
}

size_t path_next(struct registry *reg, struct progress *p, size_t after)
{
	size_t start = after < reg->n ? after + 1 : 0;

	for (size_t k = 0; k < reg->n; k++) {
		size_t i = (start + k) % reg->n;
		struct kata_status st;
		if (!reg->graders[i].desc)
			continue;
		path_status(p, &reg->graders[i], &st);
		if (st.state != KS_PASSED)
			return i;
	}
	return reg->n;
}

struct grader *path_find(struct registry *reg, const char *name)
{
	struct grader *g = registry_find(reg, name);

	if (g && g->error) {
		fprintf(stderr, "runner: %s\n", g->error);
		return NULL;
	}
	if (!g)
		registry_no_such(reg, name);
	return g;
}

/* (main.c's check and watch.c record their runs with this.) */
void record_progress(struct kata_run *runs, size_t n,
		     const struct options *o)
{
	char *note = NULL;
	struct progress *p;

	if (o->no_progress || o->so)
		return;
	p = progress_open(&note);
	if (note && p) {	/* a damaged one was moved aside: say so */
		fprintf(stderr, "runner: %s\n", note);
		free(note);
		note = NULL;
	}
	for (size_t i = 0; p && i < n && !note; i++)
		progress_record(p, &runs[i], o, &note);
	if (note)
		fprintf(stderr, "runner: %s\n", note);
	free(note);
	progress_close(p);
}

/* The state in a few words, e.g. "failing 3/9" (tests passing of all). */
static const char *state_words(const struct kata_status *st)
{
	static char buf[64];

	switch (st->state) {
	case KS_NEW: return "not started";
	case KS_BROKEN: return "does not build";
	case KS_PASSED: return "passed";
	case KS_CHANGED: return "passed, changed";
	default:
		snprintf(buf, sizeof(buf), "failing %u/%u", st->passed,
			 st->total);
		return buf;
	}
}

/* Opens the database for reading the path, saying why when it cannot. */
static struct progress *open_quietly(void)
{
	char *note = NULL;
	struct progress *p = progress_open(&note);

	if (note)
		fprintf(stderr, "runner: %s\n", note);
	free(note);
	return p;
}

static void list_one(const struct grader *g, size_t i, bool next,
		     const struct kata_status *st)
{
	bool fancy = report_fancy(), done = st->state == KS_PASSED;
	const char *mark = next ? (fancy ? "\033[1m→" : ">") :
			   done ? (fancy ? "\033[32m✓" : "+") : " ";

	printf(" %s %2zu. %-16s %-16s %s%s\n", mark, i + 1, g->kata,
	       state_words(st), g->desc->title, fancy && (next || done) ?
	       "\033[0m" : "");
	printf("       %-16s %-16s %s, %zu test%s\n", "", "", g->desc->topic,
	       g->ntests, g->ntests == 1 ? "" : "s");
}

int list_command(struct registry *reg, const struct options *o)
{
	struct progress *p = o->no_progress ? NULL : open_quietly();
	size_t next = path_next(reg, p, reg->n);
	int r = 0;

	printf("The learning path (> marks the next kata; failing P/N: P of "
	       "its N tests pass;\npassed, changed: edited since it passed). "
	       "runner watch follows you.\n\n");
	for (size_t i = 0; i < reg->n; i++) {
		struct kata_status st;
		if (!reg->graders[i].desc) {
			fprintf(stderr, "runner: %s\n", reg->graders[i].error);
			r = EXIT_USAGE;
			continue;
		}
		path_status(p, &reg->graders[i], &st);
		list_one(&reg->graders[i], i, i == next, &st);
	}
	if (next < reg->n)
		printf("\nNext: %s.  Read katas/%s/README.md, then: runner "
		       "watch\n", reg->graders[next].kata,
		       reg->graders[next].kata);
	else if (reg->n && !r)
		printf("\nEvery kata passes. Well done.\n");
	progress_close(p);
	return r;
}

#define HISTORY "WITH mine AS (SELECT * FROM runs WHERE kata = ?1 AND " \
	" solution = 0), " \
	"first AS (SELECT min(at) AS at, count(*) AS n FROM mine), " \
	"pass AS (SELECT id, at FROM mine WHERE failed = 0 AND build_error " \
	" IS NULL AND passed > 0 AND passed + skipped >= ?2 ORDER BY id " \
	" LIMIT 1) " \
	"SELECT first.n, strftime('%Y-%m-%d %H:%M', first.at, 'localtime'), " \
	" pass.id, strftime('%Y-%m-%d %H:%M', pass.at, 'localtime'), " \
	" (SELECT count(*) FROM mine WHERE id <= pass.id), " \
	" (julianday(pass.at) - julianday(first.at)) * 86400, " \
	" (SELECT shown FROM hints WHERE kata = ?1) " \
	"FROM first LEFT JOIN pass ON 1"

/* "42 s", "13 min", "2 h 5 min", "3 days" */
static const char *span(double s)
{
	static char buf[32];

	if (s < 90)
		snprintf(buf, sizeof(buf), "%.0f s", s);
	else if (s < 5400)
		snprintf(buf, sizeof(buf), "%.0f min", s / 60);
	else if (s < 172800)
		snprintf(buf, sizeof(buf), "%d h %d min", (int)(s / 3600),
			 (int)(s / 60) % 60);
	else
		snprintf(buf, sizeof(buf), "%.0f days", s / 86400);
	return buf;
}

static void history_of(sqlite3 *db, const struct grader *g,
		       const struct kata_status *st)
{
	sqlite3_stmt *q = NULL;
	int runs = 0, hints;

	if (!sqlite3_prepare_v2(db, HISTORY, -1, &q, NULL)) {
		sqlite3_bind_text(q, 1, g->kata, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, (int)g->ntests);
		if (sqlite3_step(q) == SQLITE_ROW)
			runs = sqlite3_column_int(q, 0);
	}
	printf("  %-16s %-*s", g->kata, runs ? 16 : 0, state_words(st));
	if (runs) {
		printf(" %d check%s since %s", runs, runs == 1 ? "" : "s",
		       sqlite3_column_text(q, 1));
		if ((hints = sqlite3_column_int(q, 6)))
			printf(", %d hint%s", hints, hints == 1 ? "" : "s");
		if (sqlite3_column_type(q, 2) != SQLITE_NULL)
			printf("\n  %-16s %-16s first passed %s, at check %d, "
			       "%s after the first", "", "",
			       sqlite3_column_text(q, 3),
			       sqlite3_column_int(q, 4),
			       span(sqlite3_column_double(q, 5)));
	}
	printf("\n");
	sqlite3_finalize(q);
}

int progress_command(struct registry *reg, const struct options *o)
{
	struct progress *p = open_quietly();

	(void)o;
	if (!p)
		return EXIT_USAGE;
	printf("Your progress, kata by kata (runs of --solution not "
	       "counted):\n\n");
	for (size_t i = 0; i < reg->n; i++) {
		struct kata_status st;
		if (!reg->graders[i].desc)
			continue;
		path_status(p, &reg->graders[i], &st);
		history_of(progress_sqlite(p), &reg->graders[i], &st);
	}
	progress_close(p);
	return EXIT_PASS;
}
