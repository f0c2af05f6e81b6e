/*
 * ftp_transfer.c (grader): drives the learner's ftp_serve with raw
 * grader-side clients over real loopback TCP, and the learner's client
 * functions against a scripted server thread that plays the protocol as
 * the header fixes it.
 *
 * Entry point: the kata_grader descriptor at the end (the table of tests).
 * The helpers live in graders/ftp_transfer/ (see ftp_transfer_grader.h):
 * the raw client's protocol (wire.c), files and listings (files.c), the
 * server under test (server.c), the client tests (client.c), the upload
 * tests (uploads.c), and `runner play ftp_transfer` (play.c).
 */
#define _GNU_SOURCE
#include "ftp_transfer/ftp_transfer_grader.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

/* ---- server tests ------------------------------------------------------- */

static void t_list(struct kata_ctx *k)
{
	struct srv s;
	int fd;

	kata_concept(k, "LIST answers \"OK <count>\" and then one frame "
		     "\"<size> <name>\" per regular file in the root");
	fd = srv_open(k, &s);
	wire_expect_list(k, fd, "LIST of the fixtures", s.fix);
	wire_expect_list(k, fd, "a second LIST on the same connection", s.fix);
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
	fd = srv_open(k, &s);
	for (int i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", s.root, names[i]);
		stat(path, &st);
		if (wire_get(k, fd, names[i], (uint64_t)st.st_size) !=
		    fs_digest(k, path))
			kata_fail(k, "GET %s: the bytes differ from the file",
				  names[i]);
	}
	wire_sendf(k, fd, "GET missing.txt");
	wire_expect(k, fd, "GET missing.txt", "NOT_FOUND");
}

static void t_delete(struct kata_ctx *k)
{
	char want[LIST_CAP];
	struct srv s;
	int fd;

	kata_concept(k, "DELETE <name> removes a file from the root");
	fd = srv_open(k, &s);
	wire_sendf(k, fd, "DELETE one.bin");
	wire_expect(k, fd, "DELETE one.bin", "OK");
	wire_sendf(k, fd, "DELETE one.bin");
	wire_expect(k, fd, "DELETE one.bin a second time", "NOT_FOUND");
	fs_dir_list(k, s.root, want);
	KATA_REQUIRE(k, !strstr(want, "one.bin"), "after DELETE one.bin: "
		     "expected it gone from the root, got [%s]", want);
	wire_expect_list(k, fd, "LIST after DELETE", want);
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
	fd = srv_open(k, &s);
	wire_dribble(k, fd, b, 17);
	snprintf(path, sizeof(path), "%s/bytes.bin", s.root);
	KATA_REQUIRE(k, wire_recv_file(k, fd, "GET bytes.bin sent a byte at "
		     "a time", 256) == fs_digest(k, path), "GET bytes.bin "
		     "sent a byte at a time: the bytes differ from the file");
	wire_dribble(k, fd, "\0\0\0\x0bPUT s.bin 3", 15);
	wire_expect(k, fd, "PUT s.bin 3 sent a byte at a time", "OK");
	wire_dribble(k, fd, "\0\0\0\x03xyz", 7);
	wire_expect(k, fd, "a 3-byte data frame sent a byte at a time", "OK");
	if (net_write_full(fd, two, 23) < 0)
		kata_fail(k, "sending two requests in one write failed");
	wire_list(k, fd, got);
	wire_expect(k, fd, "GET one.bin sent in the same write as LIST",
		    "OK 1");
	wire_expect(k, fd, "the data of one.bin", "1");
}

static void t_traversal(struct kata_ctx *k)
{
	char big[FTP_MAX_NAME];
	struct srv s;
	int fd;

	kata_concept(k, "a name from the network is hostile until checked: "
		     "\"../x\", \"/x\", \"a\\0b\" must never reach open()");
	fd = srv_open(k, &s);
	wire_get(k, fd, "one.bin", 1);
	memset(big, 'a', sizeof(big));
	wire_put_cmd(k, fd, "GET ", big, sizeof(big), "");
	wire_expect(k, fd, "GET <a valid name of 255 bytes>", "NOT_FOUND");
	wire_refuse_all(k, &s, fd, "GET ", "");
}

