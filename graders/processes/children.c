/*
 * children.c (processes grader): watching the test's own children, and
 * calling the learner's code with a deadline.
 *
 * Children of the test process are read from /proc/<pid>/stat (field 4,
 * the parent's pid): after a learner function returns, none may be left,
 * neither a zombie (ended, never waited for) nor one still running.  Each
 * learner call that can block runs in a grader thread, so a hang becomes
 * a failed check with a sentence instead of the test's deadline: ch_map
 * calls proc_map that way, ch_expect_result checks one of its results.
 * Entry points: see proc_grader.h.
 */
#define _GNU_SOURCE
#include "proc_grader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

static pid_t test_pid;
static atomic_int *guard_told;	/* shared: only the first child tells */

void ch_init(struct kata_ctx *k)
{
	test_pid = getpid();
	guard_told = mmap(NULL, sizeof(*guard_told), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (guard_told == MAP_FAILED)
		kata_fail(k, "grader: mmap: %s", kata_strres(-errno));
}

void ch_guard(struct kata_ctx *k, const char *fn)
{
	if (getpid() == test_pid)
		return;
	if (atomic_exchange(guard_told, 1))
		_exit(0);
	kata_fail(k, "a child process (pid %d) returned from %s into the "
		  "caller's code: a child must end with _exit() when its "
		  "work is done", (int)getpid(), fn);
}

char ch_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the name may hold spaces and ')' */
	return p && p[1] == ' ' ? p[2] : 0;
}

static pid_t ppid_of(const char *pid)
{
	char path[300], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && strlen(p) > 4 ? (pid_t)atoi(p + 4) : -1;
}

/* The children of this process: up to max pids; returns how many. */
static int ch_list(pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (isdigit((unsigned char)e->d_name[0]) &&
		    ppid_of(e->d_name) == getpid())
			pids[n++] = (pid_t)atoi(e->d_name);
	closedir(d);
	return n;
}

void ch_expect_none(struct kata_ctx *k, const char *after)
{
	pid_t pids[8];
	char msg[600];
	int n = ch_list(pids, 8), len = 0;

	if (n == 0)
		return;
	for (int i = 0; i < n && len < 480; i++) {
		char s = ch_state(pids[i]);

		len += snprintf(msg + len, sizeof(msg) - (size_t)len,
				"%s pid %d %s", i ? ";" : "", (int)pids[i],
				s == 'Z' ? "is a zombie (it ended, but nobody "
				"waitpid()ed for it)" : "is still running");
	}
	kata_fail(k, "%s, %d child process%s left:%s.  Every child must be "
		  "reaped with waitpid() before the function returns", after,
		  n, n > 1 ? "es are" : " is", msg);
}

/* ---- calls with a deadline ---------------------------------------------- */

void call_map(struct call *c)
{
	c->r = KATA_SYM(c->k, proc_map)(c->map_fn, c->in, c->n, c->nproc,
					 c->out);
}

void call_buy(struct call *c)
{
	c->r = KATA_SYM(c->k, ticket_buy)(c->path, c->think);
}

void call_sale(struct call *c)
{
	c->r = KATA_SYM(c->k, ticket_sale)(c->path, c->buyers, c->think,
					    c->bought);
}

void call_add(struct call *c)
{
	c->r = KATA_SYM(c->k, counter_add)(c->ctr, c->delta);
}

void call_alive(struct call *c)
{
	c->r = KATA_SYM(c->k, proc_is_alive)(c->p);
}

void call_join(struct call *c)
{
	c->r = KATA_SYM(c->k, proc_join)(c->p, c->ms);
}

void call_terminate(struct call *c)
{
	c->r = KATA_SYM(c->k, proc_terminate)(c->p, c->ms);
}

static void *call_body(void *arg)
{
	struct call *c = arg;

	__atomic_store_n(&c->tid, thread_tid(), __ATOMIC_SEQ_CST);
	c->fn(c);
	ch_guard(c->k, c->what);
	atomic_store(&c->done, true);
	return NULL;
}

int ch_ms(struct kata_ctx *k, double ms)
{
	return (int)(ms * kata_scale(k));
}

void ch_start(struct kata_ctx *k, struct call *c)
{
	int r;

	c->k = k;
	c->tid = 0;
	atomic_store(&c->done, false);
	r = thread_start(&c->thread, "call", call_body, c);
	if (r < 0)
		kata_fail(k, "grader: cannot start a thread: %s",
			  kata_strres(r));
	for (int i = 0; i < 2000 && !__atomic_load_n(&c->tid, __ATOMIC_SEQ_CST);
	     i++)
		timing_sleep_ms(1);
}

void ch_finish(struct kata_ctx *k, struct call *c, int limit_ms,
	       const char *hint)
{
	int r = thread_join_timeout(c->thread, limit_ms, NULL);

	if (r == -ETIMEDOUT)
		kata_fail(k, "%s did not return within %d ms%s", c->what,
			  limit_ms, hint ? hint : "");
	if (r < 0)
		kata_fail(k, "grader: joining a thread: %s", kata_strres(r));
}

