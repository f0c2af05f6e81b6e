/*
 * threads.c (pool_callbacks grader): the learner's threads as the tests
 * see them from outside, through /proc/self/task.
 *
 * thr_learner counts the threads that are not the grader's (those are
 * named "g:..."), thr_expect polls that count, thr_expect_idle checks that
 * an idle pool's workers sleep and use no CPU; thr_start_shutdown and
 * thr_join_shutdown run pool_shutdown in a grader thread, so a test can
 * look while it blocks.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thread.h"
#include "timing.h"

/* ---- counting ----------------------------------------------------------- */

static int is_grader_thread(const char *tid)
{
	char path[300], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	if (!(f = fopen(path, "re")))
		return 1;	/* gone already */
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, KATA_GRADER_THREAD_PREFIX,
			strlen(KATA_GRADER_THREAD_PREFIX));
}

int thr_learner(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && !is_grader_thread(e->d_name))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Returns the CPU time thread tid of this process has used, in ms. */
static double thr_cpu_ms(pid_t tid)
{
	/* The kernel's per-thread CPU clock: pthread_getcpuclockid's id. */
	clockid_t id = (clockid_t)((~(unsigned)tid << 3) | 6);
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;	/* gone already */
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Stores up to max learner threads but the caller in tids; returns n. */
static int thr_others(pid_t *tids, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid;
	int n = 0;

	while (d && n < max && (e = readdir(d))) {
		tid = (pid_t)atoi(e->d_name);
		if (tid > 0 && tid != thread_tid() &&
		    !is_grader_thread(e->d_name))
			tids[n++] = tid;
	}
	if (d)
		closedir(d);
	return n;
}

void thr_expect_idle(struct kata_ctx *k)
{
	enum { WINDOW_MS = 100 };
	pid_t tids[64];
	double cpu[64], used;
	int i, n = thr_others(tids, 64);

	for (i = 0; i < n; i++)
		if (thread_wait_sleeping(tids[i], POLL_MS(k)) != 0)
			kata_fail(k, "a worker of an idle pool is not asleep: "
				  "an idle worker should block on a condition "
				  "variable, not spin");
	for (i = 0; i < n; i++)
		cpu[i] = thr_cpu_ms(tids[i]);
	timing_sleep_ms(WINDOW_MS);
	for (i = 0; i < n; i++) {
		used = thr_cpu_ms(tids[i]) - cpu[i];
		if (used > WINDOW_MS / 10.0)
			kata_fail(k, "a worker of an idle pool used %.0f ms of "
				  "CPU in %d ms: expected none (an idle worker "
				  "should block in pthread_cond_wait, not poll "
				  "the queue)", used, WINDOW_MS);
	}
}

void thr_expect(struct kata_ctx *k, int base, int want, const char *what)
{
	uint64_t t0 = timing_now_ns();
	int n;

	while ((n = thr_learner() - base) != want &&
	       timing_ms_since(t0) < POLL_MS(k))
		timing_sleep_ms(2);
	kata_expect_int(k, what, n, want);
}

/* ---- pool_shutdown in a grader thread ----------------------------------- */

static void *shutter(void *arg)
{
	struct shutter *s = arg;

	atomic_store(&s->tid, (int)thread_tid());
	atomic_store(&s->r, s->fn(s->p, s->wait));
	atomic_store(&s->done, 1);
	return NULL;
}

pthread_t thr_start_shutdown(struct kata_ctx *k, struct shutter *s)
{
	uint64_t t0 = timing_now_ns();
	pthread_t t;

	s->fn = KATA_SYM(k, pool_shutdown);
	KATA_REQUIRE(k, thread_start(&t, "shutdown", shutter, s) == 0,
		     "cannot start a grader thread");
	while (!atomic_load(&s->tid) && timing_ms_since(t0) < WAIT_MS(k))
		timing_sleep_ms(1);
	thread_wait_sleeping((pid_t)atomic_load(&s->tid), WAIT_MS(k));
	return t;
}

void thr_join_shutdown(struct kata_ctx *k, pthread_t t, struct shutter *s)
{
	KATA_REQUIRE(k, thread_join_timeout(t, WAIT_MS(k), NULL) == 0,
		     "pool_shutdown did not return after the running tasks "
		     "finished (a worker never woke up to exit?)");
	kata_expect_int(k, "pool_shutdown result", atomic_load(&s->r), 0);
}
