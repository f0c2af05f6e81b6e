/*
 * pool_callbacks.c: reference solution, a fixed-size thread pool with
 * futures and done-callbacks (see katas/pool_callbacks/pool_callbacks.h).
 *
 * Entry points: pool_create, pool_submit, pool_map, pool_shutdown and the
 * future_* functions.
 *
 * One mutex and condition variable guard the pool's FIFO queue; each future
 * has its own mutex and condition variable (on CLOCK_MONOTONIC, so a timed
 * wait ignores changes to the wall clock).  Finishing a future sets its
 * state and detaches its callback list in one critical section; an attach
 * looks at the state and appends in one critical section too.  So each
 * callback is either on the list when it is detached (the finishing thread
 * runs it) or sees the final state (the attaching thread runs it), never
 * both and never neither.  Callbacks run outside every lock.
 */
#define _GNU_SOURCE
#include "pool_callbacks.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "kata/plugin.h"

KATA_PLUGIN("pool_callbacks");

struct callback {
	future_callback *cb;
	void *data;
	struct callback *next;
};

struct future {
	pthread_mutex_t lock;
	pthread_cond_t finished;
	enum future_state state;
	int error;
	void *result;
	struct callback *head, **tail;	/* FIFO: run in attach order */
	atomic_int refs;		/* the caller's and the pool's */
	pool_task *fn;
	void *arg;
	struct future *qnext;		/* the pool's queue */
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct future *qhead, *qtail;
	bool stopping;
	int nworkers;
	pthread_t workers[];
};

static bool is_final(enum future_state s)
{
	return s == FUTURE_DONE || s == FUTURE_FAILED || s == FUTURE_CANCELLED;
}

static void future_free(struct future *f)
{
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->finished);
	free(f);
}

static void future_put(struct future *f)
{
	if (atomic_fetch_sub(&f->refs, 1) == 1)
		future_free(f);
}

void future_release(struct future *f)
{
	future_put(f);
}

static struct future *future_new(pool_task *fn, void *arg)
{
	struct future *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->finished, &ca);
	pthread_condattr_destroy(&ca);
	f->state = FUTURE_PENDING;
	f->tail = &f->head;
	atomic_init(&f->refs, 2);
	f->fn = fn;
	f->arg = arg;
	return f;
}

/* Sets the final state, wakes the waiters, runs the callbacks once each. */
static void future_finish(struct future *f, enum future_state state,
			  int error, void *result)
{
	struct callback *c, *next;

	pthread_mutex_lock(&f->lock);
	f->state = state;
	f->error = error;
	f->result = result;
	c = f->head;
	f->head = NULL;
	f->tail = &f->head;
	pthread_cond_broadcast(&f->finished);
	pthread_mutex_unlock(&f->lock);
	for (; c; c = next) {
		next = c->next;
		c->cb(f, c->data);
		free(c);
	}
}

