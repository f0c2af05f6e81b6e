/*
 * oldabi.c: a grader and a kata built for a kata ABI this runner does not
 * speak, to check that both are refused with a sentence (cli_test.sh).
 * Built three times: with -DGRADER as grader-oldabi.so, without as
 * oldabi.so, and with -DOTHER as other.so, a good kata .so of kata "other".
 */
#include "kata/grader.h"

#ifdef GRADER
static void nothing(struct kata_ctx *k)
{
	(void)k;
}

static const struct kata_test tests[] = {
	{ "nothing", "does nothing", nothing, 0, 1, NULL },
	{ 0 }
};

const struct kata_grader kata_grader = {
	.abi_version = 99, .struct_size = sizeof(struct kata_grader),
	.kata = "oldabi", .title = "Old", .topic = "old", .tests = tests
};
#elif defined(OTHER)
KATA_PLUGIN("other");
#else
const struct kata_plugin kata_plugin = {
	99, sizeof(struct kata_plugin), "sandbox"
};
#endif
