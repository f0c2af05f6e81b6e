/*
 * diagnose.h: a hung or crashed test explained in a learner's words
 * (diagnose.c).
 */
#ifndef RUNNER_DIAGNOSE_H
#define RUNNER_DIAGNOSE_H

#include <sys/types.h>

#include "runner.h"

/*
 * Appends to *out what each thread of process pid is doing (read from
 * /proc before the kill): "2 threads blocked on a futex ... deadlock".
 * where holds lines "TID\tin foo()" for threads that said where they run
 * (NULL: none).
 */
void diagnose_hang(pid_t pid, const char *where, struct strbuf *out);

/*
 * Calls fn(arg, tid) for every thread of process pid that is running (not
 * blocked); returns how many there were.
 */
int diagnose_running(pid_t pid, void (*fn)(void *arg, pid_t tid),
		     void *arg);

/* A learner's words for a fatal signal; a static string. */
const char *diagnose_signal(int sig);

#endif
