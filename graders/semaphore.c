/*
 * semaphore.c (grader): a counting semaphore and an event built from a
 * mutex and a condition variable.  Semaphore(3) admits exactly three
 * threads; posts are never lost; a post wakes one waiter, a set wakes all;
 * timed waits end neither before their deadline nor much later than a
 * reference pthread_cond_timedwait measured in the same run.
 *
 * Entry point: the kata_grader descriptor at the end (the tables of tests
 * and forbidden functions).  Threads that call the learner's code are
 * grader threads ("g:...") that record what they got; the test thread
 * waits for them with deadlines, so a lost wakeup is reported as such
 * rather than as a timeout.  The helpers live in graders/semaphore/ (see
 * semaphore_grader.h): the run and its threads (run.c), what the threads
 * do (bodies.c) and the timed waits (timed.c).
 */
#define _GNU_SOURCE
#include "semaphore/semaphore_grader.h"

#include <errno.h>

#include "timing.h"

/* ---- the semaphore ------------------------------------------------------- */

static void t_basic(struct kata_ctx *k)
{
	struct run u = { .k = k };

	kata_concept(k, "a semaphore counts permits: wait takes one, post "
		     "gives one back, trywait never blocks");
	run_sem_start(&u, 2);
	kata_expect_int(k, "semaphore_value after init(2)",
			learner.value(&u.s), 2);
	kata_expect_int(k, "semaphore_trywait (2 free)",
			learner.trywait(&u.s), 0);
	kata_expect_int(k, "semaphore_trywait (1 free)",
			learner.trywait(&u.s), 0);
	kata_expect_int(k, "semaphore_trywait (0 free)", learner.trywait(&u.s),
			-EAGAIN);
	kata_expect_int(k, "semaphore_value when empty",
			learner.value(&u.s), 0);
	kata_expect_int(k, "semaphore_post", learner.post(&u.s), 0);
	kata_expect_int(k, "semaphore_value after a post",
			learner.value(&u.s), 1);
	kata_expect_int(k, "semaphore_wait (1 free)", learner.wait(&u.s), 0);
	kata_expect_int(k, "semaphore_value", learner.value(&u.s), 0);
	kata_expect_int(k, "semaphore_init(s, SEMAPHORE_MAX + 1)",
			learner.init(&u.s, SEMAPHORE_MAX + 1), -EINVAL);
	kata_expect_int(k, "semaphore_init(s, SEMAPHORE_MAX)",
			learner.init(&u.s, SEMAPHORE_MAX), 0);
	kata_expect_int(k, "semaphore_post at SEMAPHORE_MAX",
			learner.post(&u.s), -EOVERFLOW);
	kata_expect_int(k, "semaphore_value after a refused post",
			learner.value(&u.s), (long long)SEMAPHORE_MAX);
}

static void t_post_wakes_one(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "post gives back one permit: exactly one waiter may "
		     "go on; the others must check the count again and sleep");
	u.k = k;
	run_sem_start(&u, 0);
	run_start(&u, 3, "waiter", body_waiter);
	run_until_blocked(&u, 0, 3);
	KATA_REQUIRE(k, u.returned == 0, "semaphore_wait returned with no "
		     "permit free (value was 0): wait while the count is 0");
	kata_expect_int(k, "semaphore_post", learner.post(&u.s), 0);
	KATA_REQUIRE(k, run_settle(&u, 1) > 0, "one post to 3 sleeping waiters "
		     "woke none: raise the count and signal the condition "
		     "variable, both while holding the mutex");
	kata_expect_int(k, "waiters through after one post (of 3 blocked)",
			u.returned, 1);
	kata_expect_int(k, "semaphore_value after the waiter took it",
			learner.value(&u.s), 0);
	learner.post(&u.s);
	learner.post(&u.s);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "after 3 posts, a waiter still "
		     "sleeps: a post must wake a waiter (signal the "
		     "condition variable after raising the count)");
	kata_expect_int(k, "semaphore_value at the end",
			learner.value(&u.s), 0);
}

static void t_limit(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "Semaphore(3) lets at most three threads in at a time, "
		     "and never fewer when ten are queueing");
	u.k = k;
	u.rounds = kata_param(k, "rounds", 100, 20);
	run_sem_start(&u, 3);
	run_start(&u, 10, "visitor", body_visitor);
	run_watch(&u, 1000);
	kata_expect_int(k, "most threads inside at once (semaphore of 3)",
			u.peak, 3);
	kata_expect_int(k, "semaphore_value after all left",
			learner.value(&u.s), 3);
}

