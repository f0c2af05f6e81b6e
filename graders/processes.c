/*
 * processes.c (grader): processes and IPC, after the notes'
 * multiprocessing examples.
 *
 * Every test forks: the learner's proc_map, ticket_sale and proc_start
 * start children inside the test process, and the grader starts its own
 * (ticket buyers, a process holding the counter's lock, a parent that
 * dies under a daemon child).  After each call the grader looks in /proc
 * for children the learner's code left behind (zombies or strays), and
 * every call that can block runs with a deadline (graders/processes/
 * children.c), so a hang is a sentence, not a timeout.  The ticket and
 * counter tests are in graders/processes/shared.c; the code that runs in
 * the children in graders/processes/workers.c.  This file holds the
 * proc_map and lifecycle tests and the table.
 * Entry point: the kata_grader table at the end.
 */
#define _GNU_SOURCE
#include "processes/proc_grader.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "net.h"
#include "timing.h"

/* ---- proc_map ------------------------------------------------------------ */

static void t_map_basic(struct kata_ctx *k)
{
	long in[6] = { 1, 2, 3, 4, 5, 6 };
	struct proc_result out[6];
	int fds = net_count_fds();

	ch_init(k);
	kata_concept(k, "Pool.map in C: fork() children, each computes its "
		     "share and writes results into a pipe; the parent reads "
		     "them back and waitpid()s every child");
	kata_expect_int(k, "proc_map(x * 2 over 1..5, 2 processes)",
			ch_map(k, w_double, in, 5, 2, out), 0);
	for (size_t i = 0; i < 5; i++)
		ch_expect_result(k, "x * 2 over 1..5", out, i, PROC_OK, 0,
				 in[i] * 2);
	ch_expect_none(k, "after proc_map returned");
	kata_expect_int(k, "proc_map(getpid over 6 inputs, 3 processes)",
			ch_map(k, w_pid, in, 6, 3, out), 0);
	for (size_t i = 0; i < 6; i++) {
		KATA_REQUIRE(k, out[i].value != getpid(), "input %zu ran in "
			     "the test process itself (pid %ld): proc_map "
			     "must fork() children", i, out[i].value);
		KATA_REQUIRE(k, out[i].value == out[i % 3].value && (i >= 3 ||
			     out[i].value != out[(i + 1) % 3].value), "input "
			     "%zu ran in process %ld: with 3 processes, input "
			     "i belongs to child i %% 3", i, out[i].value);
	}
	kata_expect_int(k, "descriptors open in the test process after "
			"proc_map (close each read end after end-of-file)",
			net_count_fds(), fds);
}

static void t_map_order(struct kata_ctx *k)
{
	size_t n = (size_t)kata_param(k, "inputs", 2000, 200);
	long *in = malloc(n * sizeof(*in));
	struct proc_result *out = calloc(n, sizeof(*out));
	struct rng g;

	KATA_REQUIRE(k, in && out, "grader: out of memory");
	ch_init(k);
	rng_seed(&g, kata_seed(k));
	for (size_t i = 0; i < n; i++)
		in[i] = (long)rng_below(&g, 100000);
	kata_concept(k, "children finish in any order; result j of child c "
		     "belongs at out[c + j * w], whatever order they arrive "
		     "in (Pool.map keeps the input order)");
	kata_expect_int(k, "proc_map(x * x + 1, 4 processes)",
			ch_map(k, w_mix, in, n, 4, out), 0);
	for (size_t i = 0; i < n; i++)
		ch_expect_result(k, "x * x + 1", out, i, PROC_OK, 0,
				 w_mix(in[i]));
	ch_expect_none(k, "after proc_map returned");
	free(in);
	free(out);
}

