/*
 * futures.c (pool_callbacks grader): the learner's pools and futures with
 * every result checked, and the done-callbacks the tests attach.
 *
 * fut_pool and fut_submit fail the test when refused; fut_expect_result
 * and fut_expect_done check what a future carries.  The recording
 * callback (fut_attach) notes its id, thread, state and result in a
 * struct cb_log (fut_log_count, fut_wait_log); fut_cb_submit tries to
 * submit more work to fut_shut_pool from inside a callback.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include "thread.h"
#include "timing.h"

/* ---- pools and futures -------------------------------------------------- */

struct pool *fut_pool(struct kata_ctx *k, int workers)
{
	struct pool *p = NULL;

	kata_expect_int(k, "pool_create result",
			KATA_SYM(k, pool_create)(workers, &p), 0);
	return p;
}

struct future *fut_submit(struct kata_ctx *k, struct pool *p, pool_task *fn,
			  uintptr_t arg)
{
	struct future *f = NULL;

	kata_expect_int(k, "pool_submit result",
			KATA_SYM(k, pool_submit)(p, fn, (void *)arg, &f), 0);
	return f;
}

void fut_expect_result(struct kata_ctx *k, struct future *f, int want_r,
		       uintptr_t want)
{
	void *res = (void *)(uintptr_t)0xdead;
	int r = KATA_SYM(k, future_result)(f, WAIT_MS(k), &res);

	kata_expect_int(k, "future_result result", r, want_r);
	if (want_r == 0)
		kata_expect_int(k, "future_result value", (uintptr_t)res, want);
}

void fut_expect_done(struct kata_ctx *k, struct future *f, int want_r,
		     uintptr_t want)
{
	void *res = NULL;
	int r = KATA_SYM(k, future_result)(f, 0, &res);

	kata_expect_int(k, "future_result(f, 0) after pool_shutdown returned",
			r, want_r);
	if (want_r == 0)
		kata_expect_int(k, "future_result value", (uintptr_t)res, want);
}

/* ---- callback recorders ------------------------------------------------- */

static void cb_record(struct future *f, void *data)
{
	struct cb_rec *c = data;
	struct cb_log *l = c->log;
	void *res;
	int r = KATA_SYM(c->k, future_result)(f, 0, &res);

	pthread_mutex_lock(&l->lock);
	if (l->n < 64) {
		l->ids[l->n] = c->id;
		l->tids[l->n] = thread_tid();
		l->states[l->n] = KATA_SYM(c->k, future_state)(f);
		l->results[l->n] = r ? r : (int)(uintptr_t)res;
	}
	l->n++;
	pthread_mutex_unlock(&l->lock);
}

int fut_log_count(struct cb_log *l)
{
	int n;

	pthread_mutex_lock(&l->lock);
	n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

void fut_wait_log(struct kata_ctx *k, struct cb_log *l, int n,
		  const char *what)
{
	uint64_t t0 = timing_now_ns();

	while (fut_log_count(l) < n && timing_ms_since(t0) < POLL_MS(k))
		timing_sleep_ms(1);
	kata_expect_int(k, what, fut_log_count(l), n);
}

void fut_attach(struct kata_ctx *k, struct future *f, struct cb_rec *c)
{
	kata_expect_int(k, "future_add_done_callback result",
			KATA_SYM(k, future_add_done_callback)(f, cb_record, c),
			0);
}

/* ---- submitting from a callback ----------------------------------------- */

struct pool *fut_shut_pool;
atomic_int fut_shut_runs, fut_shut_accepted;

void fut_cb_submit(struct future *f, void *data)
{
	struct future *g;
	struct kata_ctx *k = data;

	(void)f;
	atomic_fetch_add(&fut_shut_runs, 1);
	if (KATA_SYM(k, pool_submit)(fut_shut_pool, task_double, NULL,
				     &g) == 0) {
		atomic_fetch_add(&fut_shut_accepted, 1);
		KATA_SYM(k, future_release)(g);
	}
}
