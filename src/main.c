/*
 * main.c: the runner's command line.
 *
 * runner list | check | watch | hint | progress | reset | play | verify |
 * selftest | help.  Reads options into struct options, loads the registry,
 * and hands over to grade.c, verify.c or the command's file (commands.h).
 * Exit status: 0 all passed, 1 a test failed, 2 usage or environment
 * error, 3 build error; the highest wins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "build.h"
#include "commands.h"
#include "grade.h"
#include "progress.h"
#include "record.h"
#include "registry.h"
#include "report.h"
#include "sandbox.h"
#include "verify.h"

static int die_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "runner: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'runner help'.\n");
	va_end(ap);
	return EXIT_USAGE;
}

/* --param NAME=VALUE: the value is a whole number (sizes and counts). */
static int parse_param(const char *arg, struct options *o)
{
	const char *eq = strchr(arg, '=');
	char *end;
	long long v;

	if (!eq || eq == arg)
		return die_usage("--param wants NAME=VALUE, not '%s'", arg);
	errno = 0;
	v = strtoll(eq + 1, &end, 0);
	if (errno || end == eq + 1 || *end)
		return die_usage("--param %.*s wants a whole number, not '%s'",
				 (int)(eq - arg), arg, eq + 1);
	o->params = realloc(o->params, (o->nparams + 1) * sizeof(*o->params));
	if (!o->params)
		return die_usage("out of memory at --param %s", arg);
	o->params[o->nparams].name = strndup(arg, (size_t)(eq - arg));
	o->params[o->nparams++].value = v;
	return 0;
}

/* --seed S: a whole number from 0 to 2^64-1, as a failure's replay says */
static int parse_seed(const char *arg, struct options *o)
{
	char *end;

	errno = 0;
	o->seed = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[strspn(arg, " \t")] == '-')
		return die_usage("--seed wants a whole number (as a failure's "
				 "replay line gives it), not '%s'", arg);
	o->seed_given = true;
	return 0;
}

static int parse_format(const char *s, struct options *o)
{
	if (!strcmp(s, "human"))
		o->format = FMT_HUMAN;
	else if (!strcmp(s, "tap"))
		o->format = FMT_TAP;
	else if (!strcmp(s, "json"))
		o->format = FMT_JSON;
	else if (!strcmp(s, "junit"))
		o->format = FMT_JUNIT;
	else if (!strcmp(s, "gradescope"))
		o->format = FMT_GRADESCOPE;
	else
		return -EINVAL;
	return 0;
}

static int parse_number(const char *s, double min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < min || v > 1000)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { O_ALL = 256, O_SOLUTION, O_TEST, O_SCALE, O_SEED, O_FAILFAST,
       O_QUICK, O_PARAM, O_SO, O_FORMAT, O_NOPROGRESS, O_YES, O_RUNNER };

static const struct option longopts[] = {
	{ "all", no_argument, NULL, O_ALL },
	{ "solution", no_argument, NULL, O_SOLUTION },
	{ "test", required_argument, NULL, O_TEST },
	{ "timeout-scale", required_argument, NULL, O_SCALE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "fail-fast", no_argument, NULL, O_FAILFAST },
	{ "quick", no_argument, NULL, O_QUICK },
	{ "param", required_argument, NULL, O_PARAM },
	{ "so", required_argument, NULL, O_SO },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "no-progress", no_argument, NULL, O_NOPROGRESS },
	{ "yes", no_argument, NULL, O_YES },
	{ "runner", no_argument, NULL, O_RUNNER },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static int parse_one(int c, struct options *o)
{
	double v;

	switch (c) {
	case O_ALL: o->all = true; return 0;
	case O_SOLUTION: o->solution = true; return 0;
	case O_TEST: o->test = optarg; return 0;
	case O_FAILFAST: o->fail_fast = true; return 0;
	case O_QUICK: o->quick = true; return 0;
	case O_SO: o->so = optarg; return 0;
	case O_NOPROGRESS: o->no_progress = true; return 0;
	case O_YES: o->yes = true; return 0;
	case O_RUNNER: o->bench_runner = true; return 0;
	case 'v': o->verbose = true; return 0;
	case O_FORMAT:
		return parse_format(optarg, o) ? die_usage("unknown format "
			"'%s' (human, tap, json, junit or gradescope)",
			optarg) : 0;
	case 'o': o->output = optarg; return 0;
	case O_SCALE:
		if (parse_number(optarg, 0.01, &o->scale))
			return die_usage("--timeout-scale wants a number "
					 "from 0.01 to 1000, not '%s'", optarg);
		return 0;
	case 'j':
		if (parse_number(optarg, 1, &v) || v > RUNNER_MAX_JOBS)
			return die_usage("-j wants a count from 1 to %d, not "
					 "'%s'", RUNNER_MAX_JOBS, optarg);
		o->jobs = (unsigned)v;
		return 0;
	case O_SEED:
		return parse_seed(optarg, o);
	case O_PARAM:
		return parse_param(optarg, o);
	default:
		return EXIT_USAGE;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c, r;

	o->scale = 1.0;
	o->jobs = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "vhj:o:", longopts, NULL)) != -1) {
		if (c == 'h')
			exit(help_command(argv[0]));
		if ((r = parse_one(c, o)) != 0)
			return r == EXIT_USAGE ? r : EXIT_USAGE;
	}
	if (!o->seed_given)
		o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return 0;
}

