/*
 * udp_chat.c (grader): the group-chat relay server and the client.
 *
 * The server tests run chat_serve() in a grader thread on a bound loopback
 * socket, with a pipe as its stop descriptor, and play its members from
 * many grader sockets, each connected to the server.  The server handles
 * one datagram at a time and loopback keeps order, so "the next datagram a
 * member receives" is deterministic: a WHO round trip proves that nothing
 * else (an echo, a stray relay) was sent to it before.  The client tests
 * play the server and feed chat_client() through pipes.
 *
 * Entry point: the kata_grader descriptor at the end (the test table).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <kata/grader.h>
#include "udp_chat.h"
#include "digest.h"
#include "net.h"
#include "thread.h"
#include "timing.h"

#define REPLY_MS 2000	/* a reply later than this (scaled) never comes */
#define PROMPT_MS 500	/* "promptly": allowed beyond the same-run reference */
#define BUF 8192

/* The learner's function running in a grader thread (one per process). */
struct subject {
	pthread_t t;
	bool started, eof;
	atomic_bool done;
	int r;
	int sock, stop[2], in[2], out[2];
	uint16_t port;
	int peer;			/* client tests: the grader's server */
	int (*serve)(int, int);
	int (*client)(int, int, int);
};

static struct subject srv, cli;

static int scaled(struct kata_ctx *k, int ms)
{
	return (int)(ms * kata_scale(k));
}

