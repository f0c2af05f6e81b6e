/*
 * learner.c: the learner's side of the tree (see learner.h).
 */
#define _GNU_SOURCE
#include "learner.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "config.h"
#include "progress.h"

/* True when runner_root is not the tree the build was configured from. */
static bool scratch_tree(void)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!realpath(runner_root, a) || !realpath(KATA_SOURCE_ROOT, b))
		return strcmp(runner_root, KATA_SOURCE_ROOT) != 0;
	return strcmp(a, b) != 0;
}

int build_learner(const char *kata, char **so, struct strbuf *log)
{
	char *dir, *src;
	int r;

	if (!scratch_tree()) {
		*so = xasprintf("%s/kata-%s.so", runner_build, kata);
		return build_target(strrchr(*so, '/') + 1, log);
	}
	dir = xasprintf("%s/.runner", runner_root);
	mkdir(dir, 0755);
	*so = xasprintf("%s/kata-%s.so", dir, kata);
	src = xasprintf("%s/katas/%s/%s.c", runner_root, kata, kata);
	r = build_cc(kata, src, *so, log);
	free(src);
	free(dir);
	return r;
}

char *learner_source(const char *kata)
{
	return xasprintf("katas/%s/%s.c", kata, kata);
}

char *learner_digest(const char *kata)
{
	char *path = xasprintf("%s/katas/%s/%s.c", runner_root, kata, kata);
	char *d = progress_digest(path);

	free(path);
	return d;
}

int learner_pristine(const char *path, struct strbuf *out)
{
	char *spec = xasprintf("HEAD:%s", path);
	char *argv[] = { "git", "-C", (char *)runner_root, "show", spec,
			 NULL };
	int r = build_run(argv, out);

	free(spec);
	if (r == 0)
		return 0;
	if (out->s && (strstr(out->s, "does not exist") ||
		       strstr(out->s, "exists on disk, but not in")))
		return -ENOENT;
	return -EIO;
}

/*
 * Appends to argv at *n the kata's shared support sources (katas/common/)
 * and their headers, as malloc'd pathspecs; at most 2 * max of them.
 */
static void add_common(const char *kata, char **argv, size_t *n, size_t max)
{
	const char *sup[16];
	size_t ns = build_support(kata, sup, max < 16 ? max : 16);

	for (size_t i = 0; i < ns; i++) {
		size_t len = strlen(sup[i]);
		if (strncmp(sup[i], "common/", 7) || len < 2)
			continue;
		argv[(*n)++] = xasprintf("katas/%s", sup[i]);
		argv[(*n)++] = xasprintf("katas/%.*sh", (int)(len - 1),
					 sup[i]);
	}
}

/* Splits git's output into a NULL-terminated array of malloc'd lines. */
static char **lines(const char *s, size_t len)
{
	char **list = xcalloc(len + 1, sizeof(*list));
	const char *eol;
	size_t n = 0;

	for (; *s && (eol = strchr(s, '\n')); s = eol + 1)
		list[n++] = strndup(s, (size_t)(eol - s));
	return list;
}

char **learner_tracked(const char *kata, struct strbuf *why)
{
	char *argv[48] = { "git", "-C", (char *)runner_root, "ls-tree", "-r",
			   "--name-only", "HEAD", "--",
			   xasprintf("katas/%s/", kata) };
	struct strbuf b = { 0 };
	char **list = NULL;
	size_t n = 9;

	add_common(kata, argv, &n, 16);
	if (build_run(argv, &b) != 0 || !b.len)
		sb_puts(why, b.len ? b.s : "git's HEAD has no such folder");
	else
		list = lines(b.s, b.len);
	for (size_t i = 8; i < n; i++)
		free(argv[i]);
	sb_free(&b);
	return list;
}
