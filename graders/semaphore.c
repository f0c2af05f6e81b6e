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
	run_until_blocked(&u, 0, 3, &u.s.c, sizeof(u.s.c));
	KATA_REQUIRE(k, u.returned == 0, "semaphore_wait returned with no "
		     "permit free (value was 0): wait while the count is 0");
	kata_expect_int(k, "semaphore_post", learner.post(&u.s), 0);
	KATA_REQUIRE(k, run_settle(&u, 1, 50) > 0, "one post to 3 sleeping "
		     "waiters woke none: raise the count and signal the "
		     "condition variable, both while holding the mutex");
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

static void t_post_always_signals(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "every post wakes a waiter if one sleeps, not only "
		     "the post that lifts the count from 0: two posts can run "
		     "before the first woken waiter gets the mutex back");
	u.k = k;
	run_sem_start(&u, 0);
	run_start(&u, 2, "waiter", body_waiter);
	run_until_blocked(&u, 0, 2, &u.s.c, sizeof(u.s.c));
	pthread_mutex_lock(&u.s.m);
	u.s.value = 1;		/* a post whose waiter has not run yet */
	pthread_mutex_unlock(&u.s.m);
	kata_expect_int(k, "semaphore_post", learner.post(&u.s), 0);
	KATA_REQUIRE(k, run_settle(&u, 1, 0) > 0, "with 2 waiters asleep "
		     "and 1 permit already free (as after a post whose waiter "
		     "has not run yet), a post woke nobody: signal on every "
		     "post, not only when the count leaves 0");
	learner.post(&u.s);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "the second waiter was not "
		     "woken by the next post");
	kata_expect_int(k, "semaphore_value (3 permits, 2 taken)",
			learner.value(&u.s), 1);
}

static void t_wait_rechecks(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "pthread_cond_wait may return while the count is "
		     "still 0 (a spurious wakeup, or another thread took the "
		     "permit first): check again, in a while loop");
	u.k = k;
	run_sem_start(&u, 0);
	run_start(&u, 2, "waiter", body_waiter);
	run_until_blocked(&u, 0, 2, &u.s.c, sizeof(u.s.c));
	run_spurious(&u, &u.s.m, &u.s.c, 2);
	KATA_REQUIRE(k, atomic_load(&u.returned) == 0, "semaphore_wait "
		     "returned with the count at 0 (now %d) after the grader "
		     "woke s->c with no post, as a spurious wakeup does: "
		     "while (s->value == 0), not if", learner.value(&u.s));
	learner.post(&u.s);
	learner.post(&u.s);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "two posts did not wake "
		     "both waiters after a spurious wakeup");
	kata_expect_int(k, "semaphore_value at the end", learner.value(&u.s),
			0);
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
	long pairs = kata_param(k, "pairs", 1000000, 40000);

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
	run_until_blocked(&u, 0, 1, &u.s.m, sizeof(u.s.m));
	early = atomic_load(&u.returned);
	pthread_mutex_unlock(&u.s.m);
	KATA_REQUIRE(k, !early, "semaphore_post returned while another "
		     "thread held s->m: expected it to wait for the mutex");
	KATA_REQUIRE(k, run_join_all(&u, 1000), "semaphore_post did not "
		     "return once s->m was free");
	kata_expect_int(k, "semaphore_value after one post",
			learner.value(&u.s), 1);
}

