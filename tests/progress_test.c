/*
 * progress_test.c: the progress database and the build-log parser.
 *
 * A fresh database gets the current schema; a run is recorded with its
 * tests; a database locked by another connection makes recording give up
 * within its busy timeout, with a sentence, instead of failing the check; a
 * corrupt file is moved aside and a fresh one started; hints count up and
 * stop at the last.  build_first_error() finds the compiler's first error.
 * Ends with `N passed, M failed`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "progress.h"

static unsigned passed, failed;

static void check(bool ok, const char *what, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "",
	       detail ? detail : "");
	*(ok ? &passed : &failed) += 1;
}

static void nothing(struct kata_ctx *k)
{
	(void)k;
}

static const struct kata_test tests[] = {
	{ "one", "first", nothing, 0, 1, NULL },
	{ "two", "second", nothing, 0, 1, NULL },
	{ 0 }
};
static const struct kata_grader desc = {
	.abi_version = KATA_ABI_VERSION, .struct_size = sizeof(desc),
	.kata = "demo", .title = "Demo", .topic = "demo", .order = 1,
	.tests = tests
};

static int count_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void fake_run(struct kata_run *run, struct grader *g)
{
	static struct test_result res[2];
	static bool selected[2] = { true, true };

	*g = (struct grader){ .kata = "demo", .desc = &desc, .ntests = 2 };
	res[0] = (struct test_result){ .test = &tests[0], .outcome = OUT_PASS };
	res[1] = (struct test_result){ .test = &tests[1], .outcome = OUT_FAIL };
	*run = (struct kata_run){ .g = g, .res = res, .selected = selected,
				  .source = "katas/demo/demo.c", .passed = 1,
				  .failed = 1 };
}

static void test_record(const char *path, struct kata_run *run,
			const struct options *o)
{
	char *note = NULL;
	struct progress *p = progress_open(&note);

	check(p && !note, "a fresh database opens", note);
	check(count_rows(path, "PRAGMA user_version") == 1,
	      "it has the current schema version", NULL);
	check(progress_record(p, run, o, &note) == 0, "a run is recorded",
	      note);
	check(count_rows(path, "SELECT count(*) FROM results") == 2,
	      "with each of its tests", NULL);
	check(progress_hint_next(p, "demo", 3) == 1 &&
	      progress_hint_next(p, "demo", 3) == 2 &&
	      progress_hint_next(p, "demo", 3) == 3 &&
	      progress_hint_next(p, "demo", 3) == 3,
	      "hints count up and stop at the last", NULL);
	progress_close(p);
}

static void test_locked(const char *path, struct kata_run *run,
			const struct options *o)
{
	char *note = NULL;
	struct progress *p = progress_open(&note);
	sqlite3 *other;
	double start;
	int r;

	sqlite3_open(path, &other);
	sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	start = now_ms();
	r = progress_record(p, run, o, &note);
	check(r == -EBUSY && note && strstr(note, "locked") &&
	      now_ms() - start < 5000, "a locked database is given up on, "
	      "with a sentence", note);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	progress_close(p);
	free(note);
}

static void test_corrupt(const char *path, struct kata_run *run,
			 const struct options *o)
{
	char *note = NULL, *aside;
	struct progress *p;
	FILE *f = fopen(path, "w");

	fputs("this is not a database, and it is long enough to look like one "
	      "page of something else entirely ...........................", f);
	fclose(f);
	unlink(xasprintf("%s-wal", path));
	p = progress_open(&note);
	check(p && note && strstr(note, "moved"), "a corrupt database is "
	      "moved aside, with a sentence", note);
	aside = note ? strstr(note, "to ") : NULL;
	check(aside && access(strndup(aside + 3, strcspn(aside + 3, " ")),
			      F_OK) == 0, "and kept for the learner", NULL);
	free(note);
	note = NULL;
	check(p && progress_record(p, run, o, &note) == 0,
	      "a fresh one records", note);
	progress_close(p);
}

static void test_first_error(void)
{
	const char *log = "[1/2] Compiling C object kata-framing.so.p/x.o\n"
		"FAILED: kata-framing.so.p/x.o\ncc -Ifoo ...\n"
		"../katas/framing/framing.c: In function 'frame_send':\n"
		"../katas/framing/framing.c:12:5: error: 'x' undeclared\n"
		"   12 |     x = 1;\n"
		"      |     ^\n"
		"../katas/framing/framing.c:13:5: error: second\n";
	char *e = build_first_error(log);

	check(!strcmp(e, "katas/framing/framing.c:12:5: error: 'x' "
		      "undeclared\n   12 |     x = 1;\n      |     ^"),
	      "the first compiler error, with file, line and excerpt", e);
	free(e);
}

int main(void)
{
	char dir[] = "/tmp/kata-progress-XXXXXX";
	struct options o = { .scale = 1.0 };
	struct kata_run run;
	struct grader g;
	char *path;

	runner_root = "/nonexistent";
	if (!mkdtemp(dir))
		return 2;
	path = xasprintf("%s/progress.db", dir);
	setenv("KATA_PROGRESS_DB", path, 1);
	fake_run(&run, &g);
	test_record(path, &run, &o);
	test_locked(path, &run, &o);
	test_corrupt(path, &run, &o);
	test_first_error();
	remove_tree(dir);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
