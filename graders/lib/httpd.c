/*
 * httpd.c: the HTTP/1.1 fixture server (see httpd.h for the endpoints).
 *
 * One acceptor thread, one thread per connection (small stacks: the server
 * shares the test's address-space limit).  Every socket is non-blocking and
 * every wait is a poll() that also watches an eventfd written once by
 * httpd_stop(), so stopping wakes every thread wherever it waits.  Finished
 * connection threads are joined by the acceptor as it goes, the rest by
 * httpd_stop().
 */
#define _GNU_SOURCE
#include "httpd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

#define STACK_SIZE	(256 * 1024)
#define MAX_HEADERS	64
#define IO_CHUNK	16384

struct conn {
	struct httpd *h;
	int fd;
	pthread_t t;
	bool done;		/* thread finished: join it */
	struct conn *next;
};

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

/* ---- waiting and socket I/O -------------------------------------------- */

/* Polls fd for ev and the stop event.  1 ready, 0 timeout, -ECANCELED. */
static int wait_fd(struct httpd *h, int fd, short ev, int timeout_ms)
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
static int nap(struct httpd *h, int fd, long ms)
{
	uint64_t start = timing_now_ns();
	double left;

	while ((left = (double)ms - timing_ms_since(start)) > 0 || ms < 0) {
		int r = wait_fd(h, fd, POLLRDHUP, ms < 0 ? -1 : (int)left + 1);
		if (r < 0)
			return r;
		if (r > 0)
			return -EPIPE;
	}
	return 0;
}

static int send_all(struct httpd *h, int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t m = send(fd, (const char *)buf + done, n - done,
				 MSG_NOSIGNAL);
		if (m < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(h, fd, POLLOUT, -1);
			if (r < 0)
				return r;
			continue;
		}
		if (m < 0)
			return -errno;
		done += (size_t)m;
	}
	return 0;
}

