/*
 * oldabi.c: a grader and a kata built for a kata ABI this runner does not
 * speak, to check that both are refused with a sentence (cli_test.sh).
 * Built four times: with -DGRADER as grader-oldabi.so, without as
 * oldabi.so, with -DOTHER as other.so, a good kata .so of kata "other",
 * and with -DV1 as grader-v1.so, a grader as ABI 1 built them: it imports
 * a kata_* function from the runner, which the runner no longer exports.
 */
#include "kata/grader.h"

#ifdef V1
void kata_ok_v1(struct kata_ctx *k, const char *fmt, ...);

static void nothing(struct kata_ctx *k)
{
	kata_ok_v1(k, "imported");
}

static const struct kata_test tests[] = {
	{ "nothing", "does nothing", nothing, 0, 1, NULL },
	{ 0 }
};

__attribute__((visibility("default")))
const struct kata_grader kata_grader = {
	.abi_version = 1, .struct_size = 64,
	.kata = "v1", .title = "Old", .topic = "old", .tests = tests
};
#elif defined(GRADER)
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
