/*
 * ftp_transfer.c (grader): drives the learner's ftp_serve with raw
 * grader-side clients over real loopback TCP, and the learner's client
 * functions against a scripted server thread that plays the protocol as
 * the header fixes it.
 *
 * Entry point: the kata_grader descriptor at the end (the table of tests).
 * Helpers: frames (put_frame, get_frame, expect), directory listings
 * (dir_list, raw_list), uploads and downloads (put_*, raw_get), the server
 * under test (srv_start, dial) and the scripted server (fake_*).
 */
#define _GNU_SOURCE
#include "ftp_transfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kata/grader.h>

#include "digest.h"
#include "net.h"
#include "thread.h"
#include "timing.h"

#define WAIT_MS 5000		/* for one reply; scaled */
#define LIST_CAP 4096		/* bytes of a listing shown in a message */
#define CANARY "canary: must never be served or changed\n"
#define MS(k, ms) ((int)((ms) * kata_scale(k)))

static __thread char frame[FTP_MAX_FRAME + 1];	/* a receive buffer */

/* ---- frames ------------------------------------------------------------- */

static void put_frame(struct kata_ctx *k, int fd, const void *p, size_t n)
{
	unsigned char h[4] = { (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16),
			       (unsigned char)(n >> 8), (unsigned char)n };

	if (net_write_full(fd, h, 4) < 0 || net_write_full(fd, p, n) < 0)
		kata_fail(k, "sending a frame: the peer closed the "
			  "connection (%s)", kata_strres(-errno));
}

static void sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
	KATA_PRINTF(3, 4);
static void sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	put_frame(k, fd, b, (size_t)n);
}

/*
 * Receives one frame into buf (cap + 1 bytes, NUL-ended): its length,
 * -ENODATA at a clean end, -ECONNRESET mid-frame, -EMSGSIZE, -ETIMEDOUT.
 */
static ssize_t get_frame(struct kata_ctx *k, int fd, char *buf, size_t cap)
{
	unsigned char h[4];
	ssize_t n = net_read_full(fd, h, 4, MS(k, WAIT_MS));
	size_t len;

	if (n == 0)
		return -ENODATA;
	if (n < 4)
		return n < 0 ? n : -ECONNRESET;
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
	      h[3];
	if (len > cap)
		return -EMSGSIZE;
	n = net_read_full(fd, buf, len, MS(k, WAIT_MS));
	if (n >= 0 && (size_t)n < len)
		return -ECONNRESET;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Quotes p[0..n) for a message, escaping bytes that are not printable. */
static const char *show(const char *p, size_t n)
{
	static __thread char out[2][300];
	static __thread int which;
	char *o = out[which ^= 1];
	size_t j = 0;

	o[j++] = '"';
	for (size_t i = 0; i < n && j < sizeof(out[0]) - 8; i++)
		j += (unsigned char)p[i] < 0x20 || p[i] == 0x7f ?
			(size_t)sprintf(o + j, "\\x%02x", (unsigned char)p[i]) :
			(size_t)sprintf(o + j, "%c", p[i]);
	strcpy(o + j, n > 200 ? "...\"" : "\"");
	return o;
}

/* What a failed get_frame means, for a message. */
static const char *no_reply(ssize_t r)
{
	return r == -ENODATA ? "no reply: the connection was closed" :
	       r == -ETIMEDOUT ? "no reply in time" :
	       r == -EMSGSIZE ? "a frame over 65536 bytes" : kata_strres(r);
}

/* Receives a reply into buf (FTP_MAX_FRAME + 1); fails unless it is want. */
static void expect_in(struct kata_ctx *k, int fd, char *buf, const char *what,
		      const char *want)
{
	ssize_t n = get_frame(k, fd, buf, FTP_MAX_FRAME);

	if (n < 0)
		kata_fail(k, "%s: expected reply \"%s\", got %s", what, want,
			  no_reply(n));
	if (strcmp(buf, want) || strlen(want) != (size_t)n)
		kata_fail(k, "%s: expected reply \"%s\", got %s", what, want,
			  show(buf, (size_t)n));
}

static void expect(struct kata_ctx *k, int fd, const char *what,
		   const char *want)
{
	expect_in(k, fd, frame, what, want);
}

/* ---- listings: "name=size" entries, sorted, joined by ", " -------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void join_sorted(char **v, int n, char *out)
{
	size_t j = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		j += (size_t)snprintf(out + j, LIST_CAP - j, "%s%s",
				      i ? ", " : "", v[i]);
		if (j >= LIST_CAP)
			j = LIST_CAP - 1;
		free(v[i]);
	}
}

/* Every entry of the directory at path (symlinks as "->"). */
static void dir_list(struct kata_ctx *k, const char *path, char *out)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct stat st;
	char *v[256];
	int n = 0;

	if (!d)
		kata_fail(k, "cannot open %s: %s", path, kata_strres(-errno));
	while ((e = readdir(d)) && n < 256) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (asprintf(&v[n], S_ISLNK(st.st_mode) ? "%s->" : "%s=%lld",
			     e->d_name, (long long)st.st_size) >= 0)
			n++;
	}
	closedir(d);
	join_sorted(v, n, out);
}

/* LIST over fd, in dir_list's format. */
static void raw_list(struct kata_ctx *k, int fd, char *out)
{
	unsigned long long count, size;
	char *v[256], *sp;
	int n = 0;
	ssize_t r;

	sendf(k, fd, "LIST");
	r = get_frame(k, fd, frame, FTP_MAX_FRAME);
	if (r < 0 || sscanf(frame, "OK %llu", &count) != 1 || count > 256)
		kata_fail(k, "LIST: expected reply \"OK <count>\", got %s",
			  r < 0 ? no_reply(r) : show(frame, (size_t)r));
	for (; (unsigned long long)n < count; n++) {
		r = get_frame(k, fd, frame, FTP_MAX_FRAME);
		sp = r > 0 ? strchr(frame, ' ') : NULL;
		if (!sp || sscanf(frame, "%llu ", &size) != 1)
			kata_fail(k, "LIST entry %d: expected \"<size> <name>\""
				  ", got %s", n + 1, r < 0 ? no_reply(r) :
				  show(frame, (size_t)r));
		if (asprintf(&v[n], "%s=%llu", sp + 1, size) < 0)
			kata_fail(k, "out of memory");
	}
	join_sorted(v, n, out);
}

static void expect_list(struct kata_ctx *k, int fd, const char *what,
			const char *want)
{
	char got[LIST_CAP];

	raw_list(k, fd, got);
	if (strcmp(got, want))
		kata_fail(k, "%s: expected [%s], got [%s]", what, want, got);
}

