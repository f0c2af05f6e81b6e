/*
 * async_fetch.c: the reference solution.  Fetches a list of HTTP requests
 * on one thread with libcurl's multi interface, admitting at most K
 * transfers at a time from its own queue.
 *
 * Entry points: fetch_all, fetch_raise_for_status, fetch_results_free.
 */
#define _GNU_SOURCE
#include "async_fetch.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <kata/plugin.h>

KATA_PLUGIN("async_fetch");

/* One transfer: a request, its easy handle and what it has received. */
struct xfer {
	size_t index;
	const struct fetch_request *req;
	const struct fetch_options *opt;
	struct fetch_result *res;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	size_t cap;		/* of res->body */
	int nwant;
	struct timespec start;
};

static double ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* Body bytes: to the sink, or appended to res->body. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct fetch_result *res = x->res;
	size_t n = size * nmemb;

	if (x->opt->sink) {
		if (x->opt->sink(x->index, data, n, x->opt->arg))
			return 0;	/* abort: CURLE_WRITE_ERROR */
	} else {
		if (res->body_len + n + 1 > x->cap) {
			size_t cap = (res->body_len + n + 1) * 2;
			char *p = realloc(res->body, cap);
			if (!p)
				return 0;
			res->body = p;
			x->cap = cap;
		}
		memcpy(res->body + res->body_len, data, n);
		res->body[res->body_len + n] = '\0';
	}
	res->body_len += n;
	return n;
}

/* One header line "Name: value\r\n": kept when the caller asked for it. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	for (int i = 0; i < x->nwant; i++) {
		const char *name = x->req->want_headers[i];
		size_t len = strlen(name), end = n;
		if (n <= len || line[len] != ':' ||
		    strncasecmp(line, name, len))
			continue;
		len++;
		while (len < end && isspace((unsigned char)line[len]))
			len++;
		while (end > len && isspace((unsigned char)line[end - 1]))
			end--;
		free(x->res->headers[i]);
		x->res->headers[i] = strndup(line + len, end - len);
	}
	return n;
}

/* url?name=value&... with every name and value percent-encoded. */
static char *build_url(CURL *easy, const struct fetch_request *req)
{
	char *url = strdup(req->url), sep = '?';

	for (const struct fetch_param *q = req->params; url && q && q->name;
	     q++) {
		char *k = curl_easy_escape(easy, q->name, 0);
		char *v = curl_easy_escape(easy, q->value ? q->value : "", 0);
		char *p = NULL;
		if (k && v && asprintf(&p, "%s%c%s=%s", url, sep, k, v) < 0)
			p = NULL;
		free(url);
		url = p;
		sep = '&';
		curl_free(k);
		curl_free(v);
	}
	return url;
}

static int set_request(struct xfer *x)
{
	const struct fetch_request *req = x->req;
	CURL *e = x->easy;
	int ok = 1;

	for (const char *const *h = req->headers; h && *h && ok; h++)
		ok = !!(x->hdrs = curl_slist_append(x->hdrs, *h));
	if (ok && req->method == FETCH_POST && req->json)
		ok = !!(x->hdrs = curl_slist_append(x->hdrs,
				"Content-Type: application/json"));
	if (!ok || !(x->url = build_url(e, req)))
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	if (req->method == FETCH_POST) {
		const char *body = req->json ? req->json : "";
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	}
	return 0;
}

/*
 * Starts transfer x now: its clock and its timeout start here, which is
 * why the transfer is only created once it may run.  0 or -ENOMEM.
 */
static int start(CURLM *multi, struct xfer *x)
{
	for (x->nwant = 0; x->req->want_headers &&
	     x->req->want_headers[x->nwant]; x->nwant++)
		;
	if (x->nwant && !(x->res->headers = calloc((size_t)x->nwant,
						   sizeof(char *))))
		return -ENOMEM;
	x->res->nheaders = (size_t)x->nwant;
	if (!(x->easy = curl_easy_init()) || set_request(x))
		return -ENOMEM;
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, x->req->timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &x->start);
	return curl_multi_add_handle(multi, x->easy) ? -ENOMEM : 0;
}

