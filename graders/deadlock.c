/*
 * deadlock.c (grader): the bank's transfers must be atomic, conserve money,
 * never deadlock and never serialise unrelated accounts; the recursive lock
 * must let its owner in again and keep everyone else out until the count
 * drops to 0.
 *
 * Threads that call the learner's code are "crew" workers: each ticks a
 * progress counter, and the test thread watches them.  When one stops
 * ticking, the watchdog reads /proc/self/task/<tid>/syscall (a thread
 * blocked in futex() shows the lock word's address as its first argument),
 * maps that address back to an account, reads each account lock's owner,
 * and names the cycle instead of just timing out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <kata/grader.h>

#include "deadlock.h"
#include "digest.h"
#include "thread.h"
#include "timing.h"

#define MAX_WORKERS 12

struct crew;

struct worker {
	struct crew *c;
	int id;
	char name[12];
	pthread_t t;
	_Atomic pid_t tid;
	_Atomic unsigned long progress;
	_Atomic bool done;
	bool until_stop;		/* runs until the others are done */
	void (*body)(struct worker *w);
	unsigned long ok, hooked;	/* successful transfers, hook calls */
};

struct crew {
	struct kata_ctx *k;
	struct bank *b;
	struct rlock *l;
	int n;
	struct worker w[MAX_WORKERS];
	_Atomic int ready;		/* workers started: go when all are */
	_Atomic bool stop;		/* the checker's signal to end */
	long iters, expect;
	uint64_t seed;
	volatile long shared;		/* rlock_stress's unguarded counter */
	_Atomic int inside;		/* rlock_stress: threads owning it */
	_Atomic long arrived;		/* overlap's rendezvous */
	_Atomic long hooks;		/* hook calls (hook_count) */
	bool release_first;		/* the contender tries rlock_release */
};

static _Thread_local struct worker *self;

/* The learner's functions, looked up by must_init / must_rlock_init. */
static struct {
	__typeof__(&bank_init) init;
	__typeof__(&bank_transfer) transfer;
	__typeof__(&bank_total) total;
	__typeof__(&rlock_init) rinit;
	__typeof__(&rlock_acquire) acquire;
	__typeof__(&rlock_release) release;
} fn;

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	self = w;
	w->tid = thread_tid();
	atomic_fetch_add(&w->c->ready, 1);
	while (w->c->ready < w->c->n)
		sched_yield();
	w->body(w);
	w->done = true;
	return NULL;
}

static void tick(struct worker *w)
{
	atomic_fetch_add_explicit(&w->progress, 1, memory_order_relaxed);
}

static struct worker *crew_add(struct crew *c, const char *name,
			       void (*body)(struct worker *w))
{
	struct worker *w = &c->w[c->n];

	w->c = c;
	w->id = c->n++;
	snprintf(w->name, sizeof(w->name), "%s%d", name, w->id);
	w->body = body;
	return w;
}

/* The account whose lock word is at addr, or -1. */
static int account_at(struct bank *b, unsigned long addr)
{
	for (int i = 0; i < BANK_MAX_ACCOUNTS; i++) {
		unsigned long a = (unsigned long)&b->acct[i].lock;

		if (addr >= a && addr < a + sizeof(pthread_mutex_t))
			return i;
	}
	return -1;
}

/* The account tid waits for in futex(), or -1 when it does not. */
static int waits_for(struct bank *b, pid_t tid)
{
	char path[64], buf[256];
	unsigned long addr;
	long nr;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (sscanf(buf, "%ld %lx", &nr, &addr) != 2 || nr != SYS_futex)
		return -1;
	return account_at(b, addr);
}

/*
 * The worker whose thread holds account i's lock, or -1.  glibc records
 * the owner's thread id in a locked default mutex (__data.__owner).
 */
static int holder(struct crew *c, int i)
{
	pid_t tid = __atomic_load_n(&c->b->acct[i].lock.__data.__owner,
				    __ATOMIC_RELAXED);

	for (int j = 0; tid && j < c->n; j++)
		if (c->w[j].tid == tid && !c->w[j].done)
			return j;
	return -1;
}

