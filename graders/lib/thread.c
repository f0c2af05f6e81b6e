/*
 * thread.c: named grader threads and thread inspection (see thread.h).
 */
#define _GNU_SOURCE
#include "thread.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "timing.h"

int thread_start(pthread_t *t, const char *name, void *(*fn)(void *),
		 void *arg)
{
	char comm[16];
	int r = pthread_create(t, NULL, fn, arg);

	if (r)
		return -r;
	snprintf(comm, sizeof(comm), "g:%s", name);
	pthread_setname_np(*t, comm);
	return 0;
}

int thread_join_timeout(pthread_t t, int timeout_ms, void **ret)
{
	struct timespec ts;
	int r;

	timing_realtime_deadline(&ts, timeout_ms);
	r = pthread_timedjoin_np(t, ret, &ts);
	return -r;
}

int thread_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int thread_count(void)
{
	return thread_count_entries("/proc/self/task");
}

pid_t thread_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (!(f = fopen(path, "re")))
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

int thread_wait_sleeping(pid_t tid, int timeout_ms)
{
	uint64_t start = timing_now_ns();

	while (timing_ms_since(start) < timeout_ms) {
		if (task_state(tid) == 'S')
			return 0;
		timing_sleep_ms(1);
	}
	return -ETIMEDOUT;
}
