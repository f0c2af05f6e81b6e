/*
 * ftp_transfer.c: reference solution of the ftp_transfer kata.
 *
 * Entry points: ftp_serve (a thread per connection; the accepting thread
 * polls the listening socket and the stop fd, and on stop shuts every
 * connection down and joins its thread), and the client functions ftp_list,
 * ftp_get, ftp_put, ftp_delete.  Frames come from
 * katas/common/frames.c.
 */
#define _GNU_SOURCE
#include "ftp_transfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kata/plugin.h>

KATA_PLUGIN("ftp_transfer");

/* ---- shared helpers ----------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t m = write(fd, p, n);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		p += m;
		n -= (size_t)m;
	}
	return 0;
}

/* Reads up to n bytes, fewer only at end of file: count or -errno. */
static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t m = read(fd, p + got, n - got);

		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -errno;
		if (m == 0)
			break;
		got += (size_t)m;
	}
	return (ssize_t)got;
}

/* Parses 1..20 decimal digits (saturating): 0, or -EINVAL. */
static int parse_size(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v > UINT64_MAX / 10 - 1 ? UINT64_MAX
					    : v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* ---- the server --------------------------------------------------------- */

struct conn {
	struct conn *next;
	pthread_t thread;
	int fd;
	int root;
	atomic_bool done;
};

static atomic_ulong tmp_counter;

/* A plain file name (see "Names" in the header)? len counts every byte. */
static bool valid_name(const char *p, size_t len)
{
	size_t pre = strlen(FTP_TMP_PREFIX);

	if (len == 0 || len > FTP_MAX_NAME)
		return false;
	if ((len == 1 && p[0] == '.') || (len == 2 && !memcmp(p, "..", 2)))
		return false;
	if (len >= pre && !memcmp(p, FTP_TMP_PREFIX, pre))
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '/' || (unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

/* Copies a frame's name into out (FTP_MAX_NAME + 1 bytes): 0 or BAD_NAME */
static int take_name(const char *p, size_t len, char *out)
{
	if (!valid_name(p, len))
		return FTP_BAD_NAME;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int reply(int fd, int status)
{
	const char *t = ftp_status_name(status);

	return ftp_frame_send(fd, t, strlen(t));
}

static int reply_num(int fd, int status, uint64_t n)
{
	char b[64];
	int len = snprintf(b, sizeof(b), "%s %llu", ftp_status_name(status),
			   (unsigned long long)n);

	return ftp_frame_send(fd, b, (size_t)len);
}

/* What to answer for an entry that cannot be used, from fstatat(). */
static int entry_status(int root, const char *name)
{
	struct stat st;

	if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? FTP_NOT_FOUND : FTP_IO_ERROR;
	return S_ISREG(st.st_mode) ? FTP_OK : FTP_BAD_NAME;
}

struct entry {
	char name[FTP_MAX_NAME + 1];
	uint64_t size;
};

/* Reads the root's listable files into a malloc'd array: count or -errno. */
static ssize_t read_listing(int root, struct entry **out)
{
	int dfd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct entry *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *e;
	struct stat st;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -EIO;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (!valid_name(e->d_name, len) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		memcpy(v[n].name, e->d_name, len + 1);
		v[n++].size = (uint64_t)st.st_size;
	}
	closedir(d);
	*out = v;
	return (ssize_t)n;
}

static int do_list(struct conn *c)
{
	struct entry *v = NULL;
	ssize_t n = read_listing(c->root, &v);
	char b[FTP_MAX_NAME + 32];
	int r;

	if (n < 0)
		return reply(c->fd, FTP_IO_ERROR);
	r = reply_num(c->fd, FTP_OK, (uint64_t)n);
	for (ssize_t i = 0; r == 0 && i < n; i++) {
		int len = snprintf(b, sizeof(b), "%llu %s",
				   (unsigned long long)v[i].size, v[i].name);
		r = ftp_frame_send(c->fd, b, (size_t)len);
	}
	free(v);
	return r;
}

static int do_get(struct conn *c, const char *name)
{
	char buf[FTP_MAX_FRAME];
	struct stat st;
	uint64_t left;
	int r, f = openat(c->root, name,
			  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (f < 0)
		return reply(c->fd, errno == ENOENT ? FTP_NOT_FOUND :
			     errno == ELOOP ? FTP_BAD_NAME : FTP_IO_ERROR);
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return reply(c->fd, FTP_BAD_NAME);
	}
	left = (uint64_t)st.st_size;
	r = reply_num(c->fd, FTP_OK, left);
	while (r == 0 && left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = read_full(f, buf, want);

		if (n <= 0)
			r = -EIO;	/* shrunk or failed: hang up */
		else
			r = ftp_frame_send(c->fd, buf, (size_t)n);
		left -= n > 0 ? (uint64_t)n : 0;
	}
	close(f);
	return r;
}

/* Receives size bytes of data frames into f: 0, a status to send, or -errno */
static int receive_data(struct conn *c, int f, uint64_t size)
{
	char buf[FTP_MAX_FRAME];

	while (size > 0) {
		ssize_t n = ftp_frame_recv(c->fd, buf, sizeof(buf));

		if (n == -EMSGSIZE)
			return FTP_TOO_BIG;
		if (n < 0)
			return (int)n;
		if (n == 0 || (uint64_t)n > size)
			return FTP_BAD_REQUEST;
		if (write_all(f, buf, (size_t)n) < 0)
			return FTP_IO_ERROR;
		size -= (uint64_t)n;
	}
	return 0;
}

/* Creates a fresh temporary file in the root, its name in tmp: fd or -errno */
static int create_temp(int root, char *tmp, size_t cap)
{
	for (int i = 0; i < 100; i++) {
		unsigned long id = atomic_fetch_add(&tmp_counter, 1);
		int f;

		snprintf(tmp, cap, "%s%ld-%lu", FTP_TMP_PREFIX, (long)getpid(),
			 id);
		f = openat(root, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			   O_CLOEXEC, 0644);
		if (f >= 0 || errno != EEXIST)
			return f < 0 ? -errno : f;
	}
	return -EEXIST;
}

/* PUT: 0 to go on with the connection, -1 to close it. */
static int do_put(struct conn *c, const char *name, uint64_t size)
{
	char tmp[64];
	int st = entry_status(c->root, name), f, r;

	if (st == FTP_NOT_FOUND)
		st = FTP_OK;
	if (st == FTP_OK && size > FTP_MAX_FILE)
		st = FTP_TOO_BIG;
	if (st != FTP_OK)
		return reply(c->fd, st);
	f = create_temp(c->root, tmp, sizeof(tmp));
	if (f < 0)
		return reply(c->fd, FTP_IO_ERROR);
	r = reply(c->fd, FTP_OK);
	st = r < 0 ? r : receive_data(c, f, size);
	if (close(f) < 0 && st == 0)
		st = FTP_IO_ERROR;
	if (st == 0 && renameat(c->root, tmp, c->root, name) < 0)
		st = FTP_IO_ERROR;
	if (st != 0)
		unlinkat(c->root, tmp, 0);
	if (st > 0)
		reply(c->fd, st);
	return st == 0 ? reply(c->fd, FTP_OK) : -1;
}

static int do_delete(struct conn *c, const char *name)
{
	int st = entry_status(c->root, name);

	if (st == FTP_OK && unlinkat(c->root, name, 0) < 0)
		st = errno == ENOENT ? FTP_NOT_FOUND : FTP_IO_ERROR;
	return reply(c->fd, st);
}

/* Handles one request frame: 0 to go on, negative to close. */
static int handle(struct conn *c, const char *req, size_t n)
{
	char name[FTP_MAX_NAME + 1];
	const char *sp;
	uint64_t size;

	if (n == 4 && !memcmp(req, "LIST", 4))
		return do_list(c);
	if (n >= 4 && !memcmp(req, "GET ", 4))
		return take_name(req + 4, n - 4, name) ? reply(c->fd,
			FTP_BAD_NAME) : do_get(c, name);
	if (n >= 7 && !memcmp(req, "DELETE ", 7))
		return take_name(req + 7, n - 7, name) ? reply(c->fd,
			FTP_BAD_NAME) : do_delete(c, name);
	if (n < 4 || memcmp(req, "PUT ", 4))
		return reply(c->fd, FTP_BAD_REQUEST);
	sp = memrchr(req + 4, ' ', n - 4);
	if (!sp || parse_size(sp + 1, (size_t)(req + n - sp - 1), &size))
		return reply(c->fd, FTP_BAD_REQUEST);
	if (take_name(req + 4, (size_t)(sp - req - 4), name))
		return reply(c->fd, FTP_BAD_NAME);
	return do_put(c, name, size);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char req[FTP_MAX_FRAME];

	for (;;) {
		ssize_t n = ftp_frame_recv(c->fd, req, sizeof(req));

		if (n == -EMSGSIZE)
			reply(c->fd, FTP_TOO_BIG);
		if (n == 0)
			n = reply(c->fd, FTP_BAD_REQUEST);
		else if (n > 0)
			n = handle(c, req, (size_t)n);
		if (n < 0)
			break;
	}
	shutdown(c->fd, SHUT_RDWR);
	atomic_store(&c->done, true);
	return NULL;
}

/* Joins and frees the connections whose thread ended (all when all). */
static void reap(struct conn **list, bool all)
{
	while (*list) {
		struct conn *c = *list;

		if (!all && !atomic_load(&c->done)) {
			list = &c->next;
			continue;
		}
		if (all)
			shutdown(c->fd, SHUT_RDWR);
		pthread_join(c->thread, NULL);
		close(c->fd);
		*list = c->next;
		free(c);
	}
}

static void start_conn(struct conn **list, int fd, int root)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	/* a reply and a small data frame right after it: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	if (!c || (c->fd = fd, c->root = root,
		   pthread_create(&c->thread, NULL, conn_main, c) != 0)) {
		free(c);
		close(fd);
		return;
	}
	c->next = *list;
	*list = c;
}

int ftp_serve(int listen_fd, int root_fd, int stop_fd)
{
	struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
			       { .fd = stop_fd, .events = POLLIN } };
	struct conn *list = NULL;
	struct stat st;

	if (fstat(root_fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	for (;;) {
		int fd, n = poll(p, 2, -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[1].revents)
			break;
		if (n > 0 && p[0].revents) {
			fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				start_conn(&list, fd, root_fd);
		}
		reap(&list, false);
	}
	reap(&list, true);
	return 0;
}

/* ---- the client --------------------------------------------------------- */

/*
 * Receives a reply frame into buf (FTP_MAX_FRAME + 1 bytes, NUL-ended) and
 * parses its status; with num, an OK must carry a number, stored there.
 * Returns the status or -errno.
 */
static int get_reply(int fd, char *buf, uint64_t *num)
{
	static const char *const tokens[] = FTP_STATUS_TOKENS;
	ssize_t n = ftp_frame_recv(fd, buf, FTP_MAX_FRAME);
	size_t tl;

	if (n < 0)
		return n == -ENODATA ? -ECONNRESET : (int)n;
	buf[n] = '\0';
	for (int s = 0; s < FTP_NSTATUS; s++) {
		tl = strlen(tokens[s]);
		if ((size_t)n < tl || memcmp(buf, tokens[s], tl) ||
		    (buf[tl] != '\0' && buf[tl] != ' '))
			continue;
		if (s != FTP_OK)
			return s;
		if (!num)
			return buf[tl] == '\0' ? FTP_OK : -EPROTO;
		if (buf[tl] != ' ' ||
		    parse_size(buf + tl + 1, (size_t)n - tl - 1, num))
			return -EPROTO;
		return FTP_OK;
	}
	return -EPROTO;
}

/* Sends "<cmd> <name>[ <size>]": 0 or -errno. */
static int request(int fd, const char *cmd, const char *name, uint64_t *size)
{
	char b[FTP_MAX_FRAME + 1];
	int len = size ? snprintf(b, sizeof(b), "%s %s %llu", cmd, name,
				  (unsigned long long)*size)
		       : snprintf(b, sizeof(b), "%s %s", cmd, name);

	if (len < 0 || (size_t)len > FTP_MAX_FRAME)
		return -EMSGSIZE;
	return ftp_frame_send(fd, b, (size_t)len);
}

int ftp_list(int fd, void (*fn)(void *arg, const char *name, uint64_t size),
	     void *arg)
{
	char b[FTP_MAX_FRAME + 1];
	uint64_t count, size;
	int r = ftp_frame_send(fd, "LIST", 4);

	if (r == 0)
		r = get_reply(fd, b, &count);
	for (uint64_t i = 0; r == FTP_OK && i < count; i++) {
		ssize_t n = ftp_frame_recv(fd, b, FTP_MAX_FRAME);
		char *sp = n > 0 ? memchr(b, ' ', (size_t)n) : NULL;

		if (n < 0)
			return n == -ENODATA ? -ECONNRESET : (int)n;
		if (!sp || parse_size(b, (size_t)(sp - b), &size))
			return -EPROTO;
		b[n] = '\0';
		fn(arg, sp + 1, size);
	}
	return r;
}

int ftp_get(int fd, const char *name, int out_fd, uint64_t *size)
{
	char b[FTP_MAX_FRAME + 1];
	uint64_t total, got = 0;
	int r = request(fd, "GET", name, NULL);

	if (r == 0)
		r = get_reply(fd, b, &total);
	while (r == FTP_OK && got < total) {
		ssize_t n = ftp_frame_recv(fd, b, FTP_MAX_FRAME);

		if (n < 0)
			return n == -ENODATA ? -ECONNRESET : (int)n;
		if (n == 0 || (uint64_t)n > total - got)
			return -EPROTO;
		r = write_all(out_fd, b, (size_t)n);
		got += (uint64_t)n;
	}
	if (r == FTP_OK)
		*size = total;
	return r;
}

int ftp_put(int fd, const char *name, int in_fd, uint64_t size)
{
	char b[FTP_MAX_FRAME + 1];
	int r = request(fd, "PUT", name, &size);

	if (r == 0)
		r = get_reply(fd, b, NULL);
	while (r == FTP_OK && size > 0) {
		size_t want = size < FTP_MAX_FRAME ? (size_t)size
						   : FTP_MAX_FRAME;
		ssize_t n = read_full(in_fd, b, want);

		if (n < (ssize_t)want)
			return n < 0 ? (int)n : -EIO;
		r = ftp_frame_send(fd, b, want);
		size -= want;
	}
	return r == FTP_OK ? get_reply(fd, b, NULL) : r;
}

int ftp_delete(int fd, const char *name)
{
	char b[FTP_MAX_FRAME + 1];
	int r = request(fd, "DELETE", name, NULL);

	return r == 0 ? get_reply(fd, b, NULL) : r;
}
