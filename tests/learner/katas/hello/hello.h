/*
 * hello.h: the learner tests' first kata (tests/learner_test.c): two
 * functions small enough that a test can write the fix.
 */
#ifndef HELLO_H
#define HELLO_H

/* Returns 42. */
int hello_answer(void);

/* Upper-cases the ASCII letters of s in place; returns 0. */
int hello_shout(char *s);

#endif