static void t_traversal_write(struct kata_ctx *k)
{
	char tmp0[LIST_CAP], root0[LIST_CAP];
	struct srv s;
	int fd;

	kata_concept(k, "a name from the network is hostile until checked: "
		     "PUT and DELETE must not write outside the root either");
	fd = srv_open(k, &s);
	wire_put(k, fd, "ok.bin", 6, 1);
	fs_dir_list(k, kata_tmpdir(k), tmp0);
	fs_dir_list(k, s.root, root0);
	wire_refuse_all(k, &s, fd, "PUT ", " 6");
	wire_refuse_all(k, &s, fd, "DELETE ", "");
	fs_wait_dir(k, kata_tmpdir(k), tmp0, "the root's parent after "
		    "refused PUTs and DELETEs");
	fs_wait_dir(k, s.root, root0, "the root after refused PUTs and "
		    "DELETEs");
	fs_write(k, "expect", CANARY, strlen(CANARY));
	KATA_REQUIRE(k, fs_digest(k, s.canary) == fs_digest(k, "expect"),
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
	srv_plant_links(&s);
	fd = srv_dial(k, &s);
	wire_get(k, fd, "one.bin", 1);
	wire_expect_list(k, fd, "LIST (links and directories are not "
			 "listed)", s.fix);
	for (int i = 0; names[i]; i++) {
		wire_sendf(k, fd, "GET %s", names[i]);
		snprintf(p, sizeof(p), "GET %s (not a regular file)", names[i]);
		wire_expect(k, fd, p, "BAD_NAME");
	}
	wire_sendf(k, fd, "PUT link 6");
	wire_expect(k, fd, "PUT link 6 (link is a symbolic link)",
		    "BAD_NAME");
	wire_sendf(k, fd, "DELETE link");
	wire_expect(k, fd, "DELETE link (a symbolic link)", "BAD_NAME");
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
	fd = srv_open(k, &s);
	wire_expect_list(k, fd, "LIST", s.fix);
	for (int i = 0; junk[i]; i++) {
		wire_put_frame(k, fd, junk[i], strlen(junk[i]));
		snprintf(what, sizeof(what), "request %s",
			 wire_show(junk[i], strlen(junk[i])));
		wire_expect(k, fd, what, "BAD_REQUEST");
	}
	rng_seed(&r, 5);
	rng_fill(&r, b, sizeof(b));
	b[0] = (char)0xff;
	wire_put_frame(k, fd, b, sizeof(b));
	wire_expect(k, fd, "a request of 100 random bytes", "BAD_REQUEST");
	wire_expect_list(k, fd, "LIST after the malformed requests", s.fix);
}

/*
 * A client asks for big.bin, half-closes, reads the start and vanishes
 * while the server is blocked sending: the server's next send fails with
 * EPIPE (a reset after the client's FIN), which raises SIGPIPE.
 */
static void vanish_mid_get(struct kata_ctx *k, struct srv *s)
{
	int a = srv_dial(k, s);
	pid_t w;

	wire_sendf(k, a, "GET big.bin");
	shutdown(a, SHUT_WR);
	wire_expect(k, a, "GET big.bin", "OK 16777216");
	wire_get_frame(k, a, wire_buf, FTP_MAX_FRAME);
	w = srv_blocked_writer(k, 1000);
	close(a);	/* unread data: the kernel answers with RST */
	if (w)
		srv_wait_left(k, w, 2000);
	else
		timing_sleep_ms(50);
	kata_ok(k, "a client vanished while %s", w ? "a thread was blocked "
		"sending to it" : "no thread was seen blocked sending");
}

static void t_abort_get(struct kata_ctx *k)
{
	struct srv s;
	int a;

	kata_concept(k, "a client may vanish mid-download: sending to it then "
		     "raises SIGPIPE, which kills the whole server unless "
		     "every send uses MSG_NOSIGNAL");
	srv_start(k, &s);
	fs_random(k, "root/big.bin", 16 << 20, 3);
	for (int i = 0; i < 3; i++)
		vanish_mid_get(k, &s);
	a = srv_dial(k, &s);
	wire_get(k, a, "one.bin", 1);
}

/*
 * With idle silent in the middle of a PUT, a LIST on a second connection
 * must come back within a second (scaled) of the time a LIST took on idle.
 */
static void served_beside(struct kata_ctx *k, struct srv *s, int idle)
{
	uint64_t t0 = timing_now_ns();
	int limit, fd;
	double ref;

	wire_expect_list(k, idle, "LIST", s->fix);
	ref = timing_ms_since(t0);
	wire_put_start(k, idle, "idle.bin", 100);	/* and then silence */
	fd = srv_dial(k, s);
	wire_sendf(k, fd, "LIST");
	limit = (int)ref + MS(k, 1000);
	if (net_wait_readable(fd, limit) != 1)
		kata_fail(k, "LIST on a second connection while the first "
			  "sat silent in a PUT: expected a reply within %d ms "
			  "(a LIST alone took %.1f ms), got none: the server "
			  "serves one client at a time", limit, ref);
	wire_get_frame(k, fd, wire_buf, FTP_MAX_FRAME);
	close(fd);
}

static void t_concurrent(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "client_bytes", 2 << 20, 1 << 18);
	struct srv s;

	kata_concept(k, "serve each client in its own thread (or with poll): "
		     "one slow client must not stall the others");
	srv_start(k, &s);
	served_beside(k, &s, srv_dial(k, &s));
	srv_clients(k, &s, n);
	kata_ok(k, "8 clients uploaded and downloaded while one sat idle");
}

