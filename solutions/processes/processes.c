/*
 * processes.c (reference): processes and IPC, after the notes'
 * multiprocessing examples.
 *
 * Entry points: proc_map (fork, one pipe per child, poll, waitpid),
 * ticket_buy/ticket_sale (a counter in a file under flock(), buyers
 * reporting through a MAP_SHARED array), counter_* (a MAP_SHARED counter
 * with a PTHREAD_PROCESS_SHARED mutex) and proc_start/is_alive/join/
 * terminate.
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

/* ---- helpers ------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t m = write(fd, p, n);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		p += m;
		n -= (size_t)m;
	}
	return 0;
}

static pid_t wait_child(pid_t pid, int *status, int options)
{
	pid_t r;

	do
		r = waitpid(pid, status, options);
	while (r < 0 && errno == EINTR);
	return r;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- proc_map ----------------------------------------------------------- */

struct worker {
	pid_t pid;
	int fd;			/* read end; -1 after end-of-file */
	size_t got;		/* results received */
	size_t partial;		/* bytes of the next result received */
	unsigned char buf[sizeof(long)];
};

static _Noreturn void map_child(long (*fn)(long), const long *in, size_t n,
				size_t c, size_t w, int fd)
{
	for (size_t i = c; i < n; i += w) {
		long v = fn(in[i]);

		if (write_all(fd, &v, sizeof(v)) < 0)
			_exit(1);
	}
	_exit(0);
}

static void map_abort(struct worker *wk, size_t started)
{
	for (size_t c = 0; c < started; c++) {
		kill(wk[c].pid, SIGKILL);
		close(wk[c].fd);
		wait_child(wk[c].pid, NULL, 0);
	}
}

static int map_spawn(long (*fn)(long), const long *in, size_t n, size_t w,
		     struct worker *wk)
{
	for (size_t c = 0; c < w; c++) {
		int fds[2], r;

		if (pipe2(fds, O_CLOEXEC) < 0) {
			r = -errno;
			map_abort(wk, c);
			return r;
		}
		wk[c] = (struct worker){ .pid = fork(), .fd = fds[0] };
		if (wk[c].pid < 0) {
			r = -errno;
			close(fds[0]);
			close(fds[1]);
			map_abort(wk, c);
			return r;
		}
		if (wk[c].pid == 0) {
			for (size_t d = 0; d < c; d++)
				close(wk[d].fd);
			close(fds[0]);
			map_child(fn, in, n, c, w, fds[1]);
		}
		close(fds[1]);	/* else the parent never sees end-of-file */
	}
	return 0;
}

/* Reads what worker c sent; returns false at end-of-file. */
static bool map_read(struct worker *wk, size_t c, size_t w,
		     struct proc_result *out)
{
	unsigned char buf[512];
	ssize_t m = read(wk->fd, buf, sizeof(buf));

	if (m < 0)
		return errno == EINTR || errno == EAGAIN;
	for (ssize_t i = 0; i < m; i++) {
		wk->buf[wk->partial++] = buf[i];
		if (wk->partial < sizeof(long))
			continue;
		out[c + wk->got * w] = (struct proc_result){ PROC_OK, 0, 0 };
		memcpy(&out[c + wk->got * w].value, wk->buf, sizeof(long));
		wk->got++;
		wk->partial = 0;
	}
	return m > 0;
}

static void map_collect(struct worker *wk, size_t w, struct proc_result *out)
{
	struct pollfd pfd[PROC_MAX_WORKERS];
	size_t open = w;

	while (open > 0) {
		size_t np = 0, idx[PROC_MAX_WORKERS];

		for (size_t c = 0; c < w; c++)
			if (wk[c].fd >= 0) {
				pfd[np].fd = wk[c].fd;
				pfd[np].events = POLLIN;
				idx[np++] = c;
			}
		if (poll(pfd, np, -1) < 0)
			continue;	/* EINTR */
		for (size_t j = 0; j < np; j++) {
			size_t c = idx[j];

			if (!pfd[j].revents || map_read(&wk[c], c, w, out))
				continue;
			close(wk[c].fd);
			wk[c].fd = -1;
			open--;
		}
	}
}

/* Reaps worker c and marks its missing results; returns how many. */
static size_t map_reap(struct worker *wk, size_t c, size_t n, size_t w,
		       struct proc_result *out)
{
	int st = 0, state = PROC_EXITED, code;
	size_t bad = 0;

	wait_child(wk->pid, &st, 0);
	code = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		state = PROC_SIGNALED;
	for (size_t i = c + wk->got * w; i < n; i += w, bad++)
		out[i] = (struct proc_result){ state, code, 0 };
	return bad;
}

int proc_map(long (*fn)(long), const long *in, size_t n, unsigned nproc,
	     struct proc_result *out)
{
	struct worker wk[PROC_MAX_WORKERS];
	size_t w, bad = 0;
	int r;

	if (!fn || nproc == 0 || nproc > PROC_MAX_WORKERS ||
	    (n > 0 && (!in || !out)))
		return -EINVAL;
	if (n == 0)
		return 0;
	w = n < nproc ? n : nproc;
	r = map_spawn(fn, in, n, w, wk);
	if (r < 0)
		return r;
	map_collect(wk, w, out);
	for (size_t c = 0; c < w; c++)
		bad += map_reap(&wk[c], c, n, w, out);
	return (int)bad;
}

