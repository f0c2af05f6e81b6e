/*
 * learner.h: the learner's side of the tree, katas/<kata>/.
 *
 * build_learner() builds the learner's kata .so: with ninja in the build
 * directory, or, when KATA_ROOT points the runner at a copy of the katas
 * outside the build's source tree (the tests' scratch trees), with the C
 * compiler directly into <root>/.runner/.  learner_pristine() reads a file
 * as git's HEAD has it (runner reset).
 */
#ifndef RUNNER_LEARNER_H
#define RUNNER_LEARNER_H

#include "runner.h"

/*
 * Builds the learner's kata.  Returns 0, or -1 with the tool's output in
 * *log; either way *so gets the .so's path (malloc'd, caller frees).
 */
int build_learner(const char *kata, char **so, struct strbuf *log);

/* "katas/<kata>/<kata>.c": malloc'd, relative to runner_root. */
char *learner_source(const char *kata);

/* The digest of the learner's source now (progress_digest), or NULL. */
char *learner_digest(const char *kata);

/*
 * Reads path (relative to runner_root) as git's HEAD has it.  Returns 0
 * with the content in *out, or -ENOENT when HEAD has no such file, or
 * -EIO with git's words in *out (not a repository, no git).
 */
int learner_pristine(const char *path, struct strbuf *out);

/*
 * The files git's HEAD has in katas/<kata>/, and the shared support the
 * kata list names for it in katas/common/ (frames.c and frames.h), as a
 * malloc'd NULL-terminated array of malloc'd paths relative to runner_root;
 * NULL when none (the kata is not committed, or git cannot say).  *why gets
 * git's words then.
 */
char **learner_tracked(const char *kata, struct strbuf *why);

#endif
