/*
 * calls.c (producer_consumer grader): one queue call in a grader thread,
 * so that a test can check it sleeps in the kernel (/proc) rather than
 * returning or spinning, wake it with nothing changed, and see what it
 * returned; and the checked one-line calls the tests share.
 *
 * Entry points: call_start, call_asleep, call_done, call_still_waits,
 * call_spurious, call_init, call_get, call_put.
 */
#define _GNU_SOURCE
#include "pc_grader.h"

#include <stdio.h>

#include "thread.h"
#include "timing.h"

static const char *op_name(enum op op)
{
	static const char *names[] = { "pcq_put", "pcq_get", "pcq_join",
				       "pc_consume" };

	return names[op];
}

/* The grader thread: runs c->op once and keeps its result. */
static void *call_main(void *arg)
{
	struct call *c = arg;
	int r;

	atomic_store(&c->tid, thread_tid());
	if (c->op == OP_PUT)
		r = KATA_SYM(c->k, pcq_put)(c->q, c->item);
	else if (c->op == OP_GET)
		r = KATA_SYM(c->k, pcq_get)(c->q, &c->item);
	else if (c->op == OP_JOIN)
		r = KATA_SYM(c->k, pcq_join)(c->q);
	else
		r = KATA_SYM(c->k, pc_consume)(c->q, c->job, 0);
	c->r = r;
	atomic_store(&c->done, 1);
	return NULL;
}

void call_start(struct kata_ctx *k, struct call *c, struct pc_queue *q,
		enum op op, void *item)
{
	const struct pc_job *job = c->job;

	*c = (struct call){ .k = k, .q = q, .op = op, .item = item,
			    .job = job };
	KATA_REQUIRE(k, !thread_start(&c->t, "call", call_main, c),
		     "could not start a grader thread");
	while (!atomic_load(&c->tid))
		timing_sleep_ms(1);
}

/*
 * Waits, bounded, until c has returned (false) or sleeps in the kernel
 * and still does 10 ms later (true).  Fails when it does neither: a spin.
 */
static bool settles_asleep(struct kata_ctx *k, struct call *c)
{
	int ms = (int)(2000 * kata_scale(k));
	uint64_t t0 = timing_now_ns();
	pid_t tid = atomic_load(&c->tid);

	while (!atomic_load(&c->done)) {
		if (thread_wait_sleeping(tid, 1) == 0) {
			timing_sleep_ms(10);
			if (!thread_wait_sleeping(tid, 1) &&
			    !atomic_load(&c->done))
				return true;
		}
		if (timing_ms_since(t0) > ms)
			kata_fail(k, "%s neither returned nor went to sleep "
				  "in %d ms: wait on a condition variable, do "
				  "not spin", op_name(c->op), ms);
	}
	return false;
}

void call_asleep(struct kata_ctx *k, struct call *c, struct pc_queue *q,
		 enum op op, void *item)
{
	call_start(k, c, q, op, item);
	if (!settles_asleep(k, c))
		kata_fail(k, "%s returned %s at once: expected it to wait",
			  op_name(op), kata_strres(c->r));
}

void call_done(struct kata_ctx *k, struct call *c, int want,
	       const char *after)
{
	int ms = (int)(1000 * kata_scale(k));
	char w[32] = "PC_CLOSED (-EPIPE)";

	if (want != PC_CLOSED)
		snprintf(w, sizeof(w), "%d", want);
	if (thread_join_timeout(c->t, ms, NULL))
		kata_fail(k, "%s still waiting %d ms after %s: expected it to "
			  "wake up and return", op_name(c->op), ms, after);
	if (c->r != want)
		kata_fail(k, "%s after %s: expected %s, got %s",
			  op_name(c->op), after, w, kata_strres(c->r));
}

void call_still_waits(struct kata_ctx *k, struct call *c, const char *what)
{
	/* Woken, it runs; then it either returns or sleeps again. */
	timing_sleep_ms(1);
	if (!settles_asleep(k, c))
		kata_fail(k, "%s returned %s after %s: expected it to check "
			  "its condition again and go on waiting",
			  op_name(c->op), kata_strres(c->r), what);
}

void call_spurious(struct pc_queue *q, pthread_cond_t *cond)
{
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(cond);
	pthread_mutex_unlock(&q->lock);
}

void call_init(struct kata_ctx *k, struct pc_queue *q, size_t cap)
{
	char what[64];

	snprintf(what, sizeof(what), "pcq_init(q, %zu)", cap);
	kata_expect_int(k, what, KATA_SYM(k, pcq_init)(q, cap), 0);
}

void call_get(struct kata_ctx *k, struct pc_queue *q, void **item,
	      const char *what)
{
	kata_expect_int(k, what, KATA_SYM(k, pcq_get)(q, item), 0);
}

void call_put(struct kata_ctx *k, struct pc_queue *q, void *item)
{
	kata_expect_int(k, "pcq_put on a queue with room",
			KATA_SYM(k, pcq_put)(q, item), 0);
}