static void t_map_edges(struct kata_ctx *k)
{
	long in[3] = { 0, 1, 2 };
	struct proc_result out[3];
	__typeof__(&proc_map) map = KATA_SYM(k, proc_map);

	ch_init(k);
	kata_concept(k, "no more children than inputs; nothing to do means "
		     "no process at all; a bad argument is -EINVAL");
	kata_expect_int(k, "proc_map(3 inputs, 8 processes)",
			ch_map(k, w_pid, in, 3, 8, out), 0);
	KATA_REQUIRE(k, out[0].value != out[1].value && out[1].value !=
		     out[2].value && out[0].value != out[2].value, "3 inputs "
		     "with 8 processes: expected 3 children, one input each; "
		     "got pids %ld %ld %ld", out[0].value, out[1].value,
		     out[2].value);
	kata_expect_int(k, "proc_map(0 inputs)", ch_map(k, w_pid, in, 0, 4,
							 out), 0);
	kata_expect_int(k, "proc_map(nproc 0)", map(w_pid, in, 3, 0, out),
			-EINVAL);
	kata_expect_int(k, "proc_map(nproc PROC_MAX_WORKERS + 1)",
			map(w_pid, in, 3, PROC_MAX_WORKERS + 1, out), -EINVAL);
	kata_expect_int(k, "proc_map(fn NULL)", map(NULL, in, 3, 2, out),
			-EINVAL);
	kata_expect_int(k, "proc_map(in NULL)", map(w_pid, NULL, 3, 2, out),
			-EINVAL);
	kata_expect_int(k, "proc_map(out NULL)", map(w_pid, in, 3, 2, NULL),
			-EINVAL);
	ch_guard(k, "proc_map");
	ch_expect_none(k, "after these proc_map calls");
}

static void t_map_crash(struct kata_ctx *k)
{
	long in[40];
	struct proc_result out[40];
	const char *what = "a worker that crashes on 13 and exits on 22";

	ch_init(k);
	for (size_t i = 0; i < 40; i++)
		in[i] = (long)i;
	kata_concept(k, "a child that dies is not a hang: its pipe reaches "
		     "end-of-file, waitpid() says how it ended, and the "
		     "inputs it never reported carry that signal or status");
	kata_expect_int(k, "proc_map(40 inputs, 4 processes, input 13 "
			"crashes its child, input 22 exits with status 3): "
			"the inputs not PROC_OK", ch_map(k, w_crash, in, 40,
							   4, out), 12);
	for (size_t i = 0; i < 40; i++) {
		if (i % 4 == 1 && i >= W_SEGV)
			ch_expect_result(k, what, out, i, PROC_SIGNALED,
					 SIGSEGV, 0);
		else if (i % 4 == 2 && i >= W_EXIT)
			ch_expect_result(k, what, out, i, PROC_EXITED,
					 W_EXIT_CODE, 0);
		else
			ch_expect_result(k, what, out, i, PROC_OK, 0,
					 in[i] + 100);
	}
	ch_expect_none(k, "after proc_map returned");
}

static void t_map_no_leaks(struct kata_ctx *k)
{
	long in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct proc_result out[8];
	long rounds = kata_param(k, "rounds", 30, 10);
	int fds = net_count_fds();

	ch_init(k);
	kata_concept(k, "every pipe has two descriptors and every child a "
		     "process-table entry: both must be given back, call "
		     "after call");
	for (long i = 0; i < rounds; i++)
		kata_expect_int(k, "proc_map(x * 2, 8 inputs, 4 processes)",
				ch_map(k, w_double, in, 8, 4, out), 0);
	kata_expect_int(k, "descriptors open in the test process after "
			"many proc_map calls (close each pipe's read end "
			"once you have read it to end-of-file)",
			net_count_fds(), fds);
	ch_expect_none(k, "after many proc_map calls");
}

/* ---- one child's life -------------------------------------------------- */

static void start(struct kata_ctx *k, struct proc *p, int (*fn)(void *),
		  void *arg, int flags)
{
	int r = KATA_SYM(k, proc_start)(p, fn, arg, flags);

	ch_guard(k, "proc_start");
	kata_expect_int(k, "proc_start", r, 0);
	KATA_REQUIRE(k, p->pid > 0 && !p->reaped && p->exit_code == -1 &&
		     p->term_sig == 0, "after proc_start: expected pid > 0, "
		     "reaped false, exit_code -1, term_sig 0; got pid %d, "
		     "reaped %d, exit_code %d, term_sig %d", (int)p->pid,
		     p->reaped, p->exit_code, p->term_sig);
}

/* proc_is_alive(p), which must not block. */
static long alive(struct kata_ctx *k, struct proc *p)
{
	struct call c = { .fn = call_alive, .what = "proc_is_alive",
			  .p = p };

	ch_run(k, &c, ch_ms(k, 500), ": it must never block; "
	       "waitpid(pid, &st, WNOHANG) only looks");
	return c.r;
}

