/*
 * watch.c: `runner watch [kata]`: grade a kata every time it is saved, and
 * move on along the learning path when it passes.  Entry point:
 * watch_command (commands.h).
 *
 * One thread, one poll() loop over an inotify descriptor (the kata's
 * folder) and stdin (keys).  The folder, not the file, is watched, so
 * editors that save by writing a new file and renaming it over the old one
 * are seen (IN_MOVED_TO, IN_CREATE).  A burst of events grades once: a run
 * starts when the folder has been quiet for DEBOUNCE_MS, or MAX_DELAY_MS
 * after the first event of the burst at the latest.  On a terminal, stdin
 * is put in non-canonical mode without echo so that single keys work; the
 * terminal is restored on every way out, SIGINT and SIGTERM included.
 * Keys from a pipe work too (tests); at its end, watch goes on without.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "sandbox.h"
#include "progress.h"
#include "report.h"

#define DEBOUNCE_MS 200
#define MAX_DELAY_MS 1000
#define EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
		IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

struct watch {
	struct registry *reg;
	struct options *o;
	size_t cur;		/* the kata being watched */
	int ino, wd;
	bool keys;		/* stdin may still bring keys */
	double first, due;	/* the burst's first event; when to run */
};

static struct termios saved;
static bool raw_mode;

static void terminal_restore(void)
{
	if (raw_mode)
		tcsetattr(0, TCSANOW, &saved);
}

static void terminal_raw(void)
{
	struct termios t = saved;

	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &t);
}

/*
 * SIGINT, SIGTERM, SIGHUP: the terminal back as it was, then the sandbox's
 * handler: any running test is cleaned up before the runner dies of it.
 */
static void on_signal(int sig)
{
	if (sig == SIGCONT) {
		if (raw_mode)
			terminal_raw();
		return;
	}
	terminal_restore();
	sandbox_signal(sig);
}

static void terminal_setup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGCONT };
	struct sigaction sa = { .sa_handler = on_signal };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	if (!isatty(0) || tcgetattr(0, &saved) < 0)
		return;
	raw_mode = true;
	atexit(terminal_restore);
	terminal_raw();
}

static const char *kata_of(const struct watch *w)
{
	return w->reg->graders[w->cur].kata;
}

static int watch_folder(struct watch *w)
{
	char *dir = xasprintf("%s/katas/%s", runner_root, kata_of(w));

	if (w->wd >= 0)
		inotify_rm_watch(w->ino, w->wd);
	w->wd = inotify_add_watch(w->ino, dir, EVENTS);
	if (w->wd < 0)
		fprintf(stderr, "runner: cannot watch %s: %s\n", dir,
			strerror(errno));
	free(dir);
	return w->wd < 0 ? -errno : 0;
}

static void footer(const struct watch *w)
{
	printf("\nWatching katas/%s/: save a file to check it again.  "
	       "Keys: h hint, l list, r check now, q quit.\n", kata_of(w));
	fflush(stdout);
}

/* The progress database, or NULL; its complaints were said by the check. */
static struct progress *open_silently(void)
{
	char *note = NULL;
	struct progress *p = progress_open(&note);

	free(note);
	return p;
}

/* The next kata after the current one that has not passed, or reg->n. */
static size_t next_kata(struct watch *w)
{
	struct progress *p = open_silently();
	size_t n = w->reg->n, next = n;

	for (size_t k = 1; k < n && next == n; k++) {
		size_t i = (w->cur + k) % n;
		struct kata_status st;
		if (!w->reg->graders[i].desc)
			continue;
		path_status(p, &w->reg->graders[i], &st);
		if (st.state != KS_PASSED)
			next = i;
	}
	progress_close(p);
	return next;
}

/* Grades the current kata; true when every test passed. */
static bool grade_current(struct watch *w)
{
	struct kata_run run;
	int r = grade_prepare(&run, &w->reg->graders[w->cur], w->o, NULL);
	bool pass = false;

	if (r == 0) {
		r = grade_katas(&run, 1, w->o, report_observer(w->o));
		record_progress(&run, 1, w->o);
		pass = r == EXIT_PASS && run.passed > 0;
	}
	grade_free(&run);
	return pass;
}

