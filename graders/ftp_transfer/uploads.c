/*
 * uploads.c (ftp_transfer grader): the tests of PUT on the learner's
 * server.
 *
 * Entry points: upload_test_put, upload_test_frames, upload_test_oversize,
 * upload_test_atomic and upload_test_abort, listed in the table in
 * graders/ftp_transfer.c.  They upload through the raw client of wire.c:
 * whole files, names with a space, data frames that break the rules, files
 * over the limits, uploads watched half-way and uploads abandoned half-way,
 * and compare the root with what must be in it (files.c).
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

void upload_test_put(struct kata_ctx *k)
{
	uint64_t size = (uint64_t)kata_param(k, "put_bytes", 1 << 20, 200000);
	char path[PATH_MAX], want[LIST_CAP];
	struct srv s;
	uint64_t h;
	int fd;

	kata_concept(k, "PUT <name> <size>: the server says OK, the client "
		     "sends <size> bytes in frames, the server says OK again");
	fd = srv_open(k, &s);
	h = wire_put(k, fd, "new.bin", size, 1);
	snprintf(path, sizeof(path), "%s/new.bin", s.root);
	KATA_REQUIRE(k, fs_digest(k, path) == h, "PUT new.bin: the file "
		     "in the root differs from the bytes sent");
	KATA_REQUIRE(k, wire_get(k, fd, "new.bin", size) == h, "GET new.bin "
		     "after PUT: the bytes differ from the ones uploaded");
	wire_put(k, fd, "zero.bin", 0, 2);
	wire_put(k, fd, "two words.txt", 10, 4);	/* up to the last space */
	h = wire_put(k, fd, "bytes.bin", 1000, 3);
	snprintf(path, sizeof(path), "%s/bytes.bin", s.root);
	KATA_REQUIRE(k, fs_digest(k, path) == h, "PUT over an existing "
		     "bytes.bin: expected the new content in the file");
	fs_dir_list(k, s.root, want);
	wire_expect_list(k, fd, "LIST after four PUTs", want);
}

void upload_test_frames(struct kata_ctx *k)
{
	char want[LIST_CAP];
	struct srv s;
	int a, b;

	kata_concept(k, "each data frame of a PUT holds 1 byte up to the bytes "
		     "still due: an empty frame, or one running past <size>, "
		     "is BAD_REQUEST, and the upload is dropped");
	srv_start(k, &s);
	fs_dir_list(k, s.root, want);
	a = srv_dial(k, &s);
	wire_put_start(k, a, "long.bin", 10);
	wire_put_frame(k, a, "0123456", 7);
	wire_put_frame(k, a, "789abcdef", 9);
	wire_expect(k, a, "PUT long.bin 10: a data frame of 9 bytes when 3 "
		    "were due", "BAD_REQUEST");
	wire_expect_closed(k, a, "after BAD_REQUEST for a frame past <size>");
	b = srv_dial(k, &s);
	wire_put_start(k, b, "short.bin", 10);
	wire_put_frame(k, b, "01234", 5);
	wire_put_frame(k, b, "", 0);
	wire_expect(k, b, "PUT short.bin 10: an empty data frame after 5 "
		    "bytes", "BAD_REQUEST");
	wire_expect_closed(k, b, "after BAD_REQUEST for an empty data frame");
	fs_wait_dir(k, s.root, want, "the root after the refused uploads");
}

void upload_test_oversize(struct kata_ctx *k)
{
	char want[LIST_CAP];
	struct srv s;
	int a, b;

	kata_concept(k, "limits protect the server: a frame over 64 KiB or "
		     "a file over FTP_MAX_FILE is TOO_BIG, decided up front");
	srv_start(k, &s);
	a = srv_dial(k, &s);
	wire_put(k, a, "small.bin", 5, 1);
	fs_dir_list(k, s.root, want);
	net_write_full(a, "\0\x10\0\x01", 4);
	wire_expect(k, a, "a frame header announcing 1048577 bytes",
		    "TOO_BIG");
	wire_expect_closed(k, a, "after TOO_BIG for an oversize frame");
	b = srv_dial(k, &s);
	wire_sendf(k, b, "PUT huge.bin %llu", FTP_MAX_FILE + 1);
	wire_expect(k, b, "PUT huge.bin <FTP_MAX_FILE + 1>", "TOO_BIG");
	wire_put_start(k, b, "big.bin", 100000);
	net_write_full(b, "\0\x01\x11\x70", 4);
	wire_expect(k, b, "a data frame header announcing 70000 bytes",
		    "TOO_BIG");
	wire_expect_closed(k, b, "after TOO_BIG for an oversize data frame");
	fs_wait_dir(k, s.root, want, "the root after refused uploads");
}

/* While new.bin and bytes.bin are half uploaded: fd sees neither upload. */
static void expect_old_view(struct kata_ctx *k, int fd, const char *fix,
			    uint64_t old)
{
	wire_expect_list(k, fd, "LIST while new.bin and bytes.bin are half "
			 "uploaded", fix);
	wire_sendf(k, fd, "GET new.bin");
	wire_expect(k, fd, "GET new.bin while it is half uploaded",
		    "NOT_FOUND");
	KATA_REQUIRE(k, wire_get(k, fd, "bytes.bin", 256) == old, "GET "
		     "bytes.bin while a new version is half uploaded: "
		     "expected the old bytes");
}

void upload_test_atomic(struct kata_ctx *k)
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
	old = fs_digest(k, "root/bytes.bin");
	rng_seed(&r, 9);
	digest_init(&da);
	digest_init(&dc);
	a = srv_dial(k, &s);
	c = srv_dial(k, &s);
	b = srv_dial(k, &s);
	wire_put_part(k, a, "new.bin", n, &r, &da, n / 2);
	wire_put_part(k, c, "bytes.bin", n, &r, &dc, n / 2);
	expect_old_view(k, b, s.fix, old);
	wire_put_data(k, a, &r, &da, n - n / 2);
	wire_expect(k, a, "the reply after the last byte of new.bin", "OK");
	wire_put_data(k, c, &r, &dc, n - n / 2);
	wire_expect(k, c, "the reply after the last byte of bytes.bin", "OK");
	KATA_REQUIRE(k, wire_get(k, b, "new.bin", n) == da.h, "GET new.bin "
		     "after its upload: the bytes differ");
	KATA_REQUIRE(k, wire_get(k, b, "bytes.bin", n) == dc.h, "GET "
		     "bytes.bin after its upload: the bytes differ");
}

void upload_test_abort(struct kata_ctx *k)
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
	old = fs_digest(k, "root/bytes.bin");
	rng_seed(&r, 11);
	digest_init(&d);
	a = srv_dial(k, &s);
	c = srv_dial(k, &s);
	wire_put_part(k, a, "gone.bin", n, &r, &d, n / 2);
	net_write_full(a, "\0\0\x03\xe8 half a frame", 16);
	wire_put_part(k, c, "bytes.bin", n, &r, &d, n / 3);
	close(a);
	close(c);
	fs_wait_dir(k, s.root, s.fix, "the root after two clients "
		    "disconnected mid-upload");
	KATA_REQUIRE(k, fs_digest(k, "root/bytes.bin") == old, "bytes.bin "
		     "after an aborted upload of a new version: expected the "
		     "old bytes, got others");
	a = srv_dial(k, &s);
	wire_expect_list(k, a, "LIST after the aborted uploads", s.fix);
}
