/*
 * processes.c: your implementation of processes and IPC.
 *
 * Entry points: proc_map (Pool.map over fork and pipes), ticket_buy and
 * ticket_sale (the notes' ticket office, a counter in a file under
 * flock()), counter_create/add/get/destroy (a counter in shared memory
 * with a process-shared mutex), and proc_start/is_alive/join/terminate
 * (one child's life).  processes.h is the contract: read it and README.md
 * first, then replace each TODO below.
 * Check your work with:  ./runner check processes
 *
 * Every function here fails politely until you write it, so each test
 * fails with a message rather than crashing or hanging.
 */
#define _GNU_SOURCE
#include "processes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kata/plugin.h>

KATA_PLUGIN("processes");

int proc_map(long (*fn)(long), const long *in, size_t n, unsigned nproc,
	     struct proc_result *out)
{
	/*
	 * TODO: check the arguments; start w = min(nproc, n) children, each
	 * with its own pipe (pipe2, then fork).  Child c computes inputs c,
	 * c + w, ... and writes each result to its pipe, then _exit(0).  The
	 * parent closes every write end right after fork (or it never sees
	 * end-of-file), reads all pipes (poll) until end-of-file, storing
	 * result j of child c at out[c + j * w], then waitpid()s each child
	 * and marks the inputs it never reported.
	 */
	(void)fn;
	(void)in;
	(void)n;
	(void)nproc;
	(void)out;
	return -ENOSYS;
}

int ticket_buy(const char *path, unsigned think_us)
{
	/*
	 * TODO: open the file O_RDWR, flock(fd, LOCK_EX), read and parse
	 * {"count": N}, and if N > 0: sleep think_us, write N - 1 back
	 * (ftruncate + pwrite), return N.  close() releases the lock: keep
	 * it open until the new count is written.
	 */
	(void)path;
	(void)think_us;
	return -ENOSYS;
}

int ticket_sale(const char *path, unsigned buyers, unsigned think_us,
		unsigned *bought)
{
	/*
	 * TODO: fork `buyers` children that call ticket_buy until it
	 * returns <= 0; get each one's count back to the parent (a
	 * MAP_SHARED array, or a pipe), waitpid() every one, fill bought[].
	 */
	(void)path;
	(void)buyers;
	(void)think_us;
	(void)bought;
	return -ENOSYS;
}

struct shared_counter *counter_create(long initial)
{
	/*
	 * TODO: mmap(MAP_SHARED | MAP_ANONYMOUS) a struct shared_counter,
	 * initialise its mutex with PTHREAD_PROCESS_SHARED, set the value.
	 */
	(void)initial;
	return NULL;
}

int counter_add(struct shared_counter *c, long delta)
{
	/* TODO: lock, add, unlock. */
	(void)c;
	(void)delta;
	return -ENOSYS;
}

long counter_get(struct shared_counter *c)
{
	/* TODO: read the value under the lock. */
	(void)c;
	return -ENOSYS;
}

void counter_destroy(struct shared_counter *c)
{
	/* TODO: destroy the mutex and munmap. */
	(void)c;
}

int proc_start(struct proc *p, int (*fn)(void *arg), void *arg, int flags)
{
	/*
	 * TODO: fork; in the child (with PROC_DAEMON: prctl
	 * PR_SET_PDEATHSIG first) _exit(fn(arg) & 0xff); in the parent fill
	 * *p.
	 */
	(void)p;
	(void)fn;
	(void)arg;
	(void)flags;
	return -ENOSYS;
}

int proc_is_alive(struct proc *p)
{
	/* TODO: waitpid(pid, &status, WNOHANG): 0 still running. */
	(void)p;
	return -ENOSYS;
}

int proc_join(struct proc *p, int timeout_ms)
{
	/* TODO: wait up to timeout_ms for the child, then reap it. */
	(void)p;
	(void)timeout_ms;
	return -ENOSYS;
}

int proc_terminate(struct proc *p, int grace_ms)
{
	/* TODO: SIGTERM, join with grace_ms, then SIGKILL and join. */
	(void)p;
	(void)grace_ms;
	return -ENOSYS;
}
