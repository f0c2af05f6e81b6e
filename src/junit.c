/*
 * junit.c: `--format junit`, JUnit XML as GitLab CI, Jenkins and the
 * GitHub test-report actions read it.  Entry points: junit_observer and
 * junit_summary (report.h).  The document is <testsuites> with one
 * <testsuite> per kata, written when the kata ends, and one <testcase> per
 * test: a failed check is a <failure>, a crash or timeout an <error>, a
 * skip <skipped>, the test's output <system-out>.  tests/junit.xsd is the
 * schema the suite validates it against (docs/formats.md).
 *
 * Text is always well-formed XML 1.0 in UTF-8: markup characters are
 * escaped, and bytes XML cannot carry (invalid UTF-8, control characters
 * other than tab and newline) become U+FFFD.
 */
#define _GNU_SOURCE
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "record.h"

static bool started;

static void text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; s && i < n;) {
		size_t len = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, n - i);

		if (p[i] == '&')
			fputs("&amp;", stdout);
		else if (p[i] == '<')
			fputs("&lt;", stdout);
		else if (p[i] == '>')
			fputs("&gt;", stdout);
		else if (p[i] == '"')
			fputs("&quot;", stdout);
		else if (p[i] == '\n' || p[i] == '\t')
			putchar(p[i]);
		else if (p[i] < 0x20 || p[i] == 0x7f || !len)
			fputs("\xef\xbf\xbd", stdout);
		else
			fwrite(p + i, 1, len, stdout);
		i += len ? len : 1;
	}
}

static void str(const char *s)
{
	text(s, s ? strlen(s) : 0);
}

static void begin_document(void)
{
	if (!started)
		printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<testsuites name=\"kata-runner\">\n");
	started = true;
}

/* What went wrong, as the body of <failure> or <error>. */
static void detail(const struct test_result *r)
{
	for (size_t i = 0; i < r->log.n; i++)
		if (record_is_failure(r->log.v[i].kind) ||
		    r->log.v[i].kind == REC_CONCEPT ||
		    r->log.v[i].kind == REC_CRASH) {
			printf("%s: ", record_kind_name(r->log.v[i].kind));
			str(r->log.v[i].text);
			putchar('\n');
		}
	str(r->why.s);
}

static void outcome(const struct test_result *r)
{
	const struct record *f = records_first_failure(&r->log);
	const char *msg = f ? f->text : r->why.s;
	bool error = r->outcome == OUT_CRASH || r->outcome == OUT_TIMEOUT;

	if (r->outcome == OUT_SKIP) {
		printf("      <skipped message=\"");
		str(r->why.s);
		printf("\"/>\n");
	} else if (outcome_failed(r->outcome)) {
		printf("      <%s type=\"%s\" message=\"", error ? "error" :
		       "failure", error ? (r->outcome == OUT_CRASH ? "crash" :
		       "timeout") : "fail");
		str(msg);
		printf("\">");
		detail(r);
		printf("</%s>\n", error ? "error" : "failure");
	}
}

static void testcase(const struct kata_run *run, size_t i)
{
	const struct test_result *r = &run->res[i];

	printf("    <testcase classname=\"%s\" name=\"", run->g->kata);
	str(r->test->name);
	printf("\" time=\"%.3f\">\n", r->ms / 1000);
	outcome(r);
	if (r->output.len) {
		printf("      <system-out>");
		text(r->output.s, r->output.len);
		printf("</system-out>\n");
	}
	printf("    </testcase>\n");
}

static void kata_end(void *arg, const struct kata_run *run)
{
	unsigned tests = 0, errors = 0;
	double ms = 0;

	(void)arg;
	begin_document();
	for (size_t i = 0; i < run->g->ntests; i++)
		if (run->selected[i]) {
			tests++;
			ms += run->res[i].ms;
			errors += run->res[i].outcome == OUT_CRASH ||
				  run->res[i].outcome == OUT_TIMEOUT;
		}
	printf("  <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" "
	       "errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n", run->g->kata,
	       tests, run->failed - errors, errors, run->skipped, ms / 1000);
	for (size_t i = 0; i < run->g->ntests; i++)
		if (run->selected[i])
			testcase(run, i);
	printf("  </testsuite>\n");
	fflush(stdout);
}

const struct grade_observer *junit_observer(void)
{
	static const struct grade_observer obs = { .kata_end = kata_end };

	return &obs;
}

void junit_summary(void)
{
	begin_document();
	printf("</testsuites>\n");
	fflush(stdout);
}
