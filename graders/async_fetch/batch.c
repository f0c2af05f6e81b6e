/*
 * batch.c (async_fetch grader): a batch of requests run through the
 * learner's fetch_all with an on_done callback that records what it saw
 * (index, pointer, order, threads), and the checks of the results that fail
 * the test with what was expected and what came.
 *
 * Entry points: batch_run, batch_reversed, batch_expect_ok,
 * batch_expect_body, batch_expect_contains, batch_expect_pattern,
 * batch_expect_error.
 */
#define _GNU_SOURCE
#include "async_fetch_grader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "timing.h"

/*
 * The callback of every batch: counts calls per index, notes the order,
 * whether the result was filled in, and (for the first call) how many
 * requests the server still held.
 */
static void on_done(size_t i, const struct fetch_result *res, void *arg)
{
	struct batch *b = arg;
	int t = fix_learner_threads();
	struct httpd_stats st;

	if (i >= b->n || res != &b->res[i]) {
		b->bad_ptr = true;
		return;
	}
	if (b->h && !b->ncalls) {
		httpd_stats(b->h, &st);
		b->first_in_flight = st.in_flight;
	}
	if (!res->error && !res->status)
		b->unfilled = true;
	b->calls[i]++;
	if (b->ncalls < MAX_REQ)
		b->order[b->ncalls++] = i;
	if (t > b->max_threads)
		b->max_threads = t;
}

/* Runs the batch with K transfers at most; fails unless fetch_all gives 0 */
double batch_run(struct batch *b, int k_max)
{
	struct fetch_options opt = { .max_in_flight = k_max,
				     .on_done = on_done, .arg = b };
	uint64_t t0 = timing_now_ns();
	int r = KATA_SYM(b->k, fetch_all)(b->req, b->n, &opt, b->res);

	if (r == -ENOSYS)
		kata_fail(b->k, "fetch_all: returned -ENOSYS, the stub's "
			  "answer: implement it (README, \"Your task\")");
	kata_expect_int(b->k, "fetch_all result", r, 0);
	return timing_ms_since(t0);
}

void batch_expect_ok(struct batch *b, size_t i, long status)
{
	struct fetch_result *res = &b->res[i];

	if (res->error)
		kata_fail(b->k, "request %zu (%s): expected a response, got "
			  "error %s", i, b->req[i].url,
			  kata_strres(res->error));
	if (res->status != status)
		kata_fail(b->k, "request %zu (%s) status: expected %ld, got "
			  "%ld", i, b->req[i].url, status, res->status);
}

void batch_expect_body(struct batch *b, size_t i, const char *want)
{
	const struct fetch_result *res = &b->res[i];

	if (!res->body || res->body_len != strlen(want) ||
	    memcmp(res->body, want, res->body_len))
		kata_fail(b->k, "request %zu (%s) body: expected \"%.300s\", "
			  "got \"%.300s\" (%zu bytes)", i, b->req[i].url,
			  want, res->body ? res->body : "(null)",
			  res->body_len);
}

void batch_expect_contains(struct batch *b, size_t i, const char *part)
{
	const char *body = b->res[i].body;

	if (!body || !strstr(body, part))
		kata_fail(b->k, "request %zu: the server saw %.600s; expected "
			  "it to contain %s", i, body ? body : "(no body)",
			  part);
}

/* Fails unless results[i] holds the n pattern bytes of /bytes/<n>. */
void batch_expect_pattern(struct batch *b, size_t i, size_t n)
{
	const struct fetch_result *res = &b->res[i];

	batch_expect_ok(b, i, 200);
	KATA_REQUIRE(b->k, res->body && res->body_len == n, "request %zu (%s) "
		     "body: expected %zu bytes, got %zu", i, b->req[i].url, n,
		     res->body_len);
	for (size_t j = 0; j < n; j++)
		if ((uint8_t)res->body[j] != httpd_byte_at(j))
			kata_fail(b->k, "request %zu (%s) body: byte %zu "
				  "differs", i, b->req[i].url, j);
}

/* n requests to /delay, the first slowest: they finish in reverse order. */
void batch_reversed(struct batch *b, struct httpd *h, size_t n, long step)
{
	b->n = n;
	for (size_t i = 0; i < n; i++)
		b->req[i] = (struct fetch_request){
			.url = fix_url(h, "/delay/%ld", (long)(n - i) * step),
			.params = NULL };
}

void batch_expect_error(struct batch *b, size_t i, int want,
			const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "request %zu (%s) error", i, why);
	kata_expect_int(b->k, what, b->res[i].error, want);
	KATA_REQUIRE(b->k, !b->res[i].body, "request %zu (%s): expected body "
		     "NULL for a failed transfer, got %zu bytes", i, why,
		     b->res[i].body_len);
}
