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
 * Opens every grader plugin in the build directory.  A plugin that is
 * refused stays in the list with its error set, so that only the commands
 * that need it fail.  Returns 0, or -ENOENT with *err set to a malloc'd
 * sentence when there is no build at all (caller frees).
 */
int registry_load(struct registry *reg, char **err);

/* Says on stderr that no kata is named `name`, with a did-you-mean. */
void registry_no_such(struct registry *reg, const char *name);

/* Frees the list and every grader's strings. */
void registry_free(struct registry *reg);

/*
 * The grader for kata `name` (check its error field), or NULL.
 */
struct grader *registry_find(struct registry *reg, const char *name);

/* The known name closest to `name` if it is close enough, else NULL. */
const char *registry_suggest(struct registry *reg, const char *name);

#endif
