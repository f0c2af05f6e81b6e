/*
 * bench.c: `runner bench [kata...]`: the graders' figures, yours beside the
 * reference's, measured in the same run.
 *
 * Tests report figures (throughput, switch cost, rounds of a batch) as
 * notes, never as verdicts.  bench grades the reference solution and then
 * your kata at full size, quietly, and prints every test's notes side by
 * side.  Nothing is recorded.  Entry point: bench_command().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "record.h"

/* Prints the note records of a test, each prefixed with who. */
static bool print_notes(const struct test_result *r, const char *who)
{
	bool any = false;

	for (size_t i = 0; i < r->log.n; i++)
		if (r->log.v[i].kind == REC_NOTE) {
			printf("    %-10s %s\n", who, r->log.v[i].text);
			any = true;
		}
	return any;
}

static bool has_note(const struct test_result *r)
{
	return records_find(&r->log, REC_NOTE) != NULL;
}

/* Grades g quietly as o says, with --solution as given. */
static int grade_quiet(struct kata_run *run, struct grader *g,
		       const struct options *base, bool solution)
{
	struct options o = *base;
	int r;

	o.solution = solution;
	o.format = FMT_HUMAN;
	if ((r = grade_prepare(run, g, &o, solution ? NULL : o.so)) != 0)
		return r;
	return run->so ? grade_katas(run, 1, &o, NULL) : EXIT_BUILD;
}

static void bench_one(struct grader *g, const struct options *o)
{
	struct kata_run ref, mine;
	bool built;

	printf("%s: %s\n", g->kata, g->desc->title);
	fflush(stdout);
	grade_quiet(&ref, g, o, true);
	built = grade_quiet(&mine, g, o, false) != EXIT_BUILD;
	for (size_t i = 0; i < g->ntests; i++) {
		const struct test_result *a = &ref.res[i], *b = &mine.res[i];
		if (!has_note(a) && !(built && has_note(b)))
			continue;
		printf("  %s\n", g->desc->tests[i].name);
		print_notes(a, "reference");
		if (built && !print_notes(b, "yours"))
			printf("    %-10s (no figure: the test %s)\n", "yours",
			       b->outcome == OUT_PASS ? "gave none" :
			       b->outcome == OUT_SKIP ? "was skipped" :
			       "failed");
	}
	if (!built)
		printf("  (your kata does not build: the reference's "
		       "figures only)\n");
	printf("\n");
	grade_free(&ref);
	grade_free(&mine);
}

int bench_command(struct grader **gs, size_t n, const struct options *o)
{
	for (size_t i = 0; i < n; i++)
		bench_one(gs[i], o);
	return EXIT_PASS;
}