/* A datagram shown readably: quoted, escaped, cut after 60 bytes. */
static const char *q(const void *buf, size_t n)
{
	static char out[4][320];
	static int turn;
	char *o = out[turn++ % 4], *p = o;
	const unsigned char *s = buf;

	*p++ = '"';
	for (size_t i = 0; i < n && i < 60; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			*p++ = (char)s[i];
		else
			p += sprintf(p, "\\x%02x", s[i]);
	p += sprintf(p, "\"");
	if (n > 60)
		sprintf(p, "... (%zu bytes)", n);
	return o;
}

static const char *stub_note(int r)
{
	return r == -ENOSYS ? " (-ENOSYS: still the stub; see the TODO in "
			      "katas/udp_chat/udp_chat.c)" : "";
}

/* Fails at once when the learner's function returned too early. */
static void check_alive(struct kata_ctx *k)
{
	if (srv.started && atomic_load(&srv.done))
		kata_fail(k, "chat_serve returned %s before its stop "
			  "descriptor became readable: it must serve until "
			  "then%s", kata_strres(srv.r), stub_note(srv.r));
	if (cli.started && !cli.eof && atomic_load(&cli.done))
		kata_fail(k, "chat_client returned %s before the end of its "
			  "input: it must keep sending lines and showing "
			  "datagrams until then%s", kata_strres(cli.r),
			  stub_note(cli.r));
}

static void send_dg(struct kata_ctx *k, int fd, const void *buf, size_t n)
{
	if (send(fd, buf, n, 0) < 0)
		kata_fail(k, "grader send of %s: %s", q(buf, n),
			  strerror(errno));
}

/* The next datagram on fd (NUL-terminated in buf); fails after a while. */
static size_t recv_dg(struct kata_ctx *k, int fd, char *buf, const char *what)
{
	uint64_t t0 = timing_now_ns();
	int limit = scaled(k, REPLY_MS);
	ssize_t n;

	for (;;) {
		check_alive(k);
		if (net_wait_readable(fd, 10) > 0) {
			n = recv(fd, buf, BUF - 1, 0);
			if (n >= 0) {
				buf[n] = '\0';
				return (size_t)n;
			}
			if (errno != EINTR && errno != EAGAIN)
				kata_fail(k, "%s: recv: %s", what,
					  strerror(errno));
		} else if (fd == cli.peer && cli.eof &&
			   atomic_load(&cli.done) &&
			   net_wait_readable(fd, 0) == 0) {
			kata_fail(k, "%s: chat_client returned %s without "
				  "sending it", what, kata_strres(cli.r));
		}
		if (timing_ms_since(t0) > limit)
			kata_fail(k, "%s: no datagram came within %d ms",
				  what, limit);
	}
}

/* The next datagram on fd must be want[0..wn). */
static void expect_dg(struct kata_ctx *k, int fd, const void *want,
		      size_t wn, const char *what)
{
	char buf[BUF];
	size_t n = recv_dg(k, fd, buf, what);

	if (n != wn || memcmp(buf, want, n))
		kata_fail(k, "%s: expected %s, got %s", what, q(want, wn),
			  q(buf, n));
}

/* The next datagram on fd must be want, the reply to cmd[0..cn). */
static void reply_is(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		     const char *want)
{
	char what[400];

	snprintf(what, sizeof(what), "reply to %s", q(cmd, cn));
	expect_dg(k, fd, want, strlen(want), what);
}

/* Sends cmd[0..cn) and requires the reply want. */
static void expect_n(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		     const char *want)
{
	send_dg(k, fd, cmd, cn);
	reply_is(k, fd, cmd, cn, want);
}

static void expect(struct kata_ctx *k, int fd, const char *cmd,
		   const char *want)
{
	expect_n(k, fd, cmd, strlen(cmd), want);
}

/* Sorts the space-separated words of s in place. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_words(char *s)
{
	char copy[BUF], *w[BUF / 2], *save = NULL, *t;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", s);
	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	qsort(w, n, sizeof(*w), cmp_str);
	*s = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(s + strlen(s), "%s%s", i ? " " : "", w[i]);
}

/*
 * Sends WHO from fd; the next datagram must be MEMBERS with exactly the
 * nicks in want (space-separated, any order).  Also proves that nothing
 * else was pending for fd.
 */
static void who_is(struct kata_ctx *k, int fd, const char *want)
{
	char got[BUF], w[BUF];
	size_t n;

	send_dg(k, fd, "WHO", 3);
	n = recv_dg(k, fd, got, "reply to \"WHO\"");
	if (strncmp(got, CHAT_MEMBERS, 7) || (n > 7 && got[7] != ' '))
		kata_fail(k, "reply to \"WHO\": expected \"MEMBERS ...\", got "
			  "%s (a datagram this socket should not have had)",
			  q(got, n));
	snprintf(w, sizeof(w), "%s", want);
	sort_words(w);
	sort_words(got + 7);
	if (strcmp(got + 7, w))
		kata_fail(k, "WHO: expected members {%s}, got {%s}", w,
			  got + 7);
}

/*
 * Sends cmd from fd, proves with a WHO from witness (in a room of members
 * room) that nothing was relayed to it, then requires the reply want.
 */
static void refused(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		    const char *want, int witness, const char *room)
{
	send_dg(k, fd, cmd, cn);
	who_is(k, witness, room);
	reply_is(k, fd, cmd, cn, want);
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

/* A grader socket connected to the server. */
static int peer(struct kata_ctx *k)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint16_t port;
	int fd = net_udp_bind(&port);

	if (fd < 0)
		kata_fail(k, "grader socket: %s", kata_strres(fd));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(srv.port);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		kata_fail(k, "grader connect: %s", strerror(errno));
	return fd;
}

/* A grader socket that joined as nick. */
static int member(struct kata_ctx *k, const char *nick)
{
	char cmd[128];
	int fd = peer(k);

	snprintf(cmd, sizeof(cmd), "JOIN %s", nick);
	expect(k, fd, cmd, CHAT_OK);
	return fd;
}

/* Starts chat_serve() and proves that it answers WHO in an empty room. */
static void server_start(struct kata_ctx *k)
{
	srv.serve = KATA_SYM(k, chat_serve);
	srv.sock = net_udp_bind(&srv.port);
	if (srv.sock < 0 || pipe2(srv.stop, O_CLOEXEC) < 0)
		kata_fail(k, "grader setup: %s", strerror(errno));
	if (thread_start(&srv.t, "server", server_main, &srv))
		kata_fail(k, "grader could not start a thread");
	srv.started = true;
	who_is(k, peer(k), "");
}

/* ---- server tests ------------------------------------------------------ */

static void t_who(struct kata_ctx *k)
{
	int a;

	kata_concept(k, "a UDP server has no connections: a member is just "
		     "the sender address it remembered from a JOIN");
	server_start(k);
	a = member(k, "alice");
	member(k, "bob");
	member(k, "小明");
	who_is(k, a, "alice bob 小明");
	who_is(k, peer(k), "alice bob 小明");
}

static void t_relay(struct kata_ctx *k)
{
	const char *say = "MSG 你好 ☃", *heard = "小明: 你好 ☃";
	int a, b, c;

	kata_concept(k, "the relay loop sends to every member except the "
		     "sender; the seed's server sent each message back to "
		     "its author too");
	server_start(k);
	a = member(k, "alice");
	b = member(k, "bob");
	c = member(k, "小明");
	send_dg(k, a, "MSG hello, world", 16);
	expect_dg(k, b, "alice: hello, world", 19, "bob's next datagram");
	expect_dg(k, c, "alice: hello, world", 19, "小明's next datagram");
	who_is(k, a, "alice bob 小明");
	send_dg(k, c, say, strlen(say));
	expect_dg(k, a, heard, strlen(heard), "alice's next datagram");
	expect_dg(k, b, heard, strlen(heard), "bob's next datagram");
	who_is(k, c, "alice bob 小明");
	send_dg(k, b, "MSG", 3);
	expect_dg(k, a, "bob: ", 5, "alice's next datagram (after \"MSG\")");
	who_is(k, b, "alice bob 小明");
}

static void t_not_joined(struct kata_ctx *k)
{
	int a, b, x;

	kata_concept(k, "only members may speak: look the sender's address "
		     "up before relaying (the seed relayed anyone's datagram)");
	server_start(k);
	a = member(k, "alice");
	b = member(k, "bob");
	x = peer(k);
	refused(k, x, "MSG let me in", 13, "ERR " CHAT_ERR_NOT_JOINED, a,
		"alice bob");
	refused(k, x, "MSG", 3, "ERR " CHAT_ERR_NOT_JOINED, b, "alice bob");
	expect(k, x, "LEAVE", "ERR " CHAT_ERR_NOT_JOINED);
	who_is(k, a, "alice bob");
	send_dg(k, a, "MSG members only", 16);
	expect_dg(k, b, "alice: members only", 19, "bob's next datagram");
}

static void t_duplicate(struct kata_ctx *k)
{
	int a, x;

	kata_concept(k, "nicks are unique, and one address is one member");
	server_start(k);
	a = member(k, "alice");
	x = peer(k);
	expect(k, x, "JOIN alice", "ERR " CHAT_ERR_TAKEN);
	expect(k, x, "MSG am I in?", "ERR " CHAT_ERR_NOT_JOINED);
	expect(k, a, "JOIN bob", "ERR " CHAT_ERR_ALREADY);
	expect(k, a, "JOIN alice", "ERR " CHAT_ERR_ALREADY);
	who_is(k, x, "alice");
	expect(k, x, "JOIN bob", CHAT_OK);
	who_is(k, a, "alice bob");
}

static void t_nick(struct kata_ctx *k)
{
	static const char *bad[] = { "JOIN", "JOIN ", "JOIN a b", "JOIN a\tb",
		"JOIN a\x7f", "JOIN 123456789012345678901234567890123",
		"JOIN 好好好好好好好好好好好", NULL };
	char want[BUF];

	kata_concept(k, "a nick is 1 to %d BYTES (not characters) with no "
		     "space or control byte", CHAT_MAX_NICK);
	server_start(k);
	member(k, "12345678901234567890123456789012");
	member(k, "好好好好好好好好好好");
	member(k, "x");
	for (int i = 0; bad[i]; i++)
		expect(k, peer(k), bad[i], "ERR " CHAT_ERR_BAD_NICK);
	snprintf(want, sizeof(want), "%s", "x 好好好好好好好好好好 "
		 "12345678901234567890123456789012");
	who_is(k, peer(k), want);
}

/* A MSG datagram of exactly n bytes: "MSG " and a pattern. */
static size_t long_msg(char *buf, size_t n)
{
	memcpy(buf, "MSG ", 4);
	for (size_t i = 4; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	return n;
}

static void t_size(struct kata_ctx *k)
{
	static char cmd[3 * CHAT_MAX_DATAGRAM], want[BUF];
	const char *nick = "abcdefghijklmnopqrstuvwxyz012345";
	const char *room = "bob abcdefghijklmnopqrstuvwxyz012345";
	int a, b;

	kata_concept(k, "a datagram arrives whole or not at all: receive it "
		     "into a buffer LARGER than %d bytes, or the kernel "
		     "silently cuts a longer one to fit", CHAT_MAX_DATAGRAM);
	server_start(k);
	a = member(k, nick);
	b = member(k, "bob");
	long_msg(cmd, CHAT_MAX_DATAGRAM);
	send_dg(k, a, cmd, CHAT_MAX_DATAGRAM);
	snprintf(want, sizeof(want), "%s: %.*s", nick, CHAT_MAX_DATAGRAM - 4,
		 cmd + 4);
	expect_dg(k, b, want, strlen(want),
		  "bob's next datagram (a 1024-byte MSG relayed whole)");
	refused(k, a, cmd, long_msg(cmd, CHAT_MAX_DATAGRAM + 1),
		"ERR " CHAT_ERR_TOO_LONG, b, room);
	refused(k, a, cmd, long_msg(cmd, sizeof(cmd)),
		"ERR " CHAT_ERR_TOO_LONG, b, room);
	memcpy(cmd, "JOIN ", 5);
	expect_n(k, peer(k), cmd, CHAT_MAX_DATAGRAM + 1,
		 "ERR " CHAT_ERR_TOO_LONG);
	who_is(k, a, room);
}

static void t_utf8(struct kata_ctx *k)
{
	static const char *bad[] = { "MSG \xff", "MSG \x80", "MSG \xc0\xaf",
		"MSG \xe0\x80\xaf", "MSG \xed\xa0\x80", "MSG \xf4\x90\x80\x80",
		"MSG ok \xe4\xbd", "MSG \xe4\xbd ok", "JOIN \xfe", NULL };
	int a, b;

	kata_concept(k, "bytes from the network are not text until checked: "
		     "reject invalid UTF-8 (stray, overlong, surrogate, "
		     "truncated sequences) before using it");
	server_start(k);
	a = member(k, "alice");
	b = member(k, "bob");
	send_dg(k, a, "MSG 😀 é 你", strlen("MSG 😀 é 你"));
	expect_dg(k, b, "alice: 😀 é 你", strlen("alice: 😀 é 你"),
		  "bob's next datagram (valid UTF-8)");
	for (int i = 0; bad[i]; i++)
		refused(k, a, bad[i], strlen(bad[i]), "ERR " CHAT_ERR_BAD_UTF8,
			b, "alice bob");
}

static void t_unknown(struct kata_ctx *k)
{
	static const char *bad[] = { "HELLO", "join bob", "MSGhi", "WHO now",
		"LEAVE!", " WHO", "JOINbob", NULL };
	int a, x;

	kata_concept(k, "every datagram gets an answer: an unknown command "
		     "is an error reply, not silence or a crash");
	server_start(k);
	a = member(k, "alice");
	x = peer(k);
	expect_n(k, x, "", 0, "ERR " CHAT_ERR_UNKNOWN);
	for (int i = 0; bad[i]; i++) {
		expect(k, x, bad[i], "ERR " CHAT_ERR_UNKNOWN);
		expect(k, a, bad[i], "ERR " CHAT_ERR_UNKNOWN);
	}
	who_is(k, x, "alice");
}

static void t_full(struct kata_ctx *k)
{
	static int fd[CHAT_MAX_MEMBERS];
	char nick[16];
	int x;

	kata_concept(k, "a fixed table of %d members needs a bounds check",
		     CHAT_MAX_MEMBERS);
	server_start(k);
	for (int i = 0; i < CHAT_MAX_MEMBERS; i++) {
		snprintf(nick, sizeof(nick), "m%02d", i);
		fd[i] = member(k, nick);
	}
	x = peer(k);
	expect(k, x, "JOIN late", "ERR " CHAT_ERR_FULL);
	expect(k, fd[7], "LEAVE", CHAT_OK);
	expect(k, x, "JOIN late", CHAT_OK);
	expect(k, peer(k), "JOIN later", "ERR " CHAT_ERR_FULL);
}

/* Churn: a seeded walk of joins, leaves and messages over a few sockets. */
struct seat {
	int fd;
	bool in;
	char nick[8];
};

static void room_list(const struct seat *s, int n, char *out)
{
	*out = '\0';
	for (int i = 0; i < n; i++)
		if (s[i].in)
			sprintf(out + strlen(out), "%s ", s[i].nick);
}

static bool nick_used(const struct seat *s, int n, const char *nick)
{
	for (int i = 0; i < n; i++)
		if (s[i].in && !strcmp(s[i].nick, nick))
			return true;
	return false;
}

static void churn_step(struct kata_ctx *k, struct seat *s, int n, int i,
		       struct rng *g, int step)
{
	char cmd[64], want[64], what[64];

	if (s[i].in && rng_below(g, 3) == 0) {
		expect(k, s[i].fd, "LEAVE", CHAT_OK);
		s[i].in = false;
		room_list(s, n, cmd);
		who_is(k, s[i].fd, cmd);
	} else if (s[i].in) {
		snprintf(cmd, sizeof(cmd), "MSG step %d", step);
		snprintf(want, sizeof(want), "%s: step %d", s[i].nick, step);
		send_dg(k, s[i].fd, cmd, strlen(cmd));
		for (int j = 0; j < n; j++) {
			if (j == i || !s[j].in)
				continue;
			snprintf(what, sizeof(what), "%s's next datagram",
				 s[j].nick);
			expect_dg(k, s[j].fd, want, strlen(want), what);
		}
	} else if (rng_below(g, 4) == 0) {
		expect(k, s[i].fd, "MSG hi", "ERR " CHAT_ERR_NOT_JOINED);
	} else {
		int nick = (int)rng_below(g, 10);

		snprintf(cmd, sizeof(cmd), "JOIN n%d", nick);
		if (nick_used(s, n, cmd + 5)) {
			expect(k, s[i].fd, cmd, "ERR " CHAT_ERR_TAKEN);
			return;
		}
		expect(k, s[i].fd, cmd, CHAT_OK);
		snprintf(s[i].nick, sizeof(s[i].nick), "n%d", nick);
		s[i].in = true;
	}
}

static void t_churn(struct kata_ctx *k)
{
	int steps = (int)kata_param(k, "steps", 400, 80);
	struct seat s[8] = { 0 };
	char list[256];
	struct rng g;

	kata_concept(k, "LEAVE must remove exactly the leaving member: a "
		     "left address gets no more relays and a freed nick can be "
		     "taken again");
	server_start(k);
	rng_seed(&g, kata_seed(k));
	for (int i = 0; i < 8; i++)
		s[i].fd = peer(k);
	for (int step = 0; step < steps; step++) {
		churn_step(k, s, 8, (int)rng_below(&g, 8), &g, step);
		room_list(s, 8, list);
		if (step % 8 == 7)
			who_is(k, s[rng_below(&g, 8)].fd, list);
	}
	room_list(s, 8, list);
	for (int i = 0; i < 8; i++)
		who_is(k, s[i].fd, list);
}

/* Many members: paced rounds in which every member speaks once. */
static void many_round(struct kata_ctx *k, const int *fd, int n, int round,
		       struct rng *g)
{
	static char want[CHAT_MAX_MEMBERS][80];
	char cmd[64], buf[BUF], what[64];
	int from;

	for (int i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "MSG r%d-%016llx", round,
			 (unsigned long long)rng_next(g));
		snprintf(want[i], sizeof(want[i]), "m%02d: %s", i, cmd + 4);
		send_dg(k, fd[i], cmd, strlen(cmd));
	}
	for (int j = 0; j < n; j++) {
		bool seen[CHAT_MAX_MEMBERS] = { false };

		snprintf(what, sizeof(what), "m%02d, round %d", j, round);
		for (int c = 0; c < n - 1; c++) {
			size_t len = recv_dg(k, fd[j], buf, what);

			if (sscanf(buf, "m%2d: ", &from) != 1 || from < 0 ||
			    from >= n || strcmp(buf, want[from]))
				kata_fail(k, "%s: got %s, which nobody sent "
					  "this round", what, q(buf, len));
			if (from == j)
				kata_fail(k, "%s: got its own message back "
					  "(an echo)", what);
			if (seen[from])
				kata_fail(k, "%s: got %s twice", what,
					  q(buf, len));
			seen[from] = true;
		}
	}
}

static void t_many(struct kata_ctx *k)
{
	int n = (int)kata_param(k, "members", 50, 12);
	int rounds = (int)kata_param(k, "messages", 20, 5);
	static int fd[CHAT_MAX_MEMBERS];
	char nick[16], all[BUF] = "";
	struct rng g;
	uint64_t t0;

	kata_concept(k, "every message reaches every other member exactly "
		     "once: one sendto() per member, the sender skipped");
	n = n < 2 ? 2 : n > CHAT_MAX_MEMBERS ? CHAT_MAX_MEMBERS : n;
	server_start(k);
	for (int i = 0; i < n; i++) {
		snprintf(nick, sizeof(nick), "m%02d", i);
		fd[i] = member(k, nick);
		sprintf(all + strlen(all), "%s ", nick);
	}
	rng_seed(&g, kata_seed(k));
	t0 = timing_now_ns();
	for (int r = 0; r < rounds && r < 10000; r++)
		many_round(k, fd, n, r, &g);
	kata_note(k, "%d members x %d messages: %d deliveries in %.0f ms",
		  n, rounds, n * (n - 1) * rounds, timing_ms_since(t0));
	for (int i = 0; i < n; i++)
		who_is(k, fd[i], all);
}

/* Garbage: seeded hostile datagrams; each gets an ERR, nothing changes. */
static bool known_err(const char *buf, size_t n)
{
	static const char *tok[] = { CHAT_ERR_TOO_LONG, CHAT_ERR_BAD_UTF8,
		CHAT_ERR_UNKNOWN, CHAT_ERR_BAD_NICK, CHAT_ERR_ALREADY,
		CHAT_ERR_TAKEN, CHAT_ERR_FULL, CHAT_ERR_NOT_JOINED, NULL };

	for (int i = 0; tok[i]; i++)
		if (n == 4 + strlen(tok[i]) && !memcmp(buf, "ERR ", 4) &&
		    !memcmp(buf + 4, tok[i], n - 4))
			return true;
	return false;
}

/* Fills buf with garbage; true when it is a member's bad-UTF-8 MSG. */
static bool garbage(struct rng *g, char *buf, size_t *n)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
	unsigned kind = (unsigned)rng_below(g, 4);

	*n = (size_t)rng_below(g, kind == 2 ? 60 : kind ? 1000 : 1200) + 1;
	rng_fill(g, buf, *n);
	if (kind == 1 || kind == 2) {
		size_t h = kind == 1 ? 4 : 5;

		memmove(buf + h, buf, *n);
		memcpy(buf, kind == 1 ? "MSG " : "JOIN ", h);
		buf[h + rng_below(g, *n)] = (char)0xff;
		*n += h;
	} else if (kind == 3) {
		for (size_t i = 0; i < *n; i++)
			buf[i] = word[(unsigned char)buf[i] % 37];
	}
	return kind == 1;
}