/*
 * Follows "waits for an account held by" from worker i.  Returns the
 * cycle's length when it leads back to i (1: i waits for itself), else 0.
 */
static int cycle_from(struct crew *c, const int *wait, int i, int *cyc)
{
	int cur = i;

	for (int len = 0; len < c->n; len++) {
		cyc[len] = cur;
		if (wait[cur] < 0 || (cur = holder(c, wait[cur])) < 0)
			return 0;
		if (cur == i)
			return len + 1;
	}
	return 0;
}

static _Noreturn void report_cycle(struct crew *c, const int *wait,
				   const int *cyc, int len, double ms)
{
	char msg[1024] = "";
	size_t n = 0;

	for (int i = 0; i < len && n < sizeof(msg); i++) {
		int w = cyc[i], held = wait[cyc[(i + len - 1) % len]];

		n += snprintf(msg + n, sizeof(msg) - n, "thread g:%s holds "
			      "account %d and waits for account %d; ",
			      c->w[w].name, held, wait[w]);
	}
	if (len == 1)
		kata_fail(c->k, "no progress for %.0f ms: %sit waits for a "
			  "lock it already holds: lock an account once when "
			  "from == to, and unlock on every return path", ms,
			  msg);
	kata_fail(c->k, "no progress for %.0f ms: %sthat is a deadlock: each "
		  "holds a lock the next one waits for; take the locks in one "
		  "global order (lower account index first)", ms, msg);
}

static _Noreturn void diagnose(struct crew *c, double ms)
{
	int wait[MAX_WORKERS], cyc[MAX_WORKERS], blocked = 0, len;

	if (!c->b)
		kata_fail(c->k, "no progress for %.0f ms: a thread is stuck in "
			  "rlock_acquire or rlock_release (is the lock never "
			  "freed, or a waiter never woken?)", ms);
	for (int i = 0; i < c->n; i++) {
		wait[i] = -1;
		if (!c->w[i].done && c->w[i].tid)
			wait[i] = waits_for(c->b, c->w[i].tid);
		blocked += wait[i] >= 0;
	}
	for (int i = 0; i < c->n; i++)
		if ((len = cycle_from(c, wait, i, cyc)))
			report_cycle(c, wait, cyc, len, ms);
	if (!blocked)
		kata_fail(c->k, "no progress for %.0f ms, and no thread waits "
			  "for an account lock: is a call looping, or waiting "
			  "for something else?", ms);
	kata_fail(c->k, "no progress for %.0f ms: %d threads blocked on "
		  "account locks, but no cycle found: is a lock left locked "
		  "(a return path that forgets to unlock)?", ms, blocked);
}

/*
 * Starts the crew and watches it until every worker is done.  A worker
 * that does not tick for stall_ms (scaled) is diagnosed and fails the test.
 */
static void crew_run(struct crew *c, unsigned stall_ms)
{
	unsigned long last[MAX_WORKERS] = { 0 };
	uint64_t seen[MAX_WORKERS];
	double limit = stall_ms * kata_scale(c->k);
	bool running = true;

	for (int i = 0; i < c->n; i++) {
		seen[i] = timing_now_ns();
		if (thread_start(&c->w[i].t, c->w[i].name, worker_main,
				 &c->w[i]))
			kata_fail(c->k, "could not start a grader thread");
	}
	while (running) {
		bool others = true;

		timing_sleep_ms(10);
		running = false;
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
				diagnose(c, timing_ms_since(seen[i]));
			}
		}
		if (others)
			c->stop = true;
	}
	for (int i = 0; i < c->n; i++)
		pthread_join(c->w[i].t, NULL);
}

static void must_init(struct kata_ctx *k, struct bank *b, int n, long init)
{
	int r;

	fn.init = KATA_SYM(k, bank_init);
	fn.transfer = KATA_SYM(k, bank_transfer);
	fn.total = KATA_SYM(k, bank_total);
	r = fn.init(b, n, init);

	if (r)
		kata_fail(k, "bank_init(b, %d, %ld): expected 0, got %s", n,
			  init, kata_strres(r));
}

/* ---- the bank ------------------------------------------------------------ */

