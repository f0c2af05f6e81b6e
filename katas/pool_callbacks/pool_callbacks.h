/*
 * pool_callbacks.h: a fixed-size thread pool with futures and done-callbacks
 * (Python's ThreadPoolExecutor, submit, result, map, shutdown and
 * add_done_callback, in C).  DO NOT EDIT: the grader relies on every line.
 *
 * Entry points: pool_create, pool_submit, pool_map, pool_shutdown;
 * future_wait, future_result, future_state, future_add_done_callback,
 * future_release.
 *
 * Results: 0 or a negative errno, as everywhere in these katas.
 *
 * Ownership of a future (read this twice):
 *   - pool_submit() hands the caller one reference to a new future.  The
 *     caller drops it with future_release() exactly once, from any thread,
 *     at any time: before the task ran, after, or inside one of the
 *     future's own callbacks.  After that the caller must not touch it.
 *   - The pool keeps its own reference until the task has finished (or was
 *     cancelled) and every callback attached before that has returned.  So a
 *     future released early still runs its task and its callbacks, and a
 *     callback may always use the future it is given.
 *   - The future is freed when both references are gone.
 *
 * Threads: pool_create() starts exactly `workers` threads before it
 * returns; pool_shutdown() joins every one of them before it returns.  No
 * other threads are ever started.
 */
#ifndef POOL_CALLBACKS_H
#define POOL_CALLBACKS_H

#include <stdbool.h>
#include <stddef.h>

#define POOL_MAX_WORKERS 256	/* pool_create: 1 .. POOL_MAX_WORKERS */

struct pool;
struct future;

/*
 * A task: compute from arg, store the result in *result and return 0; or
 * return a negative errno (-EIO, ...) to report failure, like a Python task
 * that raises.  The future then carries that error.  Runs on a worker.
 */
typedef int pool_task(void *arg, void **result);

/*
 * A done-callback: runs once the future has finished (done, failed or
 * cancelled), with the `data` given when it was attached: C's answer to
 * the closure in the Python crawler.  Inside it, future_result(f, 0, &res)
 * returns at once.
 */
typedef void future_callback(struct future *f, void *data);

/* The states of a future; the last three are final ("finished"). */
enum future_state {
	FUTURE_PENDING,		/* queued, not started */
	FUTURE_RUNNING,		/* a worker is running the task */
	FUTURE_DONE,		/* the task returned 0; the result is set */
	FUTURE_FAILED,		/* the task returned a negative errno */
	FUTURE_CANCELLED,	/* never ran: pool_shutdown(p, false) */
};

/*
 * Starts a pool of `workers` threads and stores it in *out.  Returns 0,
 * -EINVAL when workers is outside 1 .. POOL_MAX_WORKERS, or -errno (no
 * thread is left behind on failure).  The caller owns the pool and ends it
 * with pool_shutdown().
 */
int pool_create(int workers, struct pool **out);

/*
 * Queues fn(arg) and stores a new future in *out (the caller's reference,
 * see above).  Tasks start in the order they were submitted.  Returns 0,
 * -ESHUTDOWN once pool_shutdown() has begun (from a task or a callback
 * running during the shutdown, say), or -ENOMEM.  Any thread may submit.
 */
int pool_submit(struct pool *p, pool_task *fn, void *arg,
		struct future **out);

/*
 * Runs fn(args[i]) for i in 0 .. n-1 on the pool and stores each result in
 * results[i]: input order, whatever order the tasks finish in.  Always waits
 * for all n tasks.  Returns 0 when every task succeeded, otherwise the error
 * of the first failing task in input order (results[] of failed tasks are
 * left untouched), or -ESHUTDOWN / -ENOMEM from submitting.  Must not be
 * called from a task of the same pool.
 */
int pool_map(struct pool *p, pool_task *fn, void *const args[], size_t n,
	     void *results[]);

/*
 * Ends the pool; no task can be submitted once it has begun.
 *   wait == true:  every queued task still runs (the queue drains), then
 *                  every worker is joined.
 *   wait == false: every task that has not started is cancelled: its future
 *                  becomes FUTURE_CANCELLED and its callbacks run once, in
 *                  the calling thread; tasks already running finish; then
 *                  every worker is joined.  (Python's shutdown(wait=False,
 *                  cancel_futures=True), except that the workers are still
 *                  joined, because the pool's memory is freed on return.)
 * Either way, when it returns no worker thread is left and the pool is
 * freed (futures the caller still holds stay valid).  Returns 0.  Must not
 * be called from a task or a callback of the same pool.
 */
int pool_shutdown(struct pool *p, bool wait);

/*
 * Waits until f has finished: timeout_ms < 0 waits as long as it takes,
 * 0 only looks.  Returns 0 when it has finished, -ETIMEDOUT otherwise.
 * Callbacks may still be running when it returns (as in Python).
 */
int future_wait(struct future *f, int timeout_ms);

/*
 * Waits like future_wait(), then returns 0 and stores the task's result in
 * *result; or returns the task's error (a failed task; *result untouched),
 * -ECANCELED (a cancelled one), or -ETIMEDOUT (not finished in time).
 */
int future_result(struct future *f, int timeout_ms, void **result);

/* The future's state now (it may change right after). */
enum future_state future_state(struct future *f);

/*
 * Attaches cb(f, data).  Callbacks run exactly once each, in the order they
 * were attached: in the thread that finishes the future (a worker, or the
 * thread calling pool_shutdown(p, false) for a cancelled one), or, when f
 * has already finished, at once in the calling thread, before this
 * returns.  Any thread may attach, at any time while it holds a reference,
 * even while the task is finishing: no callback is ever lost or run twice.
 * Returns 0 or -ENOMEM.
 */
int future_add_done_callback(struct future *f, future_callback *cb,
			     void *data);

/* Drops the caller's reference to f (see "Ownership" above). */
void future_release(struct future *f);

#endif