/* ---- the ticket office -------------------------------------------------- */

static int parse_count(const char *buf, ssize_t len)
{
	char want[64];
	int count, used = 0;

	if (len <= 0 || sscanf(buf, "{\"count\": %d}%n", &count, &used) != 1 ||
	    used == 0 || count < 0 || count > TICKET_MAX)
		return -EBADMSG;
	snprintf(want, sizeof(want), TICKET_FORMAT, count);
	if (strlen(want) != (size_t)len || memcmp(want, buf, (size_t)len))
		return -EBADMSG;
	return count;
}

static int buy_locked(int fd, unsigned think_us)
{
	char buf[64];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	int count, n;

	if (len < 0)
		return -errno;
	buf[len] = '\0';
	count = parse_count(buf, len);
	if (count <= 0)
		return count;
	sleep_us(think_us);
	n = snprintf(buf, sizeof(buf), TICKET_FORMAT, count - 1);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return count;
}

int ticket_buy(const char *path, unsigned think_us)
{
	int fd, r;

	if (!path)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	r = r < 0 ? -errno : buy_locked(fd, think_us);
	close(fd);		/* releases the lock */
	return r;
}

struct tally {
	unsigned bought[TICKET_MAX_BUYERS];
	int err[TICKET_MAX_BUYERS];
};

static _Noreturn void buyer(const char *path, unsigned think_us,
			    struct tally *t, unsigned i)
{
	int r;

	while ((r = ticket_buy(path, think_us)) > 0)
		t->bought[i]++;
	t->err[i] = r;
	_exit(0);
}

static int sale_wait(pid_t *pids, unsigned started, struct tally *t,
		     unsigned *bought, int r)
{
	int total = 0;

	for (unsigned i = 0; i < started; i++) {
		int st = 0;

		wait_child(pids[i], &st, 0);
		if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			r = -ECHILD;
		if (r == 0 && t->err[i] < 0)
			r = t->err[i];
		bought[i] = t->bought[i];
		total += (int)t->bought[i];
	}
	munmap(t, sizeof(*t));
	return r < 0 ? r : total;
}

int ticket_sale(const char *path, unsigned buyers, unsigned think_us,
		unsigned *bought)
{
	pid_t pids[TICKET_MAX_BUYERS];
	struct tally *t;
	unsigned i;
	int r = 0;

	if (!path || !bought || buyers == 0 || buyers > TICKET_MAX_BUYERS)
		return -EINVAL;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -errno;
	for (i = 0; i < buyers; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			r = -errno;
			break;
		}
		if (pids[i] == 0)
			buyer(path, think_us, t, i);
	}
	return sale_wait(pids, i, t, bought, r);
}

/* ---- the shared counter ------------------------------------------------- */

struct shared_counter *counter_create(long initial)
{
	pthread_mutexattr_t a;
	struct shared_counter *c;
	int r;

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	r = pthread_mutex_init(&c->lock, &a);
	pthread_mutexattr_destroy(&a);
	if (r != 0) {
		munmap(c, sizeof(*c));
		return NULL;
	}
	c->value = initial;
	return c;
}

int counter_add(struct shared_counter *c, long delta)
{
	int r = pthread_mutex_lock(&c->lock);

	if (r != 0)
		return -r;
	c->value += delta;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

long counter_get(struct shared_counter *c)
{
	long v;

	pthread_mutex_lock(&c->lock);
	v = c->value;
	pthread_mutex_unlock(&c->lock);
	return v;
}

void counter_destroy(struct shared_counter *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	munmap(c, sizeof(*c));
}

/* ---- one child process -------------------------------------------------- */

int proc_start(struct proc *p, int (*fn)(void *arg), void *arg, int flags)
{
	pid_t parent = getpid();

	if (!p || !fn || (flags & ~PROC_DAEMON))
		return -EINVAL;
	*p = (struct proc){ .pid = fork(), .exit_code = -1 };
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		if (flags & PROC_DAEMON) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)	/* it died already */
				_exit(1);
		}
		_exit(fn(arg) & 0xff);
	}
	return 0;
}

static void record(struct proc *p, int st)
{
	p->reaped = true;
	p->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	p->term_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

int proc_is_alive(struct proc *p)
{
	int st;
	pid_t r;

	if (!p || p->pid <= 0)
		return -EINVAL;
	if (p->reaped)
		return 0;
	r = wait_child(p->pid, &st, WNOHANG);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 1;
	record(p, st);
	return 0;
}

int proc_join(struct proc *p, int timeout_ms)
{
	struct timespec t0, now;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((r = proc_is_alive(p)) == 1) {
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 +
		     (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (timeout_ms >= 0 && ms >= timeout_ms)
			return -ETIMEDOUT;
		sleep_us(1000);
	}
	return r;
}

int proc_terminate(struct proc *p, int grace_ms)
{
	int r = proc_is_alive(p);

	if (r <= 0)
		return r;	/* gone already, or an error */
	kill(p->pid, SIGTERM);	/* not reaped yet: the pid is still ours */
	r = proc_join(p, grace_ms);
	if (r != -ETIMEDOUT)
		return r;
	kill(p->pid, SIGKILL);
	return proc_join(p, -1);
}