static void t_init(struct kata_ctx *k)
{
	static struct bank b;

	memset(&b, 0xa5, sizeof(b));
	kata_concept(k, "bank_init sets up n accounts, each with its own "
		     "mutex and the initial balance");
	must_init(k, &b, 4, 100);
	kata_expect_int(k, "b->n after bank_init(b, 4, 100)", b.n, 4);
	for (int i = 0; i < 4; i++)
		kata_expect_int(k, "balance after bank_init(b, 4, 100)",
				b.acct[i].balance, 100);
	KATA_REQUIRE(k, !b.hook && !b.hook_arg,
		     "bank_init must set hook and hook_arg to NULL");
	kata_expect_int(k, "bank_total of 4 accounts of 100",
			fn.total(&b), 400);
	kata_expect_int(k, "bank_init(b, 0, 100)",
			fn.init(&b, 0, 100), -EINVAL);
	kata_expect_int(k, "bank_init(b, BANK_MAX_ACCOUNTS + 1, 100)",
			fn.init(&b, BANK_MAX_ACCOUNTS + 1, 100), -EINVAL);
	kata_expect_int(k, "bank_init(b, 4, -1)", fn.init(&b, 4, -1),
			-EINVAL);
}

struct step {
	int from, to;
	long amount;
	int want;
	long after[3];
};

static const struct step steps[] = {
	{ 0, 1, 30, 0, { 70, 130, 100 } },
	{ 0, 2, 71, BANK_NOFUNDS, { 70, 130, 100 } },
	{ 0, 2, 70, 0, { 0, 130, 170 } },
	{ 2, 0, 0, 0, { 0, 130, 170 } },
	{ 1, 3, 5, -EINVAL, { 0, 130, 170 } },
	{ -1, 0, 5, -EINVAL, { 0, 130, 170 } },
	{ 1, 0, -5, -EINVAL, { 0, 130, 170 } },
	{ 2, 1, 170, 0, { 0, 300, 0 } },
	{ 0 },
};

static void basic_steps(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct bank *b = w->c->b;
	char what[96];

	for (const struct step *s = steps; s->amount || s->to; s++) {
		snprintf(what, sizeof(what), "bank_transfer(b, %d, %d, %ld)",
			 s->from, s->to, s->amount);
		kata_expect_int(k, what, fn.transfer(b, s->from, s->to,
						     s->amount), s->want);
		for (int i = 0; i < 3; i++) {
			snprintf(what, sizeof(what), "account %d after "
				 "bank_transfer(b, %d, %d, %ld)", i, s->from,
				 s->to, s->amount);
			kata_expect_int(k, what, b->acct[i].balance,
					s->after[i]);
		}
		tick(w);
	}
	kata_expect_int(k, "bank_total", fn.total(b), 300);
}

/* Runs body in one watched worker thread, so a hang is diagnosed. */
static void solo(struct crew *c, void (*body)(struct worker *w))
{
	crew_add(c, "solo", body);
	crew_run(c, 750);
}

static void t_transfer_basic(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "a transfer moves money between two accounts, or is "
		     "refused with BANK_NOFUNDS / -EINVAL and changes nothing");
	must_init(k, &b, 3, 100);
	solo(&c, basic_steps);
}

static void same_account(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct bank *b = w->c->b;

	kata_expect_int(k, "bank_transfer(b, 1, 1, 40) with 100 in account 1",
			fn.transfer(b, 1, 1, 40), 0);
	kata_expect_int(k, "account 1 after a transfer to itself",
			b->acct[1].balance, 100);
	kata_expect_int(k, "bank_transfer(b, 1, 1, 100)",
			fn.transfer(b, 1, 1, 100), 0);
	kata_expect_int(k, "bank_transfer(b, 1, 1, 101) with 100 in account 1",
			fn.transfer(b, 1, 1, 101), BANK_NOFUNDS);
	kata_expect_int(k, "account 1 after transfers to itself",
			b->acct[1].balance, 100);
	kata_expect_int(k, "bank_total", fn.total(b), 200);
	tick(w);
}

