/*
 * httpd_test.c: unit tests of the HTTP fixture server (graders/lib/httpd.h)
 * with raw sockets: files and endpoints, keep-alive, pipelining, malformed
 * and oversize requests, a slow client beside a fast one, requests in
 * flight, a cut-off body, chunked framing, and no thread left after stop.
 *
 * Entry point: main(argc, argv); argv[1], if given, is a directory to serve
 * (it writes its own file there otherwise).  Prints one line per failed
 * check and ends with "N passed, M failed"; exits 1 when any failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "httpd.h"
#include "net.h"
#include "thread.h"
#include "timing.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; \
		printf("FAIL %s:%d: ", __func__, __LINE__); \
		printf(__VA_ARGS__); putchar('\n'); } } while (0)

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * Reads from fd into buf (NUL-terminated) until needle has appeared n
 * times, the peer closes, or timeout_ms passes.  Returns the length; *eof
 * says whether the peer closed.
 */
static size_t read_until(int fd, char *buf, size_t cap, const char *needle,
			 int n, int timeout_ms, bool *eof)
{
	size_t len = 0;
	uint64_t t0 = timing_now_ns();

	*eof = false;
	buf[0] = '\0';
	while (len + 1 < cap && (!needle || count(buf, needle) < n)) {
		int left = timeout_ms - (int)timing_ms_since(t0);
		ssize_t m;
		if (left <= 0 || net_wait_readable(fd, left) <= 0)
			break;
		m = recv(fd, buf + len, cap - 1 - len, 0);
		if (m <= 0) {
			*eof = true;
			break;
		}
		len += (size_t)m;
		buf[len] = '\0';
	}
	return len;
}

/* One exchange on a fresh connection; the answer in buf.  Its length. */
static size_t ask(struct httpd *h, const char *req, char *buf, size_t cap)
{
	int fd = net_connect_tcp(httpd_port(h), 2000);
	bool eof;
	size_t n = 0;

	if (fd < 0)
		return 0;
	net_write_full(fd, req, strlen(req));
	n = read_until(fd, buf, cap, NULL, 0, 2000, &eof);
	close(fd);
	return n;
}

static void t_files(struct httpd *h)
{
	char b[8192];

	ask(h, "GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n", b,
	    sizeof(b));
	CHECK(strstr(b, "HTTP/1.1 200 OK") && strstr(b, "\r\n\r\nhello\n"),
	      "file: got %.200s", b);
	ask(h, "GET /nope.txt HTTP/1.1\r\nConnection: close\r\n\r\n", b,
	    sizeof(b));
	CHECK(strstr(b, "HTTP/1.1 404 "), "missing file: got %.100s", b);
	ask(h, "GET /../etc/passwd HTTP/1.1\r\nConnection: close\r\n\r\n", b,
	    sizeof(b));
	CHECK(strstr(b, "HTTP/1.1 403 "), "traversal: got %.100s", b);
	ask(h, "GET /%2e%2e/etc/passwd HTTP/1.0\r\n\r\n", b, sizeof(b));
	CHECK(strstr(b, "HTTP/1.1 403 "), "encoded traversal: got %.100s", b);
	ask(h, "GET /status/503 HTTP/1.0\r\n\r\n", b, sizeof(b));
	CHECK(strstr(b, "HTTP/1.1 503 ") && strstr(b, "status 503\n"),
	      "status: got %.100s", b);
	ask(h, "POST /echo?a=1 HTTP/1.1\r\nConnection: close\r\nX-T: \"q\"\r\n"
	    "Content-Length: 5\r\n\r\nab\ncd", b, sizeof(b));
	CHECK(strstr(b, "{\"method\":\"POST\",\"path\":\"/echo\",\"query\":"
		     "\"a=1\",\"headers\":{\"Connection\":\"close\",\"X-T\":"
		     "\"\\\"q\\\"\",\"Content-Length\":\"5\"},\"body\":"
		     "\"ab\\u000acd\"}"), "echo: got %.400s", b);
}

