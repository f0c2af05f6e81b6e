/*
 * deadlock.c (grader): the bank's transfers must be atomic, conserve money,
 * never deadlock and never serialise unrelated accounts; the recursive lock
 * must let its owner in again and keep everyone else out until the count
 * drops to 0.
 *
 * Entry point: the kata_grader descriptor at the end (the table of tests).
 * Threads that call the learner's code are "crew" workers: each ticks a
 * progress counter, and the test thread watches them.  When one stops
 * ticking, the watchdog names the lock cycle instead of just timing out.
 * The helpers live in graders/deadlock/ (see deadlock_grader.h): the crew
 * (crew.c), the watchdog (watchdog.c), the bank tests' workers and hooks
 * (transfers.c) and the recursive lock tests' threads (rlock.c).
 */
#define _GNU_SOURCE
#include "deadlock/deadlock_grader.h"

#include <errno.h>
#include <string.h>

#include "thread.h"
#include "timing.h"

/* Looks up the bank's functions; fails unless bank_init(b, n, init) is 0. */
static void must_init(struct kata_ctx *k, struct bank *b, int n, long init)
{
	int r;

	learner.init = KATA_SYM(k, bank_init);
	learner.transfer = KATA_SYM(k, bank_transfer);
	learner.total = KATA_SYM(k, bank_total);
	r = learner.init(b, n, init);

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
			learner.total(&b), 400);
	kata_expect_int(k, "bank_init(b, 0, 100)",
			learner.init(&b, 0, 100), -EINVAL);
	kata_expect_int(k, "bank_init(b, BANK_MAX_ACCOUNTS + 1, 100)",
			learner.init(&b, BANK_MAX_ACCOUNTS + 1, 100), -EINVAL);
	kata_expect_int(k, "bank_init(b, 4, -1)", learner.init(&b, 4, -1),
			-EINVAL);
}

static void t_transfer_basic(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "a transfer moves money between two accounts, or is "
		     "refused with BANK_NOFUNDS / -EINVAL and changes nothing");
	must_init(k, &b, 3, 100);
	crew_solo(&c, xfer_basic_steps);
}

static void t_same_account(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "from == to is one account: lock its mutex once (a "
		     "default mutex locked twice by its owner never returns), "
		     "and do not count the money twice");
	must_init(k, &b, 2, 100);
	crew_solo(&c, xfer_same_account);
}

static void t_hook_inside(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "b->hook runs once per transfer, inside the critical "
		     "section: both account locks held, balances updated");
	must_init(k, &b, 6, 100);
	b.hook = xfer_hook_count;
	b.hook_arg = &c;
	crew_solo(&c, xfer_hook_steps);
}

static void t_lock_order(struct kata_ctx *k)
{
	static struct bank b;
	struct probe p = { .k = k, .b = &b, .from = 3, .to = 0, .amount = 10 };

	kata_concept(k, "one global order: every transfer takes the lower "
		     "account first, so no thread ever holds a higher lock "
		     "while it waits for a lower one, and no cycle can form");
	must_init(k, &b, 4, 100);
	pthread_mutex_lock(&b.acct[0].lock);
	probe_start(&p);
	KATA_REQUIRE(k, !p.done, "bank_transfer(b, 3, 0, 10) returned %s "
		     "while the grader held account 0's lock: lock both "
		     "accounts", kata_strres((int)p.result));
	KATA_REQUIRE(k, probe_held(&p, 1, 3) < 0, "bank_transfer(b, 3, 0, "
		     "10) held account 3's lock while it waited for account "
		     "0's: with another thread doing 0->3 that is the seed's "
		     "deadlock; take the lower index first");
	pthread_mutex_unlock(&b.acct[0].lock);
	probe_finish(&p);
	kata_expect_int(k, "bank_transfer(b, 3, 0, 10)", p.result, 0);
	kata_expect_int(k, "account 0 after it", b.acct[0].balance, 110);
}

