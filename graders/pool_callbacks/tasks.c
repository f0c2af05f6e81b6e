/*
 * tasks.c (pool_callbacks grader): the tasks the tests hand to the
 * learner's pool.
 *
 * task_gate holds every task until the test opens the gate
 * (task_gate_reset, task_gate_release, task_wait_running); task_record
 * notes the order tasks start in (task_recorded); task_probe
 * counts how many run at once (task_probe_start, task_probe_peak);
 * task_double, task_odd_fails, task_slow_double and task_tiny compute
 * results the tests know in advance; task_run_many pushes many tiny tasks
 * through a pool and task_check_tiny checks each result.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <errno.h>

#include "timing.h"

/* ---- the gate ----------------------------------------------------------- */

static atomic_int gate_open, gate_running;

void task_gate_reset(void)
{
	atomic_store(&gate_open, 0);
	atomic_store(&gate_running, 0);
}

void task_gate_release(void)
{
	atomic_store(&gate_open, 1);
}

int task_gate(void *arg, void **result)
{
	uint64_t t0 = timing_now_ns();

	atomic_fetch_add(&gate_running, 1);
	while (!atomic_load(&gate_open) && timing_ms_since(t0) < 10000)
		timing_sleep_ms(1);
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

void task_wait_running(struct kata_ctx *k, int n)
{
	uint64_t t0 = timing_now_ns();

	while (atomic_load(&gate_running) < n &&
	       timing_ms_since(t0) < WAIT_MS(k))
		timing_sleep_ms(1);
	kata_expect_int(k, "tasks started on the workers",
			atomic_load(&gate_running), n);
}

/* ---- known results ------------------------------------------------------ */

static atomic_int order_n;
static int order_log[64];

int task_record(void *arg, void **result)
{
	int i = atomic_fetch_add(&order_n, 1);

	if (i < 64)
		order_log[i] = (int)(uintptr_t)arg;
	*result = arg;
	return 0;
}

int task_recorded(int i)
{
	return order_log[i];
}

int task_double(void *arg, void **result)
{
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

int task_odd_fails(void *arg, void **result)
{
	uintptr_t v = (uintptr_t)arg;

	if (v >= 100)
		timing_sleep_ms((unsigned)(v - 100));
	if (v % 2)
		return v == 9 ? -EPIPE : -EIO;
	*result = (void *)(v * 2);
	return 0;
}

int task_slow_double(void *arg, void **result)
{
	timing_sleep_ms((unsigned)(16 - (uintptr_t)arg));
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

/* ---- the probe ---------------------------------------------------------- */

static atomic_int probe_running, probe_max, probe_reached;
static uint64_t probe_t0;
static double probe_ms;

void task_probe_start(struct kata_ctx *k)
{
	probe_ms = 1500 * kata_scale(k);
	probe_t0 = timing_now_ns();
}

int task_probe_peak(void)
{
	return atomic_load(&probe_max);
}

int task_probe(void *arg, void **result)
{
	int n = atomic_fetch_add(&probe_running, 1) + 1;
	int m = atomic_load(&probe_max);

	while (n > m && !atomic_compare_exchange_weak(&probe_max, &m, n))
		;
	while (!atomic_load(&probe_reached) &&
	       timing_ms_since(probe_t0) < probe_ms) {
		if (atomic_load(&probe_running) >= (int)(uintptr_t)arg)
			atomic_store(&probe_reached, 1);
		timing_sleep_ms(1);
	}
	timing_sleep_ms(1);
	atomic_fetch_sub(&probe_running, 1);
	*result = arg;
	return 0;
}

/* ---- many tiny tasks ---------------------------------------------------- */

int task_tiny(void *arg, void **result)
{
	*result = (void *)((uintptr_t)arg * 3 + 1);
	return 0;
}

void task_check_tiny(struct kata_ctx *k, long long i, long long n, int r,
		     void *res)
{
	if (r || (uintptr_t)res != (uintptr_t)i * 3 + 1)
		kata_fail(k, "task %lld of %lld: expected result %llu, got "
			  "%s / %llu", i, n, (unsigned long long)i * 3 + 1,
			  kata_strres(r), (unsigned long long)(uintptr_t)res);
}

void task_run_many(struct kata_ctx *k, struct pool *p, long long n)
{
	__typeof__(&pool_submit) sub = KATA_SYM(k, pool_submit);
	__typeof__(&future_result) get = KATA_SYM(k, future_result);
	__typeof__(&future_release) rel = KATA_SYM(k, future_release);
	static struct future *fs[4096];
	long long i, j, w;
	void *res = NULL;
	int r;

	for (i = 0; i < n; i += w) {
		w = n - i < 4096 ? n - i : 4096;
		for (j = 0; j < w; j++)
			if ((r = sub(p, task_tiny, (void *)(uintptr_t)(i + j),
				     &fs[j])))
				kata_fail(k, "pool_submit of task %lld: %s",
					  i + j, kata_strres(r));
		for (j = 0; j < w; j++) {
			r = get(fs[j], WAIT_MS(k), &res);
			task_check_tiny(k, i + j, n, r, res);
			rel(fs[j]);
		}
	}
}
