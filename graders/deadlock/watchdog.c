/*
 * watchdog.c (deadlock grader): says why a crew stopped making progress,
 * instead of just timing out.
 *
 * Entry points: wd_futex_addr and wd_waits_for, which lock a blocked
 * thread waits for; wd_diagnose.  It reads /proc/self/task/<tid>/syscall
 * for each worker (a thread blocked in futex() shows the lock word's
 * address as its first argument), maps that address back to an account,
 * reads each account lock's owner, and names the cycle of threads that
 * each hold a lock the next one waits for; or says that a thread waits
 * for a lock it holds itself, that a lock was left locked, or that no
 * thread waits for a lock at all.
 */
#define _GNU_SOURCE
#include "deadlock_grader.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

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

unsigned long wd_futex_addr(pid_t tid)
{
	char path[64], buf[256];
	unsigned long addr;
	long nr;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (sscanf(buf, "%ld %lx", &nr, &addr) != 2 || nr != SYS_futex)
		return 0;
	return addr;
}

int wd_waits_for(struct bank *b, pid_t tid)
{
	unsigned long addr = wd_futex_addr(tid);

	return addr ? account_at(b, addr) : -1;
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

/* True when thread tid of this process is on a CPU or ready to run. */
static bool running(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (!(f = fopen(path, "re")))
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	return p && (p = strrchr(buf, ')')) && p[1] && p[2] == 'R';
}

/* No thread waits for an account lock: say where the live ones are. */
static _Noreturn void report_running(struct crew *c, double ms)
{
	char msg[1024] = "";
	size_t n = 0;

	for (int i = 0; i < c->n && n < sizeof(msg) - 1; i++) {
		const char *at;
		if (c->w[i].done || !c->w[i].tid)
			continue;
		at = kata_where(c->k, c->w[i].tid);
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "thread g:%s "
				      "is %s%s%s; ", c->w[i].name,
				      running(c->w[i].tid) ? "running, not "
				      "blocked" : "blocked elsewhere", *at ?
				      ", " : "", at);
	}
	kata_fail(c->k, "no progress for %.0f ms, and no thread waits for an "
		  "account lock: %sis a call looping, or waiting for "
		  "something else?", ms, msg);
}

_Noreturn void wd_diagnose(struct crew *c, double ms)
{
	int wait[MAX_WORKERS], cyc[MAX_WORKERS], blocked = 0, len;

	if (!c->b)
		kata_fail(c->k, "no progress for %.0f ms: a thread is stuck in "
			  "rlock_acquire or rlock_release (is the lock never "
			  "freed, or a waiter never woken?)", ms);
	for (int i = 0; i < c->n; i++) {
		wait[i] = -1;
		if (!c->w[i].done && c->w[i].tid)
			wait[i] = wd_waits_for(c->b, c->w[i].tid);
		blocked += wait[i] >= 0;
	}
	for (int i = 0; i < c->n; i++)
		if ((len = cycle_from(c, wait, i, cyc)))
			report_cycle(c, wait, cyc, len, ms);
	if (!blocked)
		report_running(c, ms);
	kata_fail(c->k, "no progress for %.0f ms: %d threads blocked on "
		  "account locks, but no cycle found: is a lock left locked "
		  "(a return path that forgets to unlock)?", ms, blocked);
}