/* Grades, and moves on along the path as long as katas pass. */
static bool run_checks(struct watch *w)
{
	const char *tick = report_fancy() ? "\033[32m✓\033[0m" : "+";
	char at[16];

	if (isatty(1))
		printf("\033[H\033[2J\033[3J");
	else
		printf("\n");
	strftime(at, sizeof(at), "%H:%M:%S", localtime(&(time_t){
		time(NULL) }));
	printf("runner watch: katas/%s/%s.c, checked at %s\n\n", kata_of(w),
	       kata_of(w), at);
	fflush(stdout);
	while (grade_current(w)) {
		size_t next = next_kata(w);
		printf("%s %s passes every test. ", tick, kata_of(w));
		if (next == w->reg->n) {
			printf("That was the last kata of the learning path "
			       "not yet passed: well done!\n");
			return false;
		}
		w->cur = next;
		printf("Moving on to the next kata: %s.\n\nRead katas/%s/"
		       "README.md, then edit katas/%s/%s.c.\n\n", kata_of(w),
		       kata_of(w), kata_of(w), kata_of(w));
		if (watch_folder(w) < 0)
			return false;
	}
	footer(w);
	return true;
}

static bool relevant(const struct inotify_event *e)
{
	size_t n = e->len ? strlen(e->name) : 0;

	if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
		return true;
	return n > 2 && e->name[0] != '.' && !strchr(e->name, '~') &&
	       (!strcmp(e->name + n - 2, ".c") ||
		!strcmp(e->name + n - 2, ".h"));
}

/* Reads the folder's events; a relevant one (re)starts the debounce. */
static void take_events(struct watch *w)
{
	char buf[8192] __attribute__((aligned(8)));
	ssize_t n;
	bool folder_gone = false;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (void *)p;
			if (e->wd == w->wd && relevant(e)) {
				double now = now_ms();
				if (!w->due)
					w->first = now;
				w->due = now + DEBOUNCE_MS;
				if (w->due > w->first + MAX_DELAY_MS)
					w->due = w->first + MAX_DELAY_MS;
				folder_gone |= (e->mask & (IN_DELETE_SELF |
					IN_MOVE_SELF | IN_IGNORED)) != 0;
			}
			p += sizeof(*e) + e->len;
		}
	}
	if (folder_gone) {
		w->wd = -1;
		watch_folder(w);
	}
}

/* Handles keys; false when the user quits. */
static bool take_keys(struct watch *w)
{
	char keys[64], *name = (char *)kata_of(w);
	struct options o = *w->o;
	ssize_t n = read(0, keys, sizeof(keys));

	if (n <= 0) {
		w->keys = n < 0 && (errno == EINTR || errno == EAGAIN);
		return true;
	}
	o.args = &name;
	o.nargs = 1;
	o.all = false;
	for (ssize_t i = 0; i < n; i++) {
		switch (keys[i]) {
		case 'q': case 'Q': case 4:
			return false;
		case 'h': case 'H':
			printf("\n");
			hint_command(w->reg, &o);
			footer(w);
			break;
		case 'l': case 'L':
			printf("\n");
			list_command(w->reg, w->o);
			footer(w);
			break;
		case 'r': case 'R': case '\n':
			w->due = now_ms();
			break;
		}
	}
	return true;
}

static int watch_loop(struct watch *w)
{
	for (;;) {
		struct pollfd p[2] = { { w->ino, POLLIN, 0 },
				       { w->keys ? 0 : -1, POLLIN, 0 } };
		double now = now_ms();
		int timeout = !w->due ? -1 : w->due > now ?
			      (int)(w->due - now) + 1 : 0;

		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return EXIT_USAGE;
		if (p[0].revents)
			take_events(w);
		if (p[1].revents && !take_keys(w))
			return EXIT_PASS;
		if (w->due && now_ms() >= w->due) {
			w->due = 0;
			if (!run_checks(w))
				return EXIT_PASS;
		}
	}
}

int watch_command(struct registry *reg, struct options *o)
{
	struct watch w = { reg, o, 0, -1, -1, true, 0, 0 };
	struct progress *p;
	struct grader *g = NULL;
	int r;

	if (o->nargs > 1 || o->all || o->so)
		return fprintf(stderr, "runner: watch follows one kata at a "
			       "time: runner watch [kata]\n"), EXIT_USAGE;
	if (o->nargs && !(g = path_find(reg, o->args[0])))
		return EXIT_USAGE;
	p = g ? NULL : open_silently();
	w.cur = g ? (size_t)(g - reg->graders) : path_next(reg, p, reg->n);
	progress_close(p);
	if (w.cur == reg->n) {
		printf("Every kata of the learning path passes: nothing to "
		       "watch.  runner watch <kata> watches one anyway.\n");
		return EXIT_PASS;
	}
	o->format = FMT_HUMAN;
	o->jobs = 1;
	w.ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w.ino < 0 || watch_folder(&w) < 0) {
		fprintf(stderr, "runner: watch needs inotify: %s\n",
			strerror(errno));
		return EXIT_USAGE;
	}
	terminal_setup();
	r = run_checks(&w) ? watch_loop(&w) : EXIT_PASS;
	terminal_restore();
	close(w.ino);
	return r;
}