static void t_garbage(struct kata_ctx *k)
{
	int count = (int)kata_param(k, "garbage", 600, 120);
	char buf[2 * CHAT_MAX_DATAGRAM], got[BUF], ping[32];
	int a, b, x;
	struct rng g;
	size_t n, m;

	kata_concept(k, "whatever arrives, the server answers ERR and goes "
		     "on: check length and encoding before parsing");
	server_start(k);
	a = member(k, "alice");
	b = member(k, "bob");
	x = peer(k);
	rng_seed(&g, kata_seed(k));
	for (int i = 0; i < count; i++) {
		bool mine = garbage(&g, buf, &n);

		send_dg(k, mine ? a : x, buf, n);
		m = recv_dg(k, mine ? a : x, got, "reply to garbage");
		if (mine ? strcmp(got, "ERR " CHAT_ERR_BAD_UTF8) :
			   !known_err(got, m))
			kata_fail(k, "reply to garbage %s: expected %s, got %s",
				  q(buf, n), mine ? "\"ERR bad-utf8\"" :
				  "\"ERR <reason>\"", q(got, m));
		if (i % 25 == 24) {
			snprintf(ping, sizeof(ping), "MSG ping %d", i);
			send_dg(k, a, ping, strlen(ping));
			snprintf(ping, sizeof(ping), "alice: ping %d", i);
			expect_dg(k, b, ping, strlen(ping), "bob's next");
		}
	}
	who_is(k, x, "alice bob");
	who_is(k, b, "alice bob");
}

