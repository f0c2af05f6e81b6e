/*
 * framing_grader.h: private to the framing grader (graders/framing.c,
 * graders/framing/checks.c, decoder.c and peer.c), not part of any API.
 *
 * checks.c (chk_*): frames built by the grader, results named for messages,
 * comparisons that fail the test with a message the learner can act on, and
 * the decoder's on_frame bookkeeping.  decoder.c: the decoder's tests
 * (t_decoder_*).  peer.c (peer_*): the loopback pair, the adversarial peer
 * thread with its SIGUSR1/EINTR machinery, the sink and drain peers of the
 * send tests, and the throughput pump.
 */
#ifndef FRAMING_GRADER_H
#define FRAMING_GRADER_H

#include "framing.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <kata/grader.h>

#define IO_MS 3000		/* receive timeout on the learner's socket */
#define CANARY 64		/* guard bytes after the learner's buffer */
#define KIB 1024
#define MIB (1024 * 1024)
#define SLOTS 17		/* frame i carries slot i % SLOTS of the pool */
#define FRAME_BYTES (64 * KIB)	/* the throughput test's frames */

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* One frame of a scripted stream: its payload and length. */
struct frame {
	const void *p;
	uint32_t len;
};

/* ---- checks.c ------------------------------------------------------------ */

/* "FRAME_EOF", "-EPROTO (Protocol error)" or "6"; 4 rotating buffers. */
const char *chk_rname(long long r);

/* What a wrong frame_recv/frame_send result most likely means, or "". */
const char *chk_hint(long long r, long long want);

/* Fails the test unless got == want. */
void chk_res(struct kata_ctx *k, const char *what, long long got,
	     long long want);

/* A new buffer of n bytes (at least 1), freed by the caller. */
void *chk_alloc(struct kata_ctx *k, size_t n);

/* Writes a 4-byte big-endian length at out. */
void chk_put_header(unsigned char *out, uint32_t len);

/* Writes a frame (header + payload) at out.  Returns its size. */
size_t chk_put_frame(unsigned char *out, const void *p, uint32_t len);

/* Fills p with a pattern that differs with salt. */
void chk_fill(unsigned char *p, size_t n, unsigned salt);

/* The stream of f[] in a new buffer (the caller frees); its size in *n. */
unsigned char *chk_stream_of(struct kata_ctx *k, const struct frame *f,
			     size_t nf, size_t *n);

/* Receives one frame into a cap-byte buffer and checks it and the guard. */
void chk_frame(struct kata_ctx *k, int fd, const void *want, long long len,
	       uint32_t cap, const char *what);

/*
 * Expects -EMSGSIZE from a cap-byte buffer, then exactly `left` bytes (the
 * unread payload) still in the socket.
 */
void chk_refused(struct kata_ctx *k, int fd, uint32_t cap, int left,
		 const char *what);

/* Compares the n bytes the peer received (n < 0: its error) with want. */
void chk_wire(struct kata_ctx *k, const char *what, const unsigned char *got,
	      ssize_t n, const unsigned char *want, size_t wn);

/* What the decoder delivered to on_frame, compared with the frames sent. */
struct seen {
	const struct frame *want;
	size_t nwant, n;	/* frames expected; on_frame calls so far */
	char err[160];		/* the first wrong delivery */
};

/* Zeroes *d and initialises it with chk_on_frame reporting to s. */
void chk_dec_init(struct kata_ctx *k, struct frame_decoder *d, uint32_t max,
		  struct seen *s);

/* The decoder's callback: records the first wrong delivery in s->err. */
void chk_on_frame(void *user, const void *p, uint32_t len);

/* Feeds n bytes; fails on an error result.  Returns the frame count. */
ssize_t chk_feed(struct kata_ctx *k, struct frame_decoder *d,
		 const unsigned char *p, size_t n, const char *what);

/* Fails unless every frame of s arrived right and counted adds up. */
void chk_seen(struct kata_ctx *k, const char *what, struct seen *s,
	      ssize_t counted);

/* Feeds bytes expecting result want and `calls` new on_frame calls. */
void chk_feed_expect(struct kata_ctx *k, struct frame_decoder *d,
		     struct seen *s, const void *p, size_t n, ssize_t want,
		     size_t calls, const char *what);

/* ---- decoder.c: the decoder's tests, listed in graders/framing.c ------- */

void t_decoder_splits(struct kata_ctx *k);
void t_decoder_chunks(struct kata_ctx *k);
void t_decoder_grows(struct kata_ctx *k);
void t_decoder_oversize(struct kata_ctx *k);

/* ---- peer.c -------------------------------------------------------------- */

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

/* A loopback TCP pair; the learner's end gets a receive timeout. */
void peer_pair(struct kata_ctx *k, int *learner, int *peer);

/* setsockopt of an int option, result ignored. */
void peer_set_int(int fd, int level, int opt, int v);

/* Installs SIGUSR1 without SA_RESTART: a blocked send/recv gets EINTR. */
void peer_arm_signal(void);

/* Starts fn(p) as thread "g:peer" against the calling (learner's) thread. */
void peer_start(struct kata_ctx *k, struct peer *p, void *(*fn)(void *));

/* Tells the peer the learner returned, joins it, fails on its error. */
void peer_join(struct kata_ctx *k, struct peer *p);

/* Fails unless the peer's signals reached the learner's thread fn. */
void peer_landed(struct kata_ctx *k, struct peer *p, const char *fn);

/* The peer sends frames f[] cut at cuts[]; the learner receives them. */
void peer_recv_script(struct kata_ctx *k, const struct frame *f, size_t nf,
		      const size_t *cuts, size_t ncuts, unsigned flags);

/* A new pair whose peer wrote p (then shut down if eof): the learner's fd. */
int peer_says(struct kata_ctx *k, const void *p, size_t n, bool eof);

/* Peer thread: reads to end-of-stream, the first 16 bytes in p->got. */
void *peer_sink_main(void *arg);

/* Peer thread: interrupts the learner's send, drains a little, repeats. */
void *peer_drain_main(void *arg);

/* The throughput test's sender: frames of the pool, sent from a thread. */
struct pump {
	int fd;
	const unsigned char *pool;
	long long frames;
	int (*send_fn)(int, const void *, uint32_t);	/* NULL: raw send */
	int err;
	atomic_int stop;
	pthread_t thread;
};

/* Starts u's sender thread on fd; it shuts fd down when done. */
void peer_pump_start(struct kata_ctx *k, struct pump *u, int fd);

/* Plain send/recv of the same bytes on loopback: elapsed ms. */
double peer_raw_ms(struct kata_ctx *k, struct pump *u);

/*
 * Receives u's frames through frame_recv, checking each, until all arrived
 * or budget_ms passed.  Returns the number received.
 */
long long peer_pump_check(struct kata_ctx *k, struct pump *u, int fd,
			  double budget_ms);

#pragma GCC visibility pop

#endif