/* Reads more into b.  >0 bytes, 0 end of stream, -errno / -ECANCELED. */
static int fill(struct httpd *h, int fd, struct rbuf *b, size_t want)
{
	ssize_t m;

	if (b->cap - b->len < want) {
		size_t cap = b->len + want + 4096;
		char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	for (;;) {
		m = recv(fd, b->p + b->len, b->cap - b->len, 0);
		if (m >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		int r = wait_fd(h, fd, POLLIN, -1);
		if (r < 0)
			return r;
	}
	b->len += (size_t)m;
	return (int)m;
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

/* ---- parsing ----------------------------------------------------------- */

static const char *header(const struct req *q, const char *name)
{
	for (int i = 0; i < q->nheaders; i++)
		if (!strcasecmp(q->name[i], name))
			return q->value[i];
	return NULL;
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

/* Splits head into line and headers.  0, or the status to answer. */
static int parse_head(struct req *q, bool *http10)
{
	char *save, *line = strtok_r(q->head, "\r\n", &save), *sp, *ver;

	if (!line || !(sp = strchr(line, ' ')))
		return 400;
	*sp = '\0';
	q->method = line;
	q->path = sp + 1;
	if (!(ver = strchr(q->path, ' ')))
		return 400;
	*ver++ = '\0';
	if (!is_token(q->method) || q->path[0] != '/')
		return 400;
	if (strcmp(ver, "HTTP/1.1") && strcmp(ver, "HTTP/1.0"))
		return strncmp(ver, "HTTP/", 5) ? 400 : 505;
	*http10 = !strcmp(ver, "HTTP/1.0");
	if ((q->query = strchr(q->path, '?')))
		*q->query++ = '\0';
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *c = strchr(line, ':');
		if (!c || q->nheaders == MAX_HEADERS)
			return c ? 431 : 400;
		*c++ = '\0';
		if (!is_token(line))
			return 400;
		c += strspn(c, " \t");
		q->name[q->nheaders] = line;
		q->value[q->nheaders++] = c;
	}
	return 0;
}

/* The Content-Length (0 when absent), or the status to answer (negated). */
static long body_length(const struct req *q)
{
	const char *v = header(q, "Content-Length");
	char *end;
	long n;

	if (header(q, "Transfer-Encoding"))
		return -501;
	if (!v)
		return 0;
	if (!isdigit((unsigned char)*v))
		return -400;
	n = strtol(v, &end, 10);
	if (*end && !isspace((unsigned char)*end))
		return -400;
	return n > HTTPD_MAX_BODY ? -413 : n;
}

/* Checks that the head holds "\r\n\r\n", returns its length or 0 */
static size_t head_end(const struct rbuf *b)
{
	char *e = b->len ? memmem(b->p, b->len, "\r\n\r\n", 4) : NULL;

	return e ? (size_t)(e - b->p) + 4 : 0;
}

/* ---- responses --------------------------------------------------------- */

static const char *reason(int code)
{
	static const struct { int c; const char *s; } t[] = {
		{ 200, "OK" }, { 400, "Bad Request" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 413, "Content Too Large" }, { 431, "Header Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" }, { 505, "Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].c == code)
			return t[i].s;
	return "Status";
}

/* Sends the status line and headers; len < 0 means chunked. */
static int send_head(struct httpd *h, int fd, const struct req *q, int code,
		     const char *type, long long len, const char *extra)
{
	char b[1024];
	int n = snprintf(b, sizeof(b), "HTTP/1.1 %d %s\r\nServer: kata-httpd\r\n"
			 "X-Request-Seq: %lu\r\nContent-Type: %s\r\n%s%s",
			 code, reason(code), q->seq, type, extra ? extra : "",
			 q->close ? "Connection: close\r\n" : "");

	if (len >= 0)
		n += snprintf(b + n, sizeof(b) - (size_t)n,
			      "Content-Length: %lld\r\n\r\n", len);
	else
		n += snprintf(b + n, sizeof(b) - (size_t)n,
			      "Transfer-Encoding: chunked\r\n\r\n");
	return send_all(h, fd, b, (size_t)n);
}

static int send_text(struct httpd *h, int fd, const struct req *q, int code,
		     const char *type, const char *body, size_t n)
{
	int r = send_head(h, fd, q, code, type, (long long)n, NULL);

	return r ? r : send_all(h, fd, body, n);
}

static int send_status(struct httpd *h, int fd, const struct req *q, int code)
{
	char b[64];
	int n = snprintf(b, sizeof(b), "status %d\n", code);

	return send_text(h, fd, q, code, "text/plain", b, (size_t)n);
}

/* Sends bytes [from, to) of the pattern, raw or as chunks of size chunk. */
static int send_pattern(struct httpd *h, int fd, uint64_t from, uint64_t to,
			size_t chunk)
{
	char b[IO_CHUNK + 32];
	size_t step = chunk ? (chunk < IO_CHUNK ? chunk : IO_CHUNK) : IO_CHUNK;
	int r = 0;

	while (!r && from < to) {
		size_t n = to - from < step ? (size_t)(to - from) : step, k = 0;
		if (chunk)
			k = (size_t)sprintf(b, "%zx\r\n", n);
		unsigned lo = (unsigned)(from % 251);
		uint8_t hi = (uint8_t)(from / 251 * 7);
		for (size_t i = 0; i < n; i++) {
			b[k++] = (char)(uint8_t)(lo + hi);
			if (++lo == 251) {
				lo = 0;
				hi += 7;
			}
		}
		if (chunk)
			k += (size_t)sprintf(b + k, "\r\n");
		r = send_all(h, fd, b, k);
		from += n;
	}
	if (!r && chunk)
		r = send_all(h, fd, "0\r\n\r\n", 5);
	return r;
}

/* A growing string for the /echo body. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *s, const char *p, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->len + n + 1) * 2;
		char *q = realloc(s->p, cap);
		if (!q) {
			s->oom = true;
			return;
		}
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* Appends p[0..n) as a JSON string, quotes included. */
static void sb_json(struct sbuf *s, const char *p, size_t n)
{
	sb_add(s, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[8];
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			sb_add(s, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			sb_add(s, e, (size_t)sprintf(e, "\\u%04x", c));
		} else {
			sb_add(s, (const char *)&p[i], 1);
		}
	}
	sb_add(s, "\"", 1);
}

static void sb_field(struct sbuf *s, const char *name, const char *v,
		     size_t n, bool comma)
{
	if (comma)
		sb_add(s, ",", 1);
	sb_json(s, name, strlen(name));
	sb_add(s, ":", 1);
	sb_json(s, v, n);
}

static int do_echo(struct httpd *h, int fd, const struct req *q)
{
	struct sbuf s = { 0 };
	const char *qs = q->query ? q->query : "";
	char extra[64];
	int r;

	sb_add(&s, "{", 1);
	sb_field(&s, "method", q->method, strlen(q->method), false);
	sb_field(&s, "path", q->path, strlen(q->path), true);
	sb_field(&s, "query", qs, strlen(qs), true);
	sb_add(&s, ",\"headers\":{", 12);
	for (int i = 0; i < q->nheaders; i++)
		sb_field(&s, q->name[i], q->value[i], strlen(q->value[i]),
			 i > 0);
	sb_add(&s, "},", 2);
	sb_field(&s, "body", q->body ? q->body : "", q->body_len, false);
	sb_add(&s, "}", 1);
	if (s.oom) {
		free(s.p);
		return send_status(h, fd, q, 500);
	}
	snprintf(extra, sizeof(extra), "X-Echo-Method: %.40s\r\n", q->method);
	r = send_head(h, fd, q, 200, "application/json", (long long)s.len,
		      extra);
	if (!r)
		r = send_all(h, fd, s.p, s.len);
	free(s.p);
	return r;
}

/* The value of query parameter name as a number, or def. */
static long long query_num(const struct req *q, const char *name,
			   long long def)
{
	size_t n = strlen(name);

	for (const char *p = q->query; p && *p; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=')
			return strtoll(p + n + 1, NULL, 10);
	}
	return def;
}

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html"))
		return "text/html";
	if (!strcmp(dot, ".json"))
		return "application/json";
	if (!strcmp(dot, ".txt"))
		return "text/plain";
	return "application/octet-stream";
}

static int send_file(struct httpd *h, int fd, const struct req *q, int f,
		     long long size)
{
	char *b = malloc(IO_CHUNK);
	int r = b ? send_head(h, fd, q, 200, mime(q->path), size, NULL)
		  : -ENOMEM;

	while (!r && size > 0) {
		ssize_t n = read(f, b, IO_CHUNK);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		r = send_all(h, fd, b, (size_t)n);
		size -= n;
	}
	free(b);
	return r;
}

/* True when a segment of path is ".." (raw or percent-encoded dots). */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strchr(p, '/')); ) {
		size_t n = strcspn(++p, "/");
		if ((n == 2 && !strncmp(p, "..", 2)) || memmem(p, n, "%2", 2))
			return true;
		p += n;
	}
	return false;
}

static int do_file(struct httpd *h, int fd, const struct req *q)
{
	char path[4096];
	struct stat st;
	int f, r;

	if (strcmp(q->method, "GET"))
		return send_status(h, fd, q, 405);
	if (has_dotdot(q->path))
		return send_status(h, fd, q, 403);
	if (!h->root || snprintf(path, sizeof(path), "%s%s", h->root,
				 q->path) >= (int)sizeof(path))
		return send_status(h, fd, q, 404);
	f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0 || fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (f >= 0)
			close(f);
		return send_status(h, fd, q, 404);
	}
	r = send_file(h, fd, q, f, (long long)st.st_size);
	close(f);
	return r;
}

