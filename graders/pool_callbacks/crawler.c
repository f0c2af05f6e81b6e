/*
 * crawler.c (pool_callbacks grader): the seed's crawler, run on the
 * learner's pool.
 *
 * crawl_start writes the detail pages and starts the httpd fixture server
 * on them; crawl_open_db creates the sqlite3 table and its insert with
 * bound parameters; crawl_run submits one fetch (libcurl) per page, each
 * with a done-callback that stores a row under a lock; crawl_check_rows
 * checks the database and the server's counts afterwards.
 */
#define _GNU_SOURCE
#include "pool_callbacks_grader.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "timing.h"

static const char *const titles[] = {
	"Schindler's List", "Farewell My Concubine", "It's a Wonderful Life",
	"Robert'); DROP TABLE movies;--", "The \"Shawshank\" Redemption",
	"O'Brother; Where Art Thou?", "Spirited Away", "Léon",
};

static void page_title(int n, char *buf, size_t len)
{
	snprintf(buf, len, "%s #%d", titles[n % 8], n);
}

/* Writes the PAGES detail pages under root/detail. */
static void write_pages(struct kata_ctx *k, const char *root)
{
	char path[PATH_MAX], title[96];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/detail", root);
	KATA_REQUIRE(k, mkdir(path, 0700) == 0, "cannot create %s", path);
	for (n = 1; n <= PAGES; n++) {
		snprintf(path, sizeof(path), "%s/detail/%d.html", root, n);
		KATA_REQUIRE(k, (f = fopen(path, "w")), "cannot write %s",
			     path);
		page_title(n, title, sizeof(title));
		fprintf(f, "<html><body><h2 class=\"m-b-sm\">%s</h2>\n"
			"<p class=\"score\">%d.%d</p></body></html>\n", title,
			5 + n % 5, n % 10);
		fclose(f);
	}
}

static size_t page_write(char *data, size_t size, size_t n, void *arg)
{
	struct page *pg = arg;
	char *b = realloc(pg->body, pg->len + size * n + 1);

	if (!b)
		return 0;
	memcpy(b + pg->len, data, size * n);
	pg->len += size * n;
	b[pg->len] = '\0';
	pg->body = b;
	return size * n;
}

/* The spider: fetch one page (a grader task run by the learner's pool). */
static int task_fetch(void *arg, void **result)
{
	struct page *pg = arg;
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode cr;

	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, pg->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, page_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, pg);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (cr != CURLE_OK)
		return -EIO;
	if (code != 200)
		return code == 404 ? -ENOENT : -EPROTO;
	*result = pg;
	return 0;
}

/* Copies the text between open and the next "<" into out. */
static void extract(const char *html, const char *open, char *out,
		    size_t len)
{
	const char *s = strstr(html, open), *e;

	out[0] = '\0';
	if (!s || !(e = strchr(s += strlen(open), '<')))
		return;
	snprintf(out, len, "%.*s", (int)(e - s), s);
}

/* The seed's inner_callback, with a lock and a bound-parameter insert. */
static void cb_store(struct future *f, void *data)
{
	struct crawl *c = data;
	char title[128], score[16];
	void *res;
	struct page *pg;
	int r = KATA_SYM(c->k, future_result)(f, 0, &res);

	pthread_mutex_lock(&c->lock);
	if (r) {
		c->failed++;
		c->last_error = r;
	} else {
		pg = res;
		extract(pg->body, "<h2 class=\"m-b-sm\">", title,
			sizeof(title));
		extract(pg->body, "<p class=\"score\">", score, sizeof(score));
		sqlite3_bind_int(c->insert, 1, pg->n);
		sqlite3_bind_text(c->insert, 2, title, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c->insert, 3, score, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(c->insert) == SQLITE_DONE)
			c->rows++;
		else
			c->bad++;
		sqlite3_reset(c->insert);
	}
	pthread_mutex_unlock(&c->lock);
}

static void attach_store(struct kata_ctx *k, struct future *f,
			 struct crawl *c)
{
	kata_expect_int(k, "future_add_done_callback result",
			KATA_SYM(k, future_add_done_callback)(f, cb_store, c),
			0);
}

void crawl_check_rows(struct kata_ctx *k, sqlite3 *db, struct httpd *h)
{
	int seen[PAGES + 1] = { 0 }, n;
	char want[96], path[64];
	sqlite3_stmt *st;

	KATA_REQUIRE(k, sqlite3_prepare_v2(db, "SELECT page, title FROM movies",
					   -1, &st, NULL) == SQLITE_OK,
		     "reading the database: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int(st, 0);
		KATA_REQUIRE(k, n >= 1 && n <= PAGES, "row for page %d", n);
		seen[n]++;
		page_title(n, want, sizeof(want));
		KATA_REQUIRE(k, !strcmp(want, (const char *)
					sqlite3_column_text(st, 1)),
			     "title of page %d: expected \"%s\", got \"%s\"",
			     n, want, sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	for (n = 1; n <= PAGES; n++) {
		snprintf(path, sizeof(path), "/detail/%d.html", n);
		kata_expect_int(k, "times the page was fetched",
				(long long)httpd_path_count(h, path), 1);
		if (seen[n] != 1)
			kata_fail(k, "rows stored for page %d: expected 1, got "
				  "%d (its callback ran %s)", n, seen[n],
				  seen[n] ? "more than once" : "never");
	}
}

struct httpd *crawl_start(struct kata_ctx *k)
{
	struct httpd *h;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	write_pages(k, kata_tmpdir(k));
	KATA_REQUIRE(k, httpd_start(kata_tmpdir(k), &h) == 0,
		     "cannot start the fixture HTTP server");
	return h;
}

sqlite3 *crawl_open_db(struct kata_ctx *k, struct crawl *c)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/crawl.db", kata_tmpdir(k));
	/* No fsync per insert: the callbacks hold the lock, not the disk. */
	KATA_REQUIRE(k, sqlite3_open(path, &db) == SQLITE_OK &&
		     sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL,
				  NULL) == SQLITE_OK &&
		     sqlite3_exec(db, "CREATE TABLE movies (id INTEGER PRIMARY "
				  "KEY, page INTEGER, title TEXT, score TEXT)",
				  NULL, NULL, NULL) == SQLITE_OK &&
		     sqlite3_prepare_v2(db, "INSERT INTO movies (page, title, "
					"score) VALUES (?, ?, ?)", -1,
					&c->insert, NULL) == SQLITE_OK,
		     "setting up %s: %s", path, sqlite3_errmsg(db));
	return db;
}

double crawl_run(struct kata_ctx *k, struct httpd *h, struct crawl *c,
		 struct page *pages)
{
	uint64_t t0 = timing_now_ns();
	struct pool *p = fut_pool(k, CRAWL_WORKERS);
	struct future *f;
	char path[64];
	int i;

	for (i = 0; i <= PAGES; i++) {
		pages[i].n = i + 1;
		snprintf(path, sizeof(path), "/detail/%d.html?delay=20", i + 1);
		httpd_url(h, path, pages[i].url, sizeof(pages[i].url));
		f = fut_submit(k, p, task_fetch, (uintptr_t)&pages[i]);
		attach_store(k, f, c);
		KATA_SYM(k, future_release)(f);
	}
	KATA_SYM(k, pool_shutdown)(p, true);
	return timing_ms_since(t0);
}
