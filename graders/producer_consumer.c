/*
 * producer_consumer.c: the grader of the producer_consumer kata.
 *
 * The queue first, with grader threads whose sleep is read in /proc:
 * order, a put that waits for room and a get that waits for an item,
 * waiters woken for nothing (a broadcast the grader sends itself), join
 * before any put and join while items are still in hand, close waking
 * every waiter, draining, and a put caught by close.  Then one consumer's
 * loop (sentinel, close, failing items), then the whole pipeline through
 * pc_run with the grader's own produce and handle callbacks: every item
 * exactly once, every thread gone, P and C from 1 to 8, back-pressure
 * measured by the grader, failing items, and a throughput figure beside
 * the same work done in one thread.  Helpers: graders/producer_consumer/
 * calls.c (one call in a thread) and runs.c (a pipeline run).
 *
 * Entry point: the kata_grader descriptor (KATA_GRADER at the end).
 */
#include "producer_consumer/pc_grader.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned long v[8];	/* items of the queue tests: &v[i] */

/* pcq_get, checked to return want (what: why that one). */
static void expect_get(struct kata_ctx *k, struct pc_queue *q, void *want,
		       const char *what)
{
	void *it = NOTHING;

	call_get(k, q, &it, what);
	if (it != want)
		kata_fail(k, "%s: expected %s, got %s", what,
			  want ? "an item" : "the sentinel (NULL)", it ==
			  NULL ? "the sentinel (NULL)" : "another item");
}

/* Reads q->unfinished under q->lock. */
static long unfinished(struct pc_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->unfinished;
	pthread_mutex_unlock(&q->lock);
	return (long)n;
}

/* ---- the queue ---------------------------------------------------------- */

static void t_fifo(struct kata_ctx *k)
{
	struct pc_queue q;

	kata_concept(k, "a queue hands items out first in, first out; NULL "
		     "(the sentinel, the seed's None) is stored like any "
		     "other item; the ring wraps around its cap slots");
	call_init(k, &q, 3);
	call_put(k, &q, &v[1]);
	call_put(k, &q, NULL);
	call_put(k, &q, &v[2]);
	expect_get(k, &q, &v[1], "get #1 of (v1, NULL, v2)");
	expect_get(k, &q, NULL, "get #2 of (v1, NULL, v2)");
	expect_get(k, &q, &v[2], "get #3 of (v1, NULL, v2)");
	for (int i = 0; i < 6; i++) {
		call_put(k, &q, &v[i]);
		call_put(k, &q, &v[i + 1]);
		expect_get(k, &q, &v[i], "first of two puts (ring wrapping)");
		expect_get(k, &q, &v[i + 1], "second of two puts");
	}
	KATA_SYM(k, pcq_destroy)(&q);
	kata_expect_int(k, "pcq_init(q, 0) (a queue with no room)",
			KATA_SYM(k, pcq_init)(&q, 0), -EINVAL);
}

static void t_put_waits(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;

	kata_concept(k, "put on a full queue sleeps on not_full until a get "
		     "makes room: that sleep is the back-pressure that slows "
		     "producers down to the consumers' pace");
	call_init(k, &q, 2);
	call_put(k, &q, &v[1]);
	call_put(k, &q, &v[2]);
	call_asleep(k, &c, &q, OP_PUT, &v[3]);
	expect_get(k, &q, &v[1], "a get from the full queue");
	call_done(k, &c, 0, "a get made room");
	expect_get(k, &q, &v[2], "get #2");
	expect_get(k, &q, &v[3], "get #3 (the item of the waiting put)");
}

static void t_get_waits(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;

	kata_concept(k, "get on an empty queue sleeps on not_empty until a "
		     "put signals it");
	call_init(k, &q, 2);
	call_asleep(k, &c, &q, OP_GET, NOTHING);
	call_put(k, &q, &v[4]);
	call_done(k, &c, 0, "a put");
	KATA_REQUIRE(k, c.item == &v[4], "the waiting pcq_get: expected the "
		     "item put, got %s", c.item ? "another pointer" : "NULL");
}

