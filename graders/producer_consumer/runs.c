/*
 * runs.c (producer_consumer grader): a pipeline run.  The grader hands
 * pc_run its own produce and handle callbacks: every item is a pointer to
 * ids[i] == i, so the handler can tell a lost, repeated or garbled item;
 * produce counts what left the producers and handle what reached the
 * consumers, so the grader measures the queue's back-pressure itself
 * rather than trusting the queue's len; a gate holds the handlers to make
 * consumers slower than producers; chosen items fail.  pc_run runs in the
 * test's thread and a watchdog thread says why it stopped moving.
 *
 * Entry points: run_setup, run_go, run_check, run_alone, run_held,
 * run_settle, run_open_gate.
 */
#define _GNU_SOURCE
#include "pc_grader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread.h"
#include "timing.h"

static void *produce(void *arg, unsigned who)
{
	struct run *u = arg;
	long n, held;

	if (who >= u->job.producers) {
		atomic_fetch_add(&u->bad_who, 1);
		return NULL;
	}
	if (!atomic_load(&u->ptid[who]))
		atomic_store(&u->ptid[who], thread_tid());
	if ((n = atomic_fetch_add(&u->next[who], 1)) >= u->per)
		return NULL;
	held = atomic_fetch_add(&u->produced, 1) + 1 -
	       atomic_load(&u->entered);
	for (long m = atomic_load(&u->max_held); held > m &&
	     !atomic_compare_exchange_weak(&u->max_held, &m, held);)
		;
	return &u->ids[(long)who * u->per + n];
}

/* Waits at the gate while it is closed (a consumer slower than any). */
static void gate(struct run *u)
{
	atomic_fetch_add(&u->in_gate, 1);
	while (!atomic_load(&u->gate_open))
		timing_sleep_ms(1);
	atomic_fetch_sub(&u->in_gate, 1);
}

static int handle(void *arg, unsigned who, void *item)
{
	struct run *u = arg;
	unsigned long *p = item;

	if (who >= u->job.consumers)
		atomic_fetch_add(&u->bad_who, 1);
	if (p < u->ids || p >= u->ids + u->total) {
		atomic_fetch_add(&u->garbage, 1);
		return 0;
	}
	atomic_fetch_add(&u->entered, 1);
	if (u->gate)
		gate(u);
	if (atomic_fetch_add(&u->seen[*p], 1))
		atomic_fetch_add(&u->dups, 1);
	atomic_fetch_add(&u->handled, 1);
	if (u->fail_mod && *p % u->fail_mod == 1) {
		atomic_fetch_add(&u->failures, 1);
		return -EIO;
	}
	return 0;
}

void run_setup(struct kata_ctx *k, struct run *u, unsigned p, unsigned c,
	       long per, size_t cap, enum pc_stop stop)
{
	long total = (long)p * per;

	memset(u, 0, sizeof(*u));
	u->k = k;
	u->cap = cap;
	u->per = per;
	u->total = total;
	u->job = (struct pc_job){ .producers = p, .consumers = c,
				  .stop = stop, .produce = produce,
				  .handle = handle, .arg = u };
	u->ids = malloc((size_t)total * sizeof(*u->ids));
	u->seen = calloc((size_t)total, sizeof(*u->seen));
	u->next = calloc(p ? p : 1, sizeof(*u->next));
	KATA_REQUIRE(k, u->ids && u->seen && u->next, "out of memory");
	for (long i = 0; i < total; i++)
		u->ids[i] = (unsigned long)i;
	call_init(k, &u->q, cap);
}

/* Reads q's fields (under its lock unless someone keeps it). */
static void peek(struct run *u, size_t *len, size_t *unfinished,
		 bool *closed)
{
	bool locked = pthread_mutex_trylock(&u->q.lock) == 0;

	*len = u->q.len;
	*unfinished = u->q.unfinished;
	*closed = u->q.closed;
	if (locked)
		pthread_mutex_unlock(&u->q.lock);
}

/* Says why the pipeline stopped moving (does not return). */
static _Noreturn void stalled(struct run *u, int ms)
{
	int alive = thread_count() - u->base_threads - 1;
	long h = atomic_load(&u->handled);
	size_t len, unf;
	bool closed;

	peek(u, &len, &unf, &closed);
	if (h < u->total)
		kata_fail(u->k, "no progress for %d ms: %ld items produced, "
			  "%ld of %ld handled; the queue holds %zu, %zu tasks "
			  "unfinished, %d threads of pc_run alive", ms,
			  atomic_load(&u->produced), h, u->total, len, unf,
			  alive);
	kata_fail(u->k, "every one of the %ld items was handled, but pc_run "
		  "had not returned %d ms later: %d of its threads still "
		  "run; the queue holds %zu items, %zu tasks unfinished, "
		  "%s.  %s", u->total, ms, alive, len, unf,
		  closed ? "closed" : "open", unf ? "pcq_join waits for a "
		  "task_done that never came: every item needs one, a "
		  "failed one too" : "Consumers still wait in pcq_get: each "
		  "needs its own sentinel (or the queue closed)");
}

