/*
 * semaphore.c (reference solution): a counting semaphore and an event, each
 * a mutex, a condition variable on CLOCK_MONOTONIC, and the state they
 * guard.
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

/* A mutex and a condition variable whose timed waits use CLOCK_MONOTONIC */
static int sync_init(pthread_mutex_t *m, pthread_cond_t *c)
{
	pthread_condattr_t a;
	int r = -pthread_condattr_init(&a);

	if (r)
		return r;
	r = -pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = -pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	if (!r && (r = -pthread_mutex_init(m, NULL)))
		pthread_cond_destroy(c);
	return r;
}

/* The CLOCK_MONOTONIC instant ms milliseconds from now. */
static struct timespec deadline_after(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int semaphore_init(struct semaphore *s, unsigned value)
{
	if (value > SEMAPHORE_MAX)
		return -EINVAL;
	s->value = value;
	return sync_init(&s->m, &s->c);
}

void semaphore_destroy(struct semaphore *s)
{
	pthread_cond_destroy(&s->c);
	pthread_mutex_destroy(&s->m);
}

int semaphore_wait(struct semaphore *s)
{
	pthread_mutex_lock(&s->m);
	while (s->value == 0)
		pthread_cond_wait(&s->c, &s->m);
	s->value--;
	pthread_mutex_unlock(&s->m);
	return 0;
}

int semaphore_trywait(struct semaphore *s)
{
	int r = -EAGAIN;

	pthread_mutex_lock(&s->m);
	if (s->value > 0) {
		s->value--;
		r = 0;
	}
	pthread_mutex_unlock(&s->m);
	return r;
}

int semaphore_timedwait(struct semaphore *s, unsigned ms)
{
	struct timespec until = deadline_after(ms);
	int r = 0;

	pthread_mutex_lock(&s->m);
	while (s->value == 0 && r == 0)
		r = pthread_cond_timedwait(&s->c, &s->m, &until);
	if (s->value > 0) {
		s->value--;
		r = 0;
	}
	pthread_mutex_unlock(&s->m);
	return -r;
}

int semaphore_post(struct semaphore *s)
{
	int r = 0;

	pthread_mutex_lock(&s->m);
	if (s->value >= SEMAPHORE_MAX) {
		r = -EOVERFLOW;
	} else {
		s->value++;
		pthread_cond_signal(&s->c);
	}
	pthread_mutex_unlock(&s->m);
	return r;
}

int semaphore_value(struct semaphore *s)
{
	int v;

	pthread_mutex_lock(&s->m);
	v = (int)s->value;
	pthread_mutex_unlock(&s->m);
	return v;
}

int event_init(struct event *e)
{
	e->set = false;
	return sync_init(&e->m, &e->c);
}

void event_destroy(struct event *e)
{
	pthread_cond_destroy(&e->c);
	pthread_mutex_destroy(&e->m);
}

int event_set(struct event *e)
{
	pthread_mutex_lock(&e->m);
	e->set = true;
	pthread_cond_broadcast(&e->c);
	pthread_mutex_unlock(&e->m);
	return 0;
}

int event_clear(struct event *e)
{
	pthread_mutex_lock(&e->m);
	e->set = false;
	pthread_mutex_unlock(&e->m);
	return 0;
}

int event_is_set(struct event *e)
{
	int v;

	pthread_mutex_lock(&e->m);
	v = e->set;
	pthread_mutex_unlock(&e->m);
	return v;
}

int event_wait(struct event *e)
{
	pthread_mutex_lock(&e->m);
	while (!e->set)
		pthread_cond_wait(&e->c, &e->m);
	pthread_mutex_unlock(&e->m);
	return 0;
}

int event_timedwait(struct event *e, unsigned ms)
{
	struct timespec until = deadline_after(ms);
	int r = 0;

	pthread_mutex_lock(&e->m);
	while (!e->set && r == 0)
		r = pthread_cond_timedwait(&e->c, &e->m, &until);
	r = e->set ? 0 : -r;
	pthread_mutex_unlock(&e->m);
	return r;
}
