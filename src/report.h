/*
 * report.h: what a learner sees, as human text, TAP or JSON lines.
 *
 * report_kata_begin/report_test/report_kata_end are called by grade.c as
 * results arrive; report_summary prints the closing `N passed, M failed`
 * line.  Colour and Unicode marks only on a terminal without NO_COLOR.
 */
#ifndef RUNNER_REPORT_H
#define RUNNER_REPORT_H

#include "grade.h"

void report_kata_begin(const struct kata_run *run, const struct options *o);
void report_test(const struct kata_run *run, size_t i,
		 const struct options *o);
void report_kata_end(const struct kata_run *run, const struct options *o);
void report_summary(unsigned passed, unsigned failed, unsigned skipped,
		    const struct options *o);

/* True when stdout gets colour and Unicode (a terminal, no NO_COLOR). */
bool report_fancy(void);

#endif