static void *watchdog(void *arg)
{
	struct run *u = arg;
	int ms = (int)(1000 * kata_scale(u->k));
	uint64_t since = timing_now_ns();
	long seen = -1, now;

	if (u->during)
		u->during(u);
	while (!atomic_load(&u->returned)) {
		now = atomic_load(&u->produced) + atomic_load(&u->handled);
		if (now != seen) {
			seen = now;
			since = timing_now_ns();
		} else if (timing_ms_since(since) > ms) {
			stalled(u, ms);
		}
		timing_sleep_ms(5);
	}
	return NULL;
}

double run_go(struct run *u)
{
	uint64_t t0;
	pthread_t w;
	double ms;

	u->base_threads = thread_count();
	KATA_REQUIRE(u->k, !thread_start(&w, "watchdog", watchdog, u),
		     "could not start a grader thread");
	t0 = timing_now_ns();
	u->r = KATA_SYM(u->k, pc_run)(&u->q, &u->job, &u->failed);
	ms = timing_ms_since(t0);
	atomic_store(&u->returned, 1);
	KATA_REQUIRE(u->k, !thread_join_timeout(w, (int)(5000 *
		     kata_scale(u->k)), NULL), "the grader's watchdog did not "
		     "end after pc_run returned");
	return ms;
}

/* Waits (bounded) until pc_run's threads are gone. */
static void check_threads(struct run *u, const char *what)
{
	uint64_t t0 = timing_now_ns();
	int left;

	while ((left = thread_count() - u->base_threads) > 0 &&
	       timing_ms_since(t0) < 1000 * kata_scale(u->k))
		timing_sleep_ms(2);
	if (left > 0)
		kata_fail(u->k, "%s: pc_run returned, but %d of its threads "
			  "still ran: expected it to join every thread it "
			  "started (every consumer must exit)", what, left);
}

static void check_items(struct run *u, const char *what)
{
	kata_expect_int(u->k, "handle() called with a pointer that is no "
			"item produce() returned", atomic_load(&u->garbage),
			0);
	kata_expect_int(u->k, "produce() or handle() called with a who out "
			"of range", atomic_load(&u->bad_who), 0);
	if (atomic_load(&u->dups))
		kata_fail(u->k, "%s: expected every item handled once, got "
			  "%ld items handled twice", what,
			  atomic_load(&u->dups));
	for (long i = 0; i < u->total; i++)
		if (!atomic_load(&u->seen[i]))
			kata_fail(u->k, "%s: item %ld (producer %ld's #%ld): "
				  "expected it handled once, never handled",
				  what, i, i / u->per, i % u->per);
}

void run_check(struct run *u, const char *what)
{
	bool want_closed = u->job.stop == PC_STOP_CLOSE, closed;
	size_t len, unf;

	if (u->r != 0)
		kata_fail(u->k, "%s: pc_run: expected 0, got %s", what,
			  kata_strres(u->r));
	check_items(u, what);
	if (u->failed != (unsigned long)atomic_load(&u->failures))
		kata_fail(u->k, "%s: pc_run's *failed: expected %ld (the "
			  "items whose handle returned -EIO), got %lu", what,
			  atomic_load(&u->failures), u->failed);
	check_threads(u, what);
	peek(u, &len, &unf, &closed);
	if (len || unf || closed != want_closed)
		kata_fail(u->k, "%s: after pc_run: expected an empty, %s "
			  "queue with no unfinished task, got %zu items, %zu "
			  "unfinished, %s", what, want_closed ? "closed" :
			  "open", len, unf, closed ? "closed" : "open");
	KATA_SYM(u->k, pcq_destroy)(&u->q);
}

double run_alone(struct run *u)
{
	uint64_t t0 = timing_now_ns();
	void *item;

	memset(u->seen, 0, (size_t)u->total * sizeof(*u->seen));
	for (unsigned i = 0; i < u->job.producers; i++)
		atomic_store(&u->next[i], 0);
	for (unsigned i = 0; i < u->job.producers; i++)
		while ((item = produce(u, i)) != NULL)
			handle(u, 0, item);
	return timing_ms_since(t0);
}

long run_held(struct run *u)
{
	return atomic_load(&u->produced) - atomic_load(&u->entered);
}

/* True when every producer has started and sleeps in the kernel. */
static bool producers_asleep(struct run *u)
{
	for (unsigned i = 0; i < u->job.producers; i++) {
		pid_t t = atomic_load(&u->ptid[i]);

		if (!t || thread_wait_sleeping(t, 1))
			return false;
	}
	return true;
}

void run_settle(struct run *u, int n)
{
	uint64_t t0 = timing_now_ns();
	long before;

	for (;;) {
		before = atomic_load(&u->produced);
		if (atomic_load(&u->in_gate) == n && producers_asleep(u)) {
			timing_sleep_ms(20);
			if (atomic_load(&u->produced) == before &&
			    producers_asleep(u))
				return;
		}
		if (timing_ms_since(t0) > 2000 * kata_scale(u->k))
			kata_fail(u->k, "after 2 s, %d of the %d consumers "
				  "were in handle() at once (expected all: "
				  "call it without the queue's lock), and "
				  "the producers had %s", atomic_load(
				  &u->in_gate), n, producers_asleep(u) ?
				  "stopped" : "not stopped (a full queue "
				  "must put them to sleep)");
		timing_sleep_ms(2);
	}
}

void run_open_gate(struct run *u)
{
	atomic_store(&u->gate_open, 1);
}