static void t_large(struct kata_ctx *k)
{
	uint64_t n = (uint64_t)kata_param(k, "large_mib", 256, 16) << 20;
	double put_ms, get_ms;
	struct stat st;
	struct srv s;
	uint64_t h, t0;
	int fd;

	kata_concept(k, "stream a large file through a small buffer: read a "
		     "frame, write it, repeat; never hold the whole file");
	fd = srv_open(k, &s);
	srv_rss_growth(true);
	t0 = timing_now_ns();
	h = wire_put(k, fd, "large.bin", n, 21);
	put_ms = timing_ms_since(t0);
	KATA_REQUIRE(k, stat("root/large.bin", &st) == 0 &&
		     (uint64_t)st.st_size == n, "PUT large.bin: expected a "
		     "file of %llu bytes in the root", (unsigned long long)n);
	t0 = timing_now_ns();
	KATA_REQUIRE(k, wire_get(k, fd, "large.bin", n) == h, "GET large.bin: "
		     "the bytes differ from the ones uploaded");
	get_ms = timing_ms_since(t0);
	srv_large_verdict(k, n, put_ms, get_ms);
}

static void t_stop(struct kata_ctx *k)
{
	int threads = thread_count(), fds = net_count_fds(), a, r;
	char want[LIST_CAP];
	struct srv s;
	uint64_t t0;

	kata_concept(k, "a server stops when told: stop_fd becomes readable, "
		     "every connection ends, every thread is joined");
	srv_start(k, &s);	/* root_fd, the listener and the stop pipe */
	fs_random(k, "root/big.bin", 8 << 20, 3);
	fs_dir_list(k, s.root, want);
	fds += 4;
	a = srv_busy(k, &s, want);
	t0 = timing_now_ns();
	wire_expect_list(k, a, "LIST", want);	/* the yardstick */
	srv_stop(k, &s, timing_ms_since(t0));
	r = srv_wait_threads(k, threads);
	KATA_REQUIRE(k, r == threads, "threads left after ftp_serve returned: "
		     "expected 0, got %d", r - threads);
	wire_expect_closed(k, a, "the idle client after the stop");
	r = net_count_fds();
	KATA_REQUIRE(k, r == fds + 3, "descriptors left open after ftp_serve "
		     "returned: expected 0, got %d", r - fds - 3);
	fs_wait_dir(k, s.root, want, "the root after a stop mid-upload");
}

