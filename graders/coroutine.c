/*
 * coroutine.c: the grader of the coroutine kata.
 *
 * Drives the learner's coroutines (katas/coroutine/coroutine.h): the seed's
 * foo(1) with priming, state transitions and error results, a generator of
 * squares, the running average (with printf of a double on the coroutine's
 * stack, which needs a 16-byte aligned stack), a coroutine driving
 * another, callee-saved registers surviving a switch, thousands of
 * coroutines alive at once, deep recursion inside one, stacks returned by
 * co_destroy (VmSize in /proc/self/status), and the cost of a switch
 * beside ucontext's swapcontext measured in the same run.
 *
 * Entry point: the kata_grader descriptor (KATA_GRADER at the end).
 */
#define _GNU_SOURCE
#include "coroutine.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "kata/grader.h"
#include "timing.h"

#define V(x) ((void *)(intptr_t)(x))
#define L(p) ((long)(intptr_t)(p))
#define STACK (64 * 1024)

/* The learner's functions, looked up when a test starts (see load). */
static struct {
	__typeof__(&co_create) create;
	__typeof__(&co_send) send;
	__typeof__(&co_yield) yield;
	__typeof__(&co_state) state;
	__typeof__(&co_destroy) destroy;
} A;

static void load(struct kata_ctx *k)
{
	A.create = KATA_SYM(k, co_create);
	A.send = KATA_SYM(k, co_send);
	A.yield = KATA_SYM(k, co_yield);
	A.state = KATA_SYM(k, co_state);
	A.destroy = KATA_SYM(k, co_destroy);
}

static struct co *make(struct kata_ctx *k, void *(*fn)(struct co *, void *),
		       void *arg, size_t stack)
{
	struct co *co = NULL;

	kata_expect_int(k, "co_create result",
			A.create(fn, arg, stack, &co), 0);
	KATA_REQUIRE(k, co, "co_create returned 0 but left *out NULL");
	return co;
}

/* Sends v, checks the result code, and returns what came back. */
static long send(struct kata_ctx *k, struct co *co, long v, int want,
		 const char *what)
{
	void *out = V(-1);
	int r = A.send(co, V(v), &out);

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
	enum co_state s = A.state(co);

	if (s != want)
		kata_fail(k, "co_state %s: expected %s, got %s (%d)", when,
			  names[want], (unsigned)s < 3 ? names[s] : "?", s);
}

/* ---- the seed's foo(1), states, errors ---------------------------------- */

static long trace[4];		/* what the coroutine saw, in order */

static void *foo(struct co *co, void *arg)
{
	long a = L(arg), b, c;

	trace[0] = a;
	b = L(A.yield(co, V(a)));
	trace[1] = b;
	c = L(A.yield(co, V(a + b)));
	trace[2] = c;
	return V(a + b + c);
}

static void t_seed(struct kata_ctx *k)
{
	struct co *co;

	kata_concept(k, "the first send only primes the coroutine (Python's "
		     "next()): it runs fn up to its first yield; each later "
		     "send becomes the result of that yield");
	load(k);
	trace[0] = -1;
	co = make(k, foo, V(1), STACK);
	KATA_REQUIRE(k, trace[0] == -1, "co_create ran the function: "
		     "expected it to wait for the first co_send");
	kata_expect_int(k, "foo(1): the first send (priming) yields a",
			send(k, co, 0, CO_YIELDED, "priming"), 1);
	kata_expect_int(k, "foo(1): send(2) yields a + b",
			send(k, co, 2, CO_YIELDED, "send(2)"), 3);
	kata_expect_int(k, "foo(1): b inside the coroutine", trace[1], 2);
	kata_expect_int(k, "foo(1): send(99) returns a + b + c",
			send(k, co, 99, CO_RETURNED, "send(99)"), 102);
	kata_expect_int(k, "foo(1): c inside the coroutine", trace[2], 99);
	A.destroy(co);
}

static void *watcher(struct co *co, void *arg)
{
	void *out;

	(void)arg;
	trace[0] = A.state(co);
	trace[1] = A.send(co, V(5), &out);
	A.yield(co, V(7));
	return V(8);
}

