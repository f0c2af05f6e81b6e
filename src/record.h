/*
 * record.h: the records a test process sends its runner, one protocol.
 *
 * A running test (api.c, in the child) reports every check as one record:
 * a kind and a line of text.  On the wire (the result pipe) a record is the
 * kind's byte, the text with each newline written as \x1f, and a newline;
 * record_write() sends it with a single write() of at most PIPE_BUF bytes,
 * so records from several threads never interleave.  In the parent,
 * record_feed() turns the bytes back into records as they arrive, whatever
 * the pipe's chunking, and the rest of the runner (sandbox, reports, verify,
 * bench, progress) sees only struct records: an array in order of arrival.
 */
#ifndef RUNNER_RECORD_H
#define RUNNER_RECORD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "runner.h"

enum record_kind {
	REC_OK = 'o',		/* a check passed (kata_ok) */
	REC_NOTE = 'n',		/* a figure or remark (kata_note) */
	REC_CONCEPT = 'c',	/* the concept behind what follows */
	REC_FAIL = 'f',		/* a failed check that ended the test */
	REC_FAIL_SOFT = 'F',	/* a failed check; the test went on */
	REC_SKIP = 's',		/* the test skipped itself, with a reason */
	REC_SEED = 'r',		/* the test used the run's seed (decimal) */
	REC_PARAM = 'p',	/* the test asked for --param NAME (the name) */
	REC_CRASH = 'x',	/* where a crash happened: "in frame_recv()" */
	REC_END = 'e',		/* the test function returned */
	REC_WHERE = 'w',	/* "TID\tin foo()": a running thread's place,
				 * asked for before a timeout kill */
};

/* True for the two kinds of failed check. */
static inline bool record_is_failure(enum record_kind kind)
{
	return kind == REC_FAIL || kind == REC_FAIL_SOFT;
}

/* A record's kind as a word, for machine formats: "fail", "note". */
const char *record_kind_name(enum record_kind kind);

/*
 * Sends one record on fd, the text formatted from fmt and truncated to fit
 * one atomic pipe write.  Returns 0 or -errno.
 */
int record_write(int fd, enum record_kind kind, const char *fmt, va_list ap);

struct record {
	enum record_kind kind;
	char *text;		/* owned by the list; newlines restored */
};

/* struct records (runner.h): a test's records in order of arrival, an
 * array of n; zero-initialised is empty. */

/* Appends a copy of text as a record of kind. */
void records_add(struct records *l, enum record_kind kind, const char *text);

/* The first record of kind in l, or NULL. */
const struct record *records_find(const struct records *l,
				  enum record_kind kind);

/* The first failed check (REC_FAIL or REC_FAIL_SOFT) in l, or NULL. */
const struct record *records_first_failure(const struct records *l);

/* Frees every record's text and the array; l is empty afterwards. */
void records_free(struct records *l);

/* The parent's side of one result pipe: bytes in, records out. */
struct record_reader {
	struct strbuf pending;	/* a record not yet ended by its newline */
	void (*on_record)(void *arg, enum record_kind kind, const char *text);
	void *arg;
};

/*
 * Takes n bytes read from the pipe and calls rd->on_record once for every
 * record they complete, with the text's newlines restored (the text is
 * valid only during the call).  Bytes of an unfinished record are kept.
 */
void record_feed(struct record_reader *rd, const char *buf, size_t n);

/* Frees what the reader keeps (an unfinished record is dropped). */
void record_reader_free(struct record_reader *rd);

#endif
