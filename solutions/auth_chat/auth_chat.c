/*
 * auth_chat.c: reference solution of the auth_chat kata.
 *
 * Entry points: the database layer (ac_db_open, ac_db_add_user,
 * ac_db_get_user, ac_db_add_message, ac_db_close: every statement prepared
 * once per call with its values bound, never formatted into the SQL), and
 * ac_serve (a thread per connection sharing one database connection under
 * a mutex; the accepting thread polls the listener and the stop fd, and on
 * stop shuts every connection down and joins its thread).
 */
#define _GNU_SOURCE
#include "auth_chat.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <kata/plugin.h>

KATA_PLUGIN("auth_chat");

#define SALT_HEX (2 * AC_SALT_BYTES)
#define NONCE_HEX (2 * AC_NONCE_BYTES)

/* ---- the database layer -------------------------------------------------- */

/* A sqlite3 result code as a status. */
static int status_of(int rc)
{
	rc &= 0xff;
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return AC_OK;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return AC_BUSY;
	if (rc == SQLITE_CONSTRAINT)
		return AC_TAKEN;
	return AC_DB_ERROR;
}

/*
 * Prepares sql and binds the n strings of v to its parameters ?1..?n.
 * Returns a sqlite3 result code; *st is the statement (finalize it) or NULL.
 */
static int prepare(sqlite3 *db, const char *sql, const char *const *v,
		   int n, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	for (int i = 0; rc == SQLITE_OK && i < n; i++)
		rc = sqlite3_bind_text(*st, i + 1, v[i], -1, SQLITE_TRANSIENT);
	return rc;
}

/* Runs a statement that returns no rows: a status. */
static int run(sqlite3 *db, const char *sql, const char *const *v, int n)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, sql, v, n, &st);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return status_of(rc);
}

int ac_db_open(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
				 SQLITE_OPEN_CREATE, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, AC_BUSY_MS);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, AC_SCHEMA, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return status_of(rc) == AC_BUSY ? AC_BUSY : AC_DB_ERROR;
	}
	*out = db;
	return AC_OK;
}

int ac_db_add_user(sqlite3 *db, const char *name, const char *password)
{
	char salt[SALT_HEX + 1], hash[AC_HEX_LEN + 1];
	const char *v[3] = { name, salt, hash };

	if (ac_random_hex(salt, AC_SALT_BYTES) < 0)
		return AC_DB_ERROR;
	ac_password_hash(salt, password, hash);
	return run(db, "INSERT INTO users(name, salt, hash) VALUES(?1, ?2, ?3)",
		   v, 3);
}

/* Copies column i of st into out (cap bytes) if it is len hex digits. */
static bool take_hex(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	if (!t || (size_t)sqlite3_column_bytes(st, i) != len)
		return false;
	memcpy(out, t, len + 1);
	return true;
}

int ac_db_get_user(sqlite3 *db, const char *name, char *salt, char *hash)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare(db, "SELECT salt, hash FROM users WHERE name = ?1",
			 &name, 1, &st), r;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = take_hex(st, 0, salt, SALT_HEX) &&
		    take_hex(st, 1, hash, AC_HEX_LEN) ? AC_OK : AC_DB_ERROR;
	else if (rc == SQLITE_DONE)
		r = AC_NO_SUCH_USER;
	else
		r = status_of(rc) == AC_BUSY ? AC_BUSY : AC_DB_ERROR;
	sqlite3_finalize(st);
	return r;
}

int ac_db_add_message(sqlite3 *db, const char *name, const char *text)
{
	const char *v[2] = { name, text };
	int r = run(db, "INSERT INTO messages(name, text) VALUES(?1, ?2)",
		    v, 2);

	return r == AC_TAKEN ? AC_DB_ERROR : r;
}

void ac_db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

/* ---- the server ---------------------------------------------------------- */

struct server {
	sqlite3 *db;
	pthread_mutex_t db_mu;	/* one statement sequence at a time */
	pthread_mutex_t mu;	/* the list's links and every logged_in */
	struct conn *conns;
};

