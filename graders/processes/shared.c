/*
 * shared.c (processes grader): the tests of state shared between
 * processes, through a file under flock() (the notes' ticket office) and
 * through a MAP_SHARED page with a process-shared mutex (Value + Lock).
 *
 * The race tests fork the grader's own processes, which call the
 * learner's ticket_buy / counter_add, so the grader knows exactly who got
 * which ticket; the lock tests hold the lock themselves (a flock on the
 * grader's own descriptor, the counter's mutex from a grader child) and
 * check that the learner's code waits for it.
 * Entry points: t_ticket_*, t_counter_* (see proc_grader.h).
 */
#define _GNU_SOURCE
#include "proc_grader.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timing.h"

/* ---- the ticket file ------------------------------------------------- */

static const char *tk_path(struct kata_ctx *k, const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", kata_tmpdir(k), name);
	return p;
}

static void tk_put(struct kata_ctx *k, const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	KATA_REQUIRE(k, f && fputs(text, f) >= 0 && fclose(f) == 0,
		     "grader: cannot write %s", path);
}

static void tk_put_count(struct kata_ctx *k, const char *path, int count)
{
	char b[64];

	snprintf(b, sizeof(b), TICKET_FORMAT, count);
	tk_put(k, path, b);
}

/* s in double quotes, newlines as \n (two calls' worth of buffers). */
static const char *quote(const char *s)
{
	static char b[2][160];
	static int i;
	size_t n = 0;

	i ^= 1;
	b[i][n++] = '"';
	for (; *s && n < sizeof(b[i]) - 4; s++) {
		if (*s == '\n')
			b[i][n++] = '\\';
		b[i][n++] = *s == '\n' ? 'n' : *s;
	}
	b[i][n++] = '"';
	b[i][n] = '\0';
	return b[i];
}

/* Fails unless the file holds exactly want. */
static void tk_expect_text(struct kata_ctx *k, const char *path,
			   const char *want, const char *when)
{
	char got[128] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, got, sizeof(got) - 1);

	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = '\0';
	KATA_REQUIRE(k, !strcmp(got, want), "the ticket file %s: expected "
		     "%s, got %s", when, quote(want),
		     n < 0 ? "(cannot read it)" : quote(got));
}

/* True when the file holds exactly TICKET_FORMAT of count. */
static bool tk_holds(const char *path, int count)
{
	char want[64], got[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, got, sizeof(got) - 1);

	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), TICKET_FORMAT, count);
	return !strcmp(got, want);
}

static void tk_expect(struct kata_ctx *k, const char *path, int count,
		      const char *when)
{
	char b[64];

	snprintf(b, sizeof(b), TICKET_FORMAT, count);
	tk_expect_text(k, path, b, when);
}

static long tk_buy(struct kata_ctx *k, const char *path)
{
	struct call c = { .fn = call_buy, .what = "ticket_buy",
			  .path = path };

	ch_run(k, &c, ch_ms(k, 3000), ": nobody else held the lock");
	return c.r;
}

void t_ticket_buy(struct kata_ctx *k)
{
	const char *path = tk_path(k, "Ticket_SQL.txt");
	static const char *after[] = { "after ticket 3 was sold",
		"after ticket 2 was sold", "after ticket 1 was sold" };

	ch_init(k);
	tk_put_count(k, path, 3);
	kata_concept(k, "the notes' ticket office: read the count, and if a "
		     "ticket is left, write count - 1 back; the ticket sold "
		     "is the count that was read");
	for (int t = 3; t >= 1; t--) {
		kata_expect_int(k, "ticket_buy", tk_buy(k, path), t);
		tk_expect(k, path, t - 1, after[3 - t]);
	}
	kata_expect_int(k, "ticket_buy when sold out", tk_buy(k, path), 0);
	tk_expect(k, path, 0, "after a sold-out ticket_buy");
	kata_expect_int(k, "ticket_buy when sold out, again",
			tk_buy(k, path), 0);
}

