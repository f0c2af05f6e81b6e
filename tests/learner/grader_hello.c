/*
 * grader_hello.c: the grader of the learner tests' first kata, with two
 * play modes: echo (stdin lines, shouted, to stdout) and where (prints the
 * address a server would bind).  Entry point: the kata_grader descriptor.
 */
#include <stdio.h>
#include <string.h>

#include "kata/grader.h"
#include "hello.h"

static void answer(struct kata_ctx *k)
{
	kata_concept(k, "a function hands its result back with return");
	kata_expect_int(k, "hello_answer()", KATA_SYM(k, hello_answer)(), 42);
}

static void shout(struct kata_ctx *k)
{
	char s[] = "hi there";

	kata_expect_int(k, "hello_shout(\"hi there\")",
			KATA_SYM(k, hello_shout)(s), 0);
	KATA_REQUIRE(k, !strcmp(s, "HI THERE"), "the string after "
		     "hello_shout: expected \"HI THERE\", got \"%s\"", s);
}

static int play_echo(struct kata_ctx *k, int argc, char **argv)
{
	char line[256];
	int r;

	(void)argv;
	if (argc != 1)
		return 2;
	while (fgets(line, sizeof(line), stdin)) {
		if ((r = KATA_SYM(k, hello_shout)(line)) < 0) {
			fprintf(stderr, "hello_shout: %s\n", kata_strres(r));
			return 1;
		}
		fputs(line, stdout);
	}
	return 0;
}

static int play_where(struct kata_ctx *k, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("listen %s\n", kata_listen(k));
	return 0;
}

static const struct kata_test tests[] = {
	{ "answer", "hello_answer returns 42", answer, 0, 1, NULL },
	{ "shout", "hello_shout upper-cases", shout, 0, 1, "answer" },
	{ 0 }
};

static const struct kata_play play[] = {
	{ "echo", "", "shout every line you type", play_echo },
	{ "where", "", "say where a server would listen", play_where },
	{ 0 }
};

KATA_GRADER(.kata = "hello", .title = "Hello, runner",
	    .topic = "the runner's own tests", .order = 1, .tests = tests,
	    .play = play);
