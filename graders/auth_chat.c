/*
 * auth_chat.c (grader): an authenticated chat server on sqlite3.
 *
 * The first tests call the learner's database layer directly and read the
 * file back through the grader's own sqlite3 connection
 * (graders/auth_chat/db.c): salted hashes, names with quotes, SQL injection
 * as data, a locked database.  The rest run the learner's ac_serve in a
 * thread and talk to it as clients (graders/auth_chat/client.c): challenge
 * and proof, replayed proofs, injection over the wire, relays, many
 * clients, malformed frames (graders/auth_chat/input.c), a stop.  This
 * file holds one function per test.  Entry point: the kata_grader table at
 * the end.
 */
#define _GNU_SOURCE
#include "auth_chat/auth_chat_grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

/* ---- the server: authentication ------------------------------------------ */

/* tmp/chat.db (the server's file) with the given users, before start. */
static void seed_server_db(struct kata_ctx *k, const char *const *names)
{
	char path[PATH_MAX];
	sqlite3 *g;

	tmp_path(k, "chat.db", path);
	g = gdb_open(k, path);
	for (int i = 0; names[i]; i++)
		gdb_seed(k, g, names[i], "Aa123456");
	sqlite3_close(g);
}

/* Sends "PROOF <p>" and expects want. */
static void proof(struct kata_ctx *k, int fd, const char *p,
		  const char *what, const char *want)
{
	cli_sendf(k, fd, "PROOF %s", p);
	cli_expect(k, fd, what, want);
}

static void t_login(struct kata_ctx *k)
{
	static const char *const seeded[] = { "seeded", NULL };
	char salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1], p[AC_HEX_LEN + 1];
	struct chal c;
	struct srv s;
	int a, b;

	kata_concept(k, "challenge-response: the server sends the user's "
		     "salt and a fresh nonce, the client answers ac_proof("
		     "nonce, ac_password_hash(salt, pw)); the password itself "
		     "never crosses the wire after REGISTER");
	seed_server_db(k, seeded);
	srv_start(k, &s);
	a = cli_dial(k, &s);
	cli_ask(k, a, "REGISTER alice s3cret pw", "OK");
	gdb_check_row(k, s.db, "alice", "s3cret pw");
	gdb_never_in_file(k, s.db, "s3cret pw", "after REGISTER");
	cli_challenge(k, a, "alice", &c);
	gdb_user(k, s.db, "alice", salt, hash);
	KATA_REQUIRE(k, !strcmp(c.salt, salt), "the salt in alice's "
		     "CHALLENGE: expected her stored salt %s, got %s", salt,
		     c.salt);
	cli_proof_of(&c, "s3cret pw", p);
	proof(k, a, p, "PROOF with the right password", "OK");
	b = cli_dial(k, &s);
	cli_login(k, b, "seeded", "Aa123456");
	cli_ask(k, b, "QUIT", "OK");
	cli_expect_closed(k, b, "after QUIT");
}

