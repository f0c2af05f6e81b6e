/*
 * build.c: building katas for the runner (see build.h).
 */
#define _GNU_SOURCE
#include "build.h"

#include <dirent.h>
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

int build_cc(const char *kata, const char *src, const char *out_so,
	     struct strbuf *log)
{
	char *kdir = xasprintf("%s/katas/%s", runner_root, kata);
	char *inc = xasprintf("-I%s/include", runner_root);
	char *kinc = xasprintf("-I%s", kdir);
	char *argv[64] = { KATA_CC, "-std=gnu17", "-shared", "-fPIC", "-g",
			   "-O1", "-w", inc, kinc, "-o", (char *)out_so,
			   (char *)src };
	size_t n = 12;
	DIR *d = opendir(kdir);
	struct dirent *e;
	int r;

	while (d && (e = readdir(d)) && n < 56) {
		size_t len = strlen(e->d_name);
		bool own = len == strlen(kata) + 2 &&
			   !strncmp(e->d_name, kata, len - 2);
		if (len > 2 && !strcmp(e->d_name + len - 2, ".c") && !own)
			argv[n++] = xasprintf("%s/%s", kdir, e->d_name);
	}
	if (d)
		closedir(d);
	argv[n++] = "-pthread";
	argv[n++] = "-lcurl";
	argv[n++] = "-lsqlite3";
	argv[n++] = "-ldl";
	r = build_run(argv, log);
	free(kdir);
	free(inc);
	free(kinc);
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
