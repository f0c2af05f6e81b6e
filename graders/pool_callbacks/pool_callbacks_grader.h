/*
 * pool_callbacks_grader.h: private to the pool_callbacks grader
 * (graders/pool_callbacks.c and the files in graders/pool_callbacks/), not
 * part of any API.
 *
 * threads.c (thr_*): the learner's threads counted and watched (grader
 * threads, named "g:...", excluded), and pool_shutdown run in a grader
 * thread.  tasks.c (task_*): the tasks the tests submit, with the gate
 * that holds them and the probe that counts them.  futures.c (fut_*):
 * pools and futures with checked results, and the done-callbacks that
 * record what they saw.  race.c (race_*): the attach-while-finishing race.
 * crawler.c (crawl_*): the seed's crawler (libcurl against the httpd
 * fixture server, rows into sqlite3 with bound parameters).
 */
#ifndef POOL_CALLBACKS_GRADER_H
#define POOL_CALLBACKS_GRADER_H

#include "pool_callbacks.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kata/grader.h"

#include "httpd.h"

/*
 * A task or result that should come soon; a thread or callback that should
 * already be there (polled: thread exits are not instantaneous).
 */
#define WAIT_MS(k) ((int)(3000 * kata_scale(k)))
#define POLL_MS(k) ((int)(1000 * kata_scale(k)))

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* ---- threads.c ---------------------------------------------------------- */

/* Returns the number of threads of this process that are not grader's. */
int thr_learner(void);

/* Fails the test unless every other non-grader thread is asleep. */
void thr_expect_idle(struct kata_ctx *k);

/* Polls until there are base + want non-grader threads; fails if not. */
void thr_expect(struct kata_ctx *k, int base, int want, const char *what);

/* pool_shutdown(p, wait) run in a grader thread (thr_start_shutdown). */
struct shutter {
	struct pool *p;
	bool wait;
	int (*fn)(struct pool *p, bool wait);
	atomic_int tid, done, r;
};

/*
 * Starts pool_shutdown(s->p, s->wait) in a grader thread and waits until
 * it blocks.  Returns the thread, for thr_join_shutdown.
 */
pthread_t thr_start_shutdown(struct kata_ctx *k, struct shutter *s);

/* Joins it; fails unless pool_shutdown returned 0 in time. */
void thr_join_shutdown(struct kata_ctx *k, pthread_t t, struct shutter *s);

/* ---- tasks.c ------------------------------------------------------------ */

/* Closes the gate and forgets the tasks that went through it. */
void task_gate_reset(void);

/* Opens the gate: every task_gate returns. */
void task_gate_release(void);

/* Waits until n tasks have reached the gate; fails the test if not. */
void task_wait_running(struct kata_ctx *k, int n);

/* Holds until the gate opens (at most 10 s), then returns arg * 2. */
int task_gate(void *arg, void **result);

/* Notes arg as the next task run; returns arg. */
int task_record(void *arg, void **result);

/* Returns the arg of the i-th task_record run (i < 64). */
int task_recorded(int i);

/* Returns arg * 2. */
int task_double(void *arg, void **result);

/*
 * Fails with -EIO for odd arguments (-EPIPE for 9), else returns arg * 2;
 * args 100+ sleep (arg - 100) ms first.
 */
int task_odd_fails(void *arg, void **result);

/* Sleeps 16 - arg ms; returns arg * 2. */
int task_slow_double(void *arg, void **result);

/* Starts the probe's clock (task_probe waits at most 1.5 s,
 * scaled, after it). */
void task_probe_start(struct kata_ctx *k);

/* Returns the most task_probe calls seen running at once. */
int task_probe_peak(void);

/* Counts tasks running at once; the first wait for arg of them. */
int task_probe(void *arg, void **result);

/* Returns arg * 3 + 1. */
int task_tiny(void *arg, void **result);

/* Fails the test unless task i of n gave r == 0 and res == i * 3 + 1. */
void task_check_tiny(struct kata_ctx *k, long long i, long long n, int r,
		     void *res);

/* Submits n task_tiny in windows of 4096, checks every result in order. */
void task_run_many(struct kata_ctx *k, struct pool *p, long long n);

/* ---- futures.c ---------------------------------------------------------- */