static void t_no_lost_wakeup(struct kata_ctx *k)
{
	static struct run u;
	long pairs = kata_param(k, "pairs", 1000000, 100000);

	kata_concept(k, "every post must wake a waiter if one sleeps: a wakeup "
		     "lost between checking the count and sleeping leaves a "
		     "thread asleep with permits free");
	u.k = k;
	u.rounds = pairs / 4;
	run_sem_start(&u, 0);
	run_start(&u, 4, "taker", body_taker);
	run_start(&u, 4, "poster", body_poster);
	run_watch(&u, 1000);
	KATA_REQUIRE(k, learner.value(&u.s) == 0, "semaphore_value after as "
		     "many posts as waits: expected 0, got %d: was the count "
		     "changed without holding the mutex (a lost update)?",
		     learner.value(&u.s));
}

static void t_post_locks(struct kata_ctx *k)
{
	static struct run u;
	int early;

	kata_concept(k, "the count is shared: every change to it happens with "
		     "s->m held, so a post waits while another thread holds "
		     "the mutex");
	u.k = k;
	run_sem_start(&u, 0);
	pthread_mutex_lock(&u.s.m);
	run_start(&u, 1, "poster", body_post_once);
	run_until_blocked(&u, 0, 1);
	early = atomic_load(&u.returned);
	pthread_mutex_unlock(&u.s.m);
	KATA_REQUIRE(k, !early, "semaphore_post returned while another "
		     "thread held s->m: expected it to wait for the mutex");
	KATA_REQUIRE(k, run_join_all(&u, 1000), "semaphore_post did not "
		     "return once s->m was free");
	kata_expect_int(k, "semaphore_value after one post",
			learner.value(&u.s), 1);
}

static void t_post_race(struct kata_ctx *k)
{
	static struct run u;
	long posts = kata_param(k, "racing_posts", 2000000, 400000);

	kata_concept(k, "value++ is a read, an add and a write: two threads "
		     "posting at once without the mutex both read the same "
		     "count, and one post is lost (the seed's lost update)");
	u.k = k;
	u.rounds = posts / 4;
	run_sem_start(&u, 0);
	run_start(&u, 4, "poster", body_racing_poster);
	KATA_REQUIRE(k, run_join_all(&u, 20000), "4 threads posting "
		     "%ld times each did not finish", u.rounds);
	kata_expect_int(k, "semaphore_value after 4 threads posted at once",
			learner.value(&u.s), 4 * u.rounds);
}

/* ---- timed waits --------------------------------------------------------- */

static void t_timedwait_expires(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "pthread_cond_timedwait takes an absolute deadline "
		     "on the condition variable's clock: now + ms, on "
		     "CLOCK_MONOTONIC (pthread_condattr_setclock)");
	u.k = k;
	run_sem_start(&u, 1);
	kata_expect_int(k, "semaphore_timedwait with a permit free",
			learner.timedwait(&u.s, TIMED_MS), 0);
	timed_expect_expiry(&u, false, "semaphore_timedwait");
}

static void t_timedwait_wakes(struct kata_ctx *k)
{
	static struct run u;
	uint64_t t0;
	int r;

	kata_concept(k, "a timed wait ends early, with 0, when a permit "
		     "comes in time");
	u.k = k;
	run_sem_start(&u, 0);
	run_start(&u, 1, "poster", body_late_post);
	t0 = timing_now_ns();
	r = learner.timedwait(&u.s, 5000);
	kata_expect_int(k, "semaphore_timedwait(s, 5000), posted after 30 ms",
			r, 0);
	kata_note(k, "woke after %.1f ms", timing_ms_since(t0));
	kata_expect_int(k, "semaphore_value after", learner.value(&u.s), 0);
	run_join_all(&u, 1000);
}

/* ---- the event ----------------------------------------------------------- */