void t_ticket_bad_file(struct kata_ctx *k)
{
	static const char *bad[] = { "garbage\n", "", "{\"count\": -3}\n",
		"{\"count\": }\n", "{\"count\": 1000001}\n",
		"{\"count\":3}\n" };
	const char *path = tk_path(k, "Ticket_SQL.txt");

	ch_init(k);
	kata_concept(k, "a file another program wrote may be anything: "
		     "refuse what does not parse, and do not overwrite it");
	tk_put_count(k, path, 1);
	kata_expect_int(k, "ticket_buy on a good file", tk_buy(k, path), 1);
	kata_expect_int(k, "ticket_buy on a missing file",
			tk_buy(k, tk_path(k, "no-such-file")), -ENOENT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char what[96];

		tk_put(k, path, bad[i]);
		snprintf(what, sizeof(what), "ticket_buy on a file holding "
			 "\"%.*s\"", (int)strcspn(bad[i], "\n"), bad[i]);
		kata_expect_int(k, what, tk_buy(k, path), -EBADMSG);
		KATA_REQUIRE(k, access(path, F_OK) == 0, "%s: the file is "
			     "gone", what);
		tk_expect_text(k, path, bad[i][0] ? bad[i] : "", what);
	}
}

void t_ticket_lock(struct kata_ctx *k)
{
	const char *path = tk_path(k, "Ticket_SQL.txt");
	struct call c = { .fn = call_buy, .what = "ticket_buy", .path = path };
	bool blocked;
	int fd;

	ch_init(k);
	tk_put_count(k, path, 3);
	fd = open(path, O_RDWR | O_CLOEXEC);
	KATA_REQUIRE(k, fd >= 0 && flock(fd, LOCK_EX) == 0,
		     "grader: cannot lock %s", path);
	kata_concept(k, "a lock between processes is one every buyer takes "
		     "the same way: here flock(fd, LOCK_EX) on the ticket "
		     "file, held from the read until the write");
	ch_start(k, &c);
	blocked = ch_wait_blocked(&c, ch_ms(k, 1000));
	KATA_REQUIRE(k, !atomic_load(&c.done), "ticket_buy returned %s while "
		     "the grader held flock(LOCK_EX) on the ticket file: take "
		     "that lock before reading the count", kata_strres(c.r));
	KATA_REQUIRE(k, blocked, "ticket_buy neither returned nor blocked "
		     "within %d ms while the file was locked",
		     ch_ms(k, 1000));
	tk_expect(k, path, 3, "while the grader held the lock");
	close(fd);		/* releases the lock */
	ch_finish(k, &c, ch_ms(k, 3000), ": the lock had been released");
	kata_expect_int(k, "ticket_buy once the lock was released", c.r, 3);
	tk_expect(k, path, 2, "after that purchase");
}

void t_ticket_held(struct kata_ctx *k)
{
	const char *path = tk_path(k, "Ticket_SQL.txt");
	unsigned think = (unsigned)ch_ms(k, 200) * 1000;
	struct call c = { .fn = call_buy, .what = "ticket_buy", .path = path,
			  .think = think };
	bool thinking;
	int fd, r;

	ch_init(k);
	tk_put_count(k, path, 3);
	kata_concept(k, "the lock covers the whole purchase: read, think, "
		     "write; let go before the write and another buyer reads "
		     "the old count while you think, and sells it again");
	ch_start(k, &c);
	thinking = ch_wait_blocked(&c, ch_ms(k, 1000));
	KATA_REQUIRE(k, thinking, "ticket_buy(path, %u) returned %s at once: "
		     "it must wait think_us between reading and writing",
		     think, kata_strres((int)c.r));
	fd = open(path, O_RDWR | O_CLOEXEC);
	KATA_REQUIRE(k, fd >= 0, "grader: cannot open %s", path);
	r = flock(fd, LOCK_EX | LOCK_NB) ? -errno : 0;
	/* free: fine only if the purchase was complete (the count is 2) */
	KATA_REQUIRE(k, r || !tk_holds(path, 3), "while ticket_buy was "
		     "thinking (it had read the count 3, not yet written 2), "
		     "the grader's flock(LOCK_EX | LOCK_NB) got the lock: hold "
		     "it from the read until the new count is written");
	close(fd);	/* releases the lock if the grader got it */
	ch_finish(k, &c, ch_ms(k, 3000), ": it had thought for long enough");
	kata_expect_int(k, "ticket_buy", c.r, 3);
	tk_expect(k, path, 2, "after that purchase");
}

