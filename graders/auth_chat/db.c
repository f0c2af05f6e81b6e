/*
 * db.c: the auth_chat grader's own sqlite3 connections to the learner's
 * database file: seeding users as the header defines them, reading rows
 * back to compare, holding an exclusive lock, and scanning the raw bytes
 * of the file for a password that must never be there.
 *
 * Entry points: the gdb_* functions (see auth_chat_grader.h).
 */
#define _GNU_SOURCE
#include "auth_chat_grader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thread.h"
#include "timing.h"

sqlite3 *gdb_open(struct kata_ctx *k, const char *path)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, AC_SCHEMA, NULL, NULL, &err) != SQLITE_OK)
		kata_fail(k, "grader cannot open %s: %s", path,
			  err ? err : sqlite3_errmsg(db));
	return db;
}

/* Runs sql with up to 3 bound strings; fails the test on an error. */
static void exec3(struct kata_ctx *k, sqlite3 *db, const char *sql,
		  const char *a, const char *b, const char *c)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, c, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		kata_fail(k, "grader's %s: %s", sql, sqlite3_errmsg(db));
}

void gdb_seed(struct kata_ctx *k, sqlite3 *db, const char *name,
	      const char *pw)
{
	char salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1];

	if (ac_random_hex(salt, AC_SALT_BYTES) < 0)
		kata_fail(k, "grader cannot get random bytes");
	ac_password_hash(salt, pw, hash);
	exec3(k, db, "INSERT INTO users(name, salt, hash) VALUES(?1, ?2, ?3)",
	      name, salt, hash);
}

/* Opens path read-only for a look (no schema changes). */
static sqlite3 *open_ro(struct kata_ctx *k, const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		kata_fail(k, "grader cannot open the database %s: %s", path,
			  sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* Runs a query; each row's columns joined with '|' and a '\n', into out. */
static void dump(struct kata_ctx *k, const char *path, const char *table,
		 const char *sql, char *out)
{
	sqlite3 *db = open_ro(k, path);
	sqlite3_stmt *st = NULL;
	size_t at = 0;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		kata_fail(k, "the %s table of the database: expected it with "
			  "the columns of AC_SCHEMA, got %s", table,
			  sqlite3_errmsg(db));
	out[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			at += (size_t)snprintf(out + at, DUMP_CAP - at, "%s%s",
					       i ? "|" : "",
					       t ? (const char *)t : "NULL");
			if (at >= DUMP_CAP - 2)
				kata_fail(k, "the %s table: too many rows",
					  table);
		}
		out[at++] = '\n';
		out[at] = '\0';
	}
	if (rc != SQLITE_DONE)
		kata_fail(k, "reading the %s table: %s", table,
			  sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

void gdb_users(struct kata_ctx *k, const char *path, char *out)
{
	dump(k, path, "users", "SELECT name, salt, hash FROM users "
	     "ORDER BY name", out);
}

void gdb_messages(struct kata_ctx *k, const char *path, char *out)
{
	dump(k, path, "messages", "SELECT name, text FROM messages "
	     "ORDER BY id", out);
}

int gdb_count(struct kata_ctx *k, const char *path, const char *table)
{
	char sql[100], out[DUMP_CAP];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	dump(k, path, table, sql, out);
	return atoi(out);
}

void gdb_user(struct kata_ctx *k, const char *path, const char *name,
	      char *salt, char *hash)
{
	sqlite3 *db = open_ro(k, path);
	sqlite3_stmt *st = NULL;
	const char *s, *h;

	if (sqlite3_prepare_v2(db, "SELECT salt, hash FROM users WHERE "
			       "name = ?1", -1, &st, NULL) != SQLITE_OK)
		kata_fail(k, "the users table of the database: expected it "
			  "with the columns of AC_SCHEMA, got %s",
			  sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		kata_fail(k, "the users table: expected a row named %s, got "
			  "none", cli_show(name, strlen(name)));
	s = (const char *)sqlite3_column_text(st, 0);
	h = (const char *)sqlite3_column_text(st, 1);
	snprintf(salt, SALT_HEX + 1, "%s", s ? s : "");
	snprintf(hash, AC_HEX_LEN + 1, "%s", h ? h : "");
	if (!s || !h || strlen(s) != SALT_HEX || strlen(h) != AC_HEX_LEN)
		kata_fail(k, "the row of %s: expected a salt of %u and a hash "
			  "of %u hex digits, got %s and %s",
			  cli_show(name, strlen(name)), SALT_HEX, AC_HEX_LEN,
			  s ? cli_show(s, strlen(s)) : "NULL",
			  h ? cli_show(h, strlen(h)) : "NULL");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

void gdb_check_row(struct kata_ctx *k, const char *path, const char *name,
		   const char *pw)
{
	char salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1], want[AC_HEX_LEN + 1];

	gdb_user(k, path, name, salt, hash);
	for (size_t i = 0; i < SALT_HEX; i++)
		if (!strchr("0123456789abcdef", salt[i]))
			kata_fail(k, "the salt of %s: expected lowercase hex "
				  "(ac_random_hex), got \"%s\"", name, salt);
	ac_password_hash(salt, pw, want);
	if (strcmp(hash, want))
		kata_fail(k, "the hash of %s: expected ac_password_hash(salt, "
			  "password) = %s, got %s", name, want, hash);
}

/* Does the file at path hold the bytes of s?  A missing file does not. */
static bool file_has(struct kata_ctx *k, const char *path, const char *s)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool found;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size)
		kata_fail(k, "grader cannot read %s", path);
	close(fd);
	found = memmem(buf, (size_t)st.st_size, s, strlen(s)) != NULL;
	free(buf);
	return found;
}

void gdb_never_in_file(struct kata_ctx *k, const char *path, const char *s,
		       const char *what)
{
	static const char *const ext[] = { "", "-journal", "-wal" };
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, ext[i]);
		if (file_has(k, p, s))
			kata_fail(k, "%s: the bytes of the password %s are in "
				  "the database file %s: store only the salted "
				  "hash", what, cli_show(s, strlen(s)), p);
	}
}

sqlite3 *gdb_lock(struct kata_ctx *k, const char *path)
{
	sqlite3 *db = gdb_open(k, path);
	char *err = NULL;

	if (sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, &err) !=
	    SQLITE_OK)
		kata_fail(k, "grader cannot lock the database: %s (a statement "
			  "left unfinished keeps it locked: sqlite3_finalize "
			  "or sqlite3_reset every one)", err);
	return db;
}

void gdb_unlock(struct kata_ctx *k, sqlite3 *db)
{
	if (sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		kata_fail(k, "grader cannot unlock the database: %s",
			  sqlite3_errmsg(db));
	sqlite3_close(db);
}

struct unlocker {
	struct kata_ctx *k;
	sqlite3 *db;
	int ms;
};

static void *unlock_main(void *arg)
{
	struct unlocker *u = arg;

	timing_sleep_ms((unsigned)u->ms);
	gdb_unlock(u->k, u->db);
	free(u);
	return NULL;
}

void gdb_unlock_after(struct kata_ctx *k, sqlite3 *db, int ms, pthread_t *t)
{
	struct unlocker *u = malloc(sizeof(*u));

	if (!u)
		kata_fail(k, "out of memory");
	*u = (struct unlocker){ k, db, ms };
	if (thread_start(t, "unlock", unlock_main, u) < 0)
		kata_fail(k, "cannot start the unlocking thread");
}
