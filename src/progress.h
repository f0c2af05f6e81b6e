/*
 * progress.h: the learner's progress database, .runner/progress.db (sqlite3).
 *
 * progress_open() opens or creates it (versioned schema, migrated on open,
 * WAL, a short busy timeout); a corrupt file is moved aside and a fresh one
 * started; a locked one makes the caller go on without recording.  The
 * check itself never fails because of the database.  progress_record()
 * stores one kata's check run; progress_hint_next() counts hints shown.
 */
#ifndef RUNNER_PROGRESS_H
#define RUNNER_PROGRESS_H

#include "grade.h"

struct progress;

/*
 * Returns the open database (close with progress_close), or NULL when it
 * cannot be used; either way *note may get a malloc'd sentence to show the
 * user (caller frees).
 */
struct progress *progress_open(char **note);
void progress_close(struct progress *p);

/* The open database, for the learning path's queries (path.c); or NULL. */
struct sqlite3 *progress_sqlite(struct progress *p);

/*
 * A digest of the file at path, as runs record it (FNV-1a, 16 hex digits):
 * malloc'd (caller frees), or NULL when the file cannot be read.
 */
char *progress_digest(const char *path);

/* Records a graded kata.  0, or -EBUSY/-EIO with *note set (caller frees) */
int progress_record(struct progress *p, const struct kata_run *run,
		    const struct options *o, char **note);

/*
 * Returns how many hints of kata have now been shown, after counting one
 * more (capped at max); 1 when p is NULL.
 */
int progress_hint_next(struct progress *p, const char *kata, int max);

/* The number of hints of kata shown so far (0 when p is NULL). */
int progress_hints_shown(struct progress *p, const char *kata);

#endif
