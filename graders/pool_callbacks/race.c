/*
 * race.c (pool_callbacks grader): the race between attaching a
 * done-callback and the task finishing, made to happen.
 *
 * race_prepare sets up the per-future state and the signal; race_main is
 * the racing grader thread (one future after another, each attached to in
 * a tight loop while its task finishes, by it and by a second grader
 * thread, race_helper); race_check_hits then says whether every callback
 * attached ran exactly once.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "thread.h"
#include "timing.h"

/*
 * The race: one worker, two grader threads attaching callbacks in tight
 * loops while the task finishes.  To make the bad interleavings happen on a
 * busy machine too, a timer interrupts the first at a different moment
 * each round, and the task finishes the future while that thread is held
 * in the signal handler, wherever it was inside future_add_done_callback:
 * as if the scheduler had preempted it there.  Meanwhile the second keeps
 * attaching, contending with the worker for the future's lock, so it is
 * often blocked on that lock halfway through an attach when the future
 * finishes.  The race ends early once a mistake has shown.
 */
enum { RACE_CBS = 5000, RACE_AFTER = 2, RACE_BATCH = 256 };
static atomic_int *race_go;	/* 1 the task started, 2 it returns */
static atomic_int *race_done;	/* the future's first callback ran */
static atomic_int *race_hits;	/* callbacks run, per future */
static int *race_attached;	/* callbacks attached, per future */
#ifndef sigev_notify_thread_id	/* older glibc spell it this way */
#define sigev_notify_thread_id _sigev_un._tid
#endif
static timer_t race_timer;	/* interrupts the attaching thread */
static atomic_long race_cur, race_paused;
static struct future *_Atomic *race_futs;	/* for the second attacher */
static int *race_attached2;	/* callbacks it attached, per future */
static atomic_int *race_helped;	/* it is done with the future */
static atomic_int race_stop;
static char race_worker_stat[64];	/* the worker's /proc stat file */

/* In a spin-wait: after 20 us, let a thread sharing this core run. */
static void spin_pause(uint64_t t0)
{
	if (timing_now_ns() - t0 > 20000)
		sched_yield();
}

/* True when the worker sleeps (on the lock this thread may hold). */
static bool worker_asleep(void)
{
	char b[256], *p;
	ssize_t n;
	int fd = open(race_worker_stat, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n > 0 ? n : 0] = '\0';
	p = strrchr(b, ')');
	return !p || p[1] != ' ' || p[2] != 'R';
}

