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

char **learner_tracked(const char *kata, struct strbuf *why)
{
	char *dir = xasprintf("katas/%s/", kata);
	char *argv[] = { "git", "-C", (char *)runner_root, "ls-tree", "-r",
			 "--name-only", "HEAD", "--", dir, NULL };
	struct strbuf b = { 0 };
	char **list = NULL, *p, *eol;
	size_t n = 0;

	if (build_run(argv, &b) != 0 || !b.len) {
		sb_puts(why, b.len ? b.s : "git's HEAD has no such folder");
		free(dir);
		sb_free(&b);
		return NULL;
	}
	list = xcalloc(b.len + 1, sizeof(*list));
	for (p = b.s; *p; p = eol + 1) {
		if (!(eol = strchr(p, '\n')))
			break;
		list[n++] = strndup(p, (size_t)(eol - p));
	}
	free(dir);
	sb_free(&b);
	return list;
}