bool ch_wait_blocked(struct call *c, int limit_ms)
{
	uint64_t t0 = timing_now_ns();

	do {
		if (atomic_load(&c->done))
			return false;
		if (ch_state(c->tid) == 'S') {
			timing_sleep_ms(20);	/* still asleep, not done? */
			return !atomic_load(&c->done);
		}
		timing_sleep_ms(1);
	} while (timing_ms_since(t0) < limit_ms);
	return false;
}

double ch_run(struct kata_ctx *k, struct call *c, int limit_ms,
	      const char *hint)
{
	uint64_t t0 = timing_now_ns();

	ch_start(k, c);
	ch_finish(k, c, limit_ms, hint);
	return timing_ms_since(t0);
}

/* ---- the grader's own children ------------------------------------------ */

pid_t ch_fork(struct kata_ctx *k, void (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		kata_fail(k, "grader: fork: %s", kata_strres(-errno));
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

int ch_reap(struct kata_ctx *k, pid_t pid, int limit_ms)
{
	uint64_t t0 = timing_now_ns();
	int st = 0;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (timing_ms_since(t0) > limit_ms)
			kata_fail(k, "a helper process of the grader (pid %d) "
				  "did not end within %d ms: it is stuck in "
				  "your code (a lock never released?)",
				  (int)pid, limit_ms);
		timing_sleep_ms(1);
	}
	return st;
}

static bool wait_state(pid_t pid, bool zombie_only, int limit_ms)
{
	uint64_t t0 = timing_now_ns();

	do {
		char s = ch_state(pid);

		if (s == 'Z' || s == 'X' || (!s && !zombie_only))
			return true;
		timing_sleep_ms(1);
	} while (timing_ms_since(t0) < limit_ms);
	return false;
}

bool ch_wait_dead(pid_t pid, int limit_ms)
{
	return wait_state(pid, false, limit_ms);
}

bool ch_wait_zombie(pid_t pid, int limit_ms)
{
	return wait_state(pid, true, limit_ms);
}

void ch_ready(struct kata_ctx *k, int fd, const char *who)
{
	char b;
	int r = net_wait_readable(fd, ch_ms(k, 3000));

	if (r <= 0 || read(fd, &b, 1) != 1)
		kata_fail(k, "%s never said it was ready (within %d ms): did "
			  "proc_start run fn(arg) in the child?", who,
			  ch_ms(k, 3000));
}

void ch_pipe(struct kata_ctx *k, int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		kata_fail(k, "grader: pipe: %s", kata_strres(-errno));
}

/* ---- proc_map, with a deadline ----------------------------------------- */

static const char *hang_map = ": it reads each pipe until end-of-file, "
	"which comes only when every write end is closed.  Close the write "
	"end in the parent right after fork() (and in later children)";

static void nothing(void *arg)
{
	(void)arg;
}

/* The time the grader itself needs to fork and reap n children. */
static double fork_ref_ms(struct kata_ctx *k, unsigned n)
{
	uint64_t t0 = timing_now_ns();
	pid_t pids[PROC_MAX_WORKERS];

	for (unsigned i = 0; i < n; i++)
		pids[i] = ch_fork(k, nothing, NULL);
	for (unsigned i = 0; i < n; i++)
		ch_reap(k, pids[i], ch_ms(k, 5000));
	return timing_ms_since(t0);
}

long ch_map(struct kata_ctx *k, long (*fn)(long), const long *in,
		    size_t n, unsigned nproc, struct proc_result *out)
{
	struct call c = { .fn = call_map, .what = "proc_map", .map_fn = fn,
			  .in = in, .n = n, .nproc = nproc, .out = out };
	double ref = fork_ref_ms(k, nproc < 16 ? nproc : 16);

	ch_run(k, &c, ch_ms(k, 800 + 50 * ref + (double)n / 10), hang_map);
	return c.r;
}

static const char *result_str(int state, int code, long value)
{
	static char b[2][96];
	static int i;

	i ^= 1;
	if (state == PROC_OK)
		snprintf(b[i], sizeof(b[i]), "{PROC_OK, value %ld}", value);
	else if (state == PROC_SIGNALED)
		snprintf(b[i], sizeof(b[i]), "{PROC_SIGNALED, SIG%s}",
			 sigabbrev_np(code) ? sigabbrev_np(code) : "?");
	else if (state == PROC_EXITED)
		snprintf(b[i], sizeof(b[i]), "{PROC_EXITED, status %d}", code);
	else
		snprintf(b[i], sizeof(b[i]), "{state %d?, code %d}", state,
			 code);
	return b[i];
}

void ch_expect_result(struct kata_ctx *k, const char *what,
		       const struct proc_result *out, size_t i, int state,
		       int code, long value)
{
	const struct proc_result *o = &out[i];

	if (o->state != state || o->code != code ||
	    (state == PROC_OK && o->value != value))
		kata_fail(k, "%s: out[%zu]: expected %s, got %s", what, i,
			  result_str(state, code, value),
			  result_str(o->state, o->code, o->value));
}
