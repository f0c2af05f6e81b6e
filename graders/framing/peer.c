/*
 * peer.c (framing grader): the other end of the learner's socket.
 *
 * The test's own thread calls the learner's frame_send/frame_recv; a peer
 * thread ("g:peer") plays the other end adversarially: it writes a byte at a
 * time, splits headers, waits until the learner's thread is blocked in the
 * kernel (/proc) before each write, interrupts it with SIGUSR1 (installed
 * without SA_RESTART, so recv/send fail with EINTR or come back short), and
 * closes mid-frame.  Entry points: peer_pair, peer_says, peer_recv_script,
 * peer_start/peer_join with peer_sink_main or peer_drain_main, and the
 * throughput pump (peer_pump_start, peer_raw_ms, peer_pump_check).
 */
#define _GNU_SOURCE
#include "framing_grader.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

void peer_pair(struct kata_ctx *k, int *learner, int *peer)
{
	long ms = (long)(IO_MS * kata_scale(k));
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int r = net_tcp_pair(learner, peer);

	if (r < 0)
		kata_fail(k, "grader: no loopback TCP connection: %s",
			  chk_rname(r));
	setsockopt(*learner, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void peer_set_int(int fd, int level, int opt, int v)
{
	setsockopt(fd, level, opt, &v, sizeof(v));
}

/* ---- signals ------------------------------------------------------------- */

static atomic_int signals_landed;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals_landed, 1);
}

void peer_arm_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

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

/* ---- the peer thread ----------------------------------------------------- */

/* Writes p->data in pieces cut at p->cuts, waiting/interrupting first. */
static void *script_main(void *arg)
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

void peer_start(struct kata_ctx *k, struct peer *p, void *(*fn)(void *))
{
	int r;

	p->tid = thread_tid();
	p->main = pthread_self();
	p->wait_ms = (int)(1000 * kata_scale(k));
	peer_set_int(p->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	r = thread_start(&p->thread, "peer", fn, p);
	if (r < 0)
		kata_fail(k, "grader: cannot start the peer: %s",
			  chk_rname(r));
}

void peer_join(struct kata_ctx *k, struct peer *p)
{
	atomic_store(&p->done, 1);
	if (thread_join_timeout(p->thread, (int)(5000 * kata_scale(k)),
				NULL) < 0)
		kata_fail(k, "grader: the peer thread did not finish");
	if (p->err < 0)
		kata_fail(k, "the peer's send() failed with %s: did your code "
			  "close or shut down the socket?", chk_rname(p->err));
}

void peer_recv_script(struct kata_ctx *k, const struct frame *f, size_t nf,
		      const size_t *cuts, size_t ncuts, unsigned flags)
{
	struct peer p = { .cuts = cuts, .ncuts = ncuts, .flags = flags };
	unsigned char *data = chk_stream_of(k, f, nf, &p.n);
	uint32_t cap = 1;
	char what[64];

	for (size_t i = 0; i < nf; i++)
		cap = f[i].len > cap ? f[i].len : cap;
	p.data = data;
	peer_pair(k, &p.learner_fd, &p.fd);
	peer_start(k, &p, script_main);
	for (size_t i = 0; i < nf; i++) {
		snprintf(what, sizeof(what), "frame %zu of %zu (%u bytes)",
			 i + 1, nf, f[i].len);
		chk_frame(k, p.learner_fd, f[i].p, f[i].len, cap, what);
	}
	peer_join(k, &p);
	if (flags & PEER_SIGNAL)
		peer_landed(k, &p, "frame_recv");
	free(data);
}

void peer_landed(struct kata_ctx *k, struct peer *p, const char *fn)
{
	if (p->interrupted == 0)
		kata_fail(k, "no SIGUSR1 reached the thread calling %s, so "
			  "nothing was interrupted (%d waits for it to block "
			  "timed out): does your code block signals?", fn,
			  p->missed);
	kata_ok(k, "%d signals landed", p->interrupted);
}

int peer_says(struct kata_ctx *k, const void *p, size_t n, bool eof)
{
	int fd, peer;

	peer_pair(k, &fd, &peer);
	if (net_write_full(peer, p, n) < 0)
		kata_fail(k, "grader: loopback write failed");
	if (eof)
		shutdown(peer, SHUT_WR);
	return fd;
}

void *peer_sink_main(void *arg)
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

void *peer_drain_main(void *arg)
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

/* ---- the throughput pump ------------------------------------------------- */

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

void peer_pump_start(struct kata_ctx *k, struct pump *u, int fd)
{
	u->fd = fd;
	if (thread_start(&u->thread, "sender", pump_main, u) < 0)
		kata_fail(k, "grader: cannot start the sender thread");
}

double peer_raw_ms(struct kata_ctx *k, struct pump *u)
{
	static unsigned char buf[256 * KIB];
	uint64_t t0 = timing_now_ns();
	ssize_t m;
	int fd, peer;

	peer_pair(k, &fd, &peer);
	peer_pump_start(k, u, peer);
	while ((m = recv(fd, buf, sizeof(buf), 0)) > 0 ||
	       (m < 0 && errno == EINTR))
		;
	thread_join_timeout(u->thread, 5000, NULL);
	return timing_ms_since(t0);
}

long long peer_pump_check(struct kata_ctx *k, struct pump *u, int fd,
			  double budget_ms)
{
	ssize_t (*recv_fn)(int, void *, uint32_t) = KATA_SYM(k, frame_recv);
	unsigned char *buf = chk_alloc(k, FRAME_BYTES);
	uint64_t t0 = timing_now_ns();
	long long i;

	for (i = 0; i < u->frames; i++) {
		ssize_t r = recv_fn(fd, buf, FRAME_BYTES);

		if (r != FRAME_BYTES) {
			thread_join_timeout(u->thread, 2000, NULL);
			kata_fail(k, "frame %lld: frame_recv returned %s, "
				  "expected %d; the sender's frame_send "
				  "returned %s%s", i + 1, chk_rname(r),
				  FRAME_BYTES, chk_rname(u->err),
				  chk_hint(r, 1));
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
