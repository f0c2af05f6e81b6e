/*
 * play.c: what `runner play` modes share (see play.h).
 */
#define _GNU_SOURCE
#include "play.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	(void)sig;
	if (write(stop_pipe[1], "x", 1) < 0)
		_exit(1);
}

int play_stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (pipe2(stop_pipe, O_CLOEXEC) < 0) {
		fprintf(stderr, "cannot make a pipe: %s\n", strerror(errno));
		return -1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return stop_pipe[0];
}

int play_socket(struct kata_ctx *k, int type, long port,
		struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int s, one = 1;

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, kata_listen(k), &a->sin_addr) != 1) {
		fprintf(stderr, "--listen wants an IPv4 address, not %s\n",
			kata_listen(k));
		return -1;
	}
	s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    (type == SOCK_STREAM && listen(s, 16) < 0) ||
	    getsockname(s, (struct sockaddr *)a, &len) < 0) {
		fprintf(stderr, "cannot use %s port %ld: %s\n",
			kata_listen(k), port, strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}
