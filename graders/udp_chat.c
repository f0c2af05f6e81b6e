/*
 * udp_chat.c (grader): the group-chat relay server and the client.
 *
 * The server tests run chat_serve() in a grader thread on a bound loopback
 * socket, with a pipe as its stop descriptor, and play its members from
 * many grader sockets, each connected to the server.  The server handles
 * one datagram at a time and loopback keeps order, so "the next datagram a
 * member receives" is deterministic: a WHO round trip proves that nothing
 * else (an echo, a stray relay) was sent to it before.  The client tests
 * play the server and feed chat_client() through pipes.
 *
 * Entry point: the kata_grader descriptor at the end (the test table).
 * The helpers live in graders/udp_chat/ (see udp_chat_grader.h): the
 * learner's functions in grader threads (subject.c), datagrams and the
 * checks on them (dgram.c), the seeded workloads (load.c) and `runner
 * play udp_chat` (play.c).  This file holds one function per test.
 */
#define _GNU_SOURCE
#include "udp_chat/udp_chat_grader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thread.h"
#include "timing.h"

/* ---- server tests ------------------------------------------------------ */

static void t_who(struct kata_ctx *k)
{
	int a;

	kata_concept(k, "a UDP server has no connections: a member is just "
		     "the sender address it remembered from a JOIN");
	subj_server_start(k);
	a = subj_member(k, "alice");
	subj_member(k, "bob");
	subj_member(k, "小明");
	dg_who_is(k, a, "alice bob 小明");
	dg_who_is(k, subj_peer(k), "alice bob 小明");
}

static void t_relay(struct kata_ctx *k)
{
	const char *say = "MSG 你好 ☃", *heard = "小明: 你好 ☃";
	int a, b, c;

	kata_concept(k, "the relay loop sends to every member except the "
		     "sender; the seed's server sent each message back to "
		     "its author too");
	subj_server_start(k);
	a = subj_member(k, "alice");
	b = subj_member(k, "bob");
	c = subj_member(k, "小明");
	dg_send(k, a, "MSG hello, world", 16);
	dg_expect(k, b, "alice: hello, world", 19, "bob's next datagram");
	dg_expect(k, c, "alice: hello, world", 19, "小明's next datagram");
	dg_who_is(k, a, "alice bob 小明");
	dg_send(k, c, say, strlen(say));
	dg_expect(k, a, heard, strlen(heard), "alice's next datagram");
	dg_expect(k, b, heard, strlen(heard), "bob's next datagram");
	dg_who_is(k, c, "alice bob 小明");
	dg_send(k, b, "MSG", 3);
	dg_expect(k, a, "bob: ", 5, "alice's next datagram (after \"MSG\")");
	dg_who_is(k, b, "alice bob 小明");
}

static void t_not_joined(struct kata_ctx *k)
{
	int a, b, x;

	kata_concept(k, "only members may speak: look the sender's address "
		     "up before relaying (the seed relayed anyone's datagram)");
	subj_server_start(k);
	a = subj_member(k, "alice");
	b = subj_member(k, "bob");
	x = subj_peer(k);
	dg_refused(k, x, "MSG let me in", 13, "ERR " CHAT_ERR_NOT_JOINED, a,
		   "alice bob");
	dg_refused(k, x, "MSG", 3, "ERR " CHAT_ERR_NOT_JOINED, b,
		   "alice bob");
	dg_expect_reply(k, x, "LEAVE", "ERR " CHAT_ERR_NOT_JOINED);
	dg_who_is(k, a, "alice bob");
	dg_send(k, a, "MSG members only", 16);
	dg_expect(k, b, "alice: members only", 19, "bob's next datagram");
}

static void t_duplicate(struct kata_ctx *k)
{
	int a, x;

	kata_concept(k, "nicks are unique, and one address is one member");
	subj_server_start(k);
	a = subj_member(k, "alice");
	x = subj_peer(k);
	dg_expect_reply(k, x, "JOIN alice", "ERR " CHAT_ERR_TAKEN);
	dg_expect_reply(k, x, "MSG am I in?", "ERR " CHAT_ERR_NOT_JOINED);
	dg_expect_reply(k, a, "JOIN bob", "ERR " CHAT_ERR_ALREADY);
	dg_expect_reply(k, a, "JOIN alice", "ERR " CHAT_ERR_ALREADY);
	dg_who_is(k, x, "alice");
	dg_expect_reply(k, x, "JOIN bob", CHAT_OK);
	dg_who_is(k, a, "alice bob");
}

