/*
 * help.c: `runner help [command]`, `runner <command> --help`: the general
 * usage and one page per command.  Entry points: help_command (commands.h)
 * and help_usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char usage[] =
"usage: runner <command> [options] [kata...]\n"
"\n"
"learner's commands:\n"
"  list                 the learning path, each kata's state, the next one\n"
"  watch [kata]         grade a kata every time you save it, then move on\n"
"  check <kata>...      build your kata and grade it (--all: every kata)\n"
"  hint <kata>          the next hint for a kata (--all: every hint)\n"
"  progress             your history: attempts, first pass, time taken\n"
"  reset <kata>         put the kata's stub back (your files are kept)\n"
"  play <kata> <mode>   run your code as a program you can talk to\n"
"\n"
"instructor's commands:\n"
"  verify <kata>...     the grader passes the solution, fails the stub and\n"
"                       every mutant (--all: every kata)\n"
"  bench <kata>...      the tests' figures, yours beside the reference's\n"
"  new <kata>           the skeleton of a new kata (instructors)\n"
"  selftest             the project's own test suite\n"
"\n"
"options:\n"
"  --all                every kata\n"
"  --solution           grade (or play) the reference solution\n"
"  --test NAME          run only the test NAME\n"
"  -j N                 run tests of N different katas at once\n"
"  --timeout-scale X    multiply every time limit and tolerance by X\n"
"  --seed S             replay a randomised test with seed S\n"
"  --fail-fast          stop at the first failing test\n"
"  --quick              small sizes (what selftest uses)\n"
"  --param NAME=VALUE   override a grader's size or count\n"
"  --so PATH            grade this kata .so instead of building one\n"
"  --format F           human, tap, json, junit or gradescope\n"
"  -o FILE              write the report to FILE instead of stdout\n"
"  --no-progress        do not record this run in .runner/progress.db\n"
"  --yes                reset without asking\n"
"  -v, --verbose        passed checks and whole compiler logs too\n"
"\n"
"runner help <command> says more about one command.\n";

struct page {
	const char *cmd, *synopsis, *text;
};

static const struct page pages[] = {
	{ "list", "runner list",
	  "The katas in learning-path order, each with its state from your\n"
	  "progress database: not started, does not build, failing (how many\n"
	  "tests pass), passed, or passed but changed since (you edited the\n"
	  "file after it passed; check it again).  The next kata to do is\n"
	  "marked.\n" },
	{ "check", "runner check <kata>... [options]",
	  "Builds katas/<kata>/<kata>.c and runs each of the kata's tests in\n"
	  "its own sandboxed process.  A failing test says what was expected,\n"
	  "what happened and why; a build error shows the compiler's first\n"
	  "error.  The run is recorded in .runner/progress.db.\n"
	  "\n"
	  "  --all, --solution, --test NAME, -j N, --timeout-scale X,\n"
	  "  --seed S, --fail-fast, --quick, --param NAME=VALUE, --so PATH,\n"
	  "  --format F, -o FILE, --no-progress, -v (see runner help)\n"
	  "\n"
	  "Exit status: 0 all passed, 1 a test failed, 2 usage or environment\n"
	  "error, 3 your kata does not build.\n" },
	{ "watch", "runner watch [kata] [check options]",
	  "Grades the kata, then again every time you save a file in its\n"
	  "folder (editors that save by renaming are fine; a burst of saves\n"
	  "grades once).  The screen is cleared before each run.  When the\n"
	  "kata passes, watch moves on to the next kata of the learning path\n"
	  "that has not passed.  Without a kata, it starts at the first one\n"
	  "that has not passed.\n"
	  "\n"
	  "Keys: h the next hint, l the list, r check again now, q quit\n"
	  "(Ctrl-C works too).\n" },
	{ "hint", "runner hint <kata> [--all]",
	  "Shows the next of the kata's hints (katas/<kata>/hints.md), from\n"
	  "gentle to specific; the count is remembered.  --all shows every\n"
	  "hint.\n" },
	{ "progress", "runner progress",
	  "Your history per kata: its state, how many checks, when you first\n"
	  "checked it, when it first passed and how long that took, and how\n"
	  "many hints you read.  Runs of --solution are not counted.\n" },
	{ "reset", "runner reset <kata> [--yes]",
	  "Puts back the pristine files of katas/<kata>/ (the stub, and the\n"
	  "header and README if you changed them) as git's HEAD has them.\n"
	  "Asks first on a terminal; --yes does not ask.  What you had is\n"
	  "kept in .runner/backup/<kata>-<time>/, and the runner says\n"
	  "where.\n" },
	{ "play", "runner play <kata> <mode> [args...] [--solution] "
		  "[--listen ADDR]",
	  "Runs the kata's code as a program you can talk to, in this\n"
	  "terminal: for udp_chat, `runner play udp_chat server --port 9000`\n"
	  "hosts your relay and `runner play udp_chat client 127.0.0.1 9000`\n"
	  "chats through it, with a friend or with nc -u.  `runner play\n"
	  "<kata>` lists the kata's modes.  --solution plays the reference.\n"
	  "Servers listen on 127.0.0.1 only, unless --listen ADDR (e.g.\n"
	  "0.0.0.0) says otherwise.  Ctrl-C stops it.\n" },
	{ "verify", "runner verify <kata>... [--quick]",
	  "For instructors: the reference solution passes every test, the\n"
	  "committed stub passes none, and every mutant in\n"
	  "tests/mutants/<kata>/ fails at least one.\n" },
	{ "bench", "runner bench <kata>... | --all [--param NAME=VALUE]",
	  "The figures the tests measure (throughput, switch cost, rounds),\n"
	  "never verdicts: the reference solution's and yours, measured one\n"
	  "after the other in the same run, at full size.  Nothing is\n"
	  "recorded.  docs/performance.md has the reference's figures on\n"
	  "the project's 2-core machine.\n" },
	{ "new", "runner new <kata>",
	  "For instructors: writes the skeleton of a new kata (katas/<kata>/,\n"
	  "solutions/<kata>/, graders/<kata>.c, fixtures/<kata>/,\n"
	  "tests/mutants/<kata>/) and adds it to the kata list in meson.build.\n"
	  "The skeleton builds, and its one test passes the solution and\n"
	  "fails the stub.  Nothing that exists is overwritten.\n" },
	{ "selftest", "runner selftest",
	  "Runs the project's own test suite (meson test in build/) and ends\n"
	  "with `N passed, M failed`.\n" },
	{ "help", "runner help [command]",
	  "The general usage, or one command's page.\n" },
};

void help_usage(FILE *f)
{
	fputs(usage, f);
}

int help_command(const char *cmd)
{
	if (!cmd) {
		fputs(usage, stdout);
		return EXIT_PASS;
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++)
		if (!strcmp(pages[i].cmd, cmd)) {
			printf("usage: %s\n\n%s", pages[i].synopsis,
			       pages[i].text);
			return EXIT_PASS;
		}
	fprintf(stderr, "runner: there is no command '%s'; runner help "
		"lists them.\n", cmd);
	return EXIT_USAGE;
}
