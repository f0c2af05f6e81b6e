/*
 * framing.h: length-prefixed frames over a TCP byte stream.  DO NOT EDIT:
 * this header is the contract the grader checks; write your code in
 * framing.c.
 *
 * TCP delivers bytes, not messages: one recv() may return half a message or
 * three and a half (the "sticky packet" problem, 粘包).  A frame puts the
 * boundaries back:
 *
 *	+--------+--------+--------+--------+------------------------+
 *	| length: 32-bit unsigned, big-endian | payload: length bytes  |
 *	+--------+--------+--------+--------+------------------------+
 *
 * The length counts the payload only (not the 4 header bytes), is sent in
 * network byte order (most significant byte first, htonl/ntohl), and may be
 * 0: an empty frame is a valid frame.
 *
 * Entry points:
 *	frame_send, frame_recv		blocking sockets, one frame per call
 *	frame_decoder_init/feed/reset/free
 *					an incremental decoder for code that
 *					reads whatever bytes are available
 *					(non-blocking sockets, poll loops)
 *
 * Results follow one rule: a non-negative value on success, a negative errno
 * value (-EPROTO, not -1) on failure, plus FRAME_EOF below.  Nothing here
 * closes the descriptor it is given; the caller owns it.
 */
#ifndef FRAMING_H
#define FRAMING_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The size of the length prefix, in bytes. */
#define FRAME_HEADER_SIZE 4

/*
 * The largest payload the protocol allows: 16 MiB.  frame_send refuses
 * anything longer, and a decoder cannot be configured above it.
 */
#define FRAME_MAX (16u * 1024 * 1024)

/*
 * frame_recv's result when the peer closed the connection cleanly between
 * frames (before the first byte of a header).  It is negative and is not an
 * errno value, so it cannot be mistaken for a payload length or an error.
 */
#define FRAME_EOF (-4096 - 1)

/*
 * Sends one frame on the blocking stream socket fd: the 4-byte big-endian
 * length, then the len bytes at buf (buf may be NULL when len is 0).
 *
 * The whole frame is sent before it returns.  send() on a blocking socket
 * may accept fewer bytes than asked (a signal arrived after some were
 * queued), or fail with EINTR (a signal arrived before any were): both mean
 * "carry on from where it stopped", never "give up".
 *
 * Writing to a peer that has closed must not kill the process with SIGPIPE:
 * send with MSG_NOSIGNAL, so the failure comes back as -EPIPE (or
 * -ECONNRESET).
 *
 * Returns 0 when the whole frame was handed to the kernel;
 * -EMSGSIZE when len > FRAME_MAX (nothing is sent); or the -errno of a
 * failed send() (-EPIPE, -ECONNRESET, ...), in which case part of the frame
 * may have been sent and the stream is no longer usable.
 */
int frame_send(int fd, const void *buf, uint32_t len);

/*
 * Receives exactly one frame from the blocking stream socket fd into buf,
 * which holds cap bytes.  Reads the 4 header bytes, then exactly the
 * announced number of payload bytes: no fewer (recv() may return any part
 * of them) and no more (the bytes after this frame belong to the next call).
 * recv() failing with EINTR is retried.
 *
 * Returns:
 *	>= 0		the payload length (0 for an empty frame);
 *	FRAME_EOF	the peer closed cleanly before the first header byte:
 *			the normal end of the conversation;
 *	-EPROTO		the peer closed in the middle of a frame (inside the
 *			header or the payload): the frame is lost;
 *	-EMSGSIZE	the header announces more than cap bytes.  Returned as
 *			soon as the header is read: nothing is written to buf
 *			beyond cap, nothing is allocated for the announced size,
 *			and the payload is not read.  The stream is then out of
 *			step and the caller closes it;
 *	-errno		recv() failed (-ECONNRESET, -EAGAIN when the socket
 *			has a receive timeout that expired, ...).
 * Any failure leaves the stream unusable except FRAME_EOF, which ends it.
 */
ssize_t frame_recv(int fd, void *buf, uint32_t cap);

/*
 * An incremental decoder, for code that cannot block until a frame is
 * complete: feed it whatever bytes arrived, in chunks of any size and split
 * anywhere, and it calls on_frame once per complete frame, in order.
 *
 * The struct is defined here so that it can live on the stack or inside your
 * connection struct; its state fields are yours to use as you see fit (the
 * grader only calls the functions below).  A decoder is used by one thread
 * at a time.
 */
struct frame_decoder {
	/* Configuration, set by frame_decoder_init(). */
	uint32_t max;		/* largest payload accepted, <= FRAME_MAX */
	void (*on_frame)(void *user, const void *payload, uint32_t len);
	void *user;		/* passed back to on_frame */

	/* State: a suggestion of what a decoder needs to remember. */
	unsigned char hdr[FRAME_HEADER_SIZE];	/* header bytes so far */
	uint32_t hdr_got;	/* how many of them (0..4) */
	uint32_t len;		/* the current frame's length, once known */
	unsigned char *buf;	/* payload collected so far (malloc'd) */
	uint32_t buf_cap;	/* allocated size of buf */
	uint32_t got;		/* payload bytes collected so far */
	int error;		/* 0, or the -errno that stopped the decoder */
};

/*
 * Prepares d to decode frames of at most max payload bytes.  on_frame is
 * called with user, the payload and its length for every complete frame;
 * the payload pointer is valid only during that call (copy what you keep),
 * and may be NULL when len is 0.  on_frame must not call back into the same
 * decoder.  Allocates nothing up front.
 *
 * Returns 0, or -EINVAL when max > FRAME_MAX or on_frame is NULL.
 */
int frame_decoder_init(struct frame_decoder *d, uint32_t max,
		       void (*on_frame)(void *user, const void *payload,
					uint32_t len),
		       void *user);

/*
 * Decodes the n bytes at data, which continue the bytes of earlier calls:
 * calls on_frame for every frame completed by them, and keeps a partial
 * frame (even a partial header) for the next call.
 *
 * Returns the number of frames delivered by this call (>= 0), or:
 *	-EMSGSIZE	a header announced more than max bytes.  Frames that
 *			completed before it in the same chunk were delivered;
 *			nothing is allocated for the announced size;
 *	-ENOMEM		the payload buffer could not be allocated.
 * After a failure the decoder stays in that error state: every later call
 * returns the same error without calling on_frame, until
 * frame_decoder_reset().
 */
ssize_t frame_decoder_feed(struct frame_decoder *d, const void *data,
			   size_t n);

/*
 * Forgets any partial frame and clears the error state, so that decoding
 * starts afresh at a frame boundary.  The configuration (max, on_frame,
 * user) is kept; so may be the allocated buffer.
 */
void frame_decoder_reset(struct frame_decoder *d);

/*
 * Releases the decoder's memory.  d must be initialised again before it is
 * fed again.  Safe to call twice.
 */
void frame_decoder_free(struct frame_decoder *d);

#endif