/* proc_join(p, ms) within limit ms, which must return want. */
static double join(struct kata_ctx *k, struct proc *p, int ms, int limit,
		   int want)
{
	struct call c = { .fn = call_join, .what = "proc_join", .p = p,
			  .ms = ms };
	double el = ch_run(k, &c, limit, ": the child had ended, or the "
			   "timeout had passed (wait for the child, do not "
			   "sleep the timeout out)");

	kata_expect_int(k, ms < 0 ? "proc_join(p, -1)" : "proc_join", c.r,
			want);
	return el;
}

static void expect_end(struct kata_ctx *k, const char *what,
		       const struct proc *p, int code, int sig)
{
	KATA_REQUIRE(k, p->reaped && p->exit_code == code &&
		     p->term_sig == sig, "%s: expected reaped, exit_code %d, "
		     "term_sig %d; got reaped %d, exit_code %d, term_sig %d",
		     what, code, sig, p->reaped, p->exit_code, p->term_sig);
	ch_expect_none(k, what);
}

static void t_life_join(struct kata_ctx *k)
{
	struct proc p;
	int fds[2];
	double el;

	ch_init(k);
	ch_pipe(k, fds);
	kata_concept(k, "join = waitpid(): it waits for the child and "
		     "collects its exit status; with a timeout it gives up "
		     "and leaves the child running");
	kata_expect_int(k, "proc_start(p, NULL, ..)",
			KATA_SYM(k, proc_start)(&p, NULL, NULL, 0), -EINVAL);
	kata_expect_int(k, "proc_start with flags 2 (unknown)",
			KATA_SYM(k, proc_start)(&p, f_plain, &fds[1], 2),
			-EINVAL);
	ch_guard(k, "proc_start");
	ch_expect_none(k, "after proc_start refused its arguments");
	start(k, &p, f_wait_byte, &fds[0], 0);
	kata_expect_int(k, "proc_is_alive while the child waits",
			alive(k, &p), 1);
	el = join(k, &p, 100, ch_ms(k, 2100), -ETIMEDOUT);
	KATA_REQUIRE(k, el >= 90 && !p.reaped, "proc_join(p, 100) gave up "
		     "after %.0f ms (reaped %d): it must wait the whole "
		     "timeout, and not reap a running child", el, p.reaped);
	KATA_REQUIRE(k, write(fds[1], "g", 1) == 1, "grader: write failed");
	join(k, &p, ch_ms(k, 5000), ch_ms(k, 500), 0);
	expect_end(k, "after the child returned 7 and proc_join", &p, 7, 0);
	kata_expect_int(k, "proc_is_alive after proc_join", alive(k, &p), 0);
	kata_expect_int(k, "proc_join(p, 0) again",
			KATA_SYM(k, proc_join)(&p, 0), 0);
}

static void t_life_status(struct kata_ctx *k)
{
	struct proc p;
	uint64_t t0;

	ch_init(k);
	kata_concept(k, "waitpid()'s status says how a child ended: "
		     "WIFEXITED/WEXITSTATUS or WIFSIGNALED/WTERMSIG; and a "
		     "child that has ended stays a zombie until reaped");
	start(k, &p, f_segv, NULL, 0);
	join(k, &p, -1, ch_ms(k, 3000), 0);
	expect_end(k, "a child killed by SIGSEGV", &p, -1, SIGSEGV);
	start(k, &p, f_return, (void *)(intptr_t)300, 0);
	join(k, &p, -1, ch_ms(k, 3000), 0);
	expect_end(k, "a child whose fn returned 300 (300 & 0xff is 44)", &p,
		   44, 0);
	start(k, &p, f_return, NULL, 0);
	t0 = timing_now_ns();
	while (alive(k, &p) == 1)
		KATA_REQUIRE(k, timing_ms_since(t0) < ch_ms(k, 2000),
			     "proc_is_alive still says 1 after %d ms for a "
			     "child that returned at once: a zombie still "
			     "exists for kill(pid, 0); ask waitpid(pid, &st, "
			     "WNOHANG) instead", ch_ms(k, 2000));
	expect_end(k, "after proc_is_alive returned 0", &p, 0, 0);
}

static double terminate(struct kata_ctx *k, struct proc *p, int grace,
			int limit, const char *hint)
{
	struct call c = { .fn = call_terminate, .what = "proc_terminate",
			  .p = p, .ms = grace };
	double el = ch_run(k, &c, limit, hint);

	kata_expect_int(k, "proc_terminate", c.r, 0);
	return el;
}

