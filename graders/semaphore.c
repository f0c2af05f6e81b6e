/*
 * semaphore.c (grader): a counting semaphore and an event built from a
 * mutex and a condition variable.  Semaphore(3) admits exactly three
 * threads; posts are never lost; a post wakes one waiter, a set wakes all;
 * timed waits end neither before their deadline nor much later than a
 * reference pthread_cond_timedwait measured in the same run.
 *
 * Threads that call the learner's code are grader threads ("g:...") that
 * record what they got; the test thread waits for them with deadlines, so
 * a lost wakeup is reported as such rather than as a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kata/grader.h>

#include "semaphore.h"
#include "thread.h"
#include "timing.h"

#define MAX_THREADS 16
#define TIMED_MS 100		/* the timed waits' timeout */

/* The learner's functions, looked up by load(). */
static struct {
	__typeof__(&semaphore_init) init;
	__typeof__(&semaphore_wait) wait;
	__typeof__(&semaphore_trywait) trywait;
	__typeof__(&semaphore_timedwait) timedwait;
	__typeof__(&semaphore_post) post;
	__typeof__(&semaphore_value) value;
	__typeof__(&event_init) einit;
	__typeof__(&event_set) set;
	__typeof__(&event_clear) clear;
	__typeof__(&event_is_set) is_set;
	__typeof__(&event_wait) ewait;
	__typeof__(&event_timedwait) etimedwait;
} fn;

/* What the test threads share. */
struct run {
	struct kata_ctx *k;
	struct semaphore s;
	struct event e;
	long rounds;			/* per thread */
	_Atomic int inside, peak;	/* limit: threads inside */
	_Atomic int returned;		/* waiters that got through */
	_Atomic long progress[MAX_THREADS];
	_Atomic int ids;
	pthread_t t[MAX_THREADS];
	_Atomic pid_t tid[MAX_THREADS];
	int n, joined;			/* started, joined (in order) */
};

static void load(struct kata_ctx *k)
{
	fn.init = KATA_SYM(k, semaphore_init);
	fn.wait = KATA_SYM(k, semaphore_wait);
	fn.trywait = KATA_SYM(k, semaphore_trywait);
	fn.timedwait = KATA_SYM(k, semaphore_timedwait);
	fn.post = KATA_SYM(k, semaphore_post);
	fn.value = KATA_SYM(k, semaphore_value);
}

static void load_event(struct kata_ctx *k)
{
	fn.einit = KATA_SYM(k, event_init);
	fn.set = KATA_SYM(k, event_set);
	fn.clear = KATA_SYM(k, event_clear);
	fn.is_set = KATA_SYM(k, event_is_set);
	fn.ewait = KATA_SYM(k, event_wait);
	fn.etimedwait = KATA_SYM(k, event_timedwait);
}

static void sem_start(struct run *u, unsigned value)
{
	int r;

	load(u->k);
	if ((r = fn.init(&u->s, value)))
		kata_fail(u->k, "semaphore_init(s, %u): expected 0, got %s",
			  value, kata_strres(r));
}

static void event_start(struct run *u)
{
	int r;

	load_event(u->k);
	if ((r = fn.einit(&u->e)))
		kata_fail(u->k, "event_init: expected 0, got %s",
			  kata_strres(r));
}

/* Starts n threads running fn(u); each takes an index with next_id(). */
static void start(struct run *u, int n, const char *name,
		  void *(*body)(void *))
{
	for (int i = 0; i < n; i++, u->n++)
		if (thread_start(&u->t[u->n], name, body, u))
			kata_fail(u->k, "could not start a grader thread");
}

static int next_id(struct run *u)
{
	int id = atomic_fetch_add(&u->ids, 1);

	u->tid[id] = thread_tid();
	return id;
}

/* Joins every thread within ms (scaled); false when one is still busy. */
static bool join_all(struct run *u, unsigned ms)
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

/* Waits until threads first..count-1 are blocked (sleeping), boundedly. */
static void until_blocked(struct run *u, int first, int count)
{
	uint64_t start = timing_now_ns();

	while (atomic_load(&u->ids) < count && timing_ms_since(start) < 1000)
		timing_sleep_ms(1);
	for (int i = first; i < count; i++)
		thread_wait_sleeping(u->tid[i], (int)(500 * kata_scale(u->k)));
	timing_sleep_ms((unsigned)(30 * kata_scale(u->k)));
}