/* "/name/<n>": the number after the prefix, or -1. */
static long long path_num(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long long v;

	if (strncmp(path, prefix, n) || !isdigit((unsigned char)path[n]))
		return -1;
	v = strtoll(path + n, &end, 10);
	return *end ? -1 : v;
}

/* Answers one request (after its optional delay).  0 or -errno. */
static int dispatch(struct httpd *h, int fd, const struct req *q)
{
	bool getpost = !strcmp(q->method, "GET") || !strcmp(q->method, "POST");
	long long n;
	char b[4200];

	if (!strcmp(q->path, "/echo"))
		return do_echo(h, fd, q);
	if (!strncmp(q->path, "/delay/", 7) || !strncmp(q->path, "/status/", 8)
	    || !strncmp(q->path, "/bytes/", 7) || !strcmp(q->path, "/hang")
	    || !strncmp(q->path, "/chunked/", 9) || !strncmp(q->path, "/cut/", 5))
		if (!getpost)
			return send_status(h, fd, q, 405);
	if ((n = path_num(q->path, "/delay/")) >= 0) {
		int r = nap(h, fd, n);
		int len = snprintf(b, sizeof(b), "%.4000s%s%.100s\n", q->path,
				   q->query ? "?" : "", q->query ? q->query : "");
		return r ? r : send_text(h, fd, q, 200, "text/plain", b,
					 (size_t)len);
	}
	if ((n = path_num(q->path, "/status/")) >= 0)
		return send_status(h, fd, q, n >= 200 && n < 600 ? (int)n : 400);
	if (!strcmp(q->path, "/hang"))
		return nap(h, fd, -1);
	if ((n = path_num(q->path, "/bytes/")) >= 0 && n <= (long long)HTTPD_MAX_BYTES) {
		int r = send_head(h, fd, q, 200, "application/octet-stream", n,
				  NULL);
		return r ? r : send_pattern(h, fd, 0, (uint64_t)n, 0);
	}
	if ((n = path_num(q->path, "/chunked/")) >= 0 && n <= (long long)HTTPD_MAX_BYTES) {
		long long c = query_num(q, "chunk", HTTPD_CHUNK);
		int r = send_head(h, fd, q, 200, "application/octet-stream", -1,
				  NULL);
		return r ? r : send_pattern(h, fd, 0, (uint64_t)n,
					    c > 0 ? (size_t)c : HTTPD_CHUNK);
	}
	if ((n = path_num(q->path, "/cut/")) >= 0) {
		int r = send_head(h, fd, q, 200, "application/octet-stream", n,
				  NULL);
		if (!r)
			r = send_pattern(h, fd, 0, (uint64_t)n / 2, 0);
		return r ? r : -ECONNRESET;	/* close the connection */
	}
	return do_file(h, fd, q);
}

