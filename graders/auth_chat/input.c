/*
 * input.c: the auth_chat grader's test of bad input over the wire: every
 * malformed request gets its reason token and the connection goes on,
 * requests at the limits are accepted, and an oversize frame ends the
 * connection with ERR TOO_BIG.
 *
 * Entry point: t_malformed, listed in the table of graders/auth_chat.c.
 */
#define _GNU_SOURCE
#include "auth_chat_grader.h"

#include <string.h>
#include <unistd.h>

#include "net.h"

/* A request and the reply it must get. */
struct bad {
	const char *p;
	size_t n;
	const char *want;
};

#define BAD(s, w) { s, sizeof(s) - 1, "ERR " w }

static const struct bad bads[] = {
	BAD("", "BAD_REQUEST"), BAD("HELLO", "BAD_REQUEST"),
	BAD("REGISTER", "BAD_REQUEST"), BAD("REGISTER alice", "BAD_REQUEST"),
	BAD("register alice pw", "BAD_REQUEST"), BAD("LOGIN", "BAD_REQUEST"),
	BAD("PROOF", "BAD_REQUEST"), BAD("QUIT now", "BAD_REQUEST"),
	BAD("REGISTER  pw", "BAD_NAME"), BAD("REGISTER a\x01z pw", "BAD_NAME"),
	BAD("REGISTER a\0z pw", "BAD_NAME"), BAD("REGISTER a\x7fz pw",
	"BAD_NAME"), BAD("REGISTER \xc3\xa9t\xc3\xa9 pw", "BAD_NAME"),
	BAD("REGISTER 123456789012345678901234567890123 pw", "BAD_NAME"),
	BAD("LOGIN ", "BAD_NAME"), BAD("LOGIN bo\nb", "BAD_NAME"),
	BAD("REGISTER carol ", "BAD_PASSWORD"),
	BAD("REGISTER carol pw\n", "BAD_PASSWORD"),
	BAD("REGISTER carol p\0w", "BAD_PASSWORD"),
	BAD("REGISTER carol 12345678901234567890123456789012345678901234567890"
	    "123456789012345", "BAD_PASSWORD"),
	{ 0 }
};

/* A frame header over AC_MAX_FRAME on a, then half a header on another. */
static void too_big(struct kata_ctx *k, struct srv *s, int a)
{
	static const unsigned char huge[4] = { 0, 0, 0x10, 0x01 };
	int b;

	if (net_write_full(a, huge, 4) != 4)
		kata_fail(k, "the server closed the connection early");
	cli_expect(k, a, "a header announcing AC_MAX_FRAME + 1 bytes",
		   "ERR TOO_BIG");
	cli_expect_closed(k, a, "after ERR TOO_BIG");
	b = cli_dial(k, s);
	if (net_write_full(b, huge, 2) != 2)
		kata_fail(k, "the server closed the connection early");
	close(b);
}

/* The longest name and password, then texts around AC_MAX_TEXT. */
#define NAME32 "n2345678901234567890123456789012"
#define PW64 "p23456789 123456789 123456789 123456789 123456789 123456789 1234"

void t_malformed(struct kata_ctx *k)
{
	char text[AC_MAX_TEXT + 8];
	struct srv s;
	int a, b;

	kata_concept(k, "a malformed request gets ERR and a reason token, and "
		     "the connection goes on; only a frame too long to skip "
		     "ends it (ERR TOO_BIG)");
	srv_start(k, &s);
	a = cli_dial(k, &s);
	cli_ask(k, a, "REGISTER bob pw", "OK");
	for (int i = 0; bads[i].p; i++) {
		cli_send(k, a, bads[i].p, bads[i].n);
		cli_expect(k, a, cli_show(bads[i].p, bads[i].n), bads[i].want);
	}
	cli_ask(k, a, "REGISTER carol pw", "OK");
	cli_ask(k, a, "REGISTER " NAME32 " " PW64, "OK");
	kata_expect_int(k, "rows in users after the bad requests",
			gdb_count(k, s.db, "users"), 3);
	cli_login(k, a, "carol", "pw");
	cli_ask(k, a, "SAY ", "ERR BAD_REQUEST");
	cli_ask(k, a, "SAY a\x01z", "ERR BAD_REQUEST");
	memset(text, 'x', sizeof(text));
	memcpy(text, "SAY ", 4);
	cli_send(k, a, text, 4 + AC_MAX_TEXT + 1);
	cli_expect(k, a, "SAY of AC_MAX_TEXT + 1 bytes", "ERR BAD_REQUEST");
	kata_expect_int(k, "rows in messages after the bad SAYs",
			gdb_count(k, s.db, "messages"), 0);
	cli_send(k, a, text, 4 + AC_MAX_TEXT);
	cli_expect(k, a, "SAY of exactly AC_MAX_TEXT bytes", "OK");
	too_big(k, &s, a);
	b = cli_dial(k, &s);
	cli_login(k, b, "bob", "pw");
}
