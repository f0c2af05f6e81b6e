/*
 * auth_chat_grader.h: private to the auth_chat grader (graders/auth_chat.c
 * and the files in graders/auth_chat/), not part of any API.
 *
 * client.c (cli_*, srv_*): the learner's ac_serve in a thread, and a
 * grader-side client speaking the protocol byte for byte.  db.c (gdb_*):
 * the grader's own sqlite3 connection to the same file: seeding users,
 * reading rows back, holding the database locked, scanning its bytes.
 * db_tests.c: the tests of the learner's database layer (t_db_*).
 * input.c: the test of malformed requests over the wire (t_malformed).
 * sha.c: the shipped SHA-256 compiled into the grader with hidden symbols,
 * so the grader computes hashes and proofs without the learner's .so.
 */
#ifndef AUTH_CHAT_GRADER_H
#define AUTH_CHAT_GRADER_H

#include "auth_chat.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <kata/grader.h>

#define WAIT_MS 5000		/* for one reply; scaled */
#define DUMP_CAP 16384		/* bytes of a table dump */
#define SALT_HEX (2 * AC_SALT_BYTES)
#define NONCE_HEX (2 * AC_NONCE_BYTES)
#define MS(k, ms) ((int)((ms) * kata_scale(k)))

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* The learner's server in a thread (srv_start). */
struct srv {
	struct kata_ctx *k;
	int (*serve)(int listen_fd, const char *db_path, int stop_fd);
	atomic_bool stopping;
	int lfd, stop[2], result;
	uint16_t port;
	pthread_t t;
	char db[PATH_MAX];
};

/* A CHALLENGE as received. */
struct chal {
	char salt[SALT_HEX + 1], nonce[NONCE_HEX + 1];
};

/* ---- client.c ------------------------------------------------------------ */

/* tmp/<name>: the path of a file in the test's directory, in out. */
void tmp_path(struct kata_ctx *k, const char *name, char *out);

/* Starts ac_serve in a thread on the database file tmp/chat.db. */
void srv_start(struct kata_ctx *k, struct srv *s);

/* Makes stop_fd readable; fails unless ac_serve returns 0 within ms. */
void srv_stop(struct kata_ctx *k, struct srv *s, int ms);

/* A new connection to the server (TCP_NODELAY). */
int cli_dial(struct kata_ctx *k, struct srv *s);

/* Sends one frame of n bytes (any bytes). */
void cli_send(struct kata_ctx *k, int fd, const void *p, size_t n);

/* Sends one frame made by printf. */
void cli_sendf(struct kata_ctx *k, int fd, const char *fmt, ...)
	KATA_PRINTF(3, 4);

/*
 * Receives one frame into buf (AC_MAX_FRAME + 1 bytes, NUL-ended) within
 * ms: its length, -ENODATA at a clean close, -ECONNRESET, -ETIMEDOUT.
 */
ssize_t cli_recv(int fd, char *buf, int ms);

/* p[0..n) quoted for a message (4 rotating buffers per thread). */
const char *cli_show(const char *p, size_t n);

/* Fails unless the next frame within ms is exactly want. */
void cli_expect_ms(struct kata_ctx *k, int fd, const char *what,
		   const char *want, int ms);

/* cli_expect_ms with WAIT_MS. */
void cli_expect(struct kata_ctx *k, int fd, const char *what,
		const char *want);

/* Sends req (a string) and expects the reply want. */
void cli_ask(struct kata_ctx *k, int fd, const char *req, const char *want);

/* Fails unless nothing arrives on fd within ms (a stray relay). */
void cli_expect_quiet(struct kata_ctx *k, int fd, const char *what, int ms);

/* Fails unless the server has closed fd (within WAIT_MS). */
void cli_expect_closed(struct kata_ctx *k, int fd, const char *what);

/* LOGIN name: fails unless the reply is a well-formed CHALLENGE. */
void cli_challenge(struct kata_ctx *k, int fd, const char *name,
		   struct chal *c);

/* The PROOF for a challenge and a password, in out (AC_HEX_LEN + 1). */
void cli_proof_of(const struct chal *c, const char *pw, char *out);

/* LOGIN and PROOF with pw; expects OK. */
void cli_login(struct kata_ctx *k, int fd, const char *name, const char *pw);

/* Reads frames until want, skipping up to max relays ("FROM user..."). */
void cli_until(struct kata_ctx *k, int fd, const char *what,
	       const char *want, int max);

/* A new connection that REGISTERs name and logs in. */
int cli_user(struct kata_ctx *k, struct srv *s, const char *name,
	     const char *pw);

/* ---- db.c ---------------------------------------------------------------- */

/* The grader's connection to path (busy timeout 5 s), schema created. */
sqlite3 *gdb_open(struct kata_ctx *k, const char *path);

/* Adds a user the way the header says, with a random salt. */
void gdb_seed(struct kata_ctx *k, sqlite3 *db, const char *name,
	      const char *pw);

/* Every users row as "name|salt|hash\n", sorted by name, into out. */
void gdb_users(struct kata_ctx *k, const char *path, char *out);

/* Every messages row as "name|text\n", in id order, into out. */
void gdb_messages(struct kata_ctx *k, const char *path, char *out);

/* The salt and hash of name from the file (fails when missing). */
void gdb_user(struct kata_ctx *k, const char *path, const char *name,
	      char *salt, char *hash);

/* The number of rows of table (fails when the table is gone). */
int gdb_count(struct kata_ctx *k, const char *path, const char *table);

/* Checks one users row: lowercase hex salt, hash matching pw. */
void gdb_check_row(struct kata_ctx *k, const char *path, const char *name,
		   const char *pw);

/* Fails if the bytes of s appear in the file at path or its journal. */
void gdb_never_in_file(struct kata_ctx *k, const char *path, const char *s,
		       const char *what);

/* Takes an exclusive lock on the database; gdb_unlock releases it. */
sqlite3 *gdb_lock(struct kata_ctx *k, const char *path);
void gdb_unlock(struct kata_ctx *k, sqlite3 *db);

/* Releases the lock from a grader thread after ms milliseconds. */
void gdb_unlock_after(struct kata_ctx *k, sqlite3 *db, int ms,
		      pthread_t *t);

/* ---- db_tests.c ---------------------------------------------------------- */

/* Names a string-formatted query breaks on or is steered by (NULL-ended) */
extern const char *const quoted[];

void t_db_open(struct kata_ctx *k);
void t_db_users(struct kata_ctx *k);
void t_db_salt(struct kata_ctx *k);
void t_db_quotes(struct kata_ctx *k);
void t_db_injection(struct kata_ctx *k);
void t_db_busy(struct kata_ctx *k);

/* ---- input.c ------------------------------------------------------------- */

void t_malformed(struct kata_ctx *k);

#pragma GCC visibility pop

#endif
