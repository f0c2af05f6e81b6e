/*
 * client.c: the auth_chat grader's side of the wire: the learner's
 * ac_serve running in a grader thread on a database in the test's
 * directory, and a client that speaks the protocol byte for byte and
 * fails the test with the exchange quoted when a reply is wrong.
 *
 * Entry points: tmp_path, srv_start, srv_stop, and the cli_* functions
 * (see auth_chat_grader.h).
 */
#define _GNU_SOURCE
#include "auth_chat_grader.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"

void tmp_path(struct kata_ctx *k, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", kata_tmpdir(k), name);
}

/*
 * Runs ac_serve; its returning before the stop fails the test at once.
 * The thread runs the learner's code, so it drops its "g:" name: a hang is
 * then diagnosed as the learner's (threads it starts inherit the name).
 */
static void *srv_main(void *arg)
{
	struct srv *s = arg;

	pthread_setname_np(pthread_self(), "ac_serve");
	s->result = s->serve(s->lfd, s->db, s->stop[0]);
	if (!atomic_load(&s->stopping))
		kata_fail(s->k, "ac_serve returned %s before stop_fd became "
			  "readable: expected it to keep serving clients until "
			  "then", kata_strres(s->result));
	return NULL;
}

void srv_start(struct kata_ctx *k, struct srv *s)
{
	s->serve = KATA_SYM(k, ac_serve);
	s->k = k;
	tmp_path(k, "chat.db", s->db);
	atomic_store(&s->stopping, false);
	s->lfd = net_listen_tcp(64, &s->port);
	if (s->lfd < 0 || pipe2(s->stop, O_CLOEXEC) < 0 ||
	    thread_start(&s->t, "server", srv_main, s) < 0)
		kata_fail(k, "cannot start the server's thread");
}

void srv_stop(struct kata_ctx *k, struct srv *s, int ms)
{
	atomic_store(&s->stopping, true);
	if (write(s->stop[1], "x", 1) != 1)
		kata_fail(k, "cannot write to the stop pipe");
	if (thread_join_timeout(s->t, ms, NULL) < 0)
		kata_fail(k, "ac_serve did not return within %d ms of stop_fd "
			  "becoming readable", ms);
	kata_expect_int(k, "ac_serve's result after a stop", s->result, 0);
}

