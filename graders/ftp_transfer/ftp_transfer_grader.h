/*
 * ftp_transfer_grader.h: private to the ftp_transfer grader
 * (graders/ftp_transfer.c and the files in graders/ftp_transfer/), not part
 * of any API.
 *
 * wire.c (wire_*): the protocol as a raw grader-side client speaks it:
 * frames, replies checked against what the header fixes, listings,
 * uploads and downloads, hostile names.  files.c (fs_*): the files and
 * directories the tests prepare and compare.  server.c (srv_*): the
 * learner's ftp_serve in a thread over a copy of the fixtures, and the
 * load the big tests put on it.  client.c (client_*): the tests of the
 * learner's client functions, against a scripted server.  uploads.c
 * (upload_test_*): the tests of PUT on the server.  play.c: `runner
 * play ftp_transfer server|client` (play_modes).
 */
#ifndef FTP_TRANSFER_GRADER_H
#define FTP_TRANSFER_GRADER_H

#include "ftp_transfer.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <kata/grader.h>

#include "digest.h"

#define WAIT_MS 5000		/* for one reply; scaled */
#define LIST_CAP 4096		/* bytes of a listing shown in a message */
#define CANARY "canary: must never be served or changed\n"
#define MS(k, ms) ((int)((ms) * kata_scale(k)))

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* The learner's server on a copy of the fixtures (srv_start). */
struct srv {
	struct kata_ctx *k;
	int (*serve)(int listen_fd, int root_fd, int stop_fd);
	atomic_bool stopping;
	int lfd, root_fd, stop[2], result;
	uint16_t port;
	pthread_t t;
	char root[PATH_MAX / 2], canary[PATH_MAX / 2], fix[LIST_CAP];
};

/* ---- wire.c ------------------------------------------------------------- */

/* A receive buffer per thread (FTP_MAX_FRAME + 1 bytes). */
extern __thread char wire_buf[FTP_MAX_FRAME + 1];

/* Sends one frame; fails the test if the peer has closed. */
void wire_put_frame(struct kata_ctx *k, int fd, const void *p, size_t n);

/* Sends one frame made by printf. */
void wire_sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
	KATA_PRINTF(3, 4);

/*
 * Receives one frame into buf (cap + 1 bytes, NUL-ended): its length,
 * -ENODATA at a clean end, -ECONNRESET mid-frame, -EMSGSIZE, -ETIMEDOUT.
 */
ssize_t wire_get_frame(struct kata_ctx *k, int fd, char *buf, size_t cap);

/* p[0..n) quoted for a message (2 rotating buffers per thread). */
const char *wire_show(const char *p, size_t n);

/* What a failed wire_get_frame means, for a message (a constant). */
const char *wire_no_reply(ssize_t r);

/* Receives a reply into buf (FTP_MAX_FRAME + 1); fails unless it is want. */
void wire_expect_in(struct kata_ctx *k, int fd, char *buf, const char *what,
		    const char *want);

/* wire_expect_in into wire_buf. */
void wire_expect(struct kata_ctx *k, int fd, const char *what,
		 const char *want);

/* Fails the test unless the server has closed fd. */
void wire_expect_closed(struct kata_ctx *k, int fd, const char *what);

/* Sends a request made of a command and a name holding any bytes. */
void wire_put_cmd(struct kata_ctx *k, int fd, const char *cmd,
		  const char *name, size_t len, const char *tail);

/* Writes p[0..n) one byte at a time, pausing, so each is its own segment */
void wire_dribble(struct kata_ctx *k, int fd, const char *p, size_t n);

/* Sends cmd+name+tail for every hostile name; expects BAD_NAME to each. */
void wire_refuse_all(struct kata_ctx *k, struct srv *s, int fd,
		     const char *cmd, const char *tail);

/* LIST over fd, in fs_dir_list's format, into out (LIST_CAP bytes). */
void wire_list(struct kata_ctx *k, int fd, char *out);

/* Fails the test unless LIST over fd gives want. */
void wire_expect_list(struct kata_ctx *k, int fd, const char *what,
		      const char *want);

/* Sends "PUT name size" and expects the go-ahead. */
void wire_put_start(struct kata_ctx *k, int fd, const char *name,
		    uint64_t size);

/* Sends n random bytes from r in frames of random sizes, digested into d. */
void wire_put_data(struct kata_ctx *k, int fd, struct rng *r,
		   struct digest *d, uint64_t n);

/* Sends "PUT name size", expects OK, then sends n of the size bytes. */
void wire_put_part(struct kata_ctx *k, int fd, const char *name,
		   uint64_t size, struct rng *r, struct digest *d,
		   uint64_t n);

