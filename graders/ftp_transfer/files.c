/*
 * files.c (ftp_transfer grader): the files and directories the tests
 * prepare on the server's side and compare with what the server did.
 *
 * Listings in one format for the root and for LIST (fs_dir_list,
 * fs_join_sorted, fs_wait_dir) and files written and digested
 * (fs_write, fs_random, fs_digest).
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timing.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void fs_join_sorted(char **v, int n, char *out)
{
	size_t j = 0;

	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		j += (size_t)snprintf(out + j, LIST_CAP - j, "%s%s",
				      i ? ", " : "", v[i]);
		if (j >= LIST_CAP)
			j = LIST_CAP - 1;
		free(v[i]);
	}
}

void fs_dir_list(struct kata_ctx *k, const char *path, char *out)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct stat st;
	char *v[256];
	int n = 0;

	if (!d)
		kata_fail(k, "cannot open %s: %s", path, kata_strres(-errno));
	while ((e = readdir(d)) && n < 256) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (asprintf(&v[n], S_ISLNK(st.st_mode) ? "%s->" : "%s=%lld",
			     e->d_name, (long long)st.st_size) >= 0)
			n++;
	}
	closedir(d);
	fs_join_sorted(v, n, out);
}

void fs_wait_dir(struct kata_ctx *k, const char *path, const char *want,
		 const char *what)
{
	uint64_t t0 = timing_now_ns();
	char got[LIST_CAP];

	for (;;) {
		fs_dir_list(k, path, got);
		if (!strcmp(got, want))
			return;
		if (timing_ms_since(t0) > MS(k, 1000))
			kata_fail(k, "%s: expected the directory to hold [%s], "
				  "got [%s]", what, want, got);
		timing_sleep_ms(10);
	}
}

uint64_t fs_digest(struct kata_ctx *k, const char *path)
{
	uint64_t h;
	int r = digest_file(path, &h);

	if (r < 0)
		kata_fail(k, "reading %s: %s", path, kata_strres(r));
	return h;
}

void fs_write(struct kata_ctx *k, const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || close(fd) < 0)
		kata_fail(k, "cannot write %s: %s", path, kata_strres(-errno));
}

uint64_t fs_random(struct kata_ctx *k, const char *path, uint64_t size,
		   uint64_t seed)
{
	static char b[1 << 20];
	struct digest d;
	struct rng r;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	rng_seed(&r, seed);
	digest_init(&d);
	for (uint64_t left = size; fd >= 0 && left > 0;) {
		size_t m = left < sizeof(b) ? (size_t)left : sizeof(b);

		rng_fill(&r, b, m);
		digest_update(&d, b, m);
		if (write(fd, b, m) != (ssize_t)m)
			kata_fail(k, "cannot write %s", path);
		left -= m;
	}
	if (fd < 0 || close(fd) < 0)
		kata_fail(k, "cannot write %s: %s", path, kata_strres(-errno));
	return d.h;
}
