/*
 * pool_callbacks.c: grader for the pool_callbacks kata (a fixed-size thread
 * pool with futures and done-callbacks).
 *
 * Entry point: the kata_grader descriptor at the end (KATA_GRADER).  Each
 * test is one small function; shared pieces first: thread counting (grader
 * threads, named "g:...", excluded), a gate that holds tasks, callback
 * recorders, then the tests, then the seed's crawler (libcurl against the
 * httpd fixture server, rows into sqlite3 with bound parameters).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "kata/grader.h"
#include "pool_callbacks.h"

#include "httpd.h"
#include "thread.h"
#include "timing.h"

/* A task or result that should come soon; a thread or callback that should
 * already be there (polled: thread exits are not instantaneous). */
#define WAIT_MS(k) ((int)(3000 * kata_scale(k)))
#define POLL_MS(k) ((int)(1000 * kata_scale(k)))

/* ---- threads ------------------------------------------------------------ */

static int is_grader_thread(const char *tid)
{
	char path[300], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	if (!(f = fopen(path, "re")))
		return 1;	/* gone already */
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, KATA_GRADER_THREAD_PREFIX, 2);
}

/* Threads of this process that are not grader threads. */
static int learner_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && !is_grader_thread(e->d_name))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Every other non-grader thread must be asleep (idle workers block). */
static void expect_idle(struct kata_ctx *k)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid;

	while (d && (e = readdir(d))) {
		tid = (pid_t)atoi(e->d_name);
		if (tid <= 0 || tid == thread_tid() ||
		    is_grader_thread(e->d_name))
			continue;
		if (thread_wait_sleeping(tid, POLL_MS(k)) != 0)
			kata_fail(k, "a worker of an idle pool is not asleep: "
				  "an idle worker should block on a condition "
				  "variable, not spin");
	}
	if (d)
		closedir(d);
}

/* Polls until there are base + want non-grader threads. */
static void expect_threads(struct kata_ctx *k, int base, int want,
			   const char *what)
{
	uint64_t t0 = timing_now_ns();
	int n;

	while ((n = learner_threads() - base) != want &&
	       timing_ms_since(t0) < POLL_MS(k))
		timing_sleep_ms(2);
	kata_expect_int(k, what, n, want);
}

/* ---- tasks -------------------------------------------------------------- */

static atomic_int gate_open, gate_running;

static void gate_reset(void)
{
	atomic_store(&gate_open, 0);
	atomic_store(&gate_running, 0);
}