static void t_client_server(struct kata_ctx *k)
{
	uint64_t n = 300000, size = 0, h = fs_random(k, "in.bin", n, 12);
	int fd, in = open("in.bin", O_RDONLY | O_CLOEXEC);
	int out = open("out.bin", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char got[LIST_CAP] = "";
	struct srv s;

	kata_concept(k, "your client against your server, end to end");
	fd = srv_open(k, &s);
	kata_expect_int(k, "ftp_put", KATA_SYM(k, ftp_put)(fd, "in.bin", in,
			n), FTP_OK);
	kata_expect_int(k, "ftp_list", KATA_SYM(k, ftp_list)(fd, client_collect,
			got), FTP_OK);
	KATA_REQUIRE(k, strstr(got, "300000 in.bin"), "ftp_list after the "
		     "upload: expected an entry \"300000 in.bin\", got [%s]",
		     got);
	kata_expect_int(k, "ftp_get", KATA_SYM(k, ftp_get)(fd, "in.bin", out,
			&size), FTP_OK);
	KATA_REQUIRE(k, fs_digest(k, "out.bin") == h, "ftp_get of in.bin: "
		     "the bytes differ from the ones uploaded");
	kata_expect_int(k, "ftp_delete", KATA_SYM(k, ftp_delete)(fd,
			"in.bin"), FTP_OK);
	kata_expect_int(k, "ftp_get after ftp_delete", KATA_SYM(k, ftp_get)(
			fd, "in.bin", out, &size), FTP_NOT_FOUND);
}

static const struct kata_test tests[] = {
	{ "client_list", "ftp_list reads every entry however it arrives",
	  client_test_list, 0, 1, NULL },
	{ "client_get", "ftp_get copies exactly <size> bytes from many frames",
	  client_test_get, 0, 1, NULL },
	{ "client_put", "ftp_put waits for OK and sends frames of <= 64 KiB",
	  client_test_put, 0, 1, NULL },
	{ "client_status", "the client returns each status; bad replies are "
	  "-EPROTO", client_test_status, 0, 1, NULL },
	{ "list", "LIST names every file in the root with its size",
	  t_list, 0, 1, NULL },
	{ "get", "GET sends a file's exact bytes; a missing one is NOT_FOUND",
	  t_get, 0, 1, NULL },
	{ "put", "PUT stores exactly the bytes sent, new or replacing a file",
	  upload_test_put, 0, 1, NULL },
	{ "delete", "DELETE removes a file; a second DELETE is NOT_FOUND",
	  t_delete, 0, 1, NULL },
	{ "concurrent", "8 clients upload and download at once beside an "
	  "idle one", t_concurrent, 30000, 2, "put" },
	{ "traversal", "GET refuses ../, /, NUL, '/', empty and long names",
	  t_traversal, 0, 2, "get" },
	{ "traversal_write", "PUT and DELETE refuse them too, and write "
	  "nothing outside the root", t_traversal_write, 0, 2, "put" },
	{ "symlinks", "links and directories in the root are never followed",
	  t_symlinks, 0, 1, "get" },
	{ "oversize", "oversize frames and files are refused with TOO_BIG",
	  upload_test_oversize, 0, 1, "put" },
	{ "put_frames", "an empty data frame or one past <size> is "
	  "BAD_REQUEST; nothing stored", upload_test_frames, 0, 1, "put" },
	{ "atomic_put", "a half-uploaded file is invisible to LIST and GET",
	  upload_test_atomic, 0, 2, "put" },
	{ "abort_put", "a client vanishing mid-upload leaves nothing behind",
	  upload_test_abort, 0, 2, "put" },
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
	{ "client_server", "your client and your server together",
	  t_client_server, 0, 1, "put" },
	{ 0 }
};

KATA_GRADER(.kata = "ftp_transfer",
	    .title = "A file server: LIST, GET, PUT, DELETE over frames",
	    .topic = "path checks, atomic uploads, many clients at once",
	    .order = 30,
	    .tests = tests,
	    .play = play_modes);
