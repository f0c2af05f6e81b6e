/*
 * grader_second.c: the grader of the learner tests' second kata.
 */
#include "kata/grader.h"
#include "second.h"

static void value(struct kata_ctx *k)
{
	kata_expect_int(k, "second_value()", KATA_SYM(k, second_value)(), 2);
}

static const struct kata_test tests[] = {
	{ "value", "second_value returns 2", value, 0, 1, NULL },
	{ 0 }
};

KATA_GRADER(.kata = "second", .title = "The second kata",
	    .topic = "moving on", .order = 2, .tests = tests);
