/*
 * server.c (ftp_transfer grader): the learner's ftp_serve as the tests run
 * it, and the load the big tests put on it.
 *
 * srv_start runs ftp_serve in a thread on tmp/root, a fresh copy of the
 * fixtures beside a canary file outside it; srv_dial connects to it,
 * srv_open does both, srv_plant_links adds links and a directory to the
 * root, srv_busy keeps it busy with three clients, srv_stop stops it and
 * srv_wait_threads waits for its threads to go; srv_blocked_writer and
 * srv_wait_left watch a thread blocked sending.  srv_clients runs eight
 * clients at once; srv_rss_growth and srv_large_verdict measure a large
 * transfer against its yardsticks (memory growth, raw loopback speed).
 */
#define _GNU_SOURCE
#include "ftp_transfer_grader.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net.h"
#include "thread.h"
#include "timing.h"

/* ---- the server --------------------------------------------------------- */

/*
 * Runs ftp_serve; its returning before the stop fails the test at once.
 * The thread runs the learner's code, so it drops its "g:" name: a hang is
 * then diagnosed as the learner's (threads it starts inherit the name).
 */
static void *srv_main(void *arg)
{
	struct srv *s = arg;

	pthread_setname_np(pthread_self(), "ftp_serve");
	s->result = s->serve(s->lfd, s->root_fd, s->stop[0]);
	if (!atomic_load(&s->stopping))
		kata_fail(s->k, "ftp_serve returned %s before stop_fd became "
			  "readable: expected it to keep serving clients until "
			  "then", kata_strres(s->result));
	return NULL;
}

/* tmp/root holds copies of the fixtures; tmp/canary lies outside it. */
static void make_root(struct kata_ctx *k, struct srv *s)
{
	DIR *d = opendir(kata_fixtures(k));
	char src[PATH_MAX], dst[PATH_MAX], *buf;
	struct dirent *e;
	int fd;
	ssize_t n;

	snprintf(s->root, sizeof(s->root), "%s/root", kata_tmpdir(k));
	snprintf(s->canary, sizeof(s->canary), "%s/canary", kata_tmpdir(k));
	if (!d || mkdir(s->root, 0755) < 0 || !(buf = malloc(1 << 16)))
		kata_fail(k, "cannot prepare %s", s->root);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", kata_fixtures(k),
			 e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", s->root, e->d_name);
		fd = open(src, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, 1 << 16);
		if (n < 0)
			kata_fail(k, "cannot read fixture %s", src);
		fs_write(k, dst, buf, (size_t)n);
		close(fd);
	}
	closedir(d);
	free(buf);
	fs_write(k, s->canary, CANARY, strlen(CANARY));
	fs_dir_list(k, s->root, s->fix);
}

void srv_start(struct kata_ctx *k, struct srv *s)
{
	s->serve = KATA_SYM(k, ftp_serve);
	make_root(k, s);
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s->lfd = net_listen_tcp(64, &s->port);
	s->k = k;
	atomic_store(&s->stopping, false);
	if (s->root_fd < 0 || s->lfd < 0 || pipe2(s->stop, O_CLOEXEC) < 0 ||
	    thread_start(&s->t, "server", srv_main, s) < 0)
		kata_fail(k, "cannot start the server's thread");
}

int srv_dial(struct kata_ctx *k, struct srv *s)
{
	int one = 1, fd = net_connect_tcp(s->port, MS(k, 2000));

	if (fd < 0)
		kata_fail(k, "connecting to the server: %s", kata_strres(fd));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int srv_open(struct kata_ctx *k, struct srv *s)
{
	srv_start(k, s);
	return srv_dial(k, s);
}

void srv_plant_links(struct srv *s)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s/link", s->root);
	symlink("../canary", p);
	snprintf(p, sizeof(p), "%s/abs", s->root);
	symlink(s->canary, p);
	snprintf(p, sizeof(p), "%s/dir", s->root);
	mkdir(p, 0755);
}

