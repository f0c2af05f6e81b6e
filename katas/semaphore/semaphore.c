/*
 * semaphore.c: your semaphore and event.  Read README.md and semaphore.h,
 * then replace every TODO.  Use a mutex and a condition variable only (no
 * sem_* and no eventfd).  Check with: ./runner check semaphore
 *
 * Entry points: semaphore_init, semaphore_destroy, semaphore_wait,
 * semaphore_trywait, semaphore_timedwait, semaphore_post, semaphore_value;
 * event_init, event_destroy, event_set, event_clear, event_is_set,
 * event_wait, event_timedwait.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <kata/plugin.h>

#include "semaphore.h"

KATA_PLUGIN("semaphore");

int semaphore_init(struct semaphore *s, unsigned value)
{
	/* TODO: refuse value > SEMAPHORE_MAX; set the count; initialise the
	 * mutex, and the condition variable with a pthread_condattr_t whose
	 * clock is CLOCK_MONOTONIC (pthread_condattr_setclock). */
	(void)s;
	(void)value;
	return -ENOSYS;
}

void semaphore_destroy(struct semaphore *s)
{
	/* TODO: destroy the condition variable and the mutex. */
	(void)s;
}

int semaphore_wait(struct semaphore *s)
{
	/* TODO: under the mutex, wait on the condition variable while the
	 * count is 0 (while, not if), then take one. */
	(void)s;
	return -ENOSYS;
}

int semaphore_trywait(struct semaphore *s)
{
	/* TODO: take one if the count is above 0, else -EAGAIN at once. */
	(void)s;
	return -ENOSYS;
}

int semaphore_timedwait(struct semaphore *s, unsigned ms)
{
	/* TODO: as semaphore_wait, with pthread_cond_timedwait and an
	 * absolute deadline: now on CLOCK_MONOTONIC + ms.  -ETIMEDOUT when
	 * it passes with the count still 0. */
	(void)s;
	(void)ms;
	return -ENOSYS;
}

int semaphore_post(struct semaphore *s)
{
	/* TODO: under the mutex, raise the count (-EOVERFLOW at
	 * SEMAPHORE_MAX) and signal the condition variable. */
	(void)s;
	return -ENOSYS;
}

int semaphore_value(struct semaphore *s)
{
	/* TODO: return the count, read under the mutex. */
	(void)s;
	return -ENOSYS;
}

int event_init(struct event *e)
{
	/* TODO: the flag starts cleared; initialise the mutex and the
	 * condition variable (CLOCK_MONOTONIC, as for the semaphore). */
	(void)e;
	return -ENOSYS;
}

void event_destroy(struct event *e)
{
	/* TODO: destroy the condition variable and the mutex. */
	(void)e;
}

int event_set(struct event *e)
{
	/* TODO: raise the flag and wake every waiter (broadcast). */
	(void)e;
	return -ENOSYS;
}

int event_clear(struct event *e)
{
	/* TODO: lower the flag. */
	(void)e;
	return -ENOSYS;
}

int event_is_set(struct event *e)
{
	/* TODO: return 1 when the flag is up, 0 when not. */
	(void)e;
	return -ENOSYS;
}

int event_wait(struct event *e)
{
	/* TODO: wait on the condition variable while the flag is down. */
	(void)e;
	return -ENOSYS;
}

int event_timedwait(struct event *e, unsigned ms)
{
	/* TODO: as event_wait, giving up with -ETIMEDOUT after ms
	 * milliseconds on CLOCK_MONOTONIC. */
	(void)e;
	(void)ms;
	return -ENOSYS;
}