/* Waits (bounded) until `want` waiters returned; then a little longer. */
static int settle(struct run *u, int want)
{
	uint64_t start = timing_now_ns();

	while (atomic_load(&u->returned) < want &&
	       timing_ms_since(start) < 1000 * kata_scale(u->k))
		timing_sleep_ms(1);
	timing_sleep_ms((unsigned)(50 * kata_scale(u->k)));
	return atomic_load(&u->returned);
}

/* ---- the semaphore ------------------------------------------------------- */

static void t_basic(struct kata_ctx *k)
{
	struct run u = { .k = k };

	kata_concept(k, "a semaphore counts permits: wait takes one, post "
		     "gives one back, trywait never blocks");
	sem_start(&u, 2);
	kata_expect_int(k, "semaphore_value after init(2)", fn.value(&u.s), 2);
	kata_expect_int(k, "semaphore_trywait (2 free)", fn.trywait(&u.s), 0);
	kata_expect_int(k, "semaphore_trywait (1 free)", fn.trywait(&u.s), 0);
	kata_expect_int(k, "semaphore_trywait (0 free)", fn.trywait(&u.s),
			-EAGAIN);
	kata_expect_int(k, "semaphore_value when empty", fn.value(&u.s), 0);
	kata_expect_int(k, "semaphore_post", fn.post(&u.s), 0);
	kata_expect_int(k, "semaphore_value after a post", fn.value(&u.s), 1);
	kata_expect_int(k, "semaphore_wait (1 free)", fn.wait(&u.s), 0);
	kata_expect_int(k, "semaphore_value", fn.value(&u.s), 0);
	kata_expect_int(k, "semaphore_init(s, SEMAPHORE_MAX + 1)",
			fn.init(&u.s, SEMAPHORE_MAX + 1), -EINVAL);
	kata_expect_int(k, "semaphore_init(s, SEMAPHORE_MAX)",
			fn.init(&u.s, SEMAPHORE_MAX), 0);
	kata_expect_int(k, "semaphore_post at SEMAPHORE_MAX", fn.post(&u.s),
			-EOVERFLOW);
	kata_expect_int(k, "semaphore_value after a refused post",
			fn.value(&u.s), (long long)SEMAPHORE_MAX);
}

static void *waiter(void *arg)
{
	struct run *u = arg;

	next_id(u);
	kata_expect_int(u->k, "semaphore_wait", fn.wait(&u->s), 0);
	atomic_fetch_add(&u->returned, 1);
	return NULL;
}

static void t_post_wakes_one(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "post gives back one permit: exactly one waiter may "
		     "go on; the others must check the count again and sleep");
	u.k = k;
	sem_start(&u, 0);
	start(&u, 3, "waiter", waiter);
	until_blocked(&u, 0, 3);
	KATA_REQUIRE(k, u.returned == 0, "semaphore_wait returned with no "
		     "permit free (value was 0): wait while the count is 0");
	kata_expect_int(k, "semaphore_post", fn.post(&u.s), 0);
	KATA_REQUIRE(k, settle(&u, 1) > 0, "one post to 3 sleeping waiters "
		     "woke none: raise the count and signal the condition "
		     "variable, both while holding the mutex");
	kata_expect_int(k, "waiters through after one post (of 3 blocked)",
			u.returned, 1);
	kata_expect_int(k, "semaphore_value after the waiter took it",
			fn.value(&u.s), 0);
	fn.post(&u.s);
	fn.post(&u.s);
	KATA_REQUIRE(k, join_all(&u, 1000), "after 3 posts, a waiter still "
		     "sleeps: a post must wake a waiter (signal the "
		     "condition variable after raising the count)");
	kata_expect_int(k, "semaphore_value at the end", fn.value(&u.s), 0);
}

/* Watches progress; fails when no thread moved for stall_ms (scaled). */
static void watch(struct run *u, unsigned stall_ms)
{
	double limit = stall_ms * kata_scale(u->k);
	uint64_t seen = timing_now_ns();
	long last = -1;

	while (!join_all(u, 20)) {
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
				  timing_ms_since(seen), fn.value(&u->s));
		}
	}
}