/* Waits until the directory at path lists as want. */
static void wait_dir(struct kata_ctx *k, const char *path, const char *want,
		     const char *what)
{
	uint64_t t0 = timing_now_ns();
	char got[LIST_CAP];

	for (;;) {
		dir_list(k, path, got);
		if (!strcmp(got, want))
			return;
		if (timing_ms_since(t0) > MS(k, 1000))
			kata_fail(k, "%s: expected the directory to hold [%s], "
				  "got [%s]", what, want, got);
		timing_sleep_ms(10);
	}
}

/* ---- transfers ---------------------------------------------------------- */

/* Sends "PUT name size" and expects the go-ahead. */
static void put_start(struct kata_ctx *k, int fd, const char *name,
		      uint64_t size)
{
	char what[300];

	snprintf(what, sizeof(what), "PUT %s %llu", name,
		 (unsigned long long)size);
	put_frame(k, fd, what, strlen(what));
	expect(k, fd, what, "OK");
}

/* Sends n random bytes in frames of random sizes (1..FTP_MAX_FRAME). */
static void put_data(struct kata_ctx *k, int fd, struct rng *r,
		     struct digest *d, uint64_t n)
{
	static __thread char b[FTP_MAX_FRAME];

	while (n > 0) {
		size_t m = 1 + (size_t)rng_below(r, FTP_MAX_FRAME);

		m = m > n ? (size_t)n : m;
		rng_fill(r, b, m);
		digest_update(d, b, m);
		put_frame(k, fd, b, m);
		n -= m;
	}
}

/* A whole PUT of size random bytes: returns their digest. */
static uint64_t raw_put(struct kata_ctx *k, int fd, const char *name,
			uint64_t size, uint64_t seed)
{
	struct digest d;
	struct rng r;

	rng_seed(&r, seed);
	digest_init(&d);
	put_start(k, fd, name, size);
	put_data(k, fd, &r, &d, size);
	expect(k, fd, "the reply after the last byte of a PUT", "OK");
	return d.h;
}

/* The reply to "what" (a GET), expecting size bytes: returns their digest */
static uint64_t recv_file(struct kata_ctx *k, int fd, const char *what,
			  uint64_t size)
{
	static __thread char b[FTP_MAX_FRAME + 1];
	struct digest d;
	char want[64];
	ssize_t n;

	snprintf(want, sizeof(want), "OK %llu", (unsigned long long)size);
	expect_in(k, fd, b, what, want);
	digest_init(&d);
	while (size > 0) {
		n = get_frame(k, fd, b, FTP_MAX_FRAME);
		if (n <= 0 || (uint64_t)n > size)
			kata_fail(k, "%s: expected a data frame of 1..%llu "
				  "bytes, got %s", what, (unsigned long long)
				  size, n < 0 ? no_reply(n) : "a wrong size");
		digest_update(&d, b, (size_t)n);
		size -= (uint64_t)n;
	}
	return d.h;
}

/* GET name, expecting size bytes: returns their digest. */
static uint64_t raw_get(struct kata_ctx *k, int fd, const char *name,
			uint64_t size)
{
	char what[300];

	snprintf(what, sizeof(what), "GET %s", name);
	put_frame(k, fd, what, strlen(what));
	return recv_file(k, fd, what, size);
}

static uint64_t file_digest(struct kata_ctx *k, const char *path)
{
	uint64_t h;
	int r = digest_file(path, &h);

	if (r < 0)
		kata_fail(k, "reading %s: %s", path, kata_strres(r));
	return h;
}

static void write_file(struct kata_ctx *k, const char *path, const void *p,
		       size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || close(fd) < 0)
		kata_fail(k, "cannot write %s: %s", path, kata_strres(-errno));
}

/* Writes size random bytes to path: returns their digest. */
static uint64_t random_file(struct kata_ctx *k, const char *path,
			    uint64_t size, uint64_t seed)
{
	static char b[1 << 20];
	struct digest d;
	struct rng r;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	rng_seed(&r, seed);
	digest_init(&d);
	for (uint64_t left = size; fd >= 0 && left > 0;) {
		size_t m = left < sizeof(b) ? (size_t)left : sizeof(b);

		rng_fill(&r, b, m);
		digest_update(&d, b, m);
		if (write(fd, b, m) != (ssize_t)m)
			kata_fail(k, "cannot write %s", path);
		left -= m;
	}
	if (fd < 0 || close(fd) < 0)
		kata_fail(k, "cannot write %s: %s", path, kata_strres(-errno));
	return d.h;
}

/* ---- the learner's server ----------------------------------------------- */

struct srv {
	struct kata_ctx *k;
	int (*serve)(int listen_fd, int root_fd, int stop_fd);
	atomic_bool stopping;
	int lfd, root_fd, stop[2], result;
	uint16_t port;
	pthread_t t;
	char root[PATH_MAX / 2], canary[PATH_MAX / 2], fix[LIST_CAP];
};

/* Runs ftp_serve; its returning before the stop fails the test at once. */
static void *srv_main(void *arg)
{
	struct srv *s = arg;

	s->result = s->serve(s->lfd, s->root_fd, s->stop[0]);
	if (!atomic_load(&s->stopping))
		kata_fail(s->k, "ftp_serve returned %s before stop_fd became "
			  "readable: expected it to keep serving clients until "
			  "then", kata_strres(s->result));
	return NULL;
}

/* tmp/root holds copies of the fixtures; tmp/canary lies outside it. */
static void make_root(struct kata_ctx *k, struct srv *s)
{
	DIR *d = opendir(kata_fixtures(k));
	char src[PATH_MAX], dst[PATH_MAX], *buf;
	struct dirent *e;
	int fd;
	ssize_t n;

	snprintf(s->root, sizeof(s->root), "%s/root", kata_tmpdir(k));
	snprintf(s->canary, sizeof(s->canary), "%s/canary", kata_tmpdir(k));
	if (!d || mkdir(s->root, 0755) < 0 || !(buf = malloc(1 << 16)))
		kata_fail(k, "cannot prepare %s", s->root);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", kata_fixtures(k),
			 e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", s->root, e->d_name);
		fd = open(src, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, 1 << 16);
		if (n < 0)
			kata_fail(k, "cannot read fixture %s", src);
		write_file(k, dst, buf, (size_t)n);
		close(fd);
	}
	closedir(d);
	free(buf);
	write_file(k, s->canary, CANARY, strlen(CANARY));
	dir_list(k, s->root, s->fix);
}

static void srv_start(struct kata_ctx *k, struct srv *s)
{
	s->serve = KATA_SYM(k, ftp_serve);
	make_root(k, s);
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->lfd = net_listen_tcp(64, &s->port);
	s->k = k;
	atomic_store(&s->stopping, false);
	if (s->root_fd < 0 || s->lfd < 0 || pipe2(s->stop, O_CLOEXEC) < 0 ||
	    thread_start(&s->t, "server", srv_main, s) < 0)
		kata_fail(k, "cannot start the server's thread");
}