static void t_keepalive_pipelining(struct httpd *h)
{
	char b[8192];
	bool eof;
	int fd = net_connect_tcp(httpd_port(h), 2000);
	const char *two = "GET /delay/20 HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET /status/404 HTTP/1.1\r\nHost: x\r\n\r\n";

	net_write_full(fd, "GET /hello.txt HTTP/1.1\r\n\r\n", 27);
	read_until(fd, b, sizeof(b), "hello\n", 1, 2000, &eof);
	CHECK(!eof && strstr(b, "200 OK"), "keep-alive first: %.100s", b);
	net_write_full(fd, two, strlen(two));
	read_until(fd, b, sizeof(b), "status 404\n", 1, 2000, &eof);
	CHECK(!eof && count(b, "HTTP/1.1 ") == 2, "pipelined: %.300s", b);
	CHECK(strstr(b, "/delay/20\n") && strstr(b, "/delay/20\n") <
	      strstr(b, "404 Not Found"), "pipelined order: %.300s", b);
	net_write_full(fd, "GET /bytes/3 HTTP/1.1\r\nConnection: close\r\n\r\n",
		       44);
	read_until(fd, b, sizeof(b), NULL, 0, 2000, &eof);
	CHECK(eof && strstr(b, "Connection: close"), "close honoured: %.200s",
	      b);
	close(fd);
}

static void t_malformed(struct httpd *h)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n", "GET nopath HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: x1\r\n\r\n",
		"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\n Folded: x\r\n\r\n", "GET / XTTP/1.1\r\n\r\n",
	};
	char b[4096], *big = malloc(HTTPD_MAX_HEADER + 100);
	bool eof;
	struct httpd_stats st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ask(h, bad[i], b, sizeof(b));
		CHECK(!strncmp(b, "HTTP/1.1 4", 10) ||
		      !strncmp(b, "HTTP/1.1 5", 10), "bad request %zu: got "
		      "%.80s", i, b);
	}
	memset(big, 'a', HTTPD_MAX_HEADER + 100);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	int fd = net_connect_tcp(httpd_port(h), 2000);
	net_write_full(fd, big, HTTPD_MAX_HEADER + 100);
	read_until(fd, b, sizeof(b), NULL, 0, 2000, &eof);
	CHECK(eof && strstr(b, "HTTP/1.1 431 "), "oversize head: %.80s", b);
	close(fd);
	free(big);
	httpd_stats(h, &st);
	CHECK(st.bad_requests >= 8, "bad_requests: %lu", st.bad_requests);
	ask(h, "GET /hello.txt HTTP/1.0\r\n\r\n", b, sizeof(b));
	CHECK(strstr(b, "200 OK"), "still serving: %.80s", b);
}

static void t_slow_client(struct httpd *h)
{
	const char *req = "GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n";
	int slow = net_connect_tcp(httpd_port(h), 2000);
	char b[4096];
	bool eof;
	uint64_t t0;

	net_write_full(slow, req, 10);	/* half a request line */
	t0 = timing_now_ns();
	ask(h, req, b, sizeof(b));
	CHECK(strstr(b, "hello\n") && timing_ms_since(t0) < 1000,
	      "a slow client blocks others: %.80s", b);
	for (size_t i = 10; req[i]; i++) {
		net_write_full(slow, req + i, 1);
		timing_sleep_ms(1);
	}
	read_until(slow, b, sizeof(b), NULL, 0, 2000, &eof);
	CHECK(eof && strstr(b, "hello\n"), "slow client answered: %.80s", b);
	close(slow);
}