static void t_rechecks(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;

	kata_concept(k, "a woken waiter must test its condition again (while, "
		     "not if): a wakeup may be spurious, or another thread "
		     "may have taken the room or the item first");
	call_init(k, &q, 1);
	call_put(k, &q, &v[1]);
	call_asleep(k, &c, &q, OP_PUT, &v[2]);
	call_spurious(&q, &q.not_full);
	call_still_waits(k, &c, "a wakeup with the queue still full (the "
			 "grader broadcast not_full; no get came)");
	expect_get(k, &q, &v[1], "a get from the full queue");
	call_done(k, &c, 0, "a get made room");
	expect_get(k, &q, &v[2], "the item of the waiting put");
	call_asleep(k, &c, &q, OP_GET, NOTHING);
	call_spurious(&q, &q.not_empty);
	call_still_waits(k, &c, "a wakeup with the queue still empty (the "
			 "grader broadcast not_empty; no put came)");
	call_put(k, &q, &v[3]);
	call_done(k, &c, 0, "a put");
}

static void t_join_at_once(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;
	void *it;

	kata_concept(k, "join waits while tasks are unfinished: with none "
		     "(nothing put yet, or every task done) it returns at "
		     "once; test the count before waiting, never wait first");
	call_init(k, &q, 4);
	call_start(k, &c, &q, OP_JOIN, NULL);
	call_done(k, &c, 0, "being called on a queue nothing was ever put in");
	call_put(k, &q, &v[1]);
	call_put(k, &q, NULL);
	call_get(k, &q, &it, "pcq_get");
	call_get(k, &q, &it, "pcq_get");
	for (int i = 0; i < 2; i++)
		kata_expect_int(k, "pcq_task_done", KATA_SYM(k,
				pcq_task_done)(&q), 0);
	call_start(k, &c, &q, OP_JOIN, NULL);
	call_done(k, &c, 0, "being called with both tasks done");
}

static void t_join_waits(struct kata_ctx *k)
{
	struct call j[2] = { { 0 } };
	struct pc_queue q;
	void *it;

	kata_concept(k, "join waits for every task_done, not for an empty "
		     "queue: a consumer may still be working on the item it "
		     "took; the last task_done wakes every joiner (broadcast)");
	call_init(k, &q, 4);
	for (int i = 0; i < 3; i++)
		call_put(k, &q, &v[i]);
	for (int i = 0; i < 3; i++)
		call_get(k, &q, &it, "pcq_get");
	for (int i = 0; i < 2; i++)
		call_asleep(k, &j[i], &q, OP_JOIN, NULL);
	for (int i = 0; i < 2; i++)
		kata_expect_int(k, "pcq_task_done", KATA_SYM(k,
				pcq_task_done)(&q), 0);
	for (int i = 0; i < 2; i++)
		call_still_waits(k, &j[i], "2 of 3 task_done calls");
	kata_expect_int(k, "pcq_task_done", KATA_SYM(k, pcq_task_done)(&q), 0);
	for (int i = 0; i < 2; i++)
		call_done(k, &j[i], 0, "the last task_done (2 joiners)");
	kata_expect_int(k, "pcq_task_done with no unfinished task",
			KATA_SYM(k, pcq_task_done)(&q), -EINVAL);
}

static void t_close_wakes(struct kata_ctx *k)
{
	struct call g[3] = { { 0 } }, p[2] = { { 0 } };
	struct pc_queue e, f;

	kata_concept(k, "close must wake every waiting thread, so it "
		     "broadcasts both condition variables; a signal wakes one "
		     "and the others sleep forever");
	call_init(k, &e, 2);
	call_init(k, &f, 1);
	call_put(k, &f, &v[1]);
	for (int i = 0; i < 3; i++)
		call_asleep(k, &g[i], &e, OP_GET, NOTHING);
	for (int i = 0; i < 2; i++)
		call_asleep(k, &p[i], &f, OP_PUT, &v[2]);
	KATA_SYM(k, pcq_close)(&e);
	for (int i = 0; i < 3; i++)
		call_done(k, &g[i], PC_CLOSED, "pcq_close (3 getters waiting "
			  "on an empty queue)");
	KATA_SYM(k, pcq_close)(&f);
	for (int i = 0; i < 2; i++)
		call_done(k, &p[i], PC_CLOSED, "pcq_close (2 putters waiting "
			  "on a full queue)");
	expect_get(k, &f, &v[1], "a get after close (the item put before)");
}