static void t_states(struct kata_ctx *k)
{
	struct co *co;
	void *out = V(-1);

	kata_concept(k, "a coroutine is suspended (created or in a yield), "
		     "running, or done; a send it cannot serve is an error "
		     "result, never a jump into a dead stack");
	load(k);
	co = make(k, watcher, NULL, STACK);
	expect_state(k, co, CO_SUSPENDED, "after co_create");
	kata_expect_int(k, "first send", send(k, co, 0, CO_YIELDED,
					      "priming"), 7);
	kata_expect_int(k, "co_state seen by the coroutine while it runs",
			trace[0], CO_RUNNING);
	kata_expect_int(k, "co_send from a coroutine to itself", trace[1],
			-EBUSY);
	expect_state(k, co, CO_SUSPENDED, "after a yield");
	kata_expect_int(k, "last send", send(k, co, 0, CO_RETURNED, "end"),
			8);
	expect_state(k, co, CO_DONE, "after the function returned");
	kata_expect_int(k, "co_send to a finished coroutine",
			A.send(co, V(1), &out), -EINVAL);
	KATA_REQUIRE(k, out == V(-1), "co_send to a finished coroutine "
		     "changed *out: expected it untouched");
	A.destroy(co);
}

static void t_bad_args(struct kata_ctx *k)
{
	struct co *co = NULL;

	kata_concept(k, "co_create checks its arguments: a function, and a "
		     "stack of at least CO_MIN_STACK bytes");
	load(k);
	A.destroy(make(k, foo, NULL, CO_MIN_STACK));
	kata_expect_int(k, "co_create with stack_size CO_MIN_STACK - 1",
			A.create(foo, NULL, CO_MIN_STACK - 1, &co), -EINVAL);
	kata_expect_int(k, "co_create with a NULL fn",
			A.create(NULL, NULL, STACK, &co), -EINVAL);
}

/* ---- generators ---------------------------------------------------------- */

static void *squares(struct co *co, void *arg)
{
	for (long i = 0; i < L(arg); i++)
		A.yield(co, V(i * i));
	return arg;
}

static void t_squares(struct kata_ctx *k)
{
	struct co *co;
	void *out;
	long n = 0;
	int r;

	kata_concept(k, "a generator is a coroutine that only yields: each "
		     "send (next) runs it to its next yield, and the last one "
		     "sees it return");
	load(k);
	co = make(k, squares, V(10), STACK);
	while ((r = A.send(co, NULL, &out)) == CO_YIELDED && n <= 10) {
		kata_expect_int(k, "squares(10): yielded value", L(out), n * n);
		n++;
	}
	kata_expect_int(k, "squares(10): co_send after the last yield", r,
			CO_RETURNED);
	kata_expect_int(k, "squares(10): values yielded", n, 10);
	kata_expect_int(k, "squares(10): return value", L(out), 10);
	expect_state(k, co, CO_DONE, "after the generator returned");
	A.destroy(co);
}

struct avg {
	double value;
	char text[32];
};

/* The seed's running average: term = yield average. */
static void *averager(struct co *co, void *arg)
{
	struct avg a = { 0 };
	double total = 0, *term;
	long count = 0;

	(void)arg;
	term = A.yield(co, NULL);
	for (;;) {
		total += *term;
		a.value = total / (double)++count;
		snprintf(a.text, sizeof(a.text), "%.3f", a.value);
		term = A.yield(co, &a);
	}
	return NULL;
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
	load(k);
	co = make(k, averager, NULL, STACK);
	KATA_REQUIRE(k, A.send(co, NULL, &out) == CO_YIELDED && !out,
		     "averager: priming send: expected CO_YIELDED with NULL "
		     "(no average yet)");
	for (int i = 0; i < 5; i++) {
		int r = A.send(co, (void *)&terms[i], &out);
		const struct avg *a = out;

		kata_expect_int(k, "averager: co_send result", r, CO_YIELDED);
		KATA_REQUIRE(k, a && !strcmp(a->text, want[i]), "averager "
			     "after sending %g: expected %s, got %s", terms[i],
			     want[i], a ? a->text : "NULL");
	}
	A.destroy(co);
}

/* Yields 1000 + each value of the generator it drives, then its result. */
static void *driver(struct co *co, void *arg)
{
	struct co *inner = arg;
	void *v;
	int r;

	while ((r = A.send(inner, NULL, &v)) == CO_YIELDED)
		A.yield(co, V(1000 + L(v)));
	return r == CO_RETURNED ? V(L(v) + 1) : V(r);
}

static struct co *peek_target;	/* the driver of the peeker */

static void *peeker(struct co *co, void *arg)
{
	void *out;

	(void)arg;
	trace[0] = A.state(peek_target);
	trace[1] = A.send(peek_target, NULL, &out);
	A.yield(co, V(4));
	return V(5);
}

