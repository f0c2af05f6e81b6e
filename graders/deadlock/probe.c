/*
 * probe.c (deadlock grader): one call of the learner's bank_transfer or
 * bank_total in a grader thread, made while the test thread holds an
 * account lock, so the test can see what the call does while it waits:
 * which locks it holds, whether it waits at all.
 *
 * Entry points: probe_start (starts the call, returns once it waits for
 * a lock or has returned), probe_held (the first account whose lock is
 * held), probe_finish (joins the call, bounded).
 */
#define _GNU_SOURCE
#include "deadlock_grader.h"

#include <errno.h>

#include "thread.h"
#include "timing.h"

/* The probe's thread (arg: the struct probe): one call, then done. */
static void *probe_main(void *arg)
{
	struct probe *p = arg;

	p->tid = thread_tid();
	if (p->total)
		p->result = learner.total(p->b);
	else
		p->result = learner.transfer(p->b, p->from, p->to, p->amount);
	p->done = true;
	return NULL;
}

void probe_start(struct probe *p)
{
	uint64_t start = timing_now_ns();
	double limit = 1000 * kata_scale(p->k);

	if (thread_start(&p->t, "probe", probe_main, p))
		kata_fail(p->k, "could not start a grader thread");
	while (!p->done && timing_ms_since(start) < limit &&
	       !(p->tid && wd_futex_addr(p->tid)))
		timing_sleep_ms(1);
}

int probe_held(struct probe *p, int first, int last)
{
	for (int i = first; i <= last; i++) {
		pthread_mutex_t *m = &p->b->acct[i].lock;

		if (pthread_mutex_trylock(m))
			return i;
		pthread_mutex_unlock(m);
	}
	return -1;
}

void probe_finish(struct probe *p)
{
	if (thread_join_timeout(p->t, (int)(2000 * kata_scale(p->k)), NULL))
		kata_fail(p->k, "%s did not return after the grader released "
			  "the account lock it held", p->total ? "bank_total"
			  : "bank_transfer");
}
