/*
 * plugin.h: the descriptor every kata shared object exports.
 *
 * A kata .so (built from katas/<kata>/<kata>.c, the learner's file, or from
 * solutions/<kata>/<kata>.c, the reference) exports the functions its header
 * declares and exactly one symbol named `kata_plugin`, written with
 * KATA_PLUGIN("name").  The runner reads it before grading so that a stale,
 * foreign or mismatched .so is refused with a sentence instead of a crash.
 *
 * ABI rules (like SQLite's append-only routine table): abi_version and
 * struct_size come first and never move; fields are only ever appended; a
 * different major version is refused; a larger struct_size from a newer
 * plugin is accepted, and fields beyond a smaller struct_size read as absent.
 * The whole contract, and what needs a new version: docs/plugin-abi.md.
 *
 * Version 2: the runner exports no functions; graders call it through the
 * table of routines in kata/grader.h (struct kata_api).
 */
#ifndef KATA_PLUGIN_H
#define KATA_PLUGIN_H

#define KATA_ABI_VERSION 2u

struct kata_plugin {
	unsigned abi_version;	/* KATA_ABI_VERSION when built */
	unsigned struct_size;	/* sizeof(struct kata_plugin) when built */
	const char *kata;	/* the kata's name, e.g. "framing" */
};

#define KATA_PLUGIN_SYMBOL "kata_plugin"

/* Put this once in a kata's .c file: KATA_PLUGIN("framing"); */
#define KATA_PLUGIN(name) \
	__attribute__((visibility("default"))) \
	extern const struct kata_plugin kata_plugin; \
	const struct kata_plugin kata_plugin = \
		{ KATA_ABI_VERSION, sizeof(struct kata_plugin), (name) }

#endif
