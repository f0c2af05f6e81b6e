/*
 * udp_chat.c: reference solution of the udp_chat kata.
 *
 * Entry points: chat_serve (a single-threaded relay server: one poll() on
 * the socket and the stop descriptor, one table of members), chat_client
 * (one thread polling the input and the socket, so neither blocks the
 * other).  Contract: katas/udp_chat/udp_chat.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <kata/plugin.h>
#include "udp_chat.h"

KATA_PLUGIN("udp_chat");

struct member {
	struct sockaddr_storage addr;
	socklen_t len;
	char nick[CHAT_MAX_NICK + 1];
};

struct room {
	int sock;
	int n;
	struct member m[CHAT_MAX_MEMBERS];
};

/* True when s[0..n) is well-formed UTF-8 (RFC 3629). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (unsigned j = 1; j <= need; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
	const struct sockaddr_in6 *p = (const void *)a, *q = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return p->sin6_port == q->sin6_port &&
		       !memcmp(&p->sin6_addr, &q->sin6_addr, 16);
	return false;
}

/* The member sending from addr, or -1. */
static int find_addr(const struct room *rm, const struct sockaddr_storage *a)
{
	for (int i = 0; i < rm->n; i++)
		if (same_addr(&rm->m[i].addr, a))
			return i;
	return -1;
}

static int find_nick(const struct room *rm, const char *nick, size_t len)
{
	for (int i = 0; i < rm->n; i++)
		if (strlen(rm->m[i].nick) == len &&
		    !memcmp(rm->m[i].nick, nick, len))
			return i;
	return -1;
}

static bool nick_valid(const char *nick, size_t len)
{
	if (len == 0 || len > CHAT_MAX_NICK)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)nick[i];

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Sends a reply; a failed send (a client gone) is not the server's error */
static void reply(struct room *rm, const struct sockaddr_storage *to,
		  socklen_t len, const void *buf, size_t n)
{
	sendto(rm->sock, buf, n, MSG_NOSIGNAL, (const struct sockaddr *)to,
	       len);
}

static void reply_str(struct room *rm, const struct sockaddr_storage *to,
		      socklen_t len, const char *s)
{
	reply(rm, to, len, s, strlen(s));
}

static void reply_err(struct room *rm, const struct sockaddr_storage *to,
		      socklen_t len, const char *reason)
{
	char buf[64] = "ERR ";

	strncat(buf, reason, sizeof(buf) - 5);
	reply_str(rm, to, len, buf);
}

static const char *join(struct room *rm, const struct sockaddr_storage *a,
			socklen_t len, const char *nick, size_t n)
{
	struct member *m;

	if (!nick_valid(nick, n))
		return CHAT_ERR_BAD_NICK;
	if (find_addr(rm, a) >= 0)
		return CHAT_ERR_ALREADY;
	if (find_nick(rm, nick, n) >= 0)
		return CHAT_ERR_TAKEN;
	if (rm->n == CHAT_MAX_MEMBERS)
		return CHAT_ERR_FULL;
	m = &rm->m[rm->n++];
	m->addr = *a;
	m->len = len;
	memcpy(m->nick, nick, n);
	m->nick[n] = '\0';
	return NULL;
}

static void relay(struct room *rm, int from, const char *text, size_t n)
{
	char buf[CHAT_MAX_NICK + 2 + CHAT_MAX_DATAGRAM];
	size_t nl = strlen(rm->m[from].nick);

	memcpy(buf, rm->m[from].nick, nl);
	memcpy(buf + nl, ": ", 2);
	memcpy(buf + nl + 2, text, n);
	for (int i = 0; i < rm->n; i++)
		if (i != from)
			reply(rm, &rm->m[i].addr, rm->m[i].len, buf,
			      nl + 2 + n);
}

static void who(struct room *rm, const struct sockaddr_storage *a,
		socklen_t len)
{
	char buf[CHAT_MAX_REPLY] = CHAT_MEMBERS;
	size_t n = strlen(buf);

	for (int i = 0; i < rm->n; i++) {
		size_t nl = strlen(rm->m[i].nick);

		buf[n++] = ' ';
		memcpy(buf + n, rm->m[i].nick, nl);
		n += nl;
	}
	reply(rm, a, len, buf, n);
}

/*
 * True when s[0..n) is verb v alone or v, a space and an argument; the
 * argument (possibly empty) in *arg, *alen.
 */
