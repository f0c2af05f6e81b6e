/*
 * new.c: `runner new <kata>`: the skeleton of a new kata, for instructors.
 *
 * Writes katas/<k>/ (README.md, <k>.h, the stub <k>.c, hints.md),
 * solutions/<k>/<k>.c, graders/<k>.c, fixtures/<k>/ and tests/mutants/<k>/,
 * and adds the kata to the list in meson.build.  The skeleton builds and
 * its one test passes the solution and fails the stub, so `runner verify
 * <k>` starts out saying only what is still missing (the mutants).  Nothing
 * that exists is overwritten.  Entry point: new_command().
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

struct skeleton {
	const char *path;	/* @K@ is the kata's name */
	const char *text;	/* @K@ the name, @ORDER@ its place */
};

static const struct skeleton files[] = {
	{ "katas/@K@/@K@.h",
	  "/*\n * @K@.h: the contract of the @K@ kata.  Do not edit: the "
	  "grader relies\n * on every constant, limit and result here.\n *\n"
	  " * Entry points: @K@_answer.\n */\n#ifndef KATA_@K@_H\n"
	  "#define KATA_@K@_H\n\n/* Returns 42, or a negative errno. */\n"
	  "int @K@_answer(void);\n\n#endif\n" },
	{ "katas/@K@/@K@.c",
	  "/*\n * @K@.c: your work.  The contract is @K@.h; check it with\n"
	  " * ./runner check @K@.\n */\n#include <errno.h>\n\n"
	  "#include \"kata/plugin.h\"\n#include \"@K@.h\"\n\n"
	  "KATA_PLUGIN(\"@K@\");\n\nint @K@_answer(void)\n{\n"
	  "\t/* TODO: return the answer (see README.md). */\n"
	  "\treturn -ENOSYS;\n}\n" },
	{ "katas/@K@/README.md",
	  "# @K@\n\nWhat the learner builds, and the concept behind it, from "
	  "the seed it\nteaches.\n\n## Your task\n\nImplement `@K@_answer()` "
	  "in `katas/@K@/@K@.c` (contract: `@K@.h`).\n\n"
	  "## What the grader checks\n\n- `answer`: `@K@_answer()` returns "
	  "42.\n" },
	{ "katas/@K@/hints.md",
	  "Read the contract in `@K@.h` first.\n\n---\n\n"
	  "The answer is a number.\n" },
	{ "solutions/@K@/@K@.c",
	  "/*\n * @K@.c: the reference solution of the @K@ kata (@K@.h).\n"
	  " */\n#include \"kata/plugin.h\"\n#include \"@K@.h\"\n\n"
	  "KATA_PLUGIN(\"@K@\");\n\nint @K@_answer(void)\n{\n"
	  "\treturn 42;\n}\n" },
	{ "graders/@K@.c",
	  "/*\n * @K@.c (grader): the tests of the @K@ kata, one small "
	  "function each,\n * and their table.  Entry point: the kata_grader "
	  "descriptor at the end.\n */\n#include \"kata/grader.h\"\n"
	  "#include \"@K@.h\"\n\nstatic void t_answer(struct kata_ctx *k)\n"
	  "{\n\tkata_concept(k, \"the concept this test is about\");\n"
	  "\tkata_expect_int(k, \"@K@_answer()\", KATA_SYM(k, @K@_answer)(), "
	  "42);\n}\n\nstatic const struct kata_test tests[] = {\n"
	  "\t{ \"answer\", \"@K@_answer returns 42\", t_answer, 0, 1, NULL },\n"
	  "\t{ 0 },\n};\n\nKATA_GRADER(.kata = \"@K@\", .title = \"@K@\",\n"
	  "\t    .topic = \"the seed's lesson\", .order = @ORDER@,\n"
	  "\t    .tests = tests);\n" },
	{ "tests/mutants/@K@/README.md",
	  "Mutants of the @K@ kata: at least five `*.patch` files, each a "
	  "realistic\nmistake as a unified diff against "
	  "`solutions/@K@/@K@.c`, with one sentence\nabove the `---` line "
	  "(docs/authoring.md).\n" },
	{ "fixtures/@K@/README.md",
	  "Data the @K@ grader reads (kata_fixtures(k)).\n" },
};

