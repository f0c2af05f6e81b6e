/*
 * plugin.h: loading and checking grader and kata shared objects.
 *
 * plugin_open_grader() dlopens a grader in the runner's own process (graders
 * are project code) and validates its descriptor; plugin_probe_kata() loads
 * a kata .so in a throw-away child (learner code never runs in the runner)
 * and checks its descriptor; plugin_imports() lists what a .so imports by
 * reading its ELF dynamic symbol table, without loading it.
 */
#ifndef RUNNER_PLUGIN_H
#define RUNNER_PLUGIN_H

#include "runner.h"

struct grader {
	char *kata;		/* from the file name: build/grader-<kata>.so */
	char *path;
	void *handle;
	const struct kata_grader *desc;	/* NULL when refused */
	bool desc_copy;		/* desc is a malloc'd, upgraded copy */
	size_t ntests;
	char *error;		/* why it was refused, or NULL */
};

/*
 * Opens and validates build/grader-<kata>.so into *g.  Returns 0, or -errno
 * with *err set to one malloc'd sentence for the user (caller frees).
 */
int plugin_open_grader(const char *kata, struct grader *g, char **err);

/*
 * Frees what plugin_open_grader allocated in g.  The .so stays loaded (its
 * descriptor strings may still be referenced) until the runner exits.
 */
void plugin_close_grader(struct grader *g);

enum probe {
	PROBE_OK,
	PROBE_UNLOADABLE,	/* dlopen failed, or loading exited, crashed
				 * or hung: *err says which */
	PROBE_REFUSED,		/* no descriptor, wrong ABI, other kata */
};

/*
 * Loads the kata .so at path in a child process and checks its descriptor
 * names `kata` with a compatible ABI.  The child is sandboxed like a test:
 * its own process group, a deadline (5 s times scale), nothing of it left
 * afterwards (whatever its constructors forked is swept), and no
 * descriptor of the runner's it could hold.  A load that exits, crashes or
 * hangs is PROBE_UNLOADABLE.  *err gets a malloc'd sentence unless
 * PROBE_OK (caller frees).
 */
enum probe plugin_probe_kata(const char *path, const char *kata,
			     double scale, char **err);

/*
 * Returns 1 if the ELF shared object at path imports (has an undefined
 * dynamic symbol named) `symbol`, 0 if not, -errno if it cannot be read.
 */
int plugin_imports(const char *path, const char *symbol);

#endif
