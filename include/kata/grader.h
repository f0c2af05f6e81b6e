/*
 * grader.h: the grader plugin ABI and the API a running test calls.
 *
 * A grader .so (built from graders/<kata>.c) exports one descriptor named
 * `kata_grader`, written with KATA_GRADER(...): the kata it grades, a title,
 * a topic, its place in the learning path, a table of tests ending in an
 * empty entry, and optionally symbols the kata's .so must not use.
 *
 * Each test runs in its own forked child process (see docs/runner.md): the
 * runner loads the grader and the learner's kata there, calls test->run(k),
 * and streams every check to the parent as it happens.  A test passes when
 * run() returns without a failed check; it fails on a failed check, a crash,
 * or its deadline.  Ending the test early (kata_fail, kata_skip) exits the
 * child, so a test never has to unwind its threads or sockets: the process
 * and everything in it is discarded.
 *
 * The kata_* functions below call the runner through the table of routines
 * it hands the grader at load time (struct kata_api).  Strings passed in are
 * copied; nothing returned needs freeing unless stated.
 */
#ifndef KATA_GRADER_H
#define KATA_GRADER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct kata_ctx;		/* one running test; opaque */

struct kata_test {
	const char *name;	/* stable id (progress database, --test) */
	const char *purpose;	/* one line a learner reads */
	void (*run)(struct kata_ctx *k);
	unsigned timeout_ms;	/* 0: 10 s; scaled by --timeout-scale */
	unsigned points;	/* 0 counts as 1 */
	const char *depends_on;	/* NULL, or an earlier test's name */
};

/* A symbol the kata's .so must not import, and why (semaphore: sem_wait). */
struct kata_forbid {
	const char *symbol;
	const char *why;
};

/*
 * A way to run the kata's code as a program a person talks to, for
 * `runner play <kata> <name> ARGS...` (udp_chat's server and client).  run()
 * is called in a child process with the kata loaded (kata_sym works), stdin
 * and stdout the user's terminal, no deadline; argv[0] is the mode's name,
 * then the user's ARGS.  It returns the exit status: 0, 1 on failure, or 2
 * when the arguments are wrong (the runner then shows usage).  Servers bind
 * kata_listen(k).  The table ends with { 0 }.
 */
struct kata_play {
	const char *name;	/* "server" */
	const char *usage;	/* the ARGS: "[--port P]" */
	const char *purpose;	/* one line: "host your relay on a port" */
	int (*run)(struct kata_ctx *k, int argc, char **argv);
};

struct kata_grader {
	unsigned abi_version;	/* KATA_ABI_VERSION */
	unsigned struct_size;	/* sizeof(struct kata_grader) */
	const char *kata;	/* "framing": katas/framing/, solutions/framing/ */
	const char *title;	/* "Length-prefixed frames over TCP" */
	const char *topic;	/* "TCP has no message boundaries (粘包)" */
	unsigned order;		/* place in the learning path, ascending */
	const struct kata_test *tests;		/* ends with { 0 } */
	const struct kata_forbid *forbidden;	/* NULL or ends with { 0 } */
	const struct kata_play *play;	/* NULL or ends with { 0 } */
	const struct kata_api **api;	/* &kata_api: the runner sets it */
	/* Fields appended in later versions read as NULL from older graders. */
};

#define KATA_GRADER_SYMBOL "kata_grader"

/* The size of this version's descriptor: anything smaller is not a grader
 * of ABI 2.  Later versions only append fields. */
#define KATA_GRADER_MIN_SIZE \
	(offsetof(struct kata_grader, api) + sizeof(void *))

/*
 * In a grader: KATA_GRADER(.kata = "framing", .title = ..., .tests = tests);
 */
#define KATA_GRADER(...) \
	const struct kata_api *kata_api; \
	__attribute__((visibility("default"))) \
	extern const struct kata_grader kata_grader; \
	const struct kata_grader kata_grader = { \
		.abi_version = KATA_ABI_VERSION, \
		.struct_size = sizeof(struct kata_grader), \
		.api = &kata_api, __VA_ARGS__ }

#define KATA_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- the routines the runner hands a grader --------------------------- */