/* The seed's Semaphore(3): at most three threads inside at once. */
static void *visitor(void *arg)
{
	struct run *u = arg;
	int id = next_id(u);

	for (long i = 0; i < u->rounds; i++) {
		int r = fn.wait(&u->s), n;

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
		fn.post(&u->s);
		u->progress[id]++;
	}
	return NULL;
}

static void t_limit(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "Semaphore(3) lets at most three threads in at a time, "
		     "and never fewer when ten are queueing");
	u.k = k;
	u.rounds = kata_param(k, "rounds", 100, 20);
	sem_start(&u, 3);
	start(&u, 10, "visitor", visitor);
	watch(&u, 1000);
	kata_expect_int(k, "most threads inside at once (semaphore of 3)",
			u.peak, 3);
	kata_expect_int(k, "semaphore_value after all left", fn.value(&u.s),
			3);
}

/* Posts in bursts, pausing while many permits are free: takers must
 * sleep now and then, and posters collide with each other and with them. */
static void *poster(void *arg)
{
	struct run *u = arg;
	int id = next_id(u), r;

	for (long i = 0; i < u->rounds; i++) {
		if (i % 16 == 0)
			while (fn.value(&u->s) > 32)
				sched_yield();
		if ((r = fn.post(&u->s)))
			kata_fail(u->k, "semaphore_post: expected 0, got %s",
				  kata_strres(r));
		u->progress[id]++;
	}
	return NULL;
}

static void *taker(void *arg)
{
	struct run *u = arg;
	int id = next_id(u);

	for (long i = 0; i < u->rounds; i++) {
		int r = fn.wait(&u->s);

		if (r)
			kata_fail(u->k, "semaphore_wait: expected 0, got %s",
				  kata_strres(r));
		u->progress[id]++;
	}
	return NULL;
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
	sem_start(&u, 0);
	start(&u, 4, "taker", taker);
	start(&u, 4, "poster", poster);
	watch(&u, 1000);
	KATA_REQUIRE(k, fn.value(&u.s) == 0, "semaphore_value after as many "
		     "posts as waits: expected 0, got %d: was the count "
		     "changed without holding the mutex (a lost update)?",
		     fn.value(&u.s));
}

/* ---- timed waits --------------------------------------------------------- */

/* A pthread_cond_timedwait of ms on CLOCK_MONOTONIC, measured: the model. */
static double reference_ms(unsigned ms)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t a;
	pthread_cond_t c;
	struct timespec ts;
	uint64_t start = timing_now_ns();
	int r = 0;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &a);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&m);
	while (r != ETIMEDOUT)
		r = pthread_cond_timedwait(&c, &m, &ts);
	pthread_mutex_unlock(&m);
	return timing_ms_since(start);
}

struct timed {
	struct run *u;
	bool event;
	int r;
	double ms;
};

static void *timed_waiter(void *arg)
{
	struct timed *t = arg;
	uint64_t start = timing_now_ns();

	t->r = t->event ? fn.etimedwait(&t->u->e, TIMED_MS)
			: fn.timedwait(&t->u->s, TIMED_MS);
	t->ms = timing_ms_since(start);
	return NULL;
}

/* Times a timed wait that must expire: not early, not much late. */
static void expect_expiry(struct run *u, bool event, const char *name)
{
	struct timed t = { .u = u, .event = event };
	double ref = reference_ms(TIMED_MS), slack;
	pthread_t th;

	slack = ((ref - TIMED_MS) * 4 + 100) * kata_scale(u->k);
	if (thread_start(&th, "timed", timed_waiter, &t))
		kata_fail(u->k, "could not start a grader thread");
	if (thread_join_timeout(th, (int)(ref + slack) + 1, NULL))
		kata_fail(u->k, "%s(.., %d) was still waiting after %.0f ms "
			  "(a pthread_cond_timedwait of %d ms took %.1f ms "
			  "here): is the deadline on the condition variable's "
			  "clock (CLOCK_MONOTONIC)?", name, TIMED_MS,
			  ref + slack, TIMED_MS, ref);
	kata_expect_int(u->k, name, t.r, -ETIMEDOUT);
	if (t.ms < TIMED_MS)
		kata_fail(u->k, "%s(.., %d) gave up after %.1f ms, before its "
			  "deadline: pass an absolute time, now + %d ms on "
			  "CLOCK_MONOTONIC, to a condition variable set to "
			  "that clock", name, TIMED_MS, t.ms, TIMED_MS);
	kata_note(u->k, "%s(.., %d) took %.1f ms; a reference timed wait "
		  "took %.1f ms", name, TIMED_MS, t.ms, ref);
}