static void t_same_account(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "from == to is one account: lock its mutex once (a "
		     "default mutex locked twice by its owner never returns), "
		     "and do not count the money twice");
	must_init(k, &b, 2, 100);
	solo(&c, same_account);
}

static void check_held(struct bank *b, int i, int from, int to)
{
	struct kata_ctx *k = ((struct crew *)b->hook_arg)->k;
	int r = pthread_mutex_trylock(&b->acct[i].lock);

	if (r == 0) {
		pthread_mutex_unlock(&b->acct[i].lock);
		kata_fail(k, "the hook ran during bank_transfer(b, %d, %d, ..) "
			  "while account %d's lock was free: call the hook "
			  "inside the critical section, holding both account "
			  "locks", from, to, i);
	}
}

static void hook_count(struct bank *b, int from, int to, void *arg)
{
	check_held(b, from, from, to);
	check_held(b, to, from, to);
	atomic_fetch_add(&((struct crew *)arg)->hooks, 1);
}

static void hook_steps(struct worker *w)
{
	struct crew *c = w->c;

	kata_expect_int(c->k, "bank_transfer(b, 0, 5, 10)",
			fn.transfer(c->b, 0, 5, 10), 0);
	kata_expect_int(c->k, "bank_transfer(b, 5, 0, 10)",
			fn.transfer(c->b, 5, 0, 10), 0);
	kata_expect_int(c->k, "bank_transfer(b, 3, 3, 10)",
			fn.transfer(c->b, 3, 3, 10), 0);
	kata_expect_int(c->k, "hook calls for 3 transfers", c->hooks, 3);
	kata_expect_int(c->k, "bank_transfer(b, 4, 1, 500)",
			fn.transfer(c->b, 4, 1, 500), BANK_NOFUNDS);
	kata_expect_int(c->k, "hook calls after a refused transfer",
			c->hooks, 3);
	tick(w);
}

static void t_hook_inside(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "b->hook runs once per transfer, inside the critical "
		     "section: both account locks held, balances updated");
	must_init(k, &b, 6, 100);
	b.hook = hook_count;
	b.hook_arg = &c;
	solo(&c, hook_steps);
}

/* Each transfer waits here (bounded) until the other one arrives too. */
static void hook_meet(struct bank *b, int from, int to, void *arg)
{
	struct crew *c = arg;
	uint64_t start = timing_now_ns();
	double limit = 750 * kata_scale(c->k);

	hook_count(b, from, to, arg);
	atomic_fetch_add(&c->arrived, 1);
	while (atomic_load(&c->arrived) < 2) {
		if (timing_ms_since(start) > limit)
			kata_fail(c->k, "transfers 0->1 and 2->3 share no "
				  "account, yet in %.0f ms the second never "
				  "got into its critical section while the "
				  "first was in its own: a bank-wide lock "
				  "serialises every transfer; lock only the "
				  "two accounts", limit);
		sched_yield();
	}
}

static void xfer_pair(struct worker *w)
{
	int from = w->id * 2, to = w->id * 2 + 1;
	int r = fn.transfer(w->c->b, from, to, 10);

	if (r)
		kata_fail(w->c->k, "bank_transfer(b, %d, %d, 10): expected 0, "
			  "got %s", from, to, kata_strres(r));
	tick(w);
}

static void t_overlap(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "one lock per account lets transfers on unrelated "
		     "accounts run at the same time; that is why the bank has "
		     "N locks and not one");
	must_init(k, &b, 4, 100);
	b.hook = hook_meet;
	b.hook_arg = &c;
	crew_add(&c, "pair", xfer_pair);
	crew_add(&c, "pair", xfer_pair);
	crew_run(&c, 2000);
	kata_expect_int(k, "hook calls", c.hooks, 2);
}

static void xfer_opposite(struct worker *w)
{
	int from = w->id, to = !w->id;
	struct rng g;

	rng_seed(&g, (uint64_t)w->id);
	for (long i = 0; i < w->c->iters; i++) {
		int r = fn.transfer(w->c->b, from, to, 1);

		if (r && r != BANK_NOFUNDS)
			kata_fail(w->c->k, "bank_transfer(b, %d, %d, 1): "
				  "expected 0 or BANK_NOFUNDS, got %s", from,
				  to, kata_strres(r));
		/* a pause outside the locks, so both threads keep running */
		for (volatile uint64_t n = rng_below(&g, 256); n; n--)
			;
		tick(w);
	}
}