/*
 * The runner exports no functions: its dynamic symbol table holds none of
 * its internals, so a learner's global helper named like one of them
 * (now_ms, read_file) is never replaced by the runner's.  Instead, as SQLite
 * hands an extension its sqlite3_api_routines, the runner hands each grader
 * this table: KATA_GRADER() defines the grader's hidden pointer kata_api and
 * names its address in the descriptor, and the runner sets it when it loads
 * the grader.  The kata_* functions below are static inline wrappers that
 * call through it, so graders call them as plain functions.
 *
 * Append-only, like the descriptors: a routine is never removed, moved or
 * retyped without a new KATA_ABI_VERSION; new routines go at the end, and a
 * grader that calls one checks KATA_API_HAS() first (struct_size is the
 * size of the table the running runner has).
 */
struct kata_api {
	unsigned abi_version;	/* KATA_ABI_VERSION of the runner */
	unsigned struct_size;	/* sizeof(struct kata_api) in the runner */
	void *(*sym)(struct kata_ctx *k, const char *name);
	void (*vconcept)(struct kata_ctx *k, const char *fmt, va_list ap);
	void (*vok)(struct kata_ctx *k, const char *fmt, va_list ap);
	void (*vnote)(struct kata_ctx *k, const char *fmt, va_list ap);
	__attribute__((noreturn))
	void (*vfail)(struct kata_ctx *k, const char *fmt, va_list ap);
	void (*vfail_soft)(struct kata_ctx *k, const char *fmt, va_list ap);
	__attribute__((noreturn))
	void (*vskip)(struct kata_ctx *k, const char *fmt, va_list ap);
	void (*expect_int)(struct kata_ctx *k, const char *what,
			   long long got, long long want);
	const char *(*strres)(long long r);
	long long (*param)(struct kata_ctx *k, const char *name,
			   long long full, long long quick);
	double (*scale)(struct kata_ctx *k);
	uint64_t (*seed)(struct kata_ctx *k);
	const char *(*fixtures)(struct kata_ctx *k);
	const char *(*tmpdir)(struct kata_ctx *k);
	const char *(*name)(struct kata_ctx *k);
	bool (*is_solution)(struct kata_ctx *k);
	const char *(*listen)(struct kata_ctx *k);
	/* Appended routines go here. */
	const char *(*where)(struct kata_ctx *k, int tid);
};

/* The grader's own pointer to the table (one per grader .so, hidden). */
extern const struct kata_api *kata_api __attribute__((visibility("hidden")));

/* True when the running runner's table has routine m. */
#define KATA_API_HAS(m) \
	(kata_api->struct_size >= offsetof(struct kata_api, m) + \
	 sizeof(kata_api->m))

/* ---- the learner's code ------------------------------------------------ */

/*
 * Returns the address of `name` in the learner's kata .so.  When it is
 * missing, fails the test with a sentence naming the function and the
 * header that declares it (does not return).
 */
static inline void *kata_sym(struct kata_ctx *k, const char *name)
{
	return kata_api->sym(k, name);
}

/* Typed lookup: the grader includes the kata's header, so fn has a type. */
#define KATA_SYM(k, fn) ((__typeof__(&fn))kata_sym((k), #fn))

/* ---- checks and messages ----------------------------------------------- */

/* A wrapper that hands its arguments to the table's v-routine. */
#define KATA_FORWARD_(routine, k, fmt) \
	do { va_list ap_; va_start(ap_, fmt); kata_api->routine(k, fmt, ap_); \
	     va_end(ap_); } while (0)

/*
 * The concept behind the checks that follow, shown under a failure:
 * "TCP is a byte stream: one recv() may return half a header".  Replaces the
 * previous one; NULL clears it.
 */
KATA_PRINTF(2, 3) static inline void
kata_concept(struct kata_ctx *k, const char *fmt, ...)
{
	KATA_FORWARD_(vconcept, k, fmt);
}

/* A check that passed (shown with --verbose; proves progress before a crash) */
KATA_PRINTF(2, 3) static inline void
kata_ok(struct kata_ctx *k, const char *fmt, ...)
{
	KATA_FORWARD_(vok, k, fmt);
}

