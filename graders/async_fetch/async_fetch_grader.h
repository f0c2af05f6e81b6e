/*
 * async_fetch_grader.h: private to the async_fetch grader
 * (graders/async_fetch.c and graders/async_fetch/: batch.c, contract.c,
 * fixture.c), not part of any API.
 *
 * batch.c (batch_*): a batch of requests run through fetch_all, and the
 * checks of its results.  contract.c (t_*): three of the tests, the
 * smaller promises of the header.  fixture.c (fix_*): the HTTP fixture
 * server and its URLs, the sink that checks a streamed body, and what
 * /proc says about this process (its threads, its address space).
 */
#ifndef ASYNC_FETCH_GRADER_H
#define ASYNC_FETCH_GRADER_H

#include "async_fetch.h"

#include <stdbool.h>
#include <stdint.h>

#include <kata/grader.h>

#include "httpd.h"

#define MAX_REQ 64

/* Shared by the grader's files only, not exported from the plugin. */
#pragma GCC visibility push(hidden)

/* ---- batch.c ------------------------------------------------------------- */

/* A batch of requests with their results and what the callbacks saw. */
struct batch {
	struct kata_ctx *k;
	struct fetch_request req[MAX_REQ];
	struct fetch_result res[MAX_REQ];
	size_t n;
	int calls[MAX_REQ];	/* on_done calls per index */
	size_t order[MAX_REQ];	/* indices in callback order */
	size_t ncalls;
	bool bad_ptr;		/* on_done got a pointer not &res[i] */
	bool unfilled;		/* on_done got a result with nothing in it */
	int max_threads;	/* learner threads seen during callbacks */
	struct httpd *h;	/* NULL, or the server to look at: */
	int first_in_flight;	/* its requests in flight at the 1st on_done */
};

/*
 * Runs the batch with K transfers at most; fails unless fetch_all gives 0.
 * Returns the ms it took.
 */
double batch_run(struct batch *b, int k_max);

/* Fails unless results[i] is a response with this status. */
void batch_expect_ok(struct batch *b, size_t i, long status);

/* Fails unless results[i]'s body is want. */
void batch_expect_body(struct batch *b, size_t i, const char *want);

/* Fails unless results[i]'s body contains part. */
void batch_expect_contains(struct batch *b, size_t i, const char *part);

/* Fails unless results[i] holds the n pattern bytes of /bytes/<n>. */
void batch_expect_pattern(struct batch *b, size_t i, size_t n);

/* Fails unless results[i].error is want; why says what request i was. */
void batch_expect_error(struct batch *b, size_t i, int want,
			const char *why);

/* n requests to /delay, the first slowest: they finish in reverse order. */
void batch_reversed(struct batch *b, struct httpd *h, size_t n, long step);

/* ---- contract.c ---------------------------------------------------------- */

/* Tests: bad arguments, start order, a sink that aborts one transfer. */
void t_bad_args(struct kata_ctx *k);
void t_start_order(struct kata_ctx *k);
void t_sink_abort(struct kata_ctx *k);

/* ---- fixture.c ----------------------------------------------------------- */

/* The fixture server for this test (fails the test if it cannot start). */
struct httpd *fix_server(struct kata_ctx *k);

/*
 * A URL on server h, built from a printf format, or NULL when out of
 * memory; never freed (it lives until the test process ends).
 */
char *fix_url(struct httpd *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Threads in this process that are not the grader's ("g:" names). */
int fix_learner_threads(void);

/* Waits (up to 1 s) until the server has no connection open. */
void fix_settle(struct httpd *h);

/* Address space in use now, in bytes (VmSize), or 0. */
unsigned long long fix_vm_size(void);

/* The sink checks every byte of /bytes/<n> as it streams past. */
struct sink {
	uint64_t got;
	uint64_t bad_at;	/* first wrong byte + 1, or 0 */
	unsigned lo;
	uint8_t hi;
};

/* A fetch_options sink (arg: struct sink); always returns 0. */
int fix_sink(size_t i, const void *data, size_t n, void *arg);

#pragma GCC visibility pop

#endif
