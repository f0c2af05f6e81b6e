/*
 * semaphore_grader.h: private to the semaphore grader (graders/semaphore.c
 * and the files in graders/semaphore/), not part of any API.
 *
 * run.c (run_*): a test's run, its grader threads and the deadlines the
 * test thread waits for them with.  bodies.c (body_*): what those threads
 * do.  timed.c (timed_*): timed waits that must expire, measured against
 * a reference pthread_cond_timedwait.
 */
#ifndef SEMAPHORE_GRADER_H
#define SEMAPHORE_GRADER_H

#include "semaphore.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include <kata/grader.h>

#define MAX_THREADS 16
#define TIMED_MS 50		/* the timed waits' timeout */
#define LONG_MS 1000		/* a timeout that must not be reached */

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* The learner's functions, looked up by run_sem_start / run_event_start. */
struct learner_fns {
	__typeof__(&semaphore_init) init;
	__typeof__(&semaphore_wait) wait;
	__typeof__(&semaphore_trywait) trywait;
	__typeof__(&semaphore_timedwait) timedwait;
	__typeof__(&semaphore_post) post;
	__typeof__(&semaphore_value) value;
	__typeof__(&event_init) einit;
	__typeof__(&event_set) set;
	__typeof__(&event_clear) clear;
	__typeof__(&event_is_set) is_set;
	__typeof__(&event_wait) ewait;
	__typeof__(&event_timedwait) etimedwait;
};

extern struct learner_fns learner;

/* What the test threads share. */
struct run {
	struct kata_ctx *k;
	struct semaphore s;
	struct event e;
	long rounds;			/* per thread */
	_Atomic int inside, peak;	/* limit: threads inside */
	_Atomic int returned;		/* waiters that got through */
	_Atomic long progress[MAX_THREADS];
	_Atomic int ids;
	pthread_t t[MAX_THREADS];
	_Atomic pid_t tid[MAX_THREADS];
	int n, joined;			/* started, joined (in order) */
};

/* ---- run.c -------------------------------------------------------------- */

/* Looks up the semaphore's functions; fails unless semaphore_init is 0. */
void run_sem_start(struct run *u, unsigned value);

/* Looks up the event's functions; fails unless event_init is 0. */
void run_event_start(struct run *u);

/* Starts n threads running body(u); each takes an index with run_next_id */
void run_start(struct run *u, int n, const char *name,
	       void *(*body)(void *));

/* Returns the calling thread's index in u, noting its thread id. */
int run_next_id(struct run *u);

/* Joins every thread within ms (scaled); false when one is still busy. */
bool run_join_all(struct run *u, unsigned ms);

/*
 * Waits until threads first..count-1 have started and each has exited or
 * sleeps on [p, p + len) (a mutex, a condition variable), boundedly.
 */
void run_until_blocked(struct run *u, int first, int count, const void *p,
		       size_t len);

/*
 * Waits (bounded) until want waiters returned, then extra_ms (scaled)
 * longer, for any that should not come.  Returns how many have returned.
 */
int run_settle(struct run *u, int want, unsigned extra_ms);

/* Joins the threads; fails when no thread moved for stall_ms (scaled). */
void run_watch(struct run *u, unsigned stall_ms);

/*
 * Polls until each of threads first..count-1 has exited or sleeps in
 * futex() on a word inside [p, p + len) (a mutex, a condition variable),
 * at most ms (scaled).  Returns true when they all do.
 */
bool run_until_futex(struct run *u, int first, int count, const void *p,
		     size_t len, unsigned ms);

/*
 * A spurious wakeup for waiters 0..count-1 asleep on c: broadcasts c
 * while holding m, then waits (bounded) until each has returned or
 * sleeps on c again.
 */
void run_spurious(struct run *u, pthread_mutex_t *m, pthread_cond_t *c,
		  int count);

/* ---- bodies.c ----------------------------------------------------------- */

void *body_waiter(void *arg);		/* semaphore_wait once */
void *body_event_waiter(void *arg);	/* event_wait once */
void *body_visitor(void *arg);		/* the seed's Semaphore(3) visitor */
void *body_post_once(void *arg);	/* posts once, then returned++ */
void *body_racing_poster(void *arg);	/* posts u->rounds, flat out */
void *body_poster(void *arg);		/* posts in bursts, u->rounds */
void *body_taker(void *arg);		/* waits u->rounds times */

/* ---- timed.c ------------------------------------------------------------ */

/*
 * Times a timed wait (the event's or the semaphore's, named name) that
 * must expire: fails the test if it ends early or much late.
 */
void timed_expect_expiry(struct run *u, bool event, const char *name);

/* A timed wait (LONG_MS) that has something to take must return 0 at once */
void timed_expect_at_once(struct run *u, bool event, const char *what);

/*
 * A timed wait (LONG_MS) in a grader thread, once it sleeps, is woken by
 * a post or an event_set; it must return 0 at once, not at its timeout.
 */
void timed_expect_wake(struct run *u, bool event, const char *name);

#pragma GCC visibility pop

#endif
