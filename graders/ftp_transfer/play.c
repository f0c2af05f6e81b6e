/*
 * play.c (ftp_transfer grader): `runner play ftp_transfer server|client`,
 * the learner's server and client run by hand outside the tests.
 *
 * `runner play ftp_transfer server [--port P] [--root DIR]` serves DIR (the
 * current directory by default) with the learner's server on a TCP port of
 * kata_listen(k) (127.0.0.1 unless --listen); Ctrl-C or SIGTERM tells it
 * to stop through its stop descriptor, as the tests do.  `runner play
 * ftp_transfer client HOST PORT ls|get NAME|put FILE|rm NAME` runs one
 * request with the learner's client: get writes NAME in the current
 * directory, put uploads FILE under its base name.  Each returns the exit
 * status (2: wrong arguments).  Entry point: play_modes, the table of
 * modes.
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"
#include "play.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* The status tokens (ftp_status_name needs frames.c, not in a grader). */
static const char *const tokens[] = FTP_STATUS_TOKENS;

/* Reads --port P and --root DIR; false when argv holds anything else. */
static bool play_server_args(int argc, char **argv, long *port,
			     const char **root)
{
	char *end;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 == argc)
			return false;
		if (!strcmp(argv[i], "--root")) {
			*root = argv[i + 1];
			continue;
		}
		if (strcmp(argv[i], "--port"))
			return false;
		*port = strtol(argv[i + 1], &end, 10);
		if (*end || end == argv[i + 1] || *port < 0 || *port > 65535)
			return false;
	}
	return true;
}

static int play_server(struct kata_ctx *k, int argc, char **argv)
{
	struct sockaddr_in a;
	const char *root = ".";
	long port = 0;
	int s, dir, stop, r;

	if (!play_server_args(argc, argv, &port, &root))
		return 2;
	if ((dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "cannot open the folder %s: %s\n", root,
			strerror(errno));
		return 1;
	}
	if ((s = play_socket(k, SOCK_STREAM, port, &a)) < 0 ||
	    (stop = play_stop_on_signals()) < 0)
		return 1;
	printf("ftp_transfer server for %s on %s port %u; Ctrl-C stops it.\n"
	       "Try: runner play ftp_transfer client %s %u ls\n", root,
	       kata_listen(k), ntohs(a.sin_port), kata_listen(k),
	       ntohs(a.sin_port));
	fflush(stdout);
	r = KATA_SYM(k, ftp_serve)(s, dir, stop);
	printf("ftp_serve returned %s\n", kata_strres(r));
	return r < 0 ? 1 : 0;
}

static void play_show(void *arg, const char *name, uint64_t size)
{
	(void)arg;
	printf("%12llu  %s\n", (unsigned long long)size, name);
}

static int play_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_family = AF_INET,
				  .ai_socktype = SOCK_STREAM }, *ai;
	int s, r = getaddrinfo(host, port, &hints, &ai);

	if (r != 0) {
		fprintf(stderr, "%s port %s: %s\n", host, port,
			gai_strerror(r));
		return -1;
	}
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0 && connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "cannot connect to %s port %s: %s\n", host,
			port, strerror(errno));
		close(s);
		s = -1;
	}
	freeaddrinfo(ai);
	return s;
}

/* get NAME: into ./NAME, removed again unless the server said OK. */
static int play_get(struct kata_ctx *k, int s, const char *name)
{
	const char *here = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	uint64_t size = 0;
	int out, r;

	if (!*here || !strcmp(here, ".") || !strcmp(here, "..") ||
	    (out = open(here, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			0644)) < 0) {
		fprintf(stderr, "cannot create %s here: %s\n", here,
			*here ? strerror(errno) : "no name");
		return -EINVAL;
	}
	r = KATA_SYM(k, ftp_get)(s, name, out, &size);
	close(out);
	if (r != FTP_OK)
		unlink(here);
	else
		printf("%s: %llu bytes\n", here, (unsigned long long)size);
	return r;
}

/* put FILE: uploads it under its base name. */
static int play_put(struct kata_ctx *k, int s, const char *file)
{
	const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	struct stat st;
	int in = open(file, O_RDONLY | O_CLOEXEC), r;

	if (in < 0 || fstat(in, &st) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", file, strerror(errno));
		return -errno;
	}
	r = KATA_SYM(k, ftp_put)(s, name, in, (uint64_t)st.st_size);
	close(in);
	return r;
}

static int play_client(struct kata_ctx *k, int argc, char **argv)
{
	bool ls = argc == 4 && !strcmp(argv[3], "ls");
	int s, r;

	if (!ls && (argc != 5 || (strcmp(argv[3], "get") &&
				  strcmp(argv[3], "put") &&
				  strcmp(argv[3], "rm"))))
		return 2;
	if ((s = play_connect(argv[1], argv[2])) < 0)
		return 1;
	if (ls)
		r = KATA_SYM(k, ftp_list)(s, play_show, NULL);
	else if (!strcmp(argv[3], "get"))
		r = play_get(k, s, argv[4]);
	else if (!strcmp(argv[3], "put"))
		r = play_put(k, s, argv[4]);
	else
		r = KATA_SYM(k, ftp_delete)(s, argv[4]);
	close(s);
	printf("%s\n", r < 0 ? kata_strres(r) : r < FTP_NSTATUS ? tokens[r] :
	       "?");
	return r == FTP_OK ? 0 : 1;
}

const struct kata_play play_modes[] = {
	{ "server", "[--port P] [--root DIR]",
	  "serve DIR (default: here) with your server", play_server },
	{ "client", "HOST PORT ls|get NAME|put FILE|rm NAME",
	  "one request with your client", play_client },
	{ 0 }
};
