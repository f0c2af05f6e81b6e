/*
 * deadlock.c (reference solution): a bank whose transfers take account
 * locks in one global order, and a recursive lock built from a mutex, a
 * condition variable, an owner and a count.
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
	int i;

	if (n < 1 || n > BANK_MAX_ACCOUNTS || initial < 0)
		return -EINVAL;
	b->n = n;
	for (i = 0; i < n; i++) {
		pthread_mutex_init(&b->acct[i].lock, NULL);
		b->acct[i].balance = initial;
	}
	b->hook = NULL;
	b->hook_arg = NULL;
	return 0;
}

void bank_destroy(struct bank *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		pthread_mutex_destroy(&b->acct[i].lock);
}

/* Locks one account, or two in ascending index order: no cycle can form. */
static void lock_pair(struct bank *b, int from, int to)
{
	int lo = from < to ? from : to, hi = from < to ? to : from;

	pthread_mutex_lock(&b->acct[lo].lock);
	if (hi != lo)
		pthread_mutex_lock(&b->acct[hi].lock);
}

static void unlock_pair(struct bank *b, int from, int to)
{
	pthread_mutex_unlock(&b->acct[from].lock);
	if (to != from)
		pthread_mutex_unlock(&b->acct[to].lock);
}

int bank_transfer(struct bank *b, int from, int to, long amount)
{
	int r = 0;

	if (from < 0 || from >= b->n || to < 0 || to >= b->n || amount < 0)
		return -EINVAL;
	lock_pair(b, from, to);
	if (b->acct[from].balance < amount) {
		r = BANK_NOFUNDS;
	} else {
		b->acct[from].balance -= amount;
		b->acct[to].balance += amount;
		if (b->hook)
			b->hook(b, from, to, b->hook_arg);
	}
	unlock_pair(b, from, to);
	return r;
}

long bank_total(struct bank *b)
{
	long sum = 0;
	int i;

	for (i = 0; i < b->n; i++)
		pthread_mutex_lock(&b->acct[i].lock);
	for (i = 0; i < b->n; i++)
		sum += b->acct[i].balance;
	for (i = b->n - 1; i >= 0; i--)
		pthread_mutex_unlock(&b->acct[i].lock);
	return sum;
}

int rlock_init(struct rlock *l)
{
	int r = -pthread_mutex_init(&l->m, NULL);

	if (r)
		return r;
	r = -pthread_cond_init(&l->c, NULL);
	if (r) {
		pthread_mutex_destroy(&l->m);
		return r;
	}
	l->held = false;
	l->count = 0;
	return 0;
}

void rlock_destroy(struct rlock *l)
{
	pthread_cond_destroy(&l->c);
	pthread_mutex_destroy(&l->m);
}

int rlock_acquire(struct rlock *l)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&l->m);
	if (l->held && pthread_equal(l->owner, self)) {
		l->count++;
	} else {
		while (l->held)
			pthread_cond_wait(&l->c, &l->m);
		l->held = true;
		l->owner = self;
		l->count = 1;
	}
	pthread_mutex_unlock(&l->m);
	return 0;
}

int rlock_release(struct rlock *l)
{
	int r = 0;

	pthread_mutex_lock(&l->m);
	if (!l->held || !pthread_equal(l->owner, pthread_self())) {
		r = -EPERM;
	} else if (--l->count == 0) {
		l->held = false;
		pthread_cond_signal(&l->c);
	}
	pthread_mutex_unlock(&l->m);
	return r;
}
