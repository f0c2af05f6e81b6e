/*
 * play.c: `runner play <kata> <mode> [args...]`: the kata's code as a
 * program a person talks to (udp_chat's relay and client, ftp_transfer's
 * server and client).  Entry point: play_command (commands.h).
 *
 * The grader's descriptor lists the modes (.play); the runner builds the
 * learner's kata (or takes the reference with --solution) and runs the mode
 * in a forked child with the kata loaded (api_run_play in api.c).  Unlike a
 * test, the child keeps the terminal: on a terminal its process group
 * becomes the foreground group, so Ctrl-C reaches it (and not the runner),
 * and the runner takes the terminal back when it ends.  There is no
 * deadline; the child dies with the runner (PR_SET_PDEATHSIG), and what is
 * left of its process group is killed when it ends.  Servers bind
 * 127.0.0.1 unless --listen ADDR says otherwise (kata_listen()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "build.h"
#include "commands.h"
#include "learner.h"
#include "api.h"
#include "diagnose.h"

struct play_args {
	bool solution, help;
	const char *listen, *kata, *mode;
	char **rest;		/* argv for the mode: its name, then args */
	int nrest;
};

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(-child, sig);
}

static int parse(int argc, char **argv, struct play_args *a)
{
	a->rest = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--solution")) {
			a->solution = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			a->help = true;
		} else if (!strcmp(argv[i], "--listen")) {
			if (++i == argc)
				return fprintf(stderr, "runner: --listen wants "
					       "an address\n"), -EINVAL;
			a->listen = argv[i];
		} else if (!strncmp(argv[i], "--listen=", 9)) {
			a->listen = argv[i] + 9;
		} else if (!a->kata) {
			a->kata = argv[i];
		} else {
			if (!a->mode)
				a->mode = argv[i];
			a->rest[a->nrest++] = argv[i];
		}
	}
	return 0;
}

static void show_modes(const struct grader *g, FILE *f)
{
	fprintf(f, "usage: runner play %s <mode> [args...] [--solution] "
		"[--listen ADDR]\n\nmodes:\n", g->kata);
	for (const struct kata_play *m = g->desc->play; m->name; m++)
		fprintf(f, "  %s %s\n      %s\n", m->name, m->usage ?
			m->usage : "", m->purpose ? m->purpose : "");
}

static const struct kata_play *find_mode(const struct grader *g,
					 const char *name)
{
	for (const struct kata_play *m = g->desc->play; m && m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

/* The kata .so to play, built as check builds it; NULL after saying why. */
static char *kata_so(const struct grader *g, bool solution)
{
	struct strbuf log = { 0 };
	char *so = NULL, *err = NULL;
	int r;

	if (solution) {
		so = xasprintf("%s/solution-%s.so", runner_build, g->kata);
		r = build_target(strrchr(so, '/') + 1, &log);
	} else {
		r = build_learner(g->kata, &so, &log);
	}
	if (r < 0) {
		char *e = build_first_error(log.s);
		fprintf(stderr, "runner: %s does not build:\n%s\n",
			solution ? "the reference solution" : "your kata", e);
		free(e);
	} else if (plugin_probe_kata(so, g->kata, 1.0, &err) != PROBE_OK) {
		fprintf(stderr, "runner: cannot load %s: %s\n", so, err);
		r = -1;
	}
	sb_free(&log);
	free(err);
	if (r < 0) {
		free(so);
		return NULL;
	}
	return so;
}

static void take_terminal(pid_t pgrp)
{
	void (*old)(int) = signal(SIGTTOU, SIG_IGN);

	tcsetpgrp(0, pgrp);
	signal(SIGTTOU, old);
}

static _Noreturn void run_child(const struct sandbox_spec *spec,
				const struct kata_play *m,
				const struct play_args *a, const char *tmp)
{
	sigset_t none;

	setpgid(0, 0);
	if (isatty(0))
		take_terminal(getpgrp());
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	api_run_play(spec, m, a->nrest, a->rest, a->listen, tmp);
}

/* Waits for the child; returns the play's exit status. */
static int wait_child(const struct play_args *a, const struct kata_play *m)
{
	int st;

	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	kill(-child, SIGKILL);
	child = 0;
	if (WIFSIGNALED(st)) {
		if (WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM)
			return fprintf(stderr, "\n(stopped)\n"), EXIT_PASS;
		fprintf(stderr, "runner: %s\n", diagnose_signal(WTERMSIG(st)));
		return EXIT_TESTFAIL;
	}
	if (WEXITSTATUS(st) == EXIT_USAGE)
		fprintf(stderr, "usage: runner play %s %s %s\n", a->kata,
			m->name, m->usage ? m->usage : "");
	return WEXITSTATUS(st) <= EXIT_USAGE ? WEXITSTATUS(st)
					      : EXIT_TESTFAIL;
}

static int play(const struct grader *g, const struct kata_play *m,
		const struct play_args *a, const char *so)
{
	struct options o = { .scale = 1.0, .solution = a->solution };
	char *src = a->solution ? xasprintf("solutions/%s/%s.c", g->kata,
					    g->kata) : learner_source(g->kata);
	struct sandbox_spec spec = { g, 0, so, src, options_settings(&o) };
	struct sigaction sa = { .sa_handler = forward };
	char tmp[] = "/tmp/kata-play-XXXXXX";
	struct termios saved;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
	int r = EXIT_USAGE;

	if (!mkdtemp(tmp))
		return fprintf(stderr, "runner: cannot make a temporary "
			       "directory: %s\n", strerror(errno)), EXIT_USAGE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fflush(NULL);
	if ((child = fork()) == 0)
		run_child(&spec, m, a, tmp);
	if (child > 0) {
		setpgid(child, child);
		if (tty)
			take_terminal(child);
		r = wait_child(a, m);
	}
	if (tty) {
		take_terminal(getpgrp());
		tcsetattr(0, TCSANOW, &saved);
	}
	remove_tree(tmp);
	free(src);
	return r;
}

int play_command(int argc, char **argv)
{
	struct play_args a = { 0 };
	struct registry reg;
	struct grader *g;
	const struct kata_play *m;
	char *err = NULL, *so;
	int r;

	if (parse(argc, argv, &a) < 0)
		return EXIT_USAGE;
	if (!a.kata) {
		help_command("play");
		return a.help ? EXIT_PASS : EXIT_USAGE;
	}
	if (registry_load(&reg, &err) < 0)
		return fprintf(stderr, "runner: %s\n", err), EXIT_USAGE;
	if (!(g = path_find(&reg, a.kata)))
		return EXIT_USAGE;
	if (!g->desc->play) {
		fprintf(stderr, "runner: %s has nothing to play; the katas "
			"that do:", g->kata);
		for (size_t i = 0; i < reg.n; i++)
			if (reg.graders[i].desc && reg.graders[i].desc->play)
				fprintf(stderr, " %s", reg.graders[i].kata);
		fprintf(stderr, "\n");
		return EXIT_USAGE;
	}
	if (!a.mode || a.help) {
		show_modes(g, a.mode || a.help ? stdout : stderr);
		return a.help ? EXIT_PASS : EXIT_USAGE;
	}
	if (!(m = find_mode(g, a.mode))) {
		fprintf(stderr, "runner: %s has no mode '%s'.\n", g->kata,
			a.mode);
		show_modes(g, stderr);
		return EXIT_USAGE;
	}
	if (!(so = kata_so(g, a.solution)))
		return EXIT_BUILD;
	r = play(g, m, &a, so);
	free(so);
	return r;
}
