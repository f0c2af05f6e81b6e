/*
 * progress.c: the learner's progress database (see progress.h).
 */
#define _GNU_SOURCE
#include "progress.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

#define SCHEMA_VERSION 1
#define BUSY_MS 500

struct progress {
	sqlite3 *db;
};

static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE runs(id INTEGER PRIMARY KEY,"
	" at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
	" kata TEXT NOT NULL, solution INTEGER NOT NULL, digest TEXT,"
	" passed INTEGER, failed INTEGER, skipped INTEGER, build_error TEXT);"
	"CREATE TABLE results(run_id INTEGER NOT NULL REFERENCES runs(id),"
	" test TEXT NOT NULL, outcome TEXT NOT NULL, ms REAL, message TEXT);"
	"CREATE INDEX results_run ON results(run_id);"
	"CREATE TABLE hints(kata TEXT PRIMARY KEY, shown INTEGER NOT NULL);",
};

static char *db_path(void)
{
	const char *env = getenv("KATA_PROGRESS_DB");

	return env ? xstrdup(env) : xasprintf("%s/.runner/progress.db",
					       runner_root);
}

static int migrate(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1, r;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
		return sqlite3_errcode(db);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v < 0)
		return r == SQLITE_ROW ? SQLITE_CORRUPT : r;
	for (; v < SCHEMA_VERSION; v++) {
		char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version"
				      " = %d; COMMIT;", migrations[v], v + 1);
		r = sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
		if (r) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
	}
	return SQLITE_OK;
}

static int try_open(const char *path, sqlite3 **db)
{
	int r = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
				SQLITE_OPEN_CREATE, NULL);

	if (r == SQLITE_OK) {
		sqlite3_busy_timeout(*db, BUSY_MS);
		r = sqlite3_exec(*db, "PRAGMA journal_mode=WAL", NULL, NULL,
				 NULL);
		if (r == SQLITE_OK)
			r = migrate(*db);
	}
	if (r != SQLITE_OK) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return r;
}

static void move_aside(const char *path, char **note)
{
	char *aside = xasprintf("%s.corrupt-%ld", path, (long)time(NULL));
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);

	rename(path, aside);
	unlink(wal);
	unlink(shm);
	*note = xasprintf("The progress database %s was damaged; it was moved "
			  "to %s and a fresh one started.", path, aside);
	free(aside);
	free(wal);
	free(shm);
}

struct progress *progress_open(char **note)
{
	char *path = db_path(), *dir = xstrdup(path);
	struct progress *p = xcalloc(1, sizeof(*p));
	int r;

	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0755);
	free(dir);
	r = try_open(path, &p->db);
	if (r == SQLITE_CORRUPT || r == SQLITE_NOTADB) {
		move_aside(path, note);
		r = try_open(path, &p->db);
	}
	if (r != SQLITE_OK) {
		if (!*note)
			*note = xasprintf("Progress is not recorded this time: "
					  "%s is %s.", path, r == SQLITE_BUSY ?
					  "locked by another program" :
					  sqlite3_errstr(r));
		free(p);
		p = NULL;
	}
	free(path);
	return p;
}

struct sqlite3 *progress_sqlite(struct progress *p)
{
	return p ? p->db : NULL;
}

void progress_close(struct progress *p)
{
	if (p) {
		sqlite3_close(p->db);
		free(p);
	}
}

char *progress_digest(const char *path)
{
	size_t n = 0;
	char *s = read_file(path, &n);
	unsigned long long h = 0xcbf29ce484222325ull;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	free(s);
	return xasprintf("%016llx", h);
}

static const char *outcome_name(enum outcome oc)
{
	static const char *w[] = { "pass", "fail", "skip", "crash", "timeout" };

	return w[oc];
}

/* What the results table keeps of a test: its first failure, or why. */
static const char *message_of(const struct test_result *t)
{
	const struct record *x = records_first_failure(&t->log);

	return x ? x->text : t->why.s;
}

static int insert_results(sqlite3 *db, const struct kata_run *run)
{
	sqlite3_stmt *st;
	sqlite3_int64 id = sqlite3_last_insert_rowid(db);
	int r = sqlite3_prepare_v2(db, "INSERT INTO results VALUES"
				   "(?, ?, ?, ?, ?)", -1, &st, NULL);

	for (size_t i = 0; r == SQLITE_OK && i < run->g->ntests; i++) {
		const struct test_result *t = &run->res[i];
		if (!run->selected[i])
			continue;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, run->g->desc->tests[i].name, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 3, outcome_name(t->outcome), -1,
				  SQLITE_STATIC);
		sqlite3_bind_double(st, 4, t->ms);
		sqlite3_bind_text(st, 5, message_of(t), -1, SQLITE_STATIC);
		r = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK
						    : sqlite3_errcode(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return r;
}

static int insert_run(sqlite3 *db, const struct kata_run *run,
		      const struct options *o)
{
	sqlite3_stmt *st;
	char *src = xasprintf("%s/%s", runner_root, run->source);
	char *digest = progress_digest(src);
	int r = sqlite3_prepare_v2(db, "INSERT INTO runs(kata, solution, "
				   "digest, passed, failed, skipped, "
				   "build_error) VALUES(?,?,?,?,?,?,?)", -1,
				   &st, NULL);

	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, run->g->kata, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, o->solution);
		sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, (int)run->passed);
		sqlite3_bind_int(st, 5, (int)run->failed +
				 (run->refused.len ? 1 : 0));
		sqlite3_bind_int(st, 6, (int)run->skipped);
		sqlite3_bind_text(st, 7, run->build_error, -1, SQLITE_STATIC);
		r = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK
						    : sqlite3_errcode(db);
		sqlite3_finalize(st);
	}
	free(src);
	free(digest);
	return r;
}

int progress_record(struct progress *p, const struct kata_run *run,
		    const struct options *o, char **note)
{
	int r;

	if (!p)
		return -EIO;
	r = sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (r == SQLITE_OK && (r = insert_run(p->db, run, o)) == SQLITE_OK)
		r = insert_results(p->db, run);
	if (r == SQLITE_OK)
		r = sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
	if (r == SQLITE_OK)
		return 0;
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	*note = xasprintf("Progress is not recorded this time: the database "
			  "is %s.", r == SQLITE_BUSY ? "locked by another "
			  "program" : sqlite3_errstr(r));
	return r == SQLITE_BUSY ? -EBUSY : -EIO;
}

int progress_hints_shown(struct progress *p, const char *kata)
{
	sqlite3_stmt *st;
	int n = 0;

	if (!p || sqlite3_prepare_v2(p->db, "SELECT shown FROM hints WHERE "
				     "kata = ?", -1, &st, NULL))
		return 0;
	sqlite3_bind_text(st, 1, kata, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int progress_hint_next(struct progress *p, const char *kata, int max)
{
	sqlite3_stmt *st;
	int n = progress_hints_shown(p, kata) + 1;

	if (n > max)
		n = max;
	if (!p || sqlite3_prepare_v2(p->db, "INSERT INTO hints VALUES(?, ?) "
				     "ON CONFLICT(kata) DO UPDATE SET shown "
				     "= excluded.shown", -1, &st, NULL))
		return n < 1 ? 1 : n;
	sqlite3_bind_text(st, 1, kata, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, n);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return n;
}
