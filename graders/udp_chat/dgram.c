/*
 * dgram.c (udp_chat grader): datagrams as the grader's sockets send and
 * receive them, and the checks on what comes back.
 *
 * The server handles one datagram at a time and loopback keeps order, so
 * "the next datagram a member receives" is deterministic: dg_who_is (a WHO
 * round trip) proves that nothing else (an echo, a stray relay) was sent to
 * it before, and dg_refused uses a witness's WHO to prove that a refused
 * command was not relayed.  dg_send, dg_recv and dg_expect move single
 * datagrams; dg_expect_reply(_n) send a command and require its reply;
 * dg_show quotes a datagram for a message; dg_long_msg builds a long MSG.
 */
#define _GNU_SOURCE
#include "udp_chat_grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "timing.h"

const char *dg_show(const void *buf, size_t n)
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

void dg_send(struct kata_ctx *k, int fd, const void *buf, size_t n)
{
	if (send(fd, buf, n, 0) < 0)
		kata_fail(k, "grader send of %s: %s", dg_show(buf, n),
			  strerror(errno));
}

size_t dg_recv(struct kata_ctx *k, int fd, char *buf, const char *what)
{
	uint64_t t0 = timing_now_ns();
	int limit = scaled(k, REPLY_MS);
	ssize_t n;

	for (;;) {
		subj_alive(k);
		if (net_wait_readable(fd, 10) > 0) {
			n = recv(fd, buf, BUF - 1, 0);
			if (n >= 0) {
				buf[n] = '\0';
				return (size_t)n;
			}
			if (errno != EINTR && errno != EAGAIN)
				kata_fail(k, "%s: recv: %s", what,
					  strerror(errno));
		} else if (fd == subj_cli.peer && subj_cli.eof &&
			   atomic_load(&subj_cli.done) &&
			   net_wait_readable(fd, 0) == 0) {
			kata_fail(k, "%s: chat_client returned %s without "
				  "sending it", what, kata_strres(subj_cli.r));
		}
		if (timing_ms_since(t0) > limit)
			kata_fail(k, "%s: no datagram came within %d ms",
				  what, limit);
	}
}

void dg_expect(struct kata_ctx *k, int fd, const void *want, size_t wn,
	       const char *what)
{
	char buf[BUF];
	size_t n = dg_recv(k, fd, buf, what);

	if (n != wn || memcmp(buf, want, n))
		kata_fail(k, "%s: expected %s, got %s", what,
			  dg_show(want, wn), dg_show(buf, n));
}

/* The next datagram on fd must be want, the reply to cmd[0..cn). */
static void reply_is(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		     const char *want)
{
	char what[400];

	snprintf(what, sizeof(what), "reply to %s", dg_show(cmd, cn));
	dg_expect(k, fd, want, strlen(want), what);
}

void dg_expect_reply_n(struct kata_ctx *k, int fd, const void *cmd,
		       size_t cn, const char *want)
{
	dg_send(k, fd, cmd, cn);
	reply_is(k, fd, cmd, cn, want);
}

void dg_expect_reply(struct kata_ctx *k, int fd, const char *cmd,
		     const char *want)
{
	dg_expect_reply_n(k, fd, cmd, strlen(cmd), want);
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

void dg_who_is(struct kata_ctx *k, int fd, const char *want)
{
	char got[BUF], w[BUF];
	size_t n;

	dg_send(k, fd, "WHO", 3);
	n = dg_recv(k, fd, got, "reply to \"WHO\"");
	if (strncmp(got, CHAT_MEMBERS, 7) || (n > 7 && got[7] != ' '))
		kata_fail(k, "reply to \"WHO\": expected \"MEMBERS ...\", got "
			  "%s (a datagram this socket should not have had)",
			  dg_show(got, n));
	if (n > 7 && (got[n - 1] == ' ' || strstr(got, "  ")))
		kata_fail(k, "reply to \"WHO\": expected \"MEMBERS\" and one "
			  "\" <nick>\" per member, single spaces, none at the "
			  "end, got %s", dg_show(got, n));
	snprintf(w, sizeof(w), "%s", want);
	sort_words(w);
	sort_words(got + 7);
	if (strcmp(got + 7, w))
		kata_fail(k, "WHO: expected members {%s}, got {%s}", w,
			  got + 7);
}

void dg_refused(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		const char *want, int witness, const char *room)
{
	dg_send(k, fd, cmd, cn);
	dg_who_is(k, witness, room);
	reply_is(k, fd, cmd, cn, want);
}

size_t dg_long_msg(char *buf, size_t n)
{
	memcpy(buf, "MSG ", 4);
	for (size_t i = 4; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	return n;
}