/* EXIT_USAGE, with the sentence, if one of the graders was refused. */
static int refused(struct grader **gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (gs[i]->error) {
			fprintf(stderr, "runner: %s\n", gs[i]->error);
			return EXIT_USAGE;
		}
	return 0;
}

/* The graders the positional names (or --all) ask for, in path order. */
static int pick_katas(struct registry *reg, const struct options *o,
		      struct grader ***out, size_t *n)
{
	*out = xcalloc(reg->n + o->nargs, sizeof(**out));
	*n = 0;
	if (o->all || !o->nargs) {
		if (!o->all)
			return die_usage("name a kata, or --all (runner list "
					 "shows them)%s", "");
		for (size_t i = 0; i < reg->n; i++)
			(*out)[(*n)++] = &reg->graders[i];
		return refused(*out, *n);
	}
	for (size_t i = 0; i < o->nargs; i++) {
		struct grader *g = registry_find(reg, o->args[i]);
		if (!g) {
			registry_no_such(reg, o->args[i]);
			return EXIT_USAGE;
		}
		(*out)[(*n)++] = g;
	}
	return refused(*out, *n);
}

/* pick_katas, with nothing left allocated when it fails. */
static int select_katas(struct registry *reg, const struct options *o,
			struct grader ***out, size_t *n)
{
	int r = pick_katas(reg, o, out, n);

	if (r) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* --test NAME must name a test of one of the katas; 0 or EXIT_USAGE. */
static int known_test(struct grader **gs, size_t n, const char *name)
{
	struct strbuf all = { 0 };

	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < gs[i]->ntests; t++) {
			const char *tn = gs[i]->desc->tests[t].name;
			if (!strcmp(tn, name)) {
				sb_free(&all);
				return 0;
			}
			sb_printf(&all, "%s%s", all.len ? ", " : "", tn);
		}
	fprintf(stderr, "runner: there is no test named '%s' in %s; its "
		"tests: %s.\n", name, n == 1 ? gs[0]->kata : "these katas",
		all.s ? all.s : "none");
	sb_free(&all);
	return EXIT_USAGE;
}

static bool asked(const struct kata_run *runs, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; runs[k].res && i < runs[k].g->ntests; i++)
			for (size_t j = 0; j < runs[k].res[i].log.n; j++) {
				const struct record *x = &runs[k].res[i].log.v[j];
				if (x->kind == REC_PARAM &&
				    !strcmp(x->text, name))
					return true;
			}
	return false;
}

/*
 * Every --param must be one some test asked for: a misspelled name would
 * otherwise be ignored in silence.  Known only once the tests ran (a test
 * asks with kata_param), so it is said after them.  0 or EXIT_USAGE.
 */
static int params_asked(const struct kata_run *runs, size_t n,
			const struct options *o)
{
	int r = 0;

	for (size_t i = 0; i < o->nparams; i++)
		if (!asked(runs, n, o->params[i].name)) {
			fprintf(stderr, "runner: --param %s: no test that ran "
				"asks for it (misspelled? the grader's "
				"kata_param() calls name them).\n",
				o->params[i].name);
			r = EXIT_USAGE;
		}
	return r;
}

/* Grades the n katas of gs and prints; the highest EXIT_* among them. */
static int check_katas(struct grader **gs, size_t n, const struct options *o)
{
	struct kata_run *runs = xcalloc(n, sizeof(*runs));
	unsigned p = 0, f = 0, s = 0;
	size_t prepared = 0;
	int r = 0, worst;

	while (prepared < n && !r)
		r = grade_prepare(&runs[prepared], gs[prepared], o, o->so),
		prepared++;
	if (r) {
		worst = r;
	} else {
		worst = grade_katas(runs, n, o, report_observer(o));
		r = params_asked(runs, n, o);
		worst = r > worst ? r : worst;
		for (size_t i = 0; i < n; i++) {
			p += runs[i].passed;
			f += runs[i].failed + (runs[i].refused.len ? 1 : 0);
			s += runs[i].skipped;
		}
		record_progress(runs, n, o);
		report_summary(p, f, s, o);
	}
	for (size_t i = 0; i < prepared; i++)
		grade_free(&runs[i]);
	free(runs);
	return worst;
}