/* text with every @K@ replaced by kata and @ORDER@ by order; malloc'd. */
static char *fill(const char *text, const char *kata, unsigned order)
{
	struct strbuf b = { 0 };
	const char *p;

	while ((p = strchr(text, '@'))) {
		sb_add(&b, text, (size_t)(p - text));
		if (!strncmp(p, "@K@", 3)) {
			sb_puts(&b, kata);
			text = p + 3;
		} else if (!strncmp(p, "@ORDER@", 7)) {
			sb_printf(&b, "%u", order);
			text = p + 7;
		} else {
			sb_add(&b, p, 1);
			text = p + 1;
		}
	}
	sb_puts(&b, text);
	return b.s;
}

static bool valid_name(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 32 || !islower((unsigned char)k[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)k[i]) &&
		    !isdigit((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/* Creates the parent folders of root/rel. 0 or -errno. */
static int make_dirs(const char *path)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = strchr(p + 1, '/'); s && !r; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			r = -errno;
		*s = '/';
	}
	free(p);
	return r;
}

static int write_new(const char *path, const char *text)
{
	FILE *f;
	int r = make_dirs(path);

	if (r)
		return r;
	if (!(f = fopen(path, "wx")))
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Adds "  'kata': {}," as the last entry of meson.build's kata list. */
static int add_to_list(const char *kata)
{
	char *path = xasprintf("%s/meson.build", runner_root);
	char *text = read_file(path, NULL), *list, *end, *out;
	int r = -EINVAL;

	if (text && (list = strstr(text, "\nkatas = {\n")) &&
	    (end = strstr(list, "\n}\n"))) {
		*end = '\0';
		out = xasprintf("%s\n  '%s': {},\n}\n%s", text, kata, end + 3);
		unlink(path);
		r = write_new(path, out);
		free(out);
	}
	free(text);
	free(path);
	return r;
}

static unsigned next_order(struct registry *reg)
{
	unsigned last = 0;

	for (size_t i = 0; i < reg->n; i++)
		if (reg->graders[i].desc && reg->graders[i].desc->order > last)
			last = reg->graders[i].desc->order;
	return last + 10;
}

static int refuse(const char *what, const char *kata)
{
	fprintf(stderr, "runner: %s '%s'.\n", what, kata);
	return EXIT_USAGE;
}

int new_command(struct registry *reg, const struct options *o)
{
	const char *k = o->nargs == 1 ? o->args[0] : "";
	char *dir = xasprintf("%s/katas/%s", runner_root, k);
	int r = 0;

	if (!valid_name(k))
		r = refuse("new wants one kata name of lowercase letters, "
			   "digits and _, starting with a letter; not", k);
	else if (access(dir, F_OK) == 0)
		r = refuse("there is a kata folder already for", k);
	free(dir);
	for (size_t i = 0; !r && i < sizeof(files) / sizeof(*files); i++) {
		char *rel = fill(files[i].path, k, 0);
		char *path = xasprintf("%s/%s", runner_root, rel);
		char *text = fill(files[i].text, k, next_order(reg));
		if (write_new(path, text) < 0)
			r = refuse("cannot write", path);
		else
			printf("  wrote %s\n", rel);
		free(rel);
		free(path);
		free(text);
	}
	if (!r && add_to_list(k) < 0)
		r = refuse("cannot add the kata to meson.build's list:", k);
	if (!r)
		printf("Added %s to meson.build. Next: write the README, the "
		       "contract and the tests,\nthen mutants, and run "
		       "./runner verify %s.\n", k, k);
	return r;
}
