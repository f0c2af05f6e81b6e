/*
 * coroutine.h: stackful coroutines with send/yield, like Python generators.
 * DO NOT EDIT: the grader relies on every name, constant and result here.
 *
 * Entry points: co_create, co_send, co_yield, co_state, co_destroy.
 *
 * The contract, in one place:
 *
 * - co_create(fn, arg, stack_size, &co) makes a coroutine that will run
 *   fn(co, arg) on its own stack of at least stack_size bytes.  It does not
 *   run anything yet: the new coroutine is CO_SUSPENDED.
 * - co_send(co, value, &out) resumes co and runs it until it yields or
 *   returns.  The first send starts fn and its value is discarded (it is
 *   Python's next(): "priming"); every later send's value becomes the result
 *   of the co_yield() the coroutine is suspended in.  co_send returns
 *   CO_YIELDED with the yielded value in *out, or CO_RETURNED with fn's
 *   return value in *out; after CO_RETURNED the coroutine is CO_DONE.
 * - co_yield(co, value), called by the coroutine's own code (fn or anything
 *   it calls, at any depth), suspends co, hands value to the co_send that
 *   resumed it, and returns the value of the next co_send.
 * - A coroutine may send to another one: a yield always goes back to
 *   whoever sent, so coroutines nest like function calls.  While co runs,
 *   co and every coroutine that (transitively) resumed it are CO_RUNNING.
 * - Errors are results, never crashes: co_send to a CO_DONE coroutine
 *   returns -EINVAL; to a CO_RUNNING one (itself, or one up the chain of
 *   senders) -EBUSY; *out is untouched.  co_create returns -EINVAL for a NULL
 *   fn or a stack_size below CO_MIN_STACK, -ENOMEM when out of memory.
 * - Memory: each stack is its own mapping from mmap() (with a guard page
 *   below it, so an overflow faults instead of corrupting memory), and
 *   co_destroy() unmaps it.  co_destroy() may be called on a coroutine that
 *   is suspended (never started, or stopped in a yield) or done, never on a
 *   running one; a suspended coroutine's function is simply abandoned
 *   (nothing on its stack is unwound).
 * - Coroutines belong to the thread that runs them; the API is not
 *   thread-safe.
 */
#ifndef KATA_COROUTINE_H
#define KATA_COROUTINE_H

#include <errno.h>
#include <stddef.h>

/* The smallest stack co_create accepts, in bytes. */
#define CO_MIN_STACK 8192

/* What co_send returns when the coroutine yielded, or returned. */
#define CO_YIELDED 0
#define CO_RETURNED 1

enum co_state {
	CO_SUSPENDED = 0,	/* created, or stopped in co_yield */
	CO_RUNNING = 1,		/* executing, or in a co_send it made */
	CO_DONE = 2,		/* fn returned */
};

struct co;			/* opaque: define it in your .c file */

/*
 * Creates a suspended coroutine that will run fn(co, arg) in *out.  0,
 * -EINVAL, or -ENOMEM.  The caller owns *out: free it with co_destroy().
 */
int co_create(void *(*fn)(struct co *co, void *arg), void *arg,
	      size_t stack_size, struct co **out);

/*
 * Resumes co with value (ignored on the first send).  CO_YIELDED or
 * CO_RETURNED with the value in *out; -EINVAL (done) or -EBUSY (running).
 */
int co_send(struct co *co, void *value, void **out);

/*
 * From inside co: suspends it, handing value to its sender; returns the
 * value of the next co_send.
 */
void *co_yield(struct co *co, void *value);

/* co's state now. */
enum co_state co_state(const struct co *co);

/* Frees co and unmaps its stack; co must not be running.  NULL allowed. */
void co_destroy(struct co *co);

#endif