static int dial(struct kata_ctx *k, struct srv *s)
{
	int one = 1, fd = net_connect_tcp(s->port, MS(k, 2000));

	if (fd < 0)
		kata_fail(k, "connecting to the server: %s", kata_strres(fd));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A request made of a command and a name holding any bytes. */
static void put_cmd(struct kata_ctx *k, int fd, const char *cmd,
		    const char *name, size_t len, const char *tail)
{
	char b[1024];
	size_t c = strlen(cmd), t = strlen(tail);

	memcpy(b, cmd, c);
	memcpy(b + c, name, len);
	memcpy(b + c + len, tail, t);
	put_frame(k, fd, b, c + len + t);
}

/* ---- server tests ------------------------------------------------------- */

static void t_list(struct kata_ctx *k)
{
	struct srv s;
	int fd;

	kata_concept(k, "LIST answers \"OK <count>\" and then one frame "
		     "\"<size> <name>\" per regular file in the root");
	srv_start(k, &s);
	fd = dial(k, &s);
	expect_list(k, fd, "LIST of the fixtures", s.fix);
	expect_list(k, fd, "a second LIST on the same connection", s.fix);
}

static void t_get(struct kata_ctx *k)
{
	static const char *const names[] = { "empty.txt", "one.bin",
		"bytes.bin", "好好.txt", NULL };
	char path[PATH_MAX];
	struct stat st;
	struct srv s;
	int fd;

	kata_concept(k, "GET answers \"OK <size>\" and then exactly <size> "
		     "bytes in data frames; a missing file is NOT_FOUND");
	srv_start(k, &s);
	fd = dial(k, &s);
	for (int i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", s.root, names[i]);
		stat(path, &st);
		if (raw_get(k, fd, names[i], (uint64_t)st.st_size) !=
		    file_digest(k, path))
			kata_fail(k, "GET %s: the bytes differ from the file",
				  names[i]);
	}
	sendf(k, fd, "GET missing.txt");
	expect(k, fd, "GET missing.txt", "NOT_FOUND");
}

static void t_put(struct kata_ctx *k)
{
	uint64_t size = (uint64_t)kata_param(k, "put_bytes", 1 << 20, 200000);
	char path[PATH_MAX], want[LIST_CAP];
	struct srv s;
	uint64_t h;
	int fd;

	kata_concept(k, "PUT <name> <size>: the server says OK, the client "
		     "sends <size> bytes in frames, the server says OK again");
	srv_start(k, &s);
	fd = dial(k, &s);
	h = raw_put(k, fd, "new.bin", size, 1);
	snprintf(path, sizeof(path), "%s/new.bin", s.root);
	KATA_REQUIRE(k, file_digest(k, path) == h, "PUT new.bin: the file "
		     "in the root differs from the bytes sent");
	KATA_REQUIRE(k, raw_get(k, fd, "new.bin", size) == h, "GET new.bin "
		     "after PUT: the bytes differ from the ones uploaded");
	raw_put(k, fd, "zero.bin", 0, 2);
	h = raw_put(k, fd, "bytes.bin", 1000, 3);
	snprintf(path, sizeof(path), "%s/bytes.bin", s.root);
	KATA_REQUIRE(k, file_digest(k, path) == h, "PUT over an existing "
		     "bytes.bin: expected the new content in the file");
	dir_list(k, s.root, want);
	expect_list(k, fd, "LIST after three PUTs", want);
}

static void t_delete(struct kata_ctx *k)
{
	char want[LIST_CAP];
	struct srv s;
	int fd;

	kata_concept(k, "DELETE <name> removes a file from the root");
	srv_start(k, &s);
	fd = dial(k, &s);
	sendf(k, fd, "DELETE one.bin");
	expect(k, fd, "DELETE one.bin", "OK");
	sendf(k, fd, "DELETE one.bin");
	expect(k, fd, "DELETE one.bin a second time", "NOT_FOUND");
	dir_list(k, s.root, want);
	KATA_REQUIRE(k, !strstr(want, "one.bin"), "after DELETE one.bin: "
		     "expected it gone from the root, got [%s]", want);
	expect_list(k, fd, "LIST after DELETE", want);
}

/* Writes p[0..n) one byte at a time, pausing, so each is its own segment */
static void dribble(struct kata_ctx *k, int fd, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (net_write_full(fd, p + i, 1) < 0)
			kata_fail(k, "the server closed the connection while "
				  "a frame was arriving in pieces");
		timing_sleep_ms(2);
	}
}

static void t_split(struct kata_ctx *k)
{
	char path[PATH_MAX], b[64] = "\0\0\0\x0dGET bytes.bin";
	char two[32] = "\0\0\0\x04LIST\0\0\0\x0bGET one.bin";
	char got[LIST_CAP];
	struct srv s;
	int fd;

	kata_concept(k, "TCP is a byte stream: one recv() may return half a "
		     "frame header, or two frames at once");
	srv_start(k, &s);
	fd = dial(k, &s);
	dribble(k, fd, b, 17);
	snprintf(path, sizeof(path), "%s/bytes.bin", s.root);
	KATA_REQUIRE(k, recv_file(k, fd, "GET bytes.bin sent a byte at a time",
		     256) == file_digest(k, path), "GET bytes.bin sent a byte "
		     "at a time: the bytes differ from the file");
	dribble(k, fd, "\0\0\0\x0bPUT s.bin 3", 15);
	expect(k, fd, "PUT s.bin 3 sent a byte at a time", "OK");
	dribble(k, fd, "\0\0\0\x03xyz", 7);
	expect(k, fd, "a 3-byte data frame sent a byte at a time", "OK");
	if (net_write_full(fd, two, 23) < 0)
		kata_fail(k, "sending two requests in one write failed");
	raw_list(k, fd, got);
	expect(k, fd, "GET one.bin sent in the same write as LIST", "OK 1");
	expect(k, fd, "the data of one.bin", "1");
}

/* Names that must be refused with BAD_NAME, whatever the command. */
static const struct bad {
	const char *name;
	size_t len;
} bad_names[] = {
	{ "../canary", 9 }, { "..", 2 }, { ".", 1 }, { "", 0 },
	{ "x/../one.bin", 12 }, { "one.bin\0/../canary", 18 },
	{ "a\nb", 3 }, { FTP_TMP_PREFIX "1", sizeof(FTP_TMP_PREFIX) },
	{ NULL, 0 }
};

