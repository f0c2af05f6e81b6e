/*
 * futures.c (pool_callbacks grader): the learner's pools and futures with
 * every result checked, and the done-callbacks the tests attach.
 *
 * fut_pool and fut_submit fail the test when refused; fut_expect_result,
 * fut_expect_done, fut_expect_state and fut_expect_timeout check what a
 * future carries and how it waits; fut_heap_used and fut_expect_freed see
 * that futures are freed.  The recording callback (fut_attach) notes its
 * id, thread, state and result in a struct cb_log (fut_log_count,
 * fut_wait_log); fut_cb_submit tries to submit more work to fut_shut_pool
 * from inside a callback.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <errno.h>
#include <malloc.h>

#include "thread.h"
#include "timing.h"

/* ---- pools and futures -------------------------------------------------- */

struct pool *fut_pool(struct kata_ctx *k, int workers)
{
	struct pool *p = NULL;
	int r = KATA_SYM(k, pool_create)(workers, &p);

	KATA_REQUIRE(k, r != -ENOSYS, "pool_create returned -ENOSYS, the "
		     "stub's answer: implement it (katas/pool_callbacks/"
		     "README.md)");
	kata_expect_int(k, "pool_create result", r, 0);
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
	uint64_t t0 = timing_now_ns();
	int r = KATA_SYM(k, future_result)(f, WAIT_MS(k), &res);
	double ms = timing_ms_since(t0);

	if (r == -ETIMEDOUT && want_r != r && ms < WAIT_MS(k) / 2.0)
		kata_fail(k, "future_result(f, %d ms) gave -ETIMEDOUT after "
			  "only %.0f ms: the timed wait gave up early (is the "
			  "deadline on the clock the condition variable "
			  "uses?)", WAIT_MS(k), ms);
	kata_expect_int(k, "future_result result", r, want_r);
	if (want_r == 0)
		kata_expect_int(k, "future_result value", (uintptr_t)res, want);
	else
		KATA_REQUIRE(k, res == (void *)(uintptr_t)0xdead,
			     "future_result of a failed task changed *result: "
			     "expected it left untouched");
}

void fut_expect_timeout(struct kata_ctx *k, struct future *f)
{
	uint64_t t0;
	double ms;
	void *res;

	kata_expect_int(k, "future_result(f, 0) on a running task",
			KATA_SYM(k, future_result)(f, 0, &res), -ETIMEDOUT);
	t0 = timing_now_ns();
	kata_expect_int(k, "future_result(f, 100 ms) on a running task",
			KATA_SYM(k, future_result)(f, 100, &res), -ETIMEDOUT);
	ms = timing_ms_since(t0);
	if (ms < 95 || ms > 100 + 2000 * kata_scale(k))
		kata_fail(k, "future_result(f, 100 ms) took %.0f ms: expected "
			  "about 100 ms (is the deadline on the clock the "
			  "condition variable uses, in ns?)", ms);
	kata_expect_int(k, "future_wait(f, 0) on a running task",
			KATA_SYM(k, future_wait)(f, 0), -ETIMEDOUT);
}

static const char *state_name(int s)
{
	static const char *const names[] = {
		"FUTURE_PENDING", "FUTURE_RUNNING", "FUTURE_DONE",
		"FUTURE_FAILED", "FUTURE_CANCELLED",
	};

	return s >= 0 && s <= FUTURE_CANCELLED ? names[s] : "not a state";
}

void fut_expect_state(struct kata_ctx *k, const char *what, int got,
		      int want)
{
	if (got != want)
		kata_fail(k, "%s: expected %s, got %s (%d)", what,
			  state_name(want), state_name(got), got);
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

size_t fut_heap_used(void)
{
	return mallinfo2().uordblks;
}

void fut_expect_freed(struct kata_ctx *k, size_t before, long long n)
{
	size_t now = fut_heap_used();
	long long grew = now > before ? (long long)(now - before) : 0;

	/* A future is bigger than 16 bytes; 64 KiB for libc's own needs. */
	if (grew > 16 * n + 65536)
		kata_fail(k, "heap in use after %lld tasks and pool_shutdown: "
			  "grew by %lld bytes, expected about none (a future "
			  "is freed when the caller released it and the pool "
			  "is done with it: is one reference never dropped?)",
			  n, grew);
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