static void t_terminate_polite(struct kata_ctx *k)
{
	int grace = ch_ms(k, 1200), fds[2];
	struct proc p;

	ch_init(k);
	ch_pipe(k, fds);
	kata_concept(k, "SIGTERM asks; a child may catch it, clean up and "
		     "exit.  Wait for it with a timeout: do not sleep out "
		     "the grace period when it is already gone");
	start(k, &p, f_catch_term, &fds[1], 0);
	ch_ready(k, fds[0], "the child that catches SIGTERM");
	terminate(k, &p, grace, grace / 3, ": the child exits as soon as "
		  "SIGTERM arrives; wait for it, do not sleep(grace)");
	expect_end(k, "a child whose SIGTERM handler exits with status 3 "
		   "(SIGKILL too early robs it of its cleanup)", &p, 3, 0);
	start(k, &p, f_plain, &fds[1], 0);
	ch_ready(k, fds[0], "the child");
	terminate(k, &p, grace, grace / 3, ": the child dies of SIGTERM "
		  "at once; wait for it, do not sleep(grace)");
	expect_end(k, "a child that does not catch SIGTERM", &p, -1,
		   SIGTERM);
}

static void t_terminate_escalate(struct kata_ctx *k)
{
	int grace = 150, fds[2];
	struct proc p;
	double el;

	ch_init(k);
	ch_pipe(k, fds);
	kata_concept(k, "a child may ignore SIGTERM; after the grace period "
		     "SIGKILL, which nothing can catch or ignore, then reap");
	start(k, &p, f_ignore_term, &fds[1], 0);
	ch_ready(k, fds[0], "the child that ignores SIGTERM");
	el = terminate(k, &p, grace, grace + ch_ms(k, 500), ": the child "
		       "ignores SIGTERM, so after grace_ms send SIGKILL");
	KATA_REQUIRE(k, el >= grace * 0.9, "proc_terminate(p, %d) returned "
		     "after %.0f ms: the child deserved the whole grace "
		     "period before SIGKILL", grace, el);
	expect_end(k, "a child that ignores SIGTERM", &p, -1, SIGKILL);
}

static void t_terminate_ended(struct kata_ctx *k)
{
	struct proc p;

	ch_init(k);
	kata_concept(k, "a child that has ended keeps its pid as a zombie "
		     "until it is reaped: terminate only reaps it and keeps "
		     "its exit status; after that the pid is not yours");
	start(k, &p, f_return, (void *)(intptr_t)5, 0);
	KATA_REQUIRE(k, ch_wait_zombie(p.pid, ch_ms(k, 3000)), "the child "
		     "(pid %d) did not end: did proc_start _exit with fn's "
		     "result?", (int)p.pid);
	terminate(k, &p, 1000, ch_ms(k, 2000), ": the child had ended "
		  "already");
	expect_end(k, "terminating a child that had exited with status 5",
		   &p, 5, 0);
	terminate(k, &p, 1000, ch_ms(k, 2000), ": the child was reaped "
		  "already");
	expect_end(k, "terminating it a second time", &p, 5, 0);
}

struct middle {
	int (*start)(struct proc *, int (*)(void *), void *, int);
	int ready[2], out;
};

/* A parent that starts a daemon and a normal child, then ends. */
static void middle_main(void *arg)
{
	struct middle *m = arg;
	struct proc a, b;
	pid_t pids[2];
	char c[2];

	if (m->start(&a, f_plain, &m->ready[1], PROC_DAEMON) < 0 ||
	    m->start(&b, f_plain, &m->ready[1], 0) < 0)
		_exit(1);
	if (read(m->ready[0], c, 2) <= 0)
		_exit(2);
	pids[0] = a.pid;
	pids[1] = b.pid;
	if (write(m->out, pids, sizeof(pids)) != sizeof(pids))
		_exit(3);
}

