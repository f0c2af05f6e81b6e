/*
 * framing.c (grader): length-prefixed frames over real loopback TCP.
 *
 * The test's own thread calls the learner's frame_send/frame_recv; a peer
 * thread ("g:peer") plays the other end adversarially: it writes a byte at a
 * time, splits headers, waits until the learner's thread is blocked in the
 * kernel (/proc) before each write, interrupts it with SIGUSR1 (installed
 * without SA_RESTART, so recv/send fail with EINTR or come back short), and
 * closes mid-frame.  The decoder tests feed chunks split everywhere.
 * Entry point: the kata_grader table at the end.
 */
#define _GNU_SOURCE
#include "framing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <kata/grader.h>

#include "digest.h"
#include "net.h"
#include "thread.h"
#include "timing.h"

#define IO_MS 3000		/* receive timeout on the learner's socket */
#define CANARY 64		/* guard bytes after the learner's buffer */
#define KIB 1024
#define MIB (1024 * 1024)

/* ---- results and comparisons --------------------------------------------- */

/* "FRAME_EOF", "-EPROTO (Protocol error)" or "6"; 4 rotating buffers. */
static const char *rname(long long r)
{
	static char b[4][96];
	static int i;

	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]), "%s",
		 r == FRAME_EOF ? "FRAME_EOF" : kata_strres(r));
	return b[i];
}

/* What a wrong frame_recv/frame_send result most likely means. */
static const char *hint(long long r, long long want)
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

static void expect_res(struct kata_ctx *k, const char *what, long long got,
		       long long want)
{
	if (got != want)
		kata_fail(k, "%s: expected %s, got %s%s", what, rname(want),
			  rname(got), hint(got, want));
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

static void *xmalloc(struct kata_ctx *k, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		kata_fail(k, "grader: out of memory for %zu bytes", n);
	return p;
}

static void put_header(unsigned char *out, uint32_t len)
{
	uint32_t be = htonl(len);

	memcpy(out, &be, 4);
}

/* Writes a frame (header + payload) at out.  Returns its size. */
static size_t put_frame(unsigned char *out, const void *p, uint32_t len)
{
	put_header(out, len);
	if (len)
		memcpy(out + 4, p, len);
	return 4 + (size_t)len;
}

static void fill_pattern(unsigned char *p, size_t n, unsigned salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + salt * 13 + (i >> 8));
}

/* A loopback TCP pair; the learner's end gets a receive timeout. */
static void pair(struct kata_ctx *k, int *learner, int *peer)
{
	long ms = (long)(IO_MS * kata_scale(k));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int r = net_tcp_pair(learner, peer);

	if (r < 0)
		kata_fail(k, "grader: no loopback TCP connection: %s",
			  rname(r));
	setsockopt(*learner, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void set_int(int fd, int level, int opt, int v)
{
	setsockopt(fd, level, opt, &v, sizeof(v));
}

/* ---- the adversarial peer ------------------------------------------------ */

static atomic_int signals_landed;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals_landed, 1);
}

/* SIGUSR1 without SA_RESTART: a blocked send/recv fails with EINTR. */
static void arm_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

enum {
	PEER_WAIT = 1,		/* before each piece: learner blocked */
	PEER_SIGNAL = 2,	/* before each piece: interrupt it too */
};

struct peer {
	int fd, learner_fd;	/* the grader's end; the learner's end */
	pid_t tid;		/* the learner's thread: the test's own */
	pthread_t main, thread;
	const unsigned char *data;
	size_t n;
	const size_t *cuts;	/* write boundaries, ascending, in (0, n) */
	size_t ncuts;
	unsigned flags;
	unsigned char *got;	/* t_send_eintr: what the peer received */
	size_t have;
	int wait_ms;
	int missed, interrupted, err;
	atomic_int done;	/* set by the test when the learner returns */
};

/*
 * Waits until the learner's thread sleeps in the kernel with its receive
 * queue empty: blocked in recv() (or send()) for bytes not yet there.
 */
static void wait_blocked(struct peer *p)
{
	uint64_t t0 = timing_now_ns();
	int q = 0;

	while (!p->missed && !atomic_load(&p->done)) {
		if (ioctl(p->learner_fd, FIONREAD, &q) == 0 && q == 0 &&
		    thread_wait_sleeping(p->tid, 1) == 0)
			return;
		if (timing_ms_since(t0) > p->wait_ms)
			p->missed++;
	}
}