static int error_of(CURLcode rc, CURL *easy)
{
	long os = 0;

	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os);
		return os == ECONNREFUSED ? FETCH_EREFUSED : FETCH_EFAILED;
	default:
		return FETCH_EFAILED;
	}
}

/* Ends transfer x with curl's result rc; frees its handle, reports it. */
static void finish(CURLM *multi, struct xfer *x, CURLcode rc)
{
	struct fetch_result *res = x->res;

	res->elapsed_ms = ms_since(&x->start);
	res->error = rc == CURLE_OK ? 0 : error_of(rc, x->easy);
	if (x->easy) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
				  &res->status);
		curl_multi_remove_handle(multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	if (res->error) {
		free(res->body);
		res->body = NULL;
	} else if (!res->body && !x->opt->sink) {
		res->body = calloc(1, 1);
	}
	curl_slist_free_all(x->hdrs);
	free(x->url);
	if (x->opt->on_done)
		x->opt->on_done(x->index, res, x->opt->arg);
}

/* Reaps finished transfers.  Returns how many ended. */
static size_t reap(CURLM *multi)
{
	struct CURLMsg *m;
	size_t done = 0;
	int left;

	while ((m = curl_multi_info_read(multi, &left))) {
		struct xfer *x;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		finish(multi, x, m->data.result);
		done++;
	}
	return done;
}

static int check_args(const struct fetch_request *requests, size_t n,
		      const struct fetch_options *opt,
		      struct fetch_result *results)
{
	if (!opt || opt->max_in_flight < 1 ||
	    opt->max_in_flight > FETCH_MAX_IN_FLIGHT)
		return -EINVAL;
	if (n && (!requests || !results))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!requests[i].url)
			return -EINVAL;
	return 0;
}

/* The event loop: admit up to K, drive curl, reap, wait, repeat. */
static void run(CURLM *multi, struct xfer *xs, size_t n, size_t k)
{
	size_t next = 0, active = 0, done = 0;
	int still;

	while (done < n) {
		while (active < k && next < n) {
			struct xfer *x = &xs[next++];
			if (start(multi, x) < 0) {
				finish(multi, x, CURLE_OUT_OF_MEMORY);
				done++;
			} else {
				active++;
			}
		}
		curl_multi_perform(multi, &still);
		size_t ended = reap(multi);
		active -= ended;
		done += ended;
		if (!ended && active)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
}

int fetch_all(const struct fetch_request *requests, size_t n,
	      const struct fetch_options *opt, struct fetch_result *results)
{
	struct xfer *xs;
	CURLM *multi;
	int r = check_args(requests, n, opt, results);

	if (r)
		return r;
	xs = calloc(n ? n : 1, sizeof(*xs));
	multi = curl_multi_init();
	if (!xs || !multi) {
		free(xs);
		curl_multi_cleanup(multi);
		return -ENOMEM;
	}
	if (n)
		memset(results, 0, n * sizeof(*results));
	for (size_t i = 0; i < n; i++)
		xs[i] = (struct xfer){ .index = i, .req = &requests[i],
				       .opt = opt, .res = &results[i] };
	run(multi, xs, n, (size_t)opt->max_in_flight);
	curl_multi_cleanup(multi);
	free(xs);
	return 0;
}

int fetch_raise_for_status(const struct fetch_result *res)
{
	if (res->error)
		return res->error;
	return res->status >= 400 ? FETCH_EHTTP : 0;
}

void fetch_results_free(struct fetch_result *results, size_t n)
{
	for (size_t i = 0; results && i < n; i++) {
		for (size_t j = 0; results[i].headers &&
		     j < results[i].nheaders; j++)
			free(results[i].headers[j]);
		free(results[i].headers);
		free(results[i].body);
		results[i].headers = NULL;
		results[i].body = NULL;
	}
}
