/*
 * api.c: the child's side of a test, and the routines graders call.
 *
 * api_run_test() runs in the forked test process: it loads the learner's
 * kata .so, installs a crash reporter, runs the test and exits.
 * api_run_play() does the same for `runner play`, with the terminal for
 * input and output.  api_routines is the table of routines the runner
 * hands every grader it loads (struct kata_api in kata/grader.h); each
 * check becomes one record on the result pipe (record.h).
 */
#define _GNU_SOURCE
#include "api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "record.h"

struct kata_ctx {
	int fd;
	const struct sandbox_spec *spec;
	void *kata;		/* dlopen handle of the kata .so */
	void *kata_base;	/* its load address, to spot its frames */
	const char *tmpdir;
	char *fixtures;
	pid_t pid;		/* the test process: its children stay silent */
	bool seed_told;
	bool play;		/* runner play: records to stderr as text */
	const char *listen;	/* runner play --listen */
	const char *asked[32];	/* --param names the test asked for */
	size_t nasked;
};

static struct kata_ctx ctx;

/* In play, what a person should read goes to stderr as plain text. */
static void put_play(enum record_kind kind, const char *fmt, va_list ap)
{
	if (kind != REC_NOTE && !record_is_failure(kind) && kind != REC_SKIP)
		return;
	if (kind != REC_NOTE)
		fputs("runner: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void put(enum record_kind kind, const char *fmt, va_list ap)
{
	if (ctx.play)
		put_play(kind, fmt, ap);
	else
		record_write(ctx.fd, kind, fmt, ap);
}

static void putf(enum record_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(enum record_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put(kind, fmt, ap);
	va_end(ap);
}

static _Noreturn void end(int code)
{
	fflush(NULL);
	_exit(code);
}

static void api_concept(struct kata_ctx *k, const char *fmt, va_list ap)
{
	(void)k;
	put(REC_CONCEPT, fmt ? fmt : "", ap);
}

static void api_ok(struct kata_ctx *k, const char *fmt, va_list ap)
{
	(void)k;
	put(REC_OK, fmt, ap);
}

static void api_note(struct kata_ctx *k, const char *fmt, va_list ap)
{
	(void)k;
	put(REC_NOTE, fmt, ap);
}

static void api_fail_soft(struct kata_ctx *k, const char *fmt, va_list ap)
{
	(void)k;
	put(REC_FAIL_SOFT, fmt, ap);
}

static _Noreturn void api_fail(struct kata_ctx *k, const char *fmt,
			       va_list ap)
{
	(void)k;
	put(REC_FAIL, fmt, ap);
	end(ctx.play ? 1 : 0);
}

static _Noreturn void api_skip(struct kata_ctx *k, const char *fmt,
			       va_list ap)
{
	(void)k;
	put(REC_SKIP, fmt, ap);
	end(ctx.play ? 1 : 0);
}

/* api_fail with arguments, for the runner's own failures here. */
static _Noreturn void fail(struct kata_ctx *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static _Noreturn void fail(struct kata_ctx *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	api_fail(k, fmt, ap);
}

static const char *api_strres(long long r)
{
	static __thread char buf[96];
	const char *name = r < 0 && r > -4096 ? strerrorname_np((int)-r)
					       : NULL;

	if (name)
		snprintf(buf, sizeof(buf), "-%s (%s)", name,
			 strerror((int)-r));
	else
		snprintf(buf, sizeof(buf), "%lld", r);
	return buf;
}

static void api_expect_int(struct kata_ctx *k, const char *what,
			   long long got, long long want)
{
	char w[96];

	if (got == want)
		return;
	snprintf(w, sizeof(w), "%s", api_strres(want));
	fail(k, "%s: expected %s, got %s", what, w, api_strres(got));
}

static void *api_sym(struct kata_ctx *k, const char *name)
{
	void *p = dlsym(k->kata, name);

	if (!p)
		fail(k, "%s has no function %s(), which %s.h declares: "
			  "did you rename it, delete it, or make it static?",
			  k->spec->source ? k->spec->source : k->spec->kata_so,
			  name, k->spec->g->kata);
	return p;
}

/* Tells the runner, once per name, which --param names this test reads. */
static void told(struct kata_ctx *k, const char *name)
{
	for (size_t i = 0; i < k->nasked; i++)
		if (!strcmp(k->asked[i], name))
			return;
	if (k->nasked < sizeof(k->asked) / sizeof(*k->asked))
		k->asked[k->nasked++] = name;
	putf(REC_PARAM, "%s", name);
}

/* --param values were parsed once, before the test started. */
static long long api_param(struct kata_ctx *k, const char *name,
			   long long full, long long quick)
{
	const struct test_settings *t = &k->spec->set;

	told(k, name);
	for (size_t i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return t->params[i].value;
	return t->quick ? quick : full;
}

static double api_scale(struct kata_ctx *k)
{
	return k->spec->set.scale;
}

static uint64_t api_seed(struct kata_ctx *k)
{
	if (!k->seed_told) {
		putf(REC_SEED, "%llu", (unsigned long long)k->spec->set.seed);
		k->seed_told = true;
	}
	return k->spec->set.seed;
}

static const char *api_fixtures(struct kata_ctx *k)
{
	return k->fixtures;
}

static const char *api_tmpdir(struct kata_ctx *k)
{
	return k->tmpdir;
}

static const char *api_name(struct kata_ctx *k)
{
	return k->spec->g->kata;
}

static bool api_is_solution(struct kata_ctx *k)
{
	return k->spec->set.solution;
}

static const char *api_listen(struct kata_ctx *k)
{
	return k->listen ? k->listen : "127.0.0.1";
}

static const char *api_where(struct kata_ctx *k, int tid);

const struct kata_api api_routines = {
	.abi_version = KATA_ABI_VERSION,
	.struct_size = sizeof(struct kata_api),
	.sym = api_sym,
	.vconcept = api_concept,
	.vok = api_ok,
	.vnote = api_note,
	.vfail = api_fail,
	.vfail_soft = api_fail_soft,
	.vskip = api_skip,
	.expect_int = api_expect_int,
	.strres = api_strres,
	.param = api_param,
	.scale = api_scale,
	.seed = api_seed,
	.fixtures = api_fixtures,
	.tmpdir = api_tmpdir,
	.name = api_name,
	.is_solution = api_is_solution,
	.listen = api_listen,
	.where = api_where,
};

/*
 * Where this thread is in the learner's code, from its own stack: "in
 * frame_recv()", or "in frame_recv() (inside memcpy, called from there)".
 * Writes "" when no frame is the kata's.  Called from signal handlers: the
 * unwinder was loaded by crash_reporter() beforehand.
 */
static void locate(char *buf, size_t len)
{
	void *frames[64];
	int n = backtrace(frames, 64);
	const char *top = NULL;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		Dl_info d;
		if (!dladdr(frames[i], &d) || !d.dli_sname)
			continue;
		if (d.dli_fbase == ctx.kata_base) {
			if (top && strcmp(top, d.dli_sname))
				snprintf(buf, len, "in %s() (inside %s, called "
					 "from there)", d.dli_sname, top);
			else
				snprintf(buf, len, "in %s()", d.dli_sname);
			return;
		}
		if (i > 1 && !top)
			top = d.dli_sname;
	}
}

/* The crash reporter: names the learner's function the crash came from. */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char where[256];

	(void)si;
	(void)uc;
	if (ctx.pid == getpid()) {
		locate(where, sizeof(where));
		if (where[0])
			putf(REC_CRASH, "%s", where);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A grader's question to one thread (api_where), answered in on_where. */
static struct {
	pthread_mutex_t lock;	/* one question at a time */
	volatile pid_t tid;	/* the thread asked */
	char answer[256];
	volatile sig_atomic_t answered;
} ask = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * A thread is asked where it is: by the runner before a timeout kill (the
 * answer goes on the result pipe) or by the grader (api_where).
 */
static void on_where(int sig)
{
	char where[256];
	int saved = errno;

	(void)sig;
	locate(where, sizeof(where));
	if (ask.tid == gettid() && !ask.answered) {
		memcpy(ask.answer, where, sizeof(where));
		ask.answered = 1;
	} else if (ctx.pid == getpid()) {
		putf(REC_WHERE, "%d\t%s", (int)gettid(), where);
	}
	errno = saved;
}

static const char *api_where(struct kata_ctx *k, int tid)
{
	static __thread char out[256];
	double end = now_ms() + 100 * k->spec->set.scale;

	out[0] = '\0';
	pthread_mutex_lock(&ask.lock);
	ask.answered = 0;
	ask.tid = tid;
	if (tgkill(getpid(), tid, SANDBOX_WHERE_SIGNAL) == 0)
		while (!ask.answered && now_ms() < end)
			usleep(1000);
	if (ask.answered)
		snprintf(out, sizeof(out), "%s", ask.answer);
	ask.tid = 0;
	pthread_mutex_unlock(&ask.lock);
	return out;
}

static void crash_reporter(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	static char stack[64 * 1024];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) };
	struct sigaction sa = { .sa_sigaction = on_crash,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	void *warm[1];

	backtrace(warm, 1);	/* loads libgcc_s now, not in the handler */
	sigaltstack(&ss, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SANDBOX_WHERE_SIGNAL, on_where);
}

static void load_kata(const struct sandbox_spec *s)
{
	Dl_info d;
	void *desc;

	ctx.kata = dlopen(s->kata_so, RTLD_NOW | RTLD_LOCAL);
	if (!ctx.kata)
		fail(&ctx, "the kata could not be loaded: %s", dlerror());
	desc = dlsym(ctx.kata, KATA_PLUGIN_SYMBOL);
	if (desc && dladdr(desc, &d))
		ctx.kata_base = d.dli_fbase;
}

_Noreturn void api_run_test(const struct sandbox_spec *s, int fd,
			    const char *tmpdir)
{
	const struct kata_test *t = &s->g->desc->tests[s->index];

	ctx.fd = fd;
	ctx.pid = getpid();
	ctx.spec = s;
	ctx.tmpdir = tmpdir;
	ctx.fixtures = xasprintf("%s/fixtures/%s", runner_root, s->g->kata);
	prctl(PR_SET_NAME, "test");
	if (chdir(tmpdir) < 0)
		fail(&ctx, "cannot enter %s: %s", tmpdir, strerror(errno));
	crash_reporter();
	load_kata(s);
	t->run(&ctx);
	putf(REC_END, "done");
	end(0);
}

/*
 * The child of `runner play` (play.c): the kata loaded as in a test, but
 * the terminal for input and output, no deadline, and the exit status the
 * play mode returns.
 */
_Noreturn void api_run_play(const struct sandbox_spec *s,
			    const struct kata_play *mode, int argc,
			    char **argv, const char *listen, const char *tmpdir)
{
	ctx.fd = -1;
	ctx.play = true;
	ctx.spec = s;
	ctx.listen = listen;
	ctx.tmpdir = tmpdir;
	ctx.fixtures = xasprintf("%s/fixtures/%s", runner_root, s->g->kata);
	crash_reporter();
	load_kata(s);
	end(mode->run(&ctx, argc, argv));
}
