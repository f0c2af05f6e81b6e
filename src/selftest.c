/*
 * selftest.c: `runner selftest`: the project's own test suite.
 *
 * Runs meson's test suite in the build directory (runner unit tests, the
 * sandbox cases, and `runner verify --quick` for every kata), then counts
 * the outcomes from meson's test log and ends with `N passed, M failed`.
 * Entry point: selftest_command().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

static unsigned count(const char *log, const char *result)
{
	char *needle = xasprintf("\"result\": \"%s\"", result);
	unsigned n = 0;

	for (const char *p = log; p && (p = strstr(p, needle)); p++)
		n++;
	free(needle);
	return n;
}

int selftest_command(const struct options *o)
{
	char *logpath = xasprintf("%s/meson-logs/testlog.json", runner_build);
	char *argv[] = { "meson", "test", "-C", (char *)runner_build,
			 "--print-errorlogs", NULL };
	char *log;
	unsigned pass, fail, skip;
	int st;
	pid_t pid;

	(void)o;
	unlink(logpath);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		execvp(argv[0], argv);
		perror("runner: cannot run meson");
		_exit(127);
	}
	waitpid(pid, &st, 0);
	log = read_file(logpath, NULL);
	pass = count(log, "OK") + count(log, "EXPECTEDFAIL");
	fail = count(log, "FAIL") + count(log, "TIMEOUT") +
	       count(log, "ERROR") + count(log, "UNEXPECTEDPASS");
	skip = count(log, "SKIP");
	if (!log || ((!WIFEXITED(st) || WEXITSTATUS(st)) && !fail))
		fail++;
	printf("\n%u passed, %u failed", pass, fail);
	if (skip)
		printf(", %u skipped", skip);
	printf("\n");
	free(log);
	free(logpath);
	return fail ? EXIT_TESTFAIL : EXIT_PASS;
}
