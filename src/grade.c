/*
 * grade.c: grading katas (see grade.h).
 */
#define _GNU_SOURCE
#include "grade.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "learner.h"
#include "sandbox.h"

static void check_forbidden(struct kata_run *run)
{
	const struct kata_forbid *f = run->g->desc->forbidden;

	for (; f && f->symbol; f++)
		if (plugin_imports(run->so, f->symbol) == 1)
			sb_printf(&run->refused, "%s calls %s(), which this "
				  "kata does not allow: %s\n", run->source,
				  f->symbol, f->why);
}

static int locate(struct kata_run *run, const struct options *o,
		  const char *so)
{
	const char *k = run->g->kata;

	if (so) {
		if (!(run->so = realpath(so, NULL))) {
			fprintf(stderr, "runner: cannot read the kata %s: %s.\n",
				so, strerror(errno));
			return EXIT_USAGE;
		}
		run->source = xstrdup(so);
		return 0;
	}
	run->source = xasprintf("%s/%s/%s.c", o->solution ? "solutions"
				: "katas", k, k);
	if (o->solution) {
		run->so = xasprintf("%s/solution-%s.so", runner_build, k);
		return build_target(strrchr(run->so, '/') + 1,
				    &run->build_log) ? EXIT_USAGE : 0;
	}
	if (build_learner(k, &run->so, &run->build_log) < 0) {
		run->build_error = build_first_error(run->build_log.s);
		free(run->so);
		run->so = NULL;
	}
	return 0;
}

int grade_prepare(struct kata_run *run, struct grader *g,
		  const struct options *o, const char *so)
{
	char *err = NULL;
	enum probe p;

	memset(run, 0, sizeof(*run));
	run->g = g;
	run->res = xcalloc(g->ntests, sizeof(*run->res));
	run->selected = xcalloc(g->ntests, sizeof(bool));
	run->settled = xcalloc(g->ntests, sizeof(bool));
	for (size_t i = 0; i < g->ntests; i++)
		run->selected[i] = !o->test ||
				   !strcmp(o->test, g->desc->tests[i].name);
	if (locate(run, o, so)) {
		if (so)
			return EXIT_USAGE;
		fprintf(stderr, "runner: the reference solution of %s does not "
			"build:\n%s", g->kata, run->build_log.s);
		return EXIT_USAGE;
	}
	if (!run->so)
		return 0;
	p = plugin_probe_kata(run->so, g->kata, o->scale, &err);
	if (p != PROBE_OK && !so && !o->solution) {
		run->build_error = xstrdup(err);
		run->load_failed = true;
		free(run->so);
		run->so = NULL;
	} else if (p != PROBE_OK) {
		fprintf(stderr, "runner: refusing %s: %s.\n", run->so, err);
		free(err);
		return EXIT_USAGE;
	}
	free(err);
	if (run->so)
		check_forbidden(run);
	return 0;
}

/* The index of the test a dependency names, or -1. */
static long test_index(const struct grader *g, const char *name)
{
	for (size_t i = 0; i < g->ntests; i++)
		if (!strcmp(g->desc->tests[i].name, name))
			return (long)i;
	return -1;
}

/* Marks test i of run as not run, with a reason; true if so. */
static bool settle_without_running(struct kata_run *run, size_t i,
				   bool stopped)
{
	const struct kata_test *t = &run->g->desc->tests[i];
	struct test_result *r = &run->res[i];
	long d = t->depends_on ? test_index(run->g, t->depends_on) : -1;

	r->test = t;
	if (!run->so) {
		r->outcome = OUT_FAIL;
		sb_printf(&r->why, "not run: %s %s: %s", run->source,
			  run->load_failed ? "builds but cannot be loaded"
			  : "does not build", run->build_error ?
			  run->build_error : "");
	} else if (stopped) {
		r->outcome = OUT_SKIP;
		sb_puts(&r->why, "not run: --fail-fast stopped at the first "
			"failure");
	} else if (d >= 0 && run->selected[d] &&
		   run->res[d].outcome != OUT_PASS) {
		r->outcome = OUT_SKIP;
		sb_printf(&r->why, "skipped: it needs %s, which did not pass",
			  t->depends_on);
	} else {
		return false;
	}
	return true;
}

static void tally(struct kata_run *run, size_t i)
{
	enum outcome oc = run->res[i].outcome;

	run->passed += oc == OUT_PASS;
	run->failed += outcome_failed(oc);
	run->skipped += oc == OUT_SKIP;
	run->settled[i] = true;
}

static void kata_done(struct kata_run *run)
{
	run->status = run->build_error ? EXIT_BUILD :
		      run->failed || run->refused.len ? EXIT_TESTFAIL :
		      EXIT_PASS;
	run->reported = true;
}