int future_add_done_callback(struct future *f, future_callback *cb,
			     void *data)
{
	struct callback *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cb = cb;
	c->data = data;
	c->next = NULL;
	pthread_mutex_lock(&f->lock);
	if (!is_final(f->state)) {
		*f->tail = c;
		f->tail = &c->next;
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	pthread_mutex_unlock(&f->lock);
	cb(f, data);
	free(c);
	return 0;
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Called with f->lock held; returns with it held. */
static int wait_locked(struct future *f, int timeout_ms)
{
	struct timespec ts;
	int r = 0;

	if (timeout_ms > 0)
		deadline_after(&ts, timeout_ms);
	while (!is_final(f->state) && r == 0) {
		if (timeout_ms == 0)
			r = ETIMEDOUT;
		else if (timeout_ms < 0)
			pthread_cond_wait(&f->finished, &f->lock);
		else
			r = pthread_cond_timedwait(&f->finished, &f->lock,
						   &ts);
	}
	return is_final(f->state) ? 0 : -ETIMEDOUT;
}

int future_wait(struct future *f, int timeout_ms)
{
	int r;

	pthread_mutex_lock(&f->lock);
	r = wait_locked(f, timeout_ms);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int future_result(struct future *f, int timeout_ms, void **result)
{
	int r;

	pthread_mutex_lock(&f->lock);
	r = wait_locked(f, timeout_ms);
	if (r == 0 && f->state == FUTURE_DONE)
		*result = f->result;
	else if (r == 0)
		r = f->error;
	pthread_mutex_unlock(&f->lock);
	return r;
}

enum future_state future_state(struct future *f)
{
	enum future_state s;

	pthread_mutex_lock(&f->lock);
	s = f->state;
	pthread_mutex_unlock(&f->lock);
	return s;
}

static void run_task(struct future *f)
{
	void *result = NULL;
	int r;

	pthread_mutex_lock(&f->lock);
	f->state = FUTURE_RUNNING;
	pthread_mutex_unlock(&f->lock);
	r = f->fn(f->arg, &result);
	if (r < 0)
		future_finish(f, FUTURE_FAILED, r, NULL);
	else
		future_finish(f, FUTURE_DONE, 0, result);
	future_put(f);
}

/* Takes the next task, or NULL when stopping and the queue is empty. */
static struct future *next_task(struct pool *p)
{
	struct future *f;

	pthread_mutex_lock(&p->lock);
	while (!p->qhead && !p->stopping)
		pthread_cond_wait(&p->work, &p->lock);
	f = p->qhead;
	if (f) {
		p->qhead = f->qnext;
		if (!p->qhead)
			p->qtail = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return f;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct future *f;

	while ((f = next_task(p)))
		run_task(f);
	return NULL;
}

static void stop_workers(struct pool *p, int n)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	while (n-- > 0)
		pthread_join(p->workers[n], NULL);
}

static void pool_free(struct pool *p)
{
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int pool_create(int workers, struct pool **out)
{
	struct pool *p;
	int i, r = 0;

	if (workers < 1 || workers > POOL_MAX_WORKERS)
		return -EINVAL;
	p = calloc(1, sizeof(*p) + (size_t)workers * sizeof(pthread_t));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	p->nworkers = workers;
	for (i = 0; i < workers && !r; i++)
		r = -pthread_create(&p->workers[i], NULL, worker, p);
	if (r) {
		stop_workers(p, i - 1);
		pool_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int pool_submit(struct pool *p, pool_task *fn, void *arg,
		struct future **out)
{
	struct future *f = future_new(fn, arg);

	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		future_free(f);
		return -ESHUTDOWN;
	}
	if (p->qtail)
		p->qtail->qnext = f;
	else
		p->qhead = f;
	p->qtail = f;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	*out = f;
	return 0;
}

int pool_map(struct pool *p, pool_task *fn, void *const args[], size_t n,
	     void *results[])
{
	struct future **fs = calloc(n ? n : 1, sizeof(*fs));
	size_t i, submitted;
	int r = 0, sr = 0, e;

	if (!fs)
		return -ENOMEM;
	for (submitted = 0; submitted < n; submitted++)
		if ((sr = pool_submit(p, fn, args[submitted], &fs[submitted])))
			break;
	for (i = 0; i < submitted; i++) {
		e = future_result(fs[i], -1, &results[i]);
		if (e && !r)
			r = e;
		future_release(fs[i]);
	}
	free(fs);
	return r ? r : sr;
}

int pool_shutdown(struct pool *p, bool wait)
{
	struct future *f, *next;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	f = wait ? NULL : p->qhead;
	if (!wait)
		p->qhead = p->qtail = NULL;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (; f; f = next) {
		next = f->qnext;
		future_finish(f, FUTURE_CANCELLED, -ECANCELED, NULL);
		future_put(f);
	}
	stop_workers(p, p->nworkers);
	pool_free(p);
	return 0;
}
