/*
 * coroutine.c: your stackful coroutines.
 *
 * Fill in every function declared in coroutine.h (read it first: it is the
 * whole contract) and README.md (how a stack switch works, with ucontext
 * or by hand).  Until you do, each function fails politely so that
 * `./runner check coroutine` shows what is missing.
 *
 * Entry points: see coroutine.h.
 */
#define _GNU_SOURCE
#include "coroutine.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "kata/plugin.h"

KATA_PLUGIN("coroutine");

struct co {
	/* TODO: the function and its argument, the value in transit, the
	 * state, the stack mapping, and two saved contexts (the
	 * coroutine's and its sender's). */
	enum co_state state;
};

int co_create(void *(*fn)(struct co *co, void *arg), void *arg,
	      size_t stack_size, struct co **out)
{
	/* TODO: check the arguments, mmap the stack with a guard page,
	 * and prepare a context that starts fn(co, arg) on it
	 * (getcontext + makecontext is fine).  Do not run fn yet. */
	(void)fn;
	(void)arg;
	(void)stack_size;
	(void)out;
	return -ENOSYS;
}

int co_send(struct co *co, void *value, void **out)
{
	/* TODO: refuse a done or running coroutine; store value, mark it
	 * running, switch into it; when it comes back, report what it
	 * yielded or returned. */
	(void)co;
	(void)value;
	(void)out;
	return -ENOSYS;
}

void *co_yield(struct co *co, void *value)
{
	/* TODO: store value, mark the coroutine suspended, switch back to
	 * its sender; return what the next send brought. */
	(void)co;
	(void)value;
	return NULL;
}

enum co_state co_state(const struct co *co)
{
	/* TODO */
	return co ? co->state : CO_DONE;
}

void co_destroy(struct co *co)
{
	/* TODO: munmap the stack and free the coroutine. */
	(void)co;
}