struct conn {
	struct conn *next;
	struct server *s;
	pthread_t thread;
	int fd;
	pthread_mutex_t wmu;	/* one frame at a time on fd */
	atomic_bool done;
	bool logged_in;		/* under s->mu */
	bool pending;		/* a challenge awaits its PROOF */
	char name[AC_MAX_NAME + 1];
	char nonce[NONCE_HEX + 1], hash[AC_HEX_LEN + 1];
};

static int send_frame(struct conn *c, const char *p, size_t n)
{
	int r;

	pthread_mutex_lock(&c->wmu);
	r = ac_frame_send(c->fd, p, n);
	pthread_mutex_unlock(&c->wmu);
	return r;
}

/* Replies "OK" or "ERR <token>": 0 or -errno. */
static int reply(struct conn *c, int status)
{
	char b[64];
	int n = status == AC_OK ? snprintf(b, sizeof(b), "OK")
		: snprintf(b, sizeof(b), "ERR %s", ac_status_name(status));

	return send_frame(c, b, (size_t)n);
}

static bool valid_name(const char *p, size_t n)
{
	if (n == 0 || n > AC_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

static bool valid_password(const char *p, size_t n)
{
	if (n == 0 || n > AC_MAX_PASSWORD)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

static bool valid_text(const char *p, size_t n)
{
	if (n == 0 || n > AC_MAX_TEXT)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

static int do_register(struct conn *c, const char *arg, size_t n)
{
	const char *sp = memchr(arg, ' ', n);
	char name[AC_MAX_NAME + 1], pw[AC_MAX_PASSWORD + 1];
	size_t nl = sp ? (size_t)(sp - arg) : 0, pl = n - nl - 1;
	int r;

	if (!sp)
		return reply(c, AC_BAD_REQUEST);
	if (!valid_name(arg, nl))
		return reply(c, AC_BAD_NAME);
	if (!valid_password(sp + 1, pl))
		return reply(c, AC_BAD_PASSWORD);
	memcpy(name, arg, nl);
	name[nl] = '\0';
	memcpy(pw, sp + 1, pl);
	pw[pl] = '\0';
	pthread_mutex_lock(&c->s->db_mu);
	r = ac_db_add_user(c->s->db, name, pw);
	pthread_mutex_unlock(&c->s->db_mu);
	return reply(c, r);
}

static int do_login(struct conn *c, const char *arg, size_t n)
{
	char b[128], salt[SALT_HEX + 1];
	int r;

	c->pending = false;
	if (c->logged_in)
		return reply(c, AC_BAD_STATE);
	if (!valid_name(arg, n))
		return reply(c, AC_BAD_NAME);
	memcpy(c->name, arg, n);
	c->name[n] = '\0';
	pthread_mutex_lock(&c->s->db_mu);
	r = ac_db_get_user(c->s->db, c->name, salt, c->hash);
	pthread_mutex_unlock(&c->s->db_mu);
	if (r == AC_OK && ac_random_hex(c->nonce, AC_NONCE_BYTES) < 0)
		r = AC_DB_ERROR;
	if (r != AC_OK)
		return reply(c, r);
	c->pending = true;
	n = (size_t)snprintf(b, sizeof(b), "CHALLENGE %s %s", salt, c->nonce);
	return send_frame(c, b, n);
}

/* Compares all AC_HEX_LEN bytes, taking the same time wherever they differ */
static bool same_proof(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < AC_HEX_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int do_proof(struct conn *c, const char *arg, size_t n)
{
	char want[AC_HEX_LEN + 1];

	if (!c->pending)
		return reply(c, AC_BAD_STATE);
	c->pending = false;
	ac_proof(c->nonce, c->hash, want);
	if (n != AC_HEX_LEN || !same_proof(arg, want))
		return reply(c, AC_DENIED);
	pthread_mutex_lock(&c->s->mu);
	c->logged_in = true;
	pthread_mutex_unlock(&c->s->mu);
	return reply(c, AC_OK);
}

/* Sends "FROM <name> <text>" to every other logged-in connection. */
static void relay(struct conn *c, const char *text)
{
	char b[AC_MAX_FRAME];
	int n = snprintf(b, sizeof(b), "FROM %s %s", c->name, text);

	pthread_mutex_lock(&c->s->mu);
	for (struct conn *o = c->s->conns; o; o = o->next)
		if (o != c && o->logged_in)
			send_frame(o, b, (size_t)n);
	pthread_mutex_unlock(&c->s->mu);
}

static int do_say(struct conn *c, const char *arg, size_t n)
{
	char text[AC_MAX_TEXT + 1];
	int r;

	if (!c->logged_in)
		return reply(c, AC_BAD_STATE);
	if (!valid_text(arg, n))
		return reply(c, AC_BAD_REQUEST);
	memcpy(text, arg, n);
	text[n] = '\0';
	pthread_mutex_lock(&c->s->db_mu);
	r = ac_db_add_message(c->s->db, c->name, text);
	pthread_mutex_unlock(&c->s->db_mu);
	if (r == AC_OK)
		relay(c, text);
	return reply(c, r);
}

/* Is req[0..n) "<cmd> <arg>"?  Then *arg and *len are the argument's. */
static bool is_cmd(const char *req, size_t n, const char *cmd,
		   const char **arg, size_t *len)
{
	size_t cl = strlen(cmd);

	if (n <= cl || memcmp(req, cmd, cl) || req[cl] != ' ')
		return false;
	*arg = req + cl + 1;
	*len = n - cl - 1;
	return true;
}

/* Handles one request: 0 to go on, negative to close the connection. */
static int handle(struct conn *c, const char *req, size_t n)
{
	const char *a;
	size_t an;

	if (n == 4 && !memcmp(req, "QUIT", 4)) {
		reply(c, AC_OK);
		return -1;
	}
	if (is_cmd(req, n, "REGISTER", &a, &an))
		return do_register(c, a, an);
	if (is_cmd(req, n, "LOGIN", &a, &an))
		return do_login(c, a, an);
	if (is_cmd(req, n, "PROOF", &a, &an))
		return do_proof(c, a, an);
	if (is_cmd(req, n, "SAY", &a, &an))
		return do_say(c, a, an);
	return reply(c, AC_BAD_REQUEST);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char req[AC_MAX_FRAME];

	for (;;) {
		ssize_t n = ac_frame_recv(c->fd, req, sizeof(req));

		if (n == -EMSGSIZE)
			reply(c, AC_TOO_BIG);
		if (n < 0 || handle(c, req, (size_t)n) < 0)
			break;
	}
	pthread_mutex_lock(&c->s->mu);
	c->logged_in = false;
	pthread_mutex_unlock(&c->s->mu);
	shutdown(c->fd, SHUT_RDWR);
	atomic_store(&c->done, true);
	return NULL;
}

/* Joins and frees the connections whose thread ended (all when all). */
static void reap(struct server *s, bool all)
{
	struct conn **list = &s->conns;

	if (all)	/* the list's links change only in this thread */
		for (struct conn *c = s->conns; c; c = c->next)
			shutdown(c->fd, SHUT_RDWR);
	while (*list) {
		struct conn *c = *list;

		if (!all && !atomic_load(&c->done)) {
			list = &c->next;
			continue;
		}
		pthread_join(c->thread, NULL);
		pthread_mutex_lock(&s->mu);
		*list = c->next;
		pthread_mutex_unlock(&s->mu);
		close(c->fd);
		pthread_mutex_destroy(&c->wmu);
		free(c);
	}
}

static void start_conn(struct server *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->s = s;
	pthread_mutex_init(&c->wmu, NULL);
	pthread_mutex_lock(&s->mu);
	if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
		pthread_mutex_unlock(&s->mu);
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	pthread_mutex_unlock(&s->mu);
}

int ac_serve(int listen_fd, const char *db_path, int stop_fd)
{
	struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
			       { .fd = stop_fd, .events = POLLIN } };
	struct server s = { .conns = NULL };

	if (ac_db_open(db_path, &s.db) != AC_OK)
		return -EIO;
	pthread_mutex_init(&s.db_mu, NULL);
	pthread_mutex_init(&s.mu, NULL);
	for (;;) {
		int fd, n = poll(p, 2, -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[1].revents)
			break;
		if (n > 0 && p[0].revents) {
			fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				start_conn(&s, fd);
		}
		reap(&s, false);
	}
	reap(&s, true);
	ac_db_close(s.db);
	pthread_mutex_destroy(&s.mu);
	pthread_mutex_destroy(&s.db_mu);
	return 0;
}
