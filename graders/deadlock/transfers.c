/*
 * transfers.c (deadlock grader): what the bank tests' workers do, and the
 * hooks the learner's bank_transfer calls inside its critical section.
 *
 * Worker bodies: xfer_basic_steps (a table of transfers and the balances
 * after each), xfer_same_account, xfer_hook_steps, xfer_pair,
 * xfer_opposite, xfer_random and xfer_check_total.  Hooks:
 * xfer_hook_count, xfer_hook_meet and xfer_hook_stress.
 */
#define _GNU_SOURCE
#include "deadlock_grader.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>

#include "digest.h"
#include "timing.h"

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

void xfer_basic_steps(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct bank *b = w->c->b;
	char what[96];

	for (const struct step *s = steps; s->amount || s->to; s++) {
		snprintf(what, sizeof(what), "bank_transfer(b, %d, %d, %ld)",
			 s->from, s->to, s->amount);
		kata_expect_int(k, what, learner.transfer(b, s->from, s->to,
							  s->amount), s->want);
		for (int i = 0; i < 3; i++) {
			snprintf(what, sizeof(what), "account %d after "
				 "bank_transfer(b, %d, %d, %ld)", i, s->from,
				 s->to, s->amount);
			kata_expect_int(k, what, b->acct[i].balance,
					s->after[i]);
		}
		crew_tick(w);
	}
	kata_expect_int(k, "bank_total", learner.total(b), 300);
}

void xfer_same_account(struct worker *w)
{
	struct kata_ctx *k = w->c->k;
	struct bank *b = w->c->b;

	kata_expect_int(k, "bank_transfer(b, 1, 1, 40) with 100 in account 1",
			learner.transfer(b, 1, 1, 40), 0);
	kata_expect_int(k, "account 1 after a transfer to itself",
			b->acct[1].balance, 100);
	kata_expect_int(k, "bank_transfer(b, 1, 1, 100)",
			learner.transfer(b, 1, 1, 100), 0);
	kata_expect_int(k, "bank_transfer(b, 1, 1, 101) with 100 in account 1",
			learner.transfer(b, 1, 1, 101), BANK_NOFUNDS);
	kata_expect_int(k, "account 1 after transfers to itself",
			b->acct[1].balance, 100);
	kata_expect_int(k, "bank_total", learner.total(b), 200);
	crew_tick(w);
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

void xfer_hook_count(struct bank *b, int from, int to, void *arg)
{
	check_held(b, from, from, to);
	check_held(b, to, from, to);
	atomic_fetch_add(&((struct crew *)arg)->hooks, 1);
}

void xfer_hook_steps(struct worker *w)
{
	struct crew *c = w->c;

	kata_expect_int(c->k, "bank_transfer(b, 0, 5, 10)",
			learner.transfer(c->b, 0, 5, 10), 0);
	kata_expect_int(c->k, "bank_transfer(b, 5, 0, 10)",
			learner.transfer(c->b, 5, 0, 10), 0);
	kata_expect_int(c->k, "bank_transfer(b, 3, 3, 10)",
			learner.transfer(c->b, 3, 3, 10), 0);
	kata_expect_int(c->k, "hook calls for 3 transfers", c->hooks, 3);
	kata_expect_int(c->k, "bank_transfer(b, 4, 1, 500)",
			learner.transfer(c->b, 4, 1, 500), BANK_NOFUNDS);
	kata_expect_int(c->k, "hook calls after a refused transfer",
			c->hooks, 3);
	crew_tick(w);
}

/* Each transfer waits here (bounded) until the other one arrives too. */
void xfer_hook_meet(struct bank *b, int from, int to, void *arg)
{
	struct crew *c = arg;
	uint64_t start = timing_now_ns();
	double limit = 750 * kata_scale(c->k);

	xfer_hook_count(b, from, to, arg);
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

void xfer_pair(struct worker *w)
{
	int from = w->id * 2, to = w->id * 2 + 1;
	int r = learner.transfer(w->c->b, from, to, 10);

	if (r)
		kata_fail(w->c->k, "bank_transfer(b, %d, %d, 10): expected 0, "
			  "got %s", from, to, kata_strres(r));
	crew_tick(w);
}

void xfer_opposite(struct worker *w)
{
	int from = w->id, to = !w->id;
	struct rng g;

	rng_seed(&g, (uint64_t)w->id);
	for (long i = 0; i < w->c->iters; i++) {
		int r = learner.transfer(w->c->b, from, to, 1);

		if (r && r != BANK_NOFUNDS)
			kata_fail(w->c->k, "bank_transfer(b, %d, %d, 1): "
				  "expected 0 or BANK_NOFUNDS, got %s", from,
				  to, kata_strres(r));
		/* a pause outside the locks, so both threads keep running */
		for (volatile uint64_t n = rng_below(&g, 256); n; n--)
			;
		crew_tick(w);
	}
}

/* Stress hook: balances never negative; a yield now and then widens races */
void xfer_hook_stress(struct bank *b, int from, int to, void *arg)
{
	struct crew *c = arg;

	if (b->acct[from].balance < 0 || b->acct[to].balance < 0)
		kata_fail(c->k, "a balance went negative (account %d: %ld, "
			  "account %d: %ld): check the funds inside the "
			  "critical section, not before taking the locks",
			  from, b->acct[from].balance, to,
			  b->acct[to].balance);
	if (++crew_self->hooked % 16 == 0)
		sched_yield();
}

void xfer_random(struct worker *w)
{
	struct crew *c = w->c;
	struct rng g;

	rng_seed(&g, c->seed + (uint64_t)w->id);
	for (long i = 0; i < c->iters; i++) {
		int from = (int)rng_below(&g, (uint64_t)c->b->n);
		int to = rng_below(&g, 8) ? (int)rng_below(&g,
				(uint64_t)c->b->n) : from;
		long amount = (long)rng_below(&g, 1001);
		int r = learner.transfer(c->b, from, to, amount);

		if (r && r != BANK_NOFUNDS)
			kata_fail(c->k, "bank_transfer(b, %d, %d, %ld): "
				  "expected 0 or BANK_NOFUNDS, got %s", from,
				  to, amount, kata_strres(r));
		w->ok += !r;
		crew_tick(w);
	}
	if (w->hooked != w->ok)
		kata_fail(c->k, "hook calls in one thread: expected %lu (one "
			  "per successful transfer), got %lu", w->ok,
			  w->hooked);
}

void xfer_check_total(struct worker *w)
{
	struct crew *c = w->c;

	while (!c->stop) {
		long t = learner.total(c->b);

		if (t != c->expect)
			kata_fail(c->k, "bank_total while transfers run: "
				  "expected %ld, got %ld: a transfer was seen "
				  "half done (lock every account, in ascending "
				  "order, before summing) or money was lost",
				  c->expect, t);
		crew_tick(w);
	}
}
