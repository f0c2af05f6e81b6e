/*
 * processes.h: processes and the ways they talk.  DO NOT EDIT: this header
 * is the contract the grader checks; write your code in processes.c.
 *
 * Threads share one address space; processes do not.  After fork() the
 * child has a copy of everything, so a variable it changes is its own.
 * Whatever processes share, they share on purpose: a pipe, a file, a page
 * of memory mapped MAP_SHARED.  This kata builds four small things from
 * the study notes' multiprocessing examples, in C:
 *
 *	proc_map		Pool.map: a function over many inputs, in
 *				child processes, results back over pipes
 *	ticket_buy/sale		the notes' ticket office: processes buying
 *				from a counter in a file, under a file lock
 *	counter_*		Value + Lock: a counter in shared memory with a
 *				process-shared mutex
 *	proc_start/is_alive/join/terminate
 *				Process.start/is_alive/join/terminate/daemon
 *
 * Rules for every function here:
 *  - Results are 0 (or a count, or a ticket) on success and a negative
 *    errno value (-EINVAL, not -1) on failure.
 *  - A function that starts child processes waits for (reaps) every one of
 *    them before it returns, unless this header says otherwise: the grader
 *    looks for zombies and stray children after every call.
 *  - A child process never returns into the caller's code: it ends with
 *    _exit(), never exit() or return (exit() would run the parent's atexit
 *    handlers and flush the parent's stdio buffers a second time).
 *  - Nothing here may block forever: the grader calls each function with a
 *    deadline and reports a hang as a failure.
 */
#ifndef PROCESSES_H
#define PROCESSES_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- proc_map: Pool.map with fork and pipes -------------------------- */

/* The most worker processes proc_map accepts. */
#define PROC_MAX_WORKERS 64

/* What happened to one input (struct proc_result.state). */
#define PROC_OK		0	/* fn returned; value holds the result */
#define PROC_SIGNALED	1	/* the child was killed by signal `code` */
#define PROC_EXITED	2	/* the child exited with status `code`
				 * before it sent this input's result */

struct proc_result {
	int state;	/* PROC_OK, PROC_SIGNALED or PROC_EXITED */
	int code;	/* PROC_SIGNALED: the signal (SIGSEGV...);
			 * PROC_EXITED: the exit status; PROC_OK: 0 */
	long value;	/* PROC_OK: fn(in[i]); otherwise 0 */
};

/*
 * Computes fn(in[i]) for every i < n in child processes and stores the
 * outcome in out[i], in input order whatever order the children finish in.
 *
 * Work split, fixed so results can be checked exactly: with
 * w = min(nproc, n) children, child c (0 <= c < w) computes the inputs
 * c, c + w, c + 2w, ... in that order, and sends each result to the parent
 * as soon as it has it, over a pipe (one pipe per child is simplest).
 * The parent reads every child's pipe until end-of-file, then reaps every
 * child with waitpid().
 *
 * A child that dies before sending all its results: the inputs it did
 * report are PROC_OK; every later input of that child gets PROC_SIGNALED
 * with the signal that killed it, or PROC_EXITED with its exit status if
 * it exited (fn called exit(), for instance).  That is not an error of
 * proc_map: it returns normally, and the other children's results count.
 *
 * Returns the number of inputs that are not PROC_OK (0 when every fn
 * returned), or -EINVAL (fn NULL, nproc 0 or above PROC_MAX_WORKERS, or
 * n > 0 with in or out NULL), or the -errno of a failed pipe() or fork()
 * (after ending and reaping the children already started).  n == 0
 * returns 0 without starting any process.
 */
int proc_map(long (*fn)(long), const long *in, size_t n, unsigned nproc,
	     struct proc_result *out);

/* ---- the ticket office: a counter in a file, under flock() ----------- */

/*
 * The ticket file holds exactly one line, the notes' JSON object:
 *
 *	{"count": 42}\n
 *
 * written with TICKET_FORMAT (no other spaces); count is 0..TICKET_MAX.
 * Any other content is malformed.
 */
#define TICKET_FORMAT	"{\"count\": %d}\n"
#define TICKET_MAX	1000000
#define TICKET_MAX_BUYERS 64

/*
 * One purchase, by one process: opens path (O_RDWR), takes an exclusive
 * flock() on that descriptor, reads the count, waits think_us microseconds
 * (the notes' sleep(0.05): the time a real office spends between looking
 * and writing), writes count - 1 back, and releases the lock by closing.
 *
 * The lock is flock(fd, LOCK_EX) on a descriptor this call opened itself:
 * that is the protocol every buyer (and the grader) follows, so it must be
 * exactly this lock.  Read, decide and write all happen while holding it.
 *
 * Returns the ticket sold: the count read before the decrement (so with
 * "{"count": 3}" the buyers get tickets 3, 2, 1), or 0 when the count was
 * already 0 (sold out: the file is left as it is), or
 *	-ENOENT		no such file (or another open() error);
 *	-EBADMSG	the file is malformed: it is left unchanged.
 */
