/*
 * client.c (ftp_transfer grader): the learner's client functions
 * (ftp_list, ftp_get, ftp_put, ftp_delete) against a scripted server.
 *
 * Entry points: the four tests of the client (client_test_list,
 * client_test_get, client_test_put, client_test_status), listed in the
 * table in graders/ftp_transfer.c, and client_collect, the ftp_list
 * callback.  The scripted server (fake_*) runs a script in a thread on one
 * end of a loopback TCP pair; each script checks the client's requests
 * exactly and sends its replies in pieces of random sizes.
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

static const char *const tokens[] = FTP_STATUS_TOKENS;

/* The scripted server: a thread running script on its end of a pair. */
struct fake {
	struct kata_ctx *k;
	int fd;			/* the scripted server's end */
	pthread_t t;
	void (*script)(struct fake *f);
	uint64_t size, digest;
};

/* ---- the scripted server's thread --------------------------------------- */

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

/* Waits for the script to end; fails the test if it does not. */
static void fake_join(struct kata_ctx *k, struct fake *f)
{
	if (thread_join_timeout(f->t, MS(k, WAIT_MS), NULL) < 0)
		kata_fail(k, "the client stopped before the exchange ended");
}

/* The scripted server's side: the next request must be want. */
static void want_request(struct fake *f, const char *want)
{
	static __thread char b[FTP_MAX_FRAME + 1];
	ssize_t n = wire_get_frame(f->k, f->fd, b, FTP_MAX_FRAME);

	if (n < 0 || strcmp(b, want) || (size_t)n != strlen(want))
		kata_fail(f->k, "the client's request: expected \"%s\", got "
			  "%s", want, n < 0 ? wire_no_reply(n) :
			  wire_show(b, (size_t)n));
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

/* ---- LIST --------------------------------------------------------------- */

static const char *const list_entries[] = { "0 empty.txt",
	"1073741824 big one.iso", "73 好好.txt", "256 bytes.bin", NULL };

/* LIST: four entries, one with a space in its name. */
static void fake_list_script(struct fake *f)
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

void client_collect(void *arg, const char *name, uint64_t size)
{
	char *out = arg;
	size_t j = strlen(out);

	snprintf(out + j, LIST_CAP - j, "%s%llu %s", j ? "|" : "",
		 (unsigned long long)size, name);
}

/* What client_collect gathers from fake_list_script, into want. */
static void fake_list_want(char *want)
{
	for (int i = 0; list_entries[i]; i++)
		client_collect(want, strchr(list_entries[i], ' ') + 1,
			       strtoull(list_entries[i], NULL, 10));
}

/* ---- GET, PUT, DELETE --------------------------------------------------- */

/* GET data.bin: f->size random bytes in frames of random sizes. */
static void fake_get_script(struct fake *f)
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
	wire_sendf(f->k, f->fd, "NOT_FOUND");
}

/* Receives the f->size bytes of a PUT: returns their digest. */
static uint64_t put_body(struct fake *f)
{
	struct digest d;
	ssize_t n;

	digest_init(&d);
	for (uint64_t left = f->size; left > 0; left -= (uint64_t)n) {
		n = wire_get_frame(f->k, f->fd, wire_buf, FTP_MAX_FRAME);
		if (n <= 0 || (uint64_t)n > left)
			kata_fail(f->k, "a data frame from ftp_put: expected "
				  "1..%u bytes (and %llu in all), got %s",
				  FTP_MAX_FRAME, (unsigned long long)f->size,
				  n < 0 ? wire_no_reply(n) : "a wrong size");
		digest_update(&d, wire_buf, (size_t)n);
	}
	return d.h;
}

