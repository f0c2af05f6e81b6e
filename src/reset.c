/*
 * reset.c: `runner reset <kata> [--yes]`: put a kata's pristine files back.
 * Entry point: reset_command (commands.h).
 *
 * "Pristine" is what git's HEAD has in katas/<kata>/ (`git show
 * HEAD:path`): the repository the learner cloned.  The index and the
 * history are never touched.  Only the files that differ from HEAD are
 * written; each is first copied to .runner/backup/<kata>-<time>/, and the
 * runner says where.  On a terminal it asks y/N first; elsewhere it wants
 * --yes, since it overwrites work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "learner.h"

struct file {
	char *path;		/* relative to runner_root */
	struct strbuf pristine;
	char *now;		/* what is there now, or NULL */
	size_t len;
};

/* Writes len bytes of data to path through a temporary file and rename. */
static int write_file(const char *path, const char *data, size_t len,
		      mode_t mode)
{
	char *tmp = xasprintf("%s.runner-tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n = 0;
	int r = 0;

	if (fd < 0) {
		free(tmp);
		return -errno;
	}
	for (size_t done = 0; done < len && n >= 0; done += (size_t)n)
		n = write(fd, data + done, len - done);
	if (n < 0 || close(fd) < 0 || rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

/* The tracked files of kata that differ from HEAD; count in *n. */
static struct file *changed_files(const char *kata, size_t *n, int *r)
{
	struct strbuf why = { 0 };
	char **paths = learner_tracked(kata, &why);
	struct file *files;

	*n = 0;
	if (!paths) {
		fprintf(stderr, "runner: git's HEAD has no katas/%s/ to reset "
			"to (%.*s).\n", kata, (int)strcspn(why.s ? why.s : "",
							  "\n"), why.s);
		sb_free(&why);
		*r = EXIT_USAGE;
		return NULL;
	}
	files = xcalloc(64, sizeof(*files));
	for (size_t i = 0; paths[i] && *n < 64; i++) {
		struct file *f = &files[*n];
		char *abs = xasprintf("%s/%s", runner_root, paths[i]);
		sb_free(&f->pristine);
		free(f->now);
		f->path = paths[i];
		f->now = read_file(abs, &f->len);
		free(abs);
		if (learner_pristine(f->path, &f->pristine) < 0) {
			fprintf(stderr, "runner: cannot read %s from git: %s",
				f->path, f->pristine.s ? f->pristine.s : "\n");
			*r = EXIT_USAGE;
			return files;
		}
		if (f->now && f->len == f->pristine.len &&
		    !memcmp(f->now, f->pristine.s ? f->pristine.s : "", f->len))
			continue;
		(*n)++;
	}
	*r = 0;
	return files;
}

/* 1 yes, 0 no, -1 cannot ask. */
static int confirmed(const struct options *o, const char *kata)
{
	char answer[16] = "";

	if (o->yes)
		return 1;
	if (!isatty(0)) {
		fprintf(stderr, "runner: reset overwrites your work in "
			"katas/%s/; run it on a terminal to be asked, or add "
			"--yes.\n", kata);
		return -1;
	}
	printf("Put back the stub, losing these changes (a copy is kept)? "
	       "[y/N] ");
	fflush(stdout);
	if (!fgets(answer, sizeof(answer), stdin))
		printf("\n");
	return answer[0] == 'y' || answer[0] == 'Y';
}

static char *backup_dir(const char *kata)
{
	char stamp[32];
	time_t t = time(NULL);
	char *dir = xasprintf("%s/.runner", runner_root), *b;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	mkdir(dir, 0755);
	free(dir);
	dir = xasprintf("%s/.runner/backup", runner_root);
	mkdir(dir, 0755);
	b = xasprintf("%s/%s-%s", dir, kata, stamp);
	free(dir);
	for (int i = 2; mkdir(b, 0755) < 0 && errno == EEXIST && i < 100; i++) {
		free(b);
		b = xasprintf("%s/.runner/backup/%s-%s-%d", runner_root, kata,
			      stamp, i);
	}
	return b;
}

/* Keeps f's current content in dir, then writes the pristine one. */
static int restore(const struct file *f, const char *dir)
{
	const char *base = strrchr(f->path, '/') + 1;
	char *keep = xasprintf("%s/%s", dir, base);
	char *abs = xasprintf("%s/%s", runner_root, f->path);
	int r = 0;

	if (f->now && (r = write_file(keep, f->now, f->len, 0644)) < 0)
		fprintf(stderr, "runner: cannot keep a copy of %s in %s: %s; "
			"left it alone.\n", f->path, keep, strerror(-r));
	else if ((r = write_file(abs, f->pristine.s ? f->pristine.s : "",
				 f->pristine.len, 0644)) < 0)
		fprintf(stderr, "runner: cannot write %s: %s\n", f->path,
			strerror(-r));
	else
		printf("  %s is the stub again%s%s\n", f->path,
		       f->now ? "; yours is in " : " (it was missing)",
		       f->now ? keep + strlen(runner_root) + 1 : "");
	free(keep);
	free(abs);
	return r;
}

int reset_command(struct registry *reg, const struct options *o)
{
	struct grader *g;
	struct file *files;
	size_t n = 0;
	int r;
	char *dir;

	if (o->nargs != 1 || o->all)
		return fprintf(stderr, "runner: reset wants one kata: runner "
			       "reset <kata> [--yes]\n"), EXIT_USAGE;
	if (!(g = path_find(reg, o->args[0])))
		return EXIT_USAGE;
	files = changed_files(g->kata, &n, &r);
	if (r)
		return r;
	if (!n) {
		printf("katas/%s/ is already as git's HEAD has it: nothing to "
		       "reset.\n", g->kata);
		return EXIT_PASS;
	}
	printf("You changed, in katas/%s/:\n", g->kata);
	for (size_t i = 0; i < n; i++)
		printf("  %s%s\n", files[i].path, files[i].now ? "" :
		       " (missing)");
	if ((r = confirmed(o, g->kata)) <= 0) {
		printf("Nothing was changed.\n");
		return r < 0 ? EXIT_USAGE : EXIT_PASS;
	}
	r = 0;
	dir = backup_dir(g->kata);
	for (size_t i = 0; i < n; i++)
		r |= restore(&files[i], dir);
	free(dir);
	return r ? EXIT_USAGE : EXIT_PASS;
}
