/*
 * async_fetch.c (grader): fetch_all against the HTTP fixture server
 * (graders/lib/httpd.h), which serves fixtures/async_fetch/ and counts the
 * requests it holds at once.  Bodies and statuses for GET with parameters and
 * POST with JSON; results in input order; the completion callback; at most K
 * in flight and about n/K rounds of delay; timeouts counted from a
 * transfer's start; refused, timed-out and cut-off transfers told apart; a
 * body larger than the address space streamed through the sink; no
 * descriptor left open.  Batches and their checks are in
 * graders/async_fetch/batch.c, the server side and /proc probes in
 * fixture.c; this file holds one function per test.
 *
 * Every test starts its own server; the test process is discarded after the
 * test, so a failing test needs no cleanup.
 * Entry point: the kata_grader table at the end.
 */
#define _GNU_SOURCE
#include "async_fetch/async_fetch_grader.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "net.h"

/* ---- the tests --------------------------------------------------------- */

static void t_get_params(struct kata_ctx *k)
{
	static struct batch b;
	static const struct fetch_param params[] = {
		{ "q", "hello world" }, { "lang", "c&c++" }, { "empty", "" },
		{ NULL, NULL } };
	static const char *const hdrs[] = { "X-Kata: yes", NULL };
	static const char *const want[] = { "X-Echo-Method", "content-type",
					    "X-Absent", NULL };
	struct httpd *h = fix_server(k);
	const struct fetch_result *r = &b.res[0];

	kata_concept(k, "a GET carries its parameters in the URL, percent-"
		     "encoded: curl_easy_escape(\"hello world\") is "
		     "hello%%20world");
	b.k = k;
	b.n = 1;
	b.req[0] = (struct fetch_request){ FETCH_GET, fix_url(h, "/echo"),
					   params, hdrs, NULL, want, 0 };
	batch_run(&b, 1);
	batch_expect_ok(&b, 0, 200);
	batch_expect_contains(&b, 0, "\"method\":\"GET\"");
	batch_expect_contains(&b, 0, "\"query\":\"q=hello%20world&"
			      "lang=c%26c%2B%2B&empty=\"");
	batch_expect_contains(&b, 0, "\"X-Kata\":\"yes\"");
	KATA_REQUIRE(k, r->headers && r->nheaders == 3, "results[0].headers: "
		     "expected 3 entries (one per want_headers name), got %zu",
		     r->headers ? r->nheaders : 0);
	KATA_REQUIRE(k, r->headers[0] && !strcmp(r->headers[0], "GET") &&
		     r->headers[1] && !strcmp(r->headers[1], "application/json")
		     && !r->headers[2], "captured headers: expected GET, "
		     "application/json, NULL; got %s, %s, %s",
		     r->headers[0] ? r->headers[0] : "NULL",
		     r->headers[1] ? r->headers[1] : "NULL",
		     r->headers[2] ? r->headers[2] : "NULL");
}

static void t_post_json(struct kata_ctx *k)
{
	static struct batch b;
	static const char json[] = "{\"name\":\"kata\",\"n\":[1,2,3]}";
	struct httpd *h = fix_server(k);

	kata_concept(k, "a POST with a JSON body says so: Content-Type: "
		     "application/json, and the body goes out as it is");
	b.k = k;
	b.n = 2;
	b.req[0] = (struct fetch_request){ .method = FETCH_POST,
					   .url = fix_url(h, "/echo"),
					   .json = json };
	b.req[1] = (struct fetch_request){ .method = FETCH_POST,
					   .url = fix_url(h, "/echo") };
	batch_run(&b, 2);
	batch_expect_ok(&b, 0, 200);
	batch_expect_contains(&b, 0, "\"method\":\"POST\"");
	batch_expect_contains(&b, 0, "\"Content-Type\":\"application/json\"");
	batch_expect_contains(&b, 0, "\"body\":\"{\\\"name\\\":\\\"kata\\\","
			      "\\\"n\\\":[1,2,3]}\"");
	batch_expect_ok(&b, 1, 200);
	batch_expect_contains(&b, 1, "\"method\":\"POST\"");
	batch_expect_contains(&b, 1, "\"body\":\"\"");
}


