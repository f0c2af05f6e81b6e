/*
 * second.c: the stub of the learner tests' second kata.
 */
#include <errno.h>

#include "kata/plugin.h"
#include "second.h"

KATA_PLUGIN("second");

int second_value(void)
{
	return -ENOSYS;	/* TODO: return 2 */
}
