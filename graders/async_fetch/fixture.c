/*
 * fixture.c (async_fetch grader): the other side of the learner's
 * transfers.  The HTTP fixture server (graders/lib/httpd.h, serving
 * fixtures/async_fetch/) and URLs on it, waiting until it has no connection
 * open, the sink that checks a streamed /bytes/<n> body as it passes, and
 * what /proc says about this process: its learner threads, its address
 * space.
 *
 * Entry points: fix_server, fix_url, fix_settle, fix_sink,
 * fix_learner_threads, fix_vm_size.
 */
#define _GNU_SOURCE
#include "async_fetch_grader.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

/* Starts the server on fixtures/async_fetch/; fails the test if it cannot. */
struct httpd *fix_server(struct kata_ctx *k)
{
	struct httpd *h;
	int r = httpd_start(kata_fixtures(k), &h);

	if (r)
		kata_fail(k, "fixture server: could not start (%s)",
			  kata_strres(r));
	return h;
}

/* A URL on server h, built from a printf format; lives until test end. */
char *fix_url(struct httpd *h, const char *fmt, ...)
{
	char path[256], *u = malloc(320);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (u)
		httpd_url(h, path, u, 320);
	return u;
}

/* Threads in this process that are not the grader's ("g:" names). */
int fix_learner_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		if ((f = fopen(path, "re"))) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		n += strncmp(comm, KATA_GRADER_THREAD_PREFIX, 2) != 0;
	}
	if (d)
		closedir(d);
	return n;
}

/* Checks each byte against the /bytes/<n> pattern as it streams past. */
int fix_sink(size_t i, const void *data, size_t n, void *arg)
{
	struct sink *s = arg;
	const uint8_t *p = data;

	(void)i;
	for (size_t j = 0; j < n; j++, s->got++) {
		if (!s->bad_at && p[j] != (uint8_t)(s->lo + s->hi))
			s->bad_at = s->got + 1;
		if (++s->lo == 251) {
			s->lo = 0;
			s->hi += 7;
		}
	}
	return 0;
}

/* Address space in use now, in bytes (VmSize), or 0. */
unsigned long long fix_vm_size(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* Waits until the server has no connection open (the client closed). */
void fix_settle(struct httpd *h)
{
	struct httpd_stats st;
	uint64_t t0 = timing_now_ns();

	do {
		httpd_stats(h, &st);
		if (!st.open_connections)
			return;
		timing_sleep_ms(5);
	} while (timing_ms_since(t0) < 1000);
}