static void t_wrong_password(struct kata_ctx *k)
{
	char p[AC_HEX_LEN + 1], salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1];
	struct chal c;
	struct srv s;
	int b;

	kata_concept(k, "a proof matches only when all %u hex digits equal "
		     "ac_proof(nonce, stored hash); each challenge is good "
		     "for one PROOF", AC_HEX_LEN);
	srv_start(k, &s);
	close(cli_user(k, &s, "alice", "Aa123456"));
	b = cli_dial(k, &s);
	cli_ask(k, b, "PROOF 00", "ERR BAD_STATE");
	cli_ask(k, b, "SAY hello", "ERR BAD_STATE");
	cli_ask(k, b, "LOGIN ghost", "ERR NO_SUCH_USER");
	cli_ask(k, b, "REGISTER alice other", "ERR TAKEN");
	cli_challenge(k, b, "alice", &c);
	cli_proof_of(&c, "Aa1234567", p);
	proof(k, b, p, "PROOF with a wrong password", "ERR DENIED");
	cli_proof_of(&c, "Aa123456", p);
	proof(k, b, p, "a second PROOF for the same challenge",
	      "ERR BAD_STATE");
	cli_challenge(k, b, "alice", &c);
	gdb_user(k, s.db, "alice", salt, hash);
	proof(k, b, hash, "PROOF of the stored hash itself (what the seed's "
	      "client sends)", "ERR DENIED");
	cli_challenge(k, b, "alice", &c);
	cli_proof_of(&c, "Aa123456", p);
	p[16] = '\0';
	proof(k, b, p, "PROOF of the first 16 digits of the right proof",
	      "ERR DENIED");
	cli_challenge(k, b, "alice", &c);
	cli_proof_of(&c, "Aa123456", p);
	cli_sendf(k, b, "PROOF %s00", p);
	cli_expect(k, b, "PROOF of the right proof and two more digits",
		   "ERR DENIED");
	cli_login(k, b, "alice", "Aa123456");
	cli_ask(k, b, "LOGIN alice", "ERR BAD_STATE");
}

static void t_replay(struct kata_ctx *k)
{
	int n = (int)kata_param(k, "logins", 50, 10);
	char p[AC_HEX_LEN + 1], (*seen)[NONCE_HEX + 1];
	struct chal c1, c2;
	struct srv s;
	int a;

	kata_concept(k, "a nonce is fresh for every LOGIN: a PROOF someone "
		     "recorded on the wire is worthless in the next session");
	srv_start(k, &s);
	a = cli_dial(k, &s);
	cli_ask(k, a, "REGISTER alice Aa123456", "OK");
	cli_challenge(k, a, "alice", &c1);
	cli_proof_of(&c1, "Aa123456", p);
	proof(k, a, p, "PROOF with the right password", "OK");
	close(a);
	a = cli_dial(k, &s);
	cli_challenge(k, a, "alice", &c2);
	KATA_REQUIRE(k, strcmp(c1.nonce, c2.nonce), "the nonces of two "
		     "LOGINs: expected different ones, got %s twice",
		     c1.nonce);
	proof(k, a, p, "PROOF replayed from the earlier session",
	      "ERR DENIED");
	seen = calloc((size_t)n, sizeof(*seen));
	for (int i = 0; seen && i < n; i++) {
		cli_challenge(k, a, "alice", &c1);
		for (int j = 0; j < i; j++)
			KATA_REQUIRE(k, strcmp(seen[j], c1.nonce), "nonce of "
				     "LOGIN %d: expected a fresh one, got the "
				     "one of LOGIN %d (%s)", i, j, c1.nonce);
		memcpy(seen[i], c1.nonce, sizeof(seen[i]));
	}
	free(seen);
}

/* ---- the server: SQL injection over the wire ----------------------------- */

static void t_quote_names(struct kata_ctx *k)
{
	struct srv s;

	kata_concept(k, "o'brien is a good name: a quote in a request is "
		     "data, bound as a parameter, never part of the SQL");
	srv_start(k, &s);
	for (int i = 0; quoted[i]; i++)
		close(cli_user(k, &s, quoted[i], "it's a secret"));
	for (int i = 0; quoted[i]; i++)
		gdb_check_row(k, s.db, quoted[i], "it's a secret");
}

