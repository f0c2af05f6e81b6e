/*
 * subject.c (udp_chat grader): the learner's functions as the tests run
 * them.
 *
 * subj_server_start runs chat_serve() in a grader thread on a bound
 * loopback socket, with a pipe as its stop descriptor; subj_peer and
 * subj_member are the grader sockets that play its members.
 * subj_client_start runs chat_client() with a grader socket as its server
 * and pipes as its input (subj_type, subj_wait_read, subj_end_input) and
 * output (subj_expect_out).  subj_alive fails a test as soon as either
 * returned too early; subj_idle_wake_ms and subj_threads_back are the
 * yardsticks of the stop tests.
 */
#define _GNU_SOURCE
#include "udp_chat_grader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

struct subject subj_srv, subj_cli;

static const char *stub_note(int r)
{
	return r == -ENOSYS ? " (-ENOSYS: still the stub; see the TODO in "
			      "katas/udp_chat/udp_chat.c)" : "";
}

void subj_alive(struct kata_ctx *k)
{
	if (subj_srv.started && atomic_load(&subj_srv.done))
		kata_fail(k, "chat_serve returned %s before its stop "
			  "descriptor became readable: it must serve until "
			  "then%s", kata_strres(subj_srv.r),
			  stub_note(subj_srv.r));
	if (subj_cli.started && !subj_cli.eof && atomic_load(&subj_cli.done))
		kata_fail(k, "chat_client returned %s before the end of its "
			  "input: it must keep sending lines and showing "
			  "datagrams until then%s", kata_strres(subj_cli.r),
			  stub_note(subj_cli.r));
}

/* ---- the server under test --------------------------------------------- */

/*
 * The thread runs the learner's code, so it drops its "g:" name: a hang is
 * then diagnosed as the learner's (threads it starts inherit the name).
 */
static void *server_main(void *arg)
{
	struct subject *s = arg;

	pthread_setname_np(pthread_self(), "chat_serve");
	s->r = s->serve(s->sock, s->stop[0]);
	atomic_store(&s->done, true);
	return NULL;
}

int subj_peer(struct kata_ctx *k)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint16_t port;
	int fd = net_udp_bind(&port);

	if (fd < 0)
		kata_fail(k, "grader socket: %s", kata_strres(fd));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(subj_srv.port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		kata_fail(k, "grader connect: %s", strerror(errno));
	return fd;
}

int subj_member(struct kata_ctx *k, const char *nick)
{
	char cmd[128];
	int fd = subj_peer(k);

	snprintf(cmd, sizeof(cmd), "JOIN %s", nick);
	dg_expect_reply(k, fd, cmd, CHAT_OK);
	return fd;
}

void subj_server_start(struct kata_ctx *k)
{
	subj_srv.serve = KATA_SYM(k, chat_serve);
	subj_srv.sock = net_udp_bind(&subj_srv.port);
	if (subj_srv.sock < 0 || pipe2(subj_srv.stop, O_CLOEXEC) < 0)
		kata_fail(k, "grader setup: %s", strerror(errno));
	if (thread_start(&subj_srv.t, "server", server_main, &subj_srv))
		kata_fail(k, "grader could not start a thread");
	subj_srv.started = true;
	dg_who_is(k, subj_peer(k), "");
}

/* ---- the client under test --------------------------------------------- */

static void *client_main(void *arg)
{
	struct subject *c = arg;

	pthread_setname_np(pthread_self(), "chat_client");	/* see above */
	c->r = c->client(c->sock, c->in[0], c->out[1]);
	atomic_store(&c->done, true);
	return NULL;
}

static void connect_to(struct kata_ctx *k, int fd, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		kata_fail(k, "grader connect: %s", strerror(errno));
}

int subj_client_start(struct kata_ctx *k)
{
	uint16_t sp, cp;

	subj_cli.client = KATA_SYM(k, chat_client);
	subj_cli.peer = net_udp_bind(&sp);
	subj_cli.sock = net_udp_bind(&cp);
	if (subj_cli.peer < 0 || subj_cli.sock < 0 ||
	    pipe2(subj_cli.in, O_CLOEXEC) < 0 ||
	    pipe2(subj_cli.out, O_CLOEXEC) < 0)
		kata_fail(k, "grader setup: %s", strerror(errno));
	connect_to(k, subj_cli.peer, cp);
	connect_to(k, subj_cli.sock, sp);
	if (thread_start(&subj_cli.t, "client", client_main, &subj_cli))
		kata_fail(k, "grader could not start a thread");
	subj_cli.started = true;
	return subj_cli.peer;
}

void subj_type(struct kata_ctx *k, const char *s)
{
	if (write(subj_cli.in[1], s, strlen(s)) != (ssize_t)strlen(s))
		kata_fail(k, "grader write to the input pipe failed");
}

void subj_wait_read(struct kata_ctx *k)
{
	uint64_t t0 = timing_now_ns();
	int q = 1;

	while (ioctl(subj_cli.in[0], FIONREAD, &q) == 0 && q > 0) {
		subj_alive(k);
		if (timing_ms_since(t0) > scaled(k, REPLY_MS))
			kata_fail(k, "input: expected chat_client to read "
				  "what was typed, but %d bytes stayed unread "
				  "for %d ms", q, scaled(k, REPLY_MS));
		timing_sleep_ms(1);
	}
}

void subj_end_input(void)
{
	subj_cli.eof = true;
	close(subj_cli.in[1]);
}

void subj_expect_out(struct kata_ctx *k, const char *want, size_t n,
		     int limit, const char *why)
{
	static char buf[BUF];
	uint64_t t0 = timing_now_ns();
	size_t got = 0;
	ssize_t m;

	while (got < n) {
		subj_alive(k);
		if (net_wait_readable(subj_cli.out[0], 10) > 0 &&
		    (m = read(subj_cli.out[0], buf + got, n - got)) > 0)
			got += (size_t)m;
		else if (timing_ms_since(t0) > limit)
			kata_fail(k, "output: expected %s within %d ms, got %s"
				  "%s", dg_show(want, n), limit,
				  dg_show(buf, got), why);
	}
	if (memcmp(buf, want, n))
		kata_fail(k, "output: expected %s, got %s", dg_show(want, n),
			  dg_show(buf, n));
}

/* ---- stopping ------------------------------------------------------------ */

static void *idle_main(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	return NULL;
}

double subj_idle_wake_ms(struct kata_ctx *k)
{
	int p[2];
	pthread_t t;
	uint64_t t0;
	double ms;

	if (pipe2(p, O_CLOEXEC) < 0 || thread_start(&t, "idle", idle_main,
						    &p[0]))
		kata_fail(k, "grader setup: %s", strerror(errno));
	timing_sleep_ms(20);
	t0 = timing_now_ns();
	if (write(p[1], "x", 1) != 1 || thread_join_timeout(t, 5000, NULL))
		kata_fail(k, "grader's idle thread did not wake");
	ms = timing_ms_since(t0);
	close(p[0]);
	close(p[1]);
	return ms;
}

void subj_threads_back(struct kata_ctx *k, int base, const char *fn)
{
	uint64_t t0 = timing_now_ns();

	while (thread_count() > base && timing_ms_since(t0) < scaled(k, 500))
		timing_sleep_ms(5);
	if (thread_count() > base)
		kata_fail(k, "threads after %s returned: expected %d, got %d "
			  "(a thread it started is still running; join it "
			  "before returning)", fn, base, thread_count());
}