static void t_bodies(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	char path[512], *want = NULL;
	size_t n = (size_t)kata_param(k, "body_bytes", 1000000, 200000), len;
	FILE *f;

	kata_concept(k, "curl hands you a body in pieces (write callback); "
		     "append each piece, whatever its size or the framing");
	snprintf(path, sizeof(path), "%s/page.html", kata_fixtures(k));
	if (!(f = fopen(path, "re")) || getdelim(&want, &len, '\0', f) < 0)
		kata_fail(k, "fixture %s: cannot read it", path);
	fclose(f);
	b.k = k;
	b.n = 3;
	b.req[0] = (struct fetch_request){ .url = fix_url(h, "/page.html") };
	b.req[1] = (struct fetch_request){
		.url = fix_url(h, "/bytes/%zu", n) };
	b.req[2] = (struct fetch_request){
		.url = fix_url(h, "/chunked/%zu", n) };
	batch_run(&b, 3);
	batch_expect_ok(&b, 0, 200);
	batch_expect_body(&b, 0, want);
	batch_expect_pattern(&b, 1, n);
	batch_expect_pattern(&b, 2, n);
}

static void t_status(struct kata_ctx *k)
{
	static struct batch b;
	static const long codes[] = { 404, 500, 200, 403 };
	struct httpd *h = fix_server(k);
	int (*raise)(const struct fetch_result *) =
		KATA_SYM(k, fetch_raise_for_status);

	kata_concept(k, "a 404 or a 500 is an answer from the server: error "
		     "0 and the status; fetch_raise_for_status() turns it into "
		     "FETCH_EHTTP when the caller asks");
	b.k = k;
	b.n = 4;
	for (size_t i = 0; i < b.n; i++)
		b.req[i] = (struct fetch_request){
			.url = fix_url(h, "/status/%ld", codes[i]) };
	batch_run(&b, 4);
	for (size_t i = 0; i < b.n; i++) {
		char what[80], body[32];
		batch_expect_ok(&b, i, codes[i]);
		snprintf(body, sizeof(body), "status %ld\n", codes[i]);
		batch_expect_body(&b, i, body);
		snprintf(what, sizeof(what), "fetch_raise_for_status(status "
			 "%ld)", codes[i]);
		kata_expect_int(k, what, raise(&b.res[i]),
				codes[i] >= 400 ? FETCH_EHTTP : 0);
	}
}


static void t_input_order(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	size_t n = (size_t)kata_param(k, "order_n", 8, 6);
	long step = kata_param(k, "order_step_ms", 40, 15);

	kata_concept(k, "transfers finish in any order; like asyncio.gather, "
		     "results[i] must still belong to requests[i]");
	b.k = k;
	batch_reversed(&b, h, n, step);
	batch_run(&b, (int)n);
	for (size_t i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof(want), "/delay/%ld\n",
			 (long)(n - i) * step);
		batch_expect_ok(&b, i, 200);
		batch_expect_body(&b, i, want);
	}
}

