/*
 * decoder.c (framing grader): the tests of the incremental decoder.
 *
 * Entry points: t_decoder_splits, t_decoder_chunks, t_decoder_grows and
 * t_decoder_oversize, listed in the table in graders/framing.c.  They feed
 * the learner's frame_decoder_feed streams built by checks.c, cut at every
 * point, in random chunks, around a frame of FRAME_MAX bytes and around
 * headers above the maximum, and judge what reached on_frame.
 */
#define _GNU_SOURCE
#include "framing_grader.h"

#include <stdio.h>
#include <stdlib.h>

#include "digest.h"

/* The number of frames of f[] that end within the first `end` bytes. */
static size_t frames_within(const struct frame *f, size_t nf, size_t end)
{
	size_t at = 0, i;

	for (i = 0; i < nf; i++) {
		at += 4 + (size_t)f[i].len;
		if (at > end)
			break;
	}
	return i;
}

/*
 * Feeds st[at, end) (*c counts the results): by then on_frame must have had
 * every frame that ends within end bytes, no later.
 */
static void feed_upto(struct kata_ctx *k, struct frame_decoder *d,
		      struct seen *s, const unsigned char *st, size_t at,
		      size_t end, ssize_t *c, const char *what)
{
	size_t want = frames_within(s->want, s->nwant, end);

	*c += chk_feed(k, d, st + at, end - at, what);
	if (s->err[0])
		kata_fail(k, "%s: %s", what, s->err);
	if (s->n != want || *c != (ssize_t)want)
		kata_fail(k, "%s: the first %zu bytes hold %zu whole frames: "
			  "expected %zu on_frame calls and results adding up "
			  "to %zu, got %zu and %zd%s", what, end, want, want,
			  want, s->n, *c, s->n < want ? " (deliver every frame "
			  "a chunk completes: an empty frame is complete as "
			  "soon as its header is)" : "");
}

void t_decoder_splits(struct kata_ctx *k)
{
	static unsigned char big[258];
	const struct frame f[] = { { "123456", 6 }, { "", 0 }, { big, 258 },
		{ "654321", 6 } };
	struct seen s = { .want = f, .nwant = 4 };
	struct frame_decoder d;
	char what[96];
	unsigned char *st;
	ssize_t c;
	size_t n;

	chk_fill(big, sizeof(big), 7);
	st = chk_stream_of(k, f, 4, &n);
	kata_concept(k, "bytes arrive in chunks cut anywhere, even inside "
		     "the header: keep the partial frame for the next feed");
	for (size_t cut = 0; cut <= n; cut++) {
		snprintf(what, sizeof(what), "4 frames (%zu bytes) fed as "
			 "%zu + %zu bytes", n, cut, n - cut);
		s.n = 0;
		c = 0;
		chk_dec_init(k, &d, 1024, &s);
		feed_upto(k, &d, &s, st, 0, cut, &c, what);
		feed_upto(k, &d, &s, st, cut, n, &c, what);
		KATA_SYM(k, frame_decoder_free)(&d);
	}
	s.n = 0;
	c = 0;
	chk_dec_init(k, &d, 1024, &s);
	for (size_t i = 0; i < n; i++)
		feed_upto(k, &d, &s, st, i, i + 1, &c, "4 frames fed one "
			  "byte at a time");
	KATA_SYM(k, frame_decoder_free)(&d);
	free(st);
}

void t_decoder_chunks(struct kata_ctx *k)
{
	struct frame f[300];
	unsigned char *pool = chk_alloc(k, 5000), *st;
	struct seen s = { .want = f, .nwant = 300 };
	struct frame_decoder d;
	size_t n, at = 0;
	ssize_t c = 0;
	struct rng g;

	rng_seed(&g, kata_seed(k));
	rng_fill(&g, pool, 5000);
	for (size_t i = 0; i < 300; i++)
		f[i] = (struct frame){ pool + rng_below(&g, 100),
			(uint32_t)rng_below(&g, i % 4 ? 40 : 4900) };
	st = chk_stream_of(k, f, 300, &n);
	kata_concept(k, "one chunk may hold many frames (粘包) and end in the "
		     "middle of the next: deliver every complete one, keep "
		     "the rest");
	chk_dec_init(k, &d, 4900, &s);
	c = chk_feed(k, &d, st, n, "300 frames in one chunk");
	chk_seen(k, "300 frames in one chunk", &s, c);
	s.n = 0;
	c = 0;
	while (at < n) {
		size_t m = 1 + rng_below(&g, rng_below(&g, 2) ? 16 : 6000);

		m = m < n - at ? m : n - at;
		c += chk_feed(k, &d, st + at, m, "300 frames in random chunks");
		at += m;
	}
	chk_seen(k, "300 frames in random chunks", &s, c);
	KATA_SYM(k, frame_decoder_free)(&d);
	free(st);
	free(pool);
}

