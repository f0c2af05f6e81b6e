/*
 * grade.h: grading katas: each test in the sandbox, dependencies honoured,
 * up to -j tests of different katas at once.
 *
 * grade_prepare() finds the kata .so to grade (building the learner's, or
 * taking the reference or --so) and checks it; grade_katas() runs the tests
 * and tells an observer (report.c's formats) what happened, in order.
 */
#ifndef RUNNER_GRADE_H
#define RUNNER_GRADE_H

#include "plugin.h"

struct kata_run {
	struct grader *g;
	char *so;		/* the kata .so; NULL when it cannot be graded */
	char *source;		/* what the learner edits, for messages */
	char *build_error;	/* first compiler error, if the build failed */
	bool load_failed;	/* it built; build_error says why it won't load */
	struct strbuf build_log;
	struct strbuf refused;	/* forbidden calls found in the .so */
	struct test_result *res;	/* one per test of g */
	bool *selected;		/* --test: which tests run */
	bool *settled;		/* which results are final */
	size_t next;		/* next test to consider */
	size_t shown;		/* tests the observer has been told of */
	bool busy, reported, begun;
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
 * Whoever shows results: told of each kata's beginning, of its selected
 * tests in the order of its test table, and of its end; one kata after
 * another, in the order given to grade_katas, each event as soon as every
 * earlier one is known, whatever -j runs at once.  Any callback may be NULL.
 */
struct grade_observer {
	void (*kata_begin)(void *arg, const struct kata_run *run);
	void (*test_done)(void *arg, const struct kata_run *run, size_t i);
	void (*kata_end)(void *arg, const struct kata_run *run);
	void *arg;
};

/*
 * Runs every selected test of the n katas, up to o->jobs at once, and
 * tells obs (NULL: nobody).  Returns the highest EXIT_* among them.
 */
int grade_katas(struct kata_run *runs, size_t n, const struct options *o,
		const struct grade_observer *obs);

/* Frees what grade_prepare and grade_katas allocated in run. */
void grade_free(struct kata_run *run);

#endif