static void t_close_drains(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;
	void *it = NOTHING;

	kata_concept(k, "after close, puts are refused but gets still drain "
		     "what is held; only a closed and empty queue says "
		     "PC_CLOSED (-EPIPE) to a get");
	call_init(k, &q, 4);
	for (int i = 1; i <= 3; i++)
		call_put(k, &q, &v[i]);
	KATA_SYM(k, pcq_close)(&q);
	KATA_SYM(k, pcq_close)(&q);	/* twice is harmless */
	kata_expect_int(k, "pcq_put after pcq_close (twice)",
			KATA_SYM(k, pcq_put)(&q, &v[4]), PC_CLOSED);
	for (int i = 1; i <= 3; i++)
		expect_get(k, &q, &v[i], "a get after close (3 items held)");
	kata_expect_int(k, "pcq_get on a closed, drained queue",
			KATA_SYM(k, pcq_get)(&q, &it), PC_CLOSED);
	KATA_REQUIRE(k, it == NOTHING, "pcq_get returned PC_CLOSED but "
		     "wrote into *item: expected it untouched");
	call_start(k, &c, &q, OP_GET, NOTHING);
	call_done(k, &c, PC_CLOSED, "being called on a closed, drained queue");
}

static void t_put_close(struct kata_ctx *k)
{
	struct call c = { 0 };
	struct pc_queue q;
	void *it = NOTHING;

	kata_concept(k, "a put that returns 0 promises its item will be "
		     "processed; a put that close wakes must say PC_CLOSED "
		     "and store nothing, or its producer loses the item");
	call_init(k, &q, 2);
	call_put(k, &q, &v[1]);
	call_put(k, &q, &v[2]);
	call_asleep(k, &c, &q, OP_PUT, &v[3]);
	KATA_SYM(k, pcq_close)(&q);
	call_done(k, &c, PC_CLOSED, "pcq_close while it waited for room");
	expect_get(k, &q, &v[1], "get #1 after close");
	expect_get(k, &q, &v[2], "get #2 after close");
	kata_expect_int(k, "get #3 after close (the refused item must not "
			"be there)", KATA_SYM(k, pcq_get)(&q, &it), PC_CLOSED);
	kata_expect_int(k, "unfinished tasks (2 puts succeeded, 1 refused)",
			unfinished(&q), 2);
}

/* ---- one consumer ------------------------------------------------------- */

/* Puts u's first n items, then what (the sentinel, or nothing). */
static void put_items(struct run *u, long n, bool sentinel)
{
	for (long i = 0; i < n; i++)
		call_put(u->k, &u->q, &u->ids[i]);
	if (sentinel)
		call_put(u->k, &u->q, PC_SENTINEL);
}

/* Checks items [0, n) were handled once and [n, total) never. */
static void expect_handled(struct run *u, long n, const char *after)
{
	for (long i = 0; i < u->total; i++)
		if (atomic_load(&u->seen[i]) != (i < n))
			kata_fail(u->k, "item #%ld after %s: expected it "
				  "handled %s, got %d times", i + 1, after,
				  i < n ? "once" : "never",
				  atomic_load(&u->seen[i]));
}

static void t_consume_sentinel(struct kata_ctx *k)
{
	struct run u;
	struct call c = { .job = &u.job };

	kata_concept(k, "a consumer stops at the sentinel (None) and leaves "
		     "the rest for others; it calls task_done for the "
		     "sentinel too, or a later join waits forever");
	run_setup(k, &u, 1, 1, 6, 8, PC_STOP_SENTINEL);
	put_items(&u, 5, true);
	call_put(k, &u.q, &u.ids[5]);
	call_start(k, &c, &u.q, OP_CONSUME, NULL);
	call_done(k, &c, 0, "5 items, the sentinel, and 1 more item");
	expect_handled(&u, 5, "pc_consume stopped at the sentinel");
	expect_get(k, &u.q, &u.ids[5], "the item after the sentinel");
	kata_expect_int(k, "pcq_task_done", KATA_SYM(k, pcq_task_done)(&u.q),
			0);
	kata_expect_int(k, "unfinished tasks once the consumer stopped and "
			"the grader finished the last item (the sentinel's "
			"task_done?)", unfinished(&u.q), 0);
}

static void t_consume_close(struct kata_ctx *k)
{
	struct run u;
	struct call c = { .job = &u.job };

	kata_concept(k, "a consumer waits while the queue is empty, handles "
		     "what comes, and stops when a get says PC_CLOSED");
	run_setup(k, &u, 1, 1, 4, 2, PC_STOP_CLOSE);
	call_asleep(k, &c, &u.q, OP_CONSUME, NULL);
	put_items(&u, 4, false);
	KATA_SYM(k, pcq_close)(&u.q);
	call_done(k, &c, 0, "4 items, then pcq_close");
	expect_handled(&u, 4, "pc_consume ended by close");
	kata_expect_int(k, "unfinished tasks after pc_consume drained 4 "
			"items", unfinished(&u.q), 0);
}

