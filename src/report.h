/*
 * report.h: what a learner sees, as human text, TAP or JSON lines.
 *
 * report_observer() gives grade_katas() the observer of the chosen format,
 * which prints each kata and test as grade.c tells of them; report_summary
 * prints the closing `N passed, M failed` line.  Colour and Unicode marks
 * only on a terminal without NO_COLOR.
 */
#ifndef RUNNER_REPORT_H
#define RUNNER_REPORT_H

#include "grade.h"

/*
 * The observer that prints o->format (human, TAP or JSON lines) to stdout.
 * Returns a static observer that keeps o; valid until the next call.
 */
const struct grade_observer *report_observer(const struct options *o);

void report_summary(unsigned passed, unsigned failed, unsigned skipped,
		    const struct options *o);

/* The observer of --format json (json.c): one JSON object per test. */
const struct grade_observer *json_observer(void);

/* A JSON string literal of s (n bytes), always valid UTF-8, to stdout. */
void json_string(const char *s, size_t n);

/* The closing JSON object: {"summary":true,"passed":N,...}. */
void json_summary(unsigned passed, unsigned failed, unsigned skipped);

/* --format junit (junit.c): JUnit XML, one testsuite per kata. */
const struct grade_observer *junit_observer(void);
void junit_summary(void);

/* --format gradescope (gradescope.c): Gradescope's results.json. */
const struct grade_observer *gradescope_observer(void);
void gradescope_summary(void);

/* True when stdout gets colour and Unicode (a terminal, no NO_COLOR). */
bool report_fancy(void);

#endif
