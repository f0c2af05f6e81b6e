/*
 * priority_queue.c: the grader of the priority_queue kata.
 *
 * Drives the learner's queue (katas/priority_queue/priority_queue.h) with
 * real threads: ordering in each mode and stability among equal priorities,
 * maxsize and the try/timed variants, waiting callers confirmed asleep in
 * the kernel (/proc), a wakeup stolen by a barging caller, close() waking
 * everyone, task_done/join, and a seeded producer/consumer stress with a
 * throughput figure beside a plain mutex+condvar ring buffer measured in
 * the same run.  Calls run in grader threads come from
 * graders/priority_queue/calls.c, the stress from stress.c; this file holds
 * one function per test.
 *
 * Entry point: the kata_grader descriptor (KATA_GRADER at the end).
 */
#include "priority_queue/priority_queue_grader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "timing.h"

/* ---- helpers ------------------------------------------------------------ */

static struct pq *make(struct kata_ctx *k, enum pq_mode mode, size_t max)
{
	struct pq *q = NULL;
	int r = KATA_SYM(k, pq_create)(mode, max, &q);

	kata_expect_int(k, "pq_create result", r, 0);
	KATA_REQUIRE(k, q, "pq_create returned 0 but left *out NULL");
	return q;
}

static void put_ok(struct kata_ctx *k, struct pq *q, unsigned long v, int pr)
{
	char what[64];

	snprintf(what, sizeof(what), "pq_try_put(item %lu) result", v);
	kata_expect_int(k, what, KATA_SYM(k, pq_try_put)(q, V(v), pr), 0);
}

/* Takes n items with pq_try_get and checks them against want[]. */
static void expect_items(struct kata_ctx *k, struct pq *q, const char *mode,
			 const unsigned long *want, int n)
{
	for (int i = 0; i < n; i++) {
		void *it = NOTHING;
		int r = KATA_SYM(k, pq_try_get)(q, &it);

		if (r != 0)
			kata_fail(k, "%s: get #%d: expected item %lu, got "
				  "result %s", mode, i + 1, want[i],
				  kata_strres(r));
		if (U(it) != want[i])
			kata_fail(k, "%s: get #%d: expected item %lu, got %lu",
				  mode, i + 1, want[i], U(it));
	}
}

/* ---- ordering ----------------------------------------------------------- */

static void t_fifo(struct kata_ctx *k)
{
	static const unsigned long seed[] = { 12, 0, 7 };
	unsigned long want[100];
	struct pq *q;
	void *it;

	kata_concept(k, "a FIFO queue hands items out in the order they were "
		     "put; NULL (item 0 here) is an item like any other");
	q = make(k, PQ_FIFO, 0);
	for (int i = 0; i < 3; i++)
		put_ok(k, q, seed[i], 9 - i);
	expect_items(k, q, "FIFO (the seed's 12, 'hello', {...})", seed, 3);
	for (int i = 0; i < 100; i++)
		put_ok(k, q, want[i] = (unsigned long)(i * 7 % 100), -i);
	expect_items(k, q, "FIFO, 100 items", want, 100);
	kata_expect_int(k, "pq_try_get on an empty queue",
			KATA_SYM(k, pq_try_get)(q, &it), -EAGAIN);
	KATA_SYM(k, pq_destroy)(q);
	q = NULL;
	kata_expect_int(k, "pq_create with mode 7 (not a mode)",
			KATA_SYM(k, pq_create)((enum pq_mode)7, 0, &q),
			-EINVAL);
}

static void t_lifo(struct kata_ctx *k)
{
	static const unsigned long want[] = { 7, 0, 12 };
	struct pq *q;

	kata_concept(k, "a LIFO queue is a stack: the last item put is the "
		     "first one out");
	q = make(k, PQ_LIFO, 0);
	put_ok(k, q, 12, 0);
	put_ok(k, q, 0, 5);
	put_ok(k, q, 7, 9);
	expect_items(k, q, "LIFO", want, 3);
	KATA_SYM(k, pq_destroy)(q);
}