static void t_consume_fails(struct kata_ctx *k)
{
	struct run u;
	struct call c = { .job = &u.job };

	kata_concept(k, "an item whose handler fails is still processed: "
		     "the consumer calls task_done for it (a finally block) "
		     "and goes on, or join waits forever");
	run_setup(k, &u, 1, 1, 6, 8, PC_STOP_SENTINEL);
	u.fail_mod = 3;		/* items 1 and 4 fail */
	put_items(&u, 6, true);
	call_start(k, &c, &u.q, OP_CONSUME, NULL);
	call_done(k, &c, 2, "6 items (2 failing with -EIO), then the "
		  "sentinel");
	expect_handled(&u, 6, "2 failed items");
	kata_expect_int(k, "unfinished tasks after pc_consume handled 6 "
			"items (2 failed) and the sentinel", unfinished(&u.q),
			0);
	call_start(k, &c, &u.q, OP_JOIN, NULL);
	call_done(k, &c, 0, "every task was done");
}

/* ---- the pipeline ------------------------------------------------------- */

static void one_run(struct kata_ctx *k, unsigned p, unsigned c, long per,
		    enum pc_stop stop, const char *what)
{
	struct run u;

	run_setup(k, &u, p, c, per, 8, stop);
	run_go(&u);
	run_check(&u, what);
	free(u.ids);
	free(u.seen);
	free(u.next);
}

/* One run of per ("items") items, with the concept it teaches. */
static void pipeline(struct kata_ctx *k, unsigned p, unsigned c,
		     enum pc_stop stop, const char *concept)
{
	char what[64];

	kata_concept(k, "%s", concept);
	snprintf(what, sizeof(what), "P=%u C=%u, %s", p, c,
		 stop ? "close" : "sentinels");
	one_run(k, p, c, kata_param(k, "items", 5000, 500), stop, what);
}

static void t_pipeline_sentinel(struct kata_ctx *k)
{
	pipeline(k, 3, 4, PC_STOP_SENTINEL, "after the producers are done "
		 "and join says every item is processed, one sentinel per "
		 "consumer stops them all: one sentinel stops one consumer");
}

static void t_pipeline_close(struct kata_ctx *k)
{
	pipeline(k, 4, 3, PC_STOP_CLOSE, "closing the queue stops every "
		 "consumer at once, however many there are: each get after "
		 "the last item says PC_CLOSED");
}

static void t_sizes(struct kata_ctx *k)
{
	long per = kata_param(k, "size_items", 200, 30);
	int rounds = (int)kata_param(k, "rounds", 2, 1);
	char what[64];

	kata_concept(k, "the pipeline drains and stops for any number of "
		     "producers and consumers: more of either, or fewer "
		     "consumers than producers, changes nothing");
	for (int r = 0; r < rounds; r++)
		for (unsigned p = 1; p <= 8; p++)
			for (unsigned c = 1; c <= 8; c++) {
				enum pc_stop s = (p + c + r) % 2;

				snprintf(what, sizeof(what), "P=%u C=%u, %s",
					 p, c, s ? "close" : "sentinels");
				one_run(k, p, c, per, s, what);
			}
}

/* With every consumer held in handle(): cap in the queue, 1 per put. */
static void settled(struct run *u)
{
	long want = (long)u->cap + u->job.producers, held;

	run_settle(u, (int)u->job.consumers);
	held = run_held(u);
	if (held != want)
		kata_fail(u->k, "with all %u consumers held in handle(), %ld "
			  "items had left produce() without reaching handle(): "
			  "expected %ld (a queue of cap %zu full, and 1 in each "
			  "of the %u producers' waiting puts)",
			  u->job.consumers, held, want, u->cap,
			  u->job.producers);
	run_open_gate(u);
}

static void t_back_pressure(struct kata_ctx *k)
{
	struct run u;
	long bound;

	kata_concept(k, "consumers slower than producers: the queue fills up "
		     "to its bound and then the producers sleep in put; it "
		     "never holds more than cap items");
	run_setup(k, &u, 3, 2, 2 + 4 + 1 + 40, 4, PC_STOP_SENTINEL);
	u.gate = true;
	u.during = settled;
	run_go(&u);
	run_check(&u, "P=3 C=2, cap 4, slow consumers");
	bound = (long)u.cap + u.job.producers + u.job.consumers;
	if (atomic_load(&u.max_held) > bound)
		kata_fail(k, "at one moment %ld items had left produce() "
			  "without reaching handle(): expected at most %ld "
			  "(cap 4 + 3 producers + 2 consumers)",
			  atomic_load(&u.max_held), bound);
}

