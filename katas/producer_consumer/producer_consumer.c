/*
 * producer_consumer.c: your bounded queue and your pipeline.
 *
 * Fill in every function declared in producer_consumer.h (read it first:
 * it is the whole contract) and README.md (why it works the way it does).
 * Until you do, each function fails politely so that `./runner check
 * producer_consumer` shows what is missing.
 *
 * Entry points: see producer_consumer.h.
 */
#include "producer_consumer.h"

#include <stdlib.h>

#include "kata/plugin.h"

KATA_PLUGIN("producer_consumer");

int pcq_init(struct pc_queue *q, size_t cap)
{
	/* TODO: allocate cap slots, initialise the mutex and the three
	 * condition variables, zero the counters. */
	(void)q;
	(void)cap;
	return -ENOSYS;
}

void pcq_destroy(struct pc_queue *q)
{
	/* TODO: destroy what pcq_init made, free the slots. */
	(void)q;
}

int pcq_put(struct pc_queue *q, void *item)
{
	/* TODO: wait while full and open (a while loop), then store, count
	 * one unfinished task and wake a getter; PC_CLOSED once closed. */
	(void)q;
	(void)item;
	return -ENOSYS;
}

int pcq_get(struct pc_queue *q, void **item)
{
	/* TODO: wait while empty and open, take the oldest item, wake a
	 * putter; PC_CLOSED once closed and empty. */
	(void)q;
	(void)item;
	return -ENOSYS;
}

int pcq_task_done(struct pc_queue *q)
{
	/* TODO: one task fewer; wake every joiner when none is left. */
	(void)q;
	return -ENOSYS;
}

int pcq_join(struct pc_queue *q)
{
	/* TODO: wait while a task is unfinished. */
	(void)q;
	return -ENOSYS;
}

void pcq_close(struct pc_queue *q)
{
	/* TODO: mark closed and wake every waiting putter and getter. */
	(void)q;
}

int pc_consume(struct pc_queue *q, const struct pc_job *job, unsigned who)
{
	/* TODO: get, stop on PC_CLOSED or the sentinel, handle, task_done
	 * (also after a failed handle, and for the sentinel). */
	(void)q;
	(void)job;
	(void)who;
	return -ENOSYS;
}

int pc_run(struct pc_queue *q, const struct pc_job *job,
	   unsigned long *failed)
{
	/* TODO: consumers, producers, join the producers, pcq_join, stop
	 * the consumers (one sentinel each, or close), join them. */
	(void)q;
	(void)job;
	(void)failed;
	return -ENOSYS;
}