static void t_priority(struct kata_ctx *k)
{
	static const unsigned long seed[] = { 10, 30, 20 };
	unsigned long want[64];
	struct pq *q;

	kata_concept(k, "a priority queue hands out the lowest priority "
		     "number first, whatever the order of the puts");
	q = make(k, PQ_PRIORITY, 0);
	put_ok(k, q, 20, 3);
	put_ok(k, q, 10, 1);
	put_ok(k, q, 30, 2);
	expect_items(k, q, "priority (the seed's [3,20] [1,10] [2,30])",
		     seed, 3);
	for (int i = 0; i < 64; i++) {
		int p = (i * 37) % 64 - 20;	/* permutes -20..43 */

		put_ok(k, q, (unsigned long)(p + 20), p);
		want[i] = (unsigned long)i;
	}
	expect_items(k, q, "priority, 64 distinct priorities", want, 64);
	KATA_SYM(k, pq_destroy)(q);
}

static int cmp_pair(const void *a, const void *b)
{
	const unsigned long *x = a, *y = b;	/* { priority, item } */

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) :
	       x[1] < y[1] ? -1 : x[1] > y[1];
}

static void t_stable(struct kata_ctx *k)
{
	unsigned long pairs[500][2], want[500];
	struct rng g;
	struct pq *q;

	kata_concept(k, "among equal priorities the queue is first-in, "
		     "first-out; a bare binary heap is not stable, so break "
		     "ties with an insertion counter");
	rng_seed(&g, kata_seed(k));
	q = make(k, PQ_PRIORITY, 0);
	for (int i = 0; i < 500; i++) {
		pairs[i][0] = rng_below(&g, 4);
		pairs[i][1] = (unsigned long)i;
		put_ok(k, q, pairs[i][1], (int)pairs[i][0]);
	}
	qsort(pairs, 500, sizeof(pairs[0]), cmp_pair);
	for (int i = 0; i < 500; i++)
		want[i] = pairs[i][1];
	expect_items(k, q, "500 items, priorities 0..3, in put order "
		     "within a priority", want, 500);
	KATA_SYM(k, pq_destroy)(q);
}

/* ---- size, maxsize, waiting --------------------------------------------- */

static void t_size(struct kata_ctx *k)
{
	struct pq *q;
	void *it;

	kata_concept(k, "maxsize bounds the queue: at maxsize items it is "
		     "full and a put that must not wait says -EAGAIN");
	q = make(k, PQ_FIFO, 3);
	KATA_REQUIRE(k, KATA_SYM(k, pq_empty)(q), "pq_empty on a new queue: "
		     "expected true, got false");
	for (unsigned long i = 1; i <= 3; i++)
		put_ok(k, q, i, 0);
	kata_expect_int(k, "pq_size after 3 puts", (long long)
			KATA_SYM(k, pq_size)(q), 3);
	KATA_REQUIRE(k, KATA_SYM(k, pq_full)(q), "pq_full with 3 of "
		     "maxsize 3: expected true, got false");
	KATA_REQUIRE(k, !KATA_SYM(k, pq_empty)(q), "pq_empty with 3 items: "
		     "expected false, got true");
	kata_expect_int(k, "pq_try_put on a full queue (maxsize 3)",
			KATA_SYM(k, pq_try_put)(q, V(4), 0), -EAGAIN);
	kata_expect_int(k, "pq_try_get on a full queue",
			KATA_SYM(k, pq_try_get)(q, &it), 0);
	KATA_REQUIRE(k, !KATA_SYM(k, pq_full)(q), "pq_full with 2 of "
		     "maxsize 3: expected false, got true");
	KATA_SYM(k, pq_destroy)(q);
	q = make(k, PQ_LIFO, 0);
	for (unsigned long i = 0; i < 1000; i++)
		put_ok(k, q, i, 0);
	KATA_REQUIRE(k, !KATA_SYM(k, pq_full)(q), "pq_full on an unbounded "
		     "queue (maxsize 0) with 1000 items: expected false");
}

