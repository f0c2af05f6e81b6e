/*
 * play.c (udp_chat grader): `runner play udp_chat server|client`, the
 * learner's relay and client run by hand outside the tests.
 *
 * `runner play udp_chat server [--port P]` hosts the learner's relay on a
 * UDP port of kata_listen(k) (127.0.0.1 unless --listen); Ctrl-C or
 * SIGTERM tells it to stop through its stop descriptor, as the tests do.
 * `runner play udp_chat client HOST PORT` runs the learner's client on the
 * terminal.  Each returns the exit status (2: wrong arguments).  Entry
 * point: play_modes, the table of modes.
 */
#define _GNU_SOURCE
#include "udp_chat_grader.h"
#include "play.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The port of `--port P` in argv, 0 without one; -1 when malformed. */
static long play_port(int argc, char **argv)
{
	char *end;
	long port;

	if (argc == 1)
		return 0;
	if (argc != 3 || strcmp(argv[1], "--port"))
		return -1;
	port = strtol(argv[2], &end, 10);
	return *end || end == argv[2] || port < 0 || port > 65535 ? -1 : port;
}

static int play_server(struct kata_ctx *k, int argc, char **argv)
{
	struct sockaddr_in a;
	long port = play_port(argc, argv);
	int s, stop, r;

	if (port < 0)
		return 2;
	if ((s = play_socket(k, SOCK_DGRAM, port, &a)) < 0 ||
	    (stop = play_stop_on_signals()) < 0)
		return 1;
	printf("udp_chat relay on %s port %u; Ctrl-C stops it.\n"
	       "Talk to it: runner play udp_chat client %s %u (or nc -u)\n",
	       kata_listen(k), ntohs(a.sin_port), kata_listen(k),
	       ntohs(a.sin_port));
	fflush(stdout);
	r = KATA_SYM(k, chat_serve)(s, stop);
	printf("chat_serve returned %s\n", kata_strres(r));
	close(s);
	return r < 0 ? 1 : 0;
}

static int play_client(struct kata_ctx *k, int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_DGRAM }, *ai;
	int s, r;

	if (argc != 3)
		return 2;
	if ((r = getaddrinfo(argv[1], argv[2], &hints, &ai)) != 0) {
		fprintf(stderr, "%s port %s: %s\n", argv[1], argv[2],
			gai_strerror(r));
		return 1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0 ? -errno : 0;
	freeaddrinfo(ai);
	if (r < 0) {
		fprintf(stderr, "cannot reach %s: %s\n", argv[1],
			strerror(-r));
		return 1;
	}
	fprintf(stderr, "Type JOIN <nick> first, then MSG <text>, WHO, LEAVE; "
		"Ctrl-D ends.\n");
	r = KATA_SYM(k, chat_client)(s, 0, 1);
	if (r < 0)
		fprintf(stderr, "chat_client returned %s\n", kata_strres(r));
	close(s);
	return r < 0 ? 1 : 0;
}

const struct kata_play play_modes[] = {
	{ "server", "[--port P]", "host your relay (port 0: any free one)",
	  play_server },
	{ "client", "HOST PORT", "chat through a relay from this terminal",
	  play_client },
	{ 0 }
};