static void t_life_daemon(struct kata_ctx *k)
{
	struct middle m = { .start = KATA_SYM(k, proc_start) };
	pid_t mid, pids[2];
	int out[2], st;

	ch_init(k);
	ch_pipe(k, m.ready);
	ch_pipe(k, out);
	m.out = out[1];
	kata_concept(k, "Process.daemon: a daemon child dies with its "
		     "parent.  In C the child asks the kernel for it: "
		     "prctl(PR_SET_PDEATHSIG, SIGKILL)");
	mid = ch_fork(k, middle_main, &m);
	st = ch_reap(k, mid, ch_ms(k, 3000));
	KATA_REQUIRE(k, WIFEXITED(st) && WEXITSTATUS(st) == 0, "a helper "
		     "process calling proc_start twice failed (status %#x)",
		     st);
	KATA_REQUIRE(k, net_wait_readable(out[0], 1000) == 1 &&
		     read(out[0], pids, sizeof(pids)) == sizeof(pids),
		     "grader: the helper sent no pids");
	KATA_REQUIRE(k, ch_wait_dead(pids[0], ch_ms(k, 500)), "the "
		     "PROC_DAEMON child (pid %d) still runs %d ms after its "
		     "parent ended: in the child, prctl(PR_SET_PDEATHSIG, "
		     "SIGKILL)", (int)pids[0], ch_ms(k, 500));
	st = ch_state(pids[1]);
	kill(pids[1], SIGKILL);
	KATA_REQUIRE(k, st && st != 'Z', "the child started without "
		     "PROC_DAEMON died with its parent: only daemons may");
}

/* ---- the table ----------------------------------------------------------- */

static const struct kata_test tests[] = {
	{ "map_basic", "proc_map runs the notes' x * 2 in forked children "
	  "and reaps them", t_map_basic, 0, 1, NULL },
	{ "map_order", "proc_map returns results in input order, not "
	  "completion order", t_map_order, 0, 1, "map_basic" },
	{ "map_edges", "no more children than inputs; 0 inputs; -EINVAL",
	  t_map_edges, 0, 1, "map_basic" },
	{ "map_crash", "a crashing or exiting child is reported per input, "
	  "not a hang", t_map_crash, 0, 1, "map_basic" },
	{ "map_no_leaks", "many proc_map calls leave no descriptor and no "
	  "zombie", t_map_no_leaks, 0, 1, "map_basic" },
	{ "ticket_buy", "ticket_buy sells tickets 3, 2, 1, then sold out",
	  t_ticket_buy, 0, 1, NULL },
	{ "ticket_bad_file", "a missing or malformed ticket file is an "
	  "error, left unchanged", t_ticket_bad_file, 0, 1, "ticket_buy" },
	{ "ticket_lock", "ticket_buy waits for the flock another holder "
	  "has", t_ticket_lock, 0, 1, "ticket_buy" },
	{ "ticket_race", "buyer processes never oversell: every ticket "
	  "sold exactly once", t_ticket_race, 0, 1, "ticket_buy" },
	{ "ticket_sale", "ticket_sale forks buyers, counts by buyer, reaps "
	  "them", t_ticket_sale, 0, 1, "ticket_buy" },
	{ "counter_shared", "the counter lives in memory a child shares",
	  t_counter_shared, 0, 1, NULL },
	{ "counter_lock", "counter_add waits for a lock held by another "
	  "process", t_counter_lock, 0, 1, "counter_shared" },
	{ "counter_many", "many processes adding lose no update",
	  t_counter_many, 0, 1, "counter_shared" },
	{ "life_join", "proc_start, proc_is_alive, proc_join with a "
	  "timeout", t_life_join, 0, 1, NULL },
	{ "life_status", "exit statuses and signals are reported; no "
	  "zombies", t_life_status, 0, 1, "life_join" },
	{ "terminate_polite", "proc_terminate lets a child handle SIGTERM, "
	  "without waiting the grace out", t_terminate_polite, 0, 1,
	  "life_join" },
	{ "terminate_escalate", "proc_terminate sends SIGKILL after the "
	  "grace period", t_terminate_escalate, 0, 1, "life_join" },
	{ "terminate_ended", "proc_terminate of an ended child only reaps "
	  "it", t_terminate_ended, 0, 1, "life_join" },
	{ "life_daemon", "a PROC_DAEMON child dies with its parent; others "
	  "do not", t_life_daemon, 0, 1, "life_join" },
	{ "ticket_held", "ticket_buy holds the lock until it has written",
	  t_ticket_held, 0, 1, "ticket_lock" },
	{ 0 }
};

KATA_GRADER(.kata = "processes",
	    .title = "Processes: fork, pipes, and locks across processes",
	    .topic = "multiprocessing: Process, join, daemon, terminate, "
		     "Pool.map, Value + Lock, ticket selling "
		     "(多进程, 进程间通信)",
	    .order = 65,
	    .tests = tests);