static void t_in_flight(struct httpd *h)
{
	const char *req = "GET /delay/200 HTTP/1.1\r\n\r\n";
	int fd[3];
	struct httpd_stats st;
	char b[4096];
	bool eof;

	httpd_reset_stats(h);
	for (int i = 0; i < 3; i++) {
		fd[i] = net_connect_tcp(httpd_port(h), 2000);
		net_write_full(fd[i], req, strlen(req));
	}
	CHECK(httpd_wait_in_flight(h, 3, 2000) == 0, "3 in flight");
	for (int i = 0; i < 3; i++) {
		read_until(fd[i], b, sizeof(b), "/delay/200\n", 1, 2000, &eof);
		CHECK(strstr(b, "/delay/200\n"), "delayed answer: %.80s", b);
		close(fd[i]);
	}
	httpd_stats(h, &st);
	CHECK(st.peak_in_flight == 3 && st.in_flight == 0 && st.requests == 3,
	      "peak %d, now %d, requests %lu", st.peak_in_flight, st.in_flight,
	      st.requests);
	CHECK(httpd_path_count(h, "/delay/200") >= 3, "path count");
}

static void t_cut_chunked(struct httpd *h)
{
	static char b[65536];
	char *body;
	bool eof;
	int fd = net_connect_tcp(httpd_port(h), 2000);

	net_write_full(fd, "GET /cut/1000 HTTP/1.1\r\n\r\n", 26);
	size_t n = read_until(fd, b, sizeof(b), NULL, 0, 2000, &eof);
	body = strstr(b, "\r\n\r\n");
	CHECK(eof && body && strstr(b, "Content-Length: 1000") &&
	      b + n - (body + 4) == 500, "cut: %zu bytes", n);
	close(fd);
	n = ask(h, "GET /chunked/2500?chunk=1000 HTTP/1.0\r\n\r\n", b,
		sizeof(b));
	body = memmem(b, n, "\r\n\r\n3e8\r\n", 9);
	CHECK(strstr(b, "Transfer-Encoding: chunked") && body &&
	      memmem(b, n, "\r\n1f4\r\n", 7) && n > 7 &&
	      !memcmp(b + n - 7, "\r\n0\r\n\r\n", 7),
	      "chunked framing: %.120s", b);
	CHECK(body && (uint8_t)body[9] == httpd_byte_at(0) &&
	      (uint8_t)body[9 + 999] == httpd_byte_at(999) &&
	      (uint8_t)body[9 + 1000] == '\r', "chunked bytes");
}

/* A /hang request and an idle connection: stop must end both. */
static void t_stop(const char *root, int threads_before)
{
	struct httpd *h;
	int fd, idle, r = httpd_start(root, &h);
	uint64_t t0;

	CHECK(r == 0, "start: %d", r);
	fd = net_connect_tcp(httpd_port(h), 2000);
	idle = net_connect_tcp(httpd_port(h), 2000);
	net_write_full(fd, "GET /hang HTTP/1.1\r\n\r\n", 22);
	CHECK(httpd_wait_in_flight(h, 1, 2000) == 0, "hang in flight");
	t0 = timing_now_ns();
	r = httpd_stop(h);
	CHECK(r == 0 && timing_ms_since(t0) < 1000, "stop: %d after %.0f ms",
	      r, timing_ms_since(t0));
	CHECK(thread_count() == threads_before, "threads after stop: %d, "
	      "before start: %d", thread_count(), threads_before);
	close(fd);
	close(idle);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/httpd_test.XXXXXX", path[64];
	const char *root = argc > 1 ? argv[1] : mkdtemp(dir);
	int threads = thread_count(), fds = net_count_fds();
	struct httpd *h;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hello.txt", dir);
	if (argc <= 1 && root && (f = fopen(path, "w"))) {
		fputs("hello\n", f);
		fclose(f);
	}
	if (!root || httpd_start(root, &h)) {
		printf("cannot start the server\n0 passed, 1 failed\n");
		return 1;
	}
	t_files(h);
	t_keepalive_pipelining(h);
	t_malformed(h);
	t_slow_client(h);
	t_in_flight(h);
	t_cut_chunked(h);
	CHECK(httpd_stop(h) == 0, "stop");
	t_stop(root, threads);
	CHECK(net_count_fds() == fds, "descriptors: %d, before: %d",
	      net_count_fds(), fds);
	if (argc <= 1) {
		unlink(path);
		rmdir(dir);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