/* Sends cmd+name+tail for every bad name and expects BAD_NAME to each. */
static void refuse_all(struct kata_ctx *k, struct srv *s, int fd,
		       const char *cmd, const char *tail)
{
	char what[400], big[FTP_MAX_NAME + 1];

	for (const struct bad *b = bad_names; b->name; b++) {
		put_cmd(k, fd, cmd, b->name, b->len, tail);
		snprintf(what, sizeof(what), "%s%s%s", cmd,
			 show(b->name, b->len), tail);
		expect(k, fd, what, "BAD_NAME");
	}
	put_cmd(k, fd, cmd, s->canary, strlen(s->canary), tail);
	snprintf(what, sizeof(what), "%s%s%s (an absolute path)", cmd,
		 s->canary, tail);
	expect(k, fd, what, "BAD_NAME");
	memset(big, 'a', sizeof(big));
	put_cmd(k, fd, cmd, big, sizeof(big), tail);
	snprintf(what, sizeof(what), "%s<a name of %u bytes>%s", cmd,
		 FTP_MAX_NAME + 1, tail);
	expect(k, fd, what, "BAD_NAME");
}

static void t_traversal(struct kata_ctx *k)
{
	char big[FTP_MAX_NAME];
	struct srv s;
	int fd;

	kata_concept(k, "a name from the network is hostile until checked: "
		     "\"../x\", \"/x\", \"a\\0b\" must never reach open()");
	srv_start(k, &s);
	fd = dial(k, &s);
	raw_get(k, fd, "one.bin", 1);
	memset(big, 'a', sizeof(big));
	put_cmd(k, fd, "GET ", big, sizeof(big), "");
	expect(k, fd, "GET <a valid name of 255 bytes>", "NOT_FOUND");
	refuse_all(k, &s, fd, "GET ", "");
}

static void t_traversal_write(struct kata_ctx *k)
{
	char tmp0[LIST_CAP], root0[LIST_CAP];
	struct srv s;
	int fd;

	kata_concept(k, "a name from the network is hostile until checked: "
		     "PUT and DELETE must not write outside the root either");
	srv_start(k, &s);
	fd = dial(k, &s);
	raw_put(k, fd, "ok.bin", 6, 1);
	dir_list(k, kata_tmpdir(k), tmp0);
	dir_list(k, s.root, root0);
	refuse_all(k, &s, fd, "PUT ", " 6");
	refuse_all(k, &s, fd, "DELETE ", "");
	wait_dir(k, kata_tmpdir(k), tmp0, "the root's parent after refused "
		 "PUTs and DELETEs");
	wait_dir(k, s.root, root0, "the root after refused PUTs and DELETEs");
	write_file(k, "expect", CANARY, strlen(CANARY));
	KATA_REQUIRE(k, file_digest(k, s.canary) == file_digest(k, "expect"),
		     "the canary outside the root was changed");
}

static void t_symlinks(struct kata_ctx *k)
{
	static const char *const names[] = { "link", "abs", "dir", NULL };
	char p[PATH_MAX + 8];
	struct stat st;
	struct srv s;
	int fd;

	kata_concept(k, "a symbolic link in the root may point anywhere: "
		     "open with O_NOFOLLOW (relative to the root with openat)");
	srv_start(k, &s);
	snprintf(p, sizeof(p), "%s/link", s.root);
	symlink("../canary", p);
	snprintf(p, sizeof(p), "%s/abs", s.root);
	symlink(s.canary, p);
	snprintf(p, sizeof(p), "%s/dir", s.root);
	mkdir(p, 0755);
	fd = dial(k, &s);
	raw_get(k, fd, "one.bin", 1);
	expect_list(k, fd, "LIST (links and directories are not listed)",
		    s.fix);
	for (int i = 0; names[i]; i++) {
		sendf(k, fd, "GET %s", names[i]);
		snprintf(p, sizeof(p), "GET %s (not a regular file)", names[i]);
		expect(k, fd, p, "BAD_NAME");
	}
	sendf(k, fd, "PUT link 6");
	expect(k, fd, "PUT link 6 (link is a symbolic link)", "BAD_NAME");
	sendf(k, fd, "DELETE link");
	expect(k, fd, "DELETE link (a symbolic link)", "BAD_NAME");
	snprintf(p, sizeof(p), "%s/link", s.root);
	KATA_REQUIRE(k, lstat(p, &st) == 0 && S_ISLNK(st.st_mode),
		     "the symbolic link in the root was removed or replaced");
}

static void t_malformed(struct kata_ctx *k)
{
	static const char *const junk[] = { "", "FOO", "list", "GET",
		"LIST x", "PUT x", "PUT x -1", "PUT x 12a", "PUT x ",
		"PUT x 123456789012345678901", "DELETE", NULL };
	char b[100], what[100];
	struct srv s;
	struct rng r;
	int fd;

	kata_concept(k, "bad input gets a status, never a crash: answer "
		     "BAD_REQUEST and keep the connection going");
	srv_start(k, &s);
	fd = dial(k, &s);
	expect_list(k, fd, "LIST", s.fix);
	for (int i = 0; junk[i]; i++) {
		put_frame(k, fd, junk[i], strlen(junk[i]));
		snprintf(what, sizeof(what), "request %s",
			 show(junk[i], strlen(junk[i])));
		expect(k, fd, what, "BAD_REQUEST");
	}
	rng_seed(&r, 5);
	rng_fill(&r, b, sizeof(b));
	b[0] = (char)0xff;
	put_frame(k, fd, b, sizeof(b));
	expect(k, fd, "a request of 100 random bytes", "BAD_REQUEST");
	expect_list(k, fd, "LIST after the malformed requests", s.fix);
}

/* Expects the server to have closed fd. */
static void expect_closed(struct kata_ctx *k, int fd, const char *what)
{
	ssize_t n = get_frame(k, fd, frame, FTP_MAX_FRAME);

	if (n != -ENODATA && n != -ECONNRESET)
		kata_fail(k, "%s: expected the server to close the connection,"
			  " got %s", what, n < 0 ? no_reply(n) :
			  show(frame, (size_t)n));
}

static void t_oversize(struct kata_ctx *k)
{
	char want[LIST_CAP];
	struct srv s;
	int a, b;

	kata_concept(k, "limits protect the server: a frame over 64 KiB or "
		     "a file over FTP_MAX_FILE is TOO_BIG, decided up front");
	srv_start(k, &s);
	a = dial(k, &s);
	raw_put(k, a, "small.bin", 5, 1);
	dir_list(k, s.root, want);
	net_write_full(a, "\0\x10\0\x01", 4);
	expect(k, a, "a frame header announcing 1048577 bytes", "TOO_BIG");
	expect_closed(k, a, "after TOO_BIG for an oversize frame");
	b = dial(k, &s);
	sendf(k, b, "PUT huge.bin %llu", FTP_MAX_FILE + 1);
	expect(k, b, "PUT huge.bin <FTP_MAX_FILE + 1>", "TOO_BIG");
	put_start(k, b, "big.bin", 100000);
	net_write_full(b, "\0\x01\x11\x70", 4);
	expect(k, b, "a data frame header announcing 70000 bytes", "TOO_BIG");
	expect_closed(k, b, "after TOO_BIG for an oversize data frame");
	wait_dir(k, s.root, want, "the root after refused uploads");
}