/* Maps the shared tallies of nb buyers for n tickets. */
static void race_setup(struct kata_ctx *k, struct buyers *b, unsigned nb)
{
	size_t sz = sizeof(int) * (2 * nb + (size_t)nb * b->cap);
	int *m = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	KATA_REQUIRE(k, m != MAP_FAILED, "grader: mmap failed");
	b->n = m;
	b->err = m + nb;
	b->got = m + 2 * nb;
}

/* Each buyer stopped at sold out, not at an error or the cap. */
static void race_errors(struct kata_ctx *k, const struct buyers *b,
			unsigned nb)
{
	for (unsigned i = 0; i < nb; i++) {
		KATA_REQUIRE(k, b->err[i] <= 0, "buyer %u was still buying "
			     "after %u purchases of %u tickets", i, b->cap,
			     b->count);
		KATA_REQUIRE(k, b->err[i] == 0, "buyer %u: ticket_buy returned "
			     "%s%s", i, kata_strres(b->err[i]),
			     b->err[i] == -EBADMSG ? ": it read the file while "
			     "another buyer was rewriting it; hold the lock "
			     "until the new count is written" : "");
	}
}

/* Every ticket 1..count sold exactly once; names the first that is not. */
static void race_check(struct kata_ctx *k, const struct buyers *b,
		       unsigned nb)
{
	int *sold = calloc(b->count + 1, sizeof(int)), *who;

	who = calloc(b->count + 1, sizeof(int));
	KATA_REQUIRE(k, sold && who, "grader: out of memory");
	for (unsigned i = 0; i < nb; i++) {
		for (int j = 0; j < b->n[i]; j++) {
			int t = b->got[(size_t)i * b->cap + (size_t)j];

			KATA_REQUIRE(k, t >= 1 && t <= (int)b->count, "buyer "
				     "%u got ticket %d, not one of 1..%u", i,
				     t, b->count);
			KATA_REQUIRE(k, !sold[t]++, "ticket %d was sold "
				     "twice (to buyer %d, then to buyer %u): "
				     "two purchases overlapped, one reading "
				     "the count before the other wrote it "
				     "back; hold the lock from the read to "
				     "the write", t, who[t], i);
			who[t] = (int)i;
		}
	}
	race_errors(k, b, nb);
	for (unsigned t = 1; t <= b->count; t++)
		KATA_REQUIRE(k, sold[t], "ticket %u was never sold", t);
	free(sold);
	free(who);
}

void t_ticket_race(struct kata_ctx *k)
{
	enum { NB = 4 };
	struct buyers b = { .buy = KATA_SYM(k, ticket_buy),
		.path = tk_path(k, "Ticket_SQL.txt"),
		.count = (unsigned)kata_param(k, "tickets", 300, 80),
		.think = (unsigned)kata_param(k, "think_us", 200, 200) };
	pid_t pids[NB];
	int limit;

	ch_init(k);
	b.cap = 2 * b.count;
	limit = ch_ms(k, 3000 + 10.0 * b.count * b.think / 1000);
	race_setup(k, &b, NB);
	tk_put_count(k, b.path, (int)b.count);
	kata_concept(k, "the lost update across processes: without the lock "
		     "two buyers read the same count, both sell that ticket, "
		     "and the office sells more tickets than it has");
	for (int i = 0; i < NB; i++) {
		b.who = i;
		pids[i] = ch_fork(k, buyer_main, &b);
	}
	for (int i = 0; i < NB; i++)
		ch_reap(k, pids[i], limit);
	race_check(k, &b, NB);
	tk_expect(k, b.path, 0, "after every ticket was sold");
	kata_note(k, "%u tickets: buyers got %d, %d, %d, %d", b.count,
		  b.n[0], b.n[1], b.n[2], b.n[3]);
}

