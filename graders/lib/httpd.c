/*
 * httpd.c: the HTTP/1.1 fixture server (see httpd.h for the endpoints):
 * its lifecycle, accept loop, connections and counters.  Requests are read
 * by httpd_parse.c and answered by httpd_routes.c (httpd_private.h).
 *
 * Entry points: the httpd_* functions of httpd.h, and for the other two
 * files hd_wait_fd, hd_nap, hd_send_all, hd_response_length,
 * hd_response_ending.
 *
 * One acceptor thread, one thread per connection (small stacks: the server
 * shares the test's address-space limit).  Every socket is non-blocking and
 * every wait is a poll() that also watches an eventfd written once by
 * httpd_stop(), so stopping wakes every thread wherever it waits.  Finished
 * connection threads are joined by the acceptor as it goes, the rest by
 * httpd_stop().
 */
#define _GNU_SOURCE
#include "httpd_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

#define STACK_SIZE	(256 * 1024)

struct conn {
	struct httpd *h;
	int fd;
	pthread_t t;
	bool done;		/* thread finished: join it */
	struct conn *next;
};

/*
 * The request this connection thread is answering, while it still counts
 * as in flight, and the bytes of its response not sent yet (-1: unknown).
 * It stops counting just before the send that may complete the response:
 * a client that has its answer in full can never see it still in flight
 * (and its next request counted beside it).
 */
static __thread struct {
	struct httpd *h;
	long long left;
} answering;

/* ---- waiting and socket I/O -------------------------------------------- */

/* Polls fd for ev and the stop event.  1 ready, 0 timeout, -ECANCELED. */
int hd_wait_fd(struct httpd *h, int fd, short ev, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = h->stopfd, .events = POLLIN },
			       { .fd = fd, .events = ev } };
	int n;

	do
		n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (p[0].revents)
		return -ECANCELED;
	return n > 0;
}

/* Sleeps ms, or less when stopped (-ECANCELED) or the peer hung up (-EPIPE) */
int hd_nap(struct httpd *h, int fd, long ms)
{
	uint64_t start = timing_now_ns();
	double left;

	while ((left = (double)ms - timing_ms_since(start)) > 0 || ms < 0) {
		int r = hd_wait_fd(h, fd, POLLRDHUP,
				   ms < 0 ? -1 : (int)left + 1);
		if (r < 0)
			return r;
		if (r > 0)
			return -EPIPE;
	}
	return 0;
}

/* Sends buf in full, waiting while the socket is full.  0 or -errno. */
int hd_send_all(struct httpd *h, int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		if (answering.left >= 0 &&
		    answering.left <= (long long)(n - done))
			hd_response_ending();
		ssize_t m = send(fd, (const char *)buf + done, n - done,
				 MSG_NOSIGNAL);
		if (m < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = hd_wait_fd(h, fd, POLLOUT, -1);
			if (r < 0)
				return r;
			continue;
		}
		if (m < 0)
			return -errno;
		done += (size_t)m;
		if (answering.left > 0)
			answering.left -= m;
	}
	return 0;
}

/* ---- counters ---------------------------------------------------------- */

