/*
 * timed.c (semaphore grader): timed waits, the semaphore's or the
 * event's, run in a grader thread and timed.
 *
 * Entry points: timed_expect_expiry, a wait that must time out: it fails
 * the test if the wait gives up before its deadline, or is still waiting
 * well after a reference pthread_cond_timedwait, started beside it, has
 * returned.  timed_expect_at_once, a wait with a permit free or the
 * event set, must return 0 at once; timed_expect_wake, a wait that a
 * post or a set must end with 0 at once, long before its timeout.
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

/* The reference wait in a grader thread (arg: where its time goes). */
static void *reference_waiter(void *arg)
{
	*(double *)arg = reference_ms(TIMED_MS);
	return NULL;
}

/* One timed wait, in a grader thread: what it returned, and when. */
struct timed {
	struct run *u;
	bool event;
	unsigned timeout;	/* ms, passed to the learner */
	int r;
	double ms;		/* how long it took */
	uint64_t end;		/* timing_now_ns() when it returned */
};

/* Runs the timed wait of t->event or t->u->s, timing it. */
static void *timed_waiter(void *arg)
{
	struct timed *t = arg;
	uint64_t start;

	run_next_id(t->u);
	start = timing_now_ns();
	t->r = t->event ? learner.etimedwait(&t->u->e, t->timeout)
			: learner.timedwait(&t->u->s, t->timeout);
	t->end = timing_now_ns();
	t->ms = (double)(t->end - start) / 1e6;
	return NULL;
}

void timed_expect_expiry(struct run *u, bool event, const char *name)
{
	struct timed t = { .u = u, .event = event, .timeout = TIMED_MS };
	double ref = 0, slack;
	pthread_t th, rth;

	if (thread_start(&rth, "reference", reference_waiter, &ref) ||
	    thread_start(&th, "timed", timed_waiter, &t))
		kata_fail(u->k, "could not start a grader thread");
	if (thread_join_timeout(rth, (int)(50 * TIMED_MS * kata_scale(u->k)),
				NULL))
		kata_fail(u->k, "the grader's own %d ms timed wait did not "
			  "end: is the machine overloaded?", TIMED_MS);
	slack = ((ref - TIMED_MS) * 4 + 100) * kata_scale(u->k);
	if (thread_join_timeout(th, (int)slack + 1, NULL))
		kata_fail(u->k, "%s(.., %d) was still waiting %.0f ms after a "
			  "pthread_cond_timedwait of %d ms, started beside it, "
			  "returned (it took %.1f ms): is the deadline on the "
			  "condition variable's clock (CLOCK_MONOTONIC)?", name,
			  TIMED_MS, slack, TIMED_MS, ref);
	kata_expect_int(u->k, name, t.r, -ETIMEDOUT);
	if (t.ms < TIMED_MS)
		kata_fail(u->k, "%s(.., %d) gave up after %.1f ms, before its "
			  "deadline: pass an absolute time, now + %d ms on "
			  "CLOCK_MONOTONIC, to a condition variable set to "
			  "that clock", name, TIMED_MS, t.ms, TIMED_MS);
	kata_note(u->k, "%s(.., %d) took %.1f ms; a reference timed wait "
		  "took %.1f ms", name, TIMED_MS, t.ms, ref);
}

/* The long timeout of waits that must end early: LONG_MS, scaled. */
static unsigned long_ms(struct run *u)
{
	return (unsigned)(LONG_MS * kata_scale(u->k));
}

void timed_expect_at_once(struct run *u, bool event, const char *what)
{
	unsigned ms = long_ms(u);
	uint64_t start = timing_now_ns();
	int r = event ? learner.etimedwait(&u->e, ms)
		      : learner.timedwait(&u->s, ms);
	double took = timing_ms_since(start);

	kata_expect_int(u->k, what, r, 0);
	KATA_REQUIRE(u->k, took < ms / 2, "%s (timeout %u ms) took %.0f ms: "
		     "it must return at once, without waiting for the "
		     "timeout (loop while nothing is free, not until "
		     "ETIMEDOUT)", what, ms, took);
}

void timed_expect_wake(struct run *u, bool event, const char *name)
{
	struct timed t = { .u = u, .event = event, .timeout = long_ms(u) };
	int id = atomic_load(&u->ids);
	uint64_t woken;
	pthread_t th;
	double late;

	if (thread_start(&th, "timed", timed_waiter, &t))
		kata_fail(u->k, "could not start a grader thread");
	if (event)
		run_until_blocked(u, id, id + 1, &u->e.c, sizeof(u->e.c));
	else
		run_until_blocked(u, id, id + 1, &u->s.c, sizeof(u->s.c));
	woken = timing_now_ns();
	if (event)
		learner.set(&u->e);
	else
		learner.post(&u->s);
	KATA_REQUIRE(u->k, !thread_join_timeout(th, 2 * (int)t.timeout, NULL),
		     "%s(.., %u) was still waiting %u ms after it was woken, "
		     "twice its timeout", name, t.timeout, 2 * t.timeout);
	late = (double)(t.end - woken) / 1e6;
	kata_expect_int(u->k, name, t.r, 0);
	KATA_REQUIRE(u->k, late < t.timeout / 2, "%s(.., %u) returned %.0f "
		     "ms after %s: a timed waiter must wake at once, like an "
		     "untimed one", name, t.timeout, late,
		     event ? "event_set" : "a post");
	kata_note(u->k, "%s returned %.1f ms after it was woken", name, late);
}
