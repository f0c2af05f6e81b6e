/*
 * priority_queue_grader.h: private to the priority_queue grader
 * (graders/priority_queue.c, graders/priority_queue/calls.c and stress.c),
 * not part of any API.
 *
 * calls.c (call_*): a queue call run in a grader thread so that the test can
 * watch it wait (and hold it, woken, before it runs), and the timing
 * yardstick of the timed calls.  stress.c (stress_*): the producer/consumer
 * stress and its plain mutex+condvar ring measured beside it.
 */
#ifndef PRIORITY_QUEUE_GRADER_H
#define PRIORITY_QUEUE_GRADER_H

#include "priority_queue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kata/grader.h"

#define V(x) ((void *)(uintptr_t)(x))
#define U(p) ((unsigned long)(uintptr_t)(p))
#define NOTHING V(0xdeadbeef)	/* what *item holds before a get */

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* ---- calls.c ------------------------------------------------------------- */

/* A queue call run in a grader thread, so the test can watch it wait. */
enum op { OP_GET, OP_PUT, OP_JOIN, OP_LATE_GET, OP_LATE_PUT };

struct call {
	struct kata_ctx *k;
	struct pq *q;
	enum op op;
	void *item;
	unsigned late_ms;	/* OP_LATE_*: try once after this delay */
	atomic_int tid, done;
	int r;
	pthread_t t;
};

/* Runs op in a grader thread after late_ms (see call_done). */
void call_late(struct kata_ctx *k, struct call *c, struct pq *q, enum op op,
	       void *item, unsigned late_ms);

/* Runs op in a grader thread at once (see call_done). */
void call_start(struct kata_ctx *k, struct call *c, struct pq *q, enum op op,
		void *item);

/* Starts c and checks it is asleep in the kernel, not returned. */
void call_blocked(struct kata_ctx *k, struct call *c, struct pq *q,
		  enum op op, void *item);

/*
 * After c, asleep, was woken (and its item taken by another thread):
 * waits, bounded, until it has returned or sleeps again.
 */
void call_resettle(struct kata_ctx *k, struct call *c);

/* Waits for c to return and checks its result. */
void call_done(struct kata_ctx *k, struct call *c, int want,
	       const char *after);

/*
 * Holds the n waiting calls c[0..n-1] in a SIGUSR2 handler (returns once
 * they all are there): woken, they cannot run until call_unpark.
 */
void call_park(struct kata_ctx *k, struct call *c, int n);

/* Lets the parked calls go on (waits, bounded, until they left). */
void call_unpark(struct kata_ctx *k);

/* The yardstick: a plain timed wait of ms, run beside a learner's call. */
struct ref {
	unsigned ms;
	double took;
	pthread_t t;
};

/* Starts the yardstick's timed wait of ms in a grader thread. */
void call_ref_start(struct kata_ctx *k, struct ref *r, unsigned ms);

/*
 * Joins r; fails when got (ms, a learner's timed call of r->ms) is early,
 * or later than r's own wait allows.
 */
void call_check_duration(struct kata_ctx *k, struct ref *r,
			 const char *what, double got);

/* ---- stress.c ------------------------------------------------------------ */

#define NPROD 4
#define NCONS 4
#define NPRIO 4

/* One producer/consumer run and what the consumers saw. */
struct stress {
	struct kata_ctx *k;
	void *q;		/* struct pq, or struct ring when !learner */
	bool learner;
	long per;		/* items per producer */
	uint64_t seed;
	atomic_uchar *seen;
	atomic_long got, dups, disorder, bad;
};

/* Runs NPROD producers and NCONS consumers through s; returns ms. */
double stress_run(struct kata_ctx *k, struct stress *s);

/* Checks the counters of a finished run. */
void stress_check(struct kata_ctx *k, struct stress *s);

/*
 * Runs the same threads through a plain FIFO ring (mutex + 2 condvars)
 * with half of s->per items each, reusing s and s->seen (NPROD * per
 * bytes).  Returns ms.
 */
double stress_ring_run(struct kata_ctx *k, struct stress *s);

#pragma GCC visibility pop

#endif