/* Signals the learner's thread until the handler ran (bounded). */
static void interrupt(struct peer *p)
{
	int before = atomic_load(&signals_landed);

	for (int i = 0; i < 500 && !atomic_load(&p->done); i++) {
		if (i % 10 == 0)
			pthread_kill(p->main, SIGUSR1);
		timing_sleep_ms(1);
		if (atomic_load(&signals_landed) != before) {
			p->interrupted++;
			return;
		}
	}
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	size_t at = 0;

	for (size_t i = 0; i <= p->ncuts && p->err == 0; i++) {
		size_t end = i < p->ncuts ? p->cuts[i] : p->n;
		ssize_t r = 0;

		if (p->flags & (PEER_WAIT | PEER_SIGNAL))
			wait_blocked(p);
		if (p->flags & PEER_SIGNAL) {
			interrupt(p);
			wait_blocked(p);
		}
		if (end > at)
			r = net_write_full(p->fd, p->data + at, end - at);
		p->err = r < 0 ? (int)r : 0;
		at = end;
	}
	return NULL;
}

static void peer_start(struct kata_ctx *k, struct peer *p,
		       void *(*fn)(void *))
{
	int r;

	p->tid = thread_tid();
	p->main = pthread_self();
	p->wait_ms = (int)(1000 * kata_scale(k));
	set_int(p->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	r = thread_start(&p->thread, "peer", fn, p);
	if (r < 0)
		kata_fail(k, "grader: cannot start the peer: %s", rname(r));
}

static void peer_join(struct kata_ctx *k, struct peer *p)
{
	atomic_store(&p->done, 1);
	if (thread_join_timeout(p->thread, (int)(5000 * kata_scale(k)),
				NULL) < 0)
		kata_fail(k, "grader: the peer thread did not finish");
	if (p->err < 0)
		kata_fail(k, "the peer's send() failed with %s: did your code "
			  "close or shut down the socket?", rname(p->err));
}

/* ---- receiving scripted streams ------------------------------------------ */

struct frame {
	const void *p;
	uint32_t len;
};

/* Builds the stream of f[] in a new buffer; its size in *n. */
static unsigned char *stream_of(struct kata_ctx *k, const struct frame *f,
				size_t nf, size_t *n)
{
	unsigned char *s;

	*n = 0;
	for (size_t i = 0; i < nf; i++)
		*n += 4 + (size_t)f[i].len;
	s = xmalloc(k, *n);
	for (size_t i = 0, at = 0; i < nf; i++)
		at += put_frame(s + at, f[i].p, f[i].len);
	return s;
}

/* Receives one frame into a cap-byte buffer and checks it and the guard. */
static void expect_frame(struct kata_ctx *k, int fd, const void *want,
			 long long len, uint32_t cap, const char *what)
{
	ssize_t (*recv_fn)(int, void *, uint32_t) = KATA_SYM(k, frame_recv);
	unsigned char *buf = xmalloc(k, (size_t)cap + CANARY);
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
			  w, cap, rname(r));
	expect_res(k, w, r, len);
	if (len > 0)
		expect_same(k, w, buf, want, (size_t)len);
	free(buf);
}

/* The peer sends frames f[] cut at cuts[]; the learner receives them. */
static void recv_script(struct kata_ctx *k, const struct frame *f, size_t nf,
			const size_t *cuts, size_t ncuts, unsigned flags)
{
	struct peer p = { .cuts = cuts, .ncuts = ncuts, .flags = flags };
	unsigned char *data = stream_of(k, f, nf, &p.n);
	uint32_t cap = 1;
	char what[64];

	for (size_t i = 0; i < nf; i++)
		cap = f[i].len > cap ? f[i].len : cap;
	p.data = data;
	pair(k, &p.learner_fd, &p.fd);
	peer_start(k, &p, peer_main);
	for (size_t i = 0; i < nf; i++) {
		snprintf(what, sizeof(what), "frame %zu of %zu (%u bytes)",
			 i + 1, nf, f[i].len);
		expect_frame(k, p.learner_fd, f[i].p, f[i].len, cap, what);
	}
	peer_join(k, &p);
	if (flags & PEER_SIGNAL)
		kata_ok(k, "%d signals landed", p.interrupted);
	free(data);
}

