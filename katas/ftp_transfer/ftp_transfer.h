/*
 * ftp_transfer.h: a small file server and its client over length-prefixed
 * TCP frames.  Do not edit: the grader relies on every value below.
 *
 * Entry points: ftp_serve (the server), ftp_list, ftp_get, ftp_put,
 * ftp_delete (the client).  The support functions ftp_frame_send,
 * ftp_frame_recv and ftp_status_name are given: they wrap
 * katas/common/frames.c (frames.h).
 *
 * Wire format (both directions): every message is one frame, a 4-byte
 * big-endian payload length followed by that many bytes; a payload holds at
 * most FTP_MAX_FRAME bytes.  Requests and replies are text without a
 * trailing newline; tokens are separated by one space.
 *
 *   request                 reply and what follows
 *   LIST                    "OK <count>", then <count> frames "<size> <name>",
 *                           one per regular file directly in the root whose
 *                           name is valid (so never a temporary file, a
 *                           symbolic link or a directory), in any order
 *   GET <name>              "OK <size>", then data frames holding exactly
 *                           <size> bytes (each 1..FTP_MAX_FRAME bytes);
 *                           or an error status
 *   PUT <name> <size>       "OK" (send now) or an error status; after "OK"
 *                           the client sends data frames holding exactly
 *                           <size> bytes (each 1..FTP_MAX_FRAME bytes) and
 *                           the server answers once more: "OK" when the file
 *                           is in place, or an error status
 *   DELETE <name>           "OK" or an error status
 *
 * A reply is a status token (FTP_STATUS_TOKENS below), optionally followed
 * by a space and a number as shown.  <name> is every byte after "GET " or
 * "DELETE "; for PUT it is every byte between "PUT " and the last space;
 * <size> is 1..20 decimal digits.
 *
 * Names: a valid name is 1..FTP_MAX_NAME bytes, contains no '/', no NUL and
 * no byte below 0x20 or equal to 0x7f, is not "." or "..", and does not
 * start with FTP_TMP_PREFIX.  Anything else is answered BAD_NAME and nothing
 * is read, written or deleted.  A valid name refers to an entry directly in
 * the root directory; an entry that is not a regular file (a symbolic link,
 * a directory) is answered BAD_NAME too: links are never followed.
 */
#ifndef FTP_TRANSFER_H
#define FTP_TRANSFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "frames.h"

#define FTP_MAX_FRAME	65536u		/* bytes of payload in one frame */
#define FTP_MAX_NAME	255u		/* bytes in a file name */
#define FTP_MAX_FILE	(1ull << 30)	/* bytes in one uploaded file */
#define FTP_TMP_PREFIX	".ftp-upload-"	/* uploads in progress; never listed */

/*
 * Statuses: a reply's first token, and what the client functions return.
 * An oversize frame (length > FTP_MAX_FRAME) is answered TOO_BIG and the
 * server closes that connection; any other malformed request (unknown
 * command, missing or bad size, an empty frame) is answered BAD_REQUEST and
 * the connection goes on.  PUT with <size> > FTP_MAX_FILE is TOO_BIG.  A data
 * frame during PUT that is empty or runs past <size> is BAD_REQUEST and the
 * connection is closed.
 */
enum ftp_status {
	FTP_OK = 0,		/* "OK" */
	FTP_NOT_FOUND,		/* "NOT_FOUND": no such file */
	FTP_BAD_NAME,		/* "BAD_NAME": see "Names" above */
	FTP_TOO_BIG,		/* "TOO_BIG": frame or file over the limit */
	FTP_BAD_REQUEST,	/* "BAD_REQUEST": not a request I understand */
	FTP_IO_ERROR,		/* "IO_ERROR": the server's disk failed */
	FTP_NSTATUS
};

#define FTP_STATUS_TOKENS { "OK", "NOT_FOUND", "BAD_NAME", "TOO_BIG", \
			    "BAD_REQUEST", "IO_ERROR" }

/* ---- support: katas/common/frames.c (frames.h) -------------------------- */

/*
 * Sends one frame: header and payload, retrying short writes and EINTR,
 * with MSG_NOSIGNAL.  Returns 0, -EMSGSIZE when len > FTP_MAX_FRAME (nothing
 * sent), or -errno (-EPIPE when the peer has gone).
 */
static inline int ftp_frame_send(int fd, const void *buf, size_t len)
{
	return frames_send(fd, buf, len, FTP_MAX_FRAME);
}

/*
 * Receives one whole frame into buf (cap bytes), however the bytes arrive.
 * Returns the payload length (0 for an empty frame), or:
 * -ENODATA when the peer closed the connection cleanly between frames,
 * -ECONNRESET when it closed in the middle of a frame,
 * -EMSGSIZE when the announced length is over cap or FTP_MAX_FRAME (the
 *  payload is left unread: the stream cannot be resynchronised),
 * or another -errno.
 */
static inline ssize_t ftp_frame_recv(int fd, void *buf, size_t cap)
{
	return frames_recv(fd, buf, cap, FTP_MAX_FRAME);
}

/* Returns the token of a status ("NOT_FOUND"), or "?" (static string). */
static inline const char *ftp_status_name(int status)
{
	static const char *const tokens[] = FTP_STATUS_TOKENS;

	return frames_token(tokens, FTP_NSTATUS, status);
}

/* ---- the server --------------------------------------------------------- */

/*
 * Serves the files directly inside the directory root_fd (an O_DIRECTORY
 * descriptor) to every client that connects to listen_fd (a listening TCP
 * socket), many clients at once, until stop_fd becomes readable.  Then it
 * stops promptly: it stops accepting, ends every connection (removing the
 * temporary file of any unfinished upload), joins every thread it started,
 * closes every descriptor it opened, and returns 0.  Returns -errno when it
 * cannot start.  The three descriptors stay open and belong to the caller.
 *
 * Uploads are atomic: a PUT writes a temporary file named FTP_TMP_PREFIX...
 * and renames it over <name> only when every byte has arrived, so a LIST or
 * GET never sees a partial file, and an upload that ends early (the client
 * disconnects, a bad frame, the server stops) leaves no file behind and an
 * existing file of that name untouched.  A client that goes away must not
 * kill the server (SIGPIPE): send with MSG_NOSIGNAL.
 */
int ftp_serve(int listen_fd, int root_fd, int stop_fd);

/* ---- the client --------------------------------------------------------- */

/*
 * Each function sends one request over fd, a connected socket, and returns
 * the server's status (enum ftp_status, >= 0), or a negative errno when the
 * exchange itself failed: -EPROTO when a reply is not what the protocol
 * says, -ECONNRESET when the server closed the connection too early, or the
 * error of the failing call.
 */

/* LIST: calls fn(arg, name, size) for each entry, in the server's order. */
int ftp_list(int fd, void (*fn)(void *arg, const char *name, uint64_t size),
	     void *arg);

/*
 * GET name: writes the file's bytes to out_fd as they arrive (never holding
 * the whole file in memory) and, on OK, stores its size in *size.
 */
int ftp_get(int fd, const char *name, int out_fd, uint64_t *size);

/*
 * PUT name size: reads size bytes from in_fd and uploads them in frames of
 * at most FTP_MAX_FRAME bytes.  When the server refuses the PUT, returns its
 * status without sending any data.
 */
int ftp_put(int fd, const char *name, int in_fd, uint64_t size);

/* DELETE name. */
int ftp_delete(int fd, const char *name);

#endif