static void t_callbacks(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	size_t n = (size_t)kata_param(k, "order_n", 8, 6);
	long slow = kata_param(k, "callback_slow_ms", 500, 200);
	int base = fix_learner_threads();

	kata_concept(k, "on_done fires once per request, from fetch_all's "
		     "own loop, as each transfer ends (completion order)");
	b.k = k;
	b.h = h;
	batch_reversed(&b, h, n, kata_param(k, "order_step_ms", 40, 15));
	b.req[0].url = fix_url(h, "/delay/%ld", slow);	/* by far the last */
	batch_run(&b, (int)n);
	KATA_REQUIRE(k, !b.bad_ptr, "on_done: expected (i, &results[i]), got "
		     "another index or pointer");
	KATA_REQUIRE(k, !b.unfilled, "on_done: results[i] was still empty "
		     "(no status, no error): fill it in before calling "
		     "on_done");
	for (size_t i = 0; i < n; i++)
		if (b.calls[i] != 1)
			kata_fail(k, "on_done calls for request %zu: expected "
				  "1, got %d", i, b.calls[i]);
	KATA_REQUIRE(k, b.first_in_flight >= 1 && b.order[n - 1] == 0,
		     "on_done: expected the first call while the slowest "
		     "request (0, %ld ms) was still at the server and its own "
		     "call last; got the first call with %d request(s) at the "
		     "server, request %zu's call last: call it as each "
		     "transfer ends, not at the end", slow, b.first_in_flight,
		     b.order[n - 1]);
	KATA_REQUIRE(k, b.max_threads <= base + 1, "threads while fetching: "
		     "expected one event loop (%d thread(s) besides the "
		     "grader's), saw %d: no thread per request", base,
		     b.max_threads);
}

static void t_concurrency(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	size_t n = (size_t)kata_param(k, "requests", 50, 12);
	long delay = kata_param(k, "delay_ms", 200, 60);
	int kmax = (int)kata_param(k, "k", 10, 4);
	struct httpd_stats st;
	double rounds, want = (double)n / kmax, ms;

	kata_concept(k, "K transfers in flight at once, each slot refilled as "
		     "soon as it frees: n/K rounds of delay, never more than "
		     "K at the server");
	b.k = k;
	b.n = n;
	for (size_t i = 0; i < n; i++)
		b.req[i] = (struct fetch_request){
			.url = fix_url(h, "/delay/%ld?i=%zu", delay, i) };
	ms = batch_run(&b, kmax);
	httpd_stats(h, &st);
	rounds = ms / (double)delay;
	kata_note(k, "%zu requests of %ld ms, K = %d: %.0f ms, %.1f rounds "
		  "(ideal %.1f); server saw at most %d at once", n, delay,
		  kmax, ms, rounds, want, st.peak_in_flight);
	for (size_t i = 0; i < n; i++)
		batch_expect_ok(&b, i, 200);
	KATA_REQUIRE(k, st.peak_in_flight <= kmax, "requests in flight at the "
		     "server: expected at most K = %d, got %d", kmax,
		     st.peak_in_flight);
	KATA_REQUIRE(k, st.peak_in_flight == kmax, "requests in flight at the "
		     "server: expected K = %d at some point, got at most %d",
		     kmax, st.peak_in_flight);
	KATA_REQUIRE(k, rounds <= want * (1 + 0.5 * kata_scale(k)) + 0.5,
		     "time: expected about %.1f rounds of %ld ms, took %.1f",
		     want, delay, rounds);
}

static void t_timeout_from_start(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	long t = kata_param(k, "timeout_ms", 200, 60);

	kata_concept(k, "a timeout is for the transfer, not for its wait in "
		     "the queue: start the clock (and CURLOPT_TIMEOUT_MS) "
		     "only when you admit it");
	b.k = k;
	b.n = 4;
	for (size_t i = 0; i < 4; i++)
		b.req[i] = (struct fetch_request){
			.url = fix_url(h, "/delay/%ld?i=%zu",
				       i < 2 ? 3 * t : t / 4, i),
			.timeout_ms = i < 2 ? 0 : t };
	batch_run(&b, 2);
	for (size_t i = 0; i < 4; i++)
		batch_expect_ok(&b, i, 200);
	for (size_t i = 2; i < 4; i++)
		KATA_REQUIRE(k, b.res[i].elapsed_ms < b.res[0].elapsed_ms / 2,
			     "elapsed_ms of queued request %zu: expected its "
			     "own ~%ld ms (from its start), got %.0f ms (the "
			     "first took %.0f)", i, t / 4, b.res[i].elapsed_ms,
			     b.res[0].elapsed_ms);
}


