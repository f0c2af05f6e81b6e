/*
 * report.c: what a learner sees (see report.h).
 */
#define _GNU_SOURCE
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

static unsigned tap_count;

bool report_fancy(void)
{
	static int fancy = -1;
	const char *nc = getenv("NO_COLOR");

	if (fancy < 0)
		fancy = isatty(1) && !(nc && *nc) && getenv("TERM") &&
			strcmp(getenv("TERM"), "dumb");
	return fancy;
}

static const char *paint(const char *code)
{
	return report_fancy() ? code : "";
}

#define RED paint("\033[31m")
#define GREEN paint("\033[32m")
#define YELLOW paint("\033[33m")
#define DIM paint("\033[2m")
#define BOLD paint("\033[1m")
#define RESET paint("\033[0m")

static const char *mark(enum outcome oc)
{
	bool f = report_fancy();

	if (oc == OUT_PASS)
		return f ? "✓" : "ok  ";
	if (oc == OUT_SKIP)
		return f ? "-" : "skip";
	return f ? "✗" : "FAIL";
}

/* Prints text indented, each line prefixed. */
static void indented(const char *prefix, const char *text)
{
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);
		printf("%s%.*s\n", prefix, len, p);
		p = eol ? eol + 1 : NULL;
	}
}

static void human_records(const struct test_result *r, bool verbose)
{
	const char *concept = NULL;

	for (size_t i = 0; i < r->log.n; i++) {
		const struct record *x = &r->log.v[i];

		if (x->kind == REC_CONCEPT) {
			concept = x->text;
		} else if (record_is_failure(x->kind)) {
			indented("      ", x->text);
			if (concept && *concept)
				printf("      %swhy:%s %s\n", DIM, RESET,
				       concept);
		} else if (x->kind == REC_NOTE) {
			indented("      note: ", x->text);
		} else if (x->kind == REC_SKIP) {
			indented("      ", x->text);
		} else if (x->kind == REC_OK && verbose) {
			indented("      ok: ", x->text);
		} else if (x->kind == REC_CRASH) {
			printf("      crashed %s\n", x->text);
		}
	}
}

/* The test's captured output: a screenful, or all of it with --verbose. */
static void show_output(const struct test_result *r, bool verbose)
{
	const char *p = r->output.s;
	size_t shown = 0, lines = 0;

	printf("      your output:\n");
	while (*p && (verbose || lines < 20)) {
		int len = (int)strcspn(p, "\n");
		printf("      | %.*s%s\n", verbose || len < 160 ? len : 157,
		       p, verbose || len < 160 ? "" : "...");
		p += len + (p[len] == '\n');
		shown += (size_t)len + 1;
		lines++;
	}
	if (*p || r->output_dropped)
		printf("      | ... (%zu more bytes%s)\n", r->output.len -
		       (shown < r->output.len ? shown : r->output.len) +
		       r->output_dropped, verbose ? "" : "; --verbose shows "
		       "more");
}

static void human_test(const struct kata_run *run, size_t i,
		       const struct options *o)
{
	const struct test_result *r = &run->res[i];
	const char *col = r->outcome == OUT_PASS ? GREEN :
			  r->outcome == OUT_SKIP ? YELLOW : RED;

	printf("  %s%s%s %-28s %s%6.2fs%s\n", col, mark(r->outcome), RESET,
	       r->test->name, DIM, r->ms / 1000, RESET);
	if (r->outcome == OUT_PASS && !o->verbose) {
		human_records(r, false);
		return;
	}
	if (r->outcome != OUT_PASS && r->outcome != OUT_SKIP)
		printf("      %s(%s)%s\n", DIM, r->test->purpose, RESET);
	human_records(r, o->verbose);
	if (r->why.len)
		indented("      ", r->why.s);
	if (r->randomised && outcome_failed(r->outcome))
		printf("      replay: ./runner check %s --test %s --seed "
		       "%llu\n", run->g->kata, r->test->name,
		       (unsigned long long)r->seed);
	if (r->output.len && r->outcome != OUT_PASS)
		show_output(r, o->verbose);
}

