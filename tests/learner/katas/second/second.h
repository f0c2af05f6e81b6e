/*
 * second.h: the learner tests' second kata, where watch moves on to.
 */
#ifndef SECOND_H
#define SECOND_H

/* Returns 2. */
int second_value(void);

#endif
