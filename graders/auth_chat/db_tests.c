/*
 * db_tests.c: the auth_chat grader's tests of the learner's database layer
 * (ac_db_open, ac_db_add_user, ac_db_get_user, ac_db_add_message), each
 * reading the file back through the grader's own connection (db.c):
 * schema, salted hashes, names with quotes, injection as data, a lock.
 *
 * Entry points: the t_db_* test functions and the quoted[] names, listed
 * in the table of graders/auth_chat.c.
 */
#define _GNU_SOURCE
#include "auth_chat_grader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thread.h"
#include "timing.h"

/* Names a string-formatted query breaks on, or is steered by. */
const char *const quoted[] = { "o'brien", "\"dq\"", "it''s",
	"back\\slash", "semi;colon--", "100%s%n", "a'b\"c`d", NULL };

/* ---- the database layer -------------------------------------------------- */

/* The token of a status, from the header's list (not the learner's .so) */
static const char *token(int st)
{
	static const char *const t[] = AC_STATUS_TOKENS;

	return st >= 0 && st < AC_NSTATUS ? t[st] : "not a status";
}

/* Fails unless status is want; names both by token. */
static void expect_st(struct kata_ctx *k, const char *what, int got, int want)
{
	if (got != want)
		kata_fail(k, "%s: expected %s, got %s (%d)", what,
			  token(want), token(got), got);
}

/* Opens tmp/<name> with the learner's ac_db_open; fails unless AC_OK. */
static sqlite3 *open_db(struct kata_ctx *k, const char *name, char *path)
{
	sqlite3 *db = NULL;
	int r;

	tmp_path(k, name, path);
	r = KATA_SYM(k, ac_db_open)(path, &db);
	if (r != AC_OK)
		kata_fail(k, "ac_db_open of a new file in a writable directory: "
			  "expected OK, got %s (%d)%s", token(r), r,
			  r != AC_DB_ERROR ? "" : " (still the stub? open it "
			  "with sqlite3_open_v2 and SQLITE_OPEN_READWRITE | "
			  "SQLITE_OPEN_CREATE, then run AC_SCHEMA)");
	KATA_REQUIRE(k, db, "ac_db_open returned AC_OK and no connection");
	return db;
}

void t_db_open(struct kata_ctx *k)
{
	char path[PATH_MAX], before[DUMP_CAP], after[DUMP_CAP];
	sqlite3 *db, *g;

	kata_concept(k, "ac_db_open creates the tables of AC_SCHEMA when they "
		     "are missing and keeps every row that is already there");
	db = open_db(k, "open.db", path);
	KATA_SYM(k, ac_db_close)(db);
	kata_expect_int(k, "rows in users of a new database",
			gdb_count(k, path, "users"), 0);
	kata_expect_int(k, "rows in messages of a new database",
			gdb_count(k, path, "messages"), 0);
	g = gdb_open(k, path);
	gdb_seed(k, g, "carol", "pw");
	sqlite3_close(g);
	gdb_users(k, path, before);
	expect_st(k, "ac_db_open of an existing database",
		  KATA_SYM(k, ac_db_open)(path, &db), AC_OK);
	KATA_SYM(k, ac_db_close)(db);
	gdb_users(k, path, after);
	KATA_REQUIRE(k, !strcmp(before, after), "users after reopening: "
		     "expected %s, got %s", before, after);
	tmp_path(k, "no/such/dir.db", path);
	expect_st(k, "ac_db_open in a missing directory",
		  KATA_SYM(k, ac_db_open)(path, &db), AC_DB_ERROR);
}

void t_db_users(struct kata_ctx *k)
{
	char path[PATH_MAX], salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1];
	char s2[SALT_HEX + 1] = "", h2[AC_HEX_LEN + 1] = "";
	sqlite3 *db;

	kata_concept(k, "a users row holds a random salt and "
		     "ac_password_hash(salt, password), and a name is found "
		     "by exact match");
	db = open_db(k, "users.db", path);
	expect_st(k, "ac_db_add_user alice", KATA_SYM(k, ac_db_add_user)(db,
		  "alice", "correct horse"), AC_OK);
	gdb_check_row(k, path, "alice", "correct horse");
	gdb_user(k, path, "alice", salt, hash);
	expect_st(k, "ac_db_get_user alice", KATA_SYM(k, ac_db_get_user)(db,
		  "alice", s2, h2), AC_OK);
	KATA_REQUIRE(k, !strcmp(s2, salt) && !strcmp(h2, hash),
		     "ac_db_get_user alice: expected salt %s hash %s, got %s "
		     "and %s", salt, hash, s2, h2);
	expect_st(k, "ac_db_add_user alice again", KATA_SYM(k, ac_db_add_user)
		  (db, "alice", "other"), AC_TAKEN);
	gdb_check_row(k, path, "alice", "correct horse");
	expect_st(k, "ac_db_get_user bob (never added)",
		  KATA_SYM(k, ac_db_get_user)(db, "bob", s2, h2),
		  AC_NO_SUCH_USER);
	expect_st(k, "ac_db_get_user Alice (names are case-sensitive)",
		  KATA_SYM(k, ac_db_get_user)(db, "Alice", s2, h2),
		  AC_NO_SUCH_USER);
	KATA_SYM(k, ac_db_close)(db);
}

