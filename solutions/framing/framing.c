/*
 * framing.c (reference solution): length-prefixed frames over TCP.
 *
 * Entry points: frame_send, frame_recv (blocking sockets) and the
 * incremental decoder frame_decoder_init/feed/reset/free.  The contract is
 * in katas/framing/framing.h.  Two loops do the real work: send_all() and
 * recv_all(), which carry on after short transfers and EINTR.
 */
#include "framing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <kata/plugin.h>

KATA_PLUGIN("framing");

/* Sends all n bytes.  0 or -errno. */
static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t m = send(fd, p, n, MSG_NOSIGNAL);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		p += m;
		n -= (size_t)m;
	}
	return 0;
}

/*
 * Receives exactly n bytes.  Returns n, the count received before the peer
 * closed (< n), or -errno.
 */
static ssize_t recv_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t m = recv(fd, p + got, n - got, 0);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		if (m == 0)
			break;
		got += (size_t)m;
	}
	return (ssize_t)got;
}

int frame_send(int fd, const void *buf, uint32_t len)
{
	uint32_t be = htonl(len);
	int r;

	if (len > FRAME_MAX)
		return -EMSGSIZE;
	r = send_all(fd, &be, sizeof(be));
	if (r == 0 && len > 0)
		r = send_all(fd, buf, len);
	return r;
}

ssize_t frame_recv(int fd, void *buf, uint32_t cap)
{
	uint32_t be, len;
	ssize_t r = recv_all(fd, &be, sizeof(be));

	if (r < 0)
		return r;
	if (r == 0)
		return FRAME_EOF;
	if (r < (ssize_t)sizeof(be))
		return -EPROTO;
	len = ntohl(be);
	if (len > cap)
		return -EMSGSIZE;
	r = recv_all(fd, buf, len);
	if (r < 0)
		return r;
	return r < (ssize_t)len ? -EPROTO : r;
}

int frame_decoder_init(struct frame_decoder *d, uint32_t max,
		       void (*on_frame)(void *user, const void *payload,
					uint32_t len),
		       void *user)
{
	if (max > FRAME_MAX || !on_frame)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->max = max;
	d->on_frame = on_frame;
	d->user = user;
	return 0;
}

/* Makes room for the current frame's payload.  0 or -ENOMEM. */
static int reserve(struct frame_decoder *d)
{
	unsigned char *p;

	if (d->len <= d->buf_cap)
		return 0;
	p = realloc(d->buf, d->len);
	if (!p)
		return -ENOMEM;
	d->buf = p;
	d->buf_cap = d->len;
	return 0;
}

/*
 * Consumes header bytes from *p (n left); once the header is whole, checks
 * the length.  0 or -errno.
 */
static int take_header(struct frame_decoder *d, const unsigned char **p,
		       size_t *n)
{
	size_t want = FRAME_HEADER_SIZE - d->hdr_got;
	size_t take = *n < want ? *n : want;
	uint32_t be;

	memcpy(d->hdr + d->hdr_got, *p, take);
	d->hdr_got += (uint32_t)take;
	*p += take;
	*n -= take;
	if (d->hdr_got < FRAME_HEADER_SIZE)
		return 0;
	memcpy(&be, d->hdr, sizeof(be));
	d->len = ntohl(be);
	d->got = 0;
	if (d->len > d->max)
		return -EMSGSIZE;
	return reserve(d);
}

/* Consumes payload bytes; delivers the frame when whole.  1 if delivered. */
static int take_payload(struct frame_decoder *d, const unsigned char **p,
			size_t *n)
{
	size_t want = d->len - d->got;
	size_t take = *n < want ? *n : want;

	if (take > 0)
		memcpy(d->buf + d->got, *p, take);
	d->got += (uint32_t)take;
	*p += take;
	*n -= take;
	if (d->got < d->len)
		return 0;
	d->on_frame(d->user, d->len ? d->buf : NULL, d->len);
	d->hdr_got = 0;
	return 1;
}

ssize_t frame_decoder_feed(struct frame_decoder *d, const void *data,
			   size_t n)
{
	const unsigned char *p = data;
	ssize_t frames = 0;

	if (d->error)
		return d->error;
	while (n > 0 || d->hdr_got == FRAME_HEADER_SIZE) {
		if (d->hdr_got < FRAME_HEADER_SIZE) {
			d->error = take_header(d, &p, &n);
			if (d->error)
				return d->error;
			if (d->hdr_got < FRAME_HEADER_SIZE)
				break;
		}
		if (!take_payload(d, &p, &n))
			break;
		frames++;
	}
	return frames;
}

void frame_decoder_reset(struct frame_decoder *d)
{
	d->hdr_got = 0;
	d->len = 0;
	d->got = 0;
	d->error = 0;
}

void frame_decoder_free(struct frame_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->buf_cap = 0;
	frame_decoder_reset(d);
}
