/*
 * timing.h: a monotonic clock for graders.
 *
 * Entry points: timing_now_ns, timing_ms_since, timing_sleep_ms.  Graders
 * never compare a duration with an absolute number: they compare it with a
 * reference measured in the same run, scaled by kata_scale().
 */
#ifndef GRADER_TIMING_H
#define GRADER_TIMING_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t timing_now_ns(void);

/* Milliseconds elapsed since a timing_now_ns() value. */
double timing_ms_since(uint64_t start_ns);

/*
 * Fills *ts with the CLOCK_REALTIME time timeout_ms from now: the absolute
 * deadline pthread_cond_timedwait and pthread_timedjoin_np want.
 */
struct timespec;
void timing_realtime_deadline(struct timespec *ts, int timeout_ms);

/* Sleeps ms milliseconds, resuming after signals. */
void timing_sleep_ms(unsigned ms);

#endif