static void t_put_waits(struct kata_ctx *k)
{
	static const unsigned long want[] = { 2, 99 };
	struct call c;
	struct pq *q;
	void *it;

	kata_concept(k, "put on a full queue sleeps on a condition variable "
		     "until a get makes room, then signals a waiting putter");
	q = make(k, PQ_FIFO, 2);
	put_ok(k, q, 1, 0);
	put_ok(k, q, 2, 0);
	call_blocked(k, &c, q, OP_PUT, V(99));
	kata_expect_int(k, "pq_try_get", KATA_SYM(k, pq_try_get)(q, &it), 0);
	call_done(k, &c, 0, "a get made room");
	expect_items(k, q, "after the waiting put", want, 2);
}

static void t_get_waits(struct kata_ctx *k)
{
	struct call c;
	struct pq *q;

	kata_concept(k, "get on an empty queue sleeps on a condition variable "
		     "until a put signals it");
	q = make(k, PQ_FIFO, 0);
	call_blocked(k, &c, q, OP_GET, NOTHING);
	put_ok(k, q, 42, 0);
	call_done(k, &c, 0, "a put");
	KATA_REQUIRE(k, U(c.item) == 42, "the waiting pq_get: expected item "
		     "42, got %lu", U(c.item));
}

/* One round: a barging try_get may steal the item meant for a waiter. */
static int steal_round(struct kata_ctx *k, struct pq *q, unsigned long n)
{
	struct call c;
	void *it = NOTHING;
	int stolen;

	call_blocked(k, &c, q, OP_GET, NOTHING);
	put_ok(k, q, n, 0);
	stolen = KATA_SYM(k, pq_try_get)(q, &it) == 0;
	if (stolen) {
		call_resettle(k, &c);
		put_ok(k, q, n + 1, 0);
	}
	call_done(k, &c, 0, stolen ? "another thread took the first item "
		  "and a second one was put" : "a put");
	if (U(c.item) != n + (unsigned long)stolen)
		kata_fail(k, "the waiting pq_get%s: expected item %lu, got "
			  "%#lx", stolen ? " (its item was taken by another "
			  "thread first)" : "", n + stolen, U(c.item));
	return stolen;
}

static void t_stolen(struct kata_ctx *k)
{
	int rounds = (int)kata_param(k, "steal_rounds", 40, 10), n = 0, i;
	struct pq *q;

	kata_concept(k, "a woken waiter is not guaranteed the item: another "
		     "thread may take it first, so re-check the condition in "
		     "a while loop, never an if");
	q = make(k, PQ_FIFO, 0);
	for (i = 0; i < 10 * rounds && (i < rounds || n < 3); i++)
		n += steal_round(k, q, 100 + 10 * (unsigned long)i);
	kata_note(k, "%d of %d wakeups were stolen by a barging get", n, i);
}

/* Two puts (gets) while two getters (putters) are woken but not run. */
static void two_at_once(struct kata_ctx *k, struct pq *q, enum op op)
{
	struct call c[2];
	void *it;

	for (int i = 0; i < 2; i++)
		call_blocked(k, &c[i], q, op, V(50 + i));
	call_park(k, c, 2);
	for (int i = 0; i < 2; i++)
		if (op == OP_GET)
			put_ok(k, q, 60 + (unsigned long)i, 0);
		else
			kata_expect_int(k, "pq_try_get on a full queue",
					KATA_SYM(k, pq_try_get)(q, &it), 0);
	call_unpark(k);
	for (int i = 0; i < 2; i++)
		call_done(k, &c[i], 0, op == OP_GET ? "two puts that came "
			  "before either woken getter ran (a put must wake "
			  "a getter even when the queue was not empty)" :
			  "two gets that came before either woken putter "
			  "ran (a get must wake a putter even when the "
			  "queue was not full)");
}