/*
 * Holds the attaching thread until the future has finished.  Gives up
 * when the worker, 5 us after the task returned, sleeps instead of
 * finishing (this thread may hold the lock finishing needs), or after
 * 2 ms in all.
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
		if ((ret && now - ret > 5000 && worker_asleep()) ||
		    now - t0 > 2000000)
			break;
		spin_pause(t0);
	}
}

/* Finishes once the attaching thread is held in the signal handler. */
static int task_race(void *arg, void **result)
{
	long i = (long)(uintptr_t)arg;
	uint64_t t0 = timing_now_ns();

	if (!race_worker_stat[0])
		snprintf(race_worker_stat, sizeof(race_worker_stat),
			 "/proc/self/task/%d/stat", (int)thread_tid());
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

/*
 * The second attacher: attaches to future i in a tight loop from the
 * moment the first is held in the signal handler until a little after the
 * future finished, racing the worker for the future's lock.
 */
static void helper_one(struct racer *rc, long i)
{
	uint64_t t0 = timing_now_ns();
	struct future *f;
	int j = 0, after = 0;

	while ((!(f = atomic_load(&race_futs[i])) ||
		atomic_load(&race_paused) < i + 1) &&
	       !atomic_load(&race_stop) && timing_ms_since(t0) < 1000)
		spin_pause(t0);
	for (; f && j < RACE_CBS && after < RACE_AFTER && !rc->r2; j++) {
		rc->r2 = rc->add(f, cb_hit, &race_hits[i]);
		after += atomic_load(&race_done[i]);
	}
	race_attached2[i] = j;
}

static void *race_helper(void *arg)
{
	struct racer *rc = arg;

	for (long i = 0; i < rc->max && !atomic_load(&race_stop); i++) {
		helper_one(rc, i);
		atomic_store(&race_helped[i], 1);
	}
	return NULL;
}

/* Waits (boundedly) until the second attacher is done with futures a..b */
static void helper_wait(long a, long b)
{
	uint64_t t0 = timing_now_ns();

	for (long i = a; i < b; i++)
		while (!atomic_load(&race_helped[i]) &&
		       timing_ms_since(t0) < 5000)
			timing_sleep_ms(1);
}

/*
 * Returns the first of futures 0 .. n-1 whose callbacks did not all run
 * once, or -1; adds up what was attached, lost and run twice.
 */
static long race_first_bad(long n, long *total, long *lost, long *extra)
{
	long i, first = -1;
	int d;

	for (i = 0; i < n; i++) {
		d = atomic_load(&race_hits[i]) - race_attached[i] -
		    race_attached2[i];
		*total += race_attached[i] + race_attached2[i];
		*lost += d < 0 ? -d : 0;
		*extra += d > 0 ? d : 0;
		if (d && first < 0)
			first = i;
	}
	return first;
}

/* Races futures i .. i+n-1, one after another. */
static void race_batch(struct racer *rc, long i, long n)
{
	struct future *fs[RACE_BATCH];
	long b;

	for (b = 0; b < n && !rc->r; b++) {
		rc->r = KATA_SYM(rc->k, pool_submit)(rc->p, task_race,
			(void *)(uintptr_t)(i + b), &fs[b]);
		atomic_store(&race_futs[i + b], fs[b]);
	}
	n = b;
	for (b = 0; b < n && !rc->r; b++)
		race_one(rc, fs[b], i + b);
	helper_wait(i, i + n);
	for (b = 0; b < n; b++)
		KATA_SYM(rc->k, future_release)(fs[b]);
}

/*
 * Whether to race another batch after i futures: not after a mistake
 * showed (the futures before the last have run all their callbacks), not
 * past max; past the budget only to reach min, and never past cap_ms.
 */
static bool race_more(struct racer *rc, long i, uint64_t t0)
{
	long total = 0, lost = 0, extra = 0;
	double ms = timing_ms_since(t0);

	if (i >= rc->max || rc->r || ms > rc->cap_ms)
		return false;
	if (i > 1 && race_first_bad(i - 1, &total, &lost, &extra) >= 0)
		return false;
	return ms < rc->budget_ms || i < rc->min;
}

/* Queues a batch of tasks, races each in turn, until race_more says no. */
void *race_main(void *arg)
{
	struct racer *rc = arg;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SIGRTMIN + 3 };
	uint64_t t0 = timing_now_ns();
	pthread_t helper;
	long i, n;

	sev.sigev_notify_thread_id = thread_tid();
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (timer_create(CLOCK_MONOTONIC, &sev, &race_timer) < 0)
		kata_fail(rc->k, "timer_create: %s", strerror(errno));
	if (thread_start(&helper, "racer2", race_helper, rc) != 0)
		kata_fail(rc->k, "cannot start a grader thread");
	for (i = 0; race_more(rc, i, t0); i += n) {
		n = rc->max - i < RACE_BATCH ? rc->max - i : RACE_BATCH;
		race_batch(rc, i, n);
	}
	rc->rounds = i;
	atomic_store(&race_stop, 1);
	if (thread_join_timeout(helper, 5000, NULL) != 0)
		rc->r2 = -EDEADLK;
	return NULL;
}

void race_check_hits(struct kata_ctx *k, long n)
{
	long total = 0, lost = 0, extra = 0;
	long first = race_first_bad(n, &total, &lost, &extra);

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
	rc->cap_ms = 15000 * kata_scale(k);
	rc->add = KATA_SYM(k, future_add_done_callback);
	race_go = calloc((size_t)rc->max, sizeof(*race_go));
	race_done = calloc((size_t)rc->max, sizeof(*race_done));
	race_hits = calloc((size_t)rc->max, sizeof(*race_hits));
	race_attached = calloc((size_t)rc->max, sizeof(*race_attached));
	race_futs = calloc((size_t)rc->max, sizeof(*race_futs));
	race_attached2 = calloc((size_t)rc->max, sizeof(*race_attached2));
	race_helped = calloc((size_t)rc->max, sizeof(*race_helped));
	KATA_REQUIRE(k, race_go && race_done && race_hits && race_attached &&
		     race_futs && race_attached2 && race_helped,
		     "out of memory");
	sigaction(SIGRTMIN + 3, &sa, NULL);
}
