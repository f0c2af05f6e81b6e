/*
 * async_fetch.h: fetch many HTTP requests concurrently from one event loop
 * with libcurl's multi interface.  DO NOT EDIT: the grader relies on every
 * name, constant and rule below.
 *
 * Entry points: fetch_all (the kata), fetch_raise_for_status,
 * fetch_results_free.
 *
 * The contract:
 *  - fetch_all() runs every request on one thread, in one loop around
 *    curl_multi_perform()/curl_multi_poll(): no thread per request, no
 *    curl_easy_perform().
 *  - At most opt->max_in_flight transfers are ever in progress; the rest
 *    wait in your own queue, and start (in input order) as others finish.
 *  - A request's timeout_ms counts from the moment its transfer starts,
 *    never from when fetch_all() was called.
 *  - results[i] always describes requests[i], whatever order they finish in.
 *  - An HTTP status such as 404 or 500 is a response (error 0, status 404),
 *    not a failure; fetch_raise_for_status() turns it into one on request.
 */
#ifndef ASYNC_FETCH_H
#define ASYNC_FETCH_H

#include <errno.h>
#include <stddef.h>

#define FETCH_MAX_IN_FLIGHT	256	/* largest max_in_flight accepted */

/* fetch_result.error, besides 0 (a response arrived, whatever its status) */
#define FETCH_EREFUSED	(-ECONNREFUSED)	/* nobody listens on that port */
#define FETCH_ETIMEDOUT	(-ETIMEDOUT)	/* timeout_ms passed first */
#define FETCH_EFAILED	(-EIO)		/* any other failure: cut off... */
/* fetch_raise_for_status() for a response whose status is >= 400 */
#define FETCH_EHTTP	(-EREMOTEIO)

enum fetch_method {
	FETCH_GET,
	FETCH_POST,
};

/* A query parameter; both strings are percent-encoded by fetch_all. */
struct fetch_param {
	const char *name;
	const char *value;
};

struct fetch_request {
	enum fetch_method method;
	const char *url;	/* "http://127.0.0.1:8080/path", no query */
	/*
	 * NULL, or an array ending with { NULL, NULL }: appended to url as
	 * "?name=value&name=value" in this order, each name and value
	 * percent-encoded as curl_easy_escape() does (a space is "%20").
	 */
	const struct fetch_param *params;
	/* NULL, or NULL-terminated "Name: value" lines sent as they are. */
	const char *const *headers;
	/*
	 * POST only: NULL (an empty body), or a JSON text sent as the body
	 * with "Content-Type: application/json".
	 */
	const char *json;
	/*
	 * NULL, or NULL-terminated response header names to capture (any
	 * case: "content-type" matches "Content-Type").
	 */
	const char *const *want_headers;
	long timeout_ms;	/* 0: none; else counted from the start */
};

struct fetch_result {
	int error;		/* 0 or FETCH_E*: see above */
	long status;		/* the HTTP status; 0 when no response came */
	/*
	 * The body, NUL-terminated (body_len excludes the NUL), owned by the
	 * result: NULL when opt->sink took the bytes, or on error.
	 */
	char *body;
	size_t body_len;	/* bytes received, sink or not */
	/*
	 * One entry per want_headers name, in that order: the value of the
	 * header (without the name, the colon, surrounding spaces or the
	 * CRLF), or NULL when the response lacked it.  NULL when
	 * want_headers was NULL.  Owned by the result.
	 */
	char **headers;
	size_t nheaders;	/* entries in headers (want_headers' count) */
	double elapsed_ms;	/* from this transfer's start to its end */
};

struct fetch_options {
	int max_in_flight;	/* K: 1..FETCH_MAX_IN_FLIGHT */
	/*
	 * NULL, or called once per request, from inside fetch_all, as soon as
	 * that transfer ends (so in completion order), with results[index]
	 * already filled in.
	 */
	void (*on_done)(size_t index, const struct fetch_result *res,
			void *arg);
	/*
	 * NULL (bodies are kept in results[i].body), or called with each
	 * piece of a body as it arrives, instead of storing it.  Return 0 to
	 * go on; any other value aborts that transfer (error FETCH_EFAILED).
	 */
	int (*sink)(size_t index, const void *data, size_t n, void *arg);
	void *arg;		/* passed to on_done and sink */
};

/*
 * Fetches requests[0..n) concurrently, at most opt->max_in_flight at once,
 * and fills results[0..n) (the caller's array; its contents are
 * overwritten).  Returns 0 once every request has a result (each with its
 * own error), -EINVAL for a bad argument (NULL arrays with n > 0, NULL opt,
 * max_in_flight out of range, a NULL url) with results untouched, or -ENOMEM.
 * The caller frees the results with fetch_results_free().
 */
int fetch_all(const struct fetch_request *requests, size_t n,
	      const struct fetch_options *opt, struct fetch_result *results);

/*
 * Returns res->error when it is not 0, FETCH_EHTTP when res->status is 400
 * or more, else 0 (the seed's response.raise_for_status()).
 */
int fetch_raise_for_status(const struct fetch_result *res);

/*
 * Frees what results[0..n) own (bodies, header values) and sets those
 * pointers to NULL.  The array itself stays the caller's.
 */
void fetch_results_free(struct fetch_result *results, size_t n);

#endif
