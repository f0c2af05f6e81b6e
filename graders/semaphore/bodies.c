/*
 * bodies.c (semaphore grader): what the grader threads of a run do (arg:
 * the struct run); each first takes an index with run_next_id.
 *
 * body_waiter and body_event_waiter wait once and count themselves in
 * u->returned; body_visitor is the seed's Semaphore(3) visitor;
 * body_post_once posts once and counts itself returned;
 * body_racing_poster posts u->rounds times as fast as it can, once four
 * of them have started;
 * body_poster and body_taker post and wait u->rounds times, ticking
 * u->progress.
 */
#define _GNU_SOURCE
#include "semaphore_grader.h"

#include <sched.h>
#include <unistd.h>

void *body_waiter(void *arg)
{
	struct run *u = arg;

	run_next_id(u);
	kata_expect_int(u->k, "semaphore_wait", learner.wait(&u->s), 0);
	atomic_fetch_add(&u->returned, 1);
	return NULL;
}

/* The seed's Semaphore(3): at most three threads inside at once. */
void *body_visitor(void *arg)
{
	struct run *u = arg;
	int id = run_next_id(u);

	for (long i = 0; i < u->rounds; i++) {
		int r = learner.wait(&u->s), n;

		if (r)
			kata_fail(u->k, "semaphore_wait: expected 0, got %s",
				  kata_strres(r));
		n = atomic_fetch_add(&u->inside, 1) + 1;
		if (n > atomic_load(&u->peak))
			atomic_store(&u->peak, n);
		if (n > 3)
			kata_fail(u->k, "%d threads inside a semaphore of 3: a "
				  "thread woken from the wait must check the "
				  "count again (while, not if)", n);
		usleep(200);
		atomic_fetch_sub(&u->inside, 1);
		learner.post(&u->s);
		u->progress[id]++;
	}
	return NULL;
}

void *body_post_once(void *arg)
{
	struct run *u = arg;

	run_next_id(u);
	kata_expect_int(u->k, "semaphore_post", learner.post(&u->s), 0);
	atomic_fetch_add(&u->returned, 1);
	return NULL;
}

void *body_racing_poster(void *arg)
{
	struct run *u = arg;
	int id = run_next_id(u);

	while (atomic_load(&u->ids) < 4)	/* all start together */
		sched_yield();
	for (long i = 0; i < u->rounds; i++) {
		kata_expect_int(u->k, "semaphore_post", learner.post(&u->s), 0);
		if (i % 4096 == 0)
			atomic_store(&u->progress[id], i);
	}
	atomic_store(&u->progress[id], u->rounds);
	return NULL;
}

/*
 * Posts in bursts, pausing while many permits are free: takers must sleep
 * now and then, and posters collide with each other and with them.
 */
void *body_poster(void *arg)
{
	struct run *u = arg;
	int id = run_next_id(u), r;

	for (long i = 0; i < u->rounds; i++) {
		if (i % 16 == 0)
			while (learner.value(&u->s) > 32)
				sched_yield();
		if ((r = learner.post(&u->s)))
			kata_fail(u->k, "semaphore_post: expected 0, got %s",
				  kata_strres(r));
		u->progress[id]++;
	}
	return NULL;
}

void *body_taker(void *arg)
{
	struct run *u = arg;
	int id = run_next_id(u);

	for (long i = 0; i < u->rounds; i++) {
		int r = learner.wait(&u->s);

		if (r)
			kata_fail(u->k, "semaphore_wait: expected 0, got %s",
				  kata_strres(r));
		u->progress[id]++;
	}
	return NULL;
}

void *body_event_waiter(void *arg)
{
	struct run *u = arg;

	run_next_id(u);
	kata_expect_int(u->k, "event_wait", learner.ewait(&u->e), 0);
	atomic_fetch_add(&u->returned, 1);
	return NULL;
}