/*
 * A 1-byte frame, then a FRAME_MAX one: a buffer sized for the first frame
 * and never grown is overrun by 16 MiB, far past the end of the heap, so
 * that mistake crashes here every time instead of corrupting quietly.
 */
void t_decoder_grows(struct kata_ctx *k)
{
	unsigned char *big = chk_alloc(k, FRAME_MAX), *st;
	const struct frame f[] = { { "a", 1 }, { big, FRAME_MAX },
		{ "b", 1 }, { big + 7, 300 } };
	struct seen s = { .want = f, .nwant = 4 };
	struct frame_decoder d;
	ssize_t c;
	size_t n;

	chk_fill(big, FRAME_MAX, 9);
	st = chk_stream_of(k, f, 4, &n);
	kata_concept(k, "the payload buffer grows when a longer frame "
		     "comes: one sized for the first frame would be overrun "
		     "by the next, longer one");
	chk_dec_init(k, &d, FRAME_MAX, &s);
	c = chk_feed(k, &d, st, 5, "a 1-byte frame");
	c += chk_feed(k, &d, st + 5, n - 5, "then frames of FRAME_MAX, 1 "
		      "and 300 bytes");
	chk_seen(k, "a 1-byte frame, then frames of FRAME_MAX, 1 and 300 "
		 "bytes", &s, c);
	KATA_SYM(k, frame_decoder_free)(&d);
	free(st);
	free(big);
}

void t_decoder_oversize(struct kata_ctx *k)
{
	static unsigned char big[1000], m[1004], a[5 + 4 + 20], b[5];
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff };
	const struct frame f[] = { { big, 1000 }, { "a", 1 }, { "b", 1 },
		{ "b", 1 } };
	struct seen s = { .want = f, .nwant = 4 };
	struct frame_decoder d;

	chk_fill(big, sizeof(big), 8);
	chk_put_frame(m, big, 1000);
	chk_put_frame(a, "a", 1);
	chk_put_header(a + 5, 1001);	/* then 20 bytes of its payload */
	chk_put_frame(b, "b", 1);
	kata_concept(k, "a length above the decoder's maximum is refused "
		     "with -EMSGSIZE, and the decoder stays refused until "
		     "frame_decoder_reset: its stream is out of step");
	chk_dec_init(k, &d, 1000, &s);
	chk_feed_expect(k, &d, &s, m, 1004, 1, 1, "a frame of exactly max "
			"(1000) bytes");
	chk_feed_expect(k, &d, &s, a, sizeof(a), -EMSGSIZE, 1, "frame 'a', "
			"then a header announcing max + 1 bytes");
	chk_feed_expect(k, &d, &s, b, 5, -EMSGSIZE, 0, "a valid frame after "
			"-EMSGSIZE, before frame_decoder_reset");
	KATA_SYM(k, frame_decoder_reset)(&d);
	chk_feed_expect(k, &d, &s, b, 5, 1, 1, "a valid frame after reset");
	chk_feed_expect(k, &d, &s, huge, 4, -EMSGSIZE, 0, "a header "
			"announcing 0xFFFFFFFF bytes");
	KATA_SYM(k, frame_decoder_reset)(&d);
	chk_feed_expect(k, &d, &s, b, 5, 1, 1, "a valid frame after reset");
	KATA_SYM(k, frame_decoder_free)(&d);
	chk_res(k, "frame_decoder_init with max FRAME_MAX + 1",
		KATA_SYM(k, frame_decoder_init)(&d, FRAME_MAX + 1,
						chk_on_frame, &s), -EINVAL);
}
