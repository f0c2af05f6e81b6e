/*
 * load.c (udp_chat grader): the seeded workloads of the churn, many and
 * garbage tests.
 *
 * load_churn_step takes one step of a random walk of joins, leaves and
 * messages over a few seats, checking every reply and relay, with
 * load_room_list giving the room it should leave behind.  load_many_round
 * has every member speak once and checks that each message reaches every
 * other member exactly once.  load_garbage makes a hostile datagram and
 * load_known_err recognises the ERR replies the header allows.
 */
#define _GNU_SOURCE
#include "udp_chat_grader.h"

#include <stdio.h>
#include <string.h>

void load_room_list(const struct seat *s, int n, char *out)
{
	*out = '\0';
	for (int i = 0; i < n; i++)
		if (s[i].in)
			sprintf(out + strlen(out), "%s ", s[i].nick);
}

static bool nick_used(const struct seat *s, int n, const char *nick)
{
	for (int i = 0; i < n; i++)
		if (s[i].in && !strcmp(s[i].nick, nick))
			return true;
	return false;
}

void load_churn_step(struct kata_ctx *k, struct seat *s, int n, int i,
		     struct rng *g, int step)
{
	char cmd[64], want[64], what[64];

	if (s[i].in && rng_below(g, 3) == 0) {
		dg_expect_reply(k, s[i].fd, "LEAVE", CHAT_OK);
		s[i].in = false;
		load_room_list(s, n, cmd);
		dg_who_is(k, s[i].fd, cmd);
	} else if (s[i].in) {
		snprintf(cmd, sizeof(cmd), "MSG step %d", step);
		snprintf(want, sizeof(want), "%s: step %d", s[i].nick, step);
		dg_send(k, s[i].fd, cmd, strlen(cmd));
		for (int j = 0; j < n; j++) {
			if (j == i || !s[j].in)
				continue;
			snprintf(what, sizeof(what), "%s's next datagram",
				 s[j].nick);
			dg_expect(k, s[j].fd, want, strlen(want), what);
		}
	} else if (rng_below(g, 4) == 0) {
		dg_expect_reply(k, s[i].fd, "MSG hi",
				"ERR " CHAT_ERR_NOT_JOINED);
	} else {
		int nick = (int)rng_below(g, 10);

		snprintf(cmd, sizeof(cmd), "JOIN n%d", nick);
		if (nick_used(s, n, cmd + 5)) {
			dg_expect_reply(k, s[i].fd, cmd, "ERR " CHAT_ERR_TAKEN);
			return;
		}
		dg_expect_reply(k, s[i].fd, cmd, CHAT_OK);
		snprintf(s[i].nick, sizeof(s[i].nick), "n%d", nick);
		s[i].in = true;
	}
}

void load_many_round(struct kata_ctx *k, const int *fd, int n, int round,
		     struct rng *g)
{
	static char want[CHAT_MAX_MEMBERS][80];
	char cmd[64], buf[BUF], what[64];
	int from;

	for (int i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "MSG r%d-%016llx", round,
			 (unsigned long long)rng_next(g));
		snprintf(want[i], sizeof(want[i]), "m%02d: %s", i, cmd + 4);
		dg_send(k, fd[i], cmd, strlen(cmd));
	}
	for (int j = 0; j < n; j++) {
		bool seen[CHAT_MAX_MEMBERS] = { false };

		snprintf(what, sizeof(what), "m%02d, round %d", j, round);
		for (int c = 0; c < n - 1; c++) {
			size_t len = dg_recv(k, fd[j], buf, what);

			if (sscanf(buf, "m%2d: ", &from) != 1 || from < 0 ||
			    from >= n || strcmp(buf, want[from]))
				kata_fail(k, "%s: got %s, which nobody sent "
					  "this round", what,
					  dg_show(buf, len));
			if (from == j)
				kata_fail(k, "%s: got its own message back "
					  "(an echo)", what);
			if (seen[from])
				kata_fail(k, "%s: got %s twice", what,
					  dg_show(buf, len));
			seen[from] = true;
		}
	}
}

bool load_known_err(const char *buf, size_t n)
{
	static const char *tok[] = { CHAT_ERR_TOO_LONG, CHAT_ERR_BAD_UTF8,
		CHAT_ERR_UNKNOWN, CHAT_ERR_BAD_NICK, CHAT_ERR_ALREADY,
		CHAT_ERR_TAKEN, CHAT_ERR_FULL, CHAT_ERR_NOT_JOINED, NULL };

	for (int i = 0; tok[i]; i++)
		if (n == 4 + strlen(tok[i]) && !memcmp(buf, "ERR ", 4) &&
		    !memcmp(buf + 4, tok[i], n - 4))
			return true;
	return false;
}

bool load_garbage(struct rng *g, char *buf, size_t *n)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789 ";
	unsigned kind = (unsigned)rng_below(g, 4);

	*n = (size_t)rng_below(g, kind == 2 ? 60 : kind ? 1000 : 1200) + 1;
	rng_fill(g, buf, *n);
	if (kind == 1 || kind == 2) {
		size_t h = kind == 1 ? 4 : 5;

		memmove(buf + h, buf, *n);
		memcpy(buf, kind == 1 ? "MSG " : "JOIN ", h);
		buf[h + rng_below(g, *n)] = (char)0xff;
		*n += h;
	} else if (kind == 3) {
		for (size_t i = 0; i < *n; i++)
			buf[i] = word[(unsigned char)buf[i] % 37];
	}
	return kind == 1;
}
