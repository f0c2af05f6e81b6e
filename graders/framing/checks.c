/*
 * checks.c (framing grader): how the framing tests build what they send and
 * judge what comes back.
 *
 * Frames and streams built by the grader (chk_put_header, chk_put_frame,
 * chk_fill, chk_stream_of), results named for messages (chk_rname,
 * chk_hint), comparisons that fail the test with a message the learner can
 * act on (chk_res, chk_frame, chk_refused, chk_wire), and the incremental
 * decoder's callback bookkeeping (chk_dec_init, chk_on_frame, chk_feed,
 * chk_seen, chk_feed_expect).
 */
#define _GNU_SOURCE
#include "framing_grader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* ---- results and comparisons --------------------------------------------- */

const char *chk_rname(long long r)
{
	static char b[4][96];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]), "%s",
		 r == FRAME_EOF ? "FRAME_EOF" : kata_strres(r));
	return b[i];
}

const char *chk_hint(long long r, long long want)
{
	if (r == -ENOSYS)
		return " (still the stub: write it in katas/framing/framing.c)";
	if (r == -EAGAIN)
		return " (the socket's timeout expired: your code waited for "
		       "bytes the peer was never going to send; read exactly "
		       "4 header bytes, then exactly the announced length)";
	if (r == -EINTR)
		return " (a signal interrupted the call: when recv() or "
		       "send() fails with EINTR, nothing is wrong; call it "
		       "again)";
	if (r == -EMSGSIZE && want >= 0)
		return " (the frame fits the buffer, so the length was "
		       "misread or wrongly refused: it is big-endian (ntohl), "
		       "recv() may return fewer than the 4 header bytes, and "
		       "only a length above cap is refused)";
	if ((r == -EPROTO || r == FRAME_EOF) && want >= 0)
		return " (the peer had not closed: only recv() returning 0 "
		       "means end-of-stream, a short recv() just means "
		       "'more to come')";
	if (r >= 0 && want >= 0 && r < want)
		return " (one recv() returned part of the payload: loop "
		       "until you have all of it)";
	return "";
}

void chk_res(struct kata_ctx *k, const char *what, long long got,
	     long long want)
{
	if (got != want)
		kata_fail(k, "%s: expected %s, got %s%s", what,
			  chk_rname(want), chk_rname(got),
			  chk_hint(got, want));
}

static void expect_same(struct kata_ctx *k, const char *what,
			const unsigned char *got, const unsigned char *want,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			kata_fail(k, "%s: byte %zu of %zu: expected 0x%02x, "
				  "got 0x%02x", what, i, n, want[i], got[i]);
}

void *chk_alloc(struct kata_ctx *k, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		kata_fail(k, "grader: out of memory for %zu bytes", n);
	return p;
}

/* ---- frames and streams -------------------------------------------------- */

void chk_put_header(unsigned char *out, uint32_t len)
{
	uint32_t be = htonl(len);

	memcpy(out, &be, 4);
}

size_t chk_put_frame(unsigned char *out, const void *p, uint32_t len)
{
	chk_put_header(out, len);
	if (len)
		memcpy(out + 4, p, len);
	return 4 + (size_t)len;
}

void chk_fill(unsigned char *p, size_t n, unsigned salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + salt * 13 + (i >> 8));
}

unsigned char *chk_stream_of(struct kata_ctx *k, const struct frame *f,
			     size_t nf, size_t *n)
{
	unsigned char *s;

	*n = 0;
	for (size_t i = 0; i < nf; i++)
		*n += 4 + (size_t)f[i].len;
	s = chk_alloc(k, *n);
	for (size_t i = 0, at = 0; i < nf; i++)
		at += chk_put_frame(s + at, f[i].p, f[i].len);
	return s;
}

/* ---- what the learner's code received or sent ---------------------------- */

void chk_frame(struct kata_ctx *k, int fd, const void *want, long long len,
	       uint32_t cap, const char *what)
{
	ssize_t (*recv_fn)(int, void *, uint32_t) = KATA_SYM(k, frame_recv);
	unsigned char *buf = chk_alloc(k, (size_t)cap + CANARY);
	unsigned char guard[CANARY];
	char w[160];
	ssize_t r;

	memset(buf, 0xA5, (size_t)cap + CANARY);
	memset(guard, 0xA5, CANARY);
	r = recv_fn(fd, buf, cap);
	snprintf(w, sizeof(w), "%s: frame_recv(fd, buf, %u)", what, cap);
	if (memcmp(buf + cap, guard, CANARY) != 0)
		kata_fail(k, "%s: wrote past the end of the %u-byte buffer "
			  "(it returned %s): never write more than cap bytes",
			  w, cap, chk_rname(r));
	chk_res(k, w, r, len);
	if (len > 0)
		expect_same(k, w, buf, want, (size_t)len);
	free(buf);
}

