/*
 * stress.c (priority_queue grader): NPROD producers and NCONS consumers
 * through one queue, every item tagged with its producer, priority and
 * sequence number, so the consumers can count losses, duplicates and
 * reordering within a producer and priority.  The same threads through a
 * plain FIFO ring (mutex + 2 condvars) give the throughput yardstick.
 *
 * Entry points: stress_run, stress_check, stress_ring_run.
 */
#include "priority_queue_grader.h"

#include <string.h>

#include "digest.h"
#include "thread.h"
#include "timing.h"

/* The yardstick for throughput: a plain FIFO ring, mutex + 2 condvars. */
struct ring {
	pthread_mutex_t m;
	pthread_cond_t ne, nf;
	void *buf[16];
	unsigned head, len;
	bool closed;
};

static int ring_put(void *rq, void *item, int prio)
{
	struct ring *q = rq;

	(void)prio;
	pthread_mutex_lock(&q->m);
	while (q->len == 16)
		pthread_cond_wait(&q->nf, &q->m);
	q->buf[(q->head + q->len++) % 16] = item;
	pthread_cond_signal(&q->ne);
	pthread_mutex_unlock(&q->m);
	return 0;
}

static int ring_get(void *rq, void **item)
{
	struct ring *q = rq;
	int r = PQ_CLOSED;

	pthread_mutex_lock(&q->m);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->ne, &q->m);
	if (q->len > 0) {
		*item = q->buf[q->head];
		q->head = (q->head + 1) % 16;
		q->len--;
		r = 0;
		pthread_cond_signal(&q->nf);
	}
	pthread_mutex_unlock(&q->m);
	return r;
}

static void ring_close(struct ring *q)
{
	pthread_mutex_lock(&q->m);
	q->closed = true;
	pthread_cond_broadcast(&q->ne);
	pthread_mutex_unlock(&q->m);
}

static int s_put(struct stress *s, void *item, int prio)
{
	if (!s->learner)
		return ring_put(s->q, item, prio);
	return KATA_SYM(s->k, pq_put)(s->q, item, prio);
}

static int s_get(struct stress *s, void **item)
{
	if (!s->learner)
		return ring_get(s->q, item);
	return KATA_SYM(s->k, pq_get)(s->q, item);
}

struct worker {
	struct stress *s;
	unsigned long id;
	pthread_t t;
};

/* An item: producer << 40 | priority << 32 | sequence number. */
static void *producer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	struct rng g;

	rng_seed(&g, s->seed + w->id);
	for (long i = 0; i < s->per; i++) {
		unsigned long pr = rng_below(&g, NPRIO);

		if (s_put(s, V(w->id << 40 | pr << 32 | (unsigned long)i),
			  (int)pr) != 0) {
			atomic_fetch_add(&s->bad, 1);
			break;
		}
	}
	return NULL;
}

/* Records one item: range, duplicate, per-producer order in a priority. */
static void consume(struct stress *s, unsigned long v, long last[][NPRIO])
{
	unsigned long p = v >> 40, pr = v >> 32 & 0xff;
	long seq = (long)(v & 0xffffffffu);

	if (p >= NPROD || pr >= NPRIO || seq >= s->per) {
		atomic_fetch_add(&s->bad, 1);
		return;
	}
	if (atomic_exchange(&s->seen[p * (unsigned long)s->per + seq], 1))
		atomic_fetch_add(&s->dups, 1);
	if (seq <= last[p][pr])
		atomic_fetch_add(&s->disorder, 1);
	last[p][pr] = seq;
	if (s->learner)
		KATA_SYM(s->k, pq_task_done)(s->q);
}

static void *consumer(void *arg)
{
	struct stress *s = ((struct worker *)arg)->s;
	long last[NPROD][NPRIO];
	void *it;

	for (int i = 0; i < NPROD * NPRIO; i++)
		last[i / NPRIO][i % NPRIO] = -1;
	while (s_get(s, &it) == 0) {
		consume(s, U(it), last);
		atomic_fetch_add(&s->got, 1);
	}
	return NULL;
}

/* Waits until every item is consumed; fails after 2 s with no progress. */
static void watch(struct stress *s)
{
	long total = NPROD * s->per, seen = -1;
	uint64_t since = timing_now_ns();

	while (atomic_load(&s->got) < total) {
		if (atomic_load(&s->got) != seen) {
			seen = atomic_load(&s->got);
			since = timing_now_ns();
		} else if (timing_ms_since(since) > 2000 * kata_scale(s->k)) {
			kata_fail(s->k, "no progress for 2 s: %ld of %ld items "
				  "consumed, %zu still in the queue: a lost "
				  "item or a lost wakeup (an if instead of a "
				  "while, a signal that woke the wrong waiter)",
				  seen, total, s->learner ?
				  KATA_SYM(s->k, pq_size)(s->q) : 0);
		}
		timing_sleep_ms(5);
	}
}

/* Runs NPROD producers and NCONS consumers through s; returns ms. */
double stress_run(struct kata_ctx *k, struct stress *s)
{
	struct worker w[NPROD + NCONS];
	uint64_t t0 = timing_now_ns();
	double ms;

	for (int i = 0; i < NPROD + NCONS; i++) {
		bool prod = i < NPROD;

		w[i] = (struct worker){ .s = s,
					.id = (unsigned long)i % NPROD };
		KATA_REQUIRE(k, !thread_start(&w[i].t, prod ? "producer" :
			     "consumer", prod ? producer : consumer, &w[i]),
			     "could not start a grader thread");
	}
	watch(s);
	ms = timing_ms_since(t0);
	if (s->learner)
		kata_expect_int(k, "pq_join after every task_done",
				KATA_SYM(k, pq_join)(s->q), 0);
	if (s->learner)
		KATA_SYM(k, pq_close)(s->q);
	else
		ring_close(s->q);
	for (int i = 0; i < NPROD + NCONS; i++)
		if (thread_join_timeout(w[i].t, (int)(2000 * kata_scale(k)),
					NULL))
			kata_fail(k, "a %s was still in the queue 2 s after "
				  "pq_close: expected it to return PQ_CLOSED",
				  i < NPROD ? "producer" : "consumer");
	return ms;
}

/* Checks the counters of a finished run. */
void stress_check(struct kata_ctx *k, struct stress *s)
{
	long total = NPROD * s->per;

	kata_expect_int(k, "items a put refused or a get returned garbled",
			atomic_load(&s->bad), 0);
	kata_expect_int(k, "items received twice", atomic_load(&s->dups), 0);
	for (long i = 0; i < total; i++)
		if (!atomic_load(&s->seen[i]))
			kata_fail(k, "item %ld of producer %ld: expected once, "
				  "never received", i % s->per, i / s->per);
	kata_expect_int(k, "items a consumer saw before an earlier item of "
			"the same producer and priority",
			atomic_load(&s->disorder), 0);
}

double stress_ring_run(struct kata_ctx *k, struct stress *s)
{
	struct ring ring = { .m = PTHREAD_MUTEX_INITIALIZER,
			     .ne = PTHREAD_COND_INITIALIZER,
			     .nf = PTHREAD_COND_INITIALIZER };
	long per = s->per;

	*s = (struct stress){ .k = k, .q = &ring, .per = per / 2,
			      .seed = s->seed, .seen = s->seen };
	memset(s->seen, 0, (size_t)(NPROD * per));
	return stress_run(k, s);
}