static void t_atomic(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "atomic_bytes", 1 << 20, 1 << 18);
	struct digest da, dc;
	struct rng r;
	struct srv s;
	uint64_t old;
	int a, b, c;

	kata_concept(k, "an upload is atomic: write a temporary file, rename "
		     "it over the name when complete; LIST hides temp files");
	srv_start(k, &s);
	old = file_digest(k, "root/bytes.bin");
	rng_seed(&r, 9);
	digest_init(&da);
	digest_init(&dc);
	a = dial(k, &s);
	c = dial(k, &s);
	b = dial(k, &s);
	put_start(k, a, "new.bin", n);
	put_data(k, a, &r, &da, n / 2);
	put_start(k, c, "bytes.bin", n);
	put_data(k, c, &r, &dc, n / 2);
	expect_list(k, b, "LIST while new.bin and bytes.bin are half "
		    "uploaded", s.fix);
	sendf(k, b, "GET new.bin");
	expect(k, b, "GET new.bin while it is half uploaded", "NOT_FOUND");
	KATA_REQUIRE(k, raw_get(k, b, "bytes.bin", 256) == old, "GET "
		     "bytes.bin while a new version is half uploaded: "
		     "expected the old bytes");
	put_data(k, a, &r, &da, n - n / 2);
	expect(k, a, "the reply after the last byte of new.bin", "OK");
	put_data(k, c, &r, &dc, n - n / 2);
	expect(k, c, "the reply after the last byte of bytes.bin", "OK");
	KATA_REQUIRE(k, raw_get(k, b, "new.bin", n) == da.h, "GET new.bin "
		     "after its upload: the bytes differ");
	KATA_REQUIRE(k, raw_get(k, b, "bytes.bin", n) == dc.h, "GET "
		     "bytes.bin after its upload: the bytes differ");
}

static void t_abort(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "atomic_bytes", 1 << 20, 1 << 18);
	uint64_t old;
	struct digest d;
	struct rng r;
	struct srv s;
	int a, c;

	kata_concept(k, "a client may vanish mid-upload: remove the temporary "
		     "file and leave the old file of that name untouched");
	srv_start(k, &s);
	old = file_digest(k, "root/bytes.bin");
	rng_seed(&r, 11);
	digest_init(&d);
	a = dial(k, &s);
	c = dial(k, &s);
	put_start(k, a, "gone.bin", n);
	put_data(k, a, &r, &d, n / 2);
	net_write_full(a, "\0\0\x03\xe8 half a frame", 16);
	put_start(k, c, "bytes.bin", n);
	put_data(k, c, &r, &d, n / 3);
	close(a);
	close(c);
	wait_dir(k, s.root, s.fix, "the root after two clients disconnected "
		 "mid-upload");
	KATA_REQUIRE(k, file_digest(k, "root/bytes.bin") == old, "bytes.bin "
		     "after an aborted upload of a new version: expected the "
		     "old bytes, got others");
	a = dial(k, &s);
	expect_list(k, a, "LIST after the aborted uploads", s.fix);
}

static void t_abort_get(struct kata_ctx *k)
{
	struct srv s;
	int a;

	kata_concept(k, "a client may vanish mid-download: sending to it then "
		     "raises SIGPIPE, which kills the whole server unless "
		     "every send uses MSG_NOSIGNAL");
	srv_start(k, &s);
	random_file(k, "root/big.bin", 16 << 20, 3);
	for (int i = 0; i < 3; i++) {
		a = dial(k, &s);
		sendf(k, a, "GET big.bin");
		expect(k, a, "GET big.bin", "OK 16777216");
		get_frame(k, a, frame, FTP_MAX_FRAME);
		close(a);	/* unread data: the kernel answers with RST */
	}
	timing_sleep_ms(50);
	a = dial(k, &s);
	raw_get(k, a, "one.bin", 1);
}

struct client {
	struct kata_ctx *k;
	struct srv *s;
	int id;
	uint64_t size, fixture;
	pthread_t t;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct kata_ctx *k = c->k;
	char name[32];
	uint64_t h;
	int fd = dial(k, c->s);

	snprintf(name, sizeof(name), "c%d.bin", c->id);
	h = raw_put(k, fd, name, c->size, 100 + (uint64_t)c->id);
	for (int round = 0; round < 2; round++) {
		if (raw_get(k, fd, "bytes.bin", 256) != c->fixture)
			kata_fail(k, "client %d: GET bytes.bin returned other "
				  "bytes than the file holds", c->id);
		if (raw_get(k, fd, name, c->size) != h)
			kata_fail(k, "client %d: GET %s returned other bytes "
				  "than it uploaded", c->id, name);
	}
	close(fd);
	return NULL;
}

static void t_concurrent(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "client_bytes", 2 << 20, 1 << 18);
	struct client c[8];
	struct srv s;
	int idle;

	kata_concept(k, "serve each client in its own thread (or with poll): "
		     "one slow client must not stall the others");
	srv_start(k, &s);
	idle = dial(k, &s);
	put_start(k, idle, "idle.bin", 100);	/* and then silence */
	for (int i = 0; i < 8; i++) {
		c[i] = (struct client){ k, &s, i, n + (uint64_t)i * 4099,
					file_digest(k, "root/bytes.bin"), 0 };
		if (thread_start(&c[i].t, "client", client_main, &c[i]) < 0)
			kata_fail(k, "cannot start client thread %d", i);
	}
	for (int i = 0; i < 8; i++)
		if (thread_join_timeout(c[i].t, MS(k, 30000), NULL) < 0)
			kata_fail(k, "client %d did not finish in time", i);
	kata_ok(k, "8 clients uploaded and downloaded while one sat idle");
}

/* Peak memory growth in KiB since the last reset (reset when reset). */
static long long rss_growth(bool reset)
{
	static long long base;
	long long rss = 0, hwm = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %lld", &rss);
		sscanf(line, "VmHWM: %lld", &hwm);
	}
	if (f)
		fclose(f);
	if (reset) {
		int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

		if (fd >= 0 && write(fd, "5", 1) == 1)
			hwm = rss;	/* the peak now starts from here */
		if (fd >= 0)
			close(fd);
		base = hwm;
	}
	return hwm - base;
}

struct pump {
	int fd;
	uint64_t n;
	pthread_t t;
};

static void *pump_main(void *arg)
{
	static char zero[FTP_MAX_FRAME];
	struct pump *p = arg;

	for (uint64_t left = p->n; left > 0;) {
		size_t m = left < sizeof(zero) ? (size_t)left : sizeof(zero);

		if (net_write_full(p->fd, zero, m) < 0)
			break;
		left -= m;
	}
	return NULL;
}