static void t_error_kinds(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	long t = kata_param(k, "timeout_ms", 200, 60);
	uint16_t port;
	int fd = net_listen_tcp(1, &port);

	kata_concept(k, "map curl's result to the kind of failure: "
		     "CURLE_COULDNT_CONNECT (refused), "
		     "CURLE_OPERATION_TIMEDOUT, anything else; one failure "
		     "never spoils the other transfers");
	KATA_REQUIRE(k, fd >= 0, "fixture: no free port (%s)",
		     kata_strres(fd));
	close(fd);	/* nobody listens there now: refused */
	b.k = k;
	b.n = 5;
	b.req[0] = (struct fetch_request){ .url = fix_url(h, "/delay/10") };
	b.req[1] = (struct fetch_request){ .url = malloc(64) };
	snprintf((char *)b.req[1].url, 64, "http://127.0.0.1:%u/", port);
	b.req[2] = (struct fetch_request){ .url = fix_url(h, "/hang"),
					   .timeout_ms = t };
	b.req[3] = (struct fetch_request){ .url = fix_url(h, "/cut/20000") };
	b.req[4] = (struct fetch_request){ .url = fix_url(h, "/status/404") };
	batch_run(&b, 5);
	batch_expect_ok(&b, 0, 200);
	batch_expect_ok(&b, 4, 404);
	batch_expect_error(&b, 1, FETCH_EREFUSED, "a closed port");
	batch_expect_error(&b, 2, FETCH_ETIMEDOUT,
			   "no answer within timeout_ms");
	batch_expect_error(&b, 3, FETCH_EFAILED, "connection closed mid-body");
	KATA_REQUIRE(k, b.res[2].elapsed_ms >= 0.9 * (double)t, "elapsed_ms "
		     "of the timed-out request: expected at least its timeout "
		     "%ld ms, got %.0f", t, b.res[2].elapsed_ms);
	KATA_REQUIRE(k, b.res[1].status == 0, "status of the refused request: "
		     "expected 0 (no response), got %ld", b.res[1].status);
}


static void t_sink(struct kata_ctx *k)
{
	struct fetch_request req = { 0 };
	struct fetch_result res = { 0 };
	struct sink s = { 0 };
	struct fetch_options opt = { .max_in_flight = 1, .sink = fix_sink,
				     .arg = &s };
	struct httpd *h = fix_server(k);
	struct rlimit rl;
	unsigned long long head = 128ull << 20, lim, n;
	int r;

	/* One malloc arena: a new thread's arena reserves 64 MiB of address
	 * space, which the limit below would make fail at random. */
	mallopt(M_ARENA_MAX, 1);
	lim = fix_vm_size() + head;

	kata_concept(k, "a sink streams a body through: nothing is kept, so "
		     "a body larger than the whole address space still fits");
	getrlimit(RLIMIT_AS, &rl);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < lim)
		lim = rl.rlim_max;
	n = lim + (32ull << 20);
	req.url = fix_url(h, "/bytes/%llu", n);
	rl.rlim_cur = lim;
	KATA_REQUIRE(k, setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit: %s",
		     strerror(errno));
	kata_note(k, "address space limited to %llu MiB, body %llu MiB",
		  lim >> 20, n >> 20);
	r = KATA_SYM(k, fetch_all)(&req, 1, &opt, &res);
	kata_expect_int(k, "fetch_all result", r, 0);
	kata_expect_int(k, "results[0].error", res.error, 0);
	kata_expect_int(k, "results[0].status", res.status, 200);
	KATA_REQUIRE(k, s.got == n && res.body_len == n && !res.body,
		     "streamed body: expected %llu bytes through the sink, "
		     "body_len %llu and body NULL; got %llu, %zu, %s", n, n,
		     (unsigned long long)s.got, res.body_len,
		     res.body ? "a body" : "NULL");
	KATA_REQUIRE(k, !s.bad_at, "streamed body: byte %llu differs",
		     (unsigned long long)s.bad_at - 1);
}


