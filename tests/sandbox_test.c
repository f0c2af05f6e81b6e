/*
 * sandbox_test.c: the sandbox's own cases, end to end.
 *
 * Grades tests/sandbox/cases.c (a kata that crashes, deadlocks, spins,
 * blocks, leaves a setsid() process, leaks descriptors, floods its output,
 * dies of SIGPIPE, calls exit()) with tests/sandbox/grader.c through the
 * runner's own grade/sandbox code, then checks each diagnosis and that
 * nothing of any test is left: no process, no temp directory, no
 * descriptor or thread in the runner.  Ends with `N passed, M failed`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"
#include "record.h"
#include "sandbox.h"

static unsigned passed, failed;

/* The first record of r whose text holds text, or NULL. */
static const char *in_records(const struct test_result *r, const char *text)
{
	for (size_t i = 0; i < r->log.n; i++)
		if (strstr(r->log.v[i].text, text))
			return r->log.v[i].text;
	return NULL;
}

static void check(bool ok, const char *what, const struct test_result *r)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	for (size_t i = 0; !ok && r && i < r->log.n; i++)
		printf("     %s: %s\n", record_kind_name(r->log.v[i].kind),
		       r->log.v[i].text);
	if (!ok && r)
		printf("     why: %s\n", r->why.s ? r->why.s : "");
	*(ok ? &passed : &failed) += 1;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Processes whose parent is us, or whose name is kata-orphan. */
static int leftovers(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], *s;
		int pid = atoi(e->d_name), ppid = 0;
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (!(s = read_file(path, NULL)))
			continue;
		if (strstr(s, "(kata-orphan)") || (strrchr(s, ')') &&
		    sscanf(strrchr(s, ')') + 2, "%*c %d", &ppid) == 1 &&
		    ppid == getpid()))
			n++;
		free(s);
	}
	if (d)
		closedir(d);
	return n;
}

static const struct test_result *res(struct kata_run *run, const char *name)
{
	for (size_t i = 0; i < run->g->ntests; i++)
		if (!strcmp(run->g->desc->tests[i].name, name))
			return &run->res[i];
	abort();
}

static bool has(const struct test_result *r, enum outcome oc,
		const char *text)
{
	return r->outcome == oc && ((r->why.s && strstr(r->why.s, text)) ||
				    in_records(r, text));
}

static const struct expectation {
	const char *test;
	enum outcome outcome;
	const char *text;	/* in the diagnosis or the records */
	const char *what;
} expected[] = {
	{ "segv", OUT_CRASH, "SIGSEGV", "segv: a crash, named" },
	{ "segv", OUT_CRASH, "in case_segv()", "segv: the learner's function" },
	{ "segv", OUT_CRASH, "third check", "segv: checks before the crash" },
	{ "deadlock", OUT_TIMEOUT, "deadlock", "deadlock: diagnosed" },
	{ "spin", OUT_TIMEOUT, "spinning", "spin: a busy loop, diagnosed" },
	{ "spin", OUT_TIMEOUT, "running in case_spin()",
	  "spin: the running thread names the learner's function" },
	{ "block_io", OUT_TIMEOUT, "never came", "block_io: waiting for I/O" },
	{ "orphan", OUT_PASS, "tmpdir", "orphan: the test itself passes" },
	{ "leak_fds", OUT_PASS, "", "leak_fds: the test itself passes" },
	{ "flood", OUT_FAIL, "flooded", "flood: the test ends" },
	{ "sigpipe", OUT_CRASH, "MSG_NOSIGNAL", "sigpipe: explained" },
	{ "exit", OUT_FAIL, "exit(3)", "exit: explained" },
	{ "missing", OUT_FAIL, "case_nowhere()", "missing function: named" },
	{ "expect", OUT_FAIL, "expected 5, got -EPROTO", "errno by name" },
	{ "skipped", OUT_SKIP, "needs expect", "dependency: skip, reason" },
};

static void check_outcomes(struct kata_run *run)
{
	const struct test_result *r;

	for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++) {
		const struct expectation *e = &expected[i];
		r = res(run, e->test);
		check(has(r, e->outcome, e->text), e->what, r);
	}
	r = res(run, "flood");
	check(r->output.len <= 16384 && r->output_dropped > (4 << 20),
	      "flood: output captured and capped", r);
}

static void check_clean(struct kata_run *run, int fds_before)
{
	const char *p = in_records(res(run, "orphan"), "tmpdir ");
	char tmp[64] = "";

	if (p)
		sscanf(strstr(p, "tmpdir ") + 7, "%63s", tmp);
	check(tmp[0] && access(tmp, F_OK) != 0, "temp directory removed",
	      NULL);
	check(leftovers() == 0, "no process of any test is left", NULL);
	check(count_dir("/proc/self/fd") == fds_before,
	      "no descriptor leaked into the runner", NULL);
	check(count_dir("/proc/self/task") == 1, "the runner stays "
	      "single-threaded", NULL);
}

int main(int argc, char **argv)
{
	struct options o = { .scale = 1.0, .jobs = 1, .quick = true };
	struct kata_run run;
	struct grader g;
	char *err = NULL;
	int fds;

	if (argc != 3) {
		fprintf(stderr, "usage: sandbox_test BUILDDIR CASES.so\n");
		return 2;
	}
	runner_root = ".";
	runner_build = argv[1];
	sandbox_init();
	fds = count_dir("/proc/self/fd");
	if (plugin_open_grader("sandbox", &g, &err) < 0 ||
	    grade_prepare(&run, &g, &o, argv[2]) != 0) {
		fprintf(stderr, "sandbox_test: %s\n", err ? err : "refused");
		return 2;
	}
	fds = count_dir("/proc/self/fd");
	grade_katas(&run, 1, &o, NULL);
	check_outcomes(&run);
	check_clean(&run, fds);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
