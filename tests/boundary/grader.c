/*
 * grader.c: the grader of tests/boundary, the proof that the runner and
 * its graders never stand in for a learner's function.  The kata (made by
 * gen.sh) defines a global function named like every runner internal and
 * grader helper; each must reach the kata's own definition.
 */
#include "boundary.h"

#include <stdlib.h>

#include "kata/grader.h"

static void own_helpers(struct kata_ctx *k)
{
	long n = KATA_SYM(k, boundary_count)();
	long bad = KATA_SYM(k, boundary_check)();

	kata_concept(k, "a global function in a kata is the kata's own: the "
		     "runner exports nothing it could be bound to instead");
	KATA_REQUIRE(k, n >= 10, "helpers: expected at least 10, got %ld",
		     n);
	KATA_REQUIRE(k, bad == 0, "%s(): expected the kata's own, which "
		     "returns %ld; got one returning %ld (the runner's?)",
		     KATA_SYM(k, boundary_name)(bad), bad,
		     KATA_SYM(k, boundary_call)(bad));
	kata_note(k, "%ld helpers named like runner internals kept their "
		  "own definitions", n);
}

static const struct kata_test tests[] = {
	{ "own_helpers", "helpers named like runner internals are the "
	  "kata's own", own_helpers, 0, 1, NULL },
	{ 0 }
};

KATA_GRADER(.kata = "boundary", .title = "The runner-plugin boundary",
	    .topic = "symbol interposition", .order = 1, .tests = tests);