static void t_opposite_order(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "thread A locks 0 then 1 while thread B locks 1 then "
		     "0: each can end up holding one lock and waiting forever "
		     "for the other (the seed's lock_a/lock_b deadlock)");
	c.iters = kata_param(k, "pairs", 1000000, 200000);
	must_init(k, &b, 2, 1000);
	crew_add(&c, "ab", xfer_opposite);
	crew_add(&c, "ba", xfer_opposite);
	crew_run(&c, 750);
	kata_expect_int(k, "bank_total after the transfers", fn.total(&b),
			2000);
}

/* Stress hook: balances never negative; a yield now and then widens races */
static void hook_stress(struct bank *b, int from, int to, void *arg)
{
	struct crew *c = arg;

	if (b->acct[from].balance < 0 || b->acct[to].balance < 0)
		kata_fail(c->k, "a balance went negative (account %d: %ld, "
			  "account %d: %ld): check the funds inside the "
			  "critical section, not before taking the locks",
			  from, b->acct[from].balance, to,
			  b->acct[to].balance);
	if (++self->hooked % 16 == 0)
		sched_yield();
}

static void xfer_random(struct worker *w)
{
	struct crew *c = w->c;
	struct rng g;

	rng_seed(&g, c->seed + (uint64_t)w->id);
	for (long i = 0; i < c->iters; i++) {
		int from = (int)rng_below(&g, (uint64_t)c->b->n);
		int to = rng_below(&g, 8) ? (int)rng_below(&g,
				(uint64_t)c->b->n) : from;
		long amount = (long)rng_below(&g, 1001);
		int r = fn.transfer(c->b, from, to, amount);

		if (r && r != BANK_NOFUNDS)
			kata_fail(c->k, "bank_transfer(b, %d, %d, %ld): "
				  "expected 0 or BANK_NOFUNDS, got %s", from,
				  to, amount, kata_strres(r));
		w->ok += !r;
		tick(w);
	}
	if (w->hooked != w->ok)
		kata_fail(c->k, "hook calls in one thread: expected %lu (one "
			  "per successful transfer), got %lu", w->ok,
			  w->hooked);
}

static void check_total(struct worker *w)
{
	struct crew *c = w->c;

	while (!c->stop) {
		long t = fn.total(c->b);

		if (t != c->expect)
			kata_fail(c->k, "bank_total while transfers run: "
				  "expected %ld, got %ld: a transfer was seen "
				  "half done (lock every account, in ascending "
				  "order, before summing) or money was lost",
				  c->expect, t);
		tick(w);
	}
}

static void t_stress(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };
	int threads = (int)kata_param(k, "threads", 8, 8);
	int accounts = (int)kata_param(k, "accounts", 16, 16);

	kata_concept(k, "many threads, random transfers in every direction "
		     "(some to the same account): money is conserved, nothing "
		     "deadlocks, bank_total always sees a consistent bank");
	KATA_REQUIRE(k, threads > 0 && threads < MAX_WORKERS && accounts > 1
		     && accounts <= BANK_MAX_ACCOUNTS, "bad --param values");
	c.iters = kata_param(k, "transfers", 100000, 3000);
	c.seed = kata_seed(k);
	must_init(k, &b, accounts, 1000);
	c.expect = 1000L * accounts;
	b.hook = hook_stress;
	b.hook_arg = &c;
	for (int i = 0; i < threads; i++)
		crew_add(&c, "xfer", xfer_random);
	crew_add(&c, "total", check_total)->until_stop = true;
	crew_run(&c, 750);
	kata_expect_int(k, "bank_total after the transfers", fn.total(&b),
			c.expect);
	for (int i = 0; i < accounts; i++)
		KATA_REQUIRE(k, b.acct[i].balance >= 0, "account %d ended with "
			     "%ld", i, b.acct[i].balance);
}

