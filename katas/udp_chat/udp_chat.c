/*
 * udp_chat.c: your group chat over UDP.  Read README.md, then udp_chat.h
 * (the contract: every command, reply, token and limit).
 *
 * Entry points: chat_serve (the relay server), chat_client (the client).
 * Both return a negative errno (-ENOSYS) until you write them.
 */
#include <errno.h>

#include <kata/plugin.h>
#include "udp_chat.h"

KATA_PLUGIN("udp_chat");

int chat_serve(int sock, int stop_fd)
{
	/*
	 * TODO: loop until stop_fd becomes readable: poll() sock and stop_fd
	 * together; recvfrom() each datagram into a buffer larger than
	 * CHAT_MAX_DATAGRAM, check its length and UTF-8, then carry out
	 * JOIN / MSG / WHO / LEAVE against a table of members (address and
	 * nick), answering with sendto().  Return 0 once stopped.
	 */
	(void)sock;
	(void)stop_fd;
	return -ENOSYS;
}

int chat_client(int sock, int in_fd, int out_fd)
{
	/*
	 * TODO: send each line read from in_fd as one datagram (send() on the
	 * connected sock), and at the same time write every datagram recv()'d
	 * from sock to out_fd followed by '\n' (poll() both, or a receiving
	 * thread).  Return 0 at end of input, with every thread joined.
	 */
	(void)sock;
	(void)in_fd;
	(void)out_fd;
	return -ENOSYS;
}
