/*
 * wire.c (ftp_transfer grader): the protocol as the grader's raw clients
 * speak it to the learner's server, byte for byte as the header fixes it.
 *
 * Frames (wire_put_frame, wire_sendf, wire_get_frame, wire_put_cmd,
 * wire_dribble), replies checked with messages the learner can act on
 * (wire_expect, wire_expect_in, wire_expect_closed, wire_show,
 * wire_no_reply), hostile names (wire_refuse_all), listings (wire_list,
 * wire_expect_list) and transfers (wire_put_start, wire_put_data,
 * wire_put_part, wire_put, wire_recv_file, wire_get).
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "timing.h"

__thread char wire_buf[FTP_MAX_FRAME + 1];

/* ---- frames ------------------------------------------------------------- */

void wire_put_frame(struct kata_ctx *k, int fd, const void *p, size_t n)
{
	unsigned char h[4] = { (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	if (net_write_full(fd, h, 4) < 0 || net_write_full(fd, p, n) < 0)
		kata_fail(k, "sending a frame: the peer closed the "
			  "connection (%s)", kata_strres(-errno));
}

void wire_sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	wire_put_frame(k, fd, b, (size_t)n);
}

ssize_t wire_get_frame(struct kata_ctx *k, int fd, char *buf, size_t cap)
{
	unsigned char h[4];
	ssize_t n = net_read_full(fd, h, 4, MS(k, WAIT_MS));
	size_t len;

	if (n == 0)
		return -ENODATA;
	if (n < 4)
		return n < 0 ? n : -ECONNRESET;
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	      h[3];
	if (len > cap)
		return -EMSGSIZE;
	n = net_read_full(fd, buf, len, MS(k, WAIT_MS));
	if (n >= 0 && (size_t)n < len)
		return -ECONNRESET;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

void wire_put_cmd(struct kata_ctx *k, int fd, const char *cmd,
		  const char *name, size_t len, const char *tail)
{
	char b[1024];
	size_t c = strlen(cmd), t = strlen(tail);

	memcpy(b, cmd, c);
	memcpy(b + c, name, len);
	memcpy(b + c + len, tail, t);
	wire_put_frame(k, fd, b, c + len + t);
}

void wire_dribble(struct kata_ctx *k, int fd, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (net_write_full(fd, p + i, 1) < 0)
			kata_fail(k, "the server closed the connection while "
				  "a frame was arriving in pieces");
		timing_sleep_ms(2);
	}
}

/* ---- replies ------------------------------------------------------------ */

const char *wire_show(const char *p, size_t n)
{
	static __thread char out[2][300];
	static __thread int which;
	char *o = out[which ^= 1];
	size_t j = 0;

	o[j++] = '"';
	for (size_t i = 0; i < n && j < sizeof(out[0]) - 8; i++)
		j += (unsigned char)p[i] < 0x20 || p[i] == 0x7f ?
			(size_t)sprintf(o + j, "\\x%02x", (unsigned char)p[i]) :
			(size_t)sprintf(o + j, "%c", p[i]);
	strcpy(o + j, n > 200 ? "...\"" : "\"");
	return o;
}

const char *wire_no_reply(ssize_t r)
{
	return r == -ENODATA ? "no reply: the connection was closed" :
	       r == -ETIMEDOUT ? "no reply in time" :
	       r == -EMSGSIZE ? "a frame over 65536 bytes" : kata_strres(r);
}

void wire_expect_in(struct kata_ctx *k, int fd, char *buf, const char *what,
		    const char *want)
{
	ssize_t n = wire_get_frame(k, fd, buf, FTP_MAX_FRAME);

	if (n < 0)
		kata_fail(k, "%s: expected reply \"%s\", got %s", what, want,
			  wire_no_reply(n));
	if (strcmp(buf, want) || strlen(want) != (size_t)n)
		kata_fail(k, "%s: expected reply \"%s\", got %s", what, want,
			  wire_show(buf, (size_t)n));
}

void wire_expect(struct kata_ctx *k, int fd, const char *what,
		 const char *want)
{
	wire_expect_in(k, fd, wire_buf, what, want);
}

void wire_expect_closed(struct kata_ctx *k, int fd, const char *what)
{
	ssize_t n = wire_get_frame(k, fd, wire_buf, FTP_MAX_FRAME);

	if (n != -ENODATA && n != -ECONNRESET)
		kata_fail(k, "%s: expected the server to close the connection,"
			  " got %s", what, n < 0 ? wire_no_reply(n) :
			  wire_show(wire_buf, (size_t)n));
}

/* Names that must be refused with BAD_NAME, whatever the command. */
static const struct bad {
	const char *name;
	size_t len;
} bad_names[] = {
	{ "../canary", 9 }, { "..", 2 }, { ".", 1 }, { "", 0 },
	{ "x/../one.bin", 12 }, { "one.bin\0/../canary", 18 },
	{ "a\nb", 3 }, { FTP_TMP_PREFIX "1", sizeof(FTP_TMP_PREFIX) },
	{ NULL, 0 }
};

void wire_refuse_all(struct kata_ctx *k, struct srv *s, int fd,
		     const char *cmd, const char *tail)
{
	char what[400], big[FTP_MAX_NAME + 1];

	for (const struct bad *b = bad_names; b->name; b++) {
		wire_put_cmd(k, fd, cmd, b->name, b->len, tail);
		snprintf(what, sizeof(what), "%s%s%s", cmd,
			 wire_show(b->name, b->len), tail);
		wire_expect(k, fd, what, "BAD_NAME");
	}
	wire_put_cmd(k, fd, cmd, s->canary, strlen(s->canary), tail);
	snprintf(what, sizeof(what), "%s%s%s (an absolute path)", cmd,
		 s->canary, tail);
	wire_expect(k, fd, what, "BAD_NAME");
	memset(big, 'a', sizeof(big));
	wire_put_cmd(k, fd, cmd, big, sizeof(big), tail);
	snprintf(what, sizeof(what), "%s<a name of %u bytes>%s", cmd,
		 FTP_MAX_NAME + 1, tail);
	wire_expect(k, fd, what, "BAD_NAME");
}

/* ---- listings: "name=size" entries, sorted, joined by ", " -------------- */

void wire_list(struct kata_ctx *k, int fd, char *out)
{
	unsigned long long count, size;
	char *v[256], *sp;
	int n = 0;
	ssize_t r;

	wire_sendf(k, fd, "LIST");
	r = wire_get_frame(k, fd, wire_buf, FTP_MAX_FRAME);
	if (r < 0 || sscanf(wire_buf, "OK %llu", &count) != 1 || count > 256)
		kata_fail(k, "LIST: expected reply \"OK <count>\", got %s",
			  r < 0 ? wire_no_reply(r) :
			  wire_show(wire_buf, (size_t)r));
	for (; (unsigned long long)n < count; n++) {
		r = wire_get_frame(k, fd, wire_buf, FTP_MAX_FRAME);
		sp = r > 0 ? strchr(wire_buf, ' ') : NULL;
		if (!sp || sscanf(wire_buf, "%llu ", &size) != 1)
			kata_fail(k, "LIST entry %d: expected \"<size> <name>\""
				  ", got %s", n + 1, r < 0 ? wire_no_reply(r) :
				  wire_show(wire_buf, (size_t)r));
		if (asprintf(&v[n], "%s=%llu", sp + 1, size) < 0)
			kata_fail(k, "out of memory");
	}
	fs_join_sorted(v, n, out);
}

void wire_expect_list(struct kata_ctx *k, int fd, const char *what,
		      const char *want)
{
	char got[LIST_CAP];

	wire_list(k, fd, got);
	if (strcmp(got, want))
		kata_fail(k, "%s: expected [%s], got [%s]", what, want, got);
}

/* ---- transfers ---------------------------------------------------------- */

void wire_put_start(struct kata_ctx *k, int fd, const char *name,
		    uint64_t size)
{
	char what[300];

	snprintf(what, sizeof(what), "PUT %s %llu", name,
		 (unsigned long long)size);
	wire_put_frame(k, fd, what, strlen(what));
	wire_expect(k, fd, what, "OK");
}

void wire_put_data(struct kata_ctx *k, int fd, struct rng *r,
		   struct digest *d, uint64_t n)
{
	static __thread char b[FTP_MAX_FRAME];

	while (n > 0) {
		size_t m = 1 + (size_t)rng_below(r, FTP_MAX_FRAME);

		m = m > n ? (size_t)n : m;
		rng_fill(r, b, m);
		digest_update(d, b, m);
		wire_put_frame(k, fd, b, m);
		n -= m;
	}
}

void wire_put_part(struct kata_ctx *k, int fd, const char *name,
		   uint64_t size, struct rng *r, struct digest *d,
		   uint64_t n)
{
	wire_put_start(k, fd, name, size);
	wire_put_data(k, fd, r, d, n);
}

uint64_t wire_put(struct kata_ctx *k, int fd, const char *name,
		  uint64_t size, uint64_t seed)
{
	struct digest d;
	struct rng r;

	rng_seed(&r, seed);
	digest_init(&d);
	wire_put_start(k, fd, name, size);
	wire_put_data(k, fd, &r, &d, size);
	wire_expect(k, fd, "the reply after the last byte of a PUT", "OK");
	return d.h;
}

uint64_t wire_recv_file(struct kata_ctx *k, int fd, const char *what,
			uint64_t size)
{
	static __thread char b[FTP_MAX_FRAME + 1];
	struct digest d;
	char want[64];
	ssize_t n;

	snprintf(want, sizeof(want), "OK %llu", (unsigned long long)size);
	wire_expect_in(k, fd, b, what, want);
	digest_init(&d);
	while (size > 0) {
		n = wire_get_frame(k, fd, b, FTP_MAX_FRAME);
		if (n <= 0 || (uint64_t)n > size)
			kata_fail(k, "%s: expected a data frame of 1..%llu "
				  "bytes, got %s", what, (unsigned long long)
				  size, n < 0 ? wire_no_reply(n) :
				  "a wrong size");
		digest_update(&d, b, (size_t)n);
		size -= (uint64_t)n;
	}
	return d.h;
}

uint64_t wire_get(struct kata_ctx *k, int fd, const char *name,
		  uint64_t size)
{
	char what[300];

	snprintf(what, sizeof(what), "GET %s", name);
	wire_put_frame(k, fd, what, strlen(what));
	return wire_recv_file(k, fd, what, size);
}
