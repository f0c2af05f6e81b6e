/*
 * producer_consumer.h: a bounded blocking queue (a ring of pointers, one
 * mutex, three condition variables) and a pipeline of P producer and C
 * consumer threads over it that shuts down cleanly.
 * DO NOT EDIT: the grader relies on every name, field and result here.
 *
 * Entry points: pcq_init, pcq_destroy, pcq_put, pcq_get, pcq_task_done,
 * pcq_join, pcq_close (the queue); pc_consume (one consumer's loop);
 * pc_run (the whole pipeline).
 *
 * The contract, in one place:
 *
 * - The queue holds at most cap items, first in, first out.  pcq_put
 *   waits while it holds cap items; pcq_get waits while it holds none.
 *   Items are opaque pointers the queue never dereferences or frees.
 * - NULL is the sentinel, the seed's None: to the queue an ordinary item
 *   (it takes a place and counts as a task); to a consumer the order "stop
 *   now".  One sentinel stops one consumer, so C consumers need C of them.
 * - pcq_close() is the other way to stop: from then on every put returns
 *   PC_CLOSED and stores nothing; gets still return the items held, then
 *   PC_CLOSED once the queue is closed and empty.  Every thread blocked in
 *   a put or a get when close() is called wakes up: a putter returns
 *   PC_CLOSED (its item is not stored), a getter takes an item if one is
 *   there, else returns PC_CLOSED.  Closing twice is harmless.
 * - Tasks, as in Python's queue.Queue: every successful put adds one
 *   unfinished task (a sentinel too); pcq_task_done() finishes one;
 *   pcq_join() returns once none is unfinished, waking every thread
 *   blocked in it.  Getting an item does not finish its task: an empty
 *   queue is not a finished one.  pcq_join on a queue with no unfinished
 *   task (no put yet, or every task done) returns at once.
 * - Every function is safe from any number of threads at once, except
 *   pcq_init and pcq_destroy (the caller runs them alone).
 */
#ifndef KATA_PRODUCER_CONSUMER_H
#define KATA_PRODUCER_CONSUMER_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* What a put on a closed queue returns, or a get on a closed, empty one. */
#define PC_CLOSED (-EPIPE)

/* The sentinel: a consumer that gets it stops (after its task_done). */
#define PC_SENTINEL NULL

/* The largest number of producers, and of consumers, pc_run accepts. */
#define PC_MAX_THREADS 64

/*
 * The queue.  lock guards every other field.  Getters sleep on not_empty,
 * putters on not_full, joiners on all_done.  items[] is a ring of cap
 * slots: the oldest item is items[head], and len items follow it (indices
 * modulo cap).  unfinished counts the tasks put but not yet done; closed
 * is set by pcq_close.
 *
 * The grader uses these fields: it holds lock and broadcasts a condition
 * variable with nothing changed (a spurious wakeup, which POSIX allows) to
 * see that a waiter checks its condition again, and reads len, unfinished
 * and closed under lock to say what it found.
 */
struct pc_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	pthread_cond_t all_done;
	void **items;
	size_t cap, head, len;
	size_t unfinished;
	bool closed;
};

/*
 * Initialises q, empty and open, for at most cap items.  0, -EINVAL when
 * cap is 0, or -ENOMEM.
 */
int pcq_init(struct pc_queue *q, size_t cap);

/* Frees what pcq_init allocated (not the items).  Nobody may use q. */
void pcq_destroy(struct pc_queue *q);

/* Stores item (NULL too), waiting while q is full.  0 or PC_CLOSED. */
int pcq_put(struct pc_queue *q, void *item);

/*
 * Takes the oldest item into *item, waiting while q is empty and open.
 * 0, or PC_CLOSED when q is closed and empty (*item untouched).
 */
int pcq_get(struct pc_queue *q, void **item);

/* Finishes one task.  0, or -EINVAL when no task is unfinished. */
int pcq_task_done(struct pc_queue *q);

/* Waits until no task is unfinished.  Returns 0. */
int pcq_join(struct pc_queue *q);

/* Closes q (see above) and wakes every thread waiting in a put or a get. */
void pcq_close(struct pc_queue *q);

/* ---- the pipeline ------------------------------------------------------ */

/* How pc_run stops its consumers once every item is processed. */
enum pc_stop {
	PC_STOP_SENTINEL = 0,	/* put one PC_SENTINEL per consumer */
	PC_STOP_CLOSE = 1,	/* pcq_close(q) */
};

/*
 * A job for the pipeline: who produces, who consumes, and how it stops.
 *
 * - produce(arg, who) is called by producer `who` (0 .. producers - 1),
 *   from that producer's thread only, for its next item: a non-NULL
 *   pointer, or NULL when that producer has no more.  Each item it returns
 *   is put in the queue exactly once.
 * - handle(arg, who, item) is called by consumer `who` (0 .. consumers -
 *   1) for each item it gets: 0 when it succeeded, a negative errno when
 *   it failed.  A failed item still counts as processed (its task is
 *   done), and the consumer goes on with the next item.  handle is called
 *   without the queue's lock held, so consumers work in parallel.
 */
struct pc_job {
	unsigned producers;	/* P: 1 .. PC_MAX_THREADS */
	unsigned consumers;	/* C: 1 .. PC_MAX_THREADS */
	enum pc_stop stop;
	void *(*produce)(void *arg, unsigned who);
	int (*handle)(void *arg, unsigned who, void *item);
	void *arg;
};

/*
 * One consumer's loop, as consumer `who` of job: get an item; on
 * PC_CLOSED return; on the sentinel call pcq_task_done and return;
 * otherwise call job->handle on it, then pcq_task_done whether it
 * succeeded or not, and go on.  Returns the number of items whose handle
 * failed (>= 0).
 */
int pc_consume(struct pc_queue *q, const struct pc_job *job, unsigned who);

/*
 * Runs the whole pipeline over q (initialised by the caller, open and
 * empty): starts job->consumers threads running pc_consume and
 * job->producers threads putting what produce() returns; when every
 * producer has finished, waits with pcq_join until every item is
 * processed; only then stops the consumers as job->stop says, and joins
 * every thread it started.  *failed (may be NULL) gets the number of items
 * whose handle failed.  0; -EINVAL for 0 or more than PC_MAX_THREADS
 * producers or consumers, or a NULL callback; or a negative errno when a
 * thread could not start.  On return no thread of it is left, and q is
 * empty with no unfinished task (closed after PC_STOP_CLOSE).  The caller
 * destroys q.
 */
int pc_run(struct pc_queue *q, const struct pc_job *job,
	   unsigned long *failed);

#endif
