/*
 * thread.h: named grader threads, joins with deadlines, thread inspection.
 *
 * Entry points: thread_start, thread_join_timeout, thread_count, thread_tid,
 * thread_wait_sleeping.  Grader threads are named "g:<name>" so that the
 * runner's hang diagnosis tells them from the learner's threads.
 */
#ifndef GRADER_THREAD_H
#define GRADER_THREAD_H

#include <pthread.h>
#include <sys/types.h>

/* Starts fn(arg) in a thread named "g:<name>".  0 or -errno. */
int thread_start(pthread_t *t, const char *name, void *(*fn)(void *),
		 void *arg);

/* Joins within timeout_ms.  0, -ETIMEDOUT (thread still running) or -errno */
int thread_join_timeout(pthread_t t, int timeout_ms, void **ret);

/* The number of entries in a /proc directory (not . and ..), or -errno. */
int thread_count_entries(const char *dir);

/* The number of threads in this process (/proc/self/task). */
int thread_count(void);

/* The calling thread's kernel id (for thread_wait_sleeping). */
pid_t thread_tid(void);

/*
 * Waits until thread tid of this process is asleep in the kernel (state S
 * in /proc/self/task/<tid>/stat), i.e. blocked in a call such as recv().
 * 0, or -ETIMEDOUT.
 */
int thread_wait_sleeping(pid_t tid, int timeout_ms);

#endif