void chk_refused(struct kata_ctx *k, int fd, uint32_t cap, int left,
		 const char *what)
{
	int q = -1;

	chk_frame(k, fd, NULL, -EMSGSIZE, cap, what);
	if (ioctl(fd, FIONREAD, &q) == 0 && q != left)
		kata_fail(k, "%s: after -EMSGSIZE, expected the %d bytes after "
			  "the header left unread in the socket, found %d: "
			  "return as soon as the header is read (skipping a "
			  "payload whose length the peer chose lets it keep "
			  "you reading 4 GiB)", what, left, q);
}

void chk_wire(struct kata_ctx *k, const char *what, const unsigned char *got,
	      ssize_t n, const unsigned char *want, size_t wn)
{
	size_t i = 0;

	if (n < 0)
		kata_fail(k, "%s: the peer's recv() failed: %s", what,
			  chk_rname(n));
	while (i < (size_t)n && i < wn && got[i] == want[i])
		i++;
	if (i < (size_t)n && i < wn)
		kata_fail(k, "%s: byte %zu on the wire: expected 0x%02x, got "
			  "0x%02x%s", what, i, want[i], got[i], i < 4 ?
			  " (the length goes out big-endian: htonl())" : "");
	if ((size_t)n != wn)
		kata_fail(k, "%s: the peer received %zd bytes, expected %zu%s",
			  what, n, wn, (size_t)n < wn ? " (a short send() "
			  "was taken for the whole frame?)" : "");
}

/* ---- the incremental decoder --------------------------------------------- */

/* Records in s->err what is wrong with delivery s->n + 1, if anything. */
static void judge_delivery(struct seen *s, const void *p, uint32_t len)
{
	const struct frame *w = s->n < s->nwant ? &s->want[s->n] : NULL;

	if (!w)
		snprintf(s->err, sizeof(s->err), "on_frame was called for a "
			 "frame %zu, but only %zu were sent", s->n + 1,
			 s->nwant);
	else if (len != w->len)
		snprintf(s->err, sizeof(s->err), "frame %zu: on_frame got "
			 "length %u, expected %u", s->n + 1, len, w->len);
	else if (len && (!p || memcmp(p, w->p, len) != 0))
		snprintf(s->err, sizeof(s->err), "frame %zu (%u bytes): "
			 "on_frame got the wrong payload", s->n + 1, len);
}

void chk_on_frame(void *user, const void *p, uint32_t len)
{
	struct seen *s = user;

	if (!s->err[0])
		judge_delivery(s, p, len);
	s->n++;
}

void chk_dec_init(struct kata_ctx *k, struct frame_decoder *d, uint32_t max,
		  struct seen *s)
{
	memset(d, 0, sizeof(*d));
	chk_res(k, "frame_decoder_init", KATA_SYM(k, frame_decoder_init)(
			d, max, chk_on_frame, s), 0);
}

ssize_t chk_feed(struct kata_ctx *k, struct frame_decoder *d,
		 const unsigned char *p, size_t n, const char *what)
{
	ssize_t r = KATA_SYM(k, frame_decoder_feed)(d, p, n);

	if (r < 0)
		kata_fail(k, "%s: frame_decoder_feed(%zu bytes) returned %s",
			  what, n, chk_rname(r));
	return r;
}

void chk_seen(struct kata_ctx *k, const char *what, struct seen *s,
	      ssize_t counted)
{
	if (s->err[0])
		kata_fail(k, "%s: %s", what, s->err);
	if (s->n != s->nwant)
		kata_fail(k, "%s: on_frame was called %zu times, expected %zu "
			  "(a partial frame lost between feeds?)", what, s->n,
			  s->nwant);
	if (counted != (ssize_t)s->nwant)
		kata_fail(k, "%s: frame_decoder_feed's results add up to %zd "
			  "frames, expected %zu", what, counted, s->nwant);
}

void chk_feed_expect(struct kata_ctx *k, struct frame_decoder *d,
		     struct seen *s, const void *p, size_t n, ssize_t want,
		     size_t calls, const char *what)
{
	size_t before = s->n;
	ssize_t r = KATA_SYM(k, frame_decoder_feed)(d, p, n);

	chk_res(k, what, r, want);
	if (s->err[0])
		kata_fail(k, "%s: %s", what, s->err);
	if (s->n - before != calls)
		kata_fail(k, "%s: on_frame was called %zu times, expected "
			  "%zu", what, s->n - before, calls);
}
