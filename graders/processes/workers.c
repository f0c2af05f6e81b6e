/*
 * workers.c (processes grader): the code that runs inside the children.
 *
 * w_*: functions the learner's proc_map runs in its children (the notes'
 * doubling worker, one that reports its pid, one slow for some inputs, one
 * that crashes or exits on chosen inputs).  f_*: functions the learner's
 * proc_start runs (wait for a byte, crash, return at once, pause, catch or
 * ignore SIGTERM).  buyer_main: the grader's own ticket buyer, which calls
 * the learner's ticket_buy in a loop and records every ticket in shared
 * memory.  None of these calls kata_* functions: they run in children.
 * Entry points: see proc_grader.h.
 */
#define _GNU_SOURCE
#include "proc_grader.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

long w_double(long x)
{
	return x * 2;
}

long w_pid(long x)
{
	(void)x;
	return (long)getpid();
}

long w_mix(long x)
{
	if (x % 7 == 0) {
		struct timespec ts = { 0, 200 * 1000 };

		nanosleep(&ts, NULL);
	}
	return x * x + 1;
}

static _Noreturn void die_of(int sig)
{
	signal(sig, SIG_DFL);	/* not the runner's crash reporter */
	raise(sig);
	_exit(99);
}

long w_crash(long x)
{
	if (x == W_SEGV)
		die_of(SIGSEGV);
	if (x == W_EXIT)
		_exit(W_EXIT_CODE);
	return x + 100;
}

int f_wait_byte(void *arg)
{
	char b;

	while (read(*(int *)arg, &b, 1) < 0 && errno == EINTR)
		;
	return 7;
}

int f_segv(void *arg)
{
	(void)arg;
	die_of(SIGSEGV);
}

int f_return(void *arg)
{
	return (int)(intptr_t)arg;
}

int f_plain(void *arg)
{
	while (write(*(int *)arg, "r", 1) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 600; i++)	/* a minute at most */
		sleep(1);
	return 0;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(3);
}

int f_catch_term(void *arg)
{
	struct sigaction sa = { .sa_handler = on_term };

	sigaction(SIGTERM, &sa, NULL);
	return f_plain(arg);
}

int f_ignore_term(void *arg)
{
	signal(SIGTERM, SIG_IGN);
	return f_plain(arg);
}

void buyer_main(void *arg)
{
	struct buyers *b = arg;
	int me = b->who, r = 0;

	for (unsigned i = 0; i < b->cap; i++) {
		r = b->buy(b->path, b->think);
		if (r <= 0)
			break;
		b->got[(size_t)me * b->cap + (size_t)b->n[me]++] = r;
	}
	b->err[me] = r;	/* > 0: still buying after cap purchases */
}
