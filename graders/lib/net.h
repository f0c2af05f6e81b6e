/*
 * net.h: loopback sockets for graders, always 127.0.0.1, always port 0.
 *
 * Entry points: net_listen_tcp, net_connect_tcp, net_accept, net_tcp_pair,
 * net_udp_bind, net_wait_readable, net_read_full, net_write_full,
 * net_count_fds.  Every function returns a descriptor or count (>= 0) or a
 * negative errno; -ETIMEDOUT when its deadline passes.  The caller owns and
 * closes every descriptor returned.
 */
#ifndef GRADER_NET_H
#define GRADER_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A TCP listener on 127.0.0.1, port chosen by the kernel, stored in *port */
int net_listen_tcp(int backlog, uint16_t *port);

/* A TCP connection to 127.0.0.1:port within timeout_ms. */
int net_connect_tcp(uint16_t port, int timeout_ms);

/* Accepts one connection within timeout_ms. */
int net_accept(int listen_fd, int timeout_ms);

/* A connected loopback TCP pair (not a socketpair: real TCP). 0 or -errno. */
int net_tcp_pair(int *client, int *server);

/* A UDP socket bound to 127.0.0.1, port chosen by the kernel, in *port. */
int net_udp_bind(uint16_t *port);

/* 1 when fd is readable within timeout_ms, 0 on timeout, -errno on error. */
int net_wait_readable(int fd, int timeout_ms);

/*
 * Reads exactly n bytes within timeout_ms.  Returns n, the bytes read before
 * end-of-stream (< n), or -errno (-ETIMEDOUT).
 */
ssize_t net_read_full(int fd, void *buf, size_t n, int timeout_ms);

/* Writes all n bytes (retrying short writes and EINTR). n or -errno. */
ssize_t net_write_full(int fd, const void *buf, size_t n);

/* The number of open descriptors in this process (/proc/self/fd). */
int net_count_fds(void);

#endif
