/*
 * grader.c: the grader of the sandbox's own tests.  Each test calls one
 * misbehaving case (cases.h); tests/sandbox_test.c checks what the sandbox
 * made of it.
 */
#include "kata/grader.h"
#include "cases.h"

static void segv(struct kata_ctx *k)
{
	kata_ok(k, "first check");
	kata_ok(k, "second check");
	kata_ok(k, "third check");
	KATA_SYM(k, case_segv)();
}

static void deadlock(struct kata_ctx *k) { KATA_SYM(k, case_deadlock)(); }
static void spin(struct kata_ctx *k) { KATA_SYM(k, case_spin)(); }
static void block_io(struct kata_ctx *k) { KATA_SYM(k, case_block_io)(); }
static void orphan(struct kata_ctx *k)
{
	kata_note(k, "tmpdir %s", kata_tmpdir(k));
	KATA_SYM(k, case_orphan)();
}
static void leak_fds(struct kata_ctx *k) { KATA_SYM(k, case_leak_fds)(500); }
static void sigpipe(struct kata_ctx *k) { KATA_SYM(k, case_sigpipe)(); }
static void exits(struct kata_ctx *k) { KATA_SYM(k, case_exit)(); }

static void flood(struct kata_ctx *k)
{
	KATA_SYM(k, case_flood)(8L << 20);
	kata_fail(k, "flooded: expected the output capped, got it all");
}

static void missing(struct kata_ctx *k)
{
	kata_sym(k, "case_nowhere");
}

static void expect(struct kata_ctx *k)
{
	kata_concept(k, "results are errno values");
	kata_expect_int(k, "frame_recv result", -71, 5);
}

static const struct kata_test tests[] = {
	{ "segv", "crashes", segv, 0, 1, NULL },
	{ "deadlock", "deadlocks", deadlock, 1000, 1, NULL },
	{ "spin", "spins", spin, 1000, 1, NULL },
	{ "block_io", "blocks in recv", block_io, 1000, 1, NULL },
	{ "orphan", "leaves a setsid() process", orphan, 0, 1, NULL },
	{ "leak_fds", "leaks descriptors", leak_fds, 0, 1, NULL },
	{ "flood", "prints megabytes", flood, 0, 1, NULL },
	{ "sigpipe", "dies of SIGPIPE", sigpipe, 0, 1, NULL },
	{ "exit", "calls exit()", exits, 0, 1, NULL },
	{ "missing", "looks up a missing function", missing, 0, 1, NULL },
	{ "expect", "fails an expectation", expect, 0, 1, NULL },
	{ "skipped", "depends on a failure", expect, 0, 1, "expect" },
	{ 0 }
};

KATA_GRADER(.kata = "sandbox", .title = "The sandbox's own cases",
	    .topic = "crashes, hangs and leftovers", .order = 0,
	    .tests = tests);
