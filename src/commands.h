/*
 * commands.h: the runner's commands beyond check and verify, each in its
 * own file, called by main.c.  Each returns the exit status (EXIT_*).
 *
 * path.c: list (the learning path with each kata's state) and progress
 * (history per kata); watch.c: watch; reset.c: reset; play.c: play;
 * help.c: help and per-command help; hint.c: hint; selftest.c: selftest;
 * new.c: new (an instructor's skeleton of a kata); bench.c: bench.
 */
#ifndef RUNNER_COMMANDS_H
#define RUNNER_COMMANDS_H

#include <stdio.h>

#include "grade.h"
#include "registry.h"

struct progress;

int list_command(struct registry *reg, const struct options *o);
int progress_command(struct registry *reg, const struct options *o);
int watch_command(struct registry *reg, struct options *o);
int reset_command(struct registry *reg, const struct options *o);
int hint_command(struct registry *reg, const struct options *o);
int selftest_command(const struct options *o);
int new_command(struct registry *reg, const struct options *o);

/* runner bench: the figures of the n katas' tests, yours beside the
 * reference's.  Returns EXIT_PASS. */
int bench_command(struct grader **gs, size_t n, const struct options *o);

/*
 * `runner bench --runner [kata]`: one test's cost in the sandbox beside a
 * bare fork + dlopen + exit + waitpid of the same kata .so (the first of
 * gs), both in this run; --param rounds=N.  Returns an EXIT_* status.
 */
int bench_runner(struct grader **gs, size_t n, const struct options *o);

/* runner play KATA MODE ARGS...: parses its own arguments (argv[0] "play") */
int play_command(int argc, char **argv);

/*
 * Prints the help of command cmd (NULL: the general usage) to stdout.
 * Returns EXIT_PASS, or EXIT_USAGE for an unknown command.
 */
int help_command(const char *cmd);

/* The general usage, to f. */
void help_usage(FILE *f);

/* Records graded runs in the progress database, saying why when it cannot */
void record_progress(struct kata_run *runs, size_t n,
		     const struct options *o);

/*
 * The learning path's view of one kata, from the progress database and the
 * learner's source now.
 */
enum kata_state { KS_NEW, KS_BROKEN, KS_FAILING, KS_PASSED, KS_CHANGED };

struct kata_status {
	enum kata_state state;
	unsigned passed, total;	/* of the last complete run */
};

/* The status of kata g; KS_NEW when p is NULL or has no run of it. */
void path_status(struct progress *p, const struct grader *g,
		 struct kata_status *st);

/*
 * The index of the first kata after `after` (or from the start when after
 * is reg->n) that has not passed, wrapping around; reg->n when every kata
 * has passed.  Refused graders are not counted.
 */
size_t path_next(struct registry *reg, struct progress *p, size_t after);

/* The grader named name, or NULL after saying so (with a suggestion). */
struct grader *path_find(struct registry *reg, const char *name);

#endif