void srv_stop(struct kata_ctx *k, struct srv *s, double ref)
{
	int limit = (int)(20 * ref) + MS(k, 1000);
	uint64_t t0 = timing_now_ns();

	atomic_store(&s->stopping, true);
	if (write(s->stop[1], "x", 1) != 1)
		kata_fail(k, "cannot write to the stop pipe");
	if (thread_join_timeout(s->t, limit, NULL) < 0)
		kata_fail(k, "ftp_serve did not return within %d ms of stop_fd "
			  "becoming readable (clients: one idle, one "
			  "mid-upload, one mid-download; a LIST took %.1f ms)",
			  limit, ref);
	kata_note(k, "ftp_serve returned %.1f ms after the stop",
		  timing_ms_since(t0));
	kata_expect_int(k, "ftp_serve's result after a stop", s->result, 0);
}

int srv_busy(struct kata_ctx *k, struct srv *s, const char *want)
{
	struct digest d;
	struct rng r;
	int a, b, c;

	a = srv_dial(k, s);
	wire_expect_list(k, a, "LIST", want);	/* a: then idle */
	b = srv_dial(k, s);
	rng_seed(&r, 1);
	digest_init(&d);
	wire_put_part(k, b, "part.bin", 1 << 20, &r, &d, 1 << 19);
	c = srv_dial(k, s);
	wire_sendf(k, c, "GET big.bin");	/* c: mid-download, unread */
	wire_expect(k, c, "GET big.bin", "OK 8388608");
	timing_sleep_ms(50);
	return a;
}

int srv_wait_threads(struct kata_ctx *k, int want)
{
	uint64_t t0 = timing_now_ns();
	int n;

	while ((n = thread_count()) != want && timing_ms_since(t0) < MS(k, 500))
		timing_sleep_ms(5);
	return n;
}

/* ---- a thread blocked sending ------------------------------------------- */

/* True when thread tid sleeps in a call that sends or writes. */
static bool in_write_call(const char *tid)
{
	char path[64], line[64] = "";
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%s/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	nr = line[0] >= '0' && line[0] <= '9' ? strtol(line, NULL, 10) : -1;
	return nr == SYS_write || nr == SYS_writev || nr == SYS_sendto ||
	       nr == SYS_sendmsg || nr == SYS_sendfile;
}

pid_t srv_blocked_writer(struct kata_ctx *k, int ms)
{
	uint64_t t0 = timing_now_ns();
	pid_t self = thread_tid(), found = 0;

	while (!found && timing_ms_since(t0) < MS(k, ms)) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		while (d && !found && (e = readdir(d)))
			if (atoi(e->d_name) > 0 && atoi(e->d_name) != self &&
			    in_write_call(e->d_name))
				found = atoi(e->d_name);
		if (d)
			closedir(d);
		if (!found)
			timing_sleep_ms(2);
	}
	return found;
}

void srv_wait_left(struct kata_ctx *k, pid_t tid, int ms)
{
	uint64_t t0 = timing_now_ns();
	char name[16];

	snprintf(name, sizeof(name), "%d", (int)tid);
	while (in_write_call(name) && timing_ms_since(t0) < MS(k, ms))
		timing_sleep_ms(2);
}

/* ---- many clients at once ----------------------------------------------- */

struct client {
	struct kata_ctx *k;
	struct srv *s;
	int id;
	uint64_t size, fixture;
	pthread_t t;
};