/* A whole PUT of size random bytes: returns their digest. */
uint64_t wire_put(struct kata_ctx *k, int fd, const char *name,
		  uint64_t size, uint64_t seed);

/* The reply to "what" (a GET), expecting size bytes: returns their digest */
uint64_t wire_recv_file(struct kata_ctx *k, int fd, const char *what,
			uint64_t size);

/* GET name, expecting size bytes: returns their digest. */
uint64_t wire_get(struct kata_ctx *k, int fd, const char *name,
		  uint64_t size);

/* ---- files.c ------------------------------------------------------------ */

/* Sorts v[0..n), joins it with ", " into out (LIST_CAP), frees each v[i]. */
void fs_join_sorted(char **v, int n, char *out);

/*
 * Every entry of the directory at path as "name=size" (symlinks "name->"),
 * sorted and joined, into out (LIST_CAP bytes).
 */
void fs_dir_list(struct kata_ctx *k, const char *path, char *out);

/* Waits until the directory at path lists as want; fails the test if not. */
void fs_wait_dir(struct kata_ctx *k, const char *path, const char *want,
		 const char *what);

/* Returns the digest of the file at path. */
uint64_t fs_digest(struct kata_ctx *k, const char *path);

/* Writes p[0..n) to a new file at path. */
void fs_write(struct kata_ctx *k, const char *path, const void *p, size_t n);

/* Writes size random bytes to path: returns their digest. */
uint64_t fs_random(struct kata_ctx *k, const char *path, uint64_t size,
		   uint64_t seed);

/* ---- server.c ----------------------------------------------------------- */

/* Starts ftp_serve on tmp/root, a copy of the fixtures (listed in fix). */
void srv_start(struct kata_ctx *k, struct srv *s);

/* Returns a new connection to the server (TCP_NODELAY). */
int srv_dial(struct kata_ctx *k, struct srv *s);

/* srv_start, then srv_dial: returns the connection. */
int srv_open(struct kata_ctx *k, struct srv *s);

/* Puts links to the canary and a directory into the root. */
void srv_plant_links(struct srv *s);

/*
 * Connects three clients: one idle after a LIST (expected to give want),
 * one half-way through a PUT, one not reading a GET of big.bin (8 MiB).
 * Returns the idle one's descriptor.
 */
int srv_busy(struct kata_ctx *k, struct srv *s, const char *want);

/*
 * Makes stop_fd readable; fails unless ftp_serve returns 0 within a second
 * (scaled) plus 20 times ref, a LIST round trip measured in the same run.
 */
void srv_stop(struct kata_ctx *k, struct srv *s, double ref);

/* Waits until this process runs want threads; returns the last count. */
int srv_wait_threads(struct kata_ctx *k, int want);

/*
 * A thread other than the caller's asleep in write/send (a server blocked
 * on a full socket), found within ms (scaled); 0 when none shows up.
 */
pid_t srv_blocked_writer(struct kata_ctx *k, int ms);

/* Waits (up to ms, scaled) until thread tid has left its write call. */
void srv_wait_left(struct kata_ctx *k, pid_t tid, int ms);

/* Runs 8 clients that each upload n + i * 4099 bytes and read back. */
void srv_clients(struct kata_ctx *k, struct srv *s, uint64_t n);

/* Returns the peak memory growth in KiB since the last reset. */
long long srv_rss_growth(bool reset);

/*
 * Judges a transfer of n bytes each way (put_ms, get_ms) since
 * srv_rss_growth(true): notes its speed beside raw loopback's, and fails
 * the test if the process grew by n / 2 bytes or more.
 */
void srv_large_verdict(struct kata_ctx *k, uint64_t n, double put_ms,
		       double get_ms);

/* ---- client.c ----------------------------------------------------------- */

/* ftp_list's callback: appends "size name" to the string at arg. */
void client_collect(void *arg, const char *name, uint64_t size);

/* The tests of the learner's client against the scripted server. */
void client_test_list(struct kata_ctx *k);
void client_test_get(struct kata_ctx *k);
void client_test_put(struct kata_ctx *k);
void client_test_status(struct kata_ctx *k);

/* ---- uploads.c: the tests of PUT, listed in graders/ftp_transfer.c ----- */

void upload_test_put(struct kata_ctx *k);
void upload_test_frames(struct kata_ctx *k);
void upload_test_oversize(struct kata_ctx *k);
void upload_test_atomic(struct kata_ctx *k);
void upload_test_abort(struct kata_ctx *k);

/* ---- play.c ------------------------------------------------------------- */

/* `runner play ftp_transfer server|client`; ends with { 0 }. */
extern const struct kata_play play_modes[];

#pragma GCC visibility pop

#endif
