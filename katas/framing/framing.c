/*
 * framing.c: your implementation of length-prefixed frames over TCP.
 *
 * Entry points: frame_send, frame_recv (blocking sockets) and the
 * incremental decoder frame_decoder_init/feed/reset/free.  framing.h is the
 * contract: read it and README.md first, then replace each TODO below.
 * Check your work with:  ./runner check framing
 *
 * Every function here fails politely until you write it, so each test
 * fails with a message rather than crashing.
 */
#include "framing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <kata/plugin.h>

KATA_PLUGIN("framing");

int frame_send(int fd, const void *buf, uint32_t len)
{
	/*
	 * TODO: refuse len > FRAME_MAX, then send the 4-byte length in
	 * network byte order (htonl) followed by the payload.  send() may
	 * take fewer bytes than you ask for, or fail with EINTR: loop until
	 * every byte is gone.  Use MSG_NOSIGNAL.
	 */
	(void)fd;
	(void)buf;
	(void)len;
	return -ENOSYS;
}

ssize_t frame_recv(int fd, void *buf, uint32_t cap)
{
	/*
	 * TODO: read exactly 4 header bytes (looping: recv() may return 1),
	 * convert with ntohl, refuse a length above cap with -EMSGSIZE, then
	 * read exactly that many payload bytes.  Tell a clean close before
	 * the header (FRAME_EOF) from a close in the middle (-EPROTO).
	 */
	(void)fd;
	(void)buf;
	(void)cap;
	return -ENOSYS;
}

int frame_decoder_init(struct frame_decoder *d, uint32_t max,
		       void (*on_frame)(void *user, const void *payload,
					uint32_t len),
		       void *user)
{
	/*
	 * TODO: check the arguments, clear the state and store the
	 * configuration.
	 */
	(void)d;
	(void)max;
	(void)on_frame;
	(void)user;
	return -ENOSYS;
}

ssize_t frame_decoder_feed(struct frame_decoder *d, const void *data,
			   size_t n)
{
	/*
	 * TODO: consume the chunk byte range by byte range: first complete
	 * the header (it may arrive across several calls), then the payload;
	 * call on_frame for each complete frame and go on with the rest of
	 * the chunk.  Refuse a length above max, and stay refused.
	 */
	(void)d;
	(void)data;
	(void)n;
	return -ENOSYS;
}

void frame_decoder_reset(struct frame_decoder *d)
{
	/* TODO: forget the partial frame and the error state. */
	(void)d;
}

void frame_decoder_free(struct frame_decoder *d)
{
	/* TODO: free what the decoder allocated. */
	(void)d;
}
