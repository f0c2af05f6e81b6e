/*
 * auth_chat.c: your database layer and chat server (see README.md and
 * auth_chat.h for the whole contract).
 *
 * Entry points: ac_db_open, ac_db_add_user, ac_db_get_user,
 * ac_db_add_message, ac_db_close, ac_serve.  Given to you: SHA-256 and the
 * protocol's hashes and random hex in sha256.c, frames and status names in
 * katas/common/frames.c (ac_frame_send, ac_frame_recv, ac_status_name).
 */
#define _GNU_SOURCE
#include "auth_chat.h"

#include <errno.h>

#include <kata/plugin.h>

KATA_PLUGIN("auth_chat");

int ac_db_open(const char *path, sqlite3 **out)
{
	/*
	 * TODO: sqlite3_open_v2(path, ...) with READWRITE | CREATE, then
	 * sqlite3_busy_timeout(db, AC_BUSY_MS), then run AC_SCHEMA.  On any
	 * failure close the handle and return AC_BUSY or AC_DB_ERROR.
	 */
	(void)path;
	(void)out;
	return AC_DB_ERROR;
}

int ac_db_add_user(sqlite3 *db, const char *name, const char *password)
{
	/*
	 * TODO: a fresh salt (ac_random_hex), hash = ac_password_hash(salt,
	 * password), then INSERT with sqlite3_prepare_v2 and ?1 ?2 ?3 bound
	 * by sqlite3_bind_text: never format name into the SQL text.
	 */
	(void)db;
	(void)name;
	(void)password;
	return AC_DB_ERROR;
}

int ac_db_get_user(sqlite3 *db, const char *name, char *salt, char *hash)
{
	/* TODO: SELECT salt, hash FROM users WHERE name = ?1 (bound). */
	(void)db;
	(void)name;
	(void)salt;
	(void)hash;
	return AC_DB_ERROR;
}

int ac_db_add_message(sqlite3 *db, const char *name, const char *text)
{
	/* TODO: INSERT INTO messages(name, text) VALUES(?1, ?2), bound. */
	(void)db;
	(void)name;
	(void)text;
	return AC_DB_ERROR;
}

void ac_db_close(sqlite3 *db)
{
	/* TODO: sqlite3_close(db). */
	(void)db;
}

int ac_serve(int listen_fd, const char *db_path, int stop_fd)
{
	/*
	 * TODO: open the database; loop on poll() over listen_fd and stop_fd;
	 * serve each client in its own thread (REGISTER, LOGIN, PROOF, SAY,
	 * QUIT; relay SAYs to the other logged-in clients).  When stop_fd is
	 * readable, end every connection, join every thread, close the
	 * database and return 0.
	 */
	(void)listen_fd;
	(void)db_path;
	(void)stop_fd;
	return -ENOSYS;
}