static void t_nested(struct kata_ctx *k)
{
	static const long want[] = { 1000, 1001, 1004, 1009, 1016 };
	struct co *outer, *inner;

	kata_concept(k, "a yield goes back to whoever sent, so a coroutine "
		     "can drive another one like a function call: remember "
		     "the sender per coroutine, not in one global");
	load(k);
	inner = make(k, squares, V(5), STACK);
	outer = make(k, driver, inner, STACK);
	for (int i = 0; i < 5; i++)
		kata_expect_int(k, "driver of squares(5): yielded value",
				send(k, outer, 0, CO_YIELDED, "driver"),
				want[i]);
	kata_expect_int(k, "driver: returned value",
			send(k, outer, 0, CO_RETURNED, "driver"), 6);
	expect_state(k, inner, CO_DONE, "of the inner generator");
	A.destroy(inner);
	A.destroy(outer);
	inner = make(k, peeker, NULL, STACK);
	outer = peek_target = make(k, driver, inner, STACK);
	kata_expect_int(k, "driver of the peeker: yielded value",
			send(k, outer, 0, CO_YIELDED, "driver"), 1004);
	kata_expect_int(k, "co_state of the driver, seen by the coroutine it "
			"sent to", trace[0], CO_RUNNING);
	kata_expect_int(k, "co_send to the driver from the coroutine it sent "
			"to", trace[1], -EBUSY);
	kata_expect_int(k, "driver: returned value",
			send(k, outer, 0, CO_RETURNED, "driver"), 6);
}

/* ---- registers, numbers, depth, memory ----------------------------------- */

/* Churns through many registers between yields. */
static void *clobber(struct co *co, void *arg)
{
	unsigned long a = L(arg), b = 2, c = 3, d = 4, e = 5, f = 6;

	for (;;) {
		for (int i = 0; i < 8; i++) {
			a = a * 31 + b;
			b ^= c << 1;
			c += d * 7;
			d = e ^ a;
			e += f;
			f = a + c;
		}
		A.yield(co, V(a ^ b ^ c ^ d ^ e ^ f));
	}
	return NULL;
}

/* Six values live across every co_send: callee-saved registers. */
static unsigned long churn(struct co *co, int n)
{
	unsigned long a = 11, b = 12, c = 13, d = 14, e = 15, f = 16;
	void *out;

	for (int i = 0; i < n; i++) {
		if (co)
			A.send(co, NULL, &out);
		a = a * 33 + f;
		b = b * 5 + a;
		c ^= b + (unsigned long)i;
		d += c;
		e = e * 7 + d;
		f ^= e;
	}
	return a ^ b ^ c ^ d ^ e ^ f;
}

static void t_registers(struct kata_ctx *k)
{
	struct co *co;

	kata_concept(k, "a switch must save and restore every callee-saved "
		     "register (rbx, rbp, r12-r15 on x86-64) and the stack "
		     "pointer: the sender's compiled code keeps its variables "
		     "there across the co_send call");
	load(k);
	co = make(k, clobber, V(1), STACK);
	KATA_REQUIRE(k, churn(co, 1000) == churn(NULL, 1000), "the sender's "
		     "local variables changed across co_send: a register was "
		     "not restored by the switch");
	A.destroy(co);
}

/* Yields id * 4 + round; sums what it receives; returns the sum. */
static void *counter(struct co *co, void *arg)
{
	long id = L(arg), sum = 0;

	for (long round = 0; round < 3; round++)
		sum += L(A.yield(co, V(id * 4 + round)));
	return V(sum);
}

static void t_many(struct kata_ctx *k)
{
	long n = kata_param(k, "coroutines", 10000, 1000);
	struct co **all = calloc((size_t)n, sizeof(*all));

	kata_concept(k, "each coroutine has its own stack, so thousands can "
		     "be alive at once, each stopped at its own yield");
	load(k);
	KATA_REQUIRE(k, all, "out of memory");
	for (long i = 0; i < n; i++)
		all[i] = make(k, counter, V(i), 16 * 1024);
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
		A.destroy(all[i]);
	}
	kata_note(k, "%ld coroutines with 16 KiB stacks were alive at once",
		  n);
}

/* Recursion with a real frame; yields at the bottom. */
static __attribute__((noinline)) long dive(struct co *co, long depth,
					   uintptr_t *probe)
{
	volatile char pad[96];
	long r;

	pad[depth % 96] = (char)depth;
	if (probe) {
		probe[depth] = (uintptr_t)pad;
		if (depth == 1)
			return 0;
	} else if (depth == 0) {
		return L(A.yield(co, V(1)));
	}
	r = dive(co, depth - 1, probe) + pad[depth % 96];
	return r;
}