static void t_post_counts_first(struct kata_ctx *k)
{
	static struct run u;
	bool early;

	kata_concept(k, "a post raises the count, then wakes a waiter, both "
		     "under the mutex: a waiter woken first finds the count "
		     "still 0, sleeps again, and the wakeup is lost");
	u.k = k;
	run_sem_start(&u, 0);
	run_start(&u, 1, "waiter", body_waiter);
	run_until_blocked(&u, 0, 1, &u.s.c, sizeof(u.s.c));
	pthread_mutex_lock(&u.s.m);
	run_start(&u, 1, "poster", body_post_once);
	run_until_blocked(&u, 1, 2, &u.s.m, sizeof(u.s.m));
	early = run_until_futex(&u, 0, 1, &u.s.m, sizeof(u.s.m), 50);
	pthread_mutex_unlock(&u.s.m);
	KATA_REQUIRE(k, !early, "semaphore_post woke the waiter before it "
		     "held s->m (the grader held it): lock, raise the count, "
		     "then signal");
	KATA_REQUIRE(k, run_join_all(&u, 1000), "a waiter and a post did not "
		     "both finish");
	kata_expect_int(k, "semaphore_value after one post and one wait",
			learner.value(&u.s), 0);
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

	kata_concept(k, "a timed wait returns 0 as soon as a permit is free: "
		     "at once when there is one, and when a post comes, not "
		     "at its timeout");
	u.k = k;
	run_sem_start(&u, 1);
	timed_expect_at_once(&u, false, "semaphore_timedwait, a permit free");
	timed_expect_wake(&u, false, "semaphore_timedwait");
	kata_expect_int(k, "semaphore_value after", learner.value(&u.s), 0);
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
	run_until_blocked(&u, 0, 4, &u.e.c, sizeof(u.e.c));
	run_spurious(&u, &u.e.m, &u.e.c, 4);
	KATA_REQUIRE(k, u.returned == 0, "event_wait returned with the flag "
		     "down after the grader woke e->c with no event_set, as "
		     "a spurious wakeup does: while (!e->set), not if");
	learner.set(&u.e);
	kata_expect_int(k, "waiters woken by one event_set (4 waiting)",
			run_settle(&u, 4, 0), 4);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "event waiters did not finish");
	learner.clear(&u.e);
	run_start(&u, 1, "ewaiter", body_event_waiter);
	run_until_blocked(&u, 4, 5, &u.e.c, sizeof(u.e.c));
	KATA_REQUIRE(k, u.returned == 4, "event_wait returned at once after "
		     "event_set then event_clear: clear must lower the flag");
	learner.set(&u.e);
	KATA_REQUIRE(k, run_join_all(&u, 1000), "the waiter that came after "
		     "event_clear was not woken by the next event_set");
}

static void t_event_timedwait_wakes(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "event_timedwait returns 0 as soon as the flag is up: "
		     "at once when it is, and when event_set comes, not at "
		     "its timeout");
	u.k = k;
	run_event_start(&u);
	learner.set(&u.e);
	timed_expect_at_once(&u, true, "event_timedwait on a set event");
	learner.clear(&u.e);
	timed_expect_wake(&u, true, "event_timedwait");
}

static const struct kata_test tests[] = {
	{ "basic", "trywait, post and value count permits exactly",
	  t_basic, 0, 1, NULL },
	{ "post_locks", "a post takes the mutex before it changes the count",
	  t_post_locks, 0, 1, "basic" },
	{ "post_race", "4 threads posting at once lose no post",
	  t_post_race, 30000, 1, "basic" },
	{ "post_counts_first", "a post raises the count before it wakes a "
	  "waiter", t_post_counts_first, 0, 1, "post_locks" },
	{ "post_wakes_one", "one post lets exactly one of three waiters go",
	  t_post_wakes_one, 0, 1, "basic" },
	{ "post_always_signals", "a post wakes a waiter even when permits "
	  "are already free", t_post_always_signals, 0, 1, "basic" },
	{ "wait_rechecks", "a waiter woken with no permit free sleeps again",
	  t_wait_rechecks, 0, 1, "basic" },
	{ "limit", "10 threads through Semaphore(3): at most and at least 3 "
	  "inside", t_limit, 0, 1, "basic" },
	{ "no_lost_wakeup", "4 posters and 4 waiters: every post reaches a "
	  "waiter", t_no_lost_wakeup, 30000, 2, "basic" },
	{ "timedwait_expires", "a timed wait times out, never early and not "
	  "much late", t_timedwait_expires, 0, 1, "basic" },
	{ "timedwait_wakes", "a timed wait returns 0 at once when a permit "
	  "is free or comes", t_timedwait_wakes, 0, 1, "basic" },
	{ "event_basic", "set, clear, is_set and waits on a set event",
	  t_event_basic, 0, 1, NULL },
	{ "event_wakes_all", "set wakes every waiter, and only set; clear "
	  "re-arms", t_event_wakes_all, 0, 1, "event_basic" },
	{ "event_timedwait_wakes", "a timed wait on the event returns 0 at "
	  "once when it is set or gets set", t_event_timedwait_wakes, 0, 1,
	  "event_basic" },
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
