/*
 * record.c: the record protocol between a test process and its runner
 * (record.h): record_write() in the child, record_feed() in the parent,
 * and the records list everything else reads.
 */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *record_kind_name(enum record_kind kind)
{
	switch (kind) {
	case REC_OK: return "ok";
	case REC_NOTE: return "note";
	case REC_CONCEPT: return "concept";
	case REC_FAIL: return "fail";
	case REC_FAIL_SOFT: return "fail_soft";
	case REC_SKIP: return "skip";
	case REC_SEED: return "seed";
	case REC_PARAM: return "param";
	case REC_CRASH: return "crash";
	case REC_END: return "end";
	case REC_WHERE: return "where";
	}
	return "unknown";
}

int record_write(int fd, enum record_kind kind, const char *fmt, va_list ap)
{
	char buf[PIPE_BUF];
	int n = vsnprintf(buf + 1, sizeof(buf) - 2, fmt, ap);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	buf[0] = (char)kind;
	for (int i = 1; i <= n; i++)
		if (buf[i] == '\n')
			buf[i] = '\x1f';
	buf[n + 1] = '\n';
	while (write(fd, buf, (size_t)n + 2) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

void records_add(struct records *l, enum record_kind kind, const char *text)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v) {
			fputs("runner: out of memory\n", stderr);
			exit(EXIT_USAGE);
		}
	}
	l->v[l->n].kind = kind;
	l->v[l->n++].text = xstrdup(text);
}

const struct record *records_find(const struct records *l,
				  enum record_kind kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == kind)
			return &l->v[i];
	return NULL;
}

const struct record *records_first_failure(const struct records *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (record_is_failure(l->v[i].kind))
			return &l->v[i];
	return NULL;
}

void records_free(struct records *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* One wire line, without its newline: kind byte, then the text. */
static void deliver(struct record_reader *rd, char *line)
{
	for (char *p = line; *p; p++)
		if (*p == '\x1f')
			*p = '\n';
	if (*line && rd->on_record)
		rd->on_record(rd->arg, (enum record_kind)(unsigned char)*line,
			      line + 1);
}

void record_feed(struct record_reader *rd, const char *buf, size_t n)
{
	struct strbuf *p = &rd->pending;
	char *nl;

	sb_add(p, buf, n);
	while (p->len && (nl = memchr(p->s, '\n', p->len))) {
		size_t used = (size_t)(nl - p->s) + 1;

		*nl = '\0';
		deliver(rd, p->s);
		memmove(p->s, nl + 1, p->len - used);
		p->len -= used;
		p->s[p->len] = '\0';
	}
}

void record_reader_free(struct record_reader *rd)
{
	sb_free(&rd->pending);
}
