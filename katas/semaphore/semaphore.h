/*
 * semaphore.h: a counting semaphore and an event, built from a mutex and a
 * condition variable only.  Do not edit: the grader relies on every line.
 *
 * The semaphore (Python's threading.Semaphore) holds a count of permits:
 * semaphore_wait takes one, blocking while there are none; semaphore_post
 * gives one back and wakes one waiter.  Semaphore(3) lets at most three
 * threads into a section at a time.
 *
 * The event (Python's threading.Event) is a flag threads can wait for:
 * event_set raises it and wakes every waiter; event_clear lowers it again,
 * so later waits block until the next event_set.
 *
 * POSIX semaphores (sem_*) and eventfd are not allowed: the runner refuses
 * a kata that uses them.  Timed waits measure their timeout on
 * CLOCK_MONOTONIC (pthread_condattr_setclock), so changing the wall clock
 * does not change how long they wait.
 *
 * Entry points: semaphore_init, semaphore_destroy, semaphore_wait,
 * semaphore_trywait, semaphore_timedwait, semaphore_post, semaphore_value;
 * event_init, event_destroy, event_set, event_clear, event_is_set,
 * event_wait, event_timedwait.  All return 0 or a negative errno unless
 * stated otherwise.
 */
#ifndef KATA_SEMAPHORE_H
#define KATA_SEMAPHORE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

/* The largest count a semaphore may hold. */
#define SEMAPHORE_MAX 1000000000u

/*
 * m guards value; c is where waiters sleep (its clock set to
 * CLOCK_MONOTONIC); value is the number of free permits.  The grader uses
 * these fields: it holds m to see that a post waits for it, wakes c with
 * nothing posted to see that a waiter checks the count again, and frees a
 * permit itself (under m) to see that every post signals.
 */
struct semaphore {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned value;
};

/* Initialises s with `value` permits.  -EINVAL above SEMAPHORE_MAX. */
int semaphore_init(struct semaphore *s, unsigned value);

/* Destroys s; no thread may be waiting on it. */
void semaphore_destroy(struct semaphore *s);

/* Takes a permit, blocking while there is none.  Returns 0. */
int semaphore_wait(struct semaphore *s);

/* Takes a permit if one is free: 0, or -EAGAIN without blocking. */
int semaphore_trywait(struct semaphore *s);

/*
 * Takes a permit, blocking at most `ms` milliseconds (measured on
 * CLOCK_MONOTONIC from the call).  0, or -ETIMEDOUT when the time ran out
 * with no permit: never earlier than `ms` after the call.
 */
int semaphore_timedwait(struct semaphore *s, unsigned ms);

/*
 * Gives a permit back and wakes one waiting thread, if any.  0, or
 * -EOVERFLOW (nothing changes) when the count is already SEMAPHORE_MAX.
 */
int semaphore_post(struct semaphore *s);

/* Returns the number of free permits now (>= 0). */
int semaphore_value(struct semaphore *s);

/*
 * m guards set; c is where waiters sleep.  The grader wakes c with the
 * flag down to see that a waiter checks the flag again.
 */
struct event {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool set;
};

/* Initialises e, not set. */
int event_init(struct event *e);

/* Destroys e; no thread may be waiting on it. */
void event_destroy(struct event *e);

/* Sets the flag and wakes every waiting thread.  Returns 0. */
int event_set(struct event *e);

/* Clears the flag: later waits block until the next event_set.  0. */
int event_clear(struct event *e);

/* Returns 1 when the flag is set, 0 when not. */
int event_is_set(struct event *e);

/* Returns 0 once the flag is set: at once when it already is. */
int event_wait(struct event *e);

/*
 * As event_wait, but waits at most `ms` milliseconds (CLOCK_MONOTONIC):
 * 0, or -ETIMEDOUT when the flag was still not set, never earlier than
 * `ms` after the call.
 */
int event_timedwait(struct event *e, unsigned ms);

#endif
