/*
 * timed.c (semaphore grader): timed waits that must expire, measured
 * against a reference pthread_cond_timedwait timed in the same run.
 *
 * Entry point: timed_expect_expiry.  It runs the learner's timed wait in
 * a grader thread and fails the test if the wait gives up before its
 * deadline, or is still waiting well after the reference has returned.
 */
#define _GNU_SOURCE
#include "semaphore_grader.h"

#include <errno.h>
#include <time.h>

#include "thread.h"
#include "timing.h"

/* A pthread_cond_timedwait of ms on CLOCK_MONOTONIC, measured: the model. */
static double reference_ms(unsigned ms)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t a;
	pthread_cond_t c;
	struct timespec ts;
	uint64_t start = timing_now_ns();
	int r = 0;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &a);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&m);
	while (r != ETIMEDOUT)
		r = pthread_cond_timedwait(&c, &m, &ts);
	pthread_mutex_unlock(&m);
	return timing_ms_since(start);
}

/* One timed wait, in a grader thread: what it returned, how long it took. */
struct timed {
	struct run *u;
	bool event;
	int r;
	double ms;
};

/* Runs the timed wait of t->event or t->u->s, timing it. */
static void *timed_waiter(void *arg)
{
	struct timed *t = arg;
	uint64_t start = timing_now_ns();

	t->r = t->event ? learner.etimedwait(&t->u->e, TIMED_MS)
			: learner.timedwait(&t->u->s, TIMED_MS);
	t->ms = timing_ms_since(start);
	return NULL;
}

void timed_expect_expiry(struct run *u, bool event, const char *name)
{
	struct timed t = { .u = u, .event = event };
	double ref = reference_ms(TIMED_MS), slack;
	pthread_t th;

	slack = ((ref - TIMED_MS) * 4 + 100) * kata_scale(u->k);
	if (thread_start(&th, "timed", timed_waiter, &t))
		kata_fail(u->k, "could not start a grader thread");
	if (thread_join_timeout(th, (int)(ref + slack) + 1, NULL))
		kata_fail(u->k, "%s(.., %d) was still waiting after %.0f ms "
			  "(a pthread_cond_timedwait of %d ms took %.1f ms "
			  "here): is the deadline on the condition variable's "
			  "clock (CLOCK_MONOTONIC)?", name, TIMED_MS,
			  ref + slack, TIMED_MS, ref);
	kata_expect_int(u->k, name, t.r, -ETIMEDOUT);
	if (t.ms < TIMED_MS)
		kata_fail(u->k, "%s(.., %d) gave up after %.1f ms, before its "
			  "deadline: pass an absolute time, now + %d ms on "
			  "CLOCK_MONOTONIC, to a condition variable set to "
			  "that clock", name, TIMED_MS, t.ms, TIMED_MS);
	kata_note(u->k, "%s(.., %d) took %.1f ms; a reference timed wait "
		  "took %.1f ms", name, TIMED_MS, t.ms, ref);
}
