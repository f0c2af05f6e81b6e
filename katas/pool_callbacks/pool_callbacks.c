/*
 * pool_callbacks.c: YOUR thread pool with futures and done-callbacks.
 *
 * Implement every function declared in pool_callbacks.h (read its comments:
 * they are the whole contract, including who frees a future), then run
 * `./runner check pool_callbacks`.  Until then each function fails politely
 * with -ENOSYS so that every test fails quickly with a message.
 *
 * Entry points: pool_create, pool_submit, pool_map, pool_shutdown and the
 * future_* functions.
 */
#define _GNU_SOURCE
#include "pool_callbacks.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "kata/plugin.h"

KATA_PLUGIN("pool_callbacks");

/* TODO: what a future holds: state, result or error, callbacks, refs... */
struct future {
	enum future_state state;
};

/* TODO: what the pool holds: a queue, a lock, a condition, the workers. */
struct pool {
	int nworkers;
};

int pool_create(int workers, struct pool **out)
{
	/* TODO: check workers, start exactly that many threads. */
	(void)workers;
	(void)out;
	return -ENOSYS;
}

int pool_submit(struct pool *p, pool_task *fn, void *arg,
		struct future **out)
{
	/* TODO: make a future, queue it, wake one worker. */
	(void)p;
	(void)fn;
	(void)arg;
	(void)out;
	return -ENOSYS;
}

int pool_map(struct pool *p, pool_task *fn, void *const args[], size_t n,
	     void *results[])
{
	/* TODO: submit all, then collect the results in input order. */
	(void)p;
	(void)fn;
	(void)args;
	(void)n;
	(void)results;
	return -ENOSYS;
}

int pool_shutdown(struct pool *p, bool wait)
{
	/* TODO: stop accepting, drain or cancel the queue, join workers. */
	(void)p;
	(void)wait;
	return -ENOSYS;
}

int future_wait(struct future *f, int timeout_ms)
{
	/* TODO: wait on a condition variable until the future finished. */
	(void)f;
	(void)timeout_ms;
	return -ENOSYS;
}

int future_result(struct future *f, int timeout_ms, void **result)
{
	/* TODO: wait, then hand out the result, the error or -ECANCELED. */
	(void)f;
	(void)timeout_ms;
	(void)result;
	return -ENOSYS;
}

enum future_state future_state(struct future *f)
{
	/* TODO: read the state under the future's lock. */
	(void)f;
	return FUTURE_PENDING;
}

int future_add_done_callback(struct future *f, future_callback *cb,
			     void *data)
{
	/* TODO: append, or run at once when already finished: exactly once. */
	(void)f;
	(void)cb;
	(void)data;
	return -ENOSYS;
}

void future_release(struct future *f)
{
	/* TODO: drop the caller's reference; free when none is left. */
	(void)f;
}
