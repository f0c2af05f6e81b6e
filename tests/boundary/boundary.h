/*
 * boundary.h: the generated kata of tests/boundary (gen.sh).  It defines a
 * global function named like each of the runner's internals and grader
 * helpers; function i returns i.
 */
#ifndef BOUNDARY_H
#define BOUNDARY_H

long boundary_count(void);		/* how many helpers */
const char *boundary_name(long i);	/* helper i's name, 1-based */
long boundary_check(void);	/* 0, or the first helper not its own */
long boundary_call(long i);	/* helper i called through its name */

#endif