static void t_nick(struct kata_ctx *k)
{
	static const char *bad[] = { "JOIN", "JOIN ", "JOIN a b", "JOIN a\tb",
		"JOIN a\x7f", "JOIN 123456789012345678901234567890123",
		"JOIN 好好好好好好好好好好好", NULL };
	char want[BUF];

	kata_concept(k, "a nick is 1 to %d BYTES (not characters) with no "
		     "space or control byte", CHAT_MAX_NICK);
	subj_server_start(k);
	subj_member(k, "12345678901234567890123456789012");
	subj_member(k, "好好好好好好好好好好");
	subj_member(k, "x");
	for (int i = 0; bad[i]; i++)
		dg_expect_reply(k, subj_peer(k), bad[i],
				"ERR " CHAT_ERR_BAD_NICK);
	snprintf(want, sizeof(want), "%s", "x 好好好好好好好好好好 "
		 "12345678901234567890123456789012");
	dg_who_is(k, subj_peer(k), want);
}

static void t_size(struct kata_ctx *k)
{
	static char cmd[3 * CHAT_MAX_DATAGRAM], want[BUF];
	const char *nick = "abcdefghijklmnopqrstuvwxyz012345";
	const char *room = "bob abcdefghijklmnopqrstuvwxyz012345";
	int a, b;

	kata_concept(k, "a datagram arrives whole or not at all: receive it "
		     "into a buffer LARGER than %d bytes, or the kernel "
		     "silently cuts a longer one to fit", CHAT_MAX_DATAGRAM);
	subj_server_start(k);
	a = subj_member(k, nick);
	b = subj_member(k, "bob");
	dg_long_msg(cmd, CHAT_MAX_DATAGRAM);
	dg_send(k, a, cmd, CHAT_MAX_DATAGRAM);
	snprintf(want, sizeof(want), "%s: %.*s", nick, CHAT_MAX_DATAGRAM - 4,
		 cmd + 4);
	dg_expect(k, b, want, strlen(want),
		  "bob's next datagram (a 1024-byte MSG relayed whole)");
	dg_refused(k, a, cmd, dg_long_msg(cmd, CHAT_MAX_DATAGRAM + 1),
		   "ERR " CHAT_ERR_TOO_LONG, b, room);
	dg_refused(k, a, cmd, dg_long_msg(cmd, sizeof(cmd)),
		   "ERR " CHAT_ERR_TOO_LONG, b, room);
	memcpy(cmd, "JOIN ", 5);
	dg_expect_reply_n(k, subj_peer(k), cmd, CHAT_MAX_DATAGRAM + 1,
			  "ERR " CHAT_ERR_TOO_LONG);
	dg_who_is(k, a, room);
}

/* The valid code points next to the invalid ranges: U+D7FF U+E000 ... */
#define EDGES "\xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf"

static void t_utf8(struct kata_ctx *k)
{
	static const char *bad[] = { "MSG \xff", "MSG \x80", "MSG \xc0\xaf",
		"MSG \xe0\x80\xaf", "MSG \xed\xa0\x80", "MSG \xf4\x90\x80\x80",
		"MSG ok \xe4\xbd", "MSG \xe4\xbd ok", "JOIN \xfe", NULL };
	int a, b;

	kata_concept(k, "bytes from the network are not text until checked: "
		     "reject invalid UTF-8 (stray, overlong, surrogate, "
		     "truncated sequences) before using it");
	subj_server_start(k);
	a = subj_member(k, "alice");
	b = subj_member(k, "bob");
	dg_send(k, a, "MSG 😀 é 你", strlen("MSG 😀 é 你"));
	dg_expect(k, b, "alice: 😀 é 你", strlen("alice: 😀 é 你"),
		  "bob's next datagram (valid UTF-8)");
	dg_send(k, a, "MSG " EDGES, strlen("MSG " EDGES));
	dg_who_is(k, a, "alice bob");
	dg_expect(k, b, "alice: " EDGES, strlen("alice: " EDGES),
		  "bob's next datagram (U+D7FF, U+E000, U+FFFF and U+10FFFF "
		  "are valid)");
	for (int i = 0; bad[i]; i++)
		dg_refused(k, a, bad[i], strlen(bad[i]),
			   "ERR " CHAT_ERR_BAD_UTF8, b, "alice bob");
}