static long tk_sale(struct kata_ctx *k, const char *path, unsigned nb,
		    unsigned think, unsigned *bought, int limit)
{
	struct call c = { .fn = call_sale, .what = "ticket_sale",
			  .path = path, .buyers = nb, .think = think,
			  .bought = bought };

	ch_run(k, &c, limit, ": every buyer stops at sold out");
	ch_expect_none(k, "after ticket_sale returned");
	return c.r;
}

void t_ticket_sale(struct kata_ctx *k)
{
	const char *path = tk_path(k, "Ticket_SQL.txt");
	unsigned n = (unsigned)kata_param(k, "tickets", 300, 80), sum = 0;
	unsigned bought[5] = { 0 };
	int limit = ch_ms(k, 3000 + 10.0 * n * 100 / 1000);

	ch_init(k);
	tk_put_count(k, path, (int)n);
	kata_concept(k, "the notes' office: several buyer processes, each "
		     "buying until sold out; the parent waits for all of "
		     "them and adds up who bought what");
	kata_expect_int(k, "ticket_sale(5 buyers): tickets sold",
			tk_sale(k, path, 5, 100, bought, limit), n);
	for (int i = 0; i < 5; i++)
		sum += bought[i];
	kata_expect_int(k, "the sum of bought[]", sum, n);
	tk_expect(k, path, 0, "after the sale");
	kata_note(k, "%u tickets: buyers got %u, %u, %u, %u, %u", n,
		  bought[0], bought[1], bought[2], bought[3], bought[4]);
	kata_expect_int(k, "ticket_sale(0 buyers)",
			tk_sale(k, path, 0, 0, bought, limit), -EINVAL);
	kata_expect_int(k, "ticket_sale(TICKET_MAX_BUYERS + 1 buyers)",
			tk_sale(k, path, TICKET_MAX_BUYERS + 1, 0, bought,
				limit), -EINVAL);
	kata_expect_int(k, "ticket_sale on a missing file",
			tk_sale(k, tk_path(k, "no-such-file"), 3, 0, bought,
				limit), -ENOENT);
}

/* ---- the shared counter ---------------------------------------------- */

static struct shared_counter *ctr_new(struct kata_ctx *k, long initial)
{
	struct shared_counter *c = KATA_SYM(k, counter_create)(initial);

	KATA_REQUIRE(k, c, "counter_create(%ld): expected a counter, got "
		     "NULL", initial);
	kata_expect_int(k, "counter_get of a new counter",
			KATA_SYM(k, counter_get)(c), initial);
	return c;
}

struct adder {
	int (*add)(struct shared_counter *c, long delta);
	struct shared_counter *c;
	long times, delta;
	int gate[2];	/* all adders start when the write end closes */
};

static void adder_main(void *arg)
{
	struct adder *a = arg;
	char b;

	if (a->gate[1] >= 0) {
		close(a->gate[1]);
		while (read(a->gate[0], &b, 1) > 0)
			;
	}
	for (long i = 0; i < a->times; i++)
		if (a->add(a->c, a->delta) != 0)
			_exit(1);
}

void t_counter_shared(struct kata_ctx *k)
{
	struct adder a = { KATA_SYM(k, counter_add), NULL, 1, 5, { -1, -1 } };
	int st;

	ch_init(k);
	kata_concept(k, "after fork() the child has a copy of the parent's "
		     "memory, malloc'd or not; only a MAP_SHARED mapping made "
		     "before fork() is the same memory in both");
	a.c = ctr_new(k, 100);
	st = ch_reap(k, ch_fork(k, adder_main, &a), ch_ms(k, 3000));
	KATA_REQUIRE(k, WIFEXITED(st) && WEXITSTATUS(st) == 0, "counter_add "
		     "failed in a child process (status %#x)", st);
	kata_expect_int(k, "counter_get after a child added 5 (a child's "
			"change must show in the parent: MAP_SHARED)",
			KATA_SYM(k, counter_get)(a.c), 105);
	kata_expect_int(k, "c->value", a.c->value, 105);
	KATA_SYM(k, counter_destroy)(a.c);
}

