/*
 * build.c: building katas for the runner (see build.h).  Entry points:
 * build_run, build_target, build_cc, build_support, build_first_error.  build_cc compiles
 * the support sources the kata list in meson.build names for the kata
 * (KATA_SUPPORT in config.h), as meson does for the kata's targets.
 */
#define _GNU_SOURCE
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"

int build_run(char *const argv[], struct strbuf *log)
{
	int p[2], st;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			sb_add(log, buf, (size_t)n);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int lock_build(void)
{
	char *dir = xasprintf("%s/.runner", runner_root);
	char *path = xasprintf("%s/build.lock", dir);
	int fd;

	mkdir(dir, 0755);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	free(dir);
	free(path);
	return fd;
}

int build_target(const char *target, struct strbuf *log)
{
	char *argv[] = { "ninja", "-C", (char *)runner_build, (char *)target,
			 NULL };
	int lock = lock_build(), r = build_run(argv, log);

	if (lock >= 0)
		close(lock);
	return r == 0 ? 0 : -1;
}

/* The support sources of the kata list (meson.build), under katas/. */
static const struct support {
	const char *kata, *path;
} support[] = { KATA_SUPPORT { NULL, NULL } };

size_t build_support(const char *kata, const char **out, size_t max)
{
	size_t n = 0;

	for (const struct support *s = support; s->kata && n < max; s++)
		if (!strcmp(s->kata, kata))
			out[n++] = s->path;
	return n;
}

int build_cc(const char *kata, const char *src, const char *out_so,
	     struct strbuf *log)
{
	char *inc = xasprintf("-I%s/include", runner_root);
	char *kinc = xasprintf("-I%s/katas/%s", runner_root, kata);
	char *cinc = xasprintf("-I%s/katas/common", runner_root);
	char *argv[64] = { KATA_CC, "-std=gnu17", "-shared", "-fPIC", "-g",
			   "-O1", "-w", inc, kinc, cinc, "-o", (char *)out_so,
			   (char *)src };
	const char *sup[48];
	size_t n = 13, ns = build_support(kata, sup, 48);
	char *const tail[] = { "-pthread", "-lcurl", "-lsqlite3", "-ldl" };
	int r;

	for (size_t i = 0; i < ns; i++)
		argv[n++] = xasprintf("%s/katas/%s", runner_root, sup[i]);
	for (size_t i = 0; i < sizeof(tail) / sizeof(*tail); i++)
		argv[n++] = tail[i];
	r = build_run(argv, log);
	for (size_t i = 0; i < ns; i++)
		free(argv[13 + i]);
	free(inc);
	free(kinc);
	free(cinc);
	return r == 0 ? 0 : -1;
}

/*
 * The error line and gcc's source excerpt after it (the lines that start
 * with spaces and a '|'), as one malloc'd string.
 */
static char *with_excerpt(const char *error, const char *rest)
{
	struct strbuf b = { 0 };

	sb_puts(&b, error);
	for (int n = 0; rest && rest[1] == ' ' && n < 2; n++) {
		const char *eol = strchr(rest + 1, '\n');
		size_t len = eol ? (size_t)(eol - rest - 1) : strlen(rest + 1);
		if (!memchr(rest + 1, '|', len))
			break;
		sb_puts(&b, "\n");
		sb_add(&b, rest + 1, len);
		rest = eol;
	}
	return b.s;
}

char *build_first_error(const char *log)
{
	const char *p = log;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = strndup(p, len);

		if (strstr(line, ": error:") || strstr(line, "fatal error") ||
		    strstr(line, "undefined reference")) {
			char *s = line;
			while (!strncmp(s, "../", 3))
				s += 3;
			if (!strncmp(s, runner_root, strlen(runner_root)))
				s += strlen(runner_root) + 1;
			s = with_excerpt(s, eol);
			free(line);
			return s;
		}
		free(line);
		p = eol ? eol + 1 : NULL;
	}
	return xstrdup("the build failed (run with --verbose for the log)");
}
