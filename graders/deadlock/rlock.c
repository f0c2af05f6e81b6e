/*
 * rlock.c (deadlock grader): what the recursive lock tests' threads do.
 *
 * Worker bodies: rl_reenter (the owner acquires again) and rl_nested (the
 * seed's lost update, guarded by nested acquires).  The contender, a
 * second thread that wants the lock while the test thread owns it:
 * rl_start_contender, rl_spurious, rl_expect_blocked, rl_finish_contender.
 */
#define _GNU_SOURCE
#include "deadlock_grader.h"

#include <errno.h>
#include <sched.h>

#include "digest.h"
#include "thread.h"
#include "timing.h"

void rl_reenter(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct rlock *l = w->c->l;

	for (int i = 1; i <= 3; i++) {
		kata_expect_int(k, "rlock_acquire by its owner",
				learner.acquire(l), 0);
		crew_tick(w);
	}
	for (int i = 1; i <= 3; i++)
		kata_expect_int(k, "rlock_release after 3 acquires",
				learner.release(l), 0);
	kata_expect_int(k, "a 4th rlock_release after 3 acquires",
			learner.release(l), -EPERM);
	crew_tick(w);
}

/* Acquires the lock, records it, releases it. */
static void *contender(void *arg)
{
	struct crew *c = arg;

	c->w[0].tid = thread_tid();
	if (c->release_first)
		kata_expect_int(c->k, "rlock_release by a thread that does "
				"not own the lock", learner.release(c->l),
				-EPERM);
	kata_expect_int(c->k, "rlock_acquire by a second thread",
			learner.acquire(c->l), 0);
	c->w[0].progress = 1;
	kata_expect_int(c->k, "rlock_release by that thread",
			learner.release(c->l), 0);
	c->w[0].done = true;
	return NULL;
}

/* True when the contender sleeps in futex() on a word inside [p, p+len). */
static bool contender_on(struct crew *c, const void *p, size_t len)
{
	unsigned long a = wd_futex_addr(c->w[0].tid), lo = (unsigned long)p;

	return a >= lo && a < lo + len;
}

/*
 * Polls, at most ms (scaled), until the contender has the lock or sleeps
 * on [p, p + len).
 */
static void until_contender_on(struct crew *c, const void *p, size_t len,
			       unsigned ms)
{
	uint64_t start = timing_now_ns();

	while (!c->w[0].progress && !contender_on(c, p, len) &&
	       timing_ms_since(start) < ms * kata_scale(c->k))
		timing_sleep_ms(1);
}

void rl_start_contender(struct crew *c, pthread_t *t)
{
	uint64_t start = timing_now_ns();

	if (thread_start(t, "contender", contender, c))
		kata_fail(c->k, "could not start a grader thread");
	while (!c->w[0].tid && timing_ms_since(start) < 1000)
		timing_sleep_ms(1);
	until_contender_on(c, &c->l->c, sizeof(c->l->c), 500);
}

void rl_expect_blocked(struct crew *c, const char *why)
{
	if (c->w[0].progress)
		kata_fail(c->k, "a second thread acquired the lock %s", why);
}

void rl_spurious(struct crew *c)
{
	struct rlock *l = c->l;

	pthread_mutex_lock(&l->m);
	pthread_cond_broadcast(&l->c);
	until_contender_on(c, &l->m, sizeof(l->m), 100);
	pthread_mutex_unlock(&l->m);
	until_contender_on(c, &l->c, sizeof(l->c), 1000);
}

void rl_finish_contender(struct crew *c, pthread_t t)
{
	if (thread_join_timeout(t, (int)(2000 * kata_scale(c->k)), NULL))
		kata_fail(c->k, "the owner released the lock completely, but "
			  "the thread waiting for it never got it: wake a "
			  "waiter when the count drops to 0");
}

/* The seed's lost update (temp = num + 1; sleep; num = temp), guarded. */
void rl_nested(struct worker *w)
{
	struct crew *c = w->c;
	struct rng g;

	rng_seed(&g, c->seed + (uint64_t)w->id);
	for (long i = 0; i < c->iters; i++) {
		int depth = 1 + (int)rng_below(&g, 3), r = 0;
		long temp;

		for (int d = 0; d < depth && !r; d++)
			r = learner.acquire(c->l);
		if (atomic_fetch_add(&c->inside, 1) != 0)
			kata_fail(c->k, "two threads owned the recursive lock "
				  "at once: a thread woken from the condition "
				  "wait must check again that the lock is free "
				  "(while, not if)");
		temp = c->shared + 1;
		if (i % 4 == 0)
			sched_yield();
		c->shared = temp;
		atomic_fetch_sub(&c->inside, 1);
		for (int d = 0; d < depth && !r; d++)
			r = learner.release(c->l);
		if (r)
			kata_fail(c->k, "rlock_acquire/rlock_release by the "
				  "owner: expected 0, got %s", kata_strres(r));
		crew_tick(w);
	}
}
