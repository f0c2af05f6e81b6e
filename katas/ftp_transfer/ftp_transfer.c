/*
 * ftp_transfer.c: your file server and its client (see README.md and
 * ftp_transfer.h for the whole contract).
 *
 * Entry points: ftp_serve, ftp_list, ftp_get, ftp_put, ftp_delete.  Frames
 * are ready for you in katas/common/frames.c: ftp_frame_send and
 * ftp_frame_recv, and ftp_status_name.
 */
#define _GNU_SOURCE
#include "ftp_transfer.h"

#include <errno.h>

#include <kata/plugin.h>

KATA_PLUGIN("ftp_transfer");

int ftp_serve(int listen_fd, int root_fd, int stop_fd)
{
	/*
	 * TODO: loop on poll() over listen_fd and stop_fd; accept each client
	 * and serve it in its own thread (LIST, GET, PUT, DELETE; check every
	 * name; uploads into an FTP_TMP_PREFIX file renamed when complete).
	 * When stop_fd is readable, end every connection, join every thread
	 * and return 0.
	 */
	(void)listen_fd;
	(void)root_fd;
	(void)stop_fd;
	return -ENOSYS;
}

int ftp_list(int fd, void (*fn)(void *arg, const char *name, uint64_t size),
	     void *arg)
{
	/* TODO: send "LIST", read "OK <count>", then <count> entry frames. */
	(void)fd;
	(void)fn;
	(void)arg;
	return -ENOSYS;
}

int ftp_get(int fd, const char *name, int out_fd, uint64_t *size)
{
	/* TODO: send "GET <name>", read "OK <size>", copy data frames out. */
	(void)fd;
	(void)name;
	(void)out_fd;
	(void)size;
	return -ENOSYS;
}

int ftp_put(int fd, const char *name, int in_fd, uint64_t size)
{
	/* TODO: send "PUT <name> <size>"; after "OK", data frames; reply. */
	(void)fd;
	(void)name;
	(void)in_fd;
	(void)size;
	return -ENOSYS;
}

int ftp_delete(int fd, const char *name)
{
	/* TODO: send "DELETE <name>" and return the reply's status. */
	(void)fd;
	(void)name;
	return -ENOSYS;
}
