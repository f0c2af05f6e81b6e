/*
 * deadlock.h: a bank whose transfers never deadlock, and a recursive lock.
 * Do not edit: the grader relies on every line of this contract.
 *
 * Part 1, the bank: N accounts, each with its own mutex and balance.
 * bank_transfer() moves money between two accounts while holding both
 * account locks, and must never deadlock however many threads transfer in
 * whatever directions: take the two locks in one global order (the lower
 * account index first).  bank_total() sums every balance while transfers
 * run; it locks all accounts in that same order, so the sum it returns is
 * one the bank really had.  A single bank-wide lock is not an answer: two
 * transfers on unrelated accounts must be able to run at the same time.
 *
 * Part 2, the recursive lock (Python's threading.RLock): a mutex, a
 * condition variable, an owner and a count.  The owner may acquire it again
 * without blocking; it is free for others only when the owner has released
 * it as many times as it acquired it.
 *
 * Entry points: bank_init, bank_destroy, bank_transfer, bank_total;
 * rlock_init, rlock_destroy, rlock_acquire, rlock_release.
 * All return 0 or a negative errno unless stated otherwise.
 */
#ifndef KATA_DEADLOCK_H
#define KATA_DEADLOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

/* The most accounts a bank can have. */
#define BANK_MAX_ACCOUNTS 64

/* bank_transfer's result when the source account has too little money. */
#define BANK_NOFUNDS (-ERANGE)

/*
 * The grader's hook (the `hook` field of struct bank).  When b->hook is
 * not NULL, bank_transfer() must call b->hook(b, from, to, b->hook_arg)
 * exactly once for every transfer it performs (including from == to),
 * after updating the balances and while it still holds the account
 * lock(s): inside the critical section, before unlocking.  It is not
 * called for a refused transfer.  The grader uses it to look inside your
 * critical section (which locks are held, and whether two transfers on
 * unrelated accounts run at the same time).
 */

/* One account: lock is a default mutex, pthread_mutex_init(&lock, NULL). */
struct account {
	pthread_mutex_t lock;
	long balance;		/* never negative */
};

/*
 * The layout is fixed: the grader maps a blocked thread's futex address
 * back to the account whose `lock` it waits for, and reads `balance`
 * directly when no transfer runs.
 */
struct bank {
	int n;				/* accounts in use: acct[0..n-1] */
	struct account acct[BANK_MAX_ACCOUNTS];
	/* NULL unless the grader sets it; see "The grader's hook" above */
	void (*hook)(struct bank *b, int from, int to, void *arg);
	void *hook_arg;
};

/*
 * Initialises a bank of n accounts (1 <= n <= BANK_MAX_ACCOUNTS), each
 * holding `initial` (>= 0), with its lock initialised as a default mutex,
 * and hook and hook_arg NULL.  -EINVAL for a bad n or a negative initial.
 */
int bank_init(struct bank *b, int n, long initial);

/* Destroys the account locks.  No transfer may be running. */
void bank_destroy(struct bank *b);

/*
 * Moves `amount` from account `from` to account `to`, atomically: no other
 * thread ever sees the money in both accounts or in neither.  Holds the
 * locks of both accounts (taken lower index first) while it checks the
 * balance, moves the money and calls the hook.
 *
 * from == to is allowed: it locks that one account once, succeeds and
 * changes nothing when the balance covers the amount (the hook is called),
 * and is refused like any other transfer when it does not.
 *
 * Returns 0 when the money moved; BANK_NOFUNDS (-ERANGE) when from's
 * balance is smaller than amount (nothing changes; a transfer of exactly
 * the whole balance succeeds); -EINVAL when from or to is not in [0, n) or
 * amount is negative.  A transfer of 0 succeeds.
 */
int bank_transfer(struct bank *b, int from, int to, long amount);

/*
 * Returns the sum of all balances, as it was at one instant: every account
 * locked, in ascending index order, then all unlocked.  Safe to call while
 * other threads transfer.
 */
long bank_total(struct bank *b);

/*
 * A recursive lock.  m guards the others; c is where a thread waits while
 * someone else owns the lock; held and owner say who owns it; count is how
 * many times the owner acquired it.  The grader wakes c (holding m) while
 * the lock is held, to see that a waiter checks again.
 */
struct rlock {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool held;
	pthread_t owner;	/* valid only while held */
	unsigned count;		/* acquisitions not yet released */
};

/* Initialises a free lock.  0 or -errno. */
int rlock_init(struct rlock *l);

/* Destroys a free lock. */
void rlock_destroy(struct rlock *l);

/*
 * Acquires the lock: returns at once (count + 1) when the calling thread
 * already owns it; otherwise blocks until no thread owns it, then owns it
 * with count 1.  Returns 0.
 */
int rlock_acquire(struct rlock *l);

/*
 * Releases one acquisition by the owner; when the count drops to 0 the
 * lock is free and one blocked thread may take it.  Returns 0, or -EPERM
 * (and changes nothing) when the calling thread does not own the lock,
 * including when nobody does.
 */
int rlock_release(struct rlock *l);

#endif