static void t_injection(struct kata_ctx *k)
{
	static const char *const seeded[] = { "alice", "bob", NULL };
	static const char *const probes[] = { "'OR'1'='1", "alice'--",
		"alice'/*", "x'OR'x'LIKE'%", "\"OR\"1\"=\"1", "alice\"--",
		NULL };
	static const char *const drop = "x',0,0);DROP/**/TABLE/**/users--";
	static const char *const pw = "'); DROP TABLE users; --";
	char before[DUMP_CAP], after[DUMP_CAP], req[100];
	struct srv s;
	int a;

	kata_concept(k, "the seed's f'select * from users where username="
		     "\"{username}\"' lets a name rewrite the query; with "
		     "bound parameters an attack is only a strange name");
	seed_server_db(k, seeded);
	srv_start(k, &s);
	gdb_users(k, s.db, before);
	a = cli_dial(k, &s);
	for (int i = 0; probes[i]; i++) {
		snprintf(req, sizeof(req), "LOGIN %s", probes[i]);
		cli_ask(k, a, req, "ERR NO_SUCH_USER");
	}
	snprintf(req, sizeof(req), "REGISTER %s pw", drop);
	cli_ask(k, a, req, "OK");
	kata_expect_int(k, "rows in users after REGISTER of a DROP TABLE "
			"name", gdb_count(k, s.db, "users"), 3);
	close(a);
	a = cli_user(k, &s, "mallory", pw);
	cli_ask(k, a, "SAY '); DROP TABLE messages; --", "OK");
	gdb_users(k, s.db, after);
	KATA_REQUIRE(k, !strncmp(after, before, strlen(before)) &&
		     gdb_count(k, s.db, "users") == 4, "users after the "
		     "attacks: expected alice and bob unchanged, then mallory "
		     "and the DROP name, got %s",
		     cli_show(after, strlen(after)));
	gdb_check_row(k, s.db, drop, "pw");
	gdb_check_row(k, s.db, "mallory", pw);
	gdb_messages(k, s.db, after);
	KATA_REQUIRE(k, !strcmp(after, "mallory|'); DROP TABLE messages; "
		     "--\n"), "messages: expected mallory's one text, got %s",
		     cli_show(after, strlen(after)));
}

/* ---- the server: chat ---------------------------------------------------- */

static void t_relay(struct kata_ctx *k)
{
	char got[DUMP_CAP];
	struct srv s;
	int a, b, c, d;

	kata_concept(k, "a SAY is stored, then relayed as \"FROM <name> "
		     "<text>\" to every other logged-in client, then "
		     "answered OK");
	srv_start(k, &s);
	a = cli_user(k, &s, "alice", "pw");
	b = cli_user(k, &s, "bob", "pw");
	c = cli_user(k, &s, "o'brien", "pw");
	d = cli_dial(k, &s);
	cli_ask(k, a, "SAY hello, it's me", "OK");
	cli_expect(k, b, "bob's next frame", "FROM alice hello, it's me");
	cli_expect(k, c, "o'brien's next frame", "FROM alice hello, it's me");
	cli_ask(k, c, "SAY 你好 'all'", "OK");
	cli_expect(k, a, "alice's next frame (not her own SAY)",
		   "FROM o'brien 你好 'all'");
	cli_expect(k, b, "bob's next frame", "FROM o'brien 你好 'all'");
	cli_ask(k, d, "SAY hi", "ERR BAD_STATE");
	gdb_messages(k, s.db, got);
	KATA_REQUIRE(k, !strcmp(got, "alice|hello, it's me\no'brien|你好 "
		     "'all'\n"), "messages: expected the two texts in order, "
		     "got %s", cli_show(got, strlen(got)));
}

struct client {
	struct kata_ctx *k;
	struct srv *s;
	int i, n;
	pthread_t t;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	char name[16], p[AC_HEX_LEN + 1];
	struct chal ch;
	int fd = cli_dial(c->k, c->s);

	snprintf(name, sizeof(name), "user%03d", c->i);
	cli_sendf(c->k, fd, "REGISTER %s pw%d", name, c->i);
	cli_expect(c->k, fd, "REGISTER of a new user", "OK");
	cli_challenge(c->k, fd, name, &ch);
	snprintf(p, sizeof(p), "pw%d", c->i);
	cli_proof_of(&ch, p, p);
	cli_sendf(c->k, fd, "PROOF %s", p);
	cli_until(c->k, fd, "PROOF", "OK", 2 * c->n + 4);
	cli_sendf(c->k, fd, "SAY message from %s", name);
	cli_until(c->k, fd, "SAY", "OK", 2 * c->n + 4);
	cli_sendf(c->k, fd, "QUIT");
	cli_until(c->k, fd, "QUIT", "OK", 2 * c->n + 4);
	close(fd);
	return NULL;
}

