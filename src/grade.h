/*
 * grade.h: grading katas: each test in the sandbox, dependencies honoured,
 * up to -j tests of different katas at once.
 *
 * grade_prepare() finds the kata .so to grade (building the learner's, or
 * taking the reference or --so) and checks it; grade_katas() runs the tests
 * and reports each kata as it goes (report.c).
 */
#ifndef RUNNER_GRADE_H
#define RUNNER_GRADE_H

#include "plugin.h"

struct kata_run {
	struct grader *g;
	char *so;		/* the kata .so; NULL when it cannot be graded */
	char *source;		/* what the learner edits, for messages */
	char *build_error;	/* first compiler error, if the build failed */
	struct strbuf build_log;
	struct strbuf refused;	/* forbidden calls found in the .so */
	struct test_result *res;	/* one per test of g */
	bool *selected;		/* --test: which tests run */
	size_t next;		/* next test to consider */
	bool busy, reported;
	unsigned passed, failed, skipped;
	int status;		/* EXIT_* of this kata */
};

/*
 * Fills *run for kata g: builds or locates the .so as the options say.
 * Returns 0, or EXIT_USAGE with the sentence already printed (a refused or
 * foreign .so).  A build failure is not an error here: run->build_error.
 */
int grade_prepare(struct kata_run *run, struct grader *g,
		  const struct options *o, const char *so);

/*
 * Runs every selected test of the n katas; quiet suppresses all output
 * (verify).  Returns the highest EXIT_* among them.
 */
int grade_katas(struct kata_run *runs, size_t n, const struct options *o,
		bool quiet);

/* Frees what grade_prepare and grade_katas allocated in run. */
void grade_free(struct kata_run *run);

#endif