/* Milliseconds to move n bytes over raw loopback TCP. */
static double loopback_ms(struct kata_ctx *k, uint64_t n)
{
	struct pump p = { .n = n };
	uint64_t t0 = timing_now_ns();
	int a;

	if (net_tcp_pair(&a, &p.fd) < 0 ||
	    thread_start(&p.t, "pump", pump_main, &p) < 0)
		kata_fail(k, "cannot measure raw loopback");
	for (uint64_t got = 0; got < n;) {
		size_t want = n - got < FTP_MAX_FRAME ? (size_t)(n - got)
						      : FTP_MAX_FRAME;
		ssize_t m = net_read_full(a, frame, want, 5000);

		if (m <= 0)
			kata_fail(k, "raw loopback transfer failed");
		got += (uint64_t)m;
	}
	thread_join_timeout(p.t, 5000, NULL);
	return timing_ms_since(t0);
}

static void t_large(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "large_mib", 256, 16) << 20;
	double put_ms, get_ms, raw_ms, mib = (double)(n >> 20);
	long long grew;
	struct stat st;
	struct srv s;
	uint64_t h, t0;
	int fd;

	kata_concept(k, "stream a large file through a small buffer: read a "
		     "frame, write it, repeat; never hold the whole file");
	srv_start(k, &s);
	fd = dial(k, &s);
	rss_growth(true);
	t0 = timing_now_ns();
	h = raw_put(k, fd, "large.bin", n, 21);
	put_ms = timing_ms_since(t0);
	KATA_REQUIRE(k, stat("root/large.bin", &st) == 0 &&
		     (uint64_t)st.st_size == n, "PUT large.bin: expected a "
		     "file of %llu bytes in the root", (unsigned long long)n);
	t0 = timing_now_ns();
	KATA_REQUIRE(k, raw_get(k, fd, "large.bin", n) == h, "GET large.bin: "
		     "the bytes differ from the ones uploaded");
	get_ms = timing_ms_since(t0);
	grew = rss_growth(false);
	raw_ms = loopback_ms(k, n);
	kata_note(k, "%.0f MiB: PUT %.0f MiB/s, GET %.0f MiB/s, raw loopback "
		  "%.0f MiB/s", mib, mib * 1000 / put_ms, mib * 1000 / get_ms,
		  mib * 1000 / raw_ms);
	if (grew * 1024 > (long long)(n / 2))
		kata_fail(k, "memory while moving a %.0f MiB file: expected "
			  "the process to grow by less than %.0f MiB, it grew "
			  "by %lld MiB", mib, mib / 2, grew >> 10);
}

/* Waits until this process runs want threads; returns the last count. */
static int wait_threads(struct kata_ctx *k, int want)
{
	uint64_t t0 = timing_now_ns();
	int n;

	while ((n = thread_count()) != want && timing_ms_since(t0) < MS(k, 500))
		timing_sleep_ms(5);
	return n;
}

static void t_stop(struct kata_ctx *k)
{
	int threads = thread_count(), fds, a, b, c, r;
	struct digest d;
	struct rng r1;
	struct srv s;
	uint64_t t0;
	char want[LIST_CAP];

	kata_concept(k, "a server stops when told: stop_fd becomes readable, "
		     "every connection ends, every thread is joined");
	srv_start(k, &s);
	random_file(k, "root/big.bin", 8 << 20, 3);
	dir_list(k, s.root, want);
	fds = net_count_fds();
	a = dial(k, &s);
	expect_list(k, a, "LIST", want);	/* a: then idle */
	b = dial(k, &s);
	rng_seed(&r1, 1);
	digest_init(&d);
	put_start(k, b, "part.bin", 1 << 20);	/* b: mid-upload */
	put_data(k, b, &r1, &d, 1 << 19);
	c = dial(k, &s);
	sendf(k, c, "GET big.bin");		/* c: mid-download, unread */
	expect(k, c, "GET big.bin", "OK 8388608");
	timing_sleep_ms(50);
	t0 = timing_now_ns();
	atomic_store(&s.stopping, true);
	if (write(s.stop[1], "x", 1) != 1)
		kata_fail(k, "cannot write to the stop pipe");
	r = thread_join_timeout(s.t, MS(k, 1000), NULL);
	if (r < 0)
		kata_fail(k, "ftp_serve did not return within %d ms of stop_fd "
			  "becoming readable (clients: one idle, one "
			  "mid-upload, one mid-download)", MS(k, 1000));
	kata_note(k, "ftp_serve returned %.1f ms after the stop",
		  timing_ms_since(t0));
	kata_expect_int(k, "ftp_serve's result after a stop", s.result, 0);
	r = wait_threads(k, threads);
	KATA_REQUIRE(k, r == threads, "threads left after ftp_serve returned: "
		     "expected 0, got %d", r - threads);
	expect_closed(k, a, "the idle client after the stop");
	r = net_count_fds();
	KATA_REQUIRE(k, r == fds + 3, "descriptors left open after ftp_serve "
		     "returned: expected 0, got %d", r - fds - 3);
	wait_dir(k, s.root, want, "the root after a stop mid-upload");
}

/* ---- the learner's client against a scripted server --------------------- */

struct fake {
	struct kata_ctx *k;
	int fd;			/* the scripted server's end */
	pthread_t t;
	void (*script)(struct fake *f);
	uint64_t size, digest;
};

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	f->script(f);
	return NULL;
}

/* Starts the script; returns the client's end (replies time out). */
static int fake_start(struct kata_ctx *k, struct fake *f,
		      void (*script)(struct fake *f))
{
	struct timeval tv = { MS(k, WAIT_MS) / 1000, 0 };
	int c, one = 1;

	f->k = k;
	f->script = script;
	if (net_tcp_pair(&c, &f->fd) < 0 ||
	    thread_start(&f->t, "fake-server", fake_main, f) < 0)
		kata_fail(k, "cannot start the scripted server");
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return c;
}

static void fake_join(struct kata_ctx *k, struct fake *f)
{
	if (thread_join_timeout(f->t, MS(k, WAIT_MS), NULL) < 0)
		kata_fail(k, "the client stopped before the exchange ended");
}

/* The scripted server's side: the next request must be want. */
static void want_request(struct fake *f, const char *want)
{
	static __thread char b[FTP_MAX_FRAME + 1];
	ssize_t n = get_frame(f->k, f->fd, b, FTP_MAX_FRAME);

	if (n < 0 || strcmp(b, want) || (size_t)n != strlen(want))
		kata_fail(f->k, "the client's request: expected \"%s\", got "
			  "%s", want, n < 0 ? no_reply(n) :
			  show(b, (size_t)n));
}

