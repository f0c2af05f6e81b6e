/*
 * pc_grader.h: private to the producer_consumer grader
 * (graders/producer_consumer.c, graders/producer_consumer/calls.c and
 * runs.c), not part of any API.
 *
 * calls.c (call_*): one queue call run in a grader thread, so that a test
 * can see it asleep in the kernel, wake it for nothing, and check what it
 * returned.  runs.c (run_*): the items, the produce and handle callbacks
 * the grader hands pc_run, and a watchdog that says why a pipeline stopped
 * moving instead of letting it time out.
 */
#ifndef PC_GRADER_H
#define PC_GRADER_H

#include "producer_consumer.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kata/grader.h"

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

#define NOTHING ((void *)(uintptr_t)0xdeadbeef)	/* *item before a get */

/* ---- calls.c ------------------------------------------------------------ */

enum op { OP_PUT, OP_GET, OP_JOIN, OP_CONSUME };

struct call {
	struct kata_ctx *k;
	struct pc_queue *q;
	enum op op;
	void *item;		/* OP_PUT: what it puts; OP_GET: what it got */
	const struct pc_job *job;	/* OP_CONSUME */
	atomic_int tid, done;
	int r;
	pthread_t t;
};

/* Runs op on q in a grader thread (returns once it runs). */
void call_start(struct kata_ctx *k, struct call *c, struct pc_queue *q,
		enum op op, void *item);

/* As call_start, then checks the call went to sleep without returning. */
void call_asleep(struct kata_ctx *k, struct call *c, struct pc_queue *q,
		 enum op op, void *item);

/* Waits (bounded) for c to return, and checks it returned want. */
void call_done(struct kata_ctx *k, struct call *c, int want,
	       const char *after);

/* Checks that c, after `what` (which must not end it), sleeps again. */
void call_still_waits(struct kata_ctx *k, struct call *c, const char *what);

/* Broadcasts cond of q under q->lock with nothing changed. */
void call_spurious(struct pc_queue *q, pthread_cond_t *cond);

/* A queue made with pcq_init(cap), checked. */
void call_init(struct kata_ctx *k, struct pc_queue *q, size_t cap);

/* pcq_get into *item, checked to return 0 (what: the step's name). */
void call_get(struct kata_ctx *k, struct pc_queue *q, void **item,
	      const char *what);

/* pcq_put of item, checked to return 0. */
void call_put(struct kata_ctx *k, struct pc_queue *q, void *item);

/* ---- runs.c ------------------------------------------------------------- */

/* One pipeline: its job, its items and what the callbacks saw. */
struct run {
	struct kata_ctx *k;
	struct pc_queue q;
	struct pc_job job;
	size_t cap;
	long per;		/* items per producer */
	long total;		/* producers * per */
	unsigned fail_mod;	/* items with id % fail_mod == 1 fail */
	bool gate;		/* handlers wait until run_open_gate */
	bool plain;		/* no checks in the callbacks (throughput) */
	void (*during)(struct run *u);	/* the watchdog runs it first */
	unsigned long *ids;	/* ids[i] == i: the items */
	atomic_uchar *seen;	/* times each item was handled */
	atomic_long *next;	/* next item of each producer */
	atomic_int ptid[PC_MAX_THREADS];	/* each producer's thread */
	atomic_long produced, entered, handled, failures, max_held;
	atomic_long dups, garbage, bad_who;
	atomic_int in_gate, gate_open, returned;
	unsigned long failed;	/* what pc_run said */
	int r;
	int base_threads;
};

/* Sets up u for P producers of per items each and C consumers. */
void run_setup(struct kata_ctx *k, struct run *u, unsigned p, unsigned c,
	       long per, size_t cap, enum pc_stop stop);

/* Runs pc_run on u under the watchdog; returns the ms it took. */
double run_go(struct run *u);

/* Checks everything a finished run must satisfy, then destroys its q. */
void run_check(struct run *u, const char *what);

/* The same items through produce and handle in one thread: ms. */
double run_alone(struct run *u);

/* The number of items pc_run must have handled but is holding. */
long run_held(struct run *u);

/* Waits until n handlers wait at the gate and every producer sleeps. */
void run_settle(struct run *u, int n);

/* Lets the handlers at the gate (and every later one) go on. */
void run_open_gate(struct run *u);

#pragma GCC visibility pop

#endif