static void t_timedwait_expires(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "pthread_cond_timedwait takes an absolute deadline "
		     "on the condition variable's clock: now + ms, on "
		     "CLOCK_MONOTONIC (pthread_condattr_setclock)");
	u.k = k;
	sem_start(&u, 1);
	kata_expect_int(k, "semaphore_timedwait with a permit free",
			fn.timedwait(&u.s, TIMED_MS), 0);
	expect_expiry(&u, false, "semaphore_timedwait");
}

static void *late_post(void *arg)
{
	struct run *u = arg;

	timing_sleep_ms(30);
	fn.post(&u->s);
	return NULL;
}

static void t_timedwait_wakes(struct kata_ctx *k)
{
	static struct run u;
	uint64_t t0;
	int r;

	kata_concept(k, "a timed wait ends early, with 0, when a permit "
		     "comes in time");
	u.k = k;
	sem_start(&u, 0);
	start(&u, 1, "poster", late_post);
	t0 = timing_now_ns();
	r = fn.timedwait(&u.s, 5000);
	kata_expect_int(k, "semaphore_timedwait(s, 5000), posted after 30 ms",
			r, 0);
	kata_note(k, "woke after %.1f ms", timing_ms_since(t0));
	kata_expect_int(k, "semaphore_value after", fn.value(&u.s), 0);
	join_all(&u, 1000);
}

/* ---- the event ----------------------------------------------------------- */

static void t_event_basic(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "an event is a flag: set raises it, clear lowers it, "
		     "wait returns at once while it is up");
	u.k = k;
	event_start(&u);
	kata_expect_int(k, "event_is_set after init", fn.is_set(&u.e), 0);
	kata_expect_int(k, "event_set", fn.set(&u.e), 0);
	kata_expect_int(k, "event_is_set after set", fn.is_set(&u.e), 1);
	kata_expect_int(k, "event_wait on a set event", fn.ewait(&u.e), 0);
	kata_expect_int(k, "event_timedwait on a set event",
			fn.etimedwait(&u.e, TIMED_MS), 0);
	kata_expect_int(k, "event_clear", fn.clear(&u.e), 0);
	kata_expect_int(k, "event_is_set after clear", fn.is_set(&u.e), 0);
	expect_expiry(&u, true, "event_timedwait");
}

static void *event_waiter(void *arg)
{
	struct run *u = arg;

	next_id(u);
	kata_expect_int(u->k, "event_wait", fn.ewait(&u->e), 0);
	atomic_fetch_add(&u->returned, 1);
	return NULL;
}

static void t_event_wakes_all(struct kata_ctx *k)
{
	static struct run u;

	kata_concept(k, "event_set wakes every waiter (broadcast, not "
		     "signal); event_clear re-arms it, so the next wait "
		     "blocks again");
	u.k = k;
	event_start(&u);
	start(&u, 4, "ewaiter", event_waiter);
	until_blocked(&u, 0, 4);
	KATA_REQUIRE(k, u.returned == 0, "event_wait returned before the "
		     "event was set");
	fn.set(&u.e);
	kata_expect_int(k, "waiters woken by one event_set (4 waiting)",
			settle(&u, 4), 4);
	KATA_REQUIRE(k, join_all(&u, 1000), "event waiters did not finish");
	fn.clear(&u.e);
	start(&u, 1, "ewaiter", event_waiter);
	until_blocked(&u, 4, 5);
	KATA_REQUIRE(k, u.returned == 4, "event_wait returned at once after "
		     "event_set then event_clear: clear must lower the flag");
	fn.set(&u.e);
	KATA_REQUIRE(k, join_all(&u, 1000), "the waiter that came after "
		     "event_clear was not woken by the next event_set");
}

static const struct kata_test tests[] = {
	{ "basic", "trywait, post and value count permits exactly",
	  t_basic, 0, 1, NULL },
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