static void t_each_wakes(struct kata_ctx *k)
{
	struct pq *q;

	kata_concept(k, "every put wakes a waiting getter, every get a "
		     "waiting putter: two puts can come before the first "
		     "woken getter runs, and the second finds the queue not "
		     "empty, yet the other getter still sleeps");
	q = make(k, PQ_FIFO, 0);
	two_at_once(k, q, OP_GET);
	q = make(k, PQ_FIFO, 2);
	put_ok(k, q, 1, 0);
	put_ok(k, q, 2, 0);
	two_at_once(k, q, OP_PUT);
	kata_expect_int(k, "pq_size after 2 gets and 2 waiting puts",
			(long long)KATA_SYM(k, pq_size)(q), 2);
}

/* ---- timeouts ----------------------------------------------------------- */

static void t_timed_get(struct kata_ctx *k)
{
	unsigned ms = (unsigned)kata_param(k, "timeout_ms", 100, 40);
	unsigned long_ms = (unsigned)(10 * ms * kata_scale(k));
	struct ref ref;
	struct call l;
	struct pq *q;
	void *it = NOTHING;
	uint64_t t0;

	kata_concept(k, "a timed wait takes an absolute deadline: on a "
		     "condition variable set to CLOCK_MONOTONIC (with "
		     "pthread_condattr_setclock), now + timeout_ms");
	q = make(k, PQ_FIFO, 0);
	put_ok(k, q, 5, 0);
	kata_expect_int(k, "pq_timed_get on a queue holding an item",
			KATA_SYM(k, pq_timed_get)(q, ms, &it), 0);
	KATA_REQUIRE(k, U(it) == 5, "pq_timed_get: expected item 5, got %#lx",
		     U(it));
	kata_expect_int(k, "pq_timed_get(0 ms) on an empty queue",
			KATA_SYM(k, pq_timed_get)(q, 0, &it), -ETIMEDOUT);
	call_ref_start(k, &ref, ms);
	t0 = timing_now_ns();
	kata_expect_int(k, "pq_timed_get on an empty queue",
			KATA_SYM(k, pq_timed_get)(q, ms, &it), -ETIMEDOUT);
	call_check_duration(k, &ref, "pq_timed_get", timing_ms_since(t0));
	call_late(k, &l, q, OP_LATE_PUT, V(77), ms / 4);
	t0 = timing_now_ns();
	kata_expect_int(k, "pq_timed_get while another thread puts",
			KATA_SYM(k, pq_timed_get)(q, long_ms, &it), 0);
	KATA_REQUIRE(k, timing_ms_since(t0) < long_ms / 2, "pq_timed_get(%u "
		     "ms) returned after %.0f ms although an item came after "
		     "%u ms: a put must wake a timed getter", long_ms,
		     timing_ms_since(t0), ms / 4);
}

static void t_timed_put(struct kata_ctx *k)
{
	unsigned ms = (unsigned)kata_param(k, "timeout_ms", 100, 40);
	unsigned long_ms = (unsigned)(10 * ms * kata_scale(k));
	struct ref ref;
	struct call l;
	struct pq *q;
	uint64_t t0;

	kata_concept(k, "a timed put waits for room until an absolute "
		     "CLOCK_MONOTONIC deadline, then gives up with -ETIMEDOUT");
	q = make(k, PQ_FIFO, 1);
	kata_expect_int(k, "pq_timed_put on an empty queue",
			KATA_SYM(k, pq_timed_put)(q, V(1), 0, ms), 0);
	call_ref_start(k, &ref, ms);
	t0 = timing_now_ns();
	kata_expect_int(k, "pq_timed_put on a full queue",
			KATA_SYM(k, pq_timed_put)(q, V(2), 0, ms), -ETIMEDOUT);
	call_check_duration(k, &ref, "pq_timed_put", timing_ms_since(t0));
	kata_expect_int(k, "pq_size after a timed-out put", (long long)
			KATA_SYM(k, pq_size)(q), 1);
	kata_expect_int(k, "pq_timed_put(0 ms) on a full queue",
			KATA_SYM(k, pq_timed_put)(q, V(2), 0, 0), -ETIMEDOUT);
	call_late(k, &l, q, OP_LATE_GET, NULL, ms / 4);
	t0 = timing_now_ns();
	kata_expect_int(k, "pq_timed_put while another thread gets",
			KATA_SYM(k, pq_timed_put)(q, V(3), 0, long_ms), 0);
	KATA_REQUIRE(k, timing_ms_since(t0) < long_ms / 2, "pq_timed_put(%u "
		     "ms) returned after %.0f ms although a get made room "
		     "after %u ms: a get must wake a timed putter", long_ms,
		     timing_ms_since(t0), ms / 4);
}

