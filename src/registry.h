/*
 * registry.h: the katas this build knows, in learning-path order.
 *
 * registry_load() finds every build/grader-*.so and opens it; the list is
 * sorted by each descriptor's order.  registry_find() looks a name up;
 * registry_suggest() offers the closest known name for a typo.
 */
#ifndef RUNNER_REGISTRY_H
#define RUNNER_REGISTRY_H

#include "plugin.h"

struct registry {
	struct grader *graders;
	size_t n;
};

/*
 * Opens every grader plugin in the build directory.  Returns 0, or -errno
 * with *err set to one malloc'd sentence (the first bad plugin; caller
 * frees).
 */
int registry_load(struct registry *reg, char **err);

/* The grader for kata `name`, or NULL. */
struct grader *registry_find(struct registry *reg, const char *name);

/* The known name closest to `name` if it is close enough, else NULL. */
const char *registry_suggest(struct registry *reg, const char *name);

#endif