static void t_unknown(struct kata_ctx *k)
{
	static const char *bad[] = { "HELLO", "join bob", "MSGhi", "WHO now",
		"LEAVE!", " WHO", "JOINbob", NULL };
	int a, x;

	kata_concept(k, "every datagram gets an answer: an unknown command "
		     "is an error reply, not silence or a crash");
	subj_server_start(k);
	a = subj_member(k, "alice");
	x = subj_peer(k);
	dg_expect_reply_n(k, x, "", 0, "ERR " CHAT_ERR_UNKNOWN);
	for (int i = 0; bad[i]; i++) {
		dg_expect_reply(k, x, bad[i], "ERR " CHAT_ERR_UNKNOWN);
		dg_expect_reply(k, a, bad[i], "ERR " CHAT_ERR_UNKNOWN);
	}
	dg_who_is(k, x, "alice");
}

static void t_full(struct kata_ctx *k)
{
	static int fd[CHAT_MAX_MEMBERS];
	char nick[16];
	int x;

	kata_concept(k, "a fixed table of %d members needs a bounds check",
		     CHAT_MAX_MEMBERS);
	subj_server_start(k);
	for (int i = 0; i < CHAT_MAX_MEMBERS; i++) {
		snprintf(nick, sizeof(nick), "m%02d", i);
		fd[i] = subj_member(k, nick);
	}
	x = subj_peer(k);
	dg_expect_reply(k, x, "JOIN late", "ERR " CHAT_ERR_FULL);
	dg_expect_reply(k, fd[7], "LEAVE", CHAT_OK);
	dg_expect_reply(k, x, "JOIN late", CHAT_OK);
	dg_expect_reply(k, subj_peer(k), "JOIN later", "ERR " CHAT_ERR_FULL);
	kata_concept(k, "a JOIN's checks come in the header's order: "
		     "bad-nick, already-joined, nick-taken, then full");
	dg_expect_reply(k, subj_peer(k), "JOIN m00", "ERR " CHAT_ERR_TAKEN);
	dg_expect_reply(k, subj_peer(k), "JOIN a b", "ERR " CHAT_ERR_BAD_NICK);
	dg_expect_reply(k, x, "JOIN later", "ERR " CHAT_ERR_ALREADY);
	dg_expect_reply(k, x, "JOIN", "ERR " CHAT_ERR_BAD_NICK);
}

/* ---- seeded workloads -------------------------------------------------- */

static void t_churn(struct kata_ctx *k)
{
	int steps = (int)kata_param(k, "steps", 400, 80);
	struct seat s[8] = { 0 };
	char list[256];
	struct rng g;

	kata_concept(k, "LEAVE must remove exactly the leaving member: a "
		     "left address gets no more relays and a freed nick can be "
		     "taken again");
	subj_server_start(k);
	rng_seed(&g, kata_seed(k));
	for (int i = 0; i < 8; i++)
		s[i].fd = subj_peer(k);
	for (int step = 0; step < steps; step++) {
		load_churn_step(k, s, 8, (int)rng_below(&g, 8), &g, step);
		load_room_list(s, 8, list);
		if (step % 8 == 7)
			dg_who_is(k, s[rng_below(&g, 8)].fd, list);
	}
	load_room_list(s, 8, list);
	for (int i = 0; i < 8; i++)
		dg_who_is(k, s[i].fd, list);
}

static void t_many(struct kata_ctx *k)
{
	int n = (int)kata_param(k, "members", 50, 12);
	int rounds = (int)kata_param(k, "messages", 20, 5);
	static int fd[CHAT_MAX_MEMBERS];
	char nick[16], all[BUF] = "";
	struct rng g;
	uint64_t t0;

	kata_concept(k, "every message reaches every other member exactly "
		     "once: one sendto() per member, the sender skipped");
	n = n < 2 ? 2 : n > CHAT_MAX_MEMBERS ? CHAT_MAX_MEMBERS : n;
	subj_server_start(k);
	for (int i = 0; i < n; i++) {
		snprintf(nick, sizeof(nick), "m%02d", i);
		fd[i] = subj_member(k, nick);
		sprintf(all + strlen(all), "%s ", nick);
	}
	rng_seed(&g, kata_seed(k));
	t0 = timing_now_ns();
	for (int r = 0; r < rounds && r < 10000; r++)
		load_many_round(k, fd, n, r, &g);
	kata_note(k, "%d members x %d messages: %d deliveries in %.0f ms",
		  n, rounds, n * (n - 1) * rounds, timing_ms_since(t0));
	for (int i = 0; i < n; i++)
		dg_who_is(k, fd[i], all);
}