void t_db_salt(struct kata_ctx *k)
{
	int n = (int)kata_param(k, "users", 40, 8);
	char path[PATH_MAX], name[32];
	char salts[64][SALT_HEX + 1], hash[AC_HEX_LEN + 1];
	sqlite3 *db;

	n = n < 2 ? 2 : n > 64 ? 64 : n;
	kata_concept(k, "a salt per user: the same password gives every user "
		     "a different hash, so one precomputed table cracks none");
	db = open_db(k, "salt.db", path);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user%02d", i);
		expect_st(k, "ac_db_add_user", KATA_SYM(k, ac_db_add_user)(db,
			  name, "Aa123456"), AC_OK);
	}
	KATA_SYM(k, ac_db_close)(db);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "user%02d", i);
		gdb_check_row(k, path, name, "Aa123456");
		gdb_user(k, path, name, salts[i], hash);
		for (int j = 0; j < i; j++)
			KATA_REQUIRE(k, strcmp(salts[i], salts[j]), "salts "
				     "of user%02d and user%02d: expected "
				     "different ones, got %s for both", j, i,
				     salts[i]);
	}
	gdb_never_in_file(k, path, "Aa123456", "after adding users");
}

void t_db_quotes(struct kata_ctx *k)
{
	char path[PATH_MAX], s[SALT_HEX + 1], h[AC_HEX_LEN + 1], got[DUMP_CAP];
	const char *text = "it's 'quoted', \"twice\"; -- and 100%s";
	char want[DUMP_CAP];
	sqlite3 *db;

	kata_concept(k, "values go to sqlite3 as bound parameters "
		     "(sqlite3_bind_text), never pasted into the SQL text: a "
		     "quote in a name is just a character");
	db = open_db(k, "quotes.db", path);
	for (int i = 0; quoted[i]; i++) {
		snprintf(want, sizeof(want), "ac_db_add_user %s",
			 cli_show(quoted[i], strlen(quoted[i])));
		expect_st(k, want, KATA_SYM(k, ac_db_add_user)(db, quoted[i],
			  "pw'1"), AC_OK);
		snprintf(want, sizeof(want), "ac_db_get_user %s",
			 cli_show(quoted[i], strlen(quoted[i])));
		expect_st(k, want, KATA_SYM(k, ac_db_get_user)(db, quoted[i],
			  s, h), AC_OK);
		gdb_check_row(k, path, quoted[i], "pw'1");
	}
	expect_st(k, "ac_db_add_message with quotes in the text",
		  KATA_SYM(k, ac_db_add_message)(db, "o'brien", text), AC_OK);
	KATA_SYM(k, ac_db_close)(db);
	gdb_messages(k, path, got);
	snprintf(want, sizeof(want), "o'brien|%s\n", text);
	KATA_REQUIRE(k, !strcmp(got, want), "messages: expected %s, got %s",
		     cli_show(want, strlen(want)), cli_show(got, strlen(got)));
}

