/*
 * httpd.h: a small HTTP/1.1 fixture server for graders.
 *
 * Runs inside the test process, on 127.0.0.1 port 0, one named grader
 * thread ("g:httpd") accepting and one ("g:httpd-c") per open connection,
 * every one of them joined by httpd_stop().  Keep-alive (HTTP/1.1 default,
 * "Connection: close" honoured), pipelined requests, request bodies by
 * Content-Length, "Expect: 100-continue".  A malformed request gets a 400
 * (headers over HTTPD_MAX_HEADER bytes a 431, a chunked request body a 501)
 * and the connection is closed.
 *
 * Entry points: httpd_start, httpd_port, httpd_url, httpd_stats,
 * httpd_reset_stats, httpd_wait_in_flight, httpd_path_count, httpd_stop,
 * httpd_byte_at.
 *
 * Endpoints (GET or POST; any other method is answered 405 on endpoints):
 *
 *   /delay/<ms>     waits ms milliseconds, then 200 with the request target
 *                   ("/delay/200?i=3") and "\n" as a text/plain body
 *   /status/<code>  that status (200 <= code < 600, else 400), body
 *                   "status <code>\n"
 *   /echo           200, application/json: {"method":"POST","path":"/echo",
 *                   "query":"a=1&b=2","headers":{"Host":"...",...},
 *                   "body":"..."} (header names as sent; strings escaped
 *                   for JSON); also the response header X-Echo-Method
 *   /bytes/<n>      200 with n bytes, byte i being httpd_byte_at(i),
 *                   Content-Length n (n <= HTTPD_MAX_BYTES)
 *   /chunked/<n>    the same n bytes with Transfer-Encoding: chunked, in
 *                   chunks of HTTPD_CHUNK bytes (?chunk=<size> to change)
 *   /hang           counts as in flight and never answers, until stop or the
 *                   client closes the connection
 *   /cut/<n>        announces Content-Length n, sends the first n/2 bytes,
 *                   then closes the connection
 *   anything else   a file under the root directory given to httpd_start
 *                   (GET only); "/" and directories are 404, any ".."
 *                   segment is 403, a missing file 404
 *
 * On every endpoint and file, the query parameter delay=<ms> waits that long
 * before answering (so /status/404?delay=100 is a slow 404).  Every response
 * carries "Server: kata-httpd" and "X-Request-Seq: <n>" (1, 2, ... in the
 * order requests were read, over the server's life).
 *
 * "In flight" counts requests read in full and not yet answered in full (or
 * abandoned).  A waiting /delay or /hang request is in flight.
 */
#ifndef GRADER_HTTPD_H
#define GRADER_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#define HTTPD_MAX_HEADER	16384	/* request line + headers, bytes */
#define HTTPD_MAX_BODY		(1 << 20)	/* request body, bytes (else 413) */
#define HTTPD_MAX_BYTES		(1ull << 32)	/* /bytes/<n>, /chunked/<n> */
#define HTTPD_MAX_CONNS		256	/* open at once; more get a 503 */
#define HTTPD_CHUNK		1000	/* /chunked default chunk size */

struct httpd;			/* opaque; one running server */

struct httpd_stats {
	unsigned long connections;	/* accepted since start/reset */
	unsigned long requests;		/* read in full since start/reset */
	unsigned long bad_requests;	/* answered 4xx/5xx for bad syntax */
	int in_flight;			/* now */
	int peak_in_flight;		/* highest since start/reset */
	int open_connections;		/* now */
};

/*
 * Starts a server on 127.0.0.1, port chosen by the kernel, serving files
 * under root (an absolute directory, or NULL for endpoints only).  Returns 0
 * and the server in *out, or -errno.  The caller stops and frees it with
 * httpd_stop().
 */
int httpd_start(const char *root, struct httpd **out);

/* The port the server listens on. */
uint16_t httpd_port(const struct httpd *h);

/*
 * Writes "http://127.0.0.1:<port><path>" into buf (size n).  Returns the
 * length, or -ENAMETOOLONG when it does not fit.
 */
int httpd_url(const struct httpd *h, const char *path, char *buf, size_t n);

/* A consistent snapshot of the counters. */
void httpd_stats(struct httpd *h, struct httpd_stats *out);

/*
 * Zeroes connections, requests, bad_requests, and sets peak_in_flight to
 * the current in_flight.  Call it between phases of a test.
 */
void httpd_reset_stats(struct httpd *h);

/*
 * Waits until at least n requests are in flight.  0, or -ETIMEDOUT after
 * timeout_ms.
 */
int httpd_wait_in_flight(struct httpd *h, int n, int timeout_ms);

/*
 * The number of requests read so far (over the server's life) whose path,
 * without the query string, equals path ("/page3.html").
 */
unsigned long httpd_path_count(struct httpd *h, const char *path);

/*
 * Stops the server: closes the listener, wakes every connection (a /hang or
 * /delay request is dropped unanswered), joins every thread, closes every
 * socket, frees h.  0, or -ETIMEDOUT when a thread did not end within 5 s
 * (then h is leaked rather than freed under a running thread).  NULL is a
 * no-op.
 */
int httpd_stop(struct httpd *h);

/* Byte i of the /bytes and /chunked bodies (not periodic in 256). */
static inline uint8_t httpd_byte_at(uint64_t i)
{
	return (uint8_t)(i % 251 + i / 251 * 7);
}

#endif