static void t_many_clients(struct kata_ctx *k)
{
	int n = (int)kata_param(k, "clients", 24, 6);
	struct client *c = calloc((size_t)n, sizeof(*c));
	uint64_t t0 = timing_now_ns();
	struct srv s;

	kata_concept(k, "many clients at once: one slow or waiting client "
		     "must not hold up the others, and every row lands");
	KATA_REQUIRE(k, c, "out of memory");
	srv_start(k, &s);
	for (int i = 0; i < n; i++) {
		c[i] = (struct client){ k, &s, i, n, 0 };
		if (thread_start(&c[i].t, "client", client_main, &c[i]) < 0)
			kata_fail(k, "cannot start client thread %d", i);
	}
	for (int i = 0; i < n; i++)
		if (thread_join_timeout(c[i].t, MS(k, 2 * WAIT_MS), NULL) < 0)
			kata_fail(k, "client %d of %d did not finish "
				  "REGISTER, LOGIN, SAY, QUIT in time", i, n);
	kata_note(k, "%d clients registered, logged in and chatted in %.0f "
		  "ms", n, timing_ms_since(t0));
	kata_expect_int(k, "rows in users", gdb_count(k, s.db, "users"), n);
	kata_expect_int(k, "rows in messages",
			gdb_count(k, s.db, "messages"), n);
	free(c);
}

/* ---- the server: a locked database, a stop ------------------------------ */

static void t_busy_server(struct kata_ctx *k)
{
	int limit = MS(k, 4 * AC_BUSY_MS) + 2000, a, b;
	uint64_t t0;
	sqlite3 *g;
	struct srv s;
	char got[DUMP_CAP];

	kata_concept(k, "a locked database is an answer, not a hang: ERR "
		     "BUSY after AC_BUSY_MS, nothing half-done, and everything "
		     "works once the lock is gone");
	srv_start(k, &s);
	a = cli_user(k, &s, "alice", "pw");
	b = cli_user(k, &s, "bob", "pw");
	g = gdb_lock(k, s.db);
	t0 = timing_now_ns();
	cli_sendf(k, a, "REGISTER dave pw");
	cli_expect_ms(k, a, "REGISTER while the grader holds an exclusive lock",
		      "ERR BUSY", limit);
	kata_note(k, "ERR BUSY after %.0f ms", timing_ms_since(t0));
	cli_sendf(k, a, "SAY while locked");
	cli_expect_ms(k, a, "SAY while the grader holds an exclusive lock",
		      "ERR BUSY", limit);
	gdb_unlock(k, g);
	cli_ask(k, a, "REGISTER dave pw", "OK");
	cli_ask(k, a, "SAY after the lock", "OK");
	cli_expect(k, b, "bob's next frame (a refused SAY is not relayed)",
		   "FROM alice after the lock");
	gdb_messages(k, s.db, got);
	KATA_REQUIRE(k, !strcmp(got, "alice|after the lock\n"), "messages: "
		     "expected only the SAY after the lock, got %s",
		     cli_show(got, strlen(got)));
	kata_expect_int(k, "rows in users", gdb_count(k, s.db, "users"), 3);
}