/* A failed test's failures and concept as TAP comments. */
static void tap_records(const struct records *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct record *x = &l->v[i];

		if (record_is_failure(x->kind))
			indented("# ", x->text);
		else if (x->kind == REC_CONCEPT)
			indented("# why: ", x->text);
	}
}

static void tap_test(const struct kata_run *run, size_t i)
{
	const struct test_result *r = &run->res[i];

	printf("%s %u - %s/%s", outcome_failed(r->outcome) ? "not ok" : "ok",
	       ++tap_count, run->g->kata, r->test->name);
	if (r->outcome == OUT_SKIP)
		printf(" # SKIP %s", r->why.s ? r->why.s : "");
	printf("\n");
	if (outcome_failed(r->outcome)) {
		tap_records(&r->log);
		indented("# ", r->why.s);
	}
}

static void tap_begin(void *arg, const struct kata_run *run)
{
	(void)arg;
	(void)run;
	if (!tap_count)
		printf("TAP version 13\n");
}

static void human_begin(void *arg, const struct kata_run *run)
{
	const struct options *o = arg;

	printf("%s%s%s: %s\n", BOLD, run->g->kata, RESET, run->g->desc->title);
	if (run->build_error) {
		printf("  %s%s%s %s %s:\n      %s\n", RED, mark(OUT_FAIL),
		       RESET, run->source, run->load_failed ? "builds but "
		       "cannot be loaded" : "does not build", run->build_error);
		if (run->load_failed)
			printf("      (it is loaded before every test: code run "
			       "at load must return)\n");
		else if (o->verbose)
			indented("      | ", run->build_log.s);
		else
			printf("      (the whole compiler log: ./runner check "
			       "%s --verbose)\n", run->g->kata);
	}
	if (run->refused.len) {
		printf("  %s%s%s forbidden calls\n", RED, mark(OUT_FAIL),
		       RESET);
		indented("      ", run->refused.s);
	}
	fflush(stdout);
}

static void tap_test_done(void *arg, const struct kata_run *run, size_t i)
{
	(void)arg;
	tap_test(run, i);
	fflush(stdout);
}

static void human_test_done(void *arg, const struct kata_run *run, size_t i)
{
	if (!run->build_error)
		human_test(run, i, arg);
	fflush(stdout);
}

static void human_end(void *arg, const struct kata_run *run)
{
	const struct options *o = arg;

	if (run->build_error)
		printf("  (%zu tests not run: fix the %s first)\n",
		       run->g->ntests, run->load_failed ? "load" : "build");
	printf("  %s%u passed, %u failed", run->failed ? RED : GREEN,
	       run->passed, run->failed + (run->refused.len ? 1 : 0));
	if (run->skipped)
		printf(", %u skipped", run->skipped);
	printf("%s\n", RESET);
	if (run->status != EXIT_PASS && !o->solution && !o->so)
		printf("  where to look: %s, the first failure first\n"
		       "  (the contract: katas/%s/README.md; stuck? runner "
		       "hint %s)\n", run->source, run->g->kata,
		       run->g->kata);
	printf("\n");
	fflush(stdout);
}

const struct grade_observer *report_observer(const struct options *o)
{
	static struct grade_observer obs;

	if (o->format == FMT_JSON)
		return json_observer();
	if (o->format == FMT_JUNIT)
		return junit_observer();
	if (o->format == FMT_GRADESCOPE)
		return gradescope_observer();
	if (o->format == FMT_HUMAN)
		obs = (struct grade_observer){ human_begin, human_test_done,
					       human_end, NULL };
	else
		obs = (struct grade_observer){ tap_begin, tap_test_done,
					       NULL, NULL };
	obs.arg = (void *)o;
	return &obs;
}

void report_summary(unsigned passed, unsigned failed, unsigned skipped,
		    const struct options *o)
{
	if (o->format == FMT_TAP)
		printf("1..%u\n", tap_count);
	if (o->format == FMT_JSON)
		json_summary(passed, failed, skipped);
	if (o->format == FMT_JUNIT)
		junit_summary();
	if (o->format == FMT_GRADESCOPE)
		gradescope_summary();
	if (o->format != FMT_HUMAN)
		return;
	printf("%u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped", skipped);
	printf("\n");
}
