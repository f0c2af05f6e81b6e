/*
 * api.h: the test process's side of the sandbox (api.c).
 *
 * api_routines is the table of routines the runner hands each grader it
 * loads (plugin.c sets the grader's kata_api to it); api_run_test() and
 * api_run_play() run in a forked child, load the learner's kata and never
 * return.
 */
#ifndef RUNNER_API_H
#define RUNNER_API_H

#include "sandbox.h"

/* The routines behind every kata_* call a grader makes (kata/grader.h). */
extern const struct kata_api api_routines;

/*
 * In a test's child: loads the kata, runs test s->index with fd as the
 * result pipe and tmpdir as the working directory, and exits.
 */
_Noreturn void api_run_test(const struct sandbox_spec *s, int fd,
			    const char *tmpdir);

/*
 * In `runner play`'s child: loads the kata and runs the play mode with the
 * user's arguments on the user's terminal; exits with what it returns.
 */
_Noreturn void api_run_play(const struct sandbox_spec *s,
			    const struct kata_play *mode, int argc,
			    char **argv, const char *listen,
			    const char *tmpdir);

#endif