static bool verb(const char *s, size_t n, const char *v, const char **arg,
		 size_t *alen)
{
	size_t vl = strlen(v);

	if (n < vl || memcmp(s, v, vl) || (n > vl && s[vl] != ' '))
		return false;
	*arg = n > vl ? s + vl + 1 : s + n;
	*alen = n > vl ? n - vl - 1 : 0;
	return true;
}

/*
 * Carries out one command of valid length and UTF-8.  Returns NULL when the
 * reply is OK, "" when it was sent already or there is none, or a reason.
 */
static const char *command(struct room *rm, const struct sockaddr_storage *a,
			   socklen_t len, const char *s, size_t n)
{
	int me = find_addr(rm, a);
	const char *arg;
	size_t alen;

	if (verb(s, n, "JOIN", &arg, &alen))
		return join(rm, a, len, arg, alen);
	if (verb(s, n, "MSG", &arg, &alen)) {
		if (me < 0)
			return CHAT_ERR_NOT_JOINED;
		relay(rm, me, arg, alen);
		return "";
	}
	if (n == 3 && !memcmp(s, "WHO", 3)) {
		who(rm, a, len);
		return "";
	}
	if (n == 5 && !memcmp(s, "LEAVE", 5)) {
		if (me < 0)
			return CHAT_ERR_NOT_JOINED;
		rm->m[me] = rm->m[--rm->n];
		return NULL;
	}
	return CHAT_ERR_UNKNOWN;
}

/* Receives and answers one datagram.  0, or -errno if the socket failed */
static int serve_one(struct room *rm)
{
	char buf[CHAT_MAX_DATAGRAM + 1];
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	const char *err;
	ssize_t n = recvfrom(rm->sock, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&a, &len);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ||
		       errno == ECONNREFUSED ? 0 : -errno;
	if (n > CHAT_MAX_DATAGRAM)
		err = CHAT_ERR_TOO_LONG;
	else if (!utf8_valid((unsigned char *)buf, (size_t)n))
		err = CHAT_ERR_BAD_UTF8;
	else
		err = command(rm, &a, len, buf, (size_t)n);
	if (!err)
		reply_str(rm, &a, len, CHAT_OK);
	else if (*err)
		reply_err(rm, &a, len, err);
	return 0;
}

int chat_serve(int sock, int stop_fd)
{
	struct room rm;
	struct pollfd p[2] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = stop_fd, .events = POLLIN },
	};
	int r = 0;

	rm.sock = sock;
	rm.n = 0;
	while (r == 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno != EINTR)
				r = -errno;
			continue;
		}
		if (p[1].revents)
			break;
		if (p[0].revents)
			r = serve_one(&rm);
	}
	return r;
}

/* ---- the client --------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes one received datagram and a newline.  0 or -errno. */
static int show_one(int sock, int out_fd)
{
	char buf[CHAT_MAX_REPLY + 1];
	ssize_t n = recv(sock, buf, CHAT_MAX_REPLY, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ||
		       errno == ECONNREFUSED ? 0 : -errno;
	buf[n] = '\n';
	return write_all(out_fd, buf, (size_t)n + 1);
}

struct line {
	char buf[CHAT_MAX_DATAGRAM + 1];
	size_t n;
	bool too_long;		/* dropping the rest of an over-long line */
};

static void send_line(int sock, struct line *l)
{
	if (l->n > 0 && !l->too_long)
		send(sock, l->buf, l->n, MSG_NOSIGNAL);
	l->n = 0;
	l->too_long = false;
}

/* Reads some input and sends complete lines.  1 at EOF, 0, or -errno. */
static int read_input(int sock, int in_fd, struct line *l)
{
	char buf[512];
	ssize_t n = read(in_fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		send_line(sock, l);
		return 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			send_line(sock, l);
		else if (l->n < CHAT_MAX_DATAGRAM)
			l->buf[l->n++] = buf[i];
		else
			l->too_long = true;
	}
	return 0;
}

int chat_client(int sock, int in_fd, int out_fd)
{
	struct pollfd p[2] = {
		{ .fd = in_fd, .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};
	struct line l = { .n = 0 };
	int r = 0;

	while (r == 0) {
		if (poll(p, 2, -1) < 0) {
			r = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (p[1].revents)
			r = show_one(sock, out_fd);
		if (r == 0 && p[0].revents)
			r = read_input(sock, in_fd, &l);
	}
	return r == 1 ? 0 : r;
}