/* ---- the recursive lock -------------------------------------------------- */

static void must_rlock_init(struct kata_ctx *k, struct rlock *l)
{
	int r;

	fn.rinit = KATA_SYM(k, rlock_init);
	fn.acquire = KATA_SYM(k, rlock_acquire);
	fn.release = KATA_SYM(k, rlock_release);
	r = fn.rinit(l);
	if (r)
		kata_fail(k, "rlock_init: expected 0, got %s", kata_strres(r));
}

static void reenter(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct rlock *l = w->c->l;

	for (int i = 1; i <= 3; i++) {
		kata_expect_int(k, "rlock_acquire by its owner",
				fn.acquire(l), 0);
		tick(w);
	}
	for (int i = 1; i <= 3; i++)
		kata_expect_int(k, "rlock_release after 3 acquires",
				fn.release(l), 0);
	kata_expect_int(k, "a 4th rlock_release after 3 acquires",
			fn.release(l), -EPERM);
	tick(w);
}

static void t_rlock_reentrant(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	unsigned long got;

	kata_concept(k, "a recursive lock lets its owner acquire it again "
		     "(count + 1) instead of waiting for itself");
	must_rlock_init(k, &l);
	crew_add(&c, "owner", reenter);
	if (thread_start(&c.w[0].t, "owner", worker_main, &c.w[0]))
		kata_fail(k, "could not start a grader thread");
	if (thread_join_timeout(c.w[0].t, (int)(750 * kata_scale(k)), NULL)) {
		got = c.w[0].progress;
		kata_fail(k, "rlock_acquire number %lu by the thread that "
			  "already owns the lock never returned: when the "
			  "caller is the owner, count up and return", got + 1);
	}
}

/* Acquires the lock, records it, releases it. */
static void *contender(void *arg)
{
	struct crew *c = arg;

	c->w[0].tid = thread_tid();
	if (c->release_first)
		kata_expect_int(c->k, "rlock_release by a thread that does "
				"not own the lock", fn.release(c->l),
				-EPERM);
	kata_expect_int(c->k, "rlock_acquire by a second thread",
			fn.acquire(c->l), 0);
	c->w[0].progress = 1;
	kata_expect_int(c->k, "rlock_release by that thread",
			fn.release(c->l), 0);
	c->w[0].done = true;
	return NULL;
}

/* Starts the contender and returns once it is blocked (or has the lock). */
static void start_contender(struct crew *c, pthread_t *t)
{
	uint64_t start = timing_now_ns();

	if (thread_start(t, "contender", contender, c))
		kata_fail(c->k, "could not start a grader thread");
	while (!c->w[0].tid && timing_ms_since(start) < 1000)
		timing_sleep_ms(1);
	thread_wait_sleeping(c->w[0].tid, (int)(500 * kata_scale(c->k)));
	timing_sleep_ms((unsigned)(50 * kata_scale(c->k)));
}

static void expect_blocked(struct crew *c, const char *why)
{
	if (c->w[0].progress)
		kata_fail(c->k, "a second thread acquired the lock %s", why);
}

static void finish_contender(struct crew *c, pthread_t t)
{
	if (thread_join_timeout(t, (int)(2000 * kata_scale(c->k)), NULL))
		kata_fail(c->k, "the owner released the lock completely, but "
			  "the thread waiting for it never got it: wake a "
			  "waiter when the count drops to 0");
}

static void t_rlock_exclusive(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	pthread_t t;

	kata_concept(k, "the lock is free for others only when its owner "
		     "has released it as often as it acquired it");
	must_rlock_init(k, &l);
	kata_expect_int(k, "rlock_acquire", fn.acquire(&l), 0);
	kata_expect_int(k, "rlock_acquire again", fn.acquire(&l), 0);
	start_contender(&c, &t);
	expect_blocked(&c, "while its owner held it (count 2)");
	kata_expect_int(k, "rlock_release (count 2 -> 1)", fn.release(&l),
			0);
	timing_sleep_ms((unsigned)(100 * kata_scale(k)));
	expect_blocked(&c, "after one release of two: the owner still held "
		       "it (count 1); free it only at count 0");
	kata_expect_int(k, "rlock_release (count 1 -> 0)", fn.release(&l),
			0);
	finish_contender(&c, t);
}