/* Writes p[0..n) in pieces of random sizes, the first few bytes apart. */
static void scatter(struct fake *f, struct rng *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t m = i < 8 ? 1 : 1 + (size_t)rng_below(r, 9000);

		m = m > n - i ? n - i : m;
		if (net_write_full(f->fd, p + i, m) < 0)
			kata_fail(f->k, "the client closed the connection "
				  "before reading the whole reply");
		if (i < 8)
			timing_sleep_ms(2);
		i += m;
	}
}

/* Appends a frame to buf at *len. */
static void add_frame(char *buf, size_t *len, const void *p, size_t n)
{
	unsigned char *h = (unsigned char *)buf + *len;

	h[0] = (unsigned char)(n >> 24);
	h[1] = (unsigned char)(n >> 16);
	h[2] = (unsigned char)(n >> 8);
	h[3] = (unsigned char)n;
	memcpy(buf + *len + 4, p, n);
	*len += 4 + n;
}

static const char *const list_entries[] = { "0 empty.txt",
	"1073741824 big one.iso", "73 好好.txt", "256 bytes.bin", NULL };

static void list_script(struct fake *f)
{
	char b[512];
	size_t len = 0;
	struct rng r;

	rng_seed(&r, 4);
	want_request(f, "LIST");
	add_frame(b, &len, "OK 4", 4);
	for (int i = 0; list_entries[i]; i++)
		add_frame(b, &len, list_entries[i], strlen(list_entries[i]));
	scatter(f, &r, b, len);
}

static void collect(void *arg, const char *name, uint64_t size)
{
	char *out = arg;
	size_t j = strlen(out);

	snprintf(out + j, LIST_CAP - j, "%s%llu %s", j ? "|" : "",
		 (unsigned long long)size, name);
}

static void t_client_list(struct kata_ctx *k)
{
	char got[LIST_CAP] = "", want[LIST_CAP] = "";
	struct fake f;
	int c, r;

	kata_concept(k, "the reply \"OK <count>\" says how many entry frames "
		     "follow; read exactly that many, however they arrive");
	c = fake_start(k, &f, list_script);
	r = KATA_SYM(k, ftp_list)(c, collect, got);
	kata_expect_int(k, "ftp_list's result", r, FTP_OK);
	fake_join(k, &f);
	for (int i = 0; list_entries[i]; i++)
		collect(want, strchr(list_entries[i], ' ') + 1,
			strtoull(list_entries[i], NULL, 10));
	KATA_REQUIRE(k, !strcmp(got, want), "entries seen by ftp_list's "
		     "callback: expected [%s], got [%s]", want, got);
}

static void get_script(struct fake *f)
{
	size_t len = 0, cap = (size_t)f->size * 2 + 100;
	char *b = malloc(cap), head[64];
	struct digest d;
	struct rng r;

	if (!b)
		kata_fail(f->k, "out of memory");
	rng_seed(&r, 6);
	digest_init(&d);
	want_request(f, "GET data.bin");
	snprintf(head, sizeof(head), "OK %llu", (unsigned long long)f->size);
	add_frame(b, &len, head, strlen(head));
	for (uint64_t left = f->size; left > 0;) {
		size_t m = 1 + (size_t)rng_below(&r, FTP_MAX_FRAME);

		m = m > left ? (size_t)left : m;
		rng_fill(&r, b + len + 4, m);
		digest_update(&d, b + len + 4, m);
		add_frame(b, &len, b + len + 4, m);
		left -= m;
	}
	f->digest = d.h;
	scatter(f, &r, b, len);
	free(b);
	want_request(f, "GET nope.txt");
	sendf(f->k, f->fd, "NOT_FOUND");
}