static void flight(struct httpd *h, int d)
{
	pthread_mutex_lock(&h->mu);
	h->st.in_flight += d;
	if (h->st.in_flight > h->st.peak_in_flight)
		h->st.peak_in_flight = h->st.in_flight;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

static void count_request(struct httpd *h, struct req *q)
{
	pthread_mutex_lock(&h->mu);
	q->seq = ++h->seq;
	h->st.requests++;
	if (h->npaths == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		char **p = realloc(h->paths, cap * sizeof(*p));
		if (p) {
			h->paths = p;
			h->cap = cap;
		}
	}
	if (h->npaths < h->cap)
		h->paths[h->npaths++] = strdup(q->path);
	pthread_mutex_unlock(&h->mu);
}

void hd_response_length(long long n)
{
	answering.left = n;
}

void hd_response_ending(void)
{
	if (answering.h)
		flight(answering.h, -1);
	answering.h = NULL;
	answering.left = -1;
}

/* ---- connections ------------------------------------------------------- */

/* Closes gracefully: the peer reads our last bytes instead of a reset. */
static void linger_close(struct httpd *h, int fd)
{
	char b[4096];
	uint64_t start = timing_now_ns();

	shutdown(fd, SHUT_WR);
	while (timing_ms_since(start) < 500) {
		ssize_t m = recv(fd, b, sizeof(b), 0);
		if (m == 0 || (m < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (m < 0 && hd_wait_fd(h, fd, POLLIN, 100) < 0)
			break;
	}
	close(fd);
}

/* Answers one request read in full.  0 to go on with the connection. */
static int serve(struct httpd *h, int fd, struct req *q)
{
	int r;

	count_request(h, q);
	flight(h, 1);
	answering.h = h;
	answering.left = -1;
	r = hd_nap(h, fd, hd_query_num(q, "delay", 0));
	if (!r)
		r = hd_dispatch(h, fd, q);
	hd_response_ending();
	return r ? r : q->close;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct httpd *h = c->h;
	struct rbuf b = { 0 };
	int r;

	do {
		struct req q = { 0 };
		r = hd_read_request(h, c->fd, &b, &q);
		if (r >= 400) {
			pthread_mutex_lock(&h->mu);
			h->st.bad_requests++;
			pthread_mutex_unlock(&h->mu);
			q.close = true;
			hd_send_status(h, c->fd, &q, r);
		}
		r = r == 1 ? serve(h, c->fd, &q) : -1;
		hd_free_req(&q);
	} while (r == 0);
	free(b.p);
	linger_close(h, c->fd);
	pthread_mutex_lock(&h->mu);
	c->done = true;
	h->st.open_connections--;
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- threads ----------------------------------------------------------- */

static int spawn(pthread_t *t, const char *name, void *(*fn)(void *),
		 void *arg)
{
	pthread_attr_t a;
	int r;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, STACK_SIZE);
	r = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (!r)
		pthread_setname_np(*t, name);
	return -r;
}

/* Joins and frees the connection threads that have finished. */
static void reap(struct httpd *h)
{
	struct conn *done = NULL, **pp, *c;

	pthread_mutex_lock(&h->mu);
	for (pp = &h->conns; (c = *pp);) {
		if (c->done) {
			*pp = c->next;
			c->next = done;
			done = c;
		} else {
			pp = &c->next;
		}
	}
	pthread_mutex_unlock(&h->mu);
	while ((c = done)) {
		done = c->next;
		pthread_join(c->t, NULL);
		free(c);
	}
}

static void refuse(struct httpd *h, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";

	(void)h;
	send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void admit(struct httpd *h, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	bool full;

	pthread_mutex_lock(&h->mu);
	full = h->st.open_connections >= HTTPD_MAX_CONNS;
	pthread_mutex_unlock(&h->mu);
	if (full || !c) {
		free(c);
		refuse(h, fd);
		return;
	}
	c->h = h;
	c->fd = fd;
	pthread_mutex_lock(&h->mu);
	if (spawn(&c->t, "g:httpd-c", conn_main, c) < 0) {
		pthread_mutex_unlock(&h->mu);
		free(c);
		refuse(h, fd);
		return;
	}
	c->next = h->conns;
	h->conns = c;
	h->st.connections++;
	h->st.open_connections++;
	pthread_mutex_unlock(&h->mu);
}

static void *accept_main(void *arg)
{
	struct httpd *h = arg;
	int r;

	while ((r = hd_wait_fd(h, h->lfd, POLLIN, 200)) >= 0) {
		reap(h);
		if (r == 0)
			continue;
		int fd = accept4(h->lfd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			int one = 1;
			/* no Nagle: a head and a body in two sends would wait
			 * for the client's delayed ACK (40 ms) */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			admit(h, fd);
		}
		else if (errno == EMFILE || errno == ENFILE)
			timing_sleep_ms(10);
	}
	return NULL;
}

/* ---- the API ----------------------------------------------------------- */

int httpd_start(const char *root, struct httpd **out)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	h->lfd = -1;
	h->stopfd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (root && (h->root = strdup(root)) && (r = (int)strlen(root)) > 1 &&
	    root[r - 1] == '/')
		h->root[r - 1] = '\0';
	if (root && !h->root)
		r = -ENOMEM;
	else if (h->stopfd < 0)
		r = -errno;
	else if ((r = net_listen_tcp(128, &h->port)) >= 0)
		h->lfd = r;
	if (r >= 0) {
		fcntl(h->lfd, F_SETFL, fcntl(h->lfd, F_GETFL) | O_NONBLOCK);
		r = spawn(&h->acceptor, "g:httpd", accept_main, h);
	}
	if (r < 0) {
		if (h->lfd >= 0)
			close(h->lfd);
		if (h->stopfd >= 0)
			close(h->stopfd);
		free(h->root);
		free(h);
		return r;
	}
	*out = h;
	return 0;
}

uint16_t httpd_port(const struct httpd *h)
{
	return h->port;
}

int httpd_url(const struct httpd *h, const char *path, char *buf, size_t n)
{
	int len = snprintf(buf, n, "http://127.0.0.1:%u%s", h->port, path);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : len;
}

void httpd_stats(struct httpd *h, struct httpd_stats *out)
{
	pthread_mutex_lock(&h->mu);
	*out = h->st;
	pthread_mutex_unlock(&h->mu);
}

void httpd_reset_stats(struct httpd *h)
{
	pthread_mutex_lock(&h->mu);
	h->st.connections = 0;
	h->st.requests = 0;
	h->st.bad_requests = 0;
	h->st.peak_in_flight = h->st.in_flight;
	pthread_mutex_unlock(&h->mu);
}

int httpd_wait_in_flight(struct httpd *h, int n, int timeout_ms)
{
	struct timespec ts;
	int r = 0;

	timing_realtime_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&h->mu);
	while (h->st.in_flight < n && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	r = h->st.in_flight >= n ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&h->mu);
	return r;
}

unsigned long httpd_path_count(struct httpd *h, const char *path)
{
	unsigned long n = 0;

	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->npaths; i++)
		n += h->paths[i] && !strcmp(h->paths[i], path);
	pthread_mutex_unlock(&h->mu);
	return n;
}

int httpd_stop(struct httpd *h)
{
	uint64_t one = 1, start = timing_now_ns();
	struct conn *c;

	if (!h)
		return 0;
	if (write(h->stopfd, &one, sizeof(one)) < 0)
		return -errno;
	if (thread_join_timeout(h->acceptor, 5000, NULL))
		return -ETIMEDOUT;
	while ((c = h->conns)) {
		int left = 5000 - (int)timing_ms_since(start);
		if (thread_join_timeout(c->t, left > 0 ? left : 0, NULL))
			return -ETIMEDOUT;
		h->conns = c->next;
		free(c);
	}
	close(h->lfd);
	close(h->stopfd);
	for (size_t i = 0; i < h->npaths; i++)
		free(h->paths[i]);
	free(h->paths);
	free(h->root);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
	return 0;
}
