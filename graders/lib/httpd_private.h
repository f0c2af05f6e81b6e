/*
 * httpd_private.h: what the three files of the HTTP fixture server share
 * (not for graders; they use httpd.h).
 *
 * httpd.c: lifecycle, accept loop, connections, counters, and waiting and
 * sending that a stop interrupts (hd_wait_fd, hd_nap, hd_send_all), and
 * the end of a request's time in flight (hd_response_length,
 * hd_response_ending).
 * httpd_parse.c: reading one request (hd_read_request, hd_free_req).
 * httpd_routes.c: answering it (hd_dispatch, hd_send_status, hd_query_num).
 * The declarations are hidden: they are not exported from a grader's .so.
 */
#ifndef GRADER_HTTPD_PRIVATE_H
#define GRADER_HTTPD_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd.h"

#define MAX_HEADERS	64

struct conn;			/* one connection and its thread (httpd.c) */

struct httpd {
	int lfd, stopfd;
	uint16_t port;
	char *root;
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conn *conns;
	struct httpd_stats st;
	unsigned long seq;
	char **paths;		/* path of every request read */
	size_t npaths, cap;
};

struct req {
	char *head;		/* request line and headers, NUL-split */
	char *method, *path, *query, *body;
	char *name[MAX_HEADERS], *value[MAX_HEADERS];
	int nheaders;
	size_t body_len;
	unsigned long seq;
	bool close;		/* close after the response */
};

/* A buffered connection: bytes read but not yet parsed. */
struct rbuf {
	char *p;
	size_t len, cap;
};

#pragma GCC visibility push(hidden)

/* ---- httpd.c ----------------------------------------------------------- */

/*
 * Polls fd (none when fd < 0) for ev and the stop event.  1 ready, 0 on
 * timeout, -ECANCELED when stopped, or -errno.
 */
int hd_wait_fd(struct httpd *h, int fd, short ev, int timeout_ms);

/*
 * Sleeps ms (forever when ms < 0).  0, or sooner -ECANCELED when stopped or
 * -EPIPE when the peer on fd hung up.
 */
int hd_nap(struct httpd *h, int fd, long ms);

/* Sends all n bytes of buf on fd.  0, -ECANCELED when stopped, or -errno. */
int hd_send_all(struct httpd *h, int fd, const void *buf, size_t n);

/*
 * The response being sent is n bytes from here on (head included; -1 when
 * unknown, as for a chunked body): hd_send_all stops counting the request
 * in flight just before the send that may complete it.
 */
void hd_response_length(long long n);

/* The rest of the response completes it: stop counting it in flight. */
void hd_response_ending(void);

/* ---- httpd_parse.c ----------------------------------------------------- */

/*
 * Reads one request from fd into q, through the buffer b (which keeps any
 * pipelined bytes for the next call).  1 when read, 0 when the peer closed
 * between requests, a status >= 400 for a bad request, or -errno.  q owns
 * what it points to, to be freed by hd_free_req() whatever the result.
 */
int hd_read_request(struct httpd *h, int fd, struct rbuf *b, struct req *q);

/* Frees what q owns (not q itself). */
void hd_free_req(struct req *q);

/* ---- httpd_routes.c ---------------------------------------------------- */

/*
 * Answers one request (after its optional delay).  0, -ECONNRESET when the
 * connection must be closed (/cut), or -errno.
 */
int hd_dispatch(struct httpd *h, int fd, const struct req *q);

/* Answers with status code and body "status <code>\n".  0 or -errno. */
int hd_send_status(struct httpd *h, int fd, const struct req *q, int code);

/* The value of query parameter name of q as a number, or def. */
long long hd_query_num(const struct req *q, const char *name, long long def);

#pragma GCC visibility pop

#endif
