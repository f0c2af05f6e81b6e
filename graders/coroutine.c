/*
 * coroutine.c: the grader of the coroutine kata.
 *
 * Drives the learner's coroutines (katas/coroutine/coroutine.h): the seed's
 * foo(1) with priming, state transitions and error results, a generator of
 * squares, the running average (with printf of a double on the coroutine's
 * stack, which needs a 16-byte aligned stack), a coroutine driving
 * another, callee-saved registers surviving a switch, thousands of
 * coroutines alive at once, deep recursion inside one, stacks returned by
 * co_destroy (VmSize in /proc/self/status), a guard page below each stack
 * (/proc/self/maps), and the cost of a switch
 * beside ucontext's swapcontext measured in the same run.  The functions
 * run as coroutines are in graders/coroutine/bodies.c; this file holds one
 * function per test.
 *
 * Entry point: the kata_grader descriptor (KATA_GRADER at the end).
 */
#define _GNU_SOURCE
#include "coroutine/coroutine_grader.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

/* co_create that must succeed: the new coroutine. */
static struct co *make(struct kata_ctx *k, void *(*fn)(struct co *, void *),
		       void *arg, size_t stack)
{
	struct co *co = NULL;
	int r = learner.create(fn, arg, stack, &co);

	KATA_REQUIRE(k, r != -ENOSYS, "co_create returned -ENOSYS, the stub's "
		     "answer: implement it (katas/coroutine/README.md)");
	kata_expect_int(k, "co_create result", r, 0);
	KATA_REQUIRE(k, co, "co_create returned 0 but left *out NULL");
	return co;
}

/* Sends v, checks the result code, and returns what came back. */
static long send(struct kata_ctx *k, struct co *co, long v, int want,
		 const char *what)
{
	void *out = V(-1);
	int r = learner.send(co, V(v), &out);

	if (r != want)
		kata_fail(k, "%s: co_send(%ld): expected %s, got %s", what, v,
			  want ? "CO_RETURNED" : "CO_YIELDED", kata_strres(r));
	return L(out);
}

static void expect_state(struct kata_ctx *k, struct co *co,
			 enum co_state want, const char *when)
{
	static const char *names[] = { "CO_SUSPENDED", "CO_RUNNING",
				       "CO_DONE" };
	enum co_state s = learner.state(co);

	if (s != want)
		kata_fail(k, "co_state %s: expected %s, got %s (%d)", when,
			  names[want], (unsigned)s < 3 ? names[s] : "?", s);
}

/* ---- the seed's foo(1), states, errors ---------------------------------- */

static void t_seed(struct kata_ctx *k)
{
	struct co *co;

	kata_concept(k, "the first send only primes the coroutine (Python's "
		     "next()): it runs fn up to its first yield; each later "
		     "send becomes the result of that yield");
	body_load(k);
	body_trace[0] = -1;
	co = make(k, body_foo, V(1), STACK);
	KATA_REQUIRE(k, body_trace[0] == -1, "co_create ran the function: "
		     "expected it to wait for the first co_send");
	kata_expect_int(k, "foo(1): the first send (priming) yields a",
			send(k, co, 0, CO_YIELDED, "priming"), 1);
	kata_expect_int(k, "foo(1): send(2) yields a + b",
			send(k, co, 2, CO_YIELDED, "send(2)"), 3);
	kata_expect_int(k, "foo(1): b inside the coroutine", body_trace[1], 2);
	kata_expect_int(k, "foo(1): send(99) returns a + b + c",
			send(k, co, 99, CO_RETURNED, "send(99)"), 102);
	kata_expect_int(k, "foo(1): c inside the coroutine", body_trace[2], 99);
	learner.destroy(co);
}

static void t_states(struct kata_ctx *k)
{
	struct co *co;
	void *out = V(-1);

	kata_concept(k, "a coroutine is suspended (created or in a yield), "
		     "running, or done; a send it cannot serve is an error "
		     "result, never a jump into a dead stack");
	body_load(k);
	co = make(k, body_watcher, NULL, STACK);
	expect_state(k, co, CO_SUSPENDED, "after co_create");
	kata_expect_int(k, "first send", send(k, co, 0, CO_YIELDED,
					      "priming"), 7);
	kata_expect_int(k, "co_state seen by the coroutine while it runs",
			body_trace[0], CO_RUNNING);
	kata_expect_int(k, "co_send from a coroutine to itself", body_trace[1],
			-EBUSY);
	expect_state(k, co, CO_SUSPENDED, "after a yield");
	kata_expect_int(k, "last send", send(k, co, 0, CO_RETURNED, "end"),
			8);
	expect_state(k, co, CO_DONE, "after the function returned");
	kata_expect_int(k, "co_send to a finished coroutine",
			learner.send(co, V(1), &out), -EINVAL);
	KATA_REQUIRE(k, out == V(-1), "co_send to a finished coroutine "
		     "changed *out: expected it untouched");
	learner.destroy(co);
}