static void t_no_leaks(struct kata_ctx *k)
{
	static struct batch b;
	struct httpd *h = fix_server(k);
	int before, after, rounds = (int)kata_param(k, "leak_rounds", 3, 2);

	kata_concept(k, "every easy handle is removed and cleaned up, the "
		     "multi handle too: each leaked one keeps a socket open");
	b.k = k;
	b.n = 6;
	for (size_t i = 0; i < b.n; i++)
		b.req[i] = (struct fetch_request){
			.url = fix_url(h, i % 3 ? "/delay/%zu" : "/cut/%zu",
				       10 + i) };
	b.req[5].url = fix_url(h, "/hang");
	b.req[5].timeout_ms = 50;
	before = net_count_fds();
	for (int i = 0; i < rounds; i++) {
		batch_run(&b, 3);
		KATA_SYM(k, fetch_results_free)(b.res, b.n);
		batch_expect_ok(&b, 1, 200);
	}
	fix_settle(h);
	after = net_count_fds();
	KATA_REQUIRE(k, after <= before, "open descriptors after %d calls of "
		     "fetch_all and fetch_results_free: expected %d as before, "
		     "got %d", rounds, before, after);
}

static const struct kata_test tests[] = {
	{ "get_params", "GET with percent-encoded parameters, extra headers, "
	  "captured response headers", t_get_params, 0, 1, NULL },
	{ "post_json", "POST with a JSON body and its Content-Type",
	  t_post_json, 0, 1, "get_params" },
	{ "bodies", "a file, a large body and a chunked one, byte for byte",
	  t_bodies, 0, 1, "get_params" },
	{ "status_not_error", "404 and 500 are statuses, not errors; "
	  "fetch_raise_for_status makes them one", t_status, 0, 1,
	  "get_params" },
	{ "input_order", "results in input order whatever the completion "
	  "order", t_input_order, 0, 1, "get_params" },
	{ "callbacks", "on_done once per request, as each ends, from one "
	  "thread", t_callbacks, 0, 1, "get_params" },
	{ "concurrency", "at most K in flight at the server, about n/K rounds "
	  "of delay", t_concurrency, 20000, 2, "get_params" },
	{ "timeout_from_start", "a queued request's timeout and elapsed time "
	  "count from its own start", t_timeout_from_start, 0, 1,
	  "get_params" },
	{ "error_kinds", "refused, timed out and cut off are told apart; the "
	  "others succeed", t_error_kinds, 0, 1, "get_params" },
	{ "sink", "a body larger than the address space, streamed through "
	  "the sink", t_sink, 0, 1, "get_params" },
	{ "no_leaks", "no descriptor left open after fetch_all and "
	  "fetch_results_free", t_no_leaks, 0, 1, "get_params" },
	{ "bad_args", "bad arguments are -EINVAL, with the results left "
	  "untouched", t_bad_args, 0, 1, "get_params" },
	{ "start_order", "queued requests start in input order",
	  t_start_order, 0, 1, "get_params" },
	{ "sink_abort", "a sink returning non-zero aborts its own transfer "
	  "only", t_sink_abort, 0, 1, "get_params" },
	{ 0 },
};

static const struct kata_forbid forbidden[] = {
	{ "curl_easy_perform", "one event loop: add easy handles to a multi "
	  "handle and drive them with curl_multi_perform()" },
	{ "pthread_create", "one event loop on the calling thread: no thread "
	  "per request" },
	{ 0 },
};

KATA_GRADER(.kata = "async_fetch",
	    .title = "Many HTTP requests at once from one event loop",
	    .topic = "requests, aiohttp + asyncio.gather, gevent crawler "
		     "(并发请求, 超时, raise_for_status)",
	    .order = 90,
	    .tests = tests,
	    .forbidden = forbidden);
