/*
 * gradescope.c: `--format gradescope`, the results.json a Gradescope
 * autograder writes (run_autograder: `runner check ... --format gradescope
 * -o /autograder/results/results.json`).  Entry points: gradescope_observer
 * and gradescope_summary (report.h).
 *
 * One test per graded test, named "kata/test", worth the points of its
 * grader's test table (0 there counts as 1), scored all or nothing; the
 * total score is their sum.  A test's output is what a learner needs to
 * act: the failed check, the concept, the runner's diagnosis, the figures.
 * Streamed as the tests end, closed by the summary (docs/formats.md).
 */
#define _GNU_SOURCE
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static unsigned ntests;
static double score, max_score, total_ms;

/* The output a learner reads for one test, as one JSON string. */
static void test_output(const struct test_result *r)
{
	struct strbuf b = { 0 };

	for (size_t i = 0; i < r->log.n; i++) {
		const struct record *x = &r->log.v[i];
		if (record_is_failure(x->kind))
			sb_printf(&b, "%s\n", x->text);
		else if (x->kind == REC_CONCEPT && r->outcome != OUT_PASS)
			sb_printf(&b, "why: %s\n", x->text);
		else if (x->kind == REC_NOTE)
			sb_printf(&b, "note: %s\n", x->text);
		else if (x->kind == REC_CRASH)
			sb_printf(&b, "crashed %s\n", x->text);
	}
	if (r->why.len)
		sb_printf(&b, "%s\n", r->why.s);
	json_string(b.s, b.len);
	sb_free(&b);
}

static void test_done(void *arg, const struct kata_run *run, size_t i)
{
	const struct test_result *r = &run->res[i];
	unsigned points = r->test->points ? r->test->points : 1;
	bool pass = r->outcome == OUT_PASS;
	char *name = xasprintf("%s/%s", run->g->kata, r->test->name);

	(void)arg;
	printf("%s\n  {\"name\":", ntests++ ? "," : "{\"tests\":[");
	json_string(name, strlen(name));
	printf(",\"score\":%u,\"max_score\":%u,\"status\":\"%s\","
	       "\"visibility\":\"visible\",\"tags\":[\"%s\"],\"output\":",
	       pass ? points : 0, points, pass ? "passed" : "failed",
	       run->g->kata);
	test_output(r);
	printf("}");
	score += pass ? points : 0;
	max_score += points;
	total_ms += r->ms;
	free(name);
}

const struct grade_observer *gradescope_observer(void)
{
	static const struct grade_observer obs = { .test_done = test_done };

	return &obs;
}

void gradescope_summary(void)
{
	char *out = xasprintf("%.0f of %.0f points", score, max_score);

	printf("%s],\n \"score\":%.0f,\"execution_time\":%.0f,"
	       "\"visibility\":\"visible\",\"stdout_visibility\":\"hidden\","
	       "\"output\":", ntests ? "\n" : "{\"tests\":[", score,
	       total_ms / 1000);
	json_string(out, strlen(out));
	printf(",\"extra_data\":{\"max_score\":%.0f}}\n", max_score);
	free(out);
	fflush(stdout);
}
