/*
 * build.h: building katas for the runner.
 *
 * build_target() runs ninja for one target of the meson build, under the
 * build lock (.runner/build.lock) shared with the ./runner launcher, so a
 * `check` beside a `watch` never runs two ninjas at once.  build_cc()
 * compiles a kata source into a .so directly (verify's stubs and mutants,
 * never -Werror).  build_first_error() picks the compiler's first error out
 * of a log.
 */
#ifndef RUNNER_BUILD_H
#define RUNNER_BUILD_H

#include "runner.h"

/* Builds build/<target>.  0, or -1 with the tool's output in *log. */
int build_target(const char *target, struct strbuf *log);

/*
 * Compiles src, plus the support sources the kata list names for kata
 * (katas/<kata>/ and katas/common/, both on the include path), into out_so.
 * 0, or -1 with the compiler's output in *log.
 */
int build_cc(const char *kata, const char *src, const char *out_so,
	     struct strbuf *log);

/*
 * The support sources the kata list names for kata, as paths under katas/
 * ("auth_chat/sha256.c", "common/frames.c"): at most max of them into out,
 * static strings the caller does not free.  Returns how many.
 */
size_t build_support(const char *kata, const char **out, size_t max);

/*
 * Runs argv (argv[0] looked up in PATH) with output into *log.  Returns the
 * exit status, or -errno if it could not start.
 */
int build_run(char *const argv[], struct strbuf *log);

/*
 * The first compiler error in log as "file:line:col: error: message", paths
 * relative to the project; a malloc'd string the caller frees.
 */
char *build_first_error(const char *log);

#endif
