/*
 * framing.c (grader): length-prefixed frames over real loopback TCP.
 *
 * The test's own thread calls the learner's frame_send/frame_recv; a peer
 * thread ("g:peer", graders/framing/peer.c) plays the other end
 * adversarially: it writes a byte at a time, splits headers, interrupts the
 * blocked learner with SIGUSR1 and closes mid-frame.  The decoder tests
 * (graders/framing/decoder.c) feed chunks split everywhere;
 * graders/framing/checks.c builds the frames and judges the results.  This
 * file holds one function per socket test.  Entry point: the kata_grader
 * table at the end.
 */
#define _GNU_SOURCE
#include "framing/framing_grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "digest.h"
#include "net.h"
#include "thread.h"
#include "timing.h"

/* ---- frame_recv tests ---------------------------------------------------- */

static void t_recv_basic(struct kata_ctx *k)
{
	const struct frame f[] = { { "123456", 6 }, { "654321", 6 },
		{ "654321", 6 }, { "654321", 6 }, { "654321", 6 } };

	kata_concept(k, "the seed's sticky-packet demo (粘包): five messages "
		     "sent back to back arrive as one run of bytes; the "
		     "length prefix tells where each one ends");
	peer_recv_script(k, f, 5, NULL, 0, 0);
}

static void t_recv_bytewise(struct kata_ctx *k)
{
	static unsigned char big[300];
	const struct frame f[] = { { "hello", 5 }, { "", 0 }, { big, 300 },
		{ "world", 5 } };
	size_t cuts[4 + 5 + 4 + 4 + 300 + 4 + 5];

	chk_fill(big, sizeof(big), 1);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		cuts[i] = i + 1;
	kata_concept(k, "TCP is a byte stream: one recv() may return a "
		     "single byte, even of the header; loop until you have "
		     "exactly the bytes you need");
	peer_recv_script(k, f, 4, cuts, sizeof(cuts) / sizeof(cuts[0]) - 1,
			 PEER_WAIT);
}

static void t_recv_split_header(struct kata_ctx *k)
{
	const struct frame f[] = { { "split-1", 7 }, { "split-2", 7 },
		{ "split-3", 7 } };
	size_t cuts[9];

	for (size_t i = 0; i < 3; i++) {
		cuts[3 * i] = 11 * i + i + 1;	/* inside the header */
		cuts[3 * i + 1] = 11 * i + 4;	/* header | payload */
		cuts[3 * i + 2] = 11 * i + 6;	/* inside the payload */
	}
	kata_concept(k, "a 4-byte header can arrive as 1+3, 2+2 or 3+1 "
		     "bytes: recv(fd, hdr, 4, 0) may return less than 4");
	peer_recv_script(k, f, 3, cuts, 9, PEER_WAIT);
}

static void t_recv_many(struct kata_ctx *k)
{
	struct frame f[100];
	unsigned char *pool = chk_alloc(k, 100 * 200);
	struct rng g;

	rng_seed(&g, kata_seed(k));
	rng_fill(&g, pool, 100 * 200);
	for (size_t i = 0; i < 100; i++)
		f[i] = (struct frame){ pool + i * 200,
				       (uint32_t)rng_below(&g, 200) };
	kata_concept(k, "a hundred frames written at once arrive stuck "
		     "together (粘包): read one frame's bytes and leave the "
		     "rest in the socket for the next call");
	peer_recv_script(k, f, 100, NULL, 0, 0);
	free(pool);
}

static void t_recv_zero_and_max(struct kata_ctx *k)
{
	unsigned char *big = chk_alloc(k, FRAME_MAX);
	const struct frame f[] = { { "", 0 }, { big, FRAME_MAX }, { "", 0 },
		{ "end", 3 } };

	chk_fill(big, FRAME_MAX, 2);
	kata_concept(k, "an empty frame (length 0) is a valid frame, and a "
		     "frame exactly as long as the buffer fits");
	peer_recv_script(k, f, 4, NULL, 0, 0);
	free(big);
}

static void t_recv_eintr(struct kata_ctx *k)
{
	static unsigned char msg[1000];
	const struct frame f[] = { { msg, sizeof(msg) } };
	static const size_t cuts[] = { 2, 4, 504 };

	chk_fill(msg, sizeof(msg), 3);
	peer_arm_signal();
	kata_concept(k, "a signal that arrives while recv() is blocked makes "
		     "it fail with EINTR (no SA_RESTART): that is not an "
		     "error, call recv() again");
	peer_recv_script(k, f, 1, cuts, 3, PEER_SIGNAL);
}

