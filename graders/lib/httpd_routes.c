/*
 * httpd_routes.c: answering a request for the fixture server: status line
 * and headers, the endpoints (/delay, /status, /echo, /bytes, /chunked,
 * /hang, /cut) and files under the root (see httpd.h).
 *
 * Entry points (httpd_private.h): hd_dispatch, hd_send_status,
 * hd_query_num.
 */
#define _GNU_SOURCE
#include "httpd_private.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define IO_CHUNK	16384

/* ---- responses --------------------------------------------------------- */

static const char *reason(int code)
{
	static const struct { int c; const char *s; } t[] = {
		{ 200, "OK" }, { 400, "Bad Request" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 413, "Content Too Large" }, { 431, "Header Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "Version Not Supported" },
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
	int n = snprintf(b, sizeof(b), "HTTP/1.1 %d %s\r\n"
			 "Server: kata-httpd\r\n"
			 "X-Request-Seq: %lu\r\nContent-Type: %s\r\n%s%s",
			 code, reason(code), q->seq, type, extra ? extra : "",
			 q->close ? "Connection: close\r\n" : "");

	if (len >= 0)
		n += snprintf(b + n, sizeof(b) - (size_t)n,
			      "Content-Length: %lld\r\n\r\n", len);
	else
		n += snprintf(b + n, sizeof(b) - (size_t)n,
			      "Transfer-Encoding: chunked\r\n\r\n");
	hd_response_length(len >= 0 ? n + len : -1);
	return hd_send_all(h, fd, b, (size_t)n);
}

static int send_text(struct httpd *h, int fd, const struct req *q, int code,
		     const char *type, const char *body, size_t n)
{
	int r = send_head(h, fd, q, code, type, (long long)n, NULL);

	return r ? r : hd_send_all(h, fd, body, n);
}

/* Answers with code and the body "status <code>\n".  0 or -errno. */
int hd_send_status(struct httpd *h, int fd, const struct req *q, int code)
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
		r = hd_send_all(h, fd, b, k);
		from += n;
	}
	if (!r && chunk) {
		hd_response_ending();
		r = hd_send_all(h, fd, "0\r\n\r\n", 5);
	}
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
		return hd_send_status(h, fd, q, 500);
	}
	snprintf(extra, sizeof(extra), "X-Echo-Method: %.40s\r\n", q->method);
	r = send_head(h, fd, q, 200, "application/json", (long long)s.len,
		      extra);
	if (!r)
		r = hd_send_all(h, fd, s.p, s.len);
	free(s.p);
	return r;
}

/* The value of query parameter name as a number, or def. */
long long hd_query_num(const struct req *q, const char *name, long long def)
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
		r = hd_send_all(h, fd, b, (size_t)n);
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
		return hd_send_status(h, fd, q, 405);
	if (has_dotdot(q->path))
		return hd_send_status(h, fd, q, 403);
	if (!h->root || snprintf(path, sizeof(path), "%s%s", h->root,
				 q->path) >= (int)sizeof(path))
		return hd_send_status(h, fd, q, 404);
	f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0 || fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (f >= 0)
			close(f);
		return hd_send_status(h, fd, q, 404);
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

/* True when path is one of the endpoints that take GET or POST only. */
static bool get_post_only(const char *path)
{
	static const char *const prefix[] = { "/delay/", "/status/", "/bytes/",
					      "/chunked/", "/cut/" };

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(path, prefix[i], strlen(prefix[i])))
			return true;
	return !strcmp(path, "/hang");
}

/* /delay/<ms>: waits, then answers with the request target. */
static int do_delay(struct httpd *h, int fd, const struct req *q,
		    long long ms)
{
	char b[4200];
	int r = hd_nap(h, fd, ms);
	int len = snprintf(b, sizeof(b), "%.4000s%s%.100s\n", q->path,
			   q->query ? "?" : "", q->query ? q->query : "");

	return r ? r : send_text(h, fd, q, 200, "text/plain", b, (size_t)len);
}

/* /bytes/<n> (chunked false) and /chunked/<n>: n pattern bytes. */
static int do_pattern(struct httpd *h, int fd, const struct req *q,
		      long long n, bool chunked)
{
	long long c = chunked ? hd_query_num(q, "chunk", HTTPD_CHUNK) : 0;
	int r = send_head(h, fd, q, 200, "application/octet-stream",
			  chunked ? -1 : n, NULL);

	if (chunked && c <= 0)
		c = HTTPD_CHUNK;
	return r ? r : send_pattern(h, fd, 0, (uint64_t)n, (size_t)c);
}

/* /cut/<n>: half the announced body, then -ECONNRESET to close. */
static int do_cut(struct httpd *h, int fd, const struct req *q, long long n)
{
	int r = send_head(h, fd, q, 200, "application/octet-stream", n, NULL);

	if (!r)
		r = send_pattern(h, fd, 0, (uint64_t)n / 2, 0);
	return r ? r : -ECONNRESET;	/* close the connection */
}

/* Answers one request (after its optional delay).  0 or -errno. */
int hd_dispatch(struct httpd *h, int fd, const struct req *q)
{
	long long n, max = (long long)HTTPD_MAX_BYTES;

	if (!strcmp(q->path, "/echo"))
		return do_echo(h, fd, q);
	if (get_post_only(q->path) && strcmp(q->method, "GET") &&
	    strcmp(q->method, "POST"))
		return hd_send_status(h, fd, q, 405);
	if ((n = path_num(q->path, "/delay/")) >= 0)
		return do_delay(h, fd, q, n);
	if ((n = path_num(q->path, "/status/")) >= 0)
		return hd_send_status(h, fd, q,
				      n >= 200 && n < 600 ? (int)n : 400);
	if (!strcmp(q->path, "/hang"))
		return hd_nap(h, fd, -1);
	if ((n = path_num(q->path, "/bytes/")) >= 0 && n <= max)
		return do_pattern(h, fd, q, n, false);
	if ((n = path_num(q->path, "/chunked/")) >= 0 && n <= max)
		return do_pattern(h, fd, q, n, true);
	if ((n = path_num(q->path, "/cut/")) >= 0)
		return do_cut(h, fd, q, n);
	return do_file(h, fd, q);
}
