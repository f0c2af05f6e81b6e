/*
 * priority_queue.c: reference solution of the priority_queue kata.
 *
 * One mutex guards everything; three condition variables say why a thread
 * waits: not_empty (getters), not_full (putters), all_done (joiners).  The
 * items live in a binary min-heap ordered by a key that depends on the
 * mode: (priority, sequence) for PQ_PRIORITY, sequence for PQ_FIFO and
 * minus sequence for PQ_LIFO.  The sequence number is a counter taken at
 * put time; it is what makes equal priorities come out first-in,
 * first-out, which a bare heap does not do.
 *
 * Entry points: see priority_queue.h.
 */
#include "priority_queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "kata/plugin.h"

KATA_PLUGIN("priority_queue");

struct pq_entry {
	void *item;
	int priority;
	uint64_t seq;
};

struct pq {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	pthread_cond_t all_done;
	enum pq_mode mode;
	size_t maxsize;		/* 0: unbounded */
	struct pq_entry *heap;
	size_t len, cap;
	uint64_t next_seq;
	size_t unfinished;
	bool closed;
};

/* True when a must come out before b. */
static bool before(const struct pq *q, const struct pq_entry *a,
		   const struct pq_entry *b)
{
	if (q->mode == PQ_LIFO)
		return a->seq > b->seq;
	if (q->mode == PQ_PRIORITY && a->priority != b->priority)
		return a->priority < b->priority;
	return a->seq < b->seq;
}

static void swap(struct pq_entry *a, struct pq_entry *b)
{
	struct pq_entry t = *a;

	*a = *b;
	*b = t;
}

static void sift_up(struct pq *q, size_t i)
{
	while (i > 0 && before(q, &q->heap[i], &q->heap[(i - 1) / 2])) {
		swap(&q->heap[i], &q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct pq *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->len && before(q, &q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->len && before(q, &q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			return;
		swap(&q->heap[i], &q->heap[m]);
		i = m;
	}
}

/* Adds an entry (the caller holds the lock and checked the size). */
static int push(struct pq *q, void *item, int priority)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 16;
		struct pq_entry *h = realloc(q->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		q->heap = h;
		q->cap = cap;
	}
	q->heap[q->len] = (struct pq_entry){ item, priority, q->next_seq++ };
	sift_up(q, q->len++);
	q->unfinished++;
	pthread_cond_signal(&q->not_empty);
	return 0;
}

/* Removes the first entry (the caller holds the lock; len > 0). */
static void *pop(struct pq *q)
{
	void *item = q->heap[0].item;

	q->heap[0] = q->heap[--q->len];
	sift_down(q, 0);
	pthread_cond_signal(&q->not_full);
	return item;
}

/* The absolute CLOCK_MONOTONIC time timeout_ms from now, in *ts. */
static void deadline(unsigned timeout_ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Waits on c until the caller's condition may have changed.  how < 0:
 * forever; 0: never (-EAGAIN); > 0: until *ts (-ETIMEDOUT).
 */
static int wait_on(struct pq *q, pthread_cond_t *c, int how,
		   const struct timespec *ts)
{
	if (how == 0)
		return -EAGAIN;
	if (how < 0)
		return -pthread_cond_wait(c, &q->lock);
	return -pthread_cond_timedwait(c, &q->lock, ts);
}

static bool is_full(const struct pq *q)
{
	return q->maxsize > 0 && q->len >= q->maxsize;
}

/* put with a waiting policy: how < 0 forever, 0 never, > 0 until *ts. */
static int put_how(struct pq *q, void *item, int priority, int how,
		   const struct timespec *ts)
{
	int r = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && is_full(q) && r == 0)
		r = wait_on(q, &q->not_full, how, ts);
	if (q->closed)
		r = PQ_CLOSED;
	else if (!is_full(q))
		r = push(q, item, priority);
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* get with a waiting policy, as put_how. */
static int get_how(struct pq *q, void **item, int how,
		   const struct timespec *ts)
{
	int r = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->len == 0 && r == 0)
		r = wait_on(q, &q->not_empty, how, ts);
	if (q->len > 0) {
		*item = pop(q);
		r = 0;
	} else if (q->closed) {
		r = PQ_CLOSED;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

int pq_create(enum pq_mode mode, size_t maxsize, struct pq **out)
{
	pthread_condattr_t ca;
	struct pq *q;

	if (mode != PQ_FIFO && mode != PQ_LIFO && mode != PQ_PRIORITY)
		return -EINVAL;
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	q->mode = mode;
	q->maxsize = maxsize;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &ca);
	pthread_cond_init(&q->not_full, &ca);
	pthread_cond_init(&q->all_done, &ca);
	pthread_condattr_destroy(&ca);
	*out = q;
	return 0;
}

void pq_destroy(struct pq *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->all_done);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
	free(q->heap);
	free(q);
}

int pq_put(struct pq *q, void *item, int priority)
{
	return put_how(q, item, priority, -1, NULL);
}

int pq_try_put(struct pq *q, void *item, int priority)
{
	return put_how(q, item, priority, 0, NULL);
}

int pq_timed_put(struct pq *q, void *item, int priority, unsigned timeout_ms)
{
	struct timespec ts;
	int r;

	deadline(timeout_ms, &ts);
	r = put_how(q, item, priority, 1, &ts);
	return r == -EAGAIN ? -ETIMEDOUT : r;
}

int pq_get(struct pq *q, void **item)
{
	return get_how(q, item, -1, NULL);
}

int pq_try_get(struct pq *q, void **item)
{
	return get_how(q, item, 0, NULL);
}

int pq_timed_get(struct pq *q, unsigned timeout_ms, void **item)
{
	struct timespec ts;

	deadline(timeout_ms, &ts);
	return get_how(q, item, 1, &ts);
}

size_t pq_size(struct pq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

bool pq_empty(struct pq *q)
{
	return pq_size(q) == 0;
}

bool pq_full(struct pq *q)
{
	bool full;

	pthread_mutex_lock(&q->lock);
	full = is_full(q);
	pthread_mutex_unlock(&q->lock);
	return full;
}

int pq_task_done(struct pq *q)
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

int pq_join(struct pq *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->unfinished > 0)
		pthread_cond_wait(&q->all_done, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void pq_close(struct pq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