static void t_recv_eof_clean(struct kata_ctx *k)
{
	unsigned char s[8];
	int fd = peer_says(k, s, chk_put_frame(s, "bye", 3), true);

	kata_concept(k, "recv() returning 0 means the peer closed; between "
		     "frames that is the normal end: FRAME_EOF");
	chk_frame(k, fd, "bye", 3, 16, "a 'bye' frame");
	chk_frame(k, fd, NULL, FRAME_EOF, 16, "then the peer closed");
}

static void t_recv_eof_mid_header(struct kata_ctx *k)
{
	unsigned char s[32];
	size_t n = chk_put_frame(s, "ok", 2);
	char what[64];

	chk_put_frame(s + n, "0123456789", 10);
	kata_concept(k, "a peer that closes inside a header cut a frame "
		     "short: that is -EPROTO, not FRAME_EOF");
	for (size_t cut = 1; cut < 4; cut++) {
		int fd = peer_says(k, s, n + cut, true);

		snprintf(what, sizeof(what), "close after %zu of 4 header "
			 "bytes", cut);
		chk_frame(k, fd, "ok", 2, 16, "'ok' first");
		chk_frame(k, fd, NULL, -EPROTO, 16, what);
		close(fd);
	}
}

static void t_recv_eof_mid_payload(struct kata_ctx *k)
{
	unsigned char s[32];
	size_t n = chk_put_frame(s, "ok", 2);
	char what[64];

	chk_put_frame(s + n, "0123456789", 10);
	kata_concept(k, "a peer that closes inside a payload cut a frame "
		     "short: return -EPROTO, never the partial length");
	for (size_t have = 0; have < 10; have += 5) {
		int fd = peer_says(k, s, n + 4 + have, true);

		snprintf(what, sizeof(what), "close after %zu of 10 payload "
			 "bytes", have);
		chk_frame(k, fd, "ok", 2, 16, "'ok' first");
		chk_frame(k, fd, NULL, -EPROTO, 16, what);
		close(fd);
	}
}

static void t_recv_oversize(struct kata_ctx *k)
{
	static unsigned char s[4 + 64 + 4 + 65], p[65];
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff,
		'n', 'o', 't', ' ', '4', ' ', 'G', 'i', 'B' };
	size_t n;
	int fd;

	chk_fill(p, sizeof(p), 4);
	n = chk_put_frame(s, p, 64);
	n += chk_put_frame(s + n, p, 65);
	kata_concept(k, "the length comes from the network: check it against "
		     "cap before writing a byte, and return -EMSGSIZE at "
		     "once without reading (or allocating) the payload");
	fd = peer_says(k, s, n, false);
	chk_frame(k, fd, p, 64, 64, "a frame of exactly cap bytes");
	chk_refused(k, fd, 64, 65, "a frame of cap + 1 bytes");
	fd = peer_says(k, huge, sizeof(huge), false);
	chk_refused(k, fd, 64, 9, "a header announcing 0xFFFFFFFF bytes");
	n = chk_put_frame(s, "", 0);
	n += chk_put_frame(s + n, "ab", 2);
	fd = peer_says(k, s, n, false);
	chk_frame(k, fd, NULL, 0, 0, "an empty frame into a 0-byte buffer");
	chk_refused(k, fd, 1, 2, "a 2-byte frame into a 1-byte buffer (the "
		    "header is not the caller's to store)");
}

/* ---- frame_send tests ---------------------------------------------------- */

static void t_send_format(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	static unsigned char big[258], want[10 + 4 + 262], got[300];
	size_t n;
	int fd, peer;

	chk_fill(big, sizeof(big), 5);
	n = chk_put_frame(want, "123456", 6);
	n += chk_put_frame(want + n, "", 0);
	n += chk_put_frame(want + n, big, sizeof(big));
	peer_pair(k, &fd, &peer);
	kata_concept(k, "a frame is a 4-byte big-endian length, then the "
		     "payload: \"123456\" goes out as 00 00 00 06 31 .. 36");
	chk_res(k, "frame_send(\"123456\")", send_fn(fd, "123456", 6), 0);
	chk_res(k, "frame_send of an empty frame", send_fn(fd, "", 0), 0);
	chk_res(k, "frame_send of 258 bytes", send_fn(fd, big, 258), 0);
	shutdown(fd, SHUT_WR);
	chk_wire(k, "frames of 6, 0 and 258 bytes", got,
		 net_read_full(peer, got, sizeof(got), IO_MS), want, n);
}