static void t_bad_args(struct kata_ctx *k)
{
	struct co *co = NULL;

	kata_concept(k, "co_create checks its arguments: a function, and a "
		     "stack of at least CO_MIN_STACK bytes");
	body_load(k);
	learner.destroy(make(k, body_foo, NULL, CO_MIN_STACK));
	kata_expect_int(k, "co_create with stack_size CO_MIN_STACK - 1",
			learner.create(body_foo, NULL, CO_MIN_STACK - 1, &co),
			-EINVAL);
	kata_expect_int(k, "co_create with a NULL fn",
			learner.create(NULL, NULL, STACK, &co), -EINVAL);
	learner.destroy(NULL);	/* allowed, like free(NULL) */
}

/* ---- generators ---------------------------------------------------------- */

static void t_squares(struct kata_ctx *k)
{
	struct co *co;
	void *out;
	long n = 0;
	int r;

	kata_concept(k, "a generator is a coroutine that only yields: each "
		     "send (next) runs it to its next yield, and the last one "
		     "sees it return");
	body_load(k);
	co = make(k, body_squares, V(10), STACK);
	while ((r = learner.send(co, NULL, &out)) == CO_YIELDED && n <= 10) {
		kata_expect_int(k, "squares(10): yielded value", L(out), n * n);
		n++;
	}
	kata_expect_int(k, "squares(10): co_send after the last yield", r,
			CO_RETURNED);
	kata_expect_int(k, "squares(10): values yielded", n, 10);
	kata_expect_int(k, "squares(10): return value", L(out), 10);
	expect_state(k, co, CO_DONE, "after the generator returned");
	learner.destroy(co);
}

static void t_average(struct kata_ctx *k)
{
	static const double terms[] = { 10, 20, 30, 40, 2.5 };
	static const char *want[] = { "10.000", "15.000", "20.000", "25.000",
				      "20.500" };
	struct co *co;
	void *out;

	kata_concept(k, "a coroutine keeps its local variables between sends "
		     "(total, count); it runs C code such as printf on its own "
		     "stack, which must be 16-byte aligned like any stack");
	body_load(k);
	co = make(k, body_averager, NULL, STACK);
	KATA_REQUIRE(k, learner.send(co, NULL, &out) == CO_YIELDED && !out,
		     "averager: priming send: expected CO_YIELDED with NULL "
		     "(no average yet)");
	for (int i = 0; i < 5; i++) {
		int r = learner.send(co, (void *)&terms[i], &out);
		const struct avg *a = out;

		kata_expect_int(k, "averager: co_send result", r, CO_YIELDED);
		KATA_REQUIRE(k, a && !strcmp(a->text, want[i]), "averager "
			     "after sending %g: expected %s, got %s", terms[i],
			     want[i], a ? a->text : "NULL");
	}
	learner.destroy(co);
}

static void t_nested(struct kata_ctx *k)
{
	static const long want[] = { 1000, 1001, 1004, 1009, 1016 };
	struct co *outer, *inner;

	kata_concept(k, "a yield goes back to whoever sent, so a coroutine "
		     "can drive another one like a function call: remember "
		     "the sender per coroutine, not in one global");
	body_load(k);
	inner = make(k, body_squares, V(5), STACK);
	outer = make(k, body_driver, inner, STACK);
	for (int i = 0; i < 5; i++)
		kata_expect_int(k, "driver of squares(5): yielded value",
				send(k, outer, 0, CO_YIELDED, "driver"),
				want[i]);
	kata_expect_int(k, "driver: returned value",
			send(k, outer, 0, CO_RETURNED, "driver"), 6);
	expect_state(k, inner, CO_DONE, "of the inner generator");
	learner.destroy(inner);
	learner.destroy(outer);
	inner = make(k, body_peeker, NULL, STACK);
	outer = body_peek_target = make(k, body_driver, inner, STACK);
	kata_expect_int(k, "driver of the peeker: yielded value",
			send(k, outer, 0, CO_YIELDED, "driver"), 1004);
	kata_expect_int(k, "co_state of the driver, seen by the coroutine it "
			"sent to", body_trace[0], CO_RUNNING);
	kata_expect_int(k, "co_send to the driver from the coroutine it sent "
			"to", body_trace[1], -EBUSY);
	kata_expect_int(k, "driver: returned value",
			send(k, outer, 0, CO_RETURNED, "driver"), 6);
}

