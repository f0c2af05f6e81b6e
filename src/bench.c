/*
 * bench.c: `runner bench [kata...]`: the graders' figures, yours beside the
 * reference's, measured in the same run.
 *
 * Tests report figures (throughput, switch cost, rounds of a batch) as
 * notes, never as verdicts.  bench grades the reference solution and then
 * your kata at full size, quietly, and prints every test's notes side by
 * side.  Nothing is recorded.  Entry points: bench_command(), and
 * bench_runner() for `runner bench --runner`: the runner's own cost of one
 * test beside the bare fork + dlopen loop, measured in the same run.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#include "commands.h"
#include "record.h"
#include "sandbox.h"

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

/* ---- runner bench --runner: the cost of one test ---------------------- */

#define OVERHEAD_ROUNDS 300

static void nothing(struct kata_ctx *k)
{
	(void)k;
}

/* The bare cost: fork, load the kata .so in the child, exit, wait. */
static double bare_loop(const char *so, int rounds)
{
	double start = now_ms();

	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(dlopen(so, RTLD_NOW | RTLD_LOCAL) ? 0 : 1);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return (now_ms() - start) / rounds;
}

/* The runner's cost: the same .so through the sandbox, a test that
 * returns at once (temp dir, pipes, records, deadline, sweep). */
static double runner_loop(const char *so, int rounds)
{
	static const struct kata_test tests[] = {
		{ "nothing", "returns at once", nothing, 0, 1, NULL }, { 0 }
	};
	static const struct kata_grader desc = { .kata = "bench",
		.tests = tests };
	struct grader g = { .kata = "bench", .desc = &desc, .ntests = 1 };
	struct sandbox_spec spec = { &g, 0, so, so,
				     { .scale = 1.0, .quick = true } };
	double start = now_ms();

	for (int i = 0; i < rounds; i++) {
		struct test_result r = { 0 };
		sandbox_run(&spec, &r);
		records_free(&r.log);
		sb_free(&r.output);
		sb_free(&r.why);
	}
	return (now_ms() - start) / rounds;
}

int bench_runner(struct grader **gs, size_t n, const struct options *o)
{
	char *so;
	double bare, runner;
	int rounds = OVERHEAD_ROUNDS;

	if (!n)
		return EXIT_USAGE;
	so = xasprintf("%s/solution-%s.so", runner_build, gs[0]->kata);
	for (size_t i = 0; i < o->nparams; i++)
		if (!strcmp(o->params[i].name, "rounds") &&
		    o->params[i].value > 0)
			rounds = (int)o->params[i].value;
	bare_loop(so, 10);	/* warm the page cache and the loader */
	bare = bare_loop(so, rounds);
	runner = runner_loop(so, rounds);
	printf("runner: the cost of one test (%d rounds, %s)\n"
	       "  bare fork + dlopen + exit + waitpid  %7.3f ms\n"
	       "  runner sandbox, a test that returns  %7.3f ms  (%.2fx)\n",
	       rounds, strrchr(so, '/') + 1, bare, runner, runner / bare);
	free(so);
	return EXIT_PASS;
}