static int cmd_check(struct registry *reg, const struct options *o)
{
	struct grader **gs;
	size_t n;
	int r = select_katas(reg, o, &gs, &n);

	if (r)
		return r;
	if (o->so && n != 1)
		r = die_usage("--so grades one kata; name it%s", "");
	else if (o->test)
		r = known_test(gs, n, o->test);
	if (!r)
		r = check_katas(gs, n, o);
	free(gs);
	return r;
}

static int cmd_verify(struct registry *reg, const struct options *o)
{
	struct grader **gs;
	size_t n;
	unsigned p = 0, f = 0;
	int r = select_katas(reg, o, &gs, &n), worst = 0;

	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = verify_kata(gs[i], o, &p, &f);
		worst = r > worst ? r : worst;
	}
	printf("%u passed, %u failed\n", p, f);
	free(gs);
	return worst;
}

static int cmd_bench(struct registry *reg, const struct options *o)
{
	struct grader **gs;
	size_t n;
	int r = select_katas(reg, o, &gs, &n);

	if (!r)
		r = o->bench_runner ? bench_runner(gs, n, o)
				    : bench_command(gs, n, o);
	free(gs);
	return r;
}

/* watch may change its options (the kata it moves on to): a copy. */
static int cmd_watch(struct registry *reg, const struct options *o)
{
	struct options copy = *o;

	return watch_command(reg, &copy);
}

/*
 * -o FILE: stdout goes to FILE.part, renamed to FILE when the command
 * ends, so a reader never sees half a report under FILE's name.
 */
static int output_begin(const char *file)
{
	char *part = xasprintf("%s.part", file);
	int r = freopen(part, "w", stdout) ? 0 : -errno;

	if (r)
		fprintf(stderr, "runner: cannot write %s: %s.\n", part,
			strerror(-r));
	free(part);
	return r ? EXIT_USAGE : 0;
}

/* Returns the command's status r, or EXIT_USAGE if FILE was not written */
static int output_end(const char *file, int r)
{
	char *part = xasprintf("%s.part", file);

	if (fflush(stdout) || ferror(stdout) || rename(part, file) < 0) {
		fprintf(stderr, "runner: cannot write %s: %s.\n", file,
			strerror(errno));
		r = EXIT_USAGE;
	}
	free(part);
	return r;
}

static const struct command {
	const char *name;
	int (*run)(struct registry *reg, const struct options *o);
} commands[] = {
	{ "list", list_command },
	{ "check", cmd_check },
	{ "watch", cmd_watch },
	{ "hint", hint_command },
	{ "progress", progress_command },
	{ "reset", reset_command },
	{ "bench", cmd_bench },
	{ "verify", cmd_verify },
	{ "new", new_command },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	const struct command *c;
	struct registry reg;
	const char *cmd;
	char *err = NULL;
	int r;

	runner_root = getenv("KATA_ROOT") ? getenv("KATA_ROOT")
					  : KATA_SOURCE_ROOT;
	runner_build = getenv("KATA_BUILD_DIR") ? getenv("KATA_BUILD_DIR")
						: KATA_BUILD_ROOT;
	if (argc < 2) {
		help_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h"))
		return help_command(argc > 2 && strcmp(argv[1], "help") == 0
				    ? argv[2] : NULL);
	if (!strcmp(argv[1], "--version")) {
		printf("runner %s (kata ABI %u)\n", KATA_VERSION,
		       KATA_ABI_VERSION);
		return EXIT_PASS;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "play"))
		return play_command(argc - 1, argv + 1);
	if ((r = parse_args(argc - 1, argv + 1, &o)) != 0)
		return r;
	o.args = argv + 1 + optind;
	o.nargs = (size_t)(argc - 1 - optind);
	if (!strcmp(cmd, "selftest"))
		return selftest_command(&o);
	sandbox_init();
	if (!(c = find_command(cmd)))
		return die_usage("unknown command '%s'", cmd);
	if (registry_load(&reg, &err) < 0) {
		fprintf(stderr, "runner: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.output && (r = output_begin(o.output)))
		return r;
	r = c->run(&reg, &o);
	if (o.output)
		r = output_end(o.output, r);
	registry_free(&reg);
	for (size_t i = 0; i < o.nparams; i++)
		free(o.params[i].name);
	free(o.params);
	fflush(NULL);
	return r;
}