/* Holds until the gate opens (at most 10 s), then returns arg * 2. */
static int task_gate(void *arg, void **result)
{
	uint64_t t0 = timing_now_ns();

	atomic_fetch_add(&gate_running, 1);
	while (!atomic_load(&gate_open) && timing_ms_since(t0) < 10000)
		timing_sleep_ms(1);
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

static void wait_running(struct kata_ctx *k, int n)
{
	uint64_t t0 = timing_now_ns();

	while (atomic_load(&gate_running) < n &&
	       timing_ms_since(t0) < WAIT_MS(k))
		timing_sleep_ms(1);
	kata_expect_int(k, "tasks started on the workers",
			atomic_load(&gate_running), n);
}

static int task_double(void *arg, void **result)
{
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

/* Fails with -EIO for odd arguments; args 100+ sleep (arg - 100) ms. */
static int task_odd_fails(void *arg, void **result)
{
	uintptr_t v = (uintptr_t)arg;

	if (v >= 100)
		timing_sleep_ms((unsigned)(v - 100));
	if (v % 2)
		return v == 9 ? -EPIPE : -EIO;
	*result = (void *)(v * 2);
	return 0;
}

static struct pool *make_pool(struct kata_ctx *k, int workers)
{
	struct pool *p = NULL;

	kata_expect_int(k, "pool_create result",
			KATA_SYM(k, pool_create)(workers, &p), 0);
	return p;
}

static struct future *submit(struct kata_ctx *k, struct pool *p,
			     pool_task *fn, uintptr_t arg)
{
	struct future *f = NULL;

	kata_expect_int(k, "pool_submit result",
			KATA_SYM(k, pool_submit)(p, fn, (void *)arg, &f), 0);
	return f;
}

static void expect_result(struct kata_ctx *k, struct future *f, int want_r,
			  uintptr_t want)
{
	void *res = (void *)(uintptr_t)0xdead;
	int r = KATA_SYM(k, future_result)(f, WAIT_MS(k), &res);

	kata_expect_int(k, "future_result result", r, want_r);
	if (want_r == 0)
		kata_expect_int(k, "future_result value", (uintptr_t)res, want);
}

/* After pool_shutdown returned: finished already, with this result. */
static void expect_done(struct kata_ctx *k, struct future *f, int want_r,
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

struct cb_log {
	pthread_mutex_t lock;
	int n;
	int ids[64];
	pid_t tids[64];
	int states[64];
	int results[64];
};

struct cb_rec {
	struct cb_log *log;
	int id;
	struct kata_ctx *k;
};

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

static int log_count(struct cb_log *l)
{
	int n;

	pthread_mutex_lock(&l->lock);
	n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static void wait_log(struct kata_ctx *k, struct cb_log *l, int n,
		     const char *what)
{
	uint64_t t0 = timing_now_ns();

	while (log_count(l) < n && timing_ms_since(t0) < POLL_MS(k))
		timing_sleep_ms(1);
	kata_expect_int(k, what, log_count(l), n);
}

static void attach(struct kata_ctx *k, struct future *f, struct cb_rec *c)
{
	kata_expect_int(k, "future_add_done_callback result",
			KATA_SYM(k, future_add_done_callback)(f, cb_record, c),
			0);
}

/* ---- tests -------------------------------------------------------------- */

static void t_create_shutdown(struct kata_ctx *k)
{
	int base = learner_threads();
	struct pool *p = NULL;

	kata_concept(k, "A pool starts its workers once and reuses them; "
		     "shutdown joins every one of them");
	p = make_pool(k, 4);
	expect_threads(k, base, 4, "worker threads started by pool_create(4)");
	expect_idle(k);
	kata_expect_int(k, "pool_shutdown(p, true) result",
			KATA_SYM(k, pool_shutdown)(p, true), 0);
	expect_threads(k, base, 0, "worker threads left after pool_shutdown "
		       "(each must be woken and joined)");
	kata_concept(k, "A pool of 0 workers, or more than POOL_MAX_WORKERS, "
		     "is a caller's mistake: say so with -EINVAL");
	kata_expect_int(k, "pool_create(0) result",
			KATA_SYM(k, pool_create)(0, &p), -EINVAL);
	kata_expect_int(k, "pool_create(POOL_MAX_WORKERS + 1) result",
			KATA_SYM(k, pool_create)(POOL_MAX_WORKERS + 1, &p),
			-EINVAL);
	expect_threads(k, base, 0, "threads left by the refused pool_create "
		       "calls");
}

static void t_submit_result(struct kata_ctx *k)
{
	struct future *fs[15];
	struct pool *p;
	int i;

	kata_concept(k, "submit() hands back a future at once; result() "
		     "blocks until the task has run (the seed: 15 tasks on "
		     "a pool of 5, results read in submission order)");
	p = make_pool(k, 5);
	for (i = 0; i < 15; i++)
		fs[i] = submit(k, p, task_double, (uintptr_t)i + 1);
	for (i = 0; i < 15; i++) {
		expect_result(k, fs[i], 0, ((uintptr_t)i + 1) * 2);
		kata_expect_int(k, "future_state after the result",
				KATA_SYM(k, future_state)(fs[i]), FUTURE_DONE);
		KATA_SYM(k, future_release)(fs[i]);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_result_timeout(struct kata_ctx *k)
{
	struct future *f;
	struct pool *p = make_pool(k, 1);
	uint64_t t0;
	double ms;
	void *res;

	kata_concept(k, "result(timeout) waits on a condition variable with "
		     "a deadline and says -ETIMEDOUT when it passes");
	gate_reset();
	f = submit(k, p, task_gate, 21);
	kata_expect_int(k, "future_result(f, 0) on a running task",
			KATA_SYM(k, future_result)(f, 0, &res), -ETIMEDOUT);
	t0 = timing_now_ns();
	kata_expect_int(k, "future_result(f, 100 ms) on a running task",
			KATA_SYM(k, future_result)(f, 100, &res), -ETIMEDOUT);
	ms = timing_ms_since(t0);
	if (ms < 95 || ms > 100 + 2000 * kata_scale(k))
		kata_fail(k, "future_result(f, 100 ms) took %.0f ms: expected "
			  "about 100 ms", ms);
	kata_expect_int(k, "future_wait(f, 0) on a running task",
			KATA_SYM(k, future_wait)(f, 0), -ETIMEDOUT);
	atomic_store(&gate_open, 1);
	expect_result(k, f, 0, 42);
	kata_expect_int(k, "future_wait(f, 0) once finished",
			KATA_SYM(k, future_wait)(f, 0), 0);
	KATA_SYM(k, future_release)(f);
	KATA_SYM(k, pool_shutdown)(p, true);
}

static atomic_int probe_running, probe_max, probe_reached;
static uint64_t probe_t0;

/* Counts tasks running at once; the first ones wait for the pool to fill. */
static int task_probe(void *arg, void **result)
{
	int n = atomic_fetch_add(&probe_running, 1) + 1;
	int m = atomic_load(&probe_max);

	while (n > m && !atomic_compare_exchange_weak(&probe_max, &m, n))
		;
	while (!atomic_load(&probe_reached) &&
	       timing_ms_since(probe_t0) < 1500) {
		if (atomic_load(&probe_running) >= (int)(uintptr_t)arg)
			atomic_store(&probe_reached, 1);
		timing_sleep_ms(1);
	}
	timing_sleep_ms(1);
	atomic_fetch_sub(&probe_running, 1);
	*result = arg;
	return 0;
}

static void t_concurrency(struct kata_ctx *k)
{
	enum { W = 4, N = 8 * W };
	struct future *fs[N];
	struct pool *p = make_pool(k, W);
	int i;

	kata_concept(k, "A pool of W workers runs at most W tasks at once, "
		     "and does run W at once when there is work");
	probe_t0 = timing_now_ns();
	for (i = 0; i < N; i++)
		fs[i] = submit(k, p, task_probe, W);
	for (i = 0; i < N; i++) {
		expect_result(k, fs[i], 0, W);
		KATA_SYM(k, future_release)(fs[i]);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
	if (atomic_load(&probe_max) > W)
		kata_fail(k, "tasks running at once: expected at most %d, got "
			  "%d (the pool is bigger than asked)", W,
			  atomic_load(&probe_max));
	kata_expect_int(k, "most tasks running at once",
			atomic_load(&probe_max), W);
}

static int task_tiny(void *arg, void **result)
{
	*result = (void *)((uintptr_t)arg * 3 + 1);
	return 0;
}

static void check_tiny(struct kata_ctx *k, long long i, long long n, int r,
		       void *res)
{
	if (r || (uintptr_t)res != (uintptr_t)i * 3 + 1)
		kata_fail(k, "task %lld of %lld: expected result %llu, got "
			  "%s / %llu", i, n, (unsigned long long)i * 3 + 1,
			  kata_strres(r), (unsigned long long)(uintptr_t)res);
}

/* Submits n tasks in windows of 4096, checks every result in order. */
static void run_many(struct kata_ctx *k, struct pool *p, long long n)
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
			check_tiny(k, i + j, n, r, res);
			rel(fs[j]);
		}
	}
}

static void t_many_tasks(struct kata_ctx *k)
{
	long long n = kata_param(k, "tasks", 1000000, 20000), i;
	pool_task *volatile direct = task_tiny;
	int base = learner_threads();
	struct pool *p = make_pool(k, 4);
	uint64_t t0 = timing_now_ns();
	double ms, ref;
	void *res;
	int r;

	kata_concept(k, "Every submitted task runs exactly once and its "
		     "future carries its own result; no worker quits early");
	run_many(k, p, n);
	ms = timing_ms_since(t0);
	expect_threads(k, base, 4, "workers alive in the pool of 4 after all "
		       "its tasks (did one quit on an empty queue?)");
	KATA_SYM(k, pool_shutdown)(p, true);
	t0 = timing_now_ns();
	for (i = 0; i < n; i++) {
		r = direct((void *)(uintptr_t)i, &res);
		check_tiny(k, i, n, r, res);
	}
	ref = timing_ms_since(t0);
	kata_note(k, "%lld tiny tasks through your pool of 4: %.0f ms "
		  "(%.2f us per task); calling and checking the same tasks "
		  "directly: "
		  "%.1f ms. The difference is the cost of handing work to a "
		  "thread: worth it only when a task does real work (I/O)",
		  n, ms, ms * 1000 / (double)n, ref);
}

static void t_failure(struct kata_ctx *k)
{
	struct cb_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct cb_rec rec = { &log, 0, k };
	struct future *fs[8];
	struct pool *p = make_pool(k, 2);
	int i;

	kata_concept(k, "A failing task does not kill its worker: the "
		     "future carries the error, as a Python future carries "
		     "the exception that result() re-raises");
	for (i = 0; i < 8; i++)
		fs[i] = submit(k, p, task_odd_fails, (uintptr_t)i * 2 + 1);
	attach(k, fs[0], &rec);
	for (i = 0; i < 8; i++) {
		expect_result(k, fs[i], i == 4 ? -EPIPE : -EIO, 0);
		kata_expect_int(k, "future_state of a failed task",
				KATA_SYM(k, future_state)(fs[i]),
				FUTURE_FAILED);
		KATA_SYM(k, future_release)(fs[i]);
	}
	expect_result(k, fs[0] = submit(k, p, task_odd_fails, 4), 0, 8);
	KATA_SYM(k, future_release)(fs[0]);
	KATA_SYM(k, pool_shutdown)(p, true);
	kata_expect_int(k, "callbacks run on the failed future", log.n, 1);
	kata_expect_int(k, "future_result inside its callback", log.results[0],
			-EIO);
}

static void t_callback_order(struct kata_ctx *k)
{
	struct cb_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct cb_rec recs[6];
	struct pool *p = make_pool(k, 1);
	struct future *f;
	int i;

	kata_concept(k, "Done-callbacks run once each, in the order attached, "
		     "after the task finished; one attached later runs at "
		     "once in the attaching thread");
	gate_reset();
	f = submit(k, p, task_gate, 5);
	for (i = 0; i < 6; i++)
		recs[i] = (struct cb_rec){ &log, i, k };
	for (i = 0; i < 5; i++)
		attach(k, f, &recs[i]);
	timing_sleep_ms(20);
	kata_expect_int(k, "callbacks run before the task finished",
			log_count(&log), 0);
	atomic_store(&gate_open, 1);
	wait_log(k, &log, 5, "callbacks run once the task finished");
	for (i = 0; i < 5; i++) {
		kata_expect_int(k, "callback order (id of the i-th run)",
				log.ids[i], i);
		kata_expect_int(k, "future_result inside a callback",
				log.results[i], 10);
		kata_expect_int(k, "future_state inside a callback",
				log.states[i], FUTURE_DONE);
	}
	attach(k, f, &recs[5]);
	kata_expect_int(k, "callbacks run when add_done_callback returns on "
			"a finished future", log_count(&log), 6);
	KATA_REQUIRE(k, log.tids[5] == thread_tid(), "a callback attached to "
		     "a finished future must run at once in the attaching "
		     "thread; it ran in another thread");
	KATA_SYM(k, future_release)(f);
	KATA_SYM(k, pool_shutdown)(p, true);
	kata_expect_int(k, "callbacks run in all", log.n, 6);
}

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

struct racer {
	struct kata_ctx *k;
	__typeof__(&future_add_done_callback) add;
	struct pool *p;
	long max, rounds;
	double budget_ms;
	int r;
};

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
static void *racer(void *arg)
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

static void check_hits(struct kata_ctx *k, long n)
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

static void t_callback_race(struct kata_ctx *k)
{
	struct racer rc = { .k = k, .max = kata_param(k, "race", 20000,
						      2000) };
	struct sigaction sa = { .sa_handler = race_handler,
				.sa_flags = SA_RESTART };
	pthread_t t;

	kata_concept(k, "Attach and finish race: look at the state and append "
		     "under the same lock that finishing takes to mark the "
		     "future done and take its callback list");
	rc.budget_ms = 1500 * kata_scale(k);
	rc.add = KATA_SYM(k, future_add_done_callback);
	race_go = calloc((size_t)rc.max, sizeof(*race_go));
	race_done = calloc((size_t)rc.max, sizeof(*race_done));
	race_hits = calloc((size_t)rc.max, sizeof(*race_hits));
	race_attached = calloc((size_t)rc.max, sizeof(*race_attached));
	KATA_REQUIRE(k, race_go && race_done && race_hits && race_attached,
		     "out of memory");
	sigaction(SIGRTMIN + 3, &sa, NULL);
	rc.p = make_pool(k, 1);
	KATA_REQUIRE(k, thread_start(&t, "racer", racer, &rc) == 0,
		     "cannot start a grader thread");
	KATA_REQUIRE(k, thread_join_timeout(t, (int)rc.budget_ms + WAIT_MS(k),
					    NULL) == 0,
		     "future_add_done_callback did not return (deadlock?)");
	kata_expect_int(k, "pool_submit and future_add_done_callback results",
			rc.r, 0);
	KATA_SYM(k, pool_shutdown)(rc.p, true);
	check_hits(k, rc.rounds);
	kata_note(k, "%ld futures raced", rc.rounds);
}

static int task_slow_double(void *arg, void **result)
{
	timing_sleep_ms((unsigned)(16 - (uintptr_t)arg));
	*result = (void *)((uintptr_t)arg * 2);
	return 0;
}

static void t_map_order(struct kata_ctx *k)
{
	void *args[16], *res[16];
	struct pool *p = make_pool(k, 4);
	int i;

	kata_concept(k, "map() hands back results in input order, whatever "
		     "order the tasks finish in (the first ones here are the "
		     "slowest)");
	for (i = 0; i < 16; i++) {
		args[i] = (void *)(uintptr_t)i;
		res[i] = NULL;
	}
	kata_expect_int(k, "pool_map result",
			KATA_SYM(k, pool_map)(p, task_slow_double, args, 16,
					      res), 0);
	for (i = 0; i < 16; i++)
		kata_expect_int(k, "pool_map results[i] / 2 (input order)",
				(uintptr_t)res[i] / 2, i);
	kata_concept(k, "map() reports the error of the first failing task "
		     "in input order, like Python raising it while iterating");
	args[0] = (void *)(uintptr_t)4;
	args[1] = (void *)(uintptr_t)(100 + 20 + 1);	/* slow, -EIO */
	args[2] = (void *)(uintptr_t)9;		/* fast, -EPIPE */
	kata_expect_int(k, "pool_map with failing tasks",
			KATA_SYM(k, pool_map)(p, task_odd_fails, args, 3, res),
			-EIO);
	kata_expect_int(k, "pool_map results[0] before the failure",
			(uintptr_t)res[0], 8);
	kata_expect_int(k, "pool_map of 0 items",
			KATA_SYM(k, pool_map)(p, task_double, args, 0, res), 0);
	KATA_SYM(k, pool_shutdown)(p, true);
}

struct shutter {
	struct pool *p;
	bool wait;
	int (*fn)(struct pool *p, bool wait);
	atomic_int tid, done, r;
};

static void *shutter(void *arg)
{
	struct shutter *s = arg;

	atomic_store(&s->tid, (int)thread_tid());
	atomic_store(&s->r, s->fn(s->p, s->wait));
	atomic_store(&s->done, 1);
	return NULL;
}

/* Starts pool_shutdown(p, wait) in a grader thread; waits until it blocks */
static pthread_t start_shutdown(struct kata_ctx *k, struct shutter *s)
{
	uint64_t t0 = timing_now_ns();
	pthread_t t;

	s->fn = KATA_SYM(k, pool_shutdown);
	KATA_REQUIRE(k, thread_start(&t, "shutdown", shutter, s) == 0,
		     "cannot start a grader thread");
	while (!atomic_load(&s->tid) && timing_ms_since(t0) < WAIT_MS(k))
		timing_sleep_ms(1);
	thread_wait_sleeping((pid_t)atomic_load(&s->tid), WAIT_MS(k));
	return t;
}

static void join_shutdown(struct kata_ctx *k, pthread_t t, struct shutter *s)
{
	KATA_REQUIRE(k, thread_join_timeout(t, WAIT_MS(k), NULL) == 0,
		     "pool_shutdown did not return after the running tasks "
		     "finished (a worker never woke up to exit?)");
	kata_expect_int(k, "pool_shutdown result", atomic_load(&s->r), 0);
}

static struct pool *shut_pool;
static atomic_int shut_runs, shut_accepted;

/* A callback that tries to submit more work while the pool shuts down. */
static void cb_submit(struct future *f, void *data)
{
	struct future *g;
	struct kata_ctx *k = data;

	(void)f;
	atomic_fetch_add(&shut_runs, 1);
	if (KATA_SYM(k, pool_submit)(shut_pool, task_double, NULL, &g) == 0) {
		atomic_fetch_add(&shut_accepted, 1);
		KATA_SYM(k, future_release)(g);
	}
}

static void t_shutdown_wait(struct kata_ctx *k)
{
	struct shutter s = { .wait = true };
	struct future *fs[12];
	int base = learner_threads(), i;
	pthread_t t;

	kata_concept(k, "shutdown(wait=True) refuses new work, lets every "
		     "queued task run, then joins every worker");
	s.p = shut_pool = make_pool(k, 2);
	gate_reset();
	for (i = 0; i < 12; i++) {
		fs[i] = submit(k, s.p, task_gate, (uintptr_t)i);
		KATA_SYM(k, future_add_done_callback)(fs[i], cb_submit, k);
	}
	wait_running(k, 2);
	t = start_shutdown(k, &s);
	KATA_REQUIRE(k, !atomic_load(&s.done), "pool_shutdown(p, true) "
		     "returned while tasks were still running and queued");
	atomic_store(&gate_open, 1);
	join_shutdown(k, t, &s);
	for (i = 0; i < 12; i++) {
		expect_done(k, fs[i], 0, (uintptr_t)i * 2);
		KATA_SYM(k, future_release)(fs[i]);
	}
	kata_expect_int(k, "callbacks run", atomic_load(&shut_runs), 12);
	kata_expect_int(k, "pool_submit calls accepted during shutdown "
			"(expected -ESHUTDOWN)", atomic_load(&shut_accepted),
			0);
	expect_threads(k, base, 0, "worker threads left after "
		       "pool_shutdown(p, true)");
}

static void check_cancelled(struct kata_ctx *k, struct cb_log *log,
			    pid_t tid)
{
	int i;

	for (i = 0; i < 10; i++) {
		kata_expect_int(k, "future_state in a cancelled future's "
				"callback", log->states[i], FUTURE_CANCELLED);
		kata_expect_int(k, "future_result in a cancelled future's "
				"callback", log->results[i], -ECANCELED);
		KATA_REQUIRE(k, log->tids[i] == tid, "a cancelled future's "
			     "callbacks must run in the thread calling "
			     "pool_shutdown(p, false); one ran elsewhere");
	}
}

static void t_shutdown_cancel(struct kata_ctx *k)
{
	struct cb_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct shutter s = { .wait = false };
	struct cb_rec recs[12];
	struct future *fs[12];
	int base = learner_threads(), i;
	pthread_t t;

	kata_concept(k, "shutdown(wait=False) cancels what has not started; "
		     "a cancelled future still runs its callbacks, once");
	s.p = make_pool(k, 2);
	gate_reset();
	for (i = 0; i < 12; i++) {
		fs[i] = submit(k, s.p, task_gate, (uintptr_t)i);
		recs[i] = (struct cb_rec){ &log, i, k };
		attach(k, fs[i], &recs[i]);
	}
	wait_running(k, 2);
	t = start_shutdown(k, &s);
	wait_log(k, &log, 10, "callbacks of the 10 queued futures run by "
		 "pool_shutdown(p, false) while 2 tasks still run");
	check_cancelled(k, &log, (pid_t)atomic_load(&s.tid));
	atomic_store(&gate_open, 1);
	join_shutdown(k, t, &s);
	for (i = 0; i < 12; i++) {
		expect_done(k, fs[i], i < 2 ? 0 : -ECANCELED,
			    (uintptr_t)i * 2);
		KATA_SYM(k, future_release)(fs[i]);
	}
	kata_expect_int(k, "callbacks run in all", log_count(&log), 12);
	expect_threads(k, base, 0, "worker threads left after "
		       "pool_shutdown(p, false)");
}

/* ---- the seed's crawler ------------------------------------------------- */

enum { PAGES = 80, CRAWL_WORKERS = 10 };

struct page {
	int n;
	char url[160];
	char *body;
	size_t len;
};

struct crawl {
	struct kata_ctx *k;
	pthread_mutex_t lock;	/* one connection; callbacks run at once */
	sqlite3_stmt *insert;
	int rows, failed, bad, last_error;
};

static const char *const titles[] = {
	"Schindler's List", "Farewell My Concubine", "It's a Wonderful Life",
	"Robert'); DROP TABLE movies;--", "The \"Shawshank\" Redemption",
	"O'Brother; Where Art Thou?", "Spirited Away", "Léon",
};

static void page_title(int n, char *buf, size_t len)
{
	snprintf(buf, len, "%s #%d", titles[n % 8], n);
}

static void write_pages(struct kata_ctx *k, const char *root)
{
	char path[PATH_MAX], title[96];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/detail", root);
	KATA_REQUIRE(k, mkdir(path, 0700) == 0, "cannot create %s", path);
	for (n = 1; n <= PAGES; n++) {
		snprintf(path, sizeof(path), "%s/detail/%d.html", root, n);
		KATA_REQUIRE(k, (f = fopen(path, "w")), "cannot write %s",
			     path);
		page_title(n, title, sizeof(title));
		fprintf(f, "<html><body><h2 class=\"m-b-sm\">%s</h2>\n"
			"<p class=\"score\">%d.%d</p></body></html>\n", title,
			5 + n % 5, n % 10);
		fclose(f);
	}
}

static size_t page_write(char *data, size_t size, size_t n, void *arg)
{
	struct page *pg = arg;
	char *b = realloc(pg->body, pg->len + size * n + 1);

	if (!b)
		return 0;
	memcpy(b + pg->len, data, size * n);
	pg->len += size * n;
	b[pg->len] = '\0';
	pg->body = b;
	return size * n;
}

/* The spider: fetch one page (a grader task run by the learner's pool). */
static int task_fetch(void *arg, void **result)
{
	struct page *pg = arg;
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode cr;

	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, pg->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, page_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, pg);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (cr != CURLE_OK)
		return -EIO;
	if (code != 200)
		return code == 404 ? -ENOENT : -EPROTO;
	*result = pg;
	return 0;
}

/* Copies the text between open and the next "<" into out. */
static void extract(const char *html, const char *open, char *out,
		    size_t len)
{
	const char *s = strstr(html, open), *e;

	out[0] = '\0';
	if (!s || !(e = strchr(s += strlen(open), '<')))
		return;
	snprintf(out, len, "%.*s", (int)(e - s), s);
}

/* The seed's inner_callback, with a lock and a bound-parameter insert. */
static void cb_store(struct future *f, void *data)
{
	struct crawl *c = data;
	char title[128], score[16];
	void *res;
	struct page *pg;
	int r = KATA_SYM(c->k, future_result)(f, 0, &res);

	pthread_mutex_lock(&c->lock);
	if (r) {
		c->failed++;
		c->last_error = r;
	} else {
		pg = res;
		extract(pg->body, "<h2 class=\"m-b-sm\">", title,
			sizeof(title));
		extract(pg->body, "<p class=\"score\">", score, sizeof(score));
		sqlite3_bind_int(c->insert, 1, pg->n);
		sqlite3_bind_text(c->insert, 2, title, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c->insert, 3, score, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(c->insert) == SQLITE_DONE)
			c->rows++;
		else
			c->bad++;
		sqlite3_reset(c->insert);
	}
	pthread_mutex_unlock(&c->lock);
}

static void attach_store(struct kata_ctx *k, struct future *f,
			 struct crawl *c)
{
	kata_expect_int(k, "future_add_done_callback result",
			KATA_SYM(k, future_add_done_callback)(f, cb_store, c),
			0);
}

static void check_rows(struct kata_ctx *k, sqlite3 *db, struct httpd *h)
{
	int seen[PAGES + 1] = { 0 }, n;
	char want[96], path[64];
	sqlite3_stmt *st;

	KATA_REQUIRE(k, sqlite3_prepare_v2(db, "SELECT page, title FROM movies",
					   -1, &st, NULL) == SQLITE_OK,
		     "reading the database: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int(st, 0);
		KATA_REQUIRE(k, n >= 1 && n <= PAGES, "row for page %d", n);
		seen[n]++;
		page_title(n, want, sizeof(want));
		KATA_REQUIRE(k, !strcmp(want, (const char *)
					sqlite3_column_text(st, 1)),
			     "title of page %d: expected \"%s\", got \"%s\"",
			     n, want, sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	for (n = 1; n <= PAGES; n++) {
		snprintf(path, sizeof(path), "/detail/%d.html", n);
		kata_expect_int(k, "times the page was fetched",
				(long long)httpd_path_count(h, path), 1);
		if (seen[n] != 1)
			kata_fail(k, "rows stored for page %d: expected 1, got "
				  "%d (its callback ran %s)", n, seen[n],
				  seen[n] ? "more than once" : "never");
	}
}

static sqlite3 *open_db(struct kata_ctx *k, struct crawl *c)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/crawl.db", kata_tmpdir(k));
	KATA_REQUIRE(k, sqlite3_open(path, &db) == SQLITE_OK &&
		     sqlite3_exec(db, "CREATE TABLE movies (id INTEGER PRIMARY "
				  "KEY, page INTEGER, title TEXT, score TEXT)",
				  NULL, NULL, NULL) == SQLITE_OK &&
		     sqlite3_prepare_v2(db, "INSERT INTO movies (page, title, "
					"score) VALUES (?, ?, ?)", -1,
					&c->insert, NULL) == SQLITE_OK,
		     "setting up %s: %s", path, sqlite3_errmsg(db));
	return db;
}

static void crawl(struct kata_ctx *k, struct httpd *h, struct crawl *c,
		  struct page *pages)
{
	struct pool *p = make_pool(k, CRAWL_WORKERS);
	struct future *f;
	char path[64];
	int i;

	for (i = 0; i <= PAGES; i++) {
		pages[i].n = i + 1;
		snprintf(path, sizeof(path), "/detail/%d.html?delay=20", i + 1);
		httpd_url(h, path, pages[i].url, sizeof(pages[i].url));
		f = submit(k, p, task_fetch, (uintptr_t)&pages[i]);
		attach_store(k, f, c);
		KATA_SYM(k, future_release)(f);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_crawler(struct kata_ctx *k)
{
	struct crawl c = { .k = k, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct page pages[PAGES + 1] = { 0 };
	struct httpd_stats st;
	struct httpd *h;
	sqlite3 *db;
	uint64_t t0;
	double ms;

	kata_concept(k, "The seed's crawler: tasks fetch pages, each future's "
		     "done-callback (carrying the database as its data) "
		     "stores one row; callbacks run on several workers at "
		     "once, so the shared connection needs a lock");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	write_pages(k, kata_tmpdir(k));
	KATA_REQUIRE(k, httpd_start(kata_tmpdir(k), &h) == 0,
		     "cannot start the fixture HTTP server");
	db = open_db(k, &c);
	t0 = timing_now_ns();
	crawl(k, h, &c, pages);
	ms = timing_ms_since(t0);
	sqlite3_finalize(c.insert);
	httpd_stats(h, &st);
	kata_note(k, "%d pages (each served after 20 ms) fetched by %d "
		  "workers in %.0f ms; at most %d requests in flight at once",
		  PAGES + 1, CRAWL_WORKERS, ms, st.peak_in_flight);
	kata_expect_int(k, "failed fetches (page 81 does not exist)",
			c.failed, 1);
	kata_expect_int(k, "the failed future's error", c.last_error, -ENOENT);
	kata_expect_int(k, "failed inserts", c.bad, 0);
	check_rows(k, db, h);
	KATA_REQUIRE(k, st.peak_in_flight <= CRAWL_WORKERS, "requests in "
		     "flight at once: expected at most %d, got %d",
		     CRAWL_WORKERS, st.peak_in_flight);
	sqlite3_close(db);
	httpd_stop(h);
}

/* ---- the table ---------------------------------------------------------- */

static const struct kata_test tests[] = {
	{ "create_shutdown", "pool_create starts exactly W threads, "
	  "pool_shutdown joins them all; bad sizes are -EINVAL",
	  t_create_shutdown, 0, 1, NULL },
	{ "submit_result", "submit hands back futures whose results are "
	  "the tasks' results", t_submit_result, 0, 1, "create_shutdown" },
	{ "result_timeout", "future_result with a timeout says -ETIMEDOUT "
	  "in time, then the result once done", t_result_timeout, 0, 1,
	  "submit_result" },
	{ "concurrency", "at most W tasks run at once, and W do",
	  t_concurrency, 0, 1, "submit_result" },
	{ "many_tasks", "many tiny tasks all run once with correct results "
	  "(and a throughput figure)", t_many_tasks, 60000, 2,
	  "submit_result" },
	{ "failure", "a failing task's error is carried by its future; the "
	  "worker survives", t_failure, 0, 1, "submit_result" },
	{ "callback_order", "callbacks run once, in attach order, after the "
	  "task; late ones at once in the caller", t_callback_order, 0, 1,
	  "submit_result" },
	{ "callback_race", "callbacks attached while the task finishes run "
	  "exactly once", t_callback_race, 30000, 2, "callback_order" },
	{ "map_order", "pool_map keeps input order and reports the first "
	  "failure in input order", t_map_order, 0, 1, "submit_result" },
	{ "shutdown_wait", "shutdown(wait) drains the queue, refuses new "
	  "work, joins every worker", t_shutdown_wait, 0, 1,
	  "submit_result" },
	{ "shutdown_cancel", "shutdown(no wait) cancels queued tasks, runs "
	  "their callbacks once, joins every worker", t_shutdown_cancel, 0, 1,
	  "submit_result" },
	{ "crawler", "the seed's crawler: 80 pages and a missing 81st fetched "
	  "on the pool, one database row per page", t_crawler, 20000, 2,
	  "callback_order" },
	{ 0 }
};

KATA_GRADER(.kata = "pool_callbacks",
	    .title = "A thread pool with futures and done-callbacks",
	    .topic = "ThreadPoolExecutor: submit, result, map, shutdown, "
		     "add_done_callback with extra arguments",
	    .order = 70,
	    .tests = tests);