/* ---- registers, numbers, depth, memory ----------------------------------- */

static void t_registers(struct kata_ctx *k)
{
	struct co *co;

	kata_concept(k, "a switch must save and restore every callee-saved "
		     "register (rbx, rbp, r12-r15 on x86-64) and the stack "
		     "pointer: the sender's compiled code keeps its variables "
		     "there across the co_send call");
	body_load(k);
	co = make(k, body_clobber, V(1), STACK);
	KATA_REQUIRE(k, body_churn(co, 1000) == body_churn(NULL, 1000),
		     "the sender's local variables changed across co_send: a "
		     "register was not restored by the switch");
	learner.destroy(co);
}

static void t_many(struct kata_ctx *k)
{
	long n = kata_param(k, "coroutines", 10000, 1000);
	struct co **all = calloc((size_t)n, sizeof(*all));

	kata_concept(k, "each coroutine has its own stack, so thousands can "
		     "be alive at once, each stopped at its own yield");
	body_load(k);
	KATA_REQUIRE(k, all, "out of memory");
	for (long i = 0; i < n; i++)
		all[i] = make(k, body_counter, V(i), 16 * 1024);
	for (long round = 0; round < 3; round++)
		for (long i = 0; i < n; i++)
			if (send(k, all[i], round ? i : 0, CO_YIELDED,
				 "counter") != i * 4 + round)
				kata_fail(k, "coroutine %ld of %ld, round %ld: "
					  "expected %ld", i, n, round,
					  i * 4 + round);
	for (long i = 0; i < n; i++) {
		if (send(k, all[i], i, CO_RETURNED, "counter") != 3 * i)
			kata_fail(k, "coroutine %ld: sum of the values sent: "
				  "expected %ld", i, 3 * i);
		learner.destroy(all[i]);
	}
	kata_note(k, "%ld coroutines with 16 KiB stacks were alive at once",
		  n);
}

static void t_deep(struct kata_ctx *k)
{
	size_t stack = 256 * 1024;
	uintptr_t probe[3];
	long frame, depth, want = 0;
	struct co *co;

	kata_concept(k, "the stack you give a coroutine is really its stack: "
		     "deep recursion inside it works up to that size (an mmap "
		     "with a guard page below faults cleanly beyond it)");
	body_load(k);
	body_dive(NULL, 2, probe);
	frame = labs((long)(probe[2] - probe[1]));
	depth = (long)stack * 7 / 10 / (frame ? frame : 1);
	for (long d = 1; d <= depth; d++)
		want += (char)d;
	co = make(k, body_diver, V(depth), stack);
	kata_expect_int(k, "recursion: yield from the deepest frame",
			send(k, co, 0, CO_YIELDED, "recursion"), 1);
	kata_expect_int(k, "recursion: value after unwinding",
			send(k, co, 0, CO_RETURNED, "recursion"), want);
	kata_note(k, "recursed %ld frames of %ld bytes in a %zu KiB stack",
		  depth, frame, stack / 1024);
	learner.destroy(co);
}

/* The process's virtual size in KiB (VmSize in /proc/self/status). */
static long vm_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void t_destroy(struct kata_ctx *k)
{
	enum { N = 64, KIB = 256 };
	struct co *co[N];
	long before, during, after;

	kata_concept(k, "co_destroy returns the coroutine's stack to the "
		     "system (munmap), also for one stopped in the middle of "
		     "its function");
	body_load(k);
	before = vm_kib();
	for (int i = 0; i < N; i++) {
		co[i] = make(k, i % 4 ? body_counter : body_squares,
			     V(i % 4 ? i : 0), KIB * 1024);
		if (i % 4 != 1)	/* a quarter never started */
			send(k, co[i], 0, i % 4 ? CO_YIELDED : CO_RETURNED,
			     "setup");
	}
	during = vm_kib();
	KATA_REQUIRE(k, during - before >= N * KIB * 9 / 10, "%d coroutines "
		     "with %d KiB stacks grew the process by %ld KiB: expected "
		     "at least %d KiB", N, KIB, during - before,
		     N * KIB * 9 / 10);
	for (int i = 0; i < N; i++)
		learner.destroy(co[i]);
	after = vm_kib();
	KATA_REQUIRE(k, after - before < N * KIB / 8, "after co_destroy of %d "
		     "coroutines (suspended, never started, done) the process "
		     "still maps %ld KiB more than before: expected under %d "
		     "KiB; co_destroy must munmap each stack", N,
		     after - before, N * KIB / 8);
}

/*
 * Looks up the mapping holding addr in /proc/self/maps: stores its size in
 * *size and returns 1 when a PROT_NONE mapping ends right where it begins
 * (a guard page below it), 0 when not, -1 when addr is in no mapping.
 */
