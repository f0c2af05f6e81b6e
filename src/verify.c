/*
 * verify.c: a grader against its solution, stub and mutants (verify.h).
 */
#define _GNU_SOURCE
#include "verify.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "grade.h"
#include "record.h"
#include "report.h"

#define MIN_MUTANTS 5

static void verdict(bool ok, unsigned *passed, unsigned *failed,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void verdict(bool ok, unsigned *passed, unsigned *failed,
		    const char *fmt, ...)
{
	va_list ap;

	printf("  %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	*(ok ? passed : failed) += 1;
}

/* The first failure message of a run, for the verdict line (static). */
static const char *first_failure(const struct kata_run *run)
{
	static char buf[200];

	for (size_t i = 0; i < run->g->ntests; i++) {
		const struct test_result *r = &run->res[i];
		const struct record *x = records_first_failure(&r->log);
		const char *f = x ? x->text : NULL;
		if (!outcome_failed(r->outcome))
			continue;
		if (!f)
			f = r->why.s ? r->why.s : "";
		snprintf(buf, sizeof(buf), "%s: %.*s", r->test->name,
			 (int)strcspn(f, "\n"), f);
		return buf;
	}
	return "";
}

/* Grades so (or the built solution when so is NULL) quietly into *run. */
static int grade_quietly(struct kata_run *run, struct grader *g,
			 const struct options *base, const char *so,
			 bool fail_fast)
{
	struct options o = *base;
	int r;

	o.solution = so == NULL;
	o.fail_fast = fail_fast;
	o.format = FMT_HUMAN;
	if ((r = grade_prepare(run, g, &o, so)) != 0)
		return r;
	if (!run->so)
		return EXIT_BUILD;
	return grade_katas(run, 1, &o, NULL);
}

static void verify_solution(struct grader *g, const struct options *o,
			    unsigned *p, unsigned *f)
{
	struct kata_run run;
	int r = grade_quietly(&run, g, o, NULL, false);

	if (r == EXIT_PASS && !run.refused.len)
		verdict(true, p, f, "solution passes all %u tests",
			run.passed);
	else
		verdict(false, p, f, "solution fails %u of %zu tests: %s",
			run.failed, g->ntests, r == EXIT_BUILD ? "it does not "
			"build" : first_failure(&run));
	grade_free(&run);
}

static bool stub_edited(const char *kata)
{
	char *dir = xasprintf("katas/%s", kata);
	char *argv[] = { "git", "-C", (char *)runner_root, "diff", "--quiet",
			 "HEAD", "--", dir, NULL };
	struct strbuf log = { 0 };
	int r = build_run(argv, &log);

	sb_free(&log);
	free(dir);
	return r == 1;
}

static void verify_stub(struct grader *g, const struct options *o,
			const char *tmp, unsigned *p, unsigned *f)
{
	char *src = xasprintf("%s/katas/%s/%s.c", runner_root, g->kata,
			      g->kata);
	char *so = xasprintf("%s/stub.so", tmp);
	struct strbuf log = { 0 };
	struct kata_run run = { 0 };

	if (stub_edited(g->kata)) {
		printf("  skip stub: you have edited katas/%s, and this check "
		       "grades the pristine stub\n", g->kata);
	} else if (build_cc(g->kata, src, so, &log) < 0) {
		verdict(false, p, f, "stub does not build: %s",
			build_first_error(log.s));
	} else {
		grade_quietly(&run, g, o, so, false);
		verdict(run.so && run.passed == 0, p, f, "stub passes %u of "
			"%zu tests (none may pass)", run.passed, g->ntests);
		grade_free(&run);
	}
	sb_free(&log);
	free(src);
	free(so);
}

static char *describe(const char *patch)
{
	char *text = read_file(patch, NULL), *d;

	if (!text || !strncmp(text, "---", 3))
		d = xstrdup("(no description: put one sentence above ---)");
	else
		d = strndup(text, strcspn(text, "\n"));
	free(text);
	return d;
}

static void verify_mutant(struct grader *g, const struct options *o,
			  const char *tmp, const char *patch, unsigned *p,
			  unsigned *f)
{
	char *base = xasprintf("%s/solutions/%s/%s.c", runner_root, g->kata,
			       g->kata);
	char *src = xasprintf("%s/%s.c", tmp, g->kata);
	char *so = xasprintf("%s/mutant.so", tmp);
	char *argv[] = { "patch", "-s", "-f", "-o", src, base,
			 (char *)patch, NULL };
	const char *name = strrchr(patch, '/') + 1;
	struct strbuf log = { 0 };
	struct kata_run run = { 0 };

	if (build_run(argv, &log) != 0) {
		verdict(false, p, f, "mutant %s no longer applies to the "
			"solution: %s", name, log.s ? log.s : "");
	} else if (build_cc(g->kata, src, so, &log) < 0) {
		verdict(false, p, f, "mutant %s does not compile: %s", name,
			build_first_error(log.s));
	} else {
		char *d = describe(patch);
		grade_quietly(&run, g, o, so, true);
		verdict(run.failed > 0, p, f, "mutant %s (%s) %s %s", name, d,
			run.failed ? "caught by" : "PASSES EVERY TEST: the "
			"grader cannot tell this mistake from a right answer",
			first_failure(&run));
		free(d);
		grade_free(&run);
	}
	sb_free(&log);
	free(base);
	free(src);
	free(so);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_patch(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && !strcmp(e->d_name + n - 6, ".patch");
}

static void verify_mutants(struct grader *g, const struct options *o,
			   const char *tmp, unsigned *p, unsigned *f)
{
	char *dir = xasprintf("%s/tests/mutants/%s", runner_root, g->kata);
	struct dirent **list = NULL;
	int n = scandir(dir, &list, is_patch, by_name);

	verdict(n >= MIN_MUTANTS, p, f, "%d mutants in tests/mutants/%s "
		"(at least %d)", n < 0 ? 0 : n, g->kata, MIN_MUTANTS);
	for (int i = 0; i < n; i++) {
		char *patch = xasprintf("%s/%s", dir, list[i]->d_name);
		verify_mutant(g, o, tmp, patch, p, f);
		free(patch);
		free(list[i]);
	}
	free(list);
	free(dir);
}

int verify_kata(struct grader *g, const struct options *o, unsigned *passed,
		unsigned *failed)
{
	char tmp[] = "/tmp/kata-verify-XXXXXX";
	unsigned before = *failed;

	if (!mkdtemp(tmp)) {
		fprintf(stderr, "runner: cannot make a temporary directory\n");
		return EXIT_USAGE;
	}
	printf("%s: %s\n", g->kata, g->desc->title);
	verify_solution(g, o, passed, failed);
	verify_stub(g, o, tmp, passed, failed);
	verify_mutants(g, o, tmp, passed, failed);
	remove_tree(tmp);
	return *failed > before ? EXIT_TESTFAIL : EXIT_PASS;
}
