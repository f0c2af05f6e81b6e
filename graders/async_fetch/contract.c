/*
 * contract.c (async_fetch grader): the smaller promises of async_fetch.h,
 * one test function each: bad arguments refused with the results left as
 * they were (t_bad_args), queued requests started in input order
 * (t_start_order), and a sink that aborts one transfer without spoiling
 * the other (t_sink_abort).  The table in graders/async_fetch.c lists
 * them.
 */
#define _GNU_SOURCE
#include "async_fetch_grader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* fetch_all(req, n, opt, res) must be -EINVAL and leave res alone. */
static void expect_einval(struct kata_ctx *k, const char *what,
			  const struct fetch_request *req, size_t n,
			  const struct fetch_options *opt)
{
	static struct fetch_result res[2], was[2];
	int r;

	memset(res, 0xa5, sizeof(res));
	memcpy(was, res, sizeof(res));
	r = KATA_SYM(k, fetch_all)(req, n, opt, req ? res : NULL);
	kata_expect_int(k, what, r, -EINVAL);
	KATA_REQUIRE(k, !memcmp(res, was, sizeof(res)), "%s: the results "
		     "changed; expected them untouched when the arguments "
		     "are refused", what);
}

void t_bad_args(struct kata_ctx *k)
{
	struct fetch_request req[2] = { { .url = NULL }, { .url = NULL } };
	struct fetch_options opt = { .max_in_flight = FETCH_MAX_IN_FLIGHT };
	struct fetch_result res[1];
	struct httpd *h = fix_server(k);

	kata_concept(k, "a caller's mistake gets -EINVAL before anything "
		     "starts, and the results stay as they were");
	req[0].url = fix_url(h, "/status/200");
	kata_expect_int(k, "fetch_all with max_in_flight = "
			"FETCH_MAX_IN_FLIGHT", KATA_SYM(k, fetch_all)(req, 1,
			&opt, res), 0);
	kata_expect_int(k, "its status", res[0].status, 200);
	KATA_SYM(k, fetch_results_free)(res, 1);
	kata_expect_int(k, "fetch_all of 0 requests (NULL arrays)",
			KATA_SYM(k, fetch_all)(NULL, 0, &opt, NULL), 0);
	opt.max_in_flight = FETCH_MAX_IN_FLIGHT + 1;
	expect_einval(k, "max_in_flight = FETCH_MAX_IN_FLIGHT + 1", req, 1,
		      &opt);
	opt.max_in_flight = 0;
	expect_einval(k, "max_in_flight = 0", req, 1, &opt);
	opt.max_in_flight = 1;
	expect_einval(k, "opt = NULL", req, 1, NULL);
	expect_einval(k, "requests = NULL with n = 1", NULL, 1, &opt);
	expect_einval(k, "a NULL url (request 1 of 2)", req, 2, &opt);
}

void t_start_order(struct kata_ctx *k)
{
	static struct batch b;
	static const char *const want[] = { "X-Request-Seq", NULL };
	struct httpd *h = fix_server(k);
	long first = 0, seq;

	kata_concept(k, "queued requests start in input order as slots free "
		     "up (here K = 1: one after another)");
	b.k = k;
	b.n = 6;
	for (size_t i = 0; i < b.n; i++)
		b.req[i] = (struct fetch_request){ .want_headers = want,
			.url = fix_url(h, "/delay/5?i=%zu", i) };
	batch_run(&b, 1);
	for (size_t i = 0; i < b.n; i++) {
		batch_expect_ok(&b, i, 200);
		KATA_REQUIRE(k, b.res[i].headers && b.res[i].headers[0],
			     "request %zu: header X-Request-Seq not captured",
			     i);
		seq = strtol(b.res[i].headers[0], NULL, 10);
		first = i ? first : seq;
		if (seq != first + (long)i)
			kata_fail(k, "request %zu was the server's request "
				  "%ld; request 0 was its %ld: expected "
				  "requests to start in input order", i, seq,
				  first);
	}
}

/* Request 0 streams through s[0]; request 1's sink aborts at once. */
static int abort_one(size_t i, const void *data, size_t n, void *arg)
{
	struct sink *s = arg;

	if (i == 1) {
		s[1].got += n;
		return 1;
	}
	return fix_sink(i, data, n, &s[0]);
}

void t_sink_abort(struct kata_ctx *k)
{
	static struct sink s[2];
	struct fetch_request req[2] = { { 0 } };
	struct fetch_result res[2];
	struct fetch_options opt = { .max_in_flight = 2, .sink = abort_one,
				     .arg = s };
	struct httpd *h = fix_server(k);
	size_t n = 200000;

	kata_concept(k, "a sink that returns non-zero aborts its own "
		     "transfer (FETCH_EFAILED); the others go on");
	req[0].url = fix_url(h, "/bytes/%zu", n);
	req[1].url = fix_url(h, "/bytes/%zu", n);
	kata_expect_int(k, "fetch_all result", KATA_SYM(k, fetch_all)(req, 2,
			&opt, res), 0);
	kata_expect_int(k, "results[0].error", res[0].error, 0);
	KATA_REQUIRE(k, s[0].got == n && !s[0].bad_at && !res[0].body,
		     "request 0: expected its %zu bytes through the sink and "
		     "body NULL; got %llu bytes%s, body %s", n,
		     (unsigned long long)s[0].got,
		     s[0].bad_at ? " (some wrong)" : "",
		     res[0].body ? "set" : "NULL");
	kata_expect_int(k, "results[1].error (its sink returned 1)",
			res[1].error, FETCH_EFAILED);
	KATA_REQUIRE(k, s[1].got < n, "request 1: its sink returned 1, yet "
		     "all %zu bytes went through it", n);
}