struct holder {
	struct shared_counter *c;
	int ready, go;
};

static void holder_main(void *arg)
{
	struct holder *h = arg;
	char b;

	if (pthread_mutex_lock(&h->c->lock) != 0)
		_exit(1);
	if (write(h->ready, "r", 1) != 1 || read(h->go, &b, 1) != 1)
		_exit(2);
	pthread_mutex_unlock(&h->c->lock);
}

void t_counter_lock(struct kata_ctx *k)
{
	struct call c = { .fn = call_add, .what = "counter_add", .delta = 5 };
	int ready[2], go[2];
	struct holder h;
	bool blocked;
	pid_t pid;

	ch_init(k);
	ch_pipe(k, ready);
	ch_pipe(k, go);
	h = (struct holder){ ctr_new(k, 10), ready[1], go[0] };
	c.ctr = h.c;
	kata_concept(k, "a mutex in shared memory protects it across "
		     "processes only when it was made PTHREAD_PROCESS_SHARED "
		     "and every process locks it");
	pid = ch_fork(k, holder_main, &h);
	ch_ready(k, ready[0], "the grader process holding the counter's lock");
	ch_start(k, &c);
	blocked = ch_wait_blocked(&c, ch_ms(k, 1000));
	KATA_REQUIRE(k, !atomic_load(&c.done), "counter_add returned while "
		     "another process held c->lock: lock it around the update");
	KATA_REQUIRE(k, blocked, "counter_add neither returned nor blocked "
		     "while another process held c->lock");
	kata_expect_int(k, "c->value while another process held the lock",
			h.c->value, 10);
	KATA_REQUIRE(k, write(go[1], "g", 1) == 1, "grader: write failed");
	ch_finish(k, &c, ch_ms(k, 500), " after the other process unlocked "
		  "c->lock: was the mutex made PTHREAD_PROCESS_SHARED?  A "
		  "private mutex's wake-up never reaches another process");
	kata_expect_int(k, "counter_add", c.r, 0);
	kata_expect_int(k, "counter_get afterwards",
			KATA_SYM(k, counter_get)(h.c), 15);
	ch_reap(k, pid, ch_ms(k, 2000));
}

void t_counter_many(struct kata_ctx *k)
{
	enum { NP = 4 };
	struct adder a = { KATA_SYM(k, counter_add), NULL,
			   kata_param(k, "adds", 200000, 50000), 1,
			   { -1, -1 } };
	pid_t pids[NP];

	ch_init(k);
	ch_pipe(k, a.gate);
	kata_concept(k, "value += 1 is a read, an add and a write: two "
		     "processes can interleave them and lose an update (the "
		     "notes' count.value += 1 under `with lock`)");
	a.c = ctr_new(k, 0);
	for (int i = 0; i < NP; i++)
		pids[i] = ch_fork(k, adder_main, &a);
	close(a.gate[1]);	/* go */
	for (int i = 0; i < NP; i++) {
		int st = ch_reap(k, pids[i], ch_ms(k, 5000 + a.times / 10));

		KATA_REQUIRE(k, WIFEXITED(st) && WEXITSTATUS(st) == 0,
			     "counter_add failed in process %d (status %#x)",
			     i, st);
	}
	KATA_REQUIRE(k, KATA_SYM(k, counter_get)(a.c) == NP * a.times,
		     "counter after %d processes each called counter_add(+1) "
		     "%ld times: expected %ld, got %ld: updates were lost",
		     NP, a.times, NP * a.times, KATA_SYM(k, counter_get)(a.c));
	KATA_SYM(k, counter_destroy)(a.c);
}