static void t_total_locks(struct kata_ctx *k)
{
	static struct bank b;
	struct probe p = { .k = k, .b = &b, .total = true };
	int held;

	kata_concept(k, "bank_total locks every account, in the transfers' "
		     "order (ascending), before it sums: then no transfer is "
		     "half done while it reads, and no cycle can form");
	must_init(k, &b, 4, 100);
	pthread_mutex_lock(&b.acct[0].lock);
	probe_start(&p);
	KATA_REQUIRE(k, !p.done, "bank_total returned %ld while the grader "
		     "held account 0's lock: it must lock every account "
		     "before summing, or it can see a transfer half done",
		     p.result);
	held = probe_held(&p, 1, 3);
	KATA_REQUIRE(k, held < 0, "bank_total held account %d's lock while "
		     "it waited for account 0's: lock in ascending order, as "
		     "the transfers do, or bank_total and a transfer can "
		     "deadlock", held);
	pthread_mutex_unlock(&b.acct[0].lock);
	probe_finish(&p);
	kata_expect_int(k, "bank_total of 4 accounts of 100", p.result, 400);
}

static void t_check_inside(struct kata_ctx *k)
{
	static struct bank b;
	struct probe p = { .k = k, .b = &b, .from = 0, .to = 1, .amount = 100 };

	kata_concept(k, "check the balance after taking the locks: checked "
		     "before, another transfer can spend the money between "
		     "the check and the update");
	must_init(k, &b, 2, 100);
	pthread_mutex_lock(&b.acct[0].lock);
	probe_start(&p);
	b.acct[0].balance = 0;	/* a transfer that got the lock first */
	pthread_mutex_unlock(&b.acct[0].lock);
	probe_finish(&p);
	kata_expect_int(k, "bank_transfer(b, 0, 1, 100), account 0 emptied "
			"while it waited for the lock", p.result, BANK_NOFUNDS);
	kata_expect_int(k, "account 0 after it", b.acct[0].balance, 0);
	kata_expect_int(k, "account 1 after it", b.acct[1].balance, 100);
}

static void t_overlap(struct kata_ctx *k)
{
	static struct bank b;
	struct crew c = { .k = k, .b = &b };

	kata_concept(k, "one lock per account lets transfers on unrelated "
		     "accounts run at the same time; that is why the bank has "
		     "N locks and not one");
	must_init(k, &b, 4, 100);
	b.hook = xfer_hook_meet;
	b.hook_arg = &c;
	crew_add(&c, "pair", xfer_pair);
	crew_add(&c, "pair", xfer_pair);
	crew_run(&c, 2000);
	kata_expect_int(k, "hook calls", c.hooks, 2);
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
	kata_expect_int(k, "bank_total after the transfers", learner.total(&b),
			2000);
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
	b.hook = xfer_hook_stress;
	b.hook_arg = &c;
	for (int i = 0; i < threads; i++)
		crew_add(&c, "xfer", xfer_random);
	crew_add(&c, "total", xfer_check_total)->until_stop = true;
	crew_run(&c, 750);
	kata_expect_int(k, "bank_total after the transfers", learner.total(&b),
			c.expect);
	for (int i = 0; i < accounts; i++)
		KATA_REQUIRE(k, b.acct[i].balance >= 0, "account %d ended with "
			     "%ld", i, b.acct[i].balance);
}

/* ---- the recursive lock -------------------------------------------------- */

/* Looks up the recursive lock's functions; fails unless rlock_init is 0. */
static void must_rlock_init(struct kata_ctx *k, struct rlock *l)
{
	int r;

	learner.rinit = KATA_SYM(k, rlock_init);
	learner.acquire = KATA_SYM(k, rlock_acquire);
	learner.release = KATA_SYM(k, rlock_release);
	r = learner.rinit(l);
	if (r)
		kata_fail(k, "rlock_init: expected 0, got %s", kata_strres(r));
}

static void t_rlock_reentrant(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	unsigned long got;

	kata_concept(k, "a recursive lock lets its owner acquire it again "
		     "(count + 1) instead of waiting for itself");
	must_rlock_init(k, &l);
	crew_add(&c, "owner", rl_reenter);
	if (thread_start(&c.w[0].t, "owner", crew_main, &c.w[0]))
		kata_fail(k, "could not start a grader thread");
	if (thread_join_timeout(c.w[0].t, (int)(750 * kata_scale(k)), NULL)) {
		got = c.w[0].progress;
		kata_fail(k, "rlock_acquire number %lu by the thread that "
			  "already owns the lock never returned: when the "
			  "caller is the owner, count up and return", got + 1);
	}
}