int cli_dial(struct kata_ctx *k, struct srv *s)
{
	int one = 1, fd = net_connect_tcp(s->port, MS(k, 2000));

	if (fd < 0)
		kata_fail(k, "connecting to the server: %s", kata_strres(fd));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

void cli_send(struct kata_ctx *k, int fd, const void *p, size_t n)
{
	unsigned char b[4 + AC_MAX_FRAME + 16];

	if (n > sizeof(b) - 4)
		kata_fail(k, "grader bug: frame of %zu bytes", n);
	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	memcpy(b + 4, p, n);
	if (net_write_full(fd, b, n + 4) < 0)
		kata_fail(k, "sending %s: the server has closed the "
			  "connection", cli_show(p, n));
}

void cli_sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
{
	char b[AC_MAX_FRAME + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	cli_send(k, fd, b, (size_t)n);
}

ssize_t cli_recv(int fd, char *buf, int ms)
{
	unsigned char h[4];
	ssize_t n = net_read_full(fd, h, 4, ms);
	size_t len;

	if (n < 0)
		return n;
	if (n < 4)
		return n == 0 ? -ENODATA : -ECONNRESET;
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	      h[3];
	if (len > AC_MAX_FRAME)
		return -EMSGSIZE;
	n = net_read_full(fd, buf, len, ms);
	if (n >= 0 && (size_t)n < len)
		return -ECONNRESET;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

const char *cli_show(const char *p, size_t n)
{
	static __thread char b[4][200];
	static __thread unsigned i;
	char *o = b[i++ % 4];
	size_t j = 0;

	o[j++] = '"';
	for (size_t m = 0; m < n && j < sizeof(b[0]) - 8; m++) {
		unsigned char c = (unsigned char)p[m];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			o[j++] = (char)c;
		else
			j += (size_t)snprintf(o + j, 5, "\\x%02x", c);
	}
	if (n > 0 && j >= sizeof(b[0]) - 8)
		j += (size_t)snprintf(o + j, 4, "...");
	o[j++] = '"';
	o[j] = '\0';
	return o;
}

/* What a failed cli_recv means, for a message. */
static const char *no_reply(ssize_t r)
{
	if (r == -ETIMEDOUT)
		return "no reply in time";
	if (r == -ENODATA || r == -ECONNRESET)
		return "the server closed the connection";
	if (r == -EMSGSIZE)
		return "a frame longer than AC_MAX_FRAME";
	return "an error reading the reply";
}

void cli_expect_ms(struct kata_ctx *k, int fd, const char *what,
		   const char *want, int ms)
{
	char b[AC_MAX_FRAME + 1];
	ssize_t n = cli_recv(fd, b, ms);

	if (n < 0)
		kata_fail(k, "%s: expected %s, got %s", what,
			  cli_show(want, strlen(want)), no_reply(n));
	if ((size_t)n != strlen(want) || memcmp(b, want, (size_t)n))
		kata_fail(k, "%s: expected %s, got %s", what,
			  cli_show(want, strlen(want)),
			  cli_show(b, (size_t)n));
}

void cli_expect(struct kata_ctx *k, int fd, const char *what,
		const char *want)
{
	cli_expect_ms(k, fd, what, want, MS(k, WAIT_MS));
}

void cli_ask(struct kata_ctx *k, int fd, const char *req, const char *want)
{
	cli_send(k, fd, req, strlen(req));
	cli_expect(k, fd, cli_show(req, strlen(req)), want);
}

void cli_expect_quiet(struct kata_ctx *k, int fd, const char *what, int ms)
{
	char b[AC_MAX_FRAME + 1];
	ssize_t n = cli_recv(fd, b, ms);

	if (n >= 0)
		kata_fail(k, "%s: expected nothing, got %s", what,
			  cli_show(b, (size_t)n));
}

void cli_expect_closed(struct kata_ctx *k, int fd, const char *what)
{
	char b[AC_MAX_FRAME + 1];
	ssize_t n = cli_recv(fd, b, MS(k, WAIT_MS));

	if (n >= 0)
		kata_fail(k, "%s: expected the connection closed, got %s",
			  what, cli_show(b, (size_t)n));
	if (n == -ETIMEDOUT)
		kata_fail(k, "%s: expected the connection closed, but it "
			  "stayed open", what);
}

/* Are p[0..n) lowercase hex digits? */
static bool is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

void cli_challenge(struct kata_ctx *k, int fd, const char *name,
		   struct chal *c)
{
	char b[AC_MAX_FRAME + 1];
	size_t pre = strlen("CHALLENGE "), want = pre + SALT_HEX + 1 +
		     NONCE_HEX;
	ssize_t n;

	cli_sendf(k, fd, "LOGIN %s", name);
	n = cli_recv(fd, b, MS(k, WAIT_MS));
	if (n < 0)
		kata_fail(k, "LOGIN %s: expected \"CHALLENGE <salt> <nonce>\", "
			  "got %s", name, no_reply(n));
	if ((size_t)n != want || memcmp(b, "CHALLENGE ", pre) ||
	    !is_hex(b + pre, SALT_HEX) || b[pre + SALT_HEX] != ' ' ||
	    !is_hex(b + pre + SALT_HEX + 1, NONCE_HEX))
		kata_fail(k, "LOGIN %s: expected \"CHALLENGE <salt> <nonce>\" "
			  "(%u and %u lowercase hex digits), got %s", name,
			  SALT_HEX, NONCE_HEX, cli_show(b, (size_t)n));
	memcpy(c->salt, b + pre, SALT_HEX);
	c->salt[SALT_HEX] = '\0';
	memcpy(c->nonce, b + pre + SALT_HEX + 1, NONCE_HEX);
	c->nonce[NONCE_HEX] = '\0';
}

void cli_proof_of(const struct chal *c, const char *pw, char *out)
{
	char hash[AC_HEX_LEN + 1];

	ac_password_hash(c->salt, pw, hash);
	ac_proof(c->nonce, hash, out);
}

void cli_login(struct kata_ctx *k, int fd, const char *name, const char *pw)
{
	char proof[AC_HEX_LEN + 1], what[120];
	struct chal c;

	cli_challenge(k, fd, name, &c);
	cli_proof_of(&c, pw, proof);
	cli_sendf(k, fd, "PROOF %s", proof);
	snprintf(what, sizeof(what), "PROOF for %s with the right password",
		 name);
	cli_expect(k, fd, what, "OK");
}

void cli_until(struct kata_ctx *k, int fd, const char *what,
	       const char *want, int max)
{
	char b[AC_MAX_FRAME + 1];

	for (int i = 0; i < max; i++) {
		ssize_t n = cli_recv(fd, b, MS(k, WAIT_MS));

		if (n < 0)
			kata_fail(k, "%s: expected %s, got %s", what, want,
				  kata_strres(n));
		if (!strcmp(b, want))
			return;
		if (strncmp(b, "FROM user", 9))
			kata_fail(k, "%s: expected %s, got %s", what, want,
				  cli_show(b, (size_t)n));
	}
	kata_fail(k, "%s: expected %s, got %d relays and no reply", what,
		  want, max);
}

int cli_user(struct kata_ctx *k, struct srv *s, const char *name,
	     const char *pw)
{
	int fd = cli_dial(k, s);

	cli_sendf(k, fd, "REGISTER %s %s", name, pw);
	cli_expect(k, fd, "REGISTER of a new user", "OK");
	cli_login(k, fd, name, pw);
	return fd;
}
