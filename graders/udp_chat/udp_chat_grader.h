/*
 * udp_chat_grader.h: private to the udp_chat grader (graders/udp_chat.c
 * and the files in graders/udp_chat/), not part of any API.
 *
 * subject.c (subj_*): the learner's chat_serve and chat_client running in
 * grader threads, the grader sockets that play members and the client's
 * server, the client's input and output pipes, and the yardsticks of the
 * stop tests.  dgram.c (dg_*): datagrams sent and received by the grader,
 * the checks on replies, relays and WHO.  load.c (load_*): the seeded
 * churn, many-member and garbage workloads.  play.c: `runner play
 * udp_chat server|client` (play_modes).
 */
#ifndef UDP_CHAT_GRADER_H
#define UDP_CHAT_GRADER_H

#include "udp_chat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kata/grader.h>

#include "digest.h"

#define REPLY_MS 2000	/* a reply later than this (scaled) never comes */
#define PROMPT_MS 1000	/* "promptly", beyond the same-run reference: twice
			   the header's "about half a second" */
#define BUF 8192

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* ms scaled by kata_scale(k). */
static inline int scaled(struct kata_ctx *k, int ms)
{
	return (int)(ms * kata_scale(k));
}

/* The learner's function running in a grader thread (one per process). */
struct subject {
	pthread_t t;
	bool started, eof;
	atomic_bool done;
	int r;
	int sock, stop[2], in[2], out[2];
	uint16_t port;
	int peer;			/* client tests: the grader's server */
	int (*serve)(int, int);
	int (*client)(int, int, int);
};

/* chat_serve's run (subj_server_start), chat_client's (subj_client_start). */
extern struct subject subj_srv, subj_cli;

/* ---- subject.c ---------------------------------------------------------- */

/* Fails at once when the learner's function returned too early. */
void subj_alive(struct kata_ctx *k);

/* Returns a new grader socket connected to the server. */
int subj_peer(struct kata_ctx *k);

/* Returns a new grader socket that joined as nick. */
int subj_member(struct kata_ctx *k, const char *nick);

/* Starts chat_serve() and proves that it answers WHO in an empty room. */
void subj_server_start(struct kata_ctx *k);

/*
 * Starts chat_client() with the grader as its server.  Returns the
 * grader's socket connected to the client (subj_cli.peer), which stays
 * open for the rest of the test.
 */
int subj_client_start(struct kata_ctx *k);

/* Writes s to the client's input. */
void subj_type(struct kata_ctx *k, const char *s);

/* Waits until the client has read everything typed so far. */
void subj_wait_read(struct kata_ctx *k);

/* Ends the client's input. */
void subj_end_input(void);

/* The output must show want[0..n) within limit ms; else fail with why. */
void subj_expect_out(struct kata_ctx *k, const char *want, size_t n,
		     int limit, const char *why);

/* The reference: how long an idle poll() in a thread takes to wake (ms). */
double subj_idle_wake_ms(struct kata_ctx *k);

/* After a learner's function returned: no thread of it may be left. */
void subj_threads_back(struct kata_ctx *k, int base, const char *fn);

/* ---- dgram.c ------------------------------------------------------------ */

/* A datagram shown readably: quoted, escaped, cut after 60 bytes. */
const char *dg_show(const void *buf, size_t n);

/* Sends buf[0..n) on fd; fails the test on an error. */
void dg_send(struct kata_ctx *k, int fd, const void *buf, size_t n);

/*
 * Receives the next datagram on fd into buf (BUF bytes, NUL-terminated):
 * returns its length; fails the test when none comes in time.
 */
size_t dg_recv(struct kata_ctx *k, int fd, char *buf, const char *what);

/* The next datagram on fd must be want[0..wn). */
void dg_expect(struct kata_ctx *k, int fd, const void *want, size_t wn,
	       const char *what);

/* Sends cmd[0..cn) and requires the reply want. */
void dg_expect_reply_n(struct kata_ctx *k, int fd, const void *cmd,
		       size_t cn, const char *want);

/* Sends the string cmd and requires the reply want. */
void dg_expect_reply(struct kata_ctx *k, int fd, const char *cmd,
		     const char *want);

/*
 * Sends WHO from fd; the next datagram must be MEMBERS with exactly the
 * nicks in want (space-separated, any order).  Also proves that nothing
 * else was pending for fd.
 */
void dg_who_is(struct kata_ctx *k, int fd, const char *want);

/*
 * Sends cmd from fd, proves with a WHO from witness (in a room of members
 * room) that nothing was relayed to it, then requires the reply want.
 */
void dg_refused(struct kata_ctx *k, int fd, const void *cmd, size_t cn,
		const char *want, int witness, const char *room);

/* Writes a MSG of exactly n bytes, "MSG " and a pattern: returns n. */
size_t dg_long_msg(char *buf, size_t n);

/* ---- load.c ------------------------------------------------------------- */

/* Churn: a seeded walk of joins, leaves and messages over a few sockets. */
struct seat {
	int fd;
	bool in;
	char nick[8];
};

/* The nicks of the seats that are in, each followed by a space, in out. */
void load_room_list(const struct seat *s, int n, char *out);

/* One step of the churn for seat i of s[0..n). */
void load_churn_step(struct kata_ctx *k, struct seat *s, int n, int i,
		     struct rng *g, int step);

/* Many members: a paced round in which every member of fd[0..n) speaks. */
void load_many_round(struct kata_ctx *k, const int *fd, int n, int round,
		     struct rng *g);

/* True when buf[0..n) is "ERR <one of the header's reasons>". */
bool load_known_err(const char *buf, size_t n);

/* Fills buf with garbage; true when it is a member's bad-UTF-8 MSG. */
bool load_garbage(struct rng *g, char *buf, size_t *n);

/* ---- play.c ------------------------------------------------------------- */

/* `runner play udp_chat server|client`; ends with { 0 }. */
extern const struct kata_play play_modes[];

#pragma GCC visibility pop

#endif