static void t_event_basic(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "an event is a flag: set raises it, clear lowers it, "
		     "wait returns at once while it is up");
	u.k = k;
	run_event_start(&u);
	kata_expect_int(k, "event_is_set after init", learner.is_set(&u.e), 0);
	kata_expect_int(k, "event_set", learner.set(&u.e), 0);
	kata_expect_int(k, "event_is_set after set", learner.is_set(&u.e), 1);
	kata_expect_int(k, "event_wait on a set event", learner.ewait(&u.e), 0);
	kata_expect_int(k, "event_timedwait on a set event",
			learner.etimedwait(&u.e, TIMED_MS), 0);
	kata_expect_int(k, "event_clear", learner.clear(&u.e), 0);
	kata_expect_int(k, "event_is_set after clear", learner.is_set(&u.e), 0);
	timed_expect_expiry(&u, true, "event_timedwait");
}

static void t_event_wakes_all(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "event_set wakes every waiter (broadcast, not "
		     "signal); event_clear re-arms it, so the next wait "
		     "blocks again");
	u.k = k;
	run_event_start(&u);
	run_start(&u, 4, "ewaiter", body_event_waiter);
	run_until_blocked(&u, 0, 4);
	KATA_REQUIRE(k, u.returned == 0, "event_wait returned before the "
		     "event was set");
	learner.set(&u.e);
	kata_expect_int(k, "waiters woken by one event_set (4 waiting)",
			run_settle(&u, 4), 4);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "event waiters did not finish");
	learner.clear(&u.e);
	run_start(&u, 1, "ewaiter", body_event_waiter);
	run_until_blocked(&u, 4, 5);
	KATA_REQUIRE(k, u.returned == 4, "event_wait returned at once after "
		     "event_set then event_clear: clear must lower the flag");
	learner.set(&u.e);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "the waiter that came after "
		     "event_clear was not woken by the next event_set");
}

static const struct kata_test tests[] = {
	{ "basic", "trywait, post and value count permits exactly",
	  t_basic, 0, 1, NULL },
	{ "post_locks", "a post takes the mutex before it changes the count",
	  t_post_locks, 0, 1, "basic" },
	{ "post_race", "4 threads posting at once lose no post",
	  t_post_race, 30000, 1, "basic" },
	{ "post_wakes_one", "one post lets exactly one of three waiters go",
	  t_post_wakes_one, 0, 1, "basic" },
	{ "limit", "10 threads through Semaphore(3): at most and at least 3 "
	  "inside", t_limit, 0, 1, "basic" },
	{ "no_lost_wakeup", "4 posters and 4 waiters: every post reaches a "
	  "waiter", t_no_lost_wakeup, 30000, 2, "basic" },
	{ "timedwait_expires", "a timed wait times out, never early and not "
	  "much late", t_timedwait_expires, 0, 1, "basic" },
	{ "timedwait_wakes", "a timed wait returns 0 when a permit comes in "
	  "time", t_timedwait_wakes, 0, 1, "basic" },
	{ "event_basic", "set, clear, is_set and waits on a set event",
	  t_event_basic, 0, 1, NULL },
	{ "event_wakes_all", "set wakes every waiter; clear re-arms",
	  t_event_wakes_all, 0, 1, "event_basic" },
	{ 0 },
};

static const struct kata_forbid forbidden[] = {
	{ "sem_init", "build the semaphore from a mutex and a condition "
	  "variable" },
	{ "sem_destroy", "build the semaphore from a mutex and a condition "
	  "variable" },
	{ "sem_wait", "wait on a condition variable while the count is 0" },
	{ "sem_trywait", "check the count under the mutex" },
	{ "sem_timedwait", "use pthread_cond_timedwait on CLOCK_MONOTONIC" },
	{ "sem_clockwait", "use pthread_cond_timedwait on CLOCK_MONOTONIC" },
	{ "sem_post", "raise the count and signal the condition variable" },
	{ "sem_getvalue", "read the count under the mutex" },
	{ "sem_open", "this kata's semaphore lives in memory, built by you" },
	{ "sem_close", "this kata's semaphore lives in memory, built by you" },
	{ "sem_unlink", "this kata's semaphore lives in memory, built by you" },
	{ "eventfd", "build the event from a mutex and a condition variable" },
	{ "eventfd_read", "wait on a condition variable instead" },
	{ "eventfd_write", "set a flag and broadcast instead" },
	{ 0 },
};

KATA_GRADER(.kata = "semaphore",
	    .title = "A semaphore and an event from a mutex and a condition "
		     "variable",
	    .topic = "Semaphore(3), Event set/clear/wait (信号量, Event)",
	    .order = 50,
	    .tests = tests,
	    .forbidden = forbidden);