static void t_send_oversize(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	unsigned char *huge = calloc(1, (size_t)FRAME_MAX + 1), want[8];
	unsigned char got[16];
	struct peer p = { .got = got };

	if (!huge)
		kata_fail(k, "grader: out of memory");
	peer_pair(k, &p.learner_fd, &p.fd);
	peer_start(k, &p, peer_sink_main);
	kata_concept(k, "no receiver accepts more than FRAME_MAX bytes: "
		     "refuse such a frame with -EMSGSIZE before sending "
		     "anything, so the stream stays usable");
	chk_res(k, "frame_send of FRAME_MAX + 1 bytes",
		send_fn(p.learner_fd, huge, FRAME_MAX + 1), -EMSGSIZE);
	chk_res(k, "then frame_send(\"ok\")",
		send_fn(p.learner_fd, "ok", 2), 0);
	shutdown(p.learner_fd, SHUT_WR);
	peer_join(k, &p);
	chk_wire(k, "after the refused frame", got, (ssize_t)p.have, want,
		 chk_put_frame(want, "ok", 2));
	free(huge);
}

static void t_send_peer_closed(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	static unsigned char buf[64 * KIB], want[6], got[7];
	int fd, peer, r = 0, i;

	peer_pair(k, &fd, &peer);
	kata_concept(k, "send() to a peer that closed raises SIGPIPE, which "
		     "kills the process: send with MSG_NOSIGNAL and return "
		     "-EPIPE instead");
	chk_res(k, "frame_send(\"hi\") while the peer is there",
		send_fn(fd, "hi", 2), 0);
	chk_wire(k, "frame_send(\"hi\")", got, net_read_full(peer, got, 6,
		 IO_MS), want, chk_put_frame(want, "hi", 2));
	close(peer);
	for (i = 0; i < 100 && r == 0; i++) {
		r = send_fn(fd, buf, sizeof(buf));
		if (r == 0)
			timing_sleep_ms(1);
	}
	if (r != -EPIPE && r != -ECONNRESET)
		kata_fail(k, "frame_send %d times to a peer that closed: "
			  "expected -EPIPE or -ECONNRESET, got %s%s", i,
			  chk_rname(r), chk_hint(r, -EPIPE));
}

static void t_send_eintr(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	size_t len = (size_t)kata_param(k, "eintr_bytes", 8 * MIB, MIB);
	unsigned char *data = chk_alloc(k, 4 + len);
	unsigned char *got = chk_alloc(k, 5 + len);
	struct peer p = { .data = data, .n = 4 + len };
	char what[96];
	int r;

	chk_fill(data + 4, len, 6);
	chk_put_header(data, (uint32_t)len);
	peer_pair(k, &p.learner_fd, &p.fd);
	peer_set_int(p.learner_fd, SOL_SOCKET, SO_SNDBUF, 16 * KIB);
	peer_set_int(p.fd, SOL_SOCKET, SO_RCVBUF, 16 * KIB);
	p.got = got;
	peer_arm_signal();
	kata_concept(k, "a signal while send() is blocked makes it return "
		     "a short count (some bytes queued) or fail with EINTR "
		     "(none): either way, carry on from where it stopped");
	peer_start(k, &p, peer_drain_main);
	r = send_fn(p.learner_fd, data + 4, (uint32_t)len);
	snprintf(what, sizeof(what), "frame_send of %zu bytes with signals "
		 "interrupting it", len);
	chk_res(k, what, r, 0);
	shutdown(p.learner_fd, SHUT_WR);
	peer_join(k, &p);
	peer_landed(k, &p, "frame_send");
	chk_wire(k, what, got, (ssize_t)p.have, data, p.n);
}

/* ---- throughput ---------------------------------------------------------- */

