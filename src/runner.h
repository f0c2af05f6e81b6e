/*
 * runner.h: what the runner's modules share.
 *
 * The runner is one single-threaded process (forking is safe).  main.c reads
 * the command line into struct options; registry.c finds the grader plugins;
 * build.c builds the learner's kata; grade.c runs each kata's tests through
 * sandbox.c, which forks one child per test (api.c is the child's side, the
 * kata_* functions graders call); report.c prints; progress.c records runs
 * in sqlite3; verify.c checks a grader against its solution, stub and
 * mutants.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kata/grader.h"

struct records {	/* record.h: a test's records in order */
	struct record *v;
	size_t n, cap;
};

/* Exit statuses (docs/design.md); with mixed outcomes the highest wins. */
enum {
	EXIT_PASS = 0,
	EXIT_TESTFAIL = 1,
	EXIT_USAGE = 2,
	EXIT_BUILD = 3,
};

enum format { FMT_HUMAN, FMT_TAP, FMT_JSON, FMT_JUNIT, FMT_GRADESCOPE };

/* The most tests that run at once (-j): the sandbox's and grade's tables. */
#define RUNNER_MAX_JOBS 64

/* One --param NAME=VALUE, parsed when the command line is read. */
struct param {
	char *name;		/* malloc'd once; lives as long as the run */
	long long value;
};

/*
 * What a running test needs of the command line, resolved once before any
 * test starts (options_settings): the test child reads these, never argv.
 */
struct test_settings {
	double scale;		/* --timeout-scale: deadlines and tolerances */
	bool quick;		/* --quick: kata_param's small sizes */
	bool solution;		/* grading the reference solution */
	uint64_t seed;		/* --seed, or one chosen for the run */
	const struct param *params;	/* --param, in command-line order */
	size_t nparams;
};

struct options {
	bool all, solution, verbose, quick, fail_fast, no_progress, yes;
	bool seed_given;
	bool bench_runner;	/* bench --runner: the runner's own cost */
	uint64_t seed;
	double scale;
	unsigned jobs;
	enum format format;
	const char *test;	/* --test NAME */
	const char *so;		/* --so PATH: grade this kata .so */
	const char *output;	/* -o FILE: the report goes there */
	struct param *params;	/* --param NAME=VALUE, parsed */
	size_t nparams;
	char **args;		/* positional arguments after the command */
	size_t nargs;
};

/* The settings a test of this run sees (points into o; no allocation). */
static inline struct test_settings options_settings(const struct options *o)
{
	return (struct test_settings){ .scale = o->scale, .quick = o->quick,
		.solution = o->solution, .seed = o->seed,
		.params = o->params, .nparams = o->nparams };
}

/* A growable string; zero-initialised is empty.  The owner frees s. */
struct strbuf {
	char *s;
	size_t len, cap;
};

void sb_add(struct strbuf *b, const char *s, size_t n);
void sb_puts(struct strbuf *b, const char *s);
void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *b);

/* Returns a malloc'd formatted string; exits on allocation failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* Reads a whole file into a malloc'd, NUL-terminated string; NULL if not. */
char *read_file(const char *path, size_t *len);

/* Removes a directory tree.  0 or -errno. */
int remove_tree(const char *path);

/*
 * The length of the well-formed UTF-8 sequence of 2 to 4 bytes at s (n
 * bytes left), or 0 when s[0] does not start one (an ASCII byte included).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);

/* Where the project and its build live (set once by main). */
extern const char *runner_root;
extern const char *runner_build;

enum outcome { OUT_PASS, OUT_FAIL, OUT_SKIP, OUT_CRASH, OUT_TIMEOUT };

/* One test's result, filled by the sandbox and grade.c. */
struct test_result {
	const struct kata_test *test;
	enum outcome outcome;
	double ms;
	struct records log;	/* what the test reported, in order */
	struct strbuf output;	/* the test's stdout+stderr, capped */
	size_t output_dropped;
	struct strbuf why;	/* crash, timeout or skip explanation */
	bool randomised;
	uint64_t seed;
};

static inline bool outcome_failed(enum outcome o)
{
	return o == OUT_FAIL || o == OUT_CRASH || o == OUT_TIMEOUT;
}

#endif
