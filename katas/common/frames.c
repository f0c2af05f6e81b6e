/*
 * frames.c: support code shipped with the katas that talk in frames (you
 * need not edit it): length-prefixed frames over a TCP socket, as in the
 * framing kata, and the names of statuses.
 *
 * Entry points: frames_send, frames_recv, frames_token (see frames.h).
 */
#include "frames.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

/*
 * Writes the header and the payload with one sendmsg() where it can (two
 * send() calls would let Nagle's algorithm hold the second one back until
 * the peer acknowledges the first), retrying short writes: 0 or -errno.
 */
static int send_all(int fd, struct iovec *iov, int cnt)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };

	while (m.msg_iovlen > 0) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		while (m.msg_iovlen > 0 && (size_t)n >= m.msg_iov->iov_len) {
			n -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen > 0) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + n;
			m.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Reads exactly n bytes: n, the bytes read before end-of-stream, or -errno */
static ssize_t recv_all(int fd, unsigned char *p, size_t n)
{
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

int frames_send(int fd, const void *buf, size_t len, size_t max)
{
	unsigned char h[4];
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)buf, len } };

	if (len > max)
		return -EMSGSIZE;
	h[0] = (unsigned char)(len >> 24);
	h[1] = (unsigned char)(len >> 16);
	h[2] = (unsigned char)(len >> 8);
	h[3] = (unsigned char)len;
	return send_all(fd, iov, len ? 2 : 1);
}

ssize_t frames_recv(int fd, void *buf, size_t cap, size_t max)
{
	unsigned char h[4];
	ssize_t n = recv_all(fd, h, sizeof(h));
	size_t len;

	if (n < 0)
		return n;
	if (n == 0)
		return -ENODATA;
	if (n < 4)
		return -ECONNRESET;
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	      h[3];
	if (len > cap || len > max)
		return -EMSGSIZE;
	n = recv_all(fd, buf, len);
	if (n >= 0 && (size_t)n < len)
		return -ECONNRESET;
	return n;
}

const char *frames_token(const char *const *tokens, int n, int status)
{
	if (status < 0 || status >= n)
		return "?";
	return tokens[status];
}