void t_db_injection(struct kata_ctx *k)
{
	static const char *const probes[] = { "' OR '1'='1", "alice'--",
		"x' OR name LIKE '%", "' UNION SELECT salt, hash FROM users--",
		"\" OR \"1\"=\"1", "alice\"--", NULL };
	static const char *const drop = "x',0,0);DROP TABLE users;--";
	char path[PATH_MAX], s[SALT_HEX + 1], h[AC_HEX_LEN + 1], what[200];
	char before[DUMP_CAP], after[DUMP_CAP];
	sqlite3 *db, *g;

	kata_concept(k, "the seed's f'...username=\"{username}\"' lets the "
		     "input rewrite the query: ' OR '1'='1 matches every row, "
		     "'); DROP TABLE ends it and starts another");
	tmp_path(k, "inject.db", path);
	g = gdb_open(k, path);
	gdb_seed(k, g, "alice", "Aa123456");
	gdb_seed(k, g, "bob", "Aa123456");
	sqlite3_close(g);
	gdb_users(k, path, before);
	db = open_db(k, "inject.db", path);
	for (int i = 0; probes[i]; i++) {
		snprintf(what, sizeof(what), "ac_db_get_user %s (no such "
			 "user)", cli_show(probes[i], strlen(probes[i])));
		expect_st(k, what, KATA_SYM(k, ac_db_get_user)(db, probes[i],
			  s, h), AC_NO_SUCH_USER);
	}
	snprintf(what, sizeof(what), "ac_db_add_user %s",
		 cli_show(drop, strlen(drop)));
	expect_st(k, what, KATA_SYM(k, ac_db_add_user)(db, drop, "pw"), AC_OK);
	expect_st(k, "ac_db_add_message \"'); DROP TABLE messages;--\"",
		  KATA_SYM(k, ac_db_add_message)(db, "bob",
		  "'); DROP TABLE messages;--"), AC_OK);
	KATA_SYM(k, ac_db_close)(db);
	gdb_check_row(k, path, drop, "pw");
	kata_expect_int(k, "rows in messages", gdb_count(k, path, "messages"),
			1);
	gdb_users(k, path, after);
	KATA_REQUIRE(k, !strncmp(after, before, strlen(before)) &&
		     gdb_count(k, path, "users") == 3, "users after the "
		     "attempts: expected alice and bob unchanged and the new "
		     "user, got %s", cli_show(after, strlen(after)));
}

/* Runs ac_db_add_user in a grader thread (to bound a hang). */
struct adder {
	struct kata_ctx *k;
	sqlite3 *db;
	const char *name;
	int r;
	double ms;
};

static void *adder_main(void *arg)
{
	struct adder *a = arg;
	uint64_t t0 = timing_now_ns();

	a->r = KATA_SYM(a->k, ac_db_add_user)(a->db, a->name, "pw");
	a->ms = timing_ms_since(t0);
	return NULL;
}

/* ac_db_add_user of name in a thread; fails if it takes past limit_ms. */
static int add_bounded(struct kata_ctx *k, sqlite3 *db, const char *name,
		       int limit_ms, double *ms)
{
	struct adder a = { k, db, name, -1, 0 };
	pthread_t t;

	if (thread_start(&t, "adder", adder_main, &a) < 0)
		kata_fail(k, "cannot start a thread");
	if (thread_join_timeout(t, limit_ms, NULL) < 0)
		kata_fail(k, "ac_db_add_user %s on a locked database: still "
			  "waiting after %d ms; expected AC_BUSY once "
			  "AC_BUSY_MS (%d ms) have passed", name, limit_ms,
			  AC_BUSY_MS);
	*ms = a.ms;
	return a.r;
}

void t_db_busy(struct kata_ctx *k)
{
	int limit = MS(k, 4 * AC_BUSY_MS) + 2000;
	char path[PATH_MAX], s[SALT_HEX + 1], h[AC_HEX_LEN + 1];
	sqlite3 *db, *g;
	pthread_t t;
	double ms;

	kata_concept(k, "another connection may hold the database: wait up "
		     "to a limit (sqlite3_busy_timeout, AC_BUSY_MS), then "
		     "answer AC_BUSY having changed nothing; never hang");
	db = open_db(k, "busy.db", path);
	g = gdb_lock(k, path);
	gdb_unlock_after(k, g, AC_BUSY_MS / 5, &t);
	expect_st(k, "ac_db_add_user dave while the grader held an exclusive "
		  "lock for AC_BUSY_MS / 5 (then released it)",
		  add_bounded(k, db, "dave", limit, &ms), AC_OK);
	thread_join_timeout(t, limit, NULL);
	kata_note(k, "ac_db_add_user waited %.0f ms for a %d ms lock", ms,
		  AC_BUSY_MS / 5);
	g = gdb_lock(k, path);
	expect_st(k, "ac_db_add_user erin while the grader kept an exclusive "
		  "lock", add_bounded(k, db, "erin", limit, &ms), AC_BUSY);
	kata_note(k, "ac_db_add_user gave up after %.0f ms", ms);
	gdb_unlock(k, g);
	expect_st(k, "ac_db_add_user erin once the lock was released",
		  KATA_SYM(k, ac_db_add_user)(db, "erin", "pw"), AC_OK);
	expect_st(k, "ac_db_get_user dave", KATA_SYM(k, ac_db_get_user)(db,
		  "dave", s, h), AC_OK);
	KATA_SYM(k, ac_db_close)(db);
	kata_expect_int(k, "rows in users", gdb_count(k, path, "users"), 2);
}

