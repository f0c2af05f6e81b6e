/*
 * hint.c: `runner hint <kata>`: the kata's hints, one more each time.
 *
 * Hints live in katas/<kata>/hints.md, separated by lines holding only
 * "---"; how many the learner has seen is kept in the progress database.
 * Entry point: hint_command().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "registry.h"

/* Splits text at "---" lines in place; returns the number of hints. */
static int split_hints(char *text, char **hints, int max)
{
	int n = 0;
	char *p = text;

	hints[n++] = p;
	while (n < max && (p = strstr(p, "\n---"))) {
		char *after = p + 4;
		if (*after != '\n' && *after != '\0') {
			p = after;
			continue;
		}
		*p = '\0';
		hints[n++] = *after ? after + 1 : after;
		p = hints[n - 1];
	}
	return n;
}

static void show(char **hints, int i, int n)
{
	char *h = hints[i];

	while (*h == '\n')
		h++;
	printf("Hint %d of %d:\n\n%s", i + 1, n, h);
	if (h[0] && h[strlen(h) - 1] != '\n')
		printf("\n");
	printf("\n");
}

int hint_command(struct registry *reg, const struct options *o)
{
	char *hints[32], *path, *text, *note = NULL;
	struct progress *p;
	int n, shown;

	struct grader *g = o->nargs == 1 ? registry_find(reg, o->args[0])
					 : NULL;

	if (!g || !g->desc) {
		fprintf(stderr, "runner: hint wants one kata name; 'runner "
			"list' shows them.\n");
		return EXIT_USAGE;
	}
	path = xasprintf("%s/katas/%s/hints.md", runner_root, o->args[0]);
	if (!(text = read_file(path, NULL))) {
		fprintf(stderr, "runner: %s has no hints (%s).\n", o->args[0],
			path);
		return EXIT_USAGE;
	}
	n = split_hints(text, hints, 32);
	p = progress_open(&note);
	if (note)
		fprintf(stderr, "runner: %s\n", note);
	shown = o->all ? n : progress_hint_next(p, o->args[0], n);
	for (int i = o->all ? 0 : shown - 1; i < shown; i++)
		show(hints, i, n);
	if (!o->all && shown < n)
		printf("(runner hint %s again for the next one)\n", o->args[0]);
	progress_close(p);
	free(note);
	free(text);
	free(path);
	return EXIT_PASS;
}