static void t_rlock_exclusive(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	pthread_t t;

	kata_concept(k, "the lock is free for others only when its owner "
		     "has released it as often as it acquired it");
	must_rlock_init(k, &l);
	kata_expect_int(k, "rlock_acquire", learner.acquire(&l), 0);
	kata_expect_int(k, "rlock_release", learner.release(&l), 0);
	kata_expect_int(k, "rlock_acquire after a full release",
			learner.acquire(&l), 0);
	kata_expect_int(k, "rlock_acquire again", learner.acquire(&l), 0);
	rl_start_contender(&c, &t);
	rl_expect_blocked(&c, "while its owner held it (count 2, taken "
			  "again after a full release: the old owner must "
			  "check held, not only owner)");
	kata_expect_int(k, "rlock_release (count 2 -> 1)", learner.release(&l),
			0);
	timing_sleep_ms((unsigned)(100 * kata_scale(k)));
	rl_expect_blocked(&c, "after one release of two: the owner still held "
			  "it (count 1); free it only at count 0");
	kata_expect_int(k, "rlock_release (count 1 -> 0)", learner.release(&l),
			0);
	rl_finish_contender(&c, t);
}

static void t_rlock_owner_only(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l, .release_first = true };
	pthread_t t;

	kata_concept(k, "only the owner may release a recursive lock; "
		     "anyone else gets -EPERM and the lock stays held");
	must_rlock_init(k, &l);
	kata_expect_int(k, "rlock_acquire", learner.acquire(&l), 0);
	rl_start_contender(&c, &t);
	rl_expect_blocked(&c, "after it called rlock_release without owning "
			  "it: that release must be refused and change "
			  "nothing");
	kata_expect_int(k, "rlock_release by the owner", learner.release(&l),
			0);
	rl_finish_contender(&c, t);
	kata_expect_int(k, "rlock_release of a free lock", learner.release(&l),
			-EPERM);
}

static void t_rlock_rechecks(struct kata_ctx *k)
{
	static struct rlock l;
	struct crew c = { .k = k, .l = &l };
	pthread_t t;

	kata_concept(k, "pthread_cond_wait may return while the lock is "
		     "still held (a spurious wakeup, or another thread took it "
		     "first): check again, in a while loop");
	must_rlock_init(k, &l);
	kata_expect_int(k, "rlock_acquire", learner.acquire(&l), 0);
	rl_start_contender(&c, &t);
	rl_spurious(&c);
	rl_expect_blocked(&c, "after the grader woke l->c while the owner "
			  "still held it, as a spurious wakeup does: wait "
			  "while (l->held), not if");
	kata_expect_int(k, "rlock_release", learner.release(&l), 0);
	rl_finish_contender(&c, t);
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
		crew_add(&c, "nest", rl_nested);
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
	{ "lock_order", "a transfer takes the lower account's lock first",
	  t_lock_order, 0, 1, "same_account" },
	{ "total_locks", "bank_total locks every account, in ascending order",
	  t_total_locks, 0, 1, "init" },
	{ "check_inside", "the balance is checked with the locks held",
	  t_check_inside, 0, 1, "transfer_basic" },
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
	{ "rlock_rechecks", "a waiter woken while the lock is held waits "
	  "again", t_rlock_rechecks, 0, 1, "rlock_exclusive" },
	{ "rlock_stress", "4 threads, nested acquires: no lost update",
	  t_rlock_stress, 0, 1, "rlock_exclusive" },
	{ 0 },
};

KATA_GRADER(.kata = "deadlock",
	    .title = "A bank that never deadlocks, and a recursive lock",
	    .topic = "lock ordering; deadlock; RLock (死锁, 递归锁)",
	    .order = 40,
	    .tests = tests);
