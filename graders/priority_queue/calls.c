/*
 * calls.c (priority_queue grader): queue calls run in grader threads, so
 * that a test can check a call is asleep in the kernel (/proc), wake it and
 * see what it returned; and the yardstick for the timed calls, a plain
 * CLOCK_MONOTONIC pthread_cond_timedwait measured in the same run.
 *
 * Entry points: call_start, call_late, call_blocked, call_resettle,
 * call_done;
 * call_park and call_unpark, which hold waiting calls in a signal handler
 * as if the scheduler had not run them; call_ref_start and
 * call_check_duration.
 */
#define _GNU_SOURCE
#include "priority_queue_grader.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "thread.h"
#include "timing.h"

/* The grader thread: runs c->op (late ones after late_ms), keeps r. */
static void *call_main(void *arg)
{
	struct call *c = arg;
	int r;

	atomic_store(&c->tid, thread_tid());
	if (c->op >= OP_LATE_GET)
		timing_sleep_ms(c->late_ms);
	if (c->op == OP_LATE_GET)
		r = KATA_SYM(c->k, pq_try_get)(c->q, &c->item);
	else if (c->op == OP_LATE_PUT)
		r = KATA_SYM(c->k, pq_try_put)(c->q, c->item, 0);
	else if (c->op == OP_GET)
		r = KATA_SYM(c->k, pq_get)(c->q, &c->item);
	else if (c->op == OP_PUT)
		r = KATA_SYM(c->k, pq_put)(c->q, c->item, 0);
	else
		r = KATA_SYM(c->k, pq_join)(c->q);
	c->r = r;
	atomic_store(&c->done, 1);
	return NULL;
}

static const char *op_name(enum op op)
{
	return op == OP_GET ? "pq_get" : op == OP_PUT ? "pq_put" : "pq_join";
}

void call_late(struct kata_ctx *k, struct call *c, struct pq *q, enum op op,
	       void *item, unsigned late_ms)
{
	*c = (struct call){ .k = k, .q = q, .op = op, .item = item,
			    .late_ms = late_ms };
	KATA_REQUIRE(k, !thread_start(&c->t, "call", call_main, c),
		     "could not start a grader thread");
	while (!atomic_load(&c->tid))
		timing_sleep_ms(1);
}

void call_start(struct kata_ctx *k, struct call *c, struct pq *q, enum op op,
		void *item)
{
	call_late(k, c, q, op, item, 0);
}

void call_blocked(struct kata_ctx *k, struct call *c, struct pq *q,
		  enum op op, void *item)
{
	int ms = (int)(2000 * kata_scale(k));

	call_start(k, c, q, op, item);
	if (thread_wait_sleeping(atomic_load(&c->tid), ms) == 0)
		timing_sleep_ms(10);
	if (atomic_load(&c->done))
		kata_fail(k, "%s returned %s at once: expected it to wait",
			  op_name(op), kata_strres(c->r));
	if (thread_wait_sleeping(atomic_load(&c->tid), ms))
		kata_fail(k, "%s neither returned nor went to sleep in %d ms: "
			  "wait on a condition variable, do not spin",
			  op_name(op), ms);
}

void call_done(struct kata_ctx *k, struct call *c, int want,
	       const char *after)
{
	int ms = (int)(1000 * kata_scale(k));
	char w[64];

	if (thread_join_timeout(c->t, ms, NULL))
		kata_fail(k, "%s still waiting %d ms after %s: expected it to "
			  "wake up and return", op_name(c->op), ms, after);
	snprintf(w, sizeof(w), "%s", kata_strres(want));
	if (c->r != want)
		kata_fail(k, "%s after %s: expected %s, got %s", op_name(c->op),
			  after, w, kata_strres(c->r));
}

void call_resettle(struct kata_ctx *k, struct call *c)
{
	uint64_t t0 = timing_now_ns();

	while (!atomic_load(&c->done) &&
	       thread_wait_sleeping(atomic_load(&c->tid), 1) &&
	       timing_ms_since(t0) < 1000 * kata_scale(k))
		;
}

