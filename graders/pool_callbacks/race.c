/*
 * race.c (pool_callbacks grader): the race between attaching a
 * done-callback and the task finishing, made to happen.
 *
 * race_prepare sets up the per-future state and the signal; race_main is
 * the racing grader thread (one future after another, each attached to in
 * a tight loop while its task finishes); race_check_hits then says whether
 * every callback attached ran exactly once.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "thread.h"
#include "timing.h"

/*
 * The race: one worker, one grader thread attaching callbacks in a tight
 * loop while the task finishes.  To make the bad interleavings happen on a
 * busy machine too, a timer interrupts the attaching thread at a different
 * moment each round, and the task finishes the future while that thread is
 * held in the signal handler, wherever it was inside
 * future_add_done_callback: as if the scheduler had preempted it there.
 */
enum { RACE_CBS = 5000, RACE_AFTER = 2 };
static atomic_int *race_go;	/* 1 the task started, 2 it returns */
static atomic_int *race_done;	/* the future's first callback ran */
static atomic_int *race_hits;	/* callbacks run, per future */
static int *race_attached;	/* callbacks attached, per future */
#ifndef sigev_notify_thread_id	/* older glibc spell it this way */
#define sigev_notify_thread_id _sigev_un._tid
#endif
static timer_t race_timer;	/* interrupts the attaching thread */
static atomic_long race_cur, race_paused;

/* In a spin-wait: after 20 us, let a thread sharing this core run. */
static void spin_pause(uint64_t t0)
{
	if (timing_now_ns() - t0 > 20000)
		sched_yield();
}

/*
 * Holds the attaching thread until the future has finished; gives up 5 us
 * after the task returned (this thread may hold the lock finishing needs).
 */
static void race_handler(int sig)
{
	long i = atomic_load(&race_cur);
	uint64_t t0 = timing_now_ns(), ret = 0, now;

	(void)sig;
	atomic_store(&race_paused, i + 1);
	while (!atomic_load(&race_done[i])) {
		now = timing_now_ns();
		if (!ret && atomic_load(&race_go[i]) == 2)
			ret = now;
		if ((ret && now - ret > 5000) || now - t0 > 100000)
			break;
		spin_pause(t0);
	}
}

/* Finishes once the attaching thread is held in the signal handler. */
static int task_race(void *arg, void **result)
{
	long i = (long)(uintptr_t)arg;
	uint64_t t0 = timing_now_ns();

	atomic_store(&race_go[i], 1);
	while (atomic_load(&race_paused) != i + 1 &&
	       timing_ms_since(t0) < 1000)
		spin_pause(t0);
	atomic_store(&race_go[i], 2);
	*result = arg;
	return 0;
}

static void cb_hit(struct future *f, void *data)
{
	(void)f;
	atomic_fetch_add((atomic_int *)data, 1);
}

static void cb_first(struct future *f, void *data)
{
	cb_hit(f, data);
	atomic_store(&race_done[(atomic_int *)data - race_hits], 1);
}

/* Attaches to future i without pause until a little after the signal. */
static void race_one(struct racer *rc, struct future *f, long i)
{
	__typeof__(&future_add_done_callback) add = rc->add;
	uint64_t t0 = timing_now_ns();
	int j, after = 0;

	while (atomic_load(&race_go[i]) != 1 && timing_ms_since(t0) < 1000)
		spin_pause(t0);
	atomic_store(&race_cur, i);
	rc->r = add(f, cb_first, &race_hits[i]);
	timer_settime(race_timer, 0, &(struct itimerspec){ .it_value = {
		0, 10000 + (long)((uint64_t)i * 2654435761u % 10000) } }, NULL);
	for (j = 1; j < RACE_CBS && !rc->r && after < RACE_AFTER; j++) {
		rc->r = add(f, cb_hit, &race_hits[i]);
		after += atomic_load(&race_paused) == i + 1;
	}
	race_attached[i] = j;
}

/* Queues a batch of tasks, races each in turn, until the time is up. */
void *race_main(void *arg)
{
	enum { BATCH = 256 };
	struct racer *rc = arg;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGRTMIN + 3 };
	uint64_t t0 = timing_now_ns();
	struct future *fs[BATCH];
	long i = 0, b, n;

	sev.sigev_notify_thread_id = thread_tid();
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (timer_create(CLOCK_MONOTONIC, &sev, &race_timer) < 0)
		kata_fail(rc->k, "timer_create: %s", strerror(errno));
	while (i < rc->max && !rc->r && timing_ms_since(t0) < rc->budget_ms) {
		n = rc->max - i < BATCH ? rc->max - i : BATCH;
		for (b = 0; b < n && !rc->r; b++)
			rc->r = KATA_SYM(rc->k, pool_submit)(rc->p, task_race,
				(void *)(uintptr_t)(i + b), &fs[b]);
		for (b = 0; b < n && !rc->r; b++)
			race_one(rc, fs[b], i + b);
		for (b = 0; b < n; b++)
			KATA_SYM(rc->k, future_release)(fs[b]);
		i += n;
	}
	rc->rounds = i;
	return NULL;
}

void race_check_hits(struct kata_ctx *k, long n)
{
	long i, lost = 0, extra = 0, total = 0, first = -1;
	int d;

	for (i = 0; i < n; i++) {
		d = atomic_load(&race_hits[i]) - race_attached[i];
		total += race_attached[i];
		lost += d < 0 ? -d : 0;
		extra += d > 0 ? d : 0;
		if (d && first < 0)
			first = i;
	}
	if (first >= 0)
		kata_fail(k, "callbacks attached while their task finished: "
			  "expected each to run exactly once; of %ld attached, "
			  "%ld never ran and %ld extra runs happened (first on "
			  "future %ld)", total, lost, extra, first);
}

void race_prepare(struct kata_ctx *k, struct racer *rc)
{
	struct sigaction sa = { .sa_handler = race_handler,
				.sa_flags = SA_RESTART };

	rc->budget_ms = 1500 * kata_scale(k);
	rc->add = KATA_SYM(k, future_add_done_callback);
	race_go = calloc((size_t)rc->max, sizeof(*race_go));
	race_done = calloc((size_t)rc->max, sizeof(*race_done));
	race_hits = calloc((size_t)rc->max, sizeof(*race_hits));
	race_attached = calloc((size_t)rc->max, sizeof(*race_attached));
	KATA_REQUIRE(k, race_go && race_done && race_hits && race_attached,
		     "out of memory");
	sigaction(SIGRTMIN + 3, &sa, NULL);
}