/* Returns a new pool of the given size; fails the test if refused. */
struct pool *fut_pool(struct kata_ctx *k, int workers);

/* Returns the future of fn(arg) submitted to p; fails if refused. */
struct future *fut_submit(struct kata_ctx *k, struct pool *p, pool_task *fn,
			  uintptr_t arg);

/* Fails unless future_result gives want_r (and want when that is 0). */
void fut_expect_result(struct kata_ctx *k, struct future *f, int want_r,
		       uintptr_t want);

/* The same after pool_shutdown returned: finished already. */
void fut_expect_done(struct kata_ctx *k, struct future *f, int want_r,
		     uintptr_t want);

/*
 * On a future whose task is held: future_result(f, 0) and future_wait(f,
 * 0) say -ETIMEDOUT at once, future_result(f, 100) after about 100 ms.
 */
void fut_expect_timeout(struct kata_ctx *k, struct future *f);

/* Fails with both states named unless got == want. */
void fut_expect_state(struct kata_ctx *k, const char *what, int got,
		      int want);

/* Returns the bytes of heap in use now (every malloc arena). */
size_t fut_heap_used(void);

/* Fails if the heap grew much since before, over n finished tasks. */
void fut_expect_freed(struct kata_ctx *k, size_t before, long long n);

/* What the recording callbacks saw, in the order they ran. */
struct cb_log {
	pthread_mutex_t lock;
	int n;
	int ids[64];
	pid_t tids[64];
	int states[64];
	int results[64];
};

/* One recording callback's data: its log and its id. */
struct cb_rec {
	struct cb_log *log;
	int id;
	struct kata_ctx *k;
};

/* Returns how many callbacks have run on l. */
int fut_log_count(struct cb_log *l);

/* Polls until n callbacks ran on l; fails the test if not. */
void fut_wait_log(struct kata_ctx *k, struct cb_log *l, int n,
		  const char *what);

/* Attaches the recording callback with data c; fails if refused. */
void fut_attach(struct kata_ctx *k, struct future *f, struct cb_rec *c);

/* The pool fut_cb_submit submits to, and what it saw. */
extern struct pool *fut_shut_pool;
extern atomic_int fut_shut_runs, fut_shut_accepted;

/* A callback (data: the kata_ctx) that submits to fut_shut_pool. */
void fut_cb_submit(struct future *f, void *data);

/* ---- race.c ------------------------------------------------------------- */

/* The racing grader thread's orders and results. */
struct racer {
	struct kata_ctx *k;
	__typeof__(&future_add_done_callback) add;
	struct pool *p;
	long min, max, rounds;	/* futures: at least, at most, raced */
	double budget_ms, cap_ms;	/* enough time, and the most */
	int r, r2;	/* the two attaching threads' errors */
};

/* Sets up rc's budget and the per-future state and signal of the race. */
void race_prepare(struct kata_ctx *k, struct racer *rc);

/* The racing thread (arg: the struct racer); returns NULL. */
void *race_main(void *arg);

/* Fails unless every callback attached to the first n futures ran once. */
void race_check_hits(struct kata_ctx *k, long n);

/* ---- crawler.c ---------------------------------------------------------- */

enum { PAGES = 80, CRAWL_WORKERS = 10 };

/* A page to fetch, and what was fetched. */
struct page {
	int n;
	char url[160];
	char *body;
	size_t len;
};

/* The crawl's database and its tallies. */
struct crawl {
	struct kata_ctx *k;
	pthread_mutex_t lock;	/* one connection; callbacks run at once */
	sqlite3_stmt *insert;
	int rows, failed, bad, last_error;
};

/* Writes the detail pages; returns the fixture server serving them. */
struct httpd *crawl_start(struct kata_ctx *k);

/* Returns the open database tmp/crawl.db, with c->insert prepared. */
sqlite3 *crawl_open_db(struct kata_ctx *k, struct crawl *c);

/*
 * Fetches PAGES + 1 pages from h on a pool, storing each through c.
 * Returns the milliseconds it took.
 */
double crawl_run(struct kata_ctx *k, struct httpd *h, struct crawl *c,
		 struct page *pages);

/* Fails unless db holds one right row per page, each fetched once. */
void crawl_check_rows(struct kata_ctx *k, sqlite3 *db, struct httpd *h);

#pragma GCC visibility pop

#endif
