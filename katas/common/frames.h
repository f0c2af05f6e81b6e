/*
 * frames.h: support code shipped with the katas that talk in frames
 * (auth_chat, ftp_transfer): you need not edit it, nor finish the framing
 * kata first.  A frame is a 4-byte big-endian payload length, then that
 * many bytes, as in the framing kata.  Each kata's header wraps these
 * functions with its own limit and status tokens (ac_frame_send,
 * ftp_frame_recv, ...).
 *
 * Entry points: frames_send, frames_recv, frames_token (frames.c).
 */
#ifndef KATA_FRAMES_H
#define KATA_FRAMES_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Sends one frame with one sendmsg() where it can (MSG_NOSIGNAL, short
 * writes and EINTR retried).  Returns 0, -EMSGSIZE when len > max (nothing
 * sent), or -errno (-EPIPE when the peer has gone).
 */
int frames_send(int fd, const void *buf, size_t len, size_t max);

/*
 * Receives one whole frame into buf (cap bytes), however the bytes arrive.
 * Returns the payload length (0 for an empty frame), or -ENODATA (clean
 * close between frames), -ECONNRESET (close mid-frame), -EMSGSIZE (length
 * over cap or max; the payload is left unread), or another -errno.
 */
ssize_t frames_recv(int fd, void *buf, size_t cap, size_t max);

/*
 * tokens[status] when 0 <= status < n, else "?".  Returns a string the
 * caller does not free (an element of tokens, or a static one).
 */
const char *frames_token(const char *const *tokens, int n, int status);

#endif