/* ---- close, task_done, join --------------------------------------------- */

static void t_close_wakes(struct kata_ctx *k)
{
	struct call g[3], p[2];
	struct pq *e, *f;

	kata_concept(k, "close() must wake every waiting thread, so it "
		     "broadcasts; a signal wakes only one and the rest sleep "
		     "forever (the seed needed one None per consumer)");
	e = make(k, PQ_FIFO, 0);
	f = make(k, PQ_FIFO, 1);
	put_ok(k, f, 1, 0);
	for (int i = 0; i < 3; i++)
		call_blocked(k, &g[i], e, OP_GET, NOTHING);
	for (int i = 0; i < 2; i++)
		call_blocked(k, &p[i], f, OP_PUT, V(2));
	KATA_SYM(k, pq_close)(e);
	for (int i = 0; i < 3; i++)
		call_done(k, &g[i], PQ_CLOSED, "pq_close (3 getters waiting)");
	KATA_SYM(k, pq_close)(f);
	for (int i = 0; i < 2; i++)
		call_done(k, &p[i], PQ_CLOSED, "pq_close (2 putters waiting)");
}

static void t_close_drains(struct kata_ctx *k)
{
	static const unsigned long want[] = { 1, 2, 3 };
	struct call c;
	struct pq *q;
	void *it;

	kata_concept(k, "after close() puts are refused but gets still "
		     "drain what is left; only then does get say PQ_CLOSED "
		     "(-EPIPE), the C version of the seed's None sentinel");
	q = make(k, PQ_FIFO, 0);
	for (unsigned long i = 1; i <= 3; i++)
		put_ok(k, q, i, 0);
	KATA_SYM(k, pq_close)(q);
	KATA_SYM(k, pq_close)(q);	/* closing twice is harmless */
	kata_expect_int(k, "pq_try_put after pq_close (twice)",
			KATA_SYM(k, pq_try_put)(q, V(4), 0), PQ_CLOSED);
	kata_expect_int(k, "pq_put after pq_close",
			KATA_SYM(k, pq_put)(q, V(4), 0), PQ_CLOSED);
	kata_expect_int(k, "pq_size after pq_close", (long long)
			KATA_SYM(k, pq_size)(q), 3);
	expect_items(k, q, "gets after pq_close", want, 3);
	kata_expect_int(k, "pq_try_get on a closed, drained queue",
			KATA_SYM(k, pq_try_get)(q, &it), PQ_CLOSED);
	call_start(k, &c, q, OP_GET, NOTHING);
	call_done(k, &c, PQ_CLOSED, "pq_close on a drained queue");
}

static void t_join(struct kata_ctx *k)
{
	struct call c, j[2];
	struct pq *q;
	void *it;

	kata_concept(k, "join waits for task_done on every item put, not for "
		     "an empty queue: a consumer may still be working on the "
		     "item it took; task_done wakes every joiner at zero");
	q = make(k, PQ_FIFO, 0);
	call_start(k, &c, q, OP_JOIN, NULL);
	call_done(k, &c, 0, "starting on a queue with no tasks");
	for (unsigned long i = 1; i <= 3; i++)
		put_ok(k, q, i, 0);
	for (int i = 0; i < 3; i++)
		kata_expect_int(k, "pq_try_get",
				KATA_SYM(k, pq_try_get)(q, &it), 0);
	for (int i = 0; i < 2; i++)
		call_blocked(k, &j[i], q, OP_JOIN, NULL);
	for (int i = 0; i < 2; i++)
		kata_expect_int(k, "pq_task_done", KATA_SYM(k, pq_task_done)(q),
				0);
	timing_sleep_ms(20);
	KATA_REQUIRE(k, !atomic_load(&j[0].done) && !atomic_load(&j[1].done),
		     "pq_join returned after 2 of 3 task_done calls: expected "
		     "it to wait for the third");
	kata_expect_int(k, "pq_task_done", KATA_SYM(k, pq_task_done)(q), 0);
	for (int i = 0; i < 2; i++)
		call_done(k, &j[i], 0, "the last task_done (2 joiners)");
	kata_expect_int(k, "pq_task_done with no unfinished task",
			KATA_SYM(k, pq_task_done)(q), -EINVAL);
}

