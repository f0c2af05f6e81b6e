/*
 * priority_queue.h: a bounded, blocking, thread-safe queue of pointers with
 * FIFO, LIFO and priority modes (Python's Queue, LifoQueue, PriorityQueue).
 * DO NOT EDIT: the grader relies on every name, constant and result here.
 *
 * Entry points: pq_create, pq_destroy; pq_put, pq_try_put, pq_timed_put;
 * pq_get, pq_try_get, pq_timed_get; pq_size, pq_empty, pq_full;
 * pq_task_done, pq_join; pq_close.
 *
 * The contract, in one place:
 *
 * - Items are opaque pointers; NULL is an ordinary item.  The queue never
 *   dereferences or frees them.  End of stream is pq_close(), not a
 *   special item.
 * - PQ_FIFO: first in, first out.  PQ_LIFO: last in, first out.
 *   PQ_PRIORITY: the lowest priority number comes out first (0 before 5,
 *   -3 before 0); among equal priorities, first in, first out (the queue
 *   is stable).  The priority argument is ignored in the other two modes.
 * - maxsize > 0 bounds the number of items held: put waits while the queue
 *   holds maxsize items.  maxsize == 0 means unbounded (put never waits).
 * - Blocking calls (pq_put, pq_get, pq_join) wait as long as it takes.
 *   Try calls never wait: -EAGAIN when they would have to.  Timed calls
 *   wait at most timeout_ms milliseconds, measured on CLOCK_MONOTONIC, and
 *   return -ETIMEDOUT when the time runs out; timeout_ms == 0 behaves like
 *   the try call but says -ETIMEDOUT.
 * - pq_close(): from then on every put returns PQ_CLOSED (the item is not
 *   stored); gets keep returning the items still held, in order, and
 *   return PQ_CLOSED once the queue is closed and empty.  Every caller
 *   blocked in a put or get when close() is called wakes up and returns
 *   PQ_CLOSED (a blocked getter first takes an item if one is there).
 *   Closing twice is harmless.
 * - Tasks, as in Python: every successful put adds one unfinished task;
 *   pq_task_done() finishes one (-EINVAL when none is unfinished);
 *   pq_join() returns 0 once the count of unfinished tasks is zero, waking
 *   every thread blocked in it.  Getting an item does not finish its task.
 * - All functions are safe to call from any number of threads at once,
 *   except pq_destroy(), which the caller runs when nobody else uses q.
 */
#ifndef KATA_PRIORITY_QUEUE_H
#define KATA_PRIORITY_QUEUE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* The result of a put or get on a closed queue (a get: closed and empty). */
#define PQ_CLOSED (-EPIPE)

enum pq_mode {
	PQ_FIFO = 0,
	PQ_LIFO = 1,
	PQ_PRIORITY = 2,
};

struct pq;			/* opaque: define it in your .c file */

/*
 * Creates an empty queue in *out.  0, -EINVAL for an unknown mode, or
 * -ENOMEM.  The caller owns *out and frees it with pq_destroy().
 */
int pq_create(enum pq_mode mode, size_t maxsize, struct pq **out);

/* Frees q (not the items still in it).  NULL is allowed. */
void pq_destroy(struct pq *q);

/* Stores item, waiting while the queue is full.  0 or PQ_CLOSED. */
int pq_put(struct pq *q, void *item, int priority);

/* As pq_put, but -EAGAIN instead of waiting. */
int pq_try_put(struct pq *q, void *item, int priority);

/* As pq_put, but -ETIMEDOUT after timeout_ms milliseconds. */
int pq_timed_put(struct pq *q, void *item, int priority, unsigned timeout_ms);

/*
 * Takes the next item into *item, waiting while the queue is empty.
 * 0, or PQ_CLOSED when the queue is closed and empty (*item untouched).
 */
int pq_get(struct pq *q, void **item);

/* As pq_get, but -EAGAIN instead of waiting. */
int pq_try_get(struct pq *q, void **item);

/* As pq_get, but -ETIMEDOUT after timeout_ms milliseconds. */
int pq_timed_get(struct pq *q, unsigned timeout_ms, void **item);

/* The number of items held right now (Python's qsize()). */
size_t pq_size(struct pq *q);

/* True when no item is held. */
bool pq_empty(struct pq *q);

/* True when maxsize > 0 and maxsize items are held. */
bool pq_full(struct pq *q);

/* Finishes one task.  0, or -EINVAL when no task is unfinished. */
int pq_task_done(struct pq *q);

/* Waits until every task put so far is done.  0. */
int pq_join(struct pq *q);

/* Closes the queue (see above) and wakes every waiting put and get. */
void pq_close(struct pq *q);

#endif
