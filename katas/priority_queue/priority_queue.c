/*
 * priority_queue.c: your bounded, blocking, thread-safe queue.
 *
 * Fill in every function declared in priority_queue.h (read it first: it is
 * the whole contract) and README.md (why it works the way it does).  Until
 * you do, each function fails politely so that `./runner check
 * priority_queue` shows what is missing.
 *
 * Entry points: see priority_queue.h.
 */
#include "priority_queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "kata/plugin.h"

KATA_PLUGIN("priority_queue");

struct pq {
	/* TODO: a mutex, condition variables, the items, the counters. */
	int unused;
};

int pq_create(enum pq_mode mode, size_t maxsize, struct pq **out)
{
	/* TODO: allocate and initialise a queue; condition variables that
	 * time out on CLOCK_MONOTONIC need pthread_condattr_setclock(). */
	(void)mode;
	(void)maxsize;
	(void)out;
	return -ENOSYS;
}

void pq_destroy(struct pq *q)
{
	/* TODO: free what pq_create allocated. */
	(void)q;
}

int pq_put(struct pq *q, void *item, int priority)
{
	/* TODO: wait while full (in a while loop), store, wake a getter. */
	(void)q;
	(void)item;
	(void)priority;
	return -ENOSYS;
}

int pq_try_put(struct pq *q, void *item, int priority)
{
	/* TODO: like pq_put, but -EAGAIN instead of waiting. */
	(void)q;
	(void)item;
	(void)priority;
	return -ENOSYS;
}

int pq_timed_put(struct pq *q, void *item, int priority, unsigned timeout_ms)
{
	/* TODO: like pq_put, with pthread_cond_timedwait and a deadline. */
	(void)q;
	(void)item;
	(void)priority;
	(void)timeout_ms;
	return -ENOSYS;
}

int pq_get(struct pq *q, void **item)
{
	/* TODO: wait while empty and open, take the first item, wake a
	 * putter; PQ_CLOSED once closed and empty. */
	(void)q;
	(void)item;
	return -ENOSYS;
}

int pq_try_get(struct pq *q, void **item)
{
	/* TODO: like pq_get, but -EAGAIN instead of waiting. */
	(void)q;
	(void)item;
	return -ENOSYS;
}

int pq_timed_get(struct pq *q, unsigned timeout_ms, void **item)
{
	/* TODO: like pq_get, with a CLOCK_MONOTONIC deadline. */
	(void)q;
	(void)timeout_ms;
	(void)item;
	return -ENOSYS;
}

size_t pq_size(struct pq *q)
{
	/* TODO: the number of items, read under the lock. */
	(void)q;
	return 0;
}

bool pq_empty(struct pq *q)
{
	/* TODO */
	(void)q;
	return false;
}

bool pq_full(struct pq *q)
{
	/* TODO */
	(void)q;
	return false;
}

int pq_task_done(struct pq *q)
{
	/* TODO: one fewer unfinished task; wake every joiner at zero. */
	(void)q;
	return -ENOSYS;
}

int pq_join(struct pq *q)
{
	/* TODO: wait until no task is unfinished. */
	(void)q;
	return -ENOSYS;
}

void pq_close(struct pq *q)
{
	/* TODO: mark closed and wake every waiting put and get. */
	(void)q;
}
