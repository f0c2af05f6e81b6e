/*
 * crew.c (deadlock grader): the crew, the watched worker threads that call
 * the learner's code.
 *
 * A test adds workers (crew_add), each with a body that calls the
 * learner's code and ticks (crew_tick, in the header) after every step;
 * crew_run starts them together and watches their progress: when one
 * stops ticking, the watchdog (wd_diagnose) fails the test saying why.
 * crew_solo runs one body that way.  Also here: the learner's functions
 * (learner) and the worker the calling thread runs (crew_self).
 */
#define _GNU_SOURCE
#include "deadlock_grader.h"

#include <sched.h>
#include <stdio.h>

#include "thread.h"
#include "timing.h"

struct learner_fns learner;
_Thread_local struct worker *crew_self;

void *crew_main(void *arg)
{
	struct worker *w = arg;

	crew_self = w;
	w->tid = thread_tid();
	atomic_fetch_add(&w->c->ready, 1);
	while (w->c->ready < w->c->n)
		sched_yield();
	w->body(w);
	w->done = true;
	return NULL;
}

struct worker *crew_add(struct crew *c, const char *name,
			void (*body)(struct worker *w))
{
	struct worker *w = &c->w[c->n];

	w->c = c;
	w->id = c->n++;
	snprintf(w->name, sizeof(w->name), "%s%d", name, w->id);
	w->body = body;
	return w;
}

/*
 * One look at the crew: fails the test through the watchdog when a worker
 * has not ticked for limit ms; tells the until_stop workers to stop when
 * only they are left.  Returns whether any worker still runs.
 */
static bool watch(struct crew *c, unsigned long *last, uint64_t *seen,
		  double limit)
{
	bool running = false, others = true;

	for (int i = 0; i < c->n; i++) {
		struct worker *w = &c->w[i];
		unsigned long p = w->progress;

		if (w->done)
			continue;
		running = true;
		others &= w->until_stop;
		if (p != last[i]) {
			last[i] = p;
			seen[i] = timing_now_ns();
		} else if (timing_ms_since(seen[i]) > limit) {
			wd_diagnose(c, timing_ms_since(seen[i]));
		}
	}
	if (others)
		c->stop = true;
	return running;
}

void crew_run(struct crew *c, unsigned stall_ms)
{
	unsigned long last[MAX_WORKERS] = { 0 };
	uint64_t seen[MAX_WORKERS];
	double limit = stall_ms * kata_scale(c->k);

	for (int i = 0; i < c->n; i++) {
		seen[i] = timing_now_ns();
		if (thread_start(&c->w[i].t, c->w[i].name, crew_main,
				 &c->w[i]))
			kata_fail(c->k, "could not start a grader thread");
	}
	do
		timing_sleep_ms(10);
	while (watch(c, last, seen, limit));
	for (int i = 0; i < c->n; i++)
		pthread_join(c->w[i].t, NULL);
}

void crew_solo(struct crew *c, void (*body)(struct worker *w))
{
	crew_add(c, "solo", body);
	crew_run(c, 750);
}
