/*
 * pool_callbacks.c: grader for the pool_callbacks kata (a fixed-size thread
 * pool with futures and done-callbacks).
 *
 * Entry point: the kata_grader descriptor at the end (KATA_GRADER).  Each
 * test is one small function; the pieces they share live in
 * graders/pool_callbacks/ (see pool_callbacks_grader.h): thread counting
 * (threads.c), the tasks with their gate and probe (tasks.c), pools,
 * futures and callback recorders (futures.c), the attach-while-finishing
 * race (race.c) and the seed's crawler (crawler.c).
 */
#define _GNU_SOURCE
#include "pool_callbacks/pool_callbacks_grader.h"

#include <errno.h>

#include "thread.h"
#include "timing.h"

/* ---- tests -------------------------------------------------------------- */

static void t_create_shutdown(struct kata_ctx *k)
{
	int base = thr_learner();
	struct pool *p = NULL;

	kata_concept(k, "A pool starts its workers once and reuses them; "
		     "shutdown joins every one of them");
	p = fut_pool(k, 4);
	thr_expect(k, base, 4, "worker threads started by pool_create(4)");
	thr_expect_idle(k);
	kata_expect_int(k, "pool_shutdown(p, true) result",
			KATA_SYM(k, pool_shutdown)(p, true), 0);
	thr_expect(k, base, 0, "worker threads left after pool_shutdown "
		   "(each must be woken and joined)");
	kata_concept(k, "A pool of 0 workers, or more than POOL_MAX_WORKERS, "
		     "is a caller's mistake: say so with -EINVAL");
	kata_expect_int(k, "pool_create(0) result",
			KATA_SYM(k, pool_create)(0, &p), -EINVAL);
	kata_expect_int(k, "pool_create(POOL_MAX_WORKERS + 1) result",
			KATA_SYM(k, pool_create)(POOL_MAX_WORKERS + 1, &p),
			-EINVAL);
	thr_expect(k, base, 0, "threads left by the refused pool_create "
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
	p = fut_pool(k, 5);
	for (i = 0; i < 15; i++)
		fs[i] = fut_submit(k, p, task_double, (uintptr_t)i + 1);
	for (i = 0; i < 15; i++) {
		fut_expect_result(k, fs[i], 0, ((uintptr_t)i + 1) * 2);
		fut_expect_state(k, "future_state after the result",
				 KATA_SYM(k, future_state)(fs[i]), FUTURE_DONE);
		KATA_SYM(k, future_release)(fs[i]);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_result_timeout(struct kata_ctx *k)
{
	struct pool *p = fut_pool(k, 1);
	struct future *f, *g;

	kata_concept(k, "result(timeout) waits on a condition variable with "
		     "a deadline and says -ETIMEDOUT when it passes");
	task_gate_reset();
	f = fut_submit(k, p, task_gate, 21);
	g = fut_submit(k, p, task_double, 5);
	task_wait_running(k, 1);
	fut_expect_state(k, "future_state of the task a worker runs",
			 KATA_SYM(k, future_state)(f), FUTURE_RUNNING);
	fut_expect_state(k, "future_state of a task still queued",
			 KATA_SYM(k, future_state)(g), FUTURE_PENDING);
	fut_expect_timeout(k, f);
	task_gate_release();
	fut_expect_result(k, f, 0, 42);
	fut_expect_result(k, g, 0, 10);
	kata_expect_int(k, "future_wait(f, 0) once finished",
			KATA_SYM(k, future_wait)(f, 0), 0);
	KATA_SYM(k, future_release)(f);
	KATA_SYM(k, future_release)(g);
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_queue_order(struct kata_ctx *k)
{
	enum { N = 16 };
	struct future *fs[N + 1];
	struct pool *p = fut_pool(k, 1);
	int i;

	kata_concept(k, "The queue is first in, first out: tasks start in "
		     "the order they were submitted");
	task_gate_reset();
	fs[N] = fut_submit(k, p, task_gate, 0);
	task_wait_running(k, 1);
	for (i = 0; i < N; i++)
		fs[i] = fut_submit(k, p, task_record, (uintptr_t)i);
	task_gate_release();
	for (i = N; i >= 0; i--) {
		fut_expect_result(k, fs[i], 0, i == N ? 0 : (uintptr_t)i);
		KATA_SYM(k, future_release)(fs[i]);
	}
	for (i = 0; i < N; i++)
		kata_expect_int(k, "task started i-th on a pool of 1 "
				"(submitted i-th)", task_recorded(i), i);
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_concurrency(struct kata_ctx *k)
{
	enum { W = 4, N = 8 * W };
	struct future *fs[N];
	struct pool *p = fut_pool(k, W);
	int i;

	kata_concept(k, "A pool of W workers runs at most W tasks at once, "
		     "and does run W at once when there is work");
	task_probe_start(k);
	for (i = 0; i < N; i++)
		fs[i] = fut_submit(k, p, task_probe, W);
	for (i = 0; i < N; i++) {
		fut_expect_result(k, fs[i], 0, W);
		KATA_SYM(k, future_release)(fs[i]);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
	if (task_probe_peak() > W)
		kata_fail(k, "tasks running at once: expected at most %d, got "
			  "%d (the pool is bigger than asked)", W,
			  task_probe_peak());
	kata_expect_int(k, "most tasks running at once",
			task_probe_peak(), W);
}

static void t_many_tasks(struct kata_ctx *k)
{
	long long n = kata_param(k, "tasks", 1000000, 20000), i;
	pool_task *volatile direct = task_tiny;
	size_t heap = fut_heap_used();
	int base = thr_learner();
	struct pool *p = fut_pool(k, 4);
	uint64_t t0 = timing_now_ns();
	double ms, ref;
	void *res;
	int r;

	kata_concept(k, "Every submitted task runs exactly once and its "
		     "future carries its own result; no worker quits early; "
		     "a future is freed once the caller and the pool are "
		     "both done with it");
	task_run_many(k, p, n);
	ms = timing_ms_since(t0);
	thr_expect(k, base, 4, "workers alive in the pool of 4 after all "
		   "its tasks (did one quit on an empty queue?)");
	KATA_SYM(k, pool_shutdown)(p, true);
	fut_expect_freed(k, heap, n);
	t0 = timing_now_ns();
	for (i = 0; i < n; i++) {
		r = direct((void *)(uintptr_t)i, &res);
		task_check_tiny(k, i, n, r, res);
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
	struct pool *p = fut_pool(k, 2);
	int i;

	kata_concept(k, "A failing task does not kill its worker: the "
		     "future carries the error, as a Python future carries "
		     "the exception that result() re-raises");
	for (i = 0; i < 8; i++)
		fs[i] = fut_submit(k, p, task_odd_fails, (uintptr_t)i * 2 + 1);
	fut_attach(k, fs[0], &rec);
	for (i = 0; i < 8; i++) {
		fut_expect_result(k, fs[i], i == 4 ? -EPIPE : -EIO, 0);
		fut_expect_state(k, "future_state of a failed task",
				 KATA_SYM(k, future_state)(fs[i]),
				 FUTURE_FAILED);
		KATA_SYM(k, future_release)(fs[i]);
	}
	fs[0] = fut_submit(k, p, task_odd_fails, 4);
	fut_expect_result(k, fs[0], 0, 8);
	KATA_SYM(k, future_release)(fs[0]);
	KATA_SYM(k, pool_shutdown)(p, true);
	kata_expect_int(k, "callbacks run on the failed future", log.n, 1);
	kata_expect_int(k, "future_result inside its callback", log.results[0],
			-EIO);
}

/* The first five callbacks ran in attach order and saw the result. */
static void check_order(struct kata_ctx *k, struct cb_log *log)
{
	for (int i = 0; i < 5; i++) {
		kata_expect_int(k, "callback order (id of the i-th run)",
				log->ids[i], i);
		kata_expect_int(k, "future_result inside a callback",
				log->results[i], 10);
		fut_expect_state(k, "future_state inside a callback",
				 log->states[i], FUTURE_DONE);
	}
}

static void t_callback_order(struct kata_ctx *k)
{
	struct cb_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct cb_rec recs[6];
	struct pool *p = fut_pool(k, 1);
	struct future *f;
	int i;

	kata_concept(k, "Done-callbacks run once each, in the order attached, "
		     "after the task finished; one attached later runs at "
		     "once in the attaching thread");
	task_gate_reset();
	f = fut_submit(k, p, task_gate, 5);
	for (i = 0; i < 6; i++)
		recs[i] = (struct cb_rec){ &log, i, k };
	for (i = 0; i < 5; i++)
		fut_attach(k, f, &recs[i]);
	timing_sleep_ms(20);
	kata_expect_int(k, "callbacks run before the task finished",
			fut_log_count(&log), 0);
	task_gate_release();
	fut_wait_log(k, &log, 5, "callbacks run once the task finished "
		     "(each calls future_result: is the future's lock still "
		     "held while callbacks run?)");
	check_order(k, &log);
	fut_attach(k, f, &recs[5]);
	kata_expect_int(k, "callbacks run when add_done_callback returns on "
			"a finished future", fut_log_count(&log), 6);
	KATA_REQUIRE(k, log.tids[5] == thread_tid(), "a callback attached to "
		     "a finished future must run at once in the attaching "
		     "thread; it ran in another thread");
	KATA_SYM(k, future_release)(f);
	KATA_SYM(k, pool_shutdown)(p, true);
	kata_expect_int(k, "callbacks run in all", log.n, 6);
}

static void t_callback_race(struct kata_ctx *k)
{
	struct racer rc = { .k = k, .max = kata_param(k, "race", 20000, 2000),
			    .min = kata_param(k, "race_min", 1024, 768) };
	pthread_t t;

	kata_concept(k, "Attach and finish race: look at the state and append "
		     "under the same lock that finishing takes to mark the "
		     "future done and take its callback list");
	race_prepare(k, &rc);
	rc.p = fut_pool(k, 1);
	KATA_REQUIRE(k, thread_start(&t, "racer", race_main, &rc) == 0,
		     "cannot start a grader thread");
	KATA_REQUIRE(k, thread_join_timeout(t, (int)rc.cap_ms + WAIT_MS(k),
					    NULL) == 0,
		     "future_add_done_callback did not return (deadlock?)");
	kata_expect_int(k, "pool_submit and future_add_done_callback results",
			rc.r, 0);
	kata_expect_int(k, "future_add_done_callback results (second "
			"attaching thread)", rc.r2, 0);
	KATA_SYM(k, pool_shutdown)(rc.p, true);
	kata_note(k, "%ld futures raced", rc.rounds);
	race_check_hits(k, rc.rounds);
}

/* pool_map with failures: the first in input order; all tasks awaited. */
static void check_map_failure(struct kata_ctx *k, struct pool *p,
			      void *args[], void *res[])
{
	kata_concept(k, "map() reports the error of the first failing task "
		     "in input order, like Python raising it while iterating");
	args[0] = (void *)(uintptr_t)4;
	args[1] = (void *)(uintptr_t)(100 + 20 + 1);	/* slow, -EIO */
	args[2] = (void *)(uintptr_t)9;		/* fast, -EPIPE */
	args[3] = (void *)(uintptr_t)(100 + 40);	/* slower, 280 */
	res[3] = NULL;
	kata_expect_int(k, "pool_map with failing tasks",
			KATA_SYM(k, pool_map)(p, task_odd_fails, args, 4, res),
			-EIO);
	kata_expect_int(k, "pool_map results[0] before the failure",
			(uintptr_t)res[0], 8);
	kata_expect_int(k, "pool_map results[1] of the failed task (left "
			"untouched)", (uintptr_t)res[1], 2);
	kata_expect_int(k, "pool_map results[3] after the failure (map "
			"waits for every task, even after one failed)",
			(uintptr_t)res[3], 280);
}

static void t_map_order(struct kata_ctx *k)
{
	void *args[16], *res[16];
	struct pool *p = fut_pool(k, 4);
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
	check_map_failure(k, p, args, res);
	kata_expect_int(k, "pool_map of 0 items",
			KATA_SYM(k, pool_map)(p, task_double, args, 0, res), 0);
	KATA_SYM(k, pool_shutdown)(p, true);
}

static void t_shutdown_wait(struct kata_ctx *k)
{
	struct shutter s = { .wait = true };
	struct future *fs[12];
	int base = thr_learner(), i;
	pthread_t t;

	kata_concept(k, "shutdown(wait=True) refuses new work, lets every "
		     "queued task run, then joins every worker");
	s.p = fut_shut_pool = fut_pool(k, 2);
	task_gate_reset();
	for (i = 0; i < 12; i++) {
		fs[i] = fut_submit(k, s.p, task_gate, (uintptr_t)i);
		KATA_SYM(k, future_add_done_callback)(fs[i], fut_cb_submit, k);
	}
	task_wait_running(k, 2);
	t = thr_start_shutdown(k, &s);
	KATA_REQUIRE(k, !atomic_load(&s.done), "pool_shutdown(p, true) "
		     "returned while tasks were still running and queued");
	task_gate_release();
	thr_join_shutdown(k, t, &s);
	for (i = 0; i < 12; i++) {
		fut_expect_done(k, fs[i], 0, (uintptr_t)i * 2);
		KATA_SYM(k, future_release)(fs[i]);
	}
	kata_expect_int(k, "callbacks run", atomic_load(&fut_shut_runs), 12);
	kata_expect_int(k, "pool_submit calls accepted during shutdown "
			"(expected -ESHUTDOWN)",
			atomic_load(&fut_shut_accepted), 0);
	thr_expect(k, base, 0, "worker threads left after "
		   "pool_shutdown(p, true)");
}

static void check_cancelled(struct kata_ctx *k, struct cb_log *log,
			    pid_t tid)
{
	int i;

	for (i = 0; i < 10; i++) {
		fut_expect_state(k, "future_state in a cancelled future's "
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
	int base = thr_learner(), i;
	pthread_t t;

	kata_concept(k, "shutdown(wait=False) cancels what has not started; "
		     "a cancelled future still runs its callbacks, once");
	s.p = fut_pool(k, 2);
	task_gate_reset();
	for (i = 0; i < 12; i++) {
		fs[i] = fut_submit(k, s.p, task_gate, (uintptr_t)i);
		recs[i] = (struct cb_rec){ &log, i, k };
		fut_attach(k, fs[i], &recs[i]);
	}
	task_wait_running(k, 2);
	t = thr_start_shutdown(k, &s);
	fut_wait_log(k, &log, 10, "callbacks of the 10 queued futures run by "
		     "pool_shutdown(p, false) while 2 tasks still run");
	check_cancelled(k, &log, (pid_t)atomic_load(&s.tid));
	task_gate_release();
	thr_join_shutdown(k, t, &s);
	for (i = 0; i < 12; i++) {
		fut_expect_done(k, fs[i], i < 2 ? 0 : -ECANCELED,
				(uintptr_t)i * 2);
		KATA_SYM(k, future_release)(fs[i]);
	}
	kata_expect_int(k, "callbacks run in all", fut_log_count(&log), 12);
	thr_expect(k, base, 0, "worker threads left after "
		   "pool_shutdown(p, false)");
}

static void t_crawler(struct kata_ctx *k)
{
	struct crawl c = { .k = k, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct page pages[PAGES + 1] = { 0 };
	struct httpd_stats st;
	struct httpd *h;
	sqlite3 *db;
	double ms;

	kata_concept(k, "The seed's crawler: tasks fetch pages, each future's "
		     "done-callback (carrying the database as its data) "
		     "stores one row; callbacks run on several workers at "
		     "once, so the shared connection needs a lock");
	h = crawl_start(k);
	db = crawl_open_db(k, &c);
	ms = crawl_run(k, h, &c, pages);
	sqlite3_finalize(c.insert);
	httpd_stats(h, &st);
	kata_note(k, "%d pages (each served after 20 ms) fetched by %d "
		  "workers in %.0f ms; at most %d requests in flight at once",
		  PAGES + 1, CRAWL_WORKERS, ms, st.peak_in_flight);
	kata_expect_int(k, "failed fetches (page 81 does not exist)",
			c.failed, 1);
	kata_expect_int(k, "the failed future's error", c.last_error, -ENOENT);
	kata_expect_int(k, "failed inserts", c.bad, 0);
	crawl_check_rows(k, db, h);
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
	{ "queue_order", "tasks start in the order they were submitted",
	  t_queue_order, 0, 1, "submit_result" },
	{ "concurrency", "at most W tasks run at once, and W do",
	  t_concurrency, 0, 1, "submit_result" },
	{ "many_tasks", "many tiny tasks all run once with correct results "
	  "(and a throughput figure)", t_many_tasks, 60000, 2,
	  "submit_result" },
	{ "callback_order", "callbacks run once, in attach order, after the "
	  "task; late ones at once in the caller", t_callback_order, 0, 1,
	  "submit_result" },
	{ "failure", "a failing task's error is carried by its future; the "
	  "worker survives", t_failure, 0, 1, "callback_order" },
	{ "callback_race", "callbacks attached while the task finishes run "
	  "exactly once", t_callback_race, 30000, 2, "queue_order" },
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
