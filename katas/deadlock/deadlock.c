/*
 * deadlock.c: your bank and your recursive lock.  Read README.md and
 * deadlock.h, then replace every TODO.  Check with: ./runner check deadlock
 *
 * Entry points: bank_init, bank_destroy, bank_transfer, bank_total;
 * rlock_init, rlock_destroy, rlock_acquire, rlock_release.
 */
#include <errno.h>
#include <pthread.h>

#include <kata/plugin.h>

#include "deadlock.h"

KATA_PLUGIN("deadlock");

int bank_init(struct bank *b, int n, long initial)
{
	/* TODO: check n and initial, set b->n, initialise each account's
	 * lock (default mutex) and balance, set hook and hook_arg to NULL. */
	(void)b;
	(void)n;
	(void)initial;
	return -ENOSYS;
}

void bank_destroy(struct bank *b)
{
	/* TODO: destroy the locks of accounts 0..n-1. */
	(void)b;
}

int bank_transfer(struct bank *b, int from, int to, long amount)
{
	/* TODO: check the arguments; lock the two accounts, lower index
	 * first (one lock when from == to); refuse with BANK_NOFUNDS or move
	 * the money and call the hook; unlock. */
	(void)b;
	(void)from;
	(void)to;
	(void)amount;
	return -ENOSYS;
}

long bank_total(struct bank *b)
{
	/* TODO: lock every account in ascending order, sum, unlock. */
	(void)b;
	return -ENOSYS;
}

int rlock_init(struct rlock *l)
{
	/* TODO: initialise the mutex and the condition variable; the lock
	 * starts free (held false, count 0). */
	(void)l;
	return -ENOSYS;
}

void rlock_destroy(struct rlock *l)
{
	/* TODO: destroy the condition variable and the mutex. */
	(void)l;
}

int rlock_acquire(struct rlock *l)
{
	/* TODO: the owner only counts up; anyone else waits on the
	 * condition variable while the lock is held, then takes it. */
	(void)l;
	return -ENOSYS;
}

int rlock_release(struct rlock *l)
{
	/* TODO: -EPERM unless the caller owns the lock; count down; at 0
	 * the lock is free: wake a waiting thread. */
	(void)l;
	return -ENOSYS;
}
