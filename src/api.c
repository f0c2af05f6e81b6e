/*
 * api.c: the child's side of a test, and the kata_* functions graders call.
 *
 * api_run_test() runs in the forked test process: it loads the learner's
 * kata .so, installs a crash reporter, runs the test and exits.  Every
 * kata_* call writes one record to the result pipe with a single write(),
 * so records from several threads never interleave (each is kept under
 * PIPE_BUF).  Kinds: o ok, n note, c concept, f fail (ends the test),
 * F soft fail, s skip (ends), r seed, x crash location, e end.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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
};

static struct kata_ctx ctx;

static void put(char kind, const char *fmt, va_list ap)
{
	char buf[PIPE_BUF];
	int n = vsnprintf(buf + 1, sizeof(buf) - 2, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	if (ctx.play) {
		if (kind == 'f' || kind == 'F' || kind == 's' || kind == 'n')
			dprintf(2, "%s%.*s\n", kind == 'n' ? "" : "runner: ",
				n, buf + 1);
		return;
	}
	buf[0] = kind;
	for (int i = 1; i <= n; i++)
		if (buf[i] == '\n')
			buf[i] = '\x1f';
	buf[n + 1] = '\n';
	while (write(ctx.fd, buf, (size_t)n + 2) < 0 && errno == EINTR)
		;
}

static void putf(char kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(char kind, const char *fmt, ...)
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

void kata_concept(struct kata_ctx *k, const char *fmt, ...)
{
	va_list ap;

	(void)k;
	va_start(ap, fmt);
	put('c', fmt ? fmt : "", ap);
	va_end(ap);
}

#define RECORD(kind) \
	do { va_list ap; va_start(ap, fmt); put((kind), fmt, ap); \
	     va_end(ap); } while (0)

void kata_ok(struct kata_ctx *k, const char *fmt, ...)
{
	(void)k;
	RECORD('o');
}

void kata_note(struct kata_ctx *k, const char *fmt, ...)
{
	(void)k;
	RECORD('n');
}

void kata_fail_soft(struct kata_ctx *k, const char *fmt, ...)
{
	(void)k;
	RECORD('F');
}

_Noreturn void kata_fail(struct kata_ctx *k, const char *fmt, ...)
{
	(void)k;
	RECORD('f');
	end(ctx.play ? 1 : 0);
}

_Noreturn void kata_skip(struct kata_ctx *k, const char *fmt, ...)
{
	(void)k;
	RECORD('s');
	end(ctx.play ? 1 : 0);
}

const char *kata_strres(long long r)
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

void kata_expect_int(struct kata_ctx *k, const char *what, long long got,
		     long long want)
{
	char w[96];

	if (got == want)
		return;
	snprintf(w, sizeof(w), "%s", kata_strres(want));
	kata_fail(k, "%s: expected %s, got %s", what, w, kata_strres(got));
}

void *kata_sym(struct kata_ctx *k, const char *name)
{
	void *p = dlsym(k->kata, name);

	if (!p)
		kata_fail(k, "%s has no function %s(), which %s.h declares: "
			  "did you rename it, delete it, or make it static?",
			  k->spec->source ? k->spec->source : k->spec->kata_so,
			  name, k->spec->g->kata);
	return p;
}

long long kata_param(struct kata_ctx *k, const char *name, long long full,
		     long long quick)
{
	const struct options *o = k->spec->o;
	size_t n = strlen(name);

	for (size_t i = 0; i < o->nparams; i++)
		if (!strncmp(o->params[i], name, n) && o->params[i][n] == '=')
			return strtoll(o->params[i] + n + 1, NULL, 0);
	return o->quick ? quick : full;
}

double kata_scale(struct kata_ctx *k)
{
	return k->spec->o->scale;
}

uint64_t kata_seed(struct kata_ctx *k)
{
	if (!k->seed_told) {
		putf('r', "%llu", (unsigned long long)k->spec->seed);
		k->seed_told = true;
	}
	return k->spec->seed;
}

const char *kata_fixtures(struct kata_ctx *k)
{
	return k->fixtures;
}

const char *kata_tmpdir(struct kata_ctx *k)
{
	return k->tmpdir;
}

const char *kata_name(struct kata_ctx *k)
{
	return k->spec->g->kata;
}

bool kata_is_solution(struct kata_ctx *k)
{
	return k->spec->o->solution;
}

const char *kata_listen(struct kata_ctx *k)
{
	return k->listen ? k->listen : "127.0.0.1";
}

/* The crash reporter: names the learner's function the crash came from. */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	void *frames[64];
	int n = backtrace(frames, 64);
	const char *top = NULL;

	(void)si;
	(void)uc;
	for (int i = 0; ctx.pid == getpid() && i < n; i++) {
		Dl_info d;
		if (!dladdr(frames[i], &d) || !d.dli_sname)
			continue;
		if (d.dli_fbase == ctx.kata_base) {
			if (top && strcmp(top, d.dli_sname))
				putf('x', "in %s() (inside %s, called from "
				     "there)", d.dli_sname, top);
			else
				putf('x', "in %s()", d.dli_sname);
			break;
		}
		if (i > 1 && !top)
			top = d.dli_sname;
	}
	signal(sig, SIG_DFL);
	raise(sig);
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
}

static void load_kata(const struct sandbox_spec *s)
{
	Dl_info d;
	void *desc;

	ctx.kata = dlopen(s->kata_so, RTLD_NOW | RTLD_LOCAL);
	if (!ctx.kata)
		kata_fail(&ctx, "the kata could not be loaded: %s", dlerror());
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
		kata_fail(&ctx, "cannot enter %s: %s", tmpdir, strerror(errno));
	crash_reporter();
	load_kata(s);
	t->run(&ctx);
	putf('e', "done");
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