/* ---- producers and consumers -------------------------------------------- */

static void t_stress(struct kata_ctx *k)
{
	long per = kata_param(k, "items", 200000, 4000);
	struct stress s = { .k = k, .learner = true, .per = per };
	double ms, ref;

	kata_concept(k, "%d producers and %d consumers share one queue of "
		     "maxsize 16: every item arrives exactly once, in put "
		     "order within a producer and priority", NPROD, NCONS);
	s.seed = kata_seed(k);
	s.seen = calloc((size_t)(NPROD * per), 1);
	KATA_REQUIRE(k, s.seen, "out of memory");
	s.q = make(k, PQ_PRIORITY, 16);
	ms = stress_run(k, &s);
	stress_check(k, &s);
	ref = stress_ring_run(k, &s);
	kata_note(k, "%.0f items/s through your queue; %.0f items/s through "
		  "a plain FIFO ring (mutex + 2 condvars), same threads, this "
		  "run", NPROD * per / ms * 1000, NPROD * (per / 2) / ref *
		  1000);
}

static const struct kata_test tests[] = {
	{ "fifo_order", "FIFO mode returns items in put order, NULL included",
	  t_fifo, 0, 1, NULL },
	{ "lifo_order", "LIFO mode returns the newest item first", t_lifo, 0,
	  1, NULL },
	{ "priority_order", "priority mode returns the lowest number first",
	  t_priority, 0, 1, NULL },
	{ "priority_stable", "equal priorities come out first-in, first-out",
	  t_stable, 0, 1, "priority_order" },
	{ "size_and_full", "maxsize is enforced; size, empty and full agree",
	  t_size, 0, 1, NULL },
	{ "put_waits_when_full", "put sleeps on a full queue until a get",
	  t_put_waits, 0, 1, NULL },
	{ "get_waits_when_empty", "get sleeps on an empty queue until a put",
	  t_get_waits, 0, 1, NULL },
	{ "stolen_wakeup", "a waiter whose item was taken first keeps waiting",
	  t_stolen, 0, 1, "get_waits_when_empty" },
	{ "each_wakes", "each put wakes a getter, each get a putter",
	  t_each_wakes, 0, 1, "put_waits_when_full" },
	{ "timed_get", "timed get: -ETIMEDOUT on time, or the item at once",
	  t_timed_get, 0, 1, NULL },
	{ "timed_put", "timed put: -ETIMEDOUT on time, or room at once",
	  t_timed_put, 0, 1, NULL },
	{ "close_wakes_all", "close wakes every waiting getter and putter",
	  t_close_wakes, 0, 1, NULL },
	{ "close_drains", "after close, gets drain the rest, then PQ_CLOSED",
	  t_close_drains, 0, 1, NULL },
	{ "task_done_join", "join returns only after every task_done",
	  t_join, 0, 1, NULL },
	{ "producers_consumers", "4 x 4 threads: every item once, in order",
	  t_stress, 30000, 2, "close_wakes_all" },
	{ 0 }
};

KATA_GRADER(.kata = "priority_queue",
	    .title = "A bounded, blocking priority queue",
	    .topic = "Queue, LifoQueue, PriorityQueue, task_done/join",
	    .order = 60,
	    .tests = tests);
