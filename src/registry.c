/*
 * registry.c: the katas this build knows (see registry.h).
 */
#define _GNU_SOURCE
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_order(const void *a, const void *b)
{
	const struct grader *x = a, *y = b;

	if (!x->desc || !y->desc)
		return !x->desc - !y->desc;
	if (x->desc->order != y->desc->order)
		return x->desc->order < y->desc->order ? -1 : 1;
	return strcmp(x->kata, y->kata);
}

static char *kata_of(const char *file)
{
	size_t n = strlen(file);

	if (strncmp(file, "grader-", 7) || n < 11 ||
	    strcmp(file + n - 3, ".so"))
		return NULL;
	return strndup(file + 7, n - 10);
}

int registry_load(struct registry *reg, char **err)
{
	DIR *d = opendir(runner_build);
	struct dirent *e;
	size_t cap = 0;

	memset(reg, 0, sizeof(*reg));
	if (!d) {
		*err = xasprintf("There is no build in %s; run ./runner to "
				 "build it.", runner_build);
		return -ENOENT;
	}
	while ((e = readdir(d))) {
		char *kata = kata_of(e->d_name);
		if (!kata)
			continue;
		if (reg->n == cap) {
			cap = cap ? cap * 2 : 16;
			reg->graders = realloc(reg->graders,
					       cap * sizeof(*reg->graders));
		}
		struct grader *g = &reg->graders[reg->n++];
		plugin_open_grader(kata, g, &g->error);
		free(kata);
	}
	closedir(d);
	if (reg->n)
		qsort(reg->graders, reg->n, sizeof(*reg->graders), by_order);
	return 0;
}

void registry_no_such(struct registry *reg, const char *name)
{
	const char *s = registry_suggest(reg, name);

	fprintf(stderr, "runner: there is no kata named '%s'%s%s%s; 'runner "
		"list' shows them all.\n", name, s ? " (did you mean '" : "",
		s ? s : "", s ? "'?)" : "");
}

void registry_free(struct registry *reg)
{
	for (size_t i = 0; i < reg->n; i++)
		plugin_close_grader(&reg->graders[i]);
	free(reg->graders);
	memset(reg, 0, sizeof(*reg));
}

struct grader *registry_find(struct registry *reg, const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (!strcmp(reg->graders[i].kata, name))
			return &reg->graders[i];
	return NULL;
}

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);
			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *registry_suggest(struct registry *reg, const char *name)
{
	const char *best = NULL;
	size_t bd = 99;

	for (size_t i = 0; i < reg->n; i++) {
		const char *k = reg->graders[i].kata;
		size_t d = distance(name, k);
		if (strstr(k, name) && strlen(name) >= 3)
			d = d < 2 ? d : 2;
		if (d < bd) {
			bd = d;
			best = k;
		}
	}
	return bd <= 3 && bd < strlen(name) ? best : NULL;
}