static void t_garbage(struct kata_ctx *k)
{
	int count = (int)kata_param(k, "garbage", 600, 120);
	char buf[2 * CHAT_MAX_DATAGRAM], got[BUF], ping[32];
	int a, b, x;
	struct rng g;
	size_t n, m;

	kata_concept(k, "whatever arrives, the server answers ERR and goes "
		     "on: check length and encoding before parsing");
	subj_server_start(k);
	a = subj_member(k, "alice");
	b = subj_member(k, "bob");
	x = subj_peer(k);
	rng_seed(&g, kata_seed(k));
	for (int i = 0; i < count; i++) {
		bool mine = load_garbage(&g, buf, &n);

		dg_send(k, mine ? a : x, buf, n);
		m = dg_recv(k, mine ? a : x, got, "reply to garbage");
		if (mine ? strcmp(got, "ERR " CHAT_ERR_BAD_UTF8) :
			   !load_known_err(got, m))
			kata_fail(k, "reply to garbage %s: expected %s, got %s",
				  dg_show(buf, n), mine ? "\"ERR bad-utf8\"" :
				  "\"ERR <reason>\"", dg_show(got, m));
		if (i % 25 == 24) {
			snprintf(ping, sizeof(ping), "MSG ping %d", i);
			dg_send(k, a, ping, strlen(ping));
			snprintf(ping, sizeof(ping), "alice: ping %d", i);
			dg_expect(k, b, ping, strlen(ping), "bob's next");
		}
	}
	dg_who_is(k, x, "alice bob");
	dg_who_is(k, b, "alice bob");
}

/* ---- stopping ---------------------------------------------------------- */

static void t_stop(struct kata_ctx *k)
{
	int base = thread_count(), limit, a, b, r;
	double ref = subj_idle_wake_ms(k);
	uint64_t t0;

	kata_concept(k, "a server blocked in recvfrom() notices nothing "
		     "else: wait on the socket and the stop descriptor "
		     "together (poll)");
	subj_server_start(k);
	a = subj_member(k, "alice");
	b = subj_member(k, "bob");
	dg_send(k, a, "MSG bye", 7);
	dg_expect(k, b, "alice: bye", 10, "bob's next datagram");
	timing_sleep_ms(50);
	limit = (int)ref + scaled(k, PROMPT_MS);
	t0 = timing_now_ns();
	if (write(subj_srv.stop[1], "x", 1) != 1)
		kata_fail(k, "grader write to the stop pipe failed");
	r = thread_join_timeout(subj_srv.t, limit, NULL);
	if (r == -ETIMEDOUT)
		kata_fail(k, "stop: chat_serve still running %d ms after its "
			  "stop descriptor became readable, with no datagram "
			  "arriving (an idle poll() woke in %.2f ms here)",
			  limit, ref);
	subj_srv.started = false;
	kata_note(k, "stopped in %.2f ms; an idle poll() woke in %.2f ms",
		  timing_ms_since(t0), ref);
	kata_expect_int(k, "chat_serve result after stop", subj_srv.r, 0);
	subj_threads_back(k, base, "chat_serve");
}

/* ---- the client -------------------------------------------------------- */

static void t_client_sends(struct kata_ctx *k)
{
	static char line[CHAT_MAX_DATAGRAM + 32];
	size_t n = dg_long_msg(line, CHAT_MAX_DATAGRAM);
	int p;

	kata_concept(k, "one line of input is one datagram: collect bytes "
		     "up to '\\n' (a read() may return part of a line, or "
		     "several)");
	p = subj_client_start(k);
	subj_type(k, "JOIN alice\n");
	dg_expect(k, p, "JOIN alice", 10, "datagram for \"JOIN alice\"");
	subj_type(k, "MSG hel");
	subj_wait_read(k);
	subj_type(k, "lo\nWHO\n\n");
	dg_expect(k, p, "MSG hello", 9, "datagram for \"MSG hel\" then "
		  "\"lo\\n\"");
	dg_expect(k, p, "WHO", 3, "datagram for \"WHO\"");
	snprintf(line + n, sizeof(line) - n, "\nMSG 你好\nLEAVE");
	subj_type(k, line);
	dg_expect(k, p, line, n, "datagram for a line of CHAT_MAX_DATAGRAM "
		  "(1024) bytes, the longest a line may be");
	dg_expect(k, p, "MSG 你好", strlen("MSG 你好"),
		  "datagram for \"MSG 你好\"");
	subj_end_input();
	dg_expect(k, p, "LEAVE", 5, "datagram for the last line "
		  "\"LEAVE\" (no newline, then end of input; an empty line "
		  "must not be sent)");
}

