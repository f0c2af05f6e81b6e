/*
 * auth_chat.h: an authenticated chat server over length-prefixed TCP
 * frames, its users in a sqlite3 database.  Do not edit: the grader relies
 * on every value below.
 *
 * Entry points you write (auth_chat.c): the database layer ac_db_open,
 * ac_db_add_user, ac_db_get_user, ac_db_add_message, ac_db_close, and the
 * server ac_serve.  Given to you (sha256.c, and katas/common/frames.c
 * wrapped below): SHA-256 and the two hashes of the protocol, random hex,
 * frames, status names.
 *
 * ---- Wire format -----------------------------------------------------
 *
 * Every message is one frame: a 4-byte big-endian payload length, then that
 * many bytes (at most AC_MAX_FRAME).  A payload is text without a newline
 * or NUL terminator; its tokens are separated by one space.
 *
 *   request                  reply
 *   REGISTER <name> <pw>     OK | ERR <reason>
 *   LOGIN <name>             CHALLENGE <salt> <nonce> | ERR <reason>
 *   PROOF <proof>            OK | ERR <reason>
 *   SAY <text>               OK | ERR <reason>
 *   QUIT                     OK, then the server closes the connection
 *
 * <name> runs to the next space; <pw> and <text> are every byte after their
 * command's space(s), and may hold spaces; <proof> is every byte after
 * "PROOF ".  A reply is "OK", "CHALLENGE ...", or "ERR " and one reason
 * token from AC_STATUS_TOKENS.  Besides replies, a logged-in client receives
 * "FROM <name> <text>" whenever another logged-in client SAYs <text>.
 *
 * ---- Rules -----------------------------------------------------------
 *
 * Names: 1..AC_MAX_NAME bytes, each 0x21..0x7e (printable ASCII, no space).
 * Quotes, backslashes, semicolons, dashes are ordinary characters: o'brien is
 * a good name.  Else BAD_NAME.  Names are case-sensitive.
 * Passwords: 1..AC_MAX_PASSWORD bytes, each 0x20..0x7e.  Else BAD_PASSWORD.
 * Texts: 1..AC_MAX_TEXT bytes, none below 0x20 and none 0x7f (UTF-8 is
 * fine).  Else BAD_REQUEST.
 *
 * Checked in this order: the command (unknown, missing arguments, an empty
 * frame: BAD_REQUEST), then the state (PROOF without a pending challenge,
 * LOGIN when logged in, SAY when not logged in: BAD_STATE), then the name,
 * then the password or text, then the database.
 *
 * REGISTER: a taken name is TAKEN.  The server makes a fresh random salt for
 * every user (ac_random_hex, AC_SALT_BYTES) and stores only
 * hash = ac_password_hash(salt, pw): never the password itself.
 * LOGIN: an unknown name is NO_SUCH_USER.  Otherwise the server makes a
 * fresh random nonce (AC_NONCE_BYTES) for this LOGIN, never reused, and
 * answers "CHALLENGE <salt> <nonce>" (the user's stored salt).
 * PROOF: the client answers ac_proof(nonce, ac_password_hash(salt, pw)).
 * The server compares it with its own ac_proof(nonce, stored hash): the
 * whole AC_HEX_LEN-character string must match, else DENIED.  A challenge
 * is used once: after any PROOF, a new LOGIN is needed before the next.
 * SAY: stores (name, text) in messages first; if that fails the reply is
 * BUSY or DB_ERROR and nothing is relayed.  Otherwise "FROM <name> <text>"
 * goes to every other logged-in connection, then OK to the sender: when the
 * sender reads OK, every relay has been sent.
 *
 * Database: a locked database (another connection holds a write or an
 * exclusive transaction) is waited on for up to AC_BUSY_MS
 * (sqlite3_busy_timeout), then the request is answered BUSY and has changed
 * nothing.  Any other database failure is DB_ERROR.
 *
 * Frames: an announced length over AC_MAX_FRAME is answered "ERR TOO_BIG"
 * and that connection is closed (the stream cannot be resynchronised).
 */
#ifndef AUTH_CHAT_H
#define AUTH_CHAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "frames.h"

#define AC_MAX_FRAME	4096u	/* bytes of payload in one frame */
#define AC_MAX_NAME	32u	/* bytes in a name */
#define AC_MAX_PASSWORD	64u	/* bytes in a password */
#define AC_MAX_TEXT	1000u	/* bytes in a SAY text */
#define AC_SALT_BYTES	16u	/* random bytes in a salt (32 hex digits) */
#define AC_NONCE_BYTES	16u	/* random bytes in a nonce (32 hex digits) */
#define AC_HEX_LEN	64u	/* hex digits of a SHA-256 (hash, proof) */
#define AC_BUSY_MS	250	/* wait on a locked database, milliseconds */

/*
 * The database schema, created by ac_db_open when missing (the grader may
 * create the file first with exactly these statements).  salt and hash are
 * lowercase hex text.
 */
#define AC_SCHEMA \
	"CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, " \
	"salt TEXT NOT NULL, hash TEXT NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, " \
	"name TEXT NOT NULL, text TEXT NOT NULL);"