static void *diver(struct co *co, void *arg)
{
	return V(dive(co, L(arg), NULL));
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
	load(k);
	dive(NULL, 2, probe);
	frame = labs((long)(probe[2] - probe[1]));
	depth = (long)stack * 7 / 10 / (frame ? frame : 1);
	for (long d = 1; d <= depth; d++)
		want += (char)d;
	co = make(k, diver, V(depth), stack);
	kata_expect_int(k, "recursion: yield from the deepest frame",
			send(k, co, 0, CO_YIELDED, "recursion"), 1);
	kata_expect_int(k, "recursion: value after unwinding",
			send(k, co, 0, CO_RETURNED, "recursion"), want);
	kata_note(k, "recursed %ld frames of %ld bytes in a %zu KiB stack",
		  depth, frame, stack / 1024);
	A.destroy(co);
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
	load(k);
	before = vm_kib();
	for (int i = 0; i < N; i++) {
		co[i] = make(k, i % 4 ? counter : squares, V(i % 4 ? i : 0),
			     KIB * 1024);
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
		A.destroy(co[i]);
	after = vm_kib();
	KATA_REQUIRE(k, after - before < N * KIB / 8, "after co_destroy of %d "
		     "coroutines (suspended, never started, done) the process "
		     "still maps %ld KiB more than before: expected under %d "
		     "KiB; co_destroy must munmap each stack", N,
		     after - before, N * KIB / 8);
}

/* ---- the cost of a switch ------------------------------------------------ */

static void *echo(struct co *co, void *arg)
{
	for (long v = L(arg);;)
		v = L(A.yield(co, V(v + 1)));
	return NULL;
}

static ucontext_t uc_main, uc_co;

static void uc_echo(void)
{
	for (;;)
		swapcontext(&uc_co, &uc_main);
}

/* ns per round trip (two swapcontext calls) over n round trips. */
static double ucontext_ns(long n)
{
	static char stack[64 * 1024];
	uint64_t t0;

	getcontext(&uc_co);
	uc_co.uc_stack.ss_sp = stack;
	uc_co.uc_stack.ss_size = sizeof(stack);
	uc_co.uc_link = NULL;
	makecontext(&uc_co, uc_echo, 0);
	t0 = timing_now_ns();
	for (long i = 0; i < n; i++)
		swapcontext(&uc_main, &uc_co);
	return (double)(timing_now_ns() - t0) / (double)n;
}

static void t_switch_cost(struct kata_ctx *k)
{
	long n = kata_param(k, "round_trips", 1000000, 50000);
	struct co *co;
	uint64_t t0;
	double ns;

	kata_concept(k, "a switch costs what it saves: swapcontext also "
		     "saves the signal mask with a system call, a hand-written "
		     "switch saves a few registers");
	load(k);
	co = make(k, echo, V(0), STACK);
	send(k, co, 0, CO_YIELDED, "echo");
	t0 = timing_now_ns();
	for (long i = 0; i < n; i++)
		if (send(k, co, i, CO_YIELDED, "echo") != i + 1)
			kata_fail(k, "echo coroutine, round trip %ld: expected "
				  "%ld back", i, i + 1);
	ns = (double)(timing_now_ns() - t0) / (double)n;
	kata_note(k, "co_send + co_yield round trip: %.1f ns yours, %.1f ns "
		  "with two swapcontext calls (same run)", ns,
		  ucontext_ns(n / 4 > 1000 ? n / 4 : 1000));
	A.destroy(co);
}

static const struct kata_test tests[] = {
	{ "seed_foo", "the seed's foo(1): priming, send(2) gives 3, then done",
	  t_seed, 0, 1, NULL },
	{ "states", "suspended, running, done; -EBUSY and -EINVAL results",
	  t_states, 0, 1, "seed_foo" },
	{ "bad_args", "co_create refuses a NULL fn and a tiny stack",
	  t_bad_args, 0, 1, NULL },
	{ "squares", "a generator of squares consumed to the end", t_squares,
	  0, 1, NULL },
	{ "running_average", "the seed's running average, printf inside",
	  t_average, 0, 1, NULL },
	{ "nested", "a coroutine drives another; yields go to the sender",
	  t_nested, 0, 1, "squares" },
	{ "registers", "the sender's registers survive a switch",
	  t_registers, 0, 1, "seed_foo" },
	{ "many_alive", "thousands of coroutines alive at once, 16 KiB each",
	  t_many, 20000, 1, "seed_foo" },
	{ "deep_recursion", "recursion to 70% of the stack, yield down there",
	  t_deep, 0, 1, "seed_foo" },
	{ "destroy_frees", "co_destroy unmaps the stack of any coroutine",
	  t_destroy, 0, 1, "seed_foo" },
	{ "switch_cost", "a million round trips, beside swapcontext",
	  t_switch_cost, 20000, 1, "seed_foo" },
	{ 0 }
};

KATA_GRADER(.kata = "coroutine",
	    .title = "Stackful coroutines with send and yield",
	    .topic = "generators, send/yield, priming with next() (协程)",
	    .order = 80,
	    .tests = tests);