/* ---- frame_recv tests ---------------------------------------------------- */

static void t_recv_basic(struct kata_ctx *k)
{
	const struct frame f[] = { { "123456", 6 }, { "654321", 6 },
		{ "654321", 6 }, { "654321", 6 }, { "654321", 6 } };

	kata_concept(k, "the seed's sticky-packet demo (粘包): five messages "
		     "sent back to back arrive as one run of bytes; the "
		     "length prefix tells where each one ends");
	recv_script(k, f, 5, NULL, 0, 0);
}

static void t_recv_bytewise(struct kata_ctx *k)
{
	static unsigned char big[300];
	const struct frame f[] = { { "hello", 5 }, { "", 0 }, { big, 300 },
		{ "world", 5 } };
	size_t cuts[4 + 5 + 4 + 4 + 300 + 4 + 5];

	fill_pattern(big, sizeof(big), 1);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		cuts[i] = i + 1;
	kata_concept(k, "TCP is a byte stream: one recv() may return a "
		     "single byte, even of the header; loop until you have "
		     "exactly the bytes you need");
	recv_script(k, f, 4, cuts, sizeof(cuts) / sizeof(cuts[0]) - 1,
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
	recv_script(k, f, 3, cuts, 9, PEER_WAIT);
}

static void t_recv_many(struct kata_ctx *k)
{
	struct frame f[100];
	unsigned char *pool = xmalloc(k, 100 * 200);
	struct rng g;

	rng_seed(&g, kata_seed(k));
	rng_fill(&g, pool, 100 * 200);
	for (size_t i = 0; i < 100; i++)
		f[i] = (struct frame){ pool + i * 200,
				       (uint32_t)rng_below(&g, 200) };
	kata_concept(k, "a hundred frames written at once arrive stuck "
		     "together (粘包): read one frame's bytes and leave the "
		     "rest in the socket for the next call");
	recv_script(k, f, 100, NULL, 0, 0);
	free(pool);
}

static void t_recv_zero_and_max(struct kata_ctx *k)
{
	unsigned char *big = xmalloc(k, FRAME_MAX);
	const struct frame f[] = { { "", 0 }, { big, FRAME_MAX }, { "", 0 },
		{ "end", 3 } };

	fill_pattern(big, FRAME_MAX, 2);
	kata_concept(k, "an empty frame (length 0) is a valid frame, and a "
		     "frame exactly as long as the buffer fits");
	recv_script(k, f, 4, NULL, 0, 0);
	free(big);
}

static void t_recv_eintr(struct kata_ctx *k)
{
	static unsigned char msg[1000];
	const struct frame f[] = { { msg, sizeof(msg) } };
	static const size_t cuts[] = { 2, 4, 504 };

	fill_pattern(msg, sizeof(msg), 3);
	arm_signal();
	kata_concept(k, "a signal that arrives while recv() is blocked makes "
		     "it fail with EINTR (no SA_RESTART): that is not an "
		     "error, call recv() again");
	recv_script(k, f, 1, cuts, 3, PEER_SIGNAL);
}

/* Opens a pair, writes raw bytes as the peer, shuts down, returns fd. */
static int peer_says(struct kata_ctx *k, const void *p, size_t n, bool eof)
{
	int fd, peer;

	pair(k, &fd, &peer);
	if (net_write_full(peer, p, n) < 0)
		kata_fail(k, "grader: loopback write failed");
	if (eof)
		shutdown(peer, SHUT_WR);
	return fd;
}

static void t_recv_eof_clean(struct kata_ctx *k)
{
	unsigned char s[8];
	int fd = peer_says(k, s, put_frame(s, "bye", 3), true);

	kata_concept(k, "recv() returning 0 means the peer closed; between "
		     "frames that is the normal end: FRAME_EOF");
	expect_frame(k, fd, "bye", 3, 16, "a 'bye' frame");
	expect_frame(k, fd, NULL, FRAME_EOF, 16, "then the peer closed");
}

static void t_recv_eof_mid_header(struct kata_ctx *k)
{
	unsigned char s[32];
	size_t n = put_frame(s, "ok", 2);
	char what[64];

	put_frame(s + n, "0123456789", 10);
	kata_concept(k, "a peer that closes inside a header cut a frame "
		     "short: that is -EPROTO, not FRAME_EOF");
	for (size_t cut = 1; cut < 4; cut++) {
		int fd = peer_says(k, s, n + cut, true);

		snprintf(what, sizeof(what), "close after %zu of 4 header "
			 "bytes", cut);
		expect_frame(k, fd, "ok", 2, 16, "'ok' first");
		expect_frame(k, fd, NULL, -EPROTO, 16, what);
		close(fd);
	}
}

static void t_recv_eof_mid_payload(struct kata_ctx *k)
{
	unsigned char s[32];
	size_t n = put_frame(s, "ok", 2);
	char what[64];

	put_frame(s + n, "0123456789", 10);
	kata_concept(k, "a peer that closes inside a payload cut a frame "
		     "short: return -EPROTO, never the partial length");
	for (size_t have = 0; have < 10; have += 5) {
		int fd = peer_says(k, s, n + 4 + have, true);

		snprintf(what, sizeof(what), "close after %zu of 10 payload "
			 "bytes", have);
		expect_frame(k, fd, "ok", 2, 16, "'ok' first");
		expect_frame(k, fd, NULL, -EPROTO, 16, what);
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

	fill_pattern(p, sizeof(p), 4);
	n = put_frame(s, p, 64);
	n += put_frame(s + n, p, 65);
	kata_concept(k, "the length comes from the network: check it against "
		     "cap before writing a byte, and return -EMSGSIZE at "
		     "once without reading (or allocating) the payload");
	fd = peer_says(k, s, n, false);
	expect_frame(k, fd, p, 64, 64, "a frame of exactly cap bytes");
	expect_frame(k, fd, NULL, -EMSGSIZE, 64, "a frame of cap + 1 bytes");
	fd = peer_says(k, huge, sizeof(huge), false);
	expect_frame(k, fd, NULL, -EMSGSIZE, 64,
		     "a header announcing 0xFFFFFFFF bytes");
	n = put_frame(s, "", 0);
	n += put_frame(s + n, "ab", 2);
	fd = peer_says(k, s, n, false);
	expect_frame(k, fd, NULL, 0, 0, "an empty frame into a 0-byte buffer");
	expect_frame(k, fd, NULL, -EMSGSIZE, 1, "a 2-byte frame into a 1-byte "
		     "buffer (the header is not the caller's to store)");
}

/* ---- frame_send tests ---------------------------------------------------- */

/* Compares the bytes the peer received with the frames sent. */
static void expect_wire(struct kata_ctx *k, const char *what,
			const unsigned char *got, ssize_t n,
			const unsigned char *want, size_t wn)
{
	size_t i = 0;

	if (n < 0)
		kata_fail(k, "%s: the peer's recv() failed: %s", what,
			  rname(n));
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

static void t_send_format(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	static unsigned char big[258], want[10 + 4 + 262], got[300];
	size_t n;
	int fd, peer;

	fill_pattern(big, sizeof(big), 5);
	n = put_frame(want, "123456", 6);
	n += put_frame(want + n, "", 0);
	n += put_frame(want + n, big, sizeof(big));
	pair(k, &fd, &peer);
	kata_concept(k, "a frame is a 4-byte big-endian length, then the "
		     "payload: \"123456\" goes out as 00 00 00 06 31 .. 36");
	expect_res(k, "frame_send(\"123456\")", send_fn(fd, "123456", 6), 0);
	expect_res(k, "frame_send of an empty frame", send_fn(fd, "", 0), 0);
	expect_res(k, "frame_send of 258 bytes", send_fn(fd, big, 258), 0);
	shutdown(fd, SHUT_WR);
	expect_wire(k, "frames of 6, 0 and 258 bytes", got,
		    net_read_full(peer, got, sizeof(got), IO_MS), want, n);
}

/* Reads until end-of-stream: the first 16 bytes in p->got, the count. */
static void *sink_main(void *arg)
{
	struct peer *p = arg;
	static unsigned char buf[64 * KIB];
	ssize_t m;

	while ((m = net_read_full(p->fd, buf, sizeof(buf), 5000)) > 0) {
		if (p->have < 16)
			memcpy(p->got + p->have, buf,
			       16 - p->have < (size_t)m ? 16 - p->have
							: (size_t)m);
		p->have += (size_t)m;
		if ((size_t)m < sizeof(buf))
			break;
	}
	return NULL;
}

static void t_send_oversize(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	unsigned char *huge = calloc(1, (size_t)FRAME_MAX + 1), want[8];
	unsigned char got[16];
	struct peer p = { .got = got };

	if (!huge)
		kata_fail(k, "grader: out of memory");
	pair(k, &p.learner_fd, &p.fd);
	peer_start(k, &p, sink_main);
	kata_concept(k, "no receiver accepts more than FRAME_MAX bytes: "
		     "refuse such a frame with -EMSGSIZE before sending "
		     "anything, so the stream stays usable");
	expect_res(k, "frame_send of FRAME_MAX + 1 bytes",
		   send_fn(p.learner_fd, huge, FRAME_MAX + 1), -EMSGSIZE);
	expect_res(k, "then frame_send(\"ok\")",
		   send_fn(p.learner_fd, "ok", 2), 0);
	shutdown(p.learner_fd, SHUT_WR);
	peer_join(k, &p);
	expect_wire(k, "after the refused frame", got, (ssize_t)p.have, want,
		    put_frame(want, "ok", 2));
	free(huge);
}

static void t_send_peer_closed(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	static unsigned char buf[64 * KIB], want[6], got[7];
	int fd, peer, r = 0, i;

	pair(k, &fd, &peer);
	kata_concept(k, "send() to a peer that closed raises SIGPIPE, which "
		     "kills the process: send with MSG_NOSIGNAL and return "
		     "-EPIPE instead");
	expect_res(k, "frame_send(\"hi\") while the peer is there",
		   send_fn(fd, "hi", 2), 0);
	expect_wire(k, "frame_send(\"hi\")", got, net_read_full(peer, got, 6,
		    IO_MS), want, put_frame(want, "hi", 2));
	close(peer);
	for (i = 0; i < 100 && r == 0; i++) {
		r = send_fn(fd, buf, sizeof(buf));
		if (r == 0)
			timing_sleep_ms(1);
	}
	if (r != -EPIPE && r != -ECONNRESET)
		kata_fail(k, "frame_send %d times to a peer that closed: "
			  "expected -EPIPE or -ECONNRESET, got %s%s", i,
			  rname(r), hint(r, -EPIPE));
}

/* The peer of t_send_eintr: interrupts, drains a little, repeats. */
static void *drain_main(void *arg)
{
	struct peer *p = arg;
	ssize_t r = 1;

	for (int round = 0; round < 3 && r > 0; round++) {
		for (int i = 0; i < 2; i++) {
			wait_blocked(p);
			interrupt(p);
		}
		r = net_read_full(p->fd, p->got + p->have, 64 * KIB, 5000);
		p->have += r > 0 ? (size_t)r : 0;
	}
	r = net_read_full(p->fd, p->got + p->have, p->n + 1 - p->have, 5000);
	p->have += r > 0 ? (size_t)r : 0;
	return NULL;
}

static void t_send_eintr(struct kata_ctx *k)
{
	int (*send_fn)(int, const void *, uint32_t) = KATA_SYM(k, frame_send);
	size_t len = (size_t)kata_param(k, "eintr_bytes", 8 * MIB, MIB);
	unsigned char *data = xmalloc(k, 4 + len), *got = xmalloc(k, 5 + len);
	struct peer p = { .data = data, .n = 4 + len };
	char what[96];
	int r;

	fill_pattern(data + 4, len, 6);
	put_header(data, (uint32_t)len);
	pair(k, &p.learner_fd, &p.fd);
	set_int(p.learner_fd, SOL_SOCKET, SO_SNDBUF, 16 * KIB);
	set_int(p.fd, SOL_SOCKET, SO_RCVBUF, 16 * KIB);
	p.got = got;
	arm_signal();
	kata_concept(k, "a signal while send() is blocked makes it return "
		     "a short count (some bytes queued) or fail with EINTR "
		     "(none): either way, carry on from where it stopped");
	peer_start(k, &p, drain_main);
	r = send_fn(p.learner_fd, data + 4, (uint32_t)len);
	snprintf(what, sizeof(what), "frame_send of %zu bytes with signals "
		 "interrupting it", len);
	expect_res(k, what, r, 0);
	shutdown(p.learner_fd, SHUT_WR);
	peer_join(k, &p);
	kata_ok(k, "%d signals landed", p.interrupted);
	expect_wire(k, what, got, (ssize_t)p.have, data, p.n);
}

/* ---- throughput ---------------------------------------------------------- */

#define SLOTS 17		/* frame i carries slot i % SLOTS of the pool */
#define FRAME_BYTES (64 * KIB)

struct pump {
	int fd;
	const unsigned char *pool;
	long long frames;
	int (*send_fn)(int, const void *, uint32_t);	/* NULL: raw send */
	int err;
	atomic_int stop;
	pthread_t thread;
};

static void *pump_main(void *arg)
{
	struct pump *u = arg;

	for (long long i = 0; i < u->frames && u->err == 0 &&
	     !atomic_load(&u->stop); i++) {
		const unsigned char *p = u->pool + (i % SLOTS) * FRAME_BYTES;
		ssize_t r = u->send_fn ? u->send_fn(u->fd, p, FRAME_BYTES)
			: net_write_full(u->fd, p, FRAME_BYTES);

		u->err = r < 0 ? (int)r : 0;
	}
	shutdown(u->fd, SHUT_WR);
	return NULL;
}

static void pump_start(struct kata_ctx *k, struct pump *u, int fd)
{
	u->fd = fd;
	if (thread_start(&u->thread, "sender", pump_main, u) < 0)
		kata_fail(k, "grader: cannot start the sender thread");
}

/* Plain send/recv of the same bytes on loopback: elapsed ms. */
static double raw_ms(struct kata_ctx *k, struct pump *u)
{
	static unsigned char buf[256 * KIB];
	uint64_t t0 = timing_now_ns();
	ssize_t m;
	int fd, peer;

	pair(k, &fd, &peer);
	pump_start(k, u, peer);
	while ((m = recv(fd, buf, sizeof(buf), 0)) > 0 ||
	       (m < 0 && errno == EINTR))
		;
	thread_join_timeout(u->thread, 5000, NULL);
	return timing_ms_since(t0);
}

/*
 * Receives frames through frame_recv, checking each, until all arrived or
 * budget_ms passed.  Returns the number received.
 */
static long long check_stream(struct kata_ctx *k, struct pump *u, int fd,
			      double budget_ms)
{
	ssize_t (*recv_fn)(int, void *, uint32_t) = KATA_SYM(k, frame_recv);
	unsigned char *buf = xmalloc(k, FRAME_BYTES);
	uint64_t t0 = timing_now_ns();
	long long i;

	for (i = 0; i < u->frames; i++) {
		ssize_t r = recv_fn(fd, buf, FRAME_BYTES);

		if (r != FRAME_BYTES) {
			thread_join_timeout(u->thread, 2000, NULL);
			kata_fail(k, "frame %lld: frame_recv returned %s, "
				  "expected %d; the sender's frame_send "
				  "returned %s%s", i + 1, rname(r),
				  FRAME_BYTES, rname(u->err), hint(r, 1));
		}
		if (memcmp(buf, u->pool + (i % SLOTS) * FRAME_BYTES,
			   FRAME_BYTES) != 0)
			kata_fail(k, "frame %lld: the payload is not the one "
				  "sent (a frame lost, repeated, or mixed with "
				  "its neighbour?)", i + 1);
		if (i % 16 == 15 && timing_ms_since(t0) > budget_ms)
			break;
	}
	free(buf);
	return i < u->frames ? i + 1 : i;
}

static void t_throughput(struct kata_ctx *k)
{
	long long mib = kata_param(k, "stream_mib", 1024, 8), got;
	unsigned char *pool = xmalloc(k, SLOTS * FRAME_BYTES);
	struct pump u = { .pool = pool, .frames = mib * MIB / FRAME_BYTES };
	double raw, mine;
	uint64_t t0;
	int fd, peer;
	struct rng g;

	rng_seed(&g, 42);
	rng_fill(&g, pool, SLOTS * FRAME_BYTES);
	raw = raw_ms(k, &u);
	kata_concept(k, "a stream of 64 KiB frames through your frame_send "
		     "(sender thread) and frame_recv, checked frame by frame");
	u.send_fn = KATA_SYM(k, frame_send);
	pair(k, &fd, &peer);
	t0 = timing_now_ns();
	pump_start(k, &u, peer);
	got = check_stream(k, &u, fd, (1000 + 5 * raw) * kata_scale(k));
	mine = timing_ms_since(t0);
	atomic_store(&u.stop, 1);
	shutdown(fd, SHUT_RDWR);
	thread_join_timeout(u.thread, 5000, NULL);
	if (got < u.frames)
		kata_note(k, "stopped after %lld of %lld frames: the time "
			  "budget is 1 s plus 5 times the raw loopback time",
			  got, u.frames);
	kata_note(k, "%lld MiB in 64 KiB frames: frame_send/frame_recv "
		  "%.0f MiB/s; plain send/recv on the same loopback %.0f "
		  "MiB/s (yours: %.1f%%)", got / 16, got * 64000.0 / KIB /
		  mine, mib * 1000.0 / raw, 100 * raw * got / u.frames / mine);
	free(pool);
}

/* ---- the incremental decoder --------------------------------------------- */

struct seen {
	const struct frame *want;
	size_t nwant, n;	/* frames expected; on_frame calls so far */
	char err[160];		/* the first wrong delivery */
};

static void on_frame(void *user, const void *p, uint32_t len)
{
	struct seen *s = user;
	const struct frame *w = s->n < s->nwant ? &s->want[s->n] : NULL;

	if (s->err[0])
		;
	else if (!w)
		snprintf(s->err, sizeof(s->err), "on_frame was called for a "
			 "frame %zu, but only %zu were sent", s->n + 1,
			 s->nwant);
	else if (len != w->len)
		snprintf(s->err, sizeof(s->err), "frame %zu: on_frame got "
			 "length %u, expected %u", s->n + 1, len, w->len);
	else if (len && (!p || memcmp(p, w->p, len) != 0))
		snprintf(s->err, sizeof(s->err), "frame %zu (%u bytes): "
			 "on_frame got the wrong payload", s->n + 1, len);
	s->n++;
}

static void dec_init(struct kata_ctx *k, struct frame_decoder *d,
		     uint32_t max, struct seen *s)
{
	memset(d, 0, sizeof(*d));
	expect_res(k, "frame_decoder_init", KATA_SYM(k, frame_decoder_init)(
			   d, max, on_frame, s), 0);
}

/* Feeds n bytes; fails on an error result.  Returns the frame count. */
static ssize_t feed(struct kata_ctx *k, struct frame_decoder *d,
		    const unsigned char *p, size_t n, const char *what)
{
	ssize_t r = KATA_SYM(k, frame_decoder_feed)(d, p, n);

	if (r < 0)
		kata_fail(k, "%s: frame_decoder_feed(%zu bytes) returned %s",
			  what, n, rname(r));
	return r;
}

static void expect_seen(struct kata_ctx *k, const char *what,
			struct seen *s, ssize_t counted)
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

static void t_decoder_splits(struct kata_ctx *k)
{
	static unsigned char big[258];
	const struct frame f[] = { { "123456", 6 }, { "", 0 }, { big, 258 },
		{ "654321", 6 } };
	struct seen s = { .want = f, .nwant = 4 };
	struct frame_decoder d;
	char what[96];
	unsigned char *st;
	ssize_t c = 0;
	size_t n;

	fill_pattern(big, sizeof(big), 7);
	st = stream_of(k, f, 4, &n);
	kata_concept(k, "bytes arrive in chunks cut anywhere, even inside "
		     "the header: keep the partial frame for the next feed");
	for (size_t cut = 0; cut <= n; cut++) {
		snprintf(what, sizeof(what), "4 frames (%zu bytes) fed as "
			 "%zu + %zu bytes", n, cut, n - cut);
		s.n = 0;
		dec_init(k, &d, 1024, &s);
		c = feed(k, &d, st, cut, what);
		c += feed(k, &d, st + cut, n - cut, what);
		expect_seen(k, what, &s, c);
		KATA_SYM(k, frame_decoder_free)(&d);
	}
	s.n = 0;
	c = 0;
	dec_init(k, &d, 1024, &s);
	for (size_t i = 0; i < n; i++)
		c += feed(k, &d, st + i, 1, "fed one byte at a time");
	expect_seen(k, "4 frames fed one byte at a time", &s, c);
	KATA_SYM(k, frame_decoder_free)(&d);
	free(st);
}

static void t_decoder_chunks(struct kata_ctx *k)
{
	struct frame f[300];
	unsigned char *pool = xmalloc(k, 5000), *st;
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
	st = stream_of(k, f, 300, &n);
	kata_concept(k, "one chunk may hold many frames (粘包) and end in the "
		     "middle of the next: deliver every complete one, keep "
		     "the rest");
	dec_init(k, &d, 4900, &s);
	c = feed(k, &d, st, n, "300 frames in one chunk");
	expect_seen(k, "300 frames in one chunk", &s, c);
	s.n = 0;
	c = 0;
	while (at < n) {
		size_t m = 1 + rng_below(&g, rng_below(&g, 2) ? 16 : 6000);

		m = m < n - at ? m : n - at;
		c += feed(k, &d, st + at, m, "300 frames in random chunks");
		at += m;
	}
	expect_seen(k, "300 frames in random chunks", &s, c);
	KATA_SYM(k, frame_decoder_free)(&d);
	free(st);
	free(pool);
}

/* Feeds bytes expecting result want and `calls` new on_frame calls. */
static void feed_expect(struct kata_ctx *k, struct frame_decoder *d,
			struct seen *s, const void *p, size_t n,
			ssize_t want, size_t calls, const char *what)
{
	size_t before = s->n;
	ssize_t r = KATA_SYM(k, frame_decoder_feed)(d, p, n);

	expect_res(k, what, r, want);
	if (s->err[0])
		kata_fail(k, "%s: %s", what, s->err);
	if (s->n - before != calls)
		kata_fail(k, "%s: on_frame was called %zu times, expected "
			  "%zu", what, s->n - before, calls);
}

static void t_decoder_oversize(struct kata_ctx *k)
{
	static unsigned char big[1000], m[1004], a[5 + 4 + 20], b[5];
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff };
	const struct frame f[] = { { big, 1000 }, { "a", 1 }, { "b", 1 },
		{ "b", 1 } };
	struct seen s = { .want = f, .nwant = 4 };
	struct frame_decoder d;

	fill_pattern(big, sizeof(big), 8);
	put_frame(m, big, 1000);
	put_frame(a, "a", 1);
	put_header(a + 5, 1001);	/* then 20 bytes of its payload */
	put_frame(b, "b", 1);
	kata_concept(k, "a length above the decoder's maximum is refused "
		     "with -EMSGSIZE, and the decoder stays refused until "
		     "frame_decoder_reset: its stream is out of step");
	dec_init(k, &d, 1000, &s);
	feed_expect(k, &d, &s, m, 1004, 1, 1, "a frame of exactly max "
		    "(1000) bytes");
	feed_expect(k, &d, &s, a, sizeof(a), -EMSGSIZE, 1, "frame 'a', then "
		    "a header announcing max + 1 bytes");
	feed_expect(k, &d, &s, b, 5, -EMSGSIZE, 0, "a valid frame after "
		    "-EMSGSIZE, before frame_decoder_reset");
	KATA_SYM(k, frame_decoder_reset)(&d);
	feed_expect(k, &d, &s, b, 5, 1, 1, "a valid frame after reset");
	feed_expect(k, &d, &s, huge, 4, -EMSGSIZE, 0, "a header announcing "
		    "0xFFFFFFFF bytes");
	KATA_SYM(k, frame_decoder_reset)(&d);
	feed_expect(k, &d, &s, b, 5, 1, 1, "a valid frame after reset");
	KATA_SYM(k, frame_decoder_free)(&d);
	expect_res(k, "frame_decoder_init with max FRAME_MAX + 1",
		   KATA_SYM(k, frame_decoder_init)(&d, FRAME_MAX + 1,
						   on_frame, &s), -EINVAL);
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
	{ "decoder_oversize", "the decoder refuses frames above its max "
	  "until reset", t_decoder_oversize, 0, 1, "decoder_splits" },
	{ 0 }
};

KATA_GRADER(.kata = "framing",
	    .title = "Length-prefixed frames over TCP",
	    .topic = "TCP has no message boundaries (粘包)",
	    .order = 10,
	    .tests = tests);
