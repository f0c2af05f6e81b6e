/*
 * diagnose.c: what a hung test's threads were doing, and what a fatal
 * signal means, in a learner's words.
 *
 * diagnose_hang() reads /proc/<pid>/task/<tid>/{comm,stat,syscall,wchan}
 * before the runner kills a test at its deadline; diagnose_signal() turns a
 * signal number into a sentence.  Threads named "g:..." belong to the
 * grader and are reported apart from the learner's.
 */
#define _GNU_SOURCE
#include "diagnose.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

struct call {
	long nr;
	const char *name;
	char kind;	/* l lock, i I/O, s sleep, c child, o other */
};

static const struct call calls[] = {
	{ SYS_futex, "futex", 'l' },
	{ SYS_read, "read", 'i' },
	{ SYS_write, "write", 'i' },
	{ SYS_recvfrom, "recvfrom", 'i' },
	{ SYS_recvmsg, "recvmsg", 'i' },
	{ SYS_sendto, "sendto", 'i' },
	{ SYS_sendmsg, "sendmsg", 'i' },
	{ SYS_accept, "accept", 'i' },
	{ SYS_accept4, "accept4", 'i' },
	{ SYS_connect, "connect", 'i' },
	{ SYS_ppoll, "ppoll", 'i' },
	{ SYS_pselect6, "pselect6", 'i' },
	{ SYS_epoll_pwait, "epoll_pwait", 'i' },
#ifdef SYS_poll
	{ SYS_poll, "poll", 'i' },
	{ SYS_select, "select", 'i' },
	{ SYS_epoll_wait, "epoll_wait", 'i' },
	{ SYS_pause, "pause", 's' },
#endif
	{ SYS_nanosleep, "nanosleep", 's' },
	{ SYS_clock_nanosleep, "clock_nanosleep", 's' },
	{ SYS_wait4, "wait4", 'c' },
	{ SYS_waitid, "waitid", 'c' },
	{ SYS_rt_sigsuspend, "rt_sigsuspend", 's' },
	{ SYS_rt_sigtimedwait, "rt_sigtimedwait", 's' },
	{ SYS_flock, "flock", 'l' },
	{ SYS_fcntl, "fcntl", 'l' },
	{ SYS_semop, "semop", 'l' },
	{ SYS_semtimedop, "semtimedop", 'l' },
	{ SYS_msgrcv, "msgrcv", 'i' },
	{ SYS_openat, "openat", 'i' },
};

static const struct call *call_of(long nr)
{
	static struct call unknown = { -1, "a system call", 'o' };

	for (size_t i = 0; i < sizeof(calls) / sizeof(*calls); i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return &unknown;
}

static void read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)n, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static const char *meaning(char kind)
{
	switch (kind) {
	case 'l': return "waiting for a lock or condition variable "
			 "(mutex/condvar wait)";
	case 'i': return "waiting for I/O that never came";
	case 's': return "sleeping";
	case 'c': return "waiting for a child process";
	case 'R': return "running: busy in a loop without blocking";
	default: return "blocked";
	}
}

struct tally {
	int learner, lock, io, running;
};

/* Where in the kernel a thread sleeps (/proc/.../wchan); static buffer. */
static const char *wchan(const char *dir, const char *tid)
{
	static char w[128];
	char path[320];

	snprintf(path, sizeof(path), "%s/%s/wchan", dir, tid);
	read_line(path, w, sizeof(w));
	return w[0] && strcmp(w, "0") ? w : "wait";
}

/* The place thread tid said it runs at, from where's lines; or NULL. */
static const char *place(const char *where, const char *tid)
{
	static char buf[256];
	size_t n = strlen(tid);

	for (const char *p = where; p && *p; p = strchr(p, '\n'),
	     p = p ? p + 1 : NULL)
		if (!strncmp(p, tid, n) && p[n] == '\t' && p[n + 1] != '\n') {
			snprintf(buf, sizeof(buf), "%.*s",
				 (int)strcspn(p + n + 1, "\n"), p + n + 1);
			return buf;
		}
	return NULL;
}

/* The state letter of /proc/.../task/tid/stat ('R' running), or '?'. */
static char state_of(const char *dir, const char *tid)
{
	char path[320], stat[512], *p;

	snprintf(path, sizeof(path), "%s/%s/stat", dir, tid);
	read_line(path, stat, sizeof(stat));
	return (p = strrchr(stat, ')')) && p[1] ? p[2] : '?';
}

