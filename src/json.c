/*
 * json.c: `--format json`, one JSON object per line (JSON Lines): one per
 * test as grade.c reports it, then a summary.  Entry points: json_observer
 * and json_summary (report.h); the schema is docs/json-schema.json,
 * described in docs/formats.md.
 *
 * Every string is valid UTF-8 whatever the learner's code printed: bytes
 * that are not part of a well-formed UTF-8 sequence become U+FFFD, control
 * characters are escaped.
 */
#define _GNU_SOURCE
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "record.h"

void json_string(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (size_t i = 0; s && i < n;) {
		size_t len = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, n - i);

		if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] == '\n')
			fputs("\\n", stdout);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			printf("\\u%04x", p[i]);
		else if (len)
			fwrite(p + i, 1, len, stdout);
		else
			fputs("\\ufffd", stdout);
		i += len ? len : 1;
	}
	putchar('"');
}

/* "key":"value" and a comma unless last. */
static void field(const char *key, const char *s, bool last)
{
	printf("\"%s\":", key);
	json_string(s ? s : "", s ? strlen(s) : 0);
	if (!last)
		putchar(',');
}

static const char *outcome_word(enum outcome oc)
{
	static const char *w[] = { "pass", "fail", "skip", "crash", "timeout" };

	return w[oc];
}

/* The records as [{"kind":"fail","text":"..."}, ...]. */
static void records(const struct records *l)
{
	bool first = true;

	printf("\"records\":[");
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].kind == REC_PARAM)
			continue;
		printf("%s{", first ? "" : ",");
		first = false;
		field("kind", record_kind_name(l->v[i].kind), false);
		field("text", l->v[i].text, true);
		putchar('}');
	}
	printf("],");
}

static void notes(const struct records *l)
{
	bool first = true;

	printf("\"notes\":[");
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == REC_NOTE) {
			printf("%s", first ? "" : ",");
			json_string(l->v[i].text, strlen(l->v[i].text));
			first = false;
		}
	printf("],");
}

/* The concept in force when the first failure was recorded, or NULL. */
static const char *concept_of(const struct records *l)
{
	const char *c = NULL;

	for (size_t i = 0; i < l->n; i++) {
		if (record_is_failure(l->v[i].kind))
			return c;
		if (l->v[i].kind == REC_CONCEPT)
			c = l->v[i].text;
	}
	return NULL;
}

static void test_line(const struct kata_run *run, size_t i)
{
	const struct test_result *r = &run->res[i];
	const struct record *f = records_first_failure(&r->log);
	const char *msg = f ? f->text : r->why.s;

	putchar('{');
	field("kata", run->g->kata, false);
	field("test", r->test->name, false);
	field("purpose", r->test->purpose, false);
	field("outcome", outcome_word(r->outcome), false);
	printf("\"ms\":%.1f,\"points\":%u,", r->ms,
	       r->test->points ? r->test->points : 1);
	if (r->randomised)
		printf("\"seed\":%llu,", (unsigned long long)r->seed);
	field("message", r->outcome == OUT_PASS ? "" : msg, false);
	field("why", r->outcome == OUT_PASS ? "" : concept_of(&r->log), false);
	field("diagnosis", r->why.s, false);
	notes(&r->log);
	records(&r->log);
	printf("\"output\":");
	json_string(r->output.s, r->output.len);
	printf(",\"output_dropped\":%zu}\n", r->output_dropped);
}

static void test_done(void *arg, const struct kata_run *run, size_t i)
{
	(void)arg;
	test_line(run, i);
	fflush(stdout);
}

const struct grade_observer *json_observer(void)
{
	static const struct grade_observer obs = { .test_done = test_done };

	return &obs;
}

void json_summary(unsigned passed, unsigned failed, unsigned skipped)
{
	printf("{\"summary\":true,\"passed\":%u,\"failed\":%u,"
	       "\"skipped\":%u}\n", passed, failed, skipped);
	fflush(stdout);
}