/* Tells the observer what it can be told of run now; true when all. */
static bool deliver_kata(struct kata_run *run,
			 const struct grade_observer *obs)
{
	if (!run->begun && obs->kata_begin)
		obs->kata_begin(obs->arg, run);
	run->begun = true;
	for (; run->shown < run->g->ntests; run->shown++) {
		size_t i = run->shown;
		if (run->selected[i] && !run->settled[i])
			return false;
		if (run->selected[i] && obs->test_done)
			obs->test_done(obs->arg, run, i);
	}
	if (!run->reported)
		return false;
	if (obs->kata_end)
		obs->kata_end(obs->arg, run);
	return true;
}

/* The katas before *cur are told in full; tells what follows in order. */
static void deliver(struct kata_run *runs, size_t n, size_t *cur,
		    const struct grade_observer *obs)
{
	while (obs && *cur < n && deliver_kata(&runs[*cur], obs))
		++*cur;
}

struct sched {
	struct sandbox_job jobs[RUNNER_MAX_JOBS], *live[RUNNER_MAX_JOBS];
	struct kata_run *owner[RUNNER_MAX_JOBS];
	size_t nlive;
	bool stopped;
	struct test_settings set;	/* resolved once for every test */
};

/* A slot of s->jobs that no running test holds. */
static struct sandbox_job *free_slot(struct sched *s)
{
	for (size_t i = 0; i < RUNNER_MAX_JOBS; i++) {
		bool used = false;
		for (size_t l = 0; l < s->nlive && !used; l++)
			used = s->live[l] == &s->jobs[i];
		if (!used)
			return &s->jobs[i];
	}
	abort();	/* never: at most RUNNER_MAX_JOBS run at once */
}

/* Starts kata run's next test that must really run; false when none. */
static bool start_next(struct sched *s, struct kata_run *run)
{
	while (run->next < run->g->ntests) {
		size_t i = run->next++;
		struct sandbox_spec spec = { run->g, (unsigned)i, run->so,
					     run->source, s->set };
		if (!run->selected[i])
			continue;
		if (settle_without_running(run, i, s->stopped)) {
			tally(run, i);
			continue;
		}
		struct sandbox_job *j = free_slot(s);
		if (sandbox_start(j, &spec, &run->res[i]) < 0) {
			run->res[i].outcome = OUT_FAIL;
			sb_puts(&run->res[i].why, "the runner could not start "
				"a test process");
			tally(run, i);
			continue;
		}
		s->live[s->nlive] = j;
		s->owner[s->nlive++] = run;
		run->busy = true;
		return true;
	}
	return false;
}

static void reap_one(struct sched *s, const struct options *o)
{
	size_t w = sandbox_wait(s->live, s->nlive);
	struct kata_run *run = s->owner[w];
	size_t i = (size_t)(s->live[w]->res - run->res);

	tally(run, i);
	if (o->fail_fast && outcome_failed(run->res[i].outcome))
		s->stopped = true;
	run->busy = false;
	s->nlive--;
	s->live[w] = s->live[s->nlive];	/* a job never moves: the */
	s->owner[w] = s->owner[s->nlive];	/* sandbox points into it */
}

/* Starts tests until jobs run at once; with one job, kata after kata. */
static void fill(struct sched *s, struct kata_run *runs, size_t n,
		 size_t jobs, int *worst)
{
	for (size_t k = 0; k < n && s->nlive < jobs; k++) {
		struct kata_run *run = &runs[k];
		if (run->busy || run->reported)
			continue;
		if (!start_next(s, run)) {
			kata_done(run);
			*worst = run->status > *worst ? run->status : *worst;
		}
		if (jobs <= 1 && (run->busy || !run->reported))
			break;
	}
}

static bool all_reported(const struct kata_run *runs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!runs[k].reported)
			return false;
	return true;
}

int grade_katas(struct kata_run *runs, size_t n, const struct options *o,
		const struct grade_observer *obs)
{
	struct sched *s = xcalloc(1, sizeof(*s));
	size_t jobs = o->jobs ? o->jobs : 1, cur = 0;
	int worst = 0;

	if (jobs > RUNNER_MAX_JOBS)
		jobs = RUNNER_MAX_JOBS;
	s->set = options_settings(o);
	while (!all_reported(runs, n)) {
		deliver(runs, n, &cur, obs);
		fill(s, runs, n, jobs, &worst);
		deliver(runs, n, &cur, obs);
		if (s->nlive)
			reap_one(s, o);
	}
	deliver(runs, n, &cur, obs);
	free(s);
	return worst;
}

void grade_free(struct kata_run *run)
{
	for (size_t i = 0; run->res && i < run->g->ntests; i++) {
		records_free(&run->res[i].log);
		sb_free(&run->res[i].output);
		sb_free(&run->res[i].why);
	}
	free(run->res);
	free(run->selected);
	free(run->settled);
	free(run->so);
	free(run->source);
	free(run->build_error);
	sb_free(&run->build_log);
	sb_free(&run->refused);
}
