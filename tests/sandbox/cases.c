/*
 * cases.c: the misbehaving kata of the sandbox's own tests (cases.h).
 */
#define _GNU_SOURCE
#include "cases.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kata/plugin.h"

KATA_PLUGIN("sandbox");

void case_segv(void)
{
	volatile int *p = NULL;

	*p = 1;
}

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *other(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(&a);
	return NULL;
}

void case_deadlock(void)
{
	pthread_t t;

	pthread_barrier_init(&both, NULL, 2);
	pthread_create(&t, NULL, other, NULL);
	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(&b);
}

void case_spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}

void case_block_io(void)
{
	int sv[2];
	char c;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	recv(sv[0], &c, 1, 0);
}

int case_orphan(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		if (fork() > 0)
			_exit(0);
		prctl(PR_SET_NAME, "kata-orphan");
		for (;;)
			pause();
	}
	return pid;
}

void case_leak_fds(int n)
{
	int sv[2];

	for (int i = 0; i < n / 2; i++)
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

void case_flood(long bytes)
{
	static char line[1024];

	memset(line, 'x', sizeof(line) - 1);
	for (long done = 0; done < bytes; done += (long)sizeof(line))
		puts(line);
}

void case_sigpipe(void)
{
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	write(sv[0], "x", 1);
}

void case_exit(void)
{
	exit(3);
}