/* ---- stopping ------------------------------------------------------------ */

static void *idle_main(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The reference: how long an idle poll() in a thread takes to wake. */
static double idle_wake_ms(struct kata_ctx *k)
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

/* After a learner's function returned: no thread of it may be left. */
static void threads_back(struct kata_ctx *k, int base, const char *fn)
{
	uint64_t t0 = timing_now_ns();

	while (thread_count() > base && timing_ms_since(t0) < scaled(k, 500))
		timing_sleep_ms(5);
	if (thread_count() > base)
		kata_fail(k, "threads after %s returned: expected %d, got %d "
			  "(a thread it started is still running; join it "
			  "before returning)", fn, base, thread_count());
}

static void t_stop(struct kata_ctx *k)
{
	int base = thread_count(), limit, a, b, r;
	double ref = idle_wake_ms(k);
	uint64_t t0;

	kata_concept(k, "a server blocked in recvfrom() notices nothing "
		     "else: wait on the socket and the stop descriptor "
		     "together (poll)");
	server_start(k);
	a = member(k, "alice");
	b = member(k, "bob");
	send_dg(k, a, "MSG bye", 7);
	expect_dg(k, b, "alice: bye", 10, "bob's next datagram");
	timing_sleep_ms(50);
	limit = (int)ref + scaled(k, PROMPT_MS);
	t0 = timing_now_ns();
	if (write(srv.stop[1], "x", 1) != 1)
		kata_fail(k, "grader write to the stop pipe failed");
	r = thread_join_timeout(srv.t, limit, NULL);
	if (r == -ETIMEDOUT)
		kata_fail(k, "stop: chat_serve still running %d ms after its "
			  "stop descriptor became readable, with no datagram "
			  "arriving (an idle poll() woke in %.2f ms here)",
			  limit, ref);
	srv.started = false;
	kata_note(k, "stopped in %.2f ms; an idle poll() woke in %.2f ms",
		  timing_ms_since(t0), ref);
	kata_expect_int(k, "chat_serve result after stop", srv.r, 0);
	threads_back(k, base, "chat_serve");
}

/* ---- the client ---------------------------------------------------------- */

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

/* Starts chat_client() with the grader as its server (cli.peer). */
static void client_start(struct kata_ctx *k)
{
	uint16_t sp, cp;

	cli.client = KATA_SYM(k, chat_client);
	cli.peer = net_udp_bind(&sp);
	cli.sock = net_udp_bind(&cp);
	if (cli.peer < 0 || cli.sock < 0 || pipe2(cli.in, O_CLOEXEC) < 0 ||
	    pipe2(cli.out, O_CLOEXEC) < 0)
		kata_fail(k, "grader setup: %s", strerror(errno));
	connect_to(k, cli.peer, cp);
	connect_to(k, cli.sock, sp);
	if (thread_start(&cli.t, "client", client_main, &cli))
		kata_fail(k, "grader could not start a thread");
	cli.started = true;
}

static void type(struct kata_ctx *k, const char *s)
{
	if (write(cli.in[1], s, strlen(s)) != (ssize_t)strlen(s))
		kata_fail(k, "grader write to the input pipe failed");
}

static void end_input(void)
{
	cli.eof = true;
	close(cli.in[1]);
}

/* The output must show want[0..n) within limit ms; else fail with why. */
static void expect_out(struct kata_ctx *k, const char *want, size_t n,
		       int limit, const char *why)
{
	static char buf[BUF];
	uint64_t t0 = timing_now_ns();
	size_t got = 0;
	ssize_t m;

	while (got < n) {
		check_alive(k);
		if (net_wait_readable(cli.out[0], 10) > 0 &&
		    (m = read(cli.out[0], buf + got, n - got)) > 0)
			got += (size_t)m;
		else if (timing_ms_since(t0) > limit)
			kata_fail(k, "output: expected %s within %d ms, got %s"
				  "%s", q(want, n), limit, q(buf, got), why);
	}
	if (memcmp(buf, want, n))
		kata_fail(k, "output: expected %s, got %s", q(want, n),
			  q(buf, n));
}

static void t_client_sends(struct kata_ctx *k)
{
	kata_concept(k, "one line of input is one datagram: collect bytes "
		     "up to '\\n' (a read() may return part of a line, or "
		     "several)");
	client_start(k);
	type(k, "JOIN alice\n");
	expect_dg(k, cli.peer, "JOIN alice", 10, "datagram for \"JOIN alice\"");
	type(k, "MSG hel");
	timing_sleep_ms(30);
	type(k, "lo\nWHO\n\n");
	expect_dg(k, cli.peer, "MSG hello", 9, "datagram for \"MSG hel\" "
		  "then \"lo\\n\"");
	expect_dg(k, cli.peer, "WHO", 3, "datagram for \"WHO\"");
	type(k, "MSG 你好\nLEAVE");
	expect_dg(k, cli.peer, "MSG 你好", strlen("MSG 你好"),
		  "datagram for \"MSG 你好\"");
	end_input();
	expect_dg(k, cli.peer, "LEAVE", 5, "datagram for the last line "
		  "\"LEAVE\" (no newline, then end of input; an empty line "
		  "must not be sent)");
}

static void t_client_shows(struct kata_ctx *k)
{
	static char big[3010];
	size_t n = long_msg(big, 3000);
	double ref;

	kata_concept(k, "the seed's input() blocked the display: a client "
		     "must read the socket while input is silent (a thread, "
		     "or poll() on both)");
	ref = idle_wake_ms(k);
	client_start(k);
	timing_sleep_ms(30);
	send_dg(k, cli.peer, "alice: hi", 9);
	expect_out(k, "alice: hi\n", 10, (int)ref + scaled(k, PROMPT_MS),
		   " (a datagram arrived while the input was silent: a "
		   "client that reads the socket only after a line of "
		   "input never shows it)");
	send_dg(k, cli.peer, big, n);
	send_dg(k, cli.peer, "bob: yo", 7);
	memcpy(big + n, "\nbob: yo\n", 9);
	expect_out(k, big, n + 9, scaled(k, REPLY_MS), " (a 3000-byte "
		   "datagram, then a short one; receive into a buffer of "
		   "CHAT_MAX_REPLY bytes)");
	type(k, "MSG still here\n");
	expect_dg(k, cli.peer, "MSG still here", 14, "datagram for a line "
		  "typed after the display");
}

static void t_client_stops(struct kata_ctx *k)
{
	int base = thread_count(), limit, r;
	double ref = idle_wake_ms(k);
	uint64_t t0;

	kata_concept(k, "at end of input the client returns, and a receiving "
		     "thread blocked in recv() must be woken and joined first");
	client_start(k);
	type(k, "MSG hi\n");
	expect_dg(k, cli.peer, "MSG hi", 6, "datagram for \"MSG hi\"");
	send_dg(k, cli.peer, "bob: hi", 7);
	expect_out(k, "bob: hi\n", 8, scaled(k, REPLY_MS), "");
	timing_sleep_ms(30);
	limit = (int)ref + scaled(k, PROMPT_MS);
	end_input();
	t0 = timing_now_ns();
	r = thread_join_timeout(cli.t, limit, NULL);
	if (r == -ETIMEDOUT)
		kata_fail(k, "end of input: chat_client still running %d ms "
			  "after its input ended (an idle poll() woke in "
			  "%.2f ms here)", limit, ref);
	kata_note(k, "returned %.2f ms after end of input",
		  timing_ms_since(t0));
	kata_expect_int(k, "chat_client result at end of input", cli.r, 0);
	threads_back(k, base, "chat_client");
}

static const struct kata_test tests[] = {
	{ "who", "JOIN adds members; WHO lists them to anyone",
	  t_who, 0, 1, NULL },
	{ "relay", "a MSG reaches every other member as \"nick: text\", "
	  "never its sender", t_relay, 0, 2, "who" },
	{ "not_joined", "MSG and LEAVE from a non-member: ERR not-joined, "
	  "nothing relayed", t_not_joined, 0, 1, "who" },
	{ "duplicate", "a taken nick or a second JOIN: ERR, nothing changes",
	  t_duplicate, 0, 1, "who" },
	{ "nick", "nicks of 1 to 32 bytes, no spaces: the rest get "
	  "ERR bad-nick", t_nick, 0, 1, "who" },
	{ "size", "a 1024-byte command works; a longer one gets ERR too-long",
	  t_size, 0, 1, "relay" },
	{ "utf8", "invalid UTF-8 gets ERR bad-utf8 and is not relayed",
	  t_utf8, 0, 1, "relay" },
	{ "unknown", "unknown commands get ERR unknown-command",
	  t_unknown, 0, 1, "who" },
	{ "full", "the 65th member gets ERR full; a LEAVE makes room",
	  t_full, 0, 1, "who" },
	{ "churn", "seeded joins, leaves and messages keep the room right",
	  t_churn, 0, 2, "relay" },
	{ "many", "50 members x 20 messages: each delivered exactly once "
	  "to every other member", t_many, 20000, 2, "relay" },
	{ "garbage", "seeded garbage datagrams get ERR; the server goes on",
	  t_garbage, 0, 2, "who" },
	{ "stop", "the server stops promptly when told, with no datagram "
	  "arriving, leaving no thread", t_stop, 0, 2, "who" },
	{ "client_sends", "each input line is sent as one datagram",
	  t_client_sends, 0, 1, NULL },
	{ "client_shows", "a datagram is shown while the input is silent",
	  t_client_shows, 0, 2, NULL },
	{ "client_stops", "at end of input the client returns 0 promptly, "
	  "leaving no thread", t_client_stops, 0, 1, "client_sends" },
	{ 0 }
};

/* ---- runner play udp_chat server|client -------------------------------- */

/*
 * `runner play udp_chat server [--port P]` hosts the learner's relay on a
 * UDP port of kata_listen(k) (127.0.0.1 unless --listen); Ctrl-C or
 * SIGTERM tells it to stop through its stop descriptor, as the tests do.
 * `runner play udp_chat client HOST PORT` runs the learner's client on the
 * terminal.  Each returns the exit status (2: wrong arguments).
 */
#include <netdb.h>
#include <signal.h>

static int play_stop[2] = { -1, -1 };

static void play_on_signal(int sig)
{
	(void)sig;
	if (write(play_stop[1], "x", 1) < 0)
		_exit(1);
}

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

/* A UDP socket bound to kata_listen(k):port, its address in *a; or -1. */
static int play_bind(struct kata_ctx *k, long port, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int s;

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, kata_listen(k), &a->sin_addr) != 1) {
		fprintf(stderr, "--listen wants an IPv4 address, not %s\n",
			kata_listen(k));
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(s, (struct sockaddr *)a, &len) < 0) {
		fprintf(stderr, "cannot bind %s:%ld: %s\n", kata_listen(k),
			port, strerror(errno));
		return -1;
	}
	return s;
}

static int play_server(struct kata_ctx *k, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = play_on_signal };
	struct sockaddr_in a;
	long port = play_port(argc, argv);
	int s, r;

	if (port < 0)
		return 2;
	if ((s = play_bind(k, port, &a)) < 0 ||
	    pipe2(play_stop, O_CLOEXEC) < 0)
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("udp_chat relay on %s port %u; Ctrl-C stops it.\n"
	       "Talk to it: runner play udp_chat client %s %u (or nc -u)\n",
	       kata_listen(k), ntohs(a.sin_port), kata_listen(k),
	       ntohs(a.sin_port));
	fflush(stdout);
	r = KATA_SYM(k, chat_serve)(s, play_stop[0]);
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

static const struct kata_play play[] = {
	{ "server", "[--port P]", "host your relay (port 0: any free one)",
	  play_server },
	{ "client", "HOST PORT", "chat through a relay from this terminal",
	  play_client },
	{ 0 }
};

KATA_GRADER(.kata = "udp_chat",
	    .title = "A group chat over UDP: relay server and client",
	    .topic = "UDP datagrams, a relay to every known address, and a "
		     "receiver beside blocking input",
	    .order = 20,
	    .tests = tests,
	    .play = play);