/* Results of the database layer, and the reason tokens after "ERR ". */
enum ac_status {
	AC_OK = 0,		/* "OK" */
	AC_BAD_REQUEST,		/* "BAD_REQUEST": malformed request */
	AC_BAD_NAME,		/* "BAD_NAME": name breaks the rules */
	AC_BAD_PASSWORD,	/* "BAD_PASSWORD": password breaks the rules */
	AC_TAKEN,		/* "TAKEN": REGISTER of an existing name */
	AC_NO_SUCH_USER,	/* "NO_SUCH_USER": LOGIN of an unknown name */
	AC_DENIED,		/* "DENIED": wrong proof */
	AC_BAD_STATE,		/* "BAD_STATE": not now (see "Rules") */
	AC_BUSY,		/* "BUSY": database locked past AC_BUSY_MS */
	AC_TOO_BIG,		/* "TOO_BIG": frame over AC_MAX_FRAME */
	AC_DB_ERROR,		/* "DB_ERROR": any other database failure */
	AC_NSTATUS
};

#define AC_STATUS_TOKENS { "OK", "BAD_REQUEST", "BAD_NAME", \
	"BAD_PASSWORD", "TAKEN", "NO_SUCH_USER", "DENIED", "BAD_STATE", \
	"BUSY", "TOO_BIG", "DB_ERROR" }

/* ---- given: sha256.c ----------------------------------------------------- */

struct ac_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];
	size_t fill;		/* bytes waiting in buf */
};

void ac_sha256_init(struct ac_sha256 *c);
void ac_sha256_update(struct ac_sha256 *c, const void *p, size_t n);
void ac_sha256_final(struct ac_sha256 *c, unsigned char out[32]);

/* Writes n bytes as 2n lowercase hex digits and a NUL into out. */
void ac_hex(const unsigned char *p, size_t n, char *out);

/*
 * out (AC_HEX_LEN + 1 bytes) = hex(SHA-256(salt || password)): the salt's
 * hex text followed by the password's bytes.  What users.hash holds.
 */
void ac_password_hash(const char *salt, const char *password, char *out);

/* out (AC_HEX_LEN + 1 bytes) = hex(SHA-256(nonce || hash)): a PROOF. */
void ac_proof(const char *nonce, const char *hash, char *out);

/*
 * Writes n random bytes (getrandom) as 2n hex digits and a NUL into out.
 * Returns 0 or -errno.
 */
int ac_random_hex(char *out, size_t n);

/* ---- given: katas/common/frames.c (frames.h) ----------------------------- */

/*
 * Sends one frame (MSG_NOSIGNAL, short writes and EINTR retried).  Returns
 * 0, -EMSGSIZE when len > AC_MAX_FRAME (nothing sent), or -errno.
 */
static inline int ac_frame_send(int fd, const void *buf, size_t len)
{
	return frames_send(fd, buf, len, AC_MAX_FRAME);
}

/*
 * Receives one whole frame into buf (cap bytes).  Returns its length, or
 * -ENODATA (clean close between frames), -ECONNRESET (close mid-frame),
 * -EMSGSIZE (length over cap or AC_MAX_FRAME; payload left unread), -errno.
 */
static inline ssize_t ac_frame_recv(int fd, void *buf, size_t cap)
{
	return frames_recv(fd, buf, cap, AC_MAX_FRAME);
}

/* The token of a status ("NO_SUCH_USER"), or "?" (a static string). */
static inline const char *ac_status_name(int status)
{
	static const char *const tokens[] = AC_STATUS_TOKENS;

	return frames_token(tokens, AC_NSTATUS, status);
}

/* ---- yours: the database layer (auth_chat.c) ----------------------------- */

/*
 * Opens (creating if needed) the database file at path, sets its busy
 * timeout to AC_BUSY_MS, and creates the tables of AC_SCHEMA when missing.
 * Returns AC_OK and the connection in *out (the caller closes it with
 * ac_db_close), or AC_BUSY / AC_DB_ERROR and nothing to close.
 */
int ac_db_open(const char *path, sqlite3 **out);

/*
 * Adds a user with a fresh random salt and hash = ac_password_hash(salt,
 * password); never stores the password.  Stores name exactly as given
 * (checking names is the protocol's job).  Returns AC_OK, AC_TAKEN (the
 * name exists; nothing changed), AC_BUSY or AC_DB_ERROR.
 */
int ac_db_add_user(sqlite3 *db, const char *name, const char *password);

/*
 * Looks a user up by exact name.  On AC_OK, writes the salt (2 *
 * AC_SALT_BYTES + 1 bytes) and hash (AC_HEX_LEN + 1 bytes), NUL-ended.
 * Returns AC_OK, AC_NO_SUCH_USER, AC_BUSY or AC_DB_ERROR.
 */
int ac_db_get_user(sqlite3 *db, const char *name, char *salt, char *hash);

/* Appends (name, text) to messages.  AC_OK, AC_BUSY or AC_DB_ERROR. */
int ac_db_add_message(sqlite3 *db, const char *name, const char *text);

/* Closes a connection from ac_db_open.  NULL is a no-op. */
void ac_db_close(sqlite3 *db);

/* ---- yours: the server (auth_chat.c) ------------------------------------- */

/*
 * Serves the protocol above to every client that connects to listen_fd (a
 * listening TCP socket), many at once, with the database at db_path, until
 * stop_fd becomes readable.  Then it stops promptly: stops accepting, ends
 * every connection, joins every thread it started, closes the database and
 * every descriptor it opened, and returns 0.  Returns -EIO when the database
 * cannot be opened at the start.  listen_fd and stop_fd stay open and belong
 * to the caller.  A client that goes away must not kill the server
 * (SIGPIPE): ac_frame_send uses MSG_NOSIGNAL.
 */
int ac_serve(int listen_fd, const char *db_path, int stop_fd);

#endif