static void t_stop(struct kata_ctx *k)
{
	int threads = thread_count(), fds = net_count_fds(), a, b, c, limit;
	static const unsigned char half[2] = { 0, 0 };
	double ref = 0;
	struct chal ch;
	struct srv s;
	uint64_t t0;

	kata_concept(k, "a server stops when told: stop_fd becomes readable, "
		     "every connection ends, every thread is joined, the "
		     "database is closed");
	srv_start(k, &s);
	a = cli_user(k, &s, "alice", "pw");
	b = cli_dial(k, &s);
	c = cli_dial(k, &s);
	for (int i = 0; i < 5; i++) {
		t0 = timing_now_ns();
		cli_challenge(k, c, "alice", &ch);
		ref = timing_ms_since(t0) > ref ? timing_ms_since(t0) : ref;
	}
	if (net_write_full(b, half, 2) != 2)
		kata_fail(k, "the server closed the connection early");
	timing_sleep_ms(20);
	limit = (int)(20 * ref) + MS(k, 300);
	t0 = timing_now_ns();
	srv_stop(k, &s, limit);
	kata_note(k, "ac_serve returned %.1f ms after the stop (a LOGIN took "
		  "up to %.2f ms)", timing_ms_since(t0), ref);
	cli_expect_closed(k, a, "a logged-in client after the stop");
	cli_expect_closed(k, b, "a client halfway through a frame");
	for (int i = 0; i < 50 && thread_count() != threads; i++)
		timing_sleep_ms(10);
	kata_expect_int(k, "threads left after ac_serve returned",
			thread_count() - threads, 0);
	close(a);
	close(b);
	close(c);
	kata_expect_int(k, "descriptors left open after ac_serve returned "
			"(connections, the database)",
			net_count_fds() - fds - 3, 0);
}

/* ---- the table ----------------------------------------------------------- */

static const struct kata_test tests[] = {
	{ "db_open", "ac_db_open creates the schema and keeps existing rows",
	  t_db_open, 0, 1, NULL },
	{ "db_users", "users rows hold a salt and the salted hash; lookups "
	  "are exact", t_db_users, 0, 1, "db_open" },
	{ "db_salt", "every user gets a fresh salt; no password in the file",
	  t_db_salt, 0, 1, "db_users" },
	{ "db_quotes", "names and texts with quotes are stored exactly",
	  t_db_quotes, 0, 2, "db_users" },
	{ "db_injection", "' OR '1'='1 finds nobody; a DROP TABLE name is "
	  "just a name", t_db_injection, 0, 2, "db_users" },
	{ "login", "REGISTER, then LOGIN, CHALLENGE and PROOF log a user in",
	  t_login, 0, 2, "db_users" },
	{ "wrong_password", "wrong, partial and stored-hash proofs are "
	  "DENIED; a challenge is used once", t_wrong_password, 0, 2,
	  "login" },
	{ "replay", "every LOGIN gets a fresh nonce; a recorded PROOF fails",
	  t_replay, 0, 1, "login" },
	{ "quote_names", "users named o'brien and friends register and log "
	  "in", t_quote_names, 0, 1, "login" },
	{ "injection", "SQL injection over the wire logs nobody in and "
	  "changes nothing", t_injection, 0, 2, "login" },
	{ "relay", "SAY is stored and relayed to the other logged-in "
	  "clients", t_relay, 0, 1, "login" },
	{ "many_clients", "many clients register, log in and chat at once",
	  t_many_clients, 30000, 1, "login" },
	{ "malformed", "malformed requests get a reason token, not a crash",
	  t_malformed, 0, 1, "login" },
	{ "stop", "stop_fd stops the server promptly, leaving no thread or "
	  "descriptor", t_stop, 0, 2, "login" },
	{ "db_busy", "a locked database is waited on, then AC_BUSY, never a "
	  "hang", t_db_busy, 15000, 1, "db_users" },
	{ "busy_server", "a locked database gives ERR BUSY and loses nothing",
	  t_busy_server, 15000, 1, "login" },
	{ 0 }
};

KATA_GRADER(.kata = "auth_chat",
	    .title = "An authenticated chat server on sqlite3",
	    .topic = "challenge-response login, salted hashes, injectable "
		     "SQL (认证聊天室, SQL 注入)",
	    .order = 35,
	    .tests = tests);
