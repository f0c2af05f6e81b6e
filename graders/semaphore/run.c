/*
 * run.c (semaphore grader): a run of a test, the grader threads that call
 * the learner's code and the test thread that waits for them.
 *
 * run_sem_start and run_event_start look up the learner's functions
 * (learner) and initialise the run's semaphore or event; run_start starts
 * threads, each taking an index with run_next_id; the test thread then
 * waits for them with deadlines: run_until_blocked, run_settle,
 * run_join_all, and run_watch, which reports a lost wakeup as such rather
 * than as a timeout.  run_until_futex tells which lock or condition
 * variable a thread sleeps on; run_spurious wakes waiters for nothing.
 */
#define _GNU_SOURCE
#include "semaphore_grader.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thread.h"
#include "timing.h"

struct learner_fns learner;

/* Looks up the learner's semaphore functions. */
static void load(struct kata_ctx *k)
{
	learner.init = KATA_SYM(k, semaphore_init);
	learner.wait = KATA_SYM(k, semaphore_wait);
	learner.trywait = KATA_SYM(k, semaphore_trywait);
	learner.timedwait = KATA_SYM(k, semaphore_timedwait);
	learner.post = KATA_SYM(k, semaphore_post);
	learner.value = KATA_SYM(k, semaphore_value);
}

/* Looks up the learner's event functions. */
static void load_event(struct kata_ctx *k)
{
	learner.einit = KATA_SYM(k, event_init);
	learner.set = KATA_SYM(k, event_set);
	learner.clear = KATA_SYM(k, event_clear);
	learner.is_set = KATA_SYM(k, event_is_set);
	learner.ewait = KATA_SYM(k, event_wait);
	learner.etimedwait = KATA_SYM(k, event_timedwait);
}

void run_sem_start(struct run *u, unsigned value)
{
	int r;

	load(u->k);
	if ((r = learner.init(&u->s, value)))
		kata_fail(u->k, "semaphore_init(s, %u): expected 0, got %s",
			  value, kata_strres(r));
}

void run_event_start(struct run *u)
{
	int r;

	load_event(u->k);
	if ((r = learner.einit(&u->e)))
		kata_fail(u->k, "event_init: expected 0, got %s",
			  kata_strres(r));
}

void run_start(struct run *u, int n, const char *name,
	       void *(*body)(void *))
{
	for (int i = 0; i < n; i++, u->n++)
		if (thread_start(&u->t[u->n], name, body, u))
			kata_fail(u->k, "could not start a grader thread");
}

int run_next_id(struct run *u)
{
	int id = atomic_fetch_add(&u->ids, 1);

	u->tid[id] = thread_tid();
	return id;
}

bool run_join_all(struct run *u, unsigned ms)
{
	uint64_t start = timing_now_ns();
	double limit = ms * kata_scale(u->k);

	for (; u->joined < u->n; u->joined++) {
		int left = (int)(limit - timing_ms_since(start));

		if (thread_join_timeout(u->t[u->joined], left > 1 ? left : 1,
					NULL))
			return false;
	}
	return true;
}

void run_until_blocked(struct run *u, int first, int count, const void *p,
		       size_t len)
{
	uint64_t start = timing_now_ns();

	while (atomic_load(&u->ids) < count &&
	       timing_ms_since(start) < 1000 * kata_scale(u->k))
		timing_sleep_ms(1);
	run_until_futex(u, first, count, p, len, 500);
}

int run_settle(struct run *u, int want, unsigned extra_ms)
{
	uint64_t start = timing_now_ns();

	while (atomic_load(&u->returned) < want &&
	       timing_ms_since(start) < 1000 * kata_scale(u->k))
		timing_sleep_ms(1);
	if (extra_ms)
		timing_sleep_ms((unsigned)(extra_ms * kata_scale(u->k)));
	return atomic_load(&u->returned);
}

void run_watch(struct run *u, unsigned stall_ms)
{
	double limit = stall_ms * kata_scale(u->k);
	uint64_t seen = timing_now_ns();
	long last = -1;

	while (!run_join_all(u, 20)) {
		long sum = 0;

		for (int i = 0; i < u->n; i++)
			sum += u->progress[i];
		if (sum != last) {
			last = sum;
			seen = timing_now_ns();
		} else if (timing_ms_since(seen) > limit) {
			kata_fail(u->k, "no progress for %.0f ms: waiters "
				  "sleep while the value is %d: a post raised "
				  "the count but woke nobody (a lost wakeup)",
				  timing_ms_since(seen), learner.value(&u->s));
		}
	}
}

/*
 * True when thread tid has exited, or waits in futex() on a word inside
 * [p, p + len): /proc/self/task/<tid>/syscall shows the futex's address
 * as its first argument.  A thread woken but not yet running still shows
 * the call it is leaving; it shows a new one only after it ran.
 */
static bool gone_or_waits_in(pid_t tid, const void *p, size_t len)
{
	char path[64], buf[256];
	unsigned long addr, lo = (unsigned long)p;
	long nr;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	if (access(path, F_OK))
		return true;
	strcat(path, "/syscall");
	if (!(f = fopen(path, "re")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return sscanf(buf, "%ld %lx", &nr, &addr) == 2 && nr == SYS_futex &&
	       addr >= lo && addr < lo + len;
}

bool run_until_futex(struct run *u, int first, int count, const void *p,
		     size_t len, unsigned ms)
{
	uint64_t start = timing_now_ns();
	double limit = ms * kata_scale(u->k);
	int i;

	do {
		for (i = first; i < count; i++)
			if (!gone_or_waits_in(u->tid[i], p, len))
				break;
		if (i == count)
			return true;
		timing_sleep_ms(1);
	} while (timing_ms_since(start) < limit);
	return false;
}

void run_spurious(struct run *u, pthread_mutex_t *m, pthread_cond_t *c,
		  int count)
{
	pthread_mutex_lock(m);
	pthread_cond_broadcast(c);
	run_until_futex(u, 0, count, m, sizeof(*m), 100);
	pthread_mutex_unlock(m);
	run_until_futex(u, 0, count, c, sizeof(*c), 1000);
}