static int guard_below(uintptr_t addr, uintptr_t *size)
{
	char line[512], perms[8], prev_perms[8] = "";
	uintptr_t lo, hi, prev_hi = 0;
	int r = -1;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && r < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (addr >= lo && addr < hi) {
			*size = hi - lo;
			r = prev_hi == lo && !strncmp(prev_perms, "---", 3);
		}
		prev_hi = hi;
		memcpy(prev_perms, perms, sizeof(perms));
	}
	if (f)
		fclose(f);
	return r;
}

static void t_guard(struct kata_ctx *k)
{
	struct co *co;
	uintptr_t size = 0;
	int r;

	kata_concept(k, "a coroutine's stack is its own mmap with a PROT_NONE "
		     "guard page below it: an overflow then faults at once "
		     "instead of overwriting whatever lies below");
	body_load(k);
	for (int i = 0; i < 2; i++) {
		co = make(k, body_where, NULL, STACK);
		send(k, co, 0, CO_YIELDED, "where");
		r = guard_below((uintptr_t)body_trace[0], &size);
		KATA_REQUIRE(k, r >= 0, "a local of the coroutine is in no "
			     "mapping of /proc/self/maps");
		KATA_REQUIRE(k, r == 1, "the coroutine's stack (a mapping of "
			     "%lu KiB) has no PROT_NONE guard page right below "
			     "it: mmap the stack with one more page and "
			     "mprotect the lowest one",
			     (unsigned long)size / 1024);
		KATA_REQUIRE(k, size >= STACK, "the coroutine's stack mapping "
			     "is %lu bytes: expected at least the %d asked for",
			     (unsigned long)size, STACK);
		learner.destroy(co);
	}
}

/* ---- the cost of a switch ------------------------------------------------ */

static void t_switch_cost(struct kata_ctx *k)
{
	long n = kata_param(k, "round_trips", 1000000, 50000);
	struct co *co;
	uint64_t t0;
	double ns;

	kata_concept(k, "a switch costs what it saves: swapcontext also "
		     "saves the signal mask with a system call, a hand-written "
		     "switch saves a few registers");
	body_load(k);
	co = make(k, body_echo, V(0), STACK);
	send(k, co, 0, CO_YIELDED, "echo");
	t0 = timing_now_ns();
	for (long i = 0; i < n; i++)
		if (send(k, co, i, CO_YIELDED, "echo") != i + 1)
			kata_fail(k, "echo coroutine, round trip %ld: expected "
				  "%ld back", i, i + 1);
	ns = (double)(timing_now_ns() - t0) / (double)n;
	kata_note(k, "co_send + co_yield round trip: %.1f ns yours, %.1f ns "
		  "with two swapcontext calls (same run)", ns,
		  body_ucontext_ns(n / 4 > 1000 ? n / 4 : 1000));
	learner.destroy(co);
}

static const struct kata_test tests[] = {
	{ "seed_foo", "the seed's foo(1): priming, send(2) gives 3, then done",
	  t_seed, 0, 1, NULL },
	{ "states", "suspended, running, done; -EBUSY and -EINVAL results",
	  t_states, 0, 1, "seed_foo" },
	{ "bad_args", "co_create refuses a NULL fn and a tiny stack; "
	  "co_destroy(NULL) is allowed", t_bad_args, 0, 1, NULL },
	{ "registers", "the sender's registers survive a switch",
	  t_registers, 0, 1, "seed_foo" },
	{ "squares", "a generator of squares consumed to the end", t_squares,
	  0, 1, NULL },
	{ "running_average", "the seed's running average, printf inside",
	  t_average, 0, 1, "registers" },
	{ "nested", "a coroutine drives another; yields go to the sender",
	  t_nested, 0, 1, "squares" },
	{ "many_alive", "thousands of coroutines alive at once, 16 KiB each",
	  t_many, 20000, 1, "seed_foo" },
	{ "deep_recursion", "recursion to 70% of the stack, yield down there",
	  t_deep, 0, 1, "seed_foo" },
	{ "destroy_frees", "co_destroy unmaps the stack of any coroutine",
	  t_destroy, 0, 1, "seed_foo" },
	{ "guard_page", "each stack is a mapping with a guard page below it",
	  t_guard, 0, 1, "seed_foo" },
	{ "switch_cost", "a million round trips, beside swapcontext",
	  t_switch_cost, 20000, 1, "seed_foo" },
	{ 0 }
};

KATA_GRADER(.kata = "coroutine",
	    .title = "Stackful coroutines with send and yield",
	    .topic = "generators, send/yield, priming with next() (协程)",
	    .order = 80,
	    .tests = tests);
