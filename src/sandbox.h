/*
 * sandbox.h: every test in its own child process.
 *
 * sandbox_init() makes the runner a child subreaper, so a learner's process
 * that calls setsid() is still ours to kill.  sandbox_start() forks one test
 * (own process group, rlimits, no proxies, captured output, its own temp
 * directory); sandbox_wait() streams records from running tests and returns
 * one that finished, was killed at its deadline (after a diagnosis of what
 * its threads were doing), or crashed.  When it returns a job, nothing of
 * that test is left: process group killed and reaped, orphans swept, temp
 * directory removed, descriptors closed.
 */
#ifndef RUNNER_SANDBOX_H
#define RUNNER_SANDBOX_H

#include "plugin.h"
#include "record.h"

#include <signal.h>

/* One test to run: which, against what, and the run's resolved settings. */
struct sandbox_spec {
	const struct grader *g;
	unsigned index;		/* which test of g->desc->tests */
	const char *kata_so;	/* the kata .so the test loads */
	const char *source;	/* its source, as the learner knows it */
	struct test_settings set;
};

/* Asks a test's running thread where it is in the learner's code. */
#define SANDBOX_WHERE_SIGNAL (SIGRTMIN + 2)

/* The child's end of the result pipe: high, out of the learner's way. */
#define SANDBOX_RESULT_FD 1023

struct sandbox_job {
	struct sandbox_spec spec;
	struct test_result *res;
	pid_t pid;
	int pidfd, res_fd, out_fd, status;
	bool exited, timed_out, res_eof, out_eof;
	double start, deadline;
	char tmpdir[64];
	struct record_reader reader;	/* the result pipe's records */
	struct strbuf where;	/* "TID\tin foo()\n" of running threads */
};

/*
 * Once at start-up: subreaper, SIGPIPE ignored in the runner itself, and
 * sandbox_signal for SIGINT, SIGTERM and SIGHUP.
 */
void sandbox_init(void);

/*
 * The runner's handler for SIGINT, SIGTERM and SIGHUP: with no test
 * running it dies of the signal at once; otherwise sandbox_wait() first
 * kills and cleans up the running tests (nothing of them is left, temp
 * directories included), then dies of it.  A command with a handler of its
 * own (watch) calls this at its end.
 */
void sandbox_signal(int sig);

/*
 * Starts the test described by spec; its result goes to *res.  Returns 0 or
 * -errno (the runner could not fork or make the temp directory).
 */
int sandbox_start(struct sandbox_job *j, const struct sandbox_spec *spec,
		  struct test_result *res);

/*
 * Waits for any of the n running jobs to end and finalises its result.
 * Returns its index.
 */
size_t sandbox_wait(struct sandbox_job **jobs, size_t n);

/* Runs one test to its end (sandbox_start + sandbox_wait). 0 or -errno. */
int sandbox_run(const struct sandbox_spec *spec, struct test_result *res);

/*
 * Kills and reaps every child of the runner that is not a running test:
 * what a learner's code left behind (a daemon it forked, reparented to the
 * runner, its subreaper).
 */
void sandbox_sweep(void);

/* The test's time limit in milliseconds: its own or the default, scaled. */
double sandbox_timeout_ms(const struct sandbox_spec *spec);

#endif
