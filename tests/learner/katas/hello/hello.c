/*
 * hello.c: the stub of the learner tests' first kata.
 */
#include <errno.h>

#include "kata/plugin.h"
#include "hello.h"

KATA_PLUGIN("hello");

int hello_answer(void)
{
	return -ENOSYS;	/* TODO: return 42 */
}

int hello_shout(char *s)
{
	(void)s;
	return -ENOSYS;	/* TODO: upper-case s */
}