/* ---- parking: a woken call that does not run yet ------------------------ */

static atomic_int parked;
static atomic_bool unpark;

/* SIGUSR2 handler: stays (async-signal-safe sleeps) until call_unpark. */
static void park_here(int sig)
{
	struct timespec ms = { 0, 1000000 };

	(void)sig;
	atomic_fetch_add(&parked, 1);
	while (!atomic_load(&unpark))
		nanosleep(&ms, NULL);
	atomic_fetch_sub(&parked, 1);
}

void call_park(struct kata_ctx *k, struct call *c, int n)
{
	struct sigaction sa = { .sa_handler = park_here,
				.sa_flags = SA_RESTART };
	uint64_t t0 = timing_now_ns();

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	atomic_store(&unpark, false);
	for (int i = 0; i < n; i++)
		pthread_kill(c[i].t, SIGUSR2);
	while (atomic_load(&parked) < n)
		if (timing_ms_since(t0) > 1000 * kata_scale(k))
			kata_fail(k, "the grader could not hold its waiting "
				  "threads in a signal handler");
		else
			timing_sleep_ms(1);
}

void call_unpark(struct kata_ctx *k)
{
	uint64_t t0 = timing_now_ns();

	atomic_store(&unpark, true);
	while (atomic_load(&parked) > 0 &&
	       timing_ms_since(t0) < 1000 * kata_scale(k))
		timing_sleep_ms(1);
}

/* ---- the yardstick of the timed calls ----------------------------------- */

/* The yardstick: the grader's own CLOCK_MONOTONIC timed wait of ms. */
static double ref_wait_ms(unsigned ms)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t ca;
	pthread_cond_t c;
	struct timespec ts;
	uint64_t t0 = timing_now_ns(), end = t0 + ms * 1000000ull;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &ca);
	ts.tv_sec = (time_t)(end / 1000000000u);
	ts.tv_nsec = (long)(end % 1000000000u);
	pthread_mutex_lock(&m);
	while (pthread_cond_timedwait(&c, &m, &ts) == 0)
		;
	pthread_mutex_unlock(&m);
	return timing_ms_since(t0);
}

/* The reference thread (arg: its struct ref): one timed wait, measured. */
static void *ref_main(void *arg)
{
	struct ref *r = arg;

	r->took = ref_wait_ms(r->ms);
	return NULL;
}

void call_ref_start(struct kata_ctx *k, struct ref *r, unsigned ms)
{
	*r = (struct ref){ .ms = ms };
	KATA_REQUIRE(k, !thread_start(&r->t, "reference", ref_main, r),
		     "could not start a grader thread");
}

void call_check_duration(struct kata_ctx *k, struct ref *r,
			 const char *what, double got)
{
	unsigned ms = r->ms;
	double late;

	KATA_REQUIRE(k, !thread_join_timeout(r->t, (int)(50 * ms *
		     kata_scale(k)), NULL), "the grader's own %u ms timed "
		     "wait did not end: is the machine overloaded?", ms);
	late = ms + ((r->took - ms) * 4 + 50 + ms) * kata_scale(k);
	kata_note(k, "%s(%u ms) took %.1f ms; a plain pthread_cond_timedwait "
		  "beside it took %.1f ms", what, ms, got, r->took);
	if (got < ms - 0.5)
		kata_fail(k, "%s(%u ms) on a queue that stays %s returned "
			  "after %.1f ms: expected at least %u ms (a deadline "
			  "on CLOCK_MONOTONIC, in nanoseconds?)", what, ms,
			  strstr(what, "get") ? "empty" : "full", got, ms);
	if (got > late)
		kata_fail(k, "%s(%u ms) returned after %.1f ms: expected at "
			  "most %.1f ms", what, ms, got, late);
}