static void t_rlock_owner_only(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l, .release_first = true };
	pthread_t t;

	kata_concept(k, "only the owner may release a recursive lock; "
		     "anyone else gets -EPERM and the lock stays held");
	must_rlock_init(k, &l);
	kata_expect_int(k, "rlock_acquire", fn.acquire(&l), 0);
	start_contender(&c, &t);
	expect_blocked(&c, "after it called rlock_release without owning it: "
		       "that release must be refused and change nothing");
	kata_expect_int(k, "rlock_release by the owner", fn.release(&l), 0);
	finish_contender(&c, t);
	kata_expect_int(k, "rlock_release of a free lock", fn.release(&l),
			-EPERM);
}

/* The seed's lost update (temp = num + 1; sleep; num = temp), guarded. */
static void nested(struct worker *w)
{
	struct crew *c = w->c;
	struct rng g;

	rng_seed(&g, c->seed + (uint64_t)w->id);
	for (long i = 0; i < c->iters; i++) {
		int depth = 1 + (int)rng_below(&g, 3), r = 0;
		long temp;

		for (int d = 0; d < depth && !r; d++)
			r = fn.acquire(c->l);
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
			r = fn.release(c->l);
		if (r)
			kata_fail(c->k, "rlock_acquire/rlock_release by the "
				  "owner: expected 0, got %s", kata_strres(r));
		tick(w);
	}
}

static void t_rlock_stress(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	int threads = (int)kata_param(k, "threads", 4, 4);

	kata_concept(k, "a lock makes read-modify-write atomic: without it, "
		     "two threads read the same value and one update is lost");
	KATA_REQUIRE(k, threads > 0 && threads < MAX_WORKERS,
		     "bad --param threads");
	c.iters = kata_param(k, "rounds", 50000, 5000);
	c.seed = kata_seed(k);
	must_rlock_init(k, &l);
	for (int i = 0; i < threads; i++)
		crew_add(&c, "nest", nested);
	crew_run(&c, 750);
	kata_expect_int(k, "the counter each lock holder incremented",
			c.shared, c.iters * threads);
}

static const struct kata_test tests[] = {
	{ "init", "bank_init sets up the accounts and refuses bad sizes",
	  t_init, 0, 1, NULL },
	{ "transfer_basic", "transfers move money or are refused, exactly",
	  t_transfer_basic, 0, 1, "init" },
	{ "same_account", "a transfer to the same account neither hangs nor "
	  "creates money", t_same_account, 0, 1, "transfer_basic" },
	{ "hook_inside", "the hook runs once per transfer, holding both locks",
	  t_hook_inside, 0, 1, "same_account" },
	{ "overlap", "transfers on unrelated accounts run at the same time",
	  t_overlap, 0, 1, "hook_inside" },
	{ "opposite_order", "two threads transferring 0->1 and 1->0 never "
	  "deadlock", t_opposite_order, 0, 1, "same_account" },
	{ "stress", "8 threads of random transfers: no deadlock, money "
	  "conserved, bank_total consistent", t_stress, 30000, 2,
	  "opposite_order" },
	{ "rlock_reentrant", "the owner may acquire the recursive lock again",
	  t_rlock_reentrant, 0, 1, NULL },
	{ "rlock_exclusive", "others wait until the count drops to 0",
	  t_rlock_exclusive, 0, 1, "rlock_reentrant" },
	{ "rlock_owner_only", "a non-owner's release is refused with -EPERM",
	  t_rlock_owner_only, 0, 1, "rlock_reentrant" },
	{ "rlock_stress", "4 threads, nested acquires: no lost update",
	  t_rlock_stress, 0, 1, "rlock_exclusive" },
	{ 0 },
};

KATA_GRADER(.kata = "deadlock",
	    .title = "A bank that never deadlocks, and a recursive lock",
	    .topic = "lock ordering; deadlock; RLock (死锁, 递归锁)",
	    .order = 40,
	    .tests = tests);
