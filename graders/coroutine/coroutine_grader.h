/*
 * coroutine_grader.h: private to the coroutine grader (graders/coroutine.c
 * and graders/coroutine/bodies.c), not part of any API.
 *
 * bodies.c (body_*): the learner's functions as looked up for the running
 * test (learner, body_load), the functions the tests run as coroutines with
 * the state they leave behind, and the swapcontext yardstick of the
 * switch-cost test.
 */
#ifndef COROUTINE_GRADER_H
#define COROUTINE_GRADER_H

#include "coroutine.h"

#include <stdint.h>

#include "kata/grader.h"

#define V(x) ((void *)(intptr_t)(x))
#define L(p) ((long)(intptr_t)(p))
#define STACK (64 * 1024)

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* The learner's functions, looked up when a test starts (body_load). */
struct learner_fns {
	__typeof__(&co_create) create;
	__typeof__(&co_send) send;
	__typeof__(&co_yield) yield;
	__typeof__(&co_state) state;
	__typeof__(&co_destroy) destroy;
};

extern struct learner_fns learner;

/* Fills `learner` from the kata under test. */
void body_load(struct kata_ctx *k);

/* What the coroutines saw, in order (body_foo, body_watcher, body_peeker). */
extern long body_trace[4];

/* The driver body_peeker looks at and sends to. */
extern struct co *body_peek_target;

/* The seed's foo(a): yields a, then a + b; returns a + b + c. */
void *body_foo(struct co *co, void *arg);

/* Records its own state and a send to itself in body_trace; yields 7. */
void *body_watcher(struct co *co, void *arg);

/* A generator: yields i * i for i < arg, returns arg. */
void *body_squares(struct co *co, void *arg);

/* What body_averager yields: the average and its printf text. */
struct avg {
	double value;
	char text[32];
};

/* The seed's running average: term = yield average (a struct avg *). */
void *body_averager(struct co *co, void *arg);

/* Yields 1000 + each value of the generator arg; returns its result + 1. */
void *body_driver(struct co *co, void *arg);

/* Records body_peek_target's state and a send to it; yields 4. */
void *body_peeker(struct co *co, void *arg);

/* Churns through many registers between yields. */
void *body_clobber(struct co *co, void *arg);

/*
 * Keeps six values live across n co_sends to co (none when co is NULL).
 * Returns their mix, the same with and without co if registers survive.
 */
unsigned long body_churn(struct co *co, int n);

/* Yields id * 4 + round; sums what it receives; returns the sum. */
void *body_counter(struct co *co, void *arg);

/*
 * Recursion with a real frame: with probe, records each frame's address
 * down to depth 1 and returns 0; without, yields 1 at the bottom and
 * returns the sum of what it received and its pad bytes.
 */
long body_dive(struct co *co, long depth, uintptr_t *probe);

/* body_dive to depth arg inside a coroutine. */
void *body_diver(struct co *co, void *arg);

/* Notes the address of one of its locals in body_trace[0]; yields 1. */
void *body_where(struct co *co, void *arg);

/* Yields each value received plus 1, forever. */
void *body_echo(struct co *co, void *arg);

/* ns per round trip (two swapcontext calls) over n round trips. */
double body_ucontext_ns(long n);

#pragma GCC visibility pop

#endif