/* Information shown whether or not the test passes (a throughput figure). */
KATA_PRINTF(2, 3) static inline void
kata_note(struct kata_ctx *k, const char *fmt, ...)
{
	KATA_FORWARD_(vnote, k, fmt);
}

/*
 * Records a failed check and ends the test (the child exits).  Write the
 * message as "what: expected X, got Y".
 */
KATA_PRINTF(2, 3) static inline _Noreturn void
kata_fail(struct kata_ctx *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kata_api->vfail(k, fmt, ap);
}

/* Records a failed check and lets the test go on; it will fail. */
KATA_PRINTF(2, 3) static inline void
kata_fail_soft(struct kata_ctx *k, const char *fmt, ...)
{
	KATA_FORWARD_(vfail_soft, k, fmt);
}

/* Ends the test as skipped, with a reason (does not return). */
KATA_PRINTF(2, 3) static inline _Noreturn void
kata_skip(struct kata_ctx *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kata_api->vskip(k, fmt, ap);
}

/* Fails with the formatted message unless cond holds. */
#define KATA_REQUIRE(k, cond, ...) \
	do { if (!(cond)) kata_fail((k), __VA_ARGS__); } while (0)

/*
 * Fails with "what: expected <want>, got <got>" unless they are equal.
 * Negative values that are errno codes are shown by name ("-EPROTO").
 */
static inline void kata_expect_int(struct kata_ctx *k, const char *what,
				   long long got, long long want)
{
	kata_api->expect_int(k, what, got, want);
}

/*
 * Returns a static string naming a result: "-EPROTO (Protocol error)" for a
 * negative errno value, the number itself otherwise.  Valid until the next
 * call from the same thread.
 */
static inline const char *kata_strres(long long r)
{
	return kata_api->strres(r);
}

/* ---- the run's settings ------------------------------------------------ */

/*
 * A size or count: `full` under `runner check`, `quick` under selftest
 * (--quick), or the value given with --param name=value.
 */
static inline long long kata_param(struct kata_ctx *k, const char *name,
				   long long full, long long quick)
{
	return kata_api->param(k, name, full, quick);
}

/* The --timeout-scale factor (1.0 by default); multiply tolerances by it. */
static inline double kata_scale(struct kata_ctx *k)
{
	return kata_api->scale(k);
}

/*
 * Returns the run's random seed (--seed S, or a fresh one) and marks the
 * test as randomised: a failure then says how to replay it.
 */
static inline uint64_t kata_seed(struct kata_ctx *k)
{
	return kata_api->seed(k);
}

/* Absolute paths; valid for the whole test. */
static inline const char *kata_fixtures(struct kata_ctx *k)
{
	return kata_api->fixtures(k);	/* fixtures/<kata> */
}

static inline const char *kata_tmpdir(struct kata_ctx *k)
{
	return kata_api->tmpdir(k);	/* removed after the test */
}

static inline const char *kata_name(struct kata_ctx *k)
{
	return kata_api->name(k);	/* "framing" */
}

/* True when grading the reference solution (--solution). */
static inline bool kata_is_solution(struct kata_ctx *k)
{
	return kata_api->is_solution(k);
}

/*
 * The address a play server binds: "127.0.0.1" unless the user said
 * `runner play ... --listen ADDR` (always "127.0.0.1" in a test).
 */
static inline const char *kata_listen(struct kata_ctx *k)
{
	return kata_api->listen(k);
}

/*
 * Where thread tid of this test process is in the learner's code, read
 * from its own stack: "in transfer()", or "in transfer() (inside memcpy,
 * called from there)"; "" when none of its frames is the learner's or it
 * did not answer within 100 ms (scaled).  For a watchdog that finds a
 * thread running instead of blocked.  Returns a static buffer of the
 * calling thread, valid until its next call.
 */
static inline const char *kata_where(struct kata_ctx *k, int tid)
{
	return KATA_API_HAS(where) ? kata_api->where(k, tid) : "";
}

/*
 * Thread names matter: the hang diagnosis tells grader threads from the
 * learner's by a "g:" prefix in the thread name.  Graders start threads
 * with thread_start() from graders/lib, which names them so.
 */
#define KATA_GRADER_THREAD_PREFIX "g:"

#endif
