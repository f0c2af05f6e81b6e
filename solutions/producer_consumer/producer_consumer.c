/*
 * producer_consumer.c: reference solution of the producer_consumer kata.
 *
 * The queue is a ring of cap pointers guarded by one mutex; getters wait
 * on not_empty, putters on not_full, joiners on all_done, always in a
 * while loop.  A put or a get wakes one waiter of the other side (signal);
 * close and the last task_done wake all of them (broadcast).  pc_run
 * starts the consumers, then the producers; joins the producers, waits
 * with pcq_join until every item is processed, stops the consumers (one
 * sentinel each, or a close) and joins them.
 *
 * Entry points: see producer_consumer.h.
 */
#include "producer_consumer.h"

#include <stdlib.h>

#include "kata/plugin.h"

KATA_PLUGIN("producer_consumer");

int pcq_init(struct pc_queue *q, size_t cap)
{
	if (cap == 0)
		return -EINVAL;
	*q = (struct pc_queue){ .cap = cap };
	if (!(q->items = calloc(cap, sizeof(*q->items))))
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->all_done, NULL);
	return 0;
}

void pcq_destroy(struct pc_queue *q)
{
	pthread_cond_destroy(&q->all_done);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
	q->items = NULL;
}

int pcq_put(struct pc_queue *q, void *item)
{
	int r = PC_CLOSED;

	pthread_mutex_lock(&q->lock);
	while (q->len == q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->lock);
	if (!q->closed) {
		q->items[(q->head + q->len++) % q->cap] = item;
		q->unfinished++;
		pthread_cond_signal(&q->not_empty);
		r = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

int pcq_get(struct pc_queue *q, void **item)
{
	int r = PC_CLOSED;

	pthread_mutex_lock(&q->lock);
	while (q->len == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->len > 0) {
		*item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		pthread_cond_signal(&q->not_full);
		r = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

int pcq_task_done(struct pc_queue *q)
{
	int r = 0;

	pthread_mutex_lock(&q->lock);
	if (q->unfinished == 0)
		r = -EINVAL;
	else if (--q->unfinished == 0)
		pthread_cond_broadcast(&q->all_done);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int pcq_join(struct pc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->unfinished > 0)
		pthread_cond_wait(&q->all_done, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void pcq_close(struct pc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

int pc_consume(struct pc_queue *q, const struct pc_job *job, unsigned who)
{
	int failed = 0;
	void *item;

	while (pcq_get(q, &item) == 0) {
		if (item == PC_SENTINEL) {
			pcq_task_done(q);
			break;
		}
		if (job->handle(job->arg, who, item) != 0)
			failed++;
		pcq_task_done(q);
	}
	return failed;
}

/* One pipeline thread: which job, which queue, who it is, what it did. */
struct worker {
	struct pc_queue *q;
	const struct pc_job *job;
	unsigned who;
	int failed;
	pthread_t t;
};

static void *consumer_main(void *arg)
{
	struct worker *w = arg;

	w->failed = pc_consume(w->q, w->job, w->who);
	return NULL;
}

static void *producer_main(void *arg)
{
	struct worker *w = arg;
	void *item;

	while ((item = w->job->produce(w->job->arg, w->who)) != NULL)
		if (pcq_put(w->q, item) != 0)
			break;
	return NULL;
}

static bool job_ok(const struct pc_job *job)
{
	return job->producers >= 1 && job->producers <= PC_MAX_THREADS &&
	       job->consumers >= 1 && job->consumers <= PC_MAX_THREADS &&
	       job->produce && job->handle;
}

/* Starts n workers w[0..n-1] running fn; returns how many started. */
static unsigned start(struct worker *w, unsigned n, struct pc_queue *q,
		      const struct pc_job *job, void *(*fn)(void *), int *r)
{
	unsigned i;

	for (i = 0; i < n && *r == 0; i++) {
		w[i] = (struct worker){ .q = q, .job = job, .who = i };
		*r = -pthread_create(&w[i].t, NULL, fn, &w[i]);
	}
	return *r ? i - 1 : i;
}

static void join_all(struct worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].t, NULL);
}

/* Stops the nc consumers as job->stop says. */
static void stop(struct pc_queue *q, const struct pc_job *job, unsigned nc)
{
	if (job->stop == PC_STOP_CLOSE)
		pcq_close(q);
	else
		for (unsigned i = 0; i < nc; i++)
			pcq_put(q, PC_SENTINEL);
}

int pc_run(struct pc_queue *q, const struct pc_job *job,
	   unsigned long *failed)
{
	struct worker cons[PC_MAX_THREADS], prod[PC_MAX_THREADS];
	unsigned nc, np = 0;
	int r = 0;

	if (!job_ok(job))
		return -EINVAL;
	nc = start(cons, job->consumers, q, job, consumer_main, &r);
	if (r == 0)
		np = start(prod, job->producers, q, job, producer_main, &r);
	if (r != 0)
		pcq_close(q);	/* a thread did not start: stop the rest */
	join_all(prod, np);
	pcq_join(q);
	stop(q, job, nc);
	join_all(cons, nc);
	if (failed)
		*failed = 0;
	for (unsigned i = 0; failed && i < nc; i++)
		*failed += (unsigned long)cons[i].failed;
	return r;
}