static void t_throughput(struct kata_ctx *k)
{
	long long mib = kata_param(k, "stream_mib", 1024, 8), got;
	unsigned char *pool = chk_alloc(k, SLOTS * FRAME_BYTES);
	struct pump u = { .pool = pool, .frames = mib * MIB / FRAME_BYTES };
	double raw, mine;
	uint64_t t0;
	int fd, peer;
	struct rng g;

	rng_seed(&g, 42);
	rng_fill(&g, pool, SLOTS * FRAME_BYTES);
	raw = peer_raw_ms(k, &u);
	kata_concept(k, "a stream of 64 KiB frames through your frame_send "
		     "(sender thread) and frame_recv, checked frame by frame");
	u.send_fn = KATA_SYM(k, frame_send);
	peer_pair(k, &fd, &peer);
	t0 = timing_now_ns();
	peer_pump_start(k, &u, peer);
	got = peer_pump_check(k, &u, fd, (1000 + 5 * raw) * kata_scale(k));
	mine = timing_ms_since(t0);
	atomic_store(&u.stop, 1);
	if (got == u.frames)	/* else it may be blocked: the test ends */
		thread_join_timeout(u.thread, 5000, NULL);
	else
		kata_note(k, "stopped after %lld of %lld frames: the time "
			  "budget is 1 s plus 5 times the raw loopback time",
			  got, u.frames);
	kata_note(k, "%lld MiB in 64 KiB frames: frame_send/frame_recv "
		  "%.0f MiB/s; plain send/recv on the same loopback %.0f "
		  "MiB/s (yours: %.1f%%)", got / 16, got * 64000.0 / KIB /
		  mine, mib * 1000.0 / raw, 100 * raw * got / u.frames / mine);
	free(pool);
}

/* ---- the table ----------------------------------------------------------- */

static const struct kata_test tests[] = {
	{ "send_format", "frame_send writes a big-endian length, then the "
	  "payload", t_send_format, 0, 1, NULL },
	{ "recv_basic", "frame_recv separates frames sent back to back (the "
	  "seed's 粘包 demo)", t_recv_basic, 0, 1, NULL },
	{ "recv_bytewise", "frame_recv assembles frames arriving one byte "
	  "per segment", t_recv_bytewise, 0, 1, "recv_basic" },
	{ "recv_split_header", "frame_recv copes with headers split 1+3, "
	  "2+2, 3+1", t_recv_split_header, 0, 1, "recv_basic" },
	{ "recv_many", "frame_recv takes a hundred frames from one write, "
	  "one at a time", t_recv_many, 0, 1, "recv_basic" },
	{ "recv_zero_and_max", "empty frames and a FRAME_MAX frame are "
	  "received whole", t_recv_zero_and_max, 0, 1, "recv_basic" },
	{ "recv_eof_clean", "a close between frames is FRAME_EOF",
	  t_recv_eof_clean, 0, 1, "recv_basic" },
	{ "recv_eof_mid_header", "a close inside a header is -EPROTO",
	  t_recv_eof_mid_header, 0, 1, "recv_basic" },
	{ "recv_eof_mid_payload", "a close inside a payload is -EPROTO",
	  t_recv_eof_mid_payload, 0, 1, "recv_basic" },
	{ "recv_oversize", "a length above cap (even 0xFFFFFFFF) is "
	  "-EMSGSIZE, nothing written past cap", t_recv_oversize, 0, 1,
	  "recv_basic" },
	{ "recv_eintr", "frame_recv retries recv() interrupted by signals",
	  t_recv_eintr, 0, 1, "recv_basic" },
	{ "send_oversize", "frame_send refuses more than FRAME_MAX bytes",
	  t_send_oversize, 0, 1, "send_format" },
	{ "send_peer_closed", "frame_send to a closed peer returns -EPIPE, "
	  "no SIGPIPE", t_send_peer_closed, 0, 1, "send_format" },
	{ "send_eintr", "frame_send finishes a frame through short sends "
	  "and EINTR", t_send_eintr, 0, 1, "send_format" },
	{ "throughput", "64 KiB frames stream intact; rate shown beside raw "
	  "loopback", t_throughput, 60000, 1, "recv_basic" },
	{ "decoder_splits", "the decoder handles a stream cut at every "
	  "point", t_decoder_splits, 0, 1, NULL },
	{ "decoder_chunks", "the decoder delivers many frames per chunk, "
	  "in random chunks", t_decoder_chunks, 0, 1, "decoder_splits" },
	{ "decoder_grows", "the decoder's buffer grows from a 1-byte frame "
	  "to a FRAME_MAX one", t_decoder_grows, 0, 1, "decoder_splits" },
	{ "decoder_oversize", "the decoder refuses frames above its max "
	  "until reset", t_decoder_oversize, 0, 1, "decoder_splits" },
	{ 0 }
};

KATA_GRADER(.kata = "framing",
	    .title = "Length-prefixed frames over TCP",
	    .topic = "TCP has no message boundaries (粘包)",
	    .order = 10,
	    .tests = tests);
