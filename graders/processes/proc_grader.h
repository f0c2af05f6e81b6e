/*
 * proc_grader.h: what the processes grader's files share.
 *
 * children.c: the test's own children (ch_list, ch_expect_none, read from
 * /proc), learner calls with a deadline in a grader thread (ch_run,
 * ch_start, ch_finish), a guard against children that return into the
 * grader (ch_guard), and grader-forked helpers (ch_fork, ch_reap,
 * ch_wait_dead, ch_wait_zombie, ch_ready).
 * workers.c: the functions the learner's children run (w_* for proc_map,
 * f_* for proc_start) and the grader's own ticket buyers.
 * shared.c: the ticket and counter tests (state shared through a file
 * and through shared memory).
 * processes.c: the proc_map and lifecycle tests, and the table.
 */
#ifndef PROC_GRADER_H
#define PROC_GRADER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include <kata/grader.h>

#include "processes.h"

#pragma GCC visibility push(hidden)

/* ---- children.c ------------------------------------------------------ */

/* Remembers this test process's pid (call first in every test). */
void ch_init(struct kata_ctx *k);

/*
 * Called right after a learner function returns: in a child process that
 * came back from it (instead of _exit()), reports the mistake as a failed
 * check and ends that child.  In the test process, does nothing.
 */
void ch_guard(struct kata_ctx *k, const char *fn);

/*
 * Fails the test, naming every child of the test process that is left
 * (zombie or still running) after `after` ("after proc_map returned").
 */
void ch_expect_none(struct kata_ctx *k, const char *after);

/* One learner call, run in a grader thread with a deadline. */
struct call {
	void (*fn)(struct call *c);	/* the thunk: does the call */
	const char *what;		/* "proc_map", for messages */
	struct kata_ctx *k;
	/* arguments (each thunk uses its own) */
	long (*map_fn)(long);
	const long *in;
	size_t n;
	unsigned nproc, think, buyers;
	struct proc_result *out;
	const char *path;
	unsigned *bought;
	struct shared_counter *ctr;
	long delta;
	struct proc *p;
	int ms;
	/* results */
	long r;
	pid_t tid;
	atomic_bool done;
	pthread_t thread;
};

/* The thunks. */
void call_map(struct call *c);
void call_buy(struct call *c);
void call_sale(struct call *c);
void call_add(struct call *c);
void call_alive(struct call *c);
void call_join(struct call *c);
void call_terminate(struct call *c);

/*
 * Runs c->fn in a grader thread and waits up to limit_ms (already scaled)
 * for it; on a hang fails with "<what> did not return within N ms" and
 * the hint.  Returns the milliseconds the call took.
 */
double ch_run(struct kata_ctx *k, struct call *c, int limit_ms,
	      const char *hint);

/* The same in two steps: start it, and wait until c->tid is known. */
void ch_start(struct kata_ctx *k, struct call *c);
void ch_finish(struct kata_ctx *k, struct call *c, int limit_ms,
	       const char *hint);

/*
 * After ch_start: true once the call's thread sleeps in the kernel (state
 * S: blocked on a lock) and is still not done 20 ms later; false when the
 * call returned, or after limit_ms.
 */
bool ch_wait_blocked(struct call *c, int limit_ms);

/* ms * kata_scale(k), as an int. */
int ch_ms(struct kata_ctx *k, double ms);

/* Forks a grader child running fn(arg), then _exit(0).  Returns its pid. */
pid_t ch_fork(struct kata_ctx *k, void (*fn)(void *arg), void *arg);

/* Reaps a grader child within limit_ms (scaled); returns its status. */
int ch_reap(struct kata_ctx *k, pid_t pid, int limit_ms);

/* The state letter of process pid (from /proc), or 0 when it is gone. */
char ch_state(pid_t pid);

/* Waits until pid is gone or a zombie; false after limit_ms. */
bool ch_wait_dead(pid_t pid, int limit_ms);

/* Waits until pid is a zombie (it ended, not yet reaped). */
bool ch_wait_zombie(pid_t pid, int limit_ms);

/* Waits for one byte on fd (a child saying it is ready); fails on hang. */
void ch_ready(struct kata_ctx *k, int fd, const char *who);

/* A pipe with both ends close-on-exec; fails the test on error. */
void ch_pipe(struct kata_ctx *k, int fds[2]);

/*
 * Runs proc_map(fn, in, n, nproc, out) with a deadline scaled from the
 * time the grader itself needs to fork and reap nproc children; returns
 * its result.
 */
long ch_map(struct kata_ctx *k, long (*fn)(long), const long *in, size_t n,
	    unsigned nproc, struct proc_result *out);

/* Fails unless out[i] is {state, code, value} (value only if PROC_OK). */
void ch_expect_result(struct kata_ctx *k, const char *what,
		      const struct proc_result *out, size_t i, int state,
		      int code, long value);

/* ---- shared.c: the ticket and counter tests -------------------------- */

void t_ticket_buy(struct kata_ctx *k);
void t_ticket_bad_file(struct kata_ctx *k);
void t_ticket_lock(struct kata_ctx *k);
void t_ticket_held(struct kata_ctx *k);
void t_ticket_race(struct kata_ctx *k);
void t_ticket_sale(struct kata_ctx *k);
void t_counter_shared(struct kata_ctx *k);
void t_counter_lock(struct kata_ctx *k);
void t_counter_many(struct kata_ctx *k);

/* ---- workers.c ------------------------------------------------------- */

long w_double(long x);		/* the notes' worker: x * 2 */
long w_pid(long x);		/* getpid() of the process running it */
long w_mix(long x);		/* x * x + 1, slow for some x */
long w_crash(long x);		/* SIGSEGV at W_SEGV, exit(W_EXIT_CODE) at
				 * W_EXIT, else x + 100 */
#define W_SEGV		13
#define W_EXIT		22
#define W_EXIT_CODE	3

/* For proc_start; arg points to an int descriptor where one is used. */
int f_wait_byte(void *arg);	/* reads one byte from *arg, returns 7 */
int f_segv(void *arg);		/* dies of SIGSEGV */
int f_return(void *arg);	/* returns (int)(intptr_t)arg at once */
int f_plain(void *arg);		/* writes a byte to *arg, then pauses */
int f_catch_term(void *arg);	/* SIGTERM handler exits 3; then f_plain */
int f_ignore_term(void *arg);	/* ignores SIGTERM; then f_plain */

/* The grader's own ticket buyers (ticket_race). */
struct buyers {
	int (*buy)(const char *path, unsigned think_us);	/* learner's */
	const char *path;
	unsigned think, count, cap;	/* cap: purchases recorded per buyer */
	int who;			/* set in each child before the call */
	int *n;				/* [buyers] purchases (shared) */
	int *err;			/* [buyers] last result (shared) */
	int *got;			/* [buyers][cap] tickets (shared) */
};
void buyer_main(void *arg);	/* runs in a grader child */

#pragma GCC visibility pop

#endif
