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
 */
void diagnose_hang(pid_t pid, struct strbuf *out);

/* A learner's words for a fatal signal; a static string. */
const char *diagnose_signal(int sig);

#endif
