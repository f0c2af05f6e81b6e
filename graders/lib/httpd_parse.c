/*
 * httpd_parse.c: reading one HTTP/1.1 request for the fixture server: the
 * head up to HTTPD_MAX_HEADER bytes, the request line and headers split in
 * place, keep-alive, and a body by Content-Length (with "Expect:
 * 100-continue").  Bytes after the request stay buffered for the next one.
 *
 * Entry points (httpd_private.h): hd_read_request, hd_free_req.
 */
#define _GNU_SOURCE
#include "httpd_private.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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
		if (!isalnum((unsigned char)*s) &&
		    !strchr("!#$%&'*+-.^_`|~", *s))
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

/* ---- reading ----------------------------------------------------------- */

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
		int r = hd_wait_fd(h, fd, POLLIN, -1);
		if (r < 0)
			return r;
	}
	b->len += (size_t)m;
	return (int)m;
}

/* Frees what q owns (not q). */
void hd_free_req(struct req *q)
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
	    (r = hd_send_all(h, fd, "HTTP/1.1 100 Continue\r\n\r\n", 25)))
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
 * requests, a status >= 400 for a bad request, or -errno.  q owns its head
 * and body whatever the result: free them with hd_free_req().
 */
int hd_read_request(struct httpd *h, int fd, struct rbuf *b,
		    struct req *q)
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