static void t_pipeline_fails(struct kata_ctx *k)
{
	long per = kata_param(k, "items", 5000, 500);
	struct run u;

	kata_concept(k, "a failing item must not wedge the pipeline: its "
		     "consumer counts it, calls task_done and goes on, so "
		     "join still returns");
	for (unsigned c = 1; c <= 3; c += 2) {
		run_setup(k, &u, 2, c, per, 8, (enum pc_stop)(c == 3));
		u.fail_mod = 7;
		run_go(&u);
		run_check(&u, c == 1 ? "P=2 C=1, every 7th item fails" :
			  "P=2 C=3, every 7th item fails");
	}
}

static void t_throughput(struct kata_ctx *k)
{
	long per = kata_param(k, "bench_items", 100000, 5000);
	struct run u;
	double ms, alone;

	kata_concept(k, "4 producers and 4 consumers over a queue of 64: "
		     "every item once, and the figure beside the same work in "
		     "one thread shows what handing items over costs");
	run_setup(k, &u, 4, 4, per, 64, PC_STOP_CLOSE);
	ms = run_go(&u);
	run_check(&u, "P=4 C=4, cap 64");
	alone = run_alone(&u);
	kata_note(k, "%.0f items/s through your pipeline (4 producers, 4 "
		  "consumers, cap 64); %.0f items/s through the same produce "
		  "and handle called in one thread with no queue, this run",
		  (double)u.total / ms * 1000, (double)u.total / alone * 1000);
}

static const struct kata_test tests[] = {
	{ "fifo", "items come out in put order, the sentinel too",
	  t_fifo, 0, 1, NULL },
	{ "put_waits", "put sleeps on a full queue until a get makes room",
	  t_put_waits, 0, 1, NULL },
	{ "get_waits", "get sleeps on an empty queue until a put",
	  t_get_waits, 0, 1, NULL },
	{ "wait_rechecks", "a waiter woken for nothing goes back to sleep",
	  t_rechecks, 0, 1, "put_waits" },
	{ "join_at_once", "join with no unfinished task returns at once",
	  t_join_at_once, 0, 1, NULL },
	{ "join_waits_tasks", "join waits for every task_done, not for empty",
	  t_join_waits, 0, 1, NULL },
	{ "close_wakes_all", "close wakes every waiting getter and putter",
	  t_close_wakes, 0, 1, NULL },
	{ "close_drains", "after close, gets drain the rest, then PC_CLOSED",
	  t_close_drains, 0, 1, NULL },
	{ "put_meets_close", "a put woken by close stores nothing, says so",
	  t_put_close, 0, 1, NULL },
	{ "consume_sentinel", "a consumer stops at its sentinel, task done",
	  t_consume_sentinel, 0, 1, "fifo" },
	{ "consume_close", "a consumer drains a closed queue and stops",
	  t_consume_close, 0, 1, "fifo" },
	{ "consume_fails", "a failed item is counted and its task done",
	  t_consume_fails, 0, 1, "fifo" },
	{ "pipeline_sentinel", "P=3 C=4 with sentinels: every item once",
	  t_pipeline_sentinel, 0, 2, "consume_sentinel" },
	{ "pipeline_close", "P=4 C=3 with close: every item once",
	  t_pipeline_close, 0, 2, "consume_close" },
	{ "pipeline_sizes", "P and C from 1 to 8 all drain and stop",
	  t_sizes, 30000, 2, "pipeline_sentinel" },
	{ "back_pressure", "slow consumers: the queue never exceeds its bound",
	  t_back_pressure, 0, 2, "pipeline_sentinel" },
	{ "pipeline_fails", "failing items do not wedge join",
	  t_pipeline_fails, 0, 1, "pipeline_sentinel" },
	{ "throughput", "items/s through the pipeline, beside one thread",
	  t_throughput, 30000, 1, "pipeline_close" },
	{ 0 }
};

KATA_GRADER(.kata = "producer_consumer",
	    .title = "Producers and consumers over a bounded queue",
	    .topic = "P producers, C consumers, None sentinels, close, "
		     "task_done/join (生产者消费者, 哨兵)",
	    .order = 62,
	    .tests = tests);
