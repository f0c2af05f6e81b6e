/*
 * play.h: what `runner play` modes share (graders/<kata>/play.c).
 *
 * Entry points: play_stop_on_signals, play_socket.  A served kata is told to
 * stop through a descriptor, as in the tests; here Ctrl-C and SIGTERM make
 * that descriptor readable.  Both functions print a sentence to stderr when
 * they fail.
 */
#ifndef GRADER_PLAY_H
#define GRADER_PLAY_H

#include <netinet/in.h>

#include "kata/grader.h"

/*
 * Returns a descriptor that becomes readable when SIGINT or SIGTERM
 * arrives (the read end of a pipe the handler writes to), or -1.
 */
int play_stop_on_signals(void);

/*
 * Returns a socket of type SOCK_DGRAM, or SOCK_STREAM already listening,
 * bound to kata_listen(k) and port (0: any), its address in *a; or -1.
 * The caller owns the socket.
 */
int play_socket(struct kata_ctx *k, int type, long port,
		struct sockaddr_in *a);

#endif
