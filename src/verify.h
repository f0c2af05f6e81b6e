/*
 * verify.h: checking a grader against its reference solution, its stub and
 * its mutants (runner verify; the heart of selftest).
 */
#ifndef RUNNER_VERIFY_H
#define RUNNER_VERIFY_H

#include "plugin.h"

/*
 * Verifies kata g: the solution passes every test, the committed stub none,
 * every mutant in tests/mutants/<kata>/ fails at least one.  Prints one line
 * per check and adds to *passed / *failed.  Returns EXIT_PASS, EXIT_TESTFAIL
 * or EXIT_USAGE.
 */
int verify_kata(struct grader *g, const struct options *o, unsigned *passed,
		unsigned *failed);

#endif
