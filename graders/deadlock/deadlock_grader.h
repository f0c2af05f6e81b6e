/*
 * deadlock_grader.h: private to the deadlock grader (graders/deadlock.c
 * and the files in graders/deadlock/), not part of any API.
 *
 * crew.c (crew_*): the "crew" of watched worker threads that call the
 * learner's code, each ticking a progress counter.  watchdog.c (wd_*):
 * when a worker stops ticking, names the lock cycle (or says why there is
 * none) instead of just timing out.  transfers.c (xfer_*): what the bank
 * tests' workers and hooks do.  probe.c (probe_*): one call made while the
 * test holds an account lock.  rlock.c (rl_*): what the recursive lock
 * tests' threads do.
 */
#ifndef DEADLOCK_GRADER_H
#define DEADLOCK_GRADER_H

#include "deadlock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <kata/grader.h>

#define MAX_WORKERS 12

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

struct crew;

/* One watched thread of a crew, running body. */
struct worker {
	struct crew *c;
	int id;
	char name[12];
	pthread_t t;
	_Atomic pid_t tid;
	_Atomic unsigned long progress;
	_Atomic bool done;
	bool until_stop;		/* runs until the others are done */
	void (*body)(struct worker *w);
	unsigned long ok, hooked;	/* successful transfers, hook calls */
};

/* The workers of one test, and what they share. */
struct crew {
	struct kata_ctx *k;
	struct bank *b;
	struct rlock *l;
	int n;
	struct worker w[MAX_WORKERS];
	_Atomic int ready;		/* workers started: go when all are */
	_Atomic bool stop;		/* the checker's signal to end */
	long iters, expect;
	uint64_t seed;
	volatile long shared;		/* rlock_stress's unguarded counter */
	_Atomic int inside;		/* rlock_stress: threads owning it */
	_Atomic long arrived;		/* overlap's rendezvous */
	_Atomic long hooks;		/* hook calls (xfer_hook_count) */
	bool release_first;		/* the contender tries rlock_release */
};

/* The learner's functions, looked up by the tests' must_*init. */
struct learner_fns {
	__typeof__(&bank_init) init;
	__typeof__(&bank_transfer) transfer;
	__typeof__(&bank_total) total;
	__typeof__(&rlock_init) rinit;
	__typeof__(&rlock_acquire) acquire;
	__typeof__(&rlock_release) release;
};

extern struct learner_fns learner;

/* ---- crew.c ------------------------------------------------------------- */

/* The worker the calling thread runs, or NULL outside a crew. */
extern _Thread_local struct worker *crew_self;

/* A worker thread (arg: its struct worker): waits for the crew, runs. */
void *crew_main(void *arg);

/* Counts one step of progress of w (inline: it runs in the hot loops). */
static inline void crew_tick(struct worker *w)
{
	atomic_fetch_add_explicit(&w->progress, 1, memory_order_relaxed);
}

/* Returns a new worker of c, named name<id>, that will run body. */
struct worker *crew_add(struct crew *c, const char *name,
			void (*body)(struct worker *w));

/*
 * Starts the crew and watches it until every worker is done.  A worker
 * that does not tick for stall_ms (scaled) is diagnosed and fails the test.
 */
void crew_run(struct crew *c, unsigned stall_ms);

/* Runs body in one watched worker thread, so a hang is diagnosed. */
void crew_solo(struct crew *c, void (*body)(struct worker *w));

/* ---- watchdog.c --------------------------------------------------------- */

/* Fails the test saying why c made no progress for ms: names the cycle. */
_Noreturn void wd_diagnose(struct crew *c, double ms);

/* The address thread tid waits on in futex(), or 0 when it does not. */
unsigned long wd_futex_addr(pid_t tid);

/* The account whose lock thread tid waits for, or -1. */
int wd_waits_for(struct bank *b, pid_t tid);

/* ---- transfers.c -------------------------------------------------------- */

/* Worker bodies of the bank tests. */
void xfer_basic_steps(struct worker *w);	/* the table of steps */
void xfer_same_account(struct worker *w);	/* from == to */
void xfer_hook_steps(struct worker *w);		/* hook calls counted */
void xfer_pair(struct worker *w);		/* 2 * id -> 2 * id + 1 */
void xfer_opposite(struct worker *w);		/* id -> !id, c->iters */
void xfer_random(struct worker *w);		/* random, c->iters */
void xfer_check_total(struct worker *w);	/* bank_total until stop */

/*
 * Hooks, arg the crew: xfer_hook_count counts calls, failing unless both
 * account locks are held; xfer_hook_meet does that, then waits (bounded)
 * until a second transfer is inside its critical section too;
 * xfer_hook_stress fails on a negative balance, yielding now and then.
 */
void xfer_hook_count(struct bank *b, int from, int to, void *arg);
void xfer_hook_meet(struct bank *b, int from, int to, void *arg);
void xfer_hook_stress(struct bank *b, int from, int to, void *arg);

/* ---- probe.c ------------------------------------------------------------ */

/* One learner call made while the test thread holds an account lock. */
struct probe {
	struct kata_ctx *k;
	struct bank *b;
	bool total;			/* bank_total, else bank_transfer */
	int from, to;
	long amount;
	long result;			/* what the call returned */
	pthread_t t;
	_Atomic pid_t tid;
	_Atomic bool done;
};

/* Starts p's call; returns once it waits in futex() or has returned. */
void probe_start(struct probe *p);

/* The first account in first..last whose lock is held, or -1. */
int probe_held(struct probe *p, int first, int last);

/* Joins p's call (bounded); fails the test if it does not return. */
void probe_finish(struct probe *p);

/* ---- rlock.c ------------------------------------------------------------ */

/* Worker bodies of the recursive lock tests. */
void rl_reenter(struct worker *w);	/* 3 acquires, 3 releases, 1 more */
void rl_nested(struct worker *w);	/* guarded lost update, c->iters */

/*
 * Starts a second thread that acquires c->l (after a release it does not
 * own if c->release_first); returns once it is blocked or has the lock.
 */
void rl_start_contender(struct crew *c, pthread_t *t);

/* Fails the test if the contender got the lock (why: when). */
void rl_expect_blocked(struct crew *c, const char *why);

/*
 * A spurious wakeup for the contender: broadcasts c->l->c while holding
 * c->l->m, then waits (bounded) until it sleeps on c->l->c again or has
 * the lock.
 */
void rl_spurious(struct crew *c);

/* Fails the test unless the contender gets the lock and finishes. */
void rl_finish_contender(struct crew *c, pthread_t t);

#pragma GCC visibility pop

#endif