int ticket_buy(const char *path, unsigned think_us);

/*
 * The notes' ticket office: starts `buyers` child processes; each calls
 * ticket_buy(path, think_us) until it returns 0 (sold out) or an error.
 * Waits for every buyer, then stores in bought[i] the number of tickets
 * buyer i got (bought has `buyers` entries).
 *
 * Returns the total sold (the sum of bought[]), or -EINVAL (buyers 0 or
 * above TICKET_MAX_BUYERS, path or bought NULL), the -errno of a failed
 * fork(), or the first error a buyer's ticket_buy returned (-ENOENT,
 * -EBADMSG); every buyer is reaped in every case.
 */
int ticket_sale(const char *path, unsigned buyers, unsigned think_us,
		unsigned *bought);

/* ---- a counter in shared memory: Value('i') with a Lock -------------- */

/*
 * Lives in memory that parent and children share: counter_create maps it
 * with mmap(MAP_SHARED | MAP_ANONYMOUS), so a child forked afterwards sees
 * the same page, not a copy.  The grader may lock `lock` itself, from
 * another process, to check that counter_add waits for it.
 */
struct shared_counter {
	pthread_mutex_t lock;	/* initialised PTHREAD_PROCESS_SHARED */
	long value;		/* only read or written holding lock */
};

/*
 * Returns a new counter holding `initial`, in a MAP_SHARED anonymous
 * mapping, with its mutex initialised for use across processes; NULL on
 * failure.  Free it with counter_destroy().
 */
struct shared_counter *counter_create(long initial);

/* Adds delta to the value while holding the lock.  0, or -errno. */
int counter_add(struct shared_counter *c, long delta);

/* Returns the value, read while holding the lock. */
long counter_get(struct shared_counter *c);

/* Destroys the mutex and unmaps the counter.  NULL is a no-op. */
void counter_destroy(struct shared_counter *c);

/* ---- one child process: start, is_alive, join, terminate ------------- */

/*
 * A child process and what became of it.  Filled in by proc_start and
 * updated when the child is reaped; the grader reads every field.
 */
struct proc {
	pid_t pid;	/* the child's process id, > 0 once started */
	bool reaped;	/* true once waitpid() collected it: from then on
			 * pid may belong to another process; never signal
			 * it again */
	int exit_code;	/* reaped after exiting: its status 0..255; else -1 */
	int term_sig;	/* reaped after a signal killed it: the signal;
			 * else 0 */
};

/* proc_start flag: like Process.daemon, the child is killed (SIGKILL)
 * when the thread that started it ends (prctl PR_SET_PDEATHSIG). */
#define PROC_DAEMON 1

/*
 * Starts a child process that runs fn(arg) and _exit()s with fn's return
 * value (& 0xff).  flags is 0 or PROC_DAEMON.  Does not wait for it.
 * Fills *p (pid set, reaped false, exit_code -1, term_sig 0).
 * Returns 0, -EINVAL (p or fn NULL, unknown flags) or -errno of fork().
 */
int proc_start(struct proc *p, int (*fn)(void *arg), void *arg, int flags);

/*
 * Returns 1 while the child runs, 0 once it has ended, or -errno.  Never
 * blocks.  A child that has ended is reaped right here (so it does not
 * stay a zombie) and *p is updated.  After that, 0 without a system call.
 */
int proc_is_alive(struct proc *p);

/*
 * Waits up to timeout_ms for the child to end (timeout_ms < 0: as long as
 * it takes; 0: only looks), reaps it and updates *p.
 * Returns 0 when it has ended (also when it was reaped before), or
 * -ETIMEDOUT when it is still running after timeout_ms (it is left
 * running and *p is unchanged).
 */
int proc_join(struct proc *p, int timeout_ms);

/*
 * Ends the child: sends SIGTERM, waits up to grace_ms for it to end (it
 * may catch SIGTERM to clean up and exit, or ignore it), then sends
 * SIGKILL, which cannot be caught or ignored, and waits for that.  Reaps
 * it and updates *p.  A child that has already ended is only reaped: no
 * signal is sent.  Returns as soon as the child is gone, without sleeping
 * out the rest of the grace period.
 * Returns 0 (the child is gone and reaped), or -errno.
 */
int proc_terminate(struct proc *p, int grace_ms);

#endif
