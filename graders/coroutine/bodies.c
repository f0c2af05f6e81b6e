/*
 * bodies.c (coroutine grader): what the tests run inside the learner's
 * coroutines, and the yardstick they are measured against.
 *
 * The learner's functions for the running test (learner, body_load); the
 * coroutine functions (body_foo, body_watcher, body_squares, body_averager,
 * body_driver, body_peeker, body_clobber, body_counter, body_diver,
 * body_where, body_echo) and the state they leave in body_trace;
 * body_churn and
 * body_dive, run on the sender's side too; and body_ucontext_ns, the same
 * round trip through swapcontext.
 */
#define _GNU_SOURCE
#include "coroutine_grader.h"

#include <stdio.h>
#include <ucontext.h>

#include "timing.h"

struct learner_fns learner;

void body_load(struct kata_ctx *k)
{
	learner.create = KATA_SYM(k, co_create);
	learner.send = KATA_SYM(k, co_send);
	learner.yield = KATA_SYM(k, co_yield);
	learner.state = KATA_SYM(k, co_state);
	learner.destroy = KATA_SYM(k, co_destroy);
}

long body_trace[4];

void *body_foo(struct co *co, void *arg)
{
	long a = L(arg), b, c;

	body_trace[0] = a;
	b = L(learner.yield(co, V(a)));
	body_trace[1] = b;
	c = L(learner.yield(co, V(a + b)));
	body_trace[2] = c;
	return V(a + b + c);
}

void *body_watcher(struct co *co, void *arg)
{
	void *out;

	(void)arg;
	body_trace[0] = learner.state(co);
	body_trace[1] = learner.send(co, V(5), &out);
	learner.yield(co, V(7));
	return V(8);
}

void *body_squares(struct co *co, void *arg)
{
	for (long i = 0; i < L(arg); i++)
		learner.yield(co, V(i * i));
	return arg;
}

/* The seed's running average: term = yield average. */
void *body_averager(struct co *co, void *arg)
{
	struct avg a = { 0 };
	double total = 0, *term;
	long count = 0;

	(void)arg;
	term = learner.yield(co, NULL);
	for (;;) {
		total += *term;
		a.value = total / (double)++count;
		snprintf(a.text, sizeof(a.text), "%.3f", a.value);
		term = learner.yield(co, &a);
	}
	return NULL;
}

/* Yields 1000 + each value of the generator it drives, then its result. */
void *body_driver(struct co *co, void *arg)
{
	struct co *inner = arg;
	void *v;
	int r;

	while ((r = learner.send(inner, NULL, &v)) == CO_YIELDED)
		learner.yield(co, V(1000 + L(v)));
	return r == CO_RETURNED ? V(L(v) + 1) : V(r);
}

struct co *body_peek_target;

void *body_peeker(struct co *co, void *arg)
{
	void *out;

	(void)arg;
	body_trace[0] = learner.state(body_peek_target);
	body_trace[1] = learner.send(body_peek_target, NULL, &out);
	learner.yield(co, V(4));
	return V(5);
}

/* Churns through many registers between yields. */
void *body_clobber(struct co *co, void *arg)
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
		learner.yield(co, V(a ^ b ^ c ^ d ^ e ^ f));
	}
	return NULL;
}

/* Six values live across every co_send: callee-saved registers. */
unsigned long body_churn(struct co *co, int n)
{
	unsigned long a = 11, b = 12, c = 13, d = 14, e = 15, f = 16;
	void *out;

	for (int i = 0; i < n; i++) {
		if (co)
			learner.send(co, NULL, &out);
		a = a * 33 + f;
		b = b * 5 + a;
		c ^= b + (unsigned long)i;
		d += c;
		e = e * 7 + d;
		f ^= e;
	}
	return a ^ b ^ c ^ d ^ e ^ f;
}

/* Yields id * 4 + round; sums what it receives; returns the sum. */
void *body_counter(struct co *co, void *arg)
{
	long id = L(arg), sum = 0;

	for (long round = 0; round < 3; round++)
		sum += L(learner.yield(co, V(id * 4 + round)));
	return V(sum);
}

/* Recursion with a real frame; yields at the bottom. */
__attribute__((noinline)) long body_dive(struct co *co, long depth,
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
		return L(learner.yield(co, V(1)));
	}
	r = body_dive(co, depth - 1, probe) + pad[depth % 96];
	return r;
}

void *body_diver(struct co *co, void *arg)
{
	return V(body_dive(co, L(arg), NULL));
}

/* Notes the address of a local in body_trace[0], then yields it. */
void *body_where(struct co *co, void *arg)
{
	volatile char here = 1;

	(void)arg;
	body_trace[0] = (long)(uintptr_t)&here;
	learner.yield(co, V(here));
	return NULL;
}

void *body_echo(struct co *co, void *arg)
{
	for (long v = L(arg);;)
		v = L(learner.yield(co, V(v + 1)));
	return NULL;
}

static ucontext_t uc_main, uc_co;

static void uc_echo(void)
{
	for (;;)
		swapcontext(&uc_co, &uc_main);
}

/* ns per round trip (two swapcontext calls) over n round trips. */
double body_ucontext_ns(long n)
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