static void one_thread(const char *dir, const char *tid, const char *where,
		       struct strbuf *out, struct tally *t)
{
	char path[320], comm[64], sys[256];
	char state = state_of(dir, tid);
	const char *at = place(where, tid);
	const struct call *c = NULL;
	bool grader;

	snprintf(path, sizeof(path), "%s/%s/comm", dir, tid);
	read_line(path, comm, sizeof(comm));
	snprintf(path, sizeof(path), "%s/%s/syscall", dir, tid);
	read_line(path, sys, sizeof(sys));
	if (state != 'R' && sys[0] && strcmp(sys, "running") && sys[0] != '-')
		c = call_of(strtol(sys, NULL, 10));
	grader = !strncmp(comm, KATA_GRADER_THREAD_PREFIX, 2);
	sb_printf(out, "  %s thread '%s' (tid %s): ", grader ? "grader" :
		  "your", comm, tid);
	if (state == 'R' && at)
		sb_printf(out, "running %s: busy in a loop without blocking\n",
			  at);
	else if (state == 'R')
		sb_printf(out, "%s\n", meaning('R'));
	else if (c && c->kind != 'o')
		sb_printf(out, "blocked in %s(), %s\n", c->name,
			  meaning(c->kind));
	else
		sb_printf(out, "blocked (in the kernel's %s)\n",
			  wchan(dir, tid));
	if (grader)
		return;
	t->learner++;
	t->lock += c && c->kind == 'l';
	t->io += c && c->kind == 'i';
	t->running += state == 'R';
}

static void verdict(const struct tally *t, struct strbuf *out)
{
	if (t->lock >= 2 && t->lock + t->io >= t->learner)
		sb_puts(out, "  This looks like a deadlock: your threads wait "
			"on locks that each other hold. Take locks in one "
			"global order, or never hold one while waiting for "
			"another.");
	else if (t->lock == 1)
		sb_puts(out, "  A thread waits on a lock nobody releases or a "
			"condition nobody signals: check every unlock path "
			"and that each state change signals.");
	else if (t->running)
		sb_puts(out, "  A thread is spinning: a loop whose exit "
			"condition never becomes true.");
	else if (t->io)
		sb_puts(out, "  Your code waits for data that never came: "
			"perhaps it expects more bytes than were sent, or "
			"waits without a timeout or a stop descriptor.");
}

int diagnose_running(pid_t pid, void (*fn)(void *arg, pid_t tid),
		     void *arg)
{
	char dir[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && state_of(dir, e->d_name) == 'R') {
			fn(arg, (pid_t)atoi(e->d_name));
			n++;
		}
	closedir(d);
	return n;
}

void diagnose_hang(pid_t pid, const char *where, struct strbuf *out)
{
	char dir[64];
	struct dirent *e;
	struct tally t = { 0 };
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	if (!(d = opendir(dir))) {
		sb_puts(out, "  (its threads could not be inspected)");
		return;
	}
	while ((e = readdir(d)) && n < 40) {
		if (e->d_name[0] == '.')
			continue;
		one_thread(dir, e->d_name, where, out, &t);
		n++;
	}
	closedir(d);
	verdict(&t, out);
}

const char *diagnose_signal(int sig)
{
	switch (sig) {
	case SIGSEGV: return "your code crashed with SIGSEGV (invalid memory "
		"access: a NULL or dangling pointer, or writing past a buffer)";
	case SIGBUS: return "your code crashed with SIGBUS (misaligned or "
		"unmapped memory access)";
	case SIGFPE: return "your code crashed with SIGFPE (division by "
		"zero)";
	case SIGILL: return "your code crashed with SIGILL (an illegal "
		"instruction: often a corrupted stack or function pointer)";
	case SIGABRT: return "your code aborted (SIGABRT): an assert() "
		"failed, or the C library found heap corruption such as a "
		"double free";
	case SIGPIPE: return "your code was killed by SIGPIPE: it wrote to a "
		"socket or pipe whose reader had closed. Send with "
		"MSG_NOSIGNAL (or ignore SIGPIPE) and handle -EPIPE";
	case SIGXCPU: return "your code used more CPU time than the test "
		"allows (SIGXCPU): a busy loop?";
	case SIGKILL: return "the test process was killed (SIGKILL), "
		"perhaps for using too much memory";
	default: return "the test process died of an unexpected signal";
	}
}