static void t_client_get(struct kata_ctx *k)
{
	struct fake f = { .size = (uint64_t)kata_param(k, "client_bytes",
						       2 << 20, 1 << 18) };
	int c, out = open("got.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	uint64_t size = 0;

	kata_concept(k, "\"OK <size>\" says how many bytes follow, in frames "
		     "of any size up to 64 KiB: copy frames until size bytes");
	c = fake_start(k, &f, get_script);
	kata_expect_int(k, "ftp_get's result for data.bin",
			KATA_SYM(k, ftp_get)(c, "data.bin", out, &size),
			FTP_OK);
	kata_expect_int(k, "the size ftp_get stored", (long long)size,
			(long long)f.size);
	KATA_REQUIRE(k, file_digest(k, "got.bin") == f.digest, "the bytes "
		     "ftp_get wrote to out_fd differ from the ones served");
	kata_expect_int(k, "ftp_get's result for a missing file",
			KATA_SYM(k, ftp_get)(c, "nope.txt", out, &size),
			FTP_NOT_FOUND);
	fake_join(k, &f);
}

static void put_script(struct fake *f)
{
	char want[64];
	struct digest d;
	ssize_t n;

	snprintf(want, sizeof(want), "PUT up.bin %llu",
		 (unsigned long long)f->size);
	want_request(f, want);
	sendf(f->k, f->fd, "OK");
	digest_init(&d);
	for (uint64_t left = f->size; left > 0; left -= (uint64_t)n) {
		n = get_frame(f->k, f->fd, frame, FTP_MAX_FRAME);
		if (n <= 0 || (uint64_t)n > left)
			kata_fail(f->k, "a data frame from ftp_put: expected "
				  "1..%u bytes (and %llu in all), got %s",
				  FTP_MAX_FRAME, (unsigned long long)f->size,
				  n < 0 ? no_reply(n) : "a wrong size");
		digest_update(&d, frame, (size_t)n);
	}
	f->digest = d.h;
	sendf(f->k, f->fd, "OK");
	want_request(f, "PUT refused.bin 1000");
	sendf(f->k, f->fd, "TOO_BIG");
	n = get_frame(f->k, f->fd, frame, FTP_MAX_FRAME);
	if (n < 0 || strcmp(frame, "DELETE x"))
		kata_fail(f->k, "after a PUT refused with TOO_BIG, the client's"
			  " next request: expected \"DELETE x\", got %s", n < 0
			  ? no_reply(n) : show(frame, (size_t)n));
	sendf(f->k, f->fd, "NOT_FOUND");
}

static void t_client_put(struct kata_ctx *k)
{
	struct fake f = { .size = (uint64_t)kata_param(k, "client_bytes",
						       2 << 20, 1 << 18) };
	uint64_t h = random_file(k, "up.bin", f.size, 8);
	int c, in = open("up.bin", O_RDONLY | O_CLOEXEC);

	kata_concept(k, "PUT waits for the server's OK, then sends the bytes "
		     "in frames of at most 64 KiB, then reads the final "
		     "status");
	random_file(k, "small.bin", 1000, 9);
	c = fake_start(k, &f, put_script);
	kata_expect_int(k, "ftp_put's result for up.bin",
			KATA_SYM(k, ftp_put)(c, "up.bin", in, f.size), FTP_OK);
	close(in);
	in = open("small.bin", O_RDONLY | O_CLOEXEC);
	kata_expect_int(k, "ftp_put's result when the server says TOO_BIG",
			KATA_SYM(k, ftp_put)(c, "refused.bin", in, 1000),
			FTP_TOO_BIG);
	kata_expect_int(k, "ftp_delete's result for x",
			KATA_SYM(k, ftp_delete)(c, "x"), FTP_NOT_FOUND);
	fake_join(k, &f);
	KATA_REQUIRE(k, f.digest == h, "the bytes ftp_put sent differ from "
		     "the file it read");
}

static const char *const tokens[] = FTP_STATUS_TOKENS;

static void status_script(struct fake *f)
{
	char b[32];

	for (int i = 0; i < FTP_NSTATUS; i++) {
		snprintf(b, sizeof(b), "DELETE f%d", i);
		want_request(f, b);
		sendf(f->k, f->fd, "%s", tokens[i]);
	}
	want_request(f, "DELETE g");
	sendf(f->k, f->fd, "WHAT?");
	want_request(f, "GET h");
	sendf(f->k, f->fd, "OK twelve");
	want_request(f, "DELETE last");
	close(f->fd);
}

static void t_client_status(struct kata_ctx *k)
{
	int (*del)(int, const char *) = KATA_SYM(k, ftp_delete);
	struct fake f;
	uint64_t size;
	char what[64];
	int c, r;

	kata_concept(k, "every reply starts with a status token from the "
		     "header; anything else is a protocol error (-EPROTO)");
	c = fake_start(k, &f, status_script);
	for (int i = 0; i < FTP_NSTATUS; i++) {
		snprintf(what, sizeof(what), "ftp_delete after reply \"%s\"",
			 tokens[i]);
		snprintf(what + 40, sizeof(what) - 40, "f%d", i);
		kata_expect_int(k, what, del(c, what + 40), i);
	}
	kata_expect_int(k, "ftp_delete after reply \"WHAT?\"", del(c, "g"),
			-EPROTO);
	kata_expect_int(k, "ftp_get after reply \"OK twelve\"",
			KATA_SYM(k, ftp_get)(c, "h", -1, &size), -EPROTO);
	r = del(c, "last");
	KATA_REQUIRE(k, r < 0, "ftp_delete when the server closes without a "
		     "reply: expected a negative errno, got %s",
		     kata_strres(r));
	fake_join(k, &f);
}

static void t_client_server(struct kata_ctx *k)
{
	uint64_t n = 300000, size = 0, h = random_file(k, "in.bin", n, 12);
	int fd, in = open("in.bin", O_RDONLY | O_CLOEXEC);
	int out = open("out.bin", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char got[LIST_CAP] = "";
	struct srv s;

	kata_concept(k, "your client against your server, end to end");
	srv_start(k, &s);
	fd = dial(k, &s);
	kata_expect_int(k, "ftp_put", KATA_SYM(k, ftp_put)(fd, "in.bin", in,
			n), FTP_OK);
	kata_expect_int(k, "ftp_list", KATA_SYM(k, ftp_list)(fd, collect,
			got), FTP_OK);
	KATA_REQUIRE(k, strstr(got, "300000 in.bin"), "ftp_list after the "
		     "upload: expected an entry \"300000 in.bin\", got [%s]",
		     got);
	kata_expect_int(k, "ftp_get", KATA_SYM(k, ftp_get)(fd, "in.bin", out,
			&size), FTP_OK);
	KATA_REQUIRE(k, file_digest(k, "out.bin") == h, "ftp_get of in.bin: "
		     "the bytes differ from the ones uploaded");
	kata_expect_int(k, "ftp_delete", KATA_SYM(k, ftp_delete)(fd,
			"in.bin"), FTP_OK);
	kata_expect_int(k, "ftp_get after ftp_delete", KATA_SYM(k, ftp_get)(
			fd, "in.bin", out, &size), FTP_NOT_FOUND);
}

static const struct kata_test tests[] = {
	{ "client_list", "ftp_list reads every entry however it arrives",
	  t_client_list, 0, 1, NULL },
	{ "client_get", "ftp_get copies exactly <size> bytes from many frames",
	  t_client_get, 0, 1, NULL },
	{ "client_put", "ftp_put waits for OK and sends frames of <= 64 KiB",
	  t_client_put, 0, 1, NULL },
	{ "client_status", "the client returns each status; bad replies are "
	  "-EPROTO", t_client_status, 0, 1, NULL },
	{ "list", "LIST names every file in the root with its size",
	  t_list, 0, 1, NULL },
	{ "get", "GET sends a file's exact bytes; a missing one is NOT_FOUND",
	  t_get, 0, 1, NULL },
	{ "put", "PUT stores exactly the bytes sent, new or replacing a file",
	  t_put, 0, 1, NULL },
	{ "delete", "DELETE removes a file; a second DELETE is NOT_FOUND",
	  t_delete, 0, 1, NULL },
	{ "traversal", "GET refuses ../, /, NUL, '/', empty and long names",
	  t_traversal, 0, 2, "get" },
	{ "traversal_write", "PUT and DELETE refuse them too, and write "
	  "nothing outside the root", t_traversal_write, 0, 2, "put" },
	{ "symlinks", "links and directories in the root are never followed",
	  t_symlinks, 0, 1, "get" },
	{ "oversize", "oversize frames and files are refused with TOO_BIG",
	  t_oversize, 0, 1, "put" },
	{ "atomic_put", "a half-uploaded file is invisible to LIST and GET",
	  t_atomic, 0, 2, "put" },
	{ "abort_put", "a client vanishing mid-upload leaves nothing behind",
	  t_abort, 0, 2, "put" },
	{ "stop", "stop_fd stops the server promptly, leaving no thread or "
	  "descriptor", t_stop, 0, 2, "list" },
	{ "large_file", "a large file streams through without being held in "
	  "memory", t_large, 60000, 1, "put" },
	{ "split_frames", "frames arriving a byte at a time, or two at once",
	  t_split, 0, 1, "get" },
	{ "malformed", "malformed requests get BAD_REQUEST, not a crash",
	  t_malformed, 0, 1, "list" },
	{ "abort_get", "a client vanishing mid-download does not kill the "
	  "server (SIGPIPE)", t_abort_get, 0, 1, "get" },
	{ "concurrent", "8 clients upload and download at once beside an "
	  "idle one", t_concurrent, 30000, 2, "put" },
	{ "client_server", "your client and your server together",
	  t_client_server, 0, 1, "put" },
	{ 0 }
};

KATA_GRADER(.kata = "ftp_transfer",
	    .title = "A file server: LIST, GET, PUT, DELETE over frames",
	    .topic = "path checks, atomic uploads, many clients at once",
	    .order = 30,
	    .tests = tests);