/* Uploads c<id>.bin, then reads it and bytes.bin back twice. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	struct kata_ctx *k = c->k;
	char name[32];
	uint64_t h;
	int fd = srv_dial(k, c->s);

	snprintf(name, sizeof(name), "c%d.bin", c->id);
	h = wire_put(k, fd, name, c->size, 100 + (uint64_t)c->id);
	for (int round = 0; round < 2; round++) {
		if (wire_get(k, fd, "bytes.bin", 256) != c->fixture)
			kata_fail(k, "client %d: GET bytes.bin returned other "
				  "bytes than the file holds", c->id);
		if (wire_get(k, fd, name, c->size) != h)
			kata_fail(k, "client %d: GET %s returned other bytes "
				  "than it uploaded", c->id, name);
	}
	close(fd);
	return NULL;
}

void srv_clients(struct kata_ctx *k, struct srv *s, uint64_t n)
{
	struct client c[8];

	for (int i = 0; i < 8; i++) {
		c[i] = (struct client){ k, s, i, n + (uint64_t)i * 4099,
					fs_digest(k, "root/bytes.bin"), 0 };
		if (thread_start(&c[i].t, "client", client_main, &c[i]) < 0)
			kata_fail(k, "cannot start client thread %d", i);
	}
	for (int i = 0; i < 8; i++)
		if (thread_join_timeout(c[i].t, MS(k, 30000), NULL) < 0)
			kata_fail(k, "client %d did not finish in time", i);
}

/* ---- yardsticks for a large file ---------------------------------------- */

long long srv_rss_growth(bool reset)
{
	static long long base;
	long long rss = 0, hwm = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %lld", &rss);
		sscanf(line, "VmHWM: %lld", &hwm);
	}
	if (f)
		fclose(f);
	if (reset) {
		int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

		if (fd >= 0 && write(fd, "5", 1) == 1)
			hwm = rss;	/* the peak now starts from here */
		if (fd >= 0)
			close(fd);
		base = hwm;
	}
	return hwm - base;
}

struct pump {
	int fd;
	uint64_t n;
	pthread_t t;
};

/* Writes p->n zero bytes to p->fd. */
static void *pump_main(void *arg)
{
	static char zero[FTP_MAX_FRAME];
	struct pump *p = arg;

	for (uint64_t left = p->n; left > 0;) {
		size_t m = left < sizeof(zero) ? (size_t)left : sizeof(zero);

		if (net_write_full(p->fd, zero, m) < 0)
			break;
		left -= m;
	}
	return NULL;
}

/* Milliseconds to move n bytes over raw loopback TCP. */
static double loopback_ms(struct kata_ctx *k, uint64_t n)
{
	struct pump p = { .n = n };
	uint64_t t0 = timing_now_ns();
	double ms;
	int a;

	if (net_tcp_pair(&a, &p.fd) < 0 ||
	    thread_start(&p.t, "pump", pump_main, &p) < 0)
		kata_fail(k, "cannot measure raw loopback");
	for (uint64_t got = 0; got < n;) {
		size_t want = n - got < FTP_MAX_FRAME ? (size_t)(n - got)
						      : FTP_MAX_FRAME;
		ssize_t m = net_read_full(a, wire_buf, want, 5000);

		if (m <= 0)
			kata_fail(k, "raw loopback transfer failed");
		got += (uint64_t)m;
	}
	thread_join_timeout(p.t, 5000, NULL);
	ms = timing_ms_since(t0);
	close(a);
	close(p.fd);
	return ms;
}

void srv_large_verdict(struct kata_ctx *k, uint64_t n, double put_ms,
		       double get_ms)
{
	double raw_ms, mib = (double)(n >> 20);
	long long grew;

	grew = srv_rss_growth(false);
	raw_ms = loopback_ms(k, n);
	kata_note(k, "%.0f MiB: PUT %.0f MiB/s, GET %.0f MiB/s, raw loopback "
		  "%.0f MiB/s", mib, mib * 1000 / put_ms, mib * 1000 / get_ms,
		  mib * 1000 / raw_ms);
	if (grew * 1024 > (long long)(n / 2))
		kata_fail(k, "memory while moving a %.0f MiB file: expected "
			  "the process to grow by less than %.0f MiB, it grew "
			  "by %lld MiB", mib, mib / 2, grew >> 10);
}