/* ---- connections ------------------------------------------------------- */

static void free_req(struct req *q)
{
	free(q->head);
	free(q->body);
}

/* Reads the body of q (length n) after its head (hl bytes) into q->body. */
static int read_body(struct httpd *h, int fd, struct rbuf *b, struct req *q,
		     size_t hl, size_t n)
{
	const char *expect = header(q, "Expect");
	int r;

	if (n && b->len < hl + n && expect &&
	    !strcasecmp(expect, "100-continue") &&
	    (r = send_all(h, fd, "HTTP/1.1 100 Continue\r\n\r\n", 25)))
		return r;
	while (b->len < hl + n)
		if ((r = fill(h, fd, b, hl + n - b->len)) <= 0)
			return r ? r : -EPIPE;
	if (!(q->body = malloc(n + 1)))
		return -ENOMEM;
	memcpy(q->body, b->p + hl, n);
	q->body[n] = '\0';
	q->body_len = n;
	b->len -= hl + n;
	memmove(b->p, b->p + hl + n, b->len);
	return 1;
}

/*
 * Reads one request into q.  1 when read, 0 when the peer closed between
 * requests, a status >= 400 for a bad request, or -errno.
 */
static int read_request(struct httpd *h, int fd, struct rbuf *b, struct req *q)
{
	const char *conn;
	bool http10 = false;
	size_t hl;
	long n;
	int r;

	while (!(hl = head_end(b)) && b->len < HTTPD_MAX_HEADER)
		if ((r = fill(h, fd, b, 4096)) <= 0)
			return r == 0 && b->len ? 400 : r;
	if (!hl || hl > HTTPD_MAX_HEADER)
		return 431;
	if (!(q->head = strndup(b->p, hl)))
		return -ENOMEM;
	if ((r = parse_head(q, &http10)))
		return r;
	if ((n = body_length(q)) < 0)
		return (int)-n;
	conn = header(q, "Connection");
	if (http10)
		q->close = !conn || strcasecmp(conn, "keep-alive");
	else
		q->close = conn && strcasestr(conn, "close");
	return read_body(h, fd, b, q, hl, (size_t)n);
}

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
		if (m < 0 && wait_fd(h, fd, POLLIN, 100) < 0)
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
	r = nap(h, fd, query_num(q, "delay", 0));
	if (!r)
		r = dispatch(h, fd, q);
	flight(h, -1);
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
		r = read_request(h, c->fd, &b, &q);
		if (r >= 400) {
			pthread_mutex_lock(&h->mu);
			h->st.bad_requests++;
			pthread_mutex_unlock(&h->mu);
			q.close = true;
			send_status(h, c->fd, &q, r);
		}
		r = r == 1 ? serve(h, c->fd, &q) : -1;
		free_req(&q);
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

	while ((r = wait_fd(h, h->lfd, POLLIN, 200)) >= 0) {
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

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
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