/* PUT up.bin of f->size bytes, a PUT refused with TOO_BIG, a DELETE. */
static void fake_put_script(struct fake *f)
{
	char want[64];
	ssize_t n;

	snprintf(want, sizeof(want), "PUT up.bin %llu",
		 (unsigned long long)f->size);
	want_request(f, want);
	wire_sendf(f->k, f->fd, "OK");
	f->digest = put_body(f);
	wire_sendf(f->k, f->fd, "OK");
	want_request(f, "PUT refused.bin 1000");
	wire_sendf(f->k, f->fd, "TOO_BIG");
	n = wire_get_frame(f->k, f->fd, wire_buf, FTP_MAX_FRAME);
	if (n < 0 || strcmp(wire_buf, "DELETE x"))
		kata_fail(f->k, "after a PUT refused with TOO_BIG, the client's"
			  " next request: expected \"DELETE x\", got %s", n < 0
			  ? wire_no_reply(n) : wire_show(wire_buf, (size_t)n));
	wire_sendf(f->k, f->fd, "NOT_FOUND");
}

/* Every status token in turn, then bad replies, then a close. */
static void fake_status_script(struct fake *f)
{
	char b[32];

	for (int i = 0; i < FTP_NSTATUS; i++) {
		snprintf(b, sizeof(b), "DELETE f%d", i);
		want_request(f, b);
		wire_sendf(f->k, f->fd, "%s", tokens[i]);
	}
	want_request(f, "DELETE g");
	wire_sendf(f->k, f->fd, "WHAT?");
	want_request(f, "GET h");
	wire_sendf(f->k, f->fd, "OK twelve");
	want_request(f, "DELETE last");
	close(f->fd);
}

/* ---- the tests ---------------------------------------------------------- */

void client_test_list(struct kata_ctx *k)
{
	char got[LIST_CAP] = "", want[LIST_CAP] = "";
	struct fake f;
	int c, r;

	kata_concept(k, "the reply \"OK <count>\" says how many entry frames "
		     "follow; read exactly that many, however they arrive");
	c = fake_start(k, &f, fake_list_script);
	r = KATA_SYM(k, ftp_list)(c, client_collect, got);
	kata_expect_int(k, "ftp_list's result", r, FTP_OK);
	fake_join(k, &f);
	fake_list_want(want);
	KATA_REQUIRE(k, !strcmp(got, want), "entries seen by ftp_list's "
		     "callback: expected [%s], got [%s]", want, got);
}

void client_test_get(struct kata_ctx *k)
{
	struct fake f = { .size = (uint64_t)kata_param(k, "client_bytes",
						       2 << 20, 1 << 18) };
	int c, out = open("got.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	uint64_t size = 0;

	kata_concept(k, "\"OK <size>\" says how many bytes follow, in frames "
		     "of any size up to 64 KiB: copy frames until size bytes");
	c = fake_start(k, &f, fake_get_script);
	kata_expect_int(k, "ftp_get's result for data.bin",
			KATA_SYM(k, ftp_get)(c, "data.bin", out, &size),
			FTP_OK);
	kata_expect_int(k, "the size ftp_get stored", (long long)size,
			(long long)f.size);
	KATA_REQUIRE(k, fs_digest(k, "got.bin") == f.digest, "the bytes "
		     "ftp_get wrote to out_fd differ from the ones served");
	kata_expect_int(k, "ftp_get's result for a missing file",
			KATA_SYM(k, ftp_get)(c, "nope.txt", out, &size),
			FTP_NOT_FOUND);
	fake_join(k, &f);
}

void client_test_put(struct kata_ctx *k)
{
	struct fake f = { .size = (uint64_t)kata_param(k, "client_bytes",
						       2 << 20, 1 << 18) };
	uint64_t h = fs_random(k, "up.bin", f.size, 8);
	int c, in = open("up.bin", O_RDONLY | O_CLOEXEC);

	kata_concept(k, "PUT waits for the server's OK, then sends the bytes "
		     "in frames of at most 64 KiB, then reads the final "
		     "status");
	fs_random(k, "small.bin", 1000, 9);
	c = fake_start(k, &f, fake_put_script);
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

void client_test_status(struct kata_ctx *k)
{
	int (*del)(int, const char *) = KATA_SYM(k, ftp_delete);
	struct fake f;
	uint64_t size;
	char what[64];
	int c, r;

	kata_concept(k, "every reply starts with a status token from the "
		     "header; anything else is a protocol error (-EPROTO)");
	c = fake_start(k, &f, fake_status_script);
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