static void t_client_shows(struct kata_ctx *k)
{
	static char big[3010];
	size_t n = dg_long_msg(big, 3000);
	double ref;
	int p;

	kata_concept(k, "the seed's input() blocked the display: a client "
		     "must read the socket while input is silent (a thread, "
		     "or poll() on both)");
	ref = subj_idle_wake_ms(k);
	p = subj_client_start(k);
	timing_sleep_ms(30);
	dg_send(k, p, "alice: hi", 9);
	subj_expect_out(k, "alice: hi\n", 10, (int)ref + scaled(k, PROMPT_MS),
			" (a datagram arrived while the input was silent: a "
			"client that reads the socket only after a line of "
			"input never shows it)");
	dg_send(k, p, big, n);
	dg_send(k, p, "bob: yo", 7);
	memcpy(big + n, "\nbob: yo\n", 9);
	subj_expect_out(k, big, n + 9, scaled(k, REPLY_MS), " (a 3000-byte "
			"datagram, then a short one; receive into a buffer of "
			"CHAT_MAX_REPLY bytes)");
	subj_type(k, "MSG still here\n");
	dg_expect(k, p, "MSG still here", 14, "datagram for a line typed after "
		  "the display");
}

static void t_client_stops(struct kata_ctx *k)
{
	int base = thread_count(), limit, p, r;
	double ref = subj_idle_wake_ms(k);
	uint64_t t0;

	kata_concept(k, "at end of input the client returns, and a receiving "
		     "thread blocked in recv() must be woken and joined first");
	p = subj_client_start(k);
	subj_type(k, "MSG hi\n");
	dg_expect(k, p, "MSG hi", 6, "datagram for \"MSG hi\"");
	dg_send(k, p, "bob: hi", 7);
	subj_expect_out(k, "bob: hi\n", 8, scaled(k, REPLY_MS), "");
	timing_sleep_ms(30);
	limit = (int)ref + scaled(k, PROMPT_MS);
	subj_end_input();
	t0 = timing_now_ns();
	r = thread_join_timeout(subj_cli.t, limit, NULL);
	if (r == -ETIMEDOUT)
		kata_fail(k, "end of input: chat_client still running %d ms "
			  "after its input ended (an idle poll() woke in "
			  "%.2f ms here)", limit, ref);
	kata_note(k, "returned %.2f ms after end of input",
		  timing_ms_since(t0));
	kata_expect_int(k, "chat_client result at end of input", subj_cli.r,
			0);
	subj_threads_back(k, base, "chat_client");
}

static const struct kata_test tests[] = {
	{ "who", "JOIN adds members; WHO lists them to anyone",
	  t_who, 0, 1, NULL },
	{ "relay", "a MSG reaches every other member as \"nick: text\", "
	  "never its sender", t_relay, 0, 2, "who" },
	{ "not_joined", "MSG and LEAVE from a non-member: ERR not-joined, "
	  "nothing relayed", t_not_joined, 0, 1, "who" },
	{ "duplicate", "a taken nick or a second JOIN: ERR, nothing changes",
	  t_duplicate, 0, 1, "who" },
	{ "nick", "nicks of 1 to 32 bytes, no spaces: the rest get "
	  "ERR bad-nick", t_nick, 0, 1, "who" },
	{ "size", "a 1024-byte command works; a longer one gets ERR too-long",
	  t_size, 0, 1, "relay" },
	{ "utf8", "invalid UTF-8 gets ERR bad-utf8 and is not relayed",
	  t_utf8, 0, 1, "relay" },
	{ "unknown", "unknown commands get ERR unknown-command",
	  t_unknown, 0, 1, "who" },
	{ "full", "the 65th member gets ERR full; a LEAVE makes room",
	  t_full, 0, 1, "who" },
	{ "churn", "seeded joins, leaves and messages keep the room right",
	  t_churn, 0, 2, "relay" },
	{ "many", "50 members x 20 messages: each delivered exactly once "
	  "to every other member", t_many, 20000, 2, "relay" },
	{ "garbage", "seeded garbage datagrams get ERR; the server goes on",
	  t_garbage, 0, 2, "who" },
	{ "stop", "the server stops promptly when told, with no datagram "
	  "arriving, leaving no thread", t_stop, 0, 2, "who" },
	{ "client_sends", "each input line is sent as one datagram",
	  t_client_sends, 0, 1, NULL },
	{ "client_shows", "a datagram is shown while the input is silent",
	  t_client_shows, 0, 2, NULL },
	{ "client_stops", "at end of input the client returns 0 promptly, "
	  "leaving no thread", t_client_stops, 0, 1, "client_sends" },
	{ 0 }
};

KATA_GRADER(.kata = "udp_chat",
	    .title = "A group chat over UDP: relay server and client",
	    .topic = "UDP datagrams, a relay to every known address, and a "
		     "receiver beside blocking input",
	    .order = 20,
	    .tests = tests,
	    .play = play_modes);
