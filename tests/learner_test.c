/*
 * learner_test.c: the learner's commands, end to end, on a scratch copy
 * of two tiny katas (tests/learner/), never on the real tree's katas.
 *
 * `runner list` and `runner progress` show each kata's state; a check
 * completes and says why it could not record when the progress database
 * is locked, corrupt, or in a read-only directory (run as an unprivileged
 * user, since root ignores permissions); `runner watch` is driven through
 * a pseudo-terminal: a burst of saves by rename grades once, the pass is
 * seen, watch moves on to the next kata, h shows a hint, l the list, q
 * quits, and the terminal is restored after q and after SIGTERM; `runner
 * reset` asks, refuses without a terminal, keeps a backup and puts the
 * stub back; `runner play` runs a grader's play modes.
 *
 * Usage: learner_test RUNNER GRADERS_DIR TESTS_SOURCE_DIR INCLUDE_DIR.
 * Ends with `N passed, M failed`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char *runner, *graders, *src, *inc;
static char root[] = "/tmp/kata-learner-XXXXXX";
static unsigned passed, failed;

static void check(bool ok, const char *what, const char *out)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok && out) {
		for (const char *p = out; *p;) {
			int n = (int)strcspn(p, "\n");
			printf("     | %.*s\n", n, p);
			p += n + (p[n] == '\n');
		}
	}
	*(ok ? &passed : &failed) += 1;
	fflush(stdout);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static char *path(const char *fmt, ...)
{
	va_list ap;
	char *rel, *p;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (asprintf(&p, "%s/%s", root, rel) < 0)
		abort();
	free(rel);
	return p;
}

static char *slurp(const char *file)
{
	FILE *f = fopen(file, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return strdup("");
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(f);
	return s;
}

static void spit(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Runs the runner with args (NULL-terminated), stdin from `in` (NULL:
 * /dev/null), as user uid when uid >= 0; returns the exit status (128+sig
 * when killed) and the output (stdout and stderr) in *out.
 */
static int run(char **out, const char *in, int uid, ...)
{
	char *argv[32] = { (char *)runner }, buf[4096];
	int n = 1, p[2], q[2], st;
	va_list ap;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	va_start(ap, uid);
	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	if (pipe(p) < 0 || pipe(q) < 0)
		abort();
	if ((pid = fork()) == 0) {
		dup2(q[0], 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(q[1]);
		if (uid >= 0 && (setgroups(0, NULL), setresgid(uid, uid, uid) ||
				 setresuid(uid, uid, uid)))
			_exit(99);
		alarm(60);
		execv(runner, argv);
		_exit(127);
	}
	close(p[1]);
	close(q[0]);
	if (in && write(q[1], in, strlen(in)) < 0)
		perror("write");
	close(q[1]);
	*out = malloc(1);
	while ((got = read(p[0], buf, sizeof(buf))) > 0) {
		*out = realloc(*out, len + (size_t)got + 1);
		memcpy(*out + len, buf, (size_t)got);
		len += (size_t)got;
	}
	(*out)[len] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool has(const char *out, const char *text)
{
	return strstr(out, text) != NULL;
}

static int count(const char *out, const char *text)
{
	int n = 0;

	for (const char *p = out; (p = strstr(p, text)); p++)
		n++;
	return n;
}

/* The scratch tree: the two katas, include/, a git repository. */
static void make_tree(void)
{
	if (!mkdtemp(root))
		abort();
	chmod(root, 0755);
	sh("cp -r '%s/katas' '%s/' && ln -s '%s' '%s/include'", src, root,
	   inc, root);
	sh("cd '%s' && git init -q . && git add katas && git -c "
	   "user.name=t -c user.email=t@t commit -qm stubs", root);
}

static void test_list(void)
{
	char *out;
	int st = run(&out, NULL, -1, "list", NULL);

	check(st == 0 && has(out, ">  1. hello            not started") &&
	      has(out, "2. second           not started"),
	      "list: both katas not started, hello next", out);
	free(out);
	st = run(&out, NULL, -1, "check", "hello", NULL);
	check(st == 1 && has(out, "hello_answer(): expected 42, got -ENOSYS")
	      && has(out, "why: a function hands its result back") &&
	      has(out, "0 passed, 1 failed, 1 skipped"),
	      "check: the stub fails with expected / got / why", out);
	free(out);
	st = run(&out, NULL, -1, "list", NULL);
	check(st == 0 && has(out, "hello            failing 0/2"),
	      "list: hello failing 0/2 after a check", out);
	free(out);
}

static void test_locked(void)
{
	char *db = path(".runner/progress.db"), *out;
	sqlite3 *h;
	double t0 = now_ms();
	int st;

	sqlite3_open(db, &h);
	sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
	st = run(&out, NULL, -1, "check", "hello", NULL);
	check(st == 1 && has(out, "locked by another program") &&
	      has(out, "0 passed, 1 failed, 1 skipped") &&
	      now_ms() - t0 < 20000, "a locked database: the check completes "
	      "and says it did not record", out);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	free(out);
	free(db);
}

static void test_corrupt(void)
{
	char *db = path(".runner/progress.db"), *out;
	int st;

	spit(db, "not a database, but long enough to look like a page of one "
	     "...............................................................");
	unlink(path(".runner/progress.db-wal"));
	st = run(&out, NULL, -1, "check", "hello", NULL);
	check(st == 1 && has(out, "was damaged; it was moved to") &&
	      has(out, "0 passed, 1 failed, 1 skipped"), "a corrupt database "
	      "is moved aside and the check completes", out);
	free(out);
	st = run(&out, NULL, -1, "progress", NULL);
	check(st == 0 && has(out, "1 check since"), "and the fresh one "
	      "recorded that check", out);
	free(out);
	free(db);
}

/* As nobody, the database in a directory nobody may write. */
/*
 * The first of the paths an unprivileged uid needs (the runner, its build,
 * the include directory) that it cannot reach, or NULL.  A clone in root's
 * home (mode 0700) is out of reach of nobody, wherever the test's own
 * scratch files are.
 */
static const char *unreachable_as(int uid)
{
	const char *need[] = { runner, graders, inc };
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)
			_exit(0);
		for (int i = 0; i < 3; i++)
			if (access(need[i], i ? R_OK | X_OK : X_OK) < 0)
				_exit(i + 1);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return NULL;
	return WEXITSTATUS(st) ? need[WEXITSTATUS(st) - 1] : NULL;
}

static void test_readonly(void)
{
	char *dir = path("ro"), *db = path("ro/progress.db"), *out;
	int uid = getuid() == 0 ? 65534 : -1, st;
	const char *far = uid >= 0 ? unreachable_as(uid) : NULL;

	if (far) {
		printf("skip read-only directory as an unprivileged user: uid "
		       "%d cannot reach %s (is the clone in a private home "
		       "such as /root?)\n", uid, far);
		free(dir);
		free(db);
		return;
	}
	mkdir(dir, 0555);
	chmod(dir, 0555);
	chmod(path(".runner"), 0777);
	setenv("KATA_PROGRESS_DB", db, 1);
	st = run(&out, NULL, uid, "check", "hello", NULL);
	if (st == 99) {
		printf("skip read-only directory: cannot become nobody\n");
	} else {
		check(st == 1 && has(out, "Progress is not recorded this time")
		      && has(out, "0 passed, 1 failed, 1 skipped") &&
		      access(db, F_OK) < 0, "a database in a read-only "
		      "directory (as an unprivileged user): the check "
		      "completes and says so", out);
	}
	unsetenv("KATA_PROGRESS_DB");
	free(out);
	free(db);
	free(dir);
}

struct pty {
	int fd;
	pid_t pid;
	char *seen;
	size_t len;
	char slave[64];
};

static void pty_start(struct pty *t, const char *kata)
{
	struct winsize ws = { .ws_row = 50, .ws_col = 100 };

	memset(t, 0, sizeof(*t));
	t->seen = calloc(1, 1);
	t->pid = forkpty(&t->fd, t->slave, NULL, &ws);
	if (t->pid == 0) {
		alarm(120);
		execl(runner, runner, "watch", kata, "--quick", (char *)NULL);
		_exit(127);
	}
}

/* Reads the terminal until text has appeared `times` times, or timeout. */
static bool pty_wait(struct pty *t, const char *text, int times, int ms)
{
	double end = now_ms() + ms;
	char buf[4096];

	while (count(t->seen, text) < times) {
		struct pollfd p = { t->fd, POLLIN, 0 };
		int left = (int)(end - now_ms());
		ssize_t n;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		if ((n = read(t->fd, buf, sizeof(buf))) <= 0)
			return false;
		t->seen = realloc(t->seen, t->len + (size_t)n + 1);
		memcpy(t->seen + t->len, buf, (size_t)n);
		t->len += (size_t)n;
		t->seen[t->len] = '\0';
	}
	return true;
}

/* True when the terminal is back in canonical mode with echo. */
static bool pty_restored(struct pty *t)
{
	struct termios tio;
	int fd = open(t->slave, O_RDWR | O_NOCTTY);
	bool ok = fd >= 0 && tcgetattr(fd, &tio) == 0 &&
		  (tio.c_lflag & ICANON) && (tio.c_lflag & ECHO);

	if (fd >= 0)
		close(fd);
	return ok;
}

static int pty_end(struct pty *t, int ms)
{
	double end = now_ms() + ms;
	int st = -1;

	while (waitpid(t->pid, &st, WNOHANG) == 0 && now_ms() < end) {
		pty_wait(t, "\x01never", 1, 50);
	}
	/* What it wrote just before it exited is still in the terminal. */
	pty_wait(t, "\x01never", 1, 100);
	if (st == -1) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &st, 0);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Saves text over file the way many editors do: a new file, renamed. */
static void save_by_rename(const char *file, const char *text, int i)
{
	char *tmp;

	if (asprintf(&tmp, "%s.%d.swp~", file, i) < 0)
		abort();
	spit(tmp, text);
	rename(tmp, file);
	free(tmp);
}

static void test_watch(void)
{
	char *fixed_src, *fixed = NULL, *file = path("katas/hello/hello.c");
	struct pty t;
	int st;

	if (asprintf(&fixed_src, "%s/hello_fixed.c", src) < 0)
		abort();
	fixed = slurp(fixed_src);
	pty_start(&t, NULL);
	check(pty_wait(&t, "Watching katas/hello/", 1, 30000) &&
	      has(t.seen, "expected 42, got -ENOSYS"), "watch starts at the "
	      "first kata not passed and grades it", t.seen);
	for (int i = 0; i < 5; i++) {
		save_by_rename(file, fixed, i);
		usleep(30000);
	}
	check(pty_wait(&t, "Watching katas/second/", 1, 30000) &&
	      has(t.seen, "hello passes every test") &&
	      has(t.seen, "Moving on to the next kata: second") &&
	      has(t.seen, "second_value(): expected 2"), "a save by rename: "
	      "the pass is shown and watch moves on to the next kata",
	      t.seen);
	pty_wait(&t, "\x01never", 1, 700);
	check(count(t.seen, "runner watch: ") == 2, "five saves in a burst "
	      "grade once", t.seen);
	check(write(t.fd, "h", 1) == 1 && pty_wait(&t, "Watching katas/"
						   "second/", 2, 10000) &&
	      has(t.seen, "Hint 1 of 1") && has(t.seen, "Two."),
	      "h shows the next kata's hint", t.seen);
	check(write(t.fd, "l", 1) == 1 && pty_wait(&t, "Watching katas/"
						   "second/", 3, 10000) &&
	      has(t.seen, "hello            passed"), "l shows the list, with "
	      "hello passed", t.seen);
	st = write(t.fd, "q", 1) == 1 ? pty_end(&t, 10000) : -1;
	check(st == 0 && pty_restored(&t), "q quits, terminal restored",
	      t.seen);
	close(t.fd);
	pty_start(&t, "second");
	pty_wait(&t, "Watching katas/second/", 1, 30000);
	kill(t.pid, SIGTERM);
	st = pty_end(&t, 10000);
	check(st == 128 + SIGTERM && pty_restored(&t), "SIGTERM: the terminal "
	      "is restored", t.seen);
	close(t.fd);
	free(fixed);
	free(fixed_src);
	free(file);
}

static void test_play_stub(void)
{
	char *out;
	int st = run(&out, "abc\n", -1, "play", "hello", "echo", NULL);

	check(st == 1 && has(out, "hello_shout: -ENOSYS"), "play with the "
	      "stub: the mode fails politely", out);
	free(out);
}

static void test_play(void)
{
	char *out;
	int st;

	st = run(&out, "abc\nde f\n", -1, "play", "hello", "echo", NULL);
	check(st == 0 && has(out, "ABC\nDE F\n"), "play runs a mode with the "
	      "learner's code on stdin and stdout", out);
	free(out);
	st = run(&out, NULL, -1, "play", "hello", "where", NULL);
	check(st == 0 && has(out, "listen 127.0.0.1"), "play: servers listen "
	      "on 127.0.0.1 by default", out);
	free(out);
	st = run(&out, NULL, -1, "play", "hello", "where", "--listen",
		 "0.0.0.0", NULL);
	check(st == 0 && has(out, "listen 0.0.0.0"), "play --listen ADDR",
	      out);
	free(out);
	st = run(&out, NULL, -1, "play", "hello", "echo", "extra", NULL);
	check(st == 2 && has(out, "usage: runner play hello echo"),
	      "play: a mode's usage on bad arguments", out);
	free(out);
	st = run(&out, NULL, -1, "play", "hello", "nosuch", NULL);
	check(st == 2 && has(out, "has no mode 'nosuch'") &&
	      has(out, "shout every line"), "play: an unknown mode lists the "
	      "modes", out);
	free(out);
	st = run(&out, NULL, -1, "play", "second", "x", NULL);
	check(st == 2 && has(out, "nothing to play; the katas that do: "
			     "hello"), "play: a kata without modes", out);
	free(out);
}

static void test_help(void)
{
	char *out;
	int st = run(&out, NULL, -1, "help", "check", NULL);

	check(st == 0 && has(out, "usage: runner check <kata>") &&
	      has(out, "Exit status"), "runner help check", out);
	free(out);
	st = run(&out, NULL, -1, "watch", "--help", NULL);
	check(st == 0 && has(out, "usage: runner watch [kata]") &&
	      has(out, "Keys: h"), "runner watch --help", out);
	free(out);
	st = run(&out, NULL, -1, "play", "--help", NULL);
	check(st == 0 && has(out, "usage: runner play <kata> <mode>"),
	      "runner play --help", out);
	free(out);
	st = run(&out, NULL, -1, "help", "nosuch", NULL);
	check(st == 2 && has(out, "no command 'nosuch'"), "runner help of an "
	      "unknown command", out);
	free(out);
	st = run(&out, NULL, -1, "help", NULL);
	check(st == 0 && has(out, "watch [kata]") && has(out, "reset <kata>")
	      && has(out, "play <kata> <mode>"), "runner help lists every "
	      "command", out);
	free(out);
}

/* Bash completion: commands, and kata names from the tree's katas/. */
static void test_completion(void)
{
	char *cmd, out[256] = "";
	FILE *f;

	if (asprintf(&cmd, "bash -c 'source %s/../../completions/runner.bash "
		     "&& COMP_WORDS=(%s/runner check \"\") COMP_CWORD=2 "
		     "&& _runner && echo ${COMPREPLY[@]} && COMP_WORDS=(%s/"
		     "runner wa) COMP_CWORD=1 && _runner && echo "
		     "${COMPREPLY[@]}' 2>&1", src, root, root) < 0)
		abort();
	if ((f = popen(cmd, "r"))) {
		size_t n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		pclose(f);
	}
	check(!strcmp(out, "hello second\nwatch\n"), "bash completion: "
	      "kata names and commands", out);
	free(cmd);
}

/* On a terminal, reset asks; "n" keeps the learner's file. */
static void reset_asks(const char *file, const char *before)
{
	struct pty t = { .seen = calloc(1, 1) };
	char *kept;
	int st;

	t.pid = forkpty(&t.fd, t.slave, NULL, NULL);
	if (t.pid == 0) {
		alarm(60);
		execl(runner, runner, "reset", "hello", (char *)NULL);
		_exit(127);
	}
	pty_wait(&t, "[y/N]", 1, 10000);
	st = write(t.fd, "n\n", 2) == 2 ? pty_end(&t, 10000) : -1;
	kept = slurp(file);
	check(st == 0 && has(t.seen, "katas/hello/hello.c") &&
	      has(t.seen, "Nothing was changed") && !strcmp(kept, before),
	      "reset on a terminal asks first; n changes nothing", t.seen);
	close(t.fd);
	free(kept);
	free(t.seen);
}

static void test_reset(void)
{
	char *out, *file = path("katas/hello/hello.c"), *before = slurp(file);
	char *stub, *kept;
	int st;

	st = run(&out, NULL, -1, "reset", "hello", NULL);
	kept = slurp(file);
	check(st == 2 && has(out, "add --yes") && !strcmp(kept, before),
	      "reset without a terminal or --yes changes nothing", out);
	free(out);
	free(kept);
	reset_asks(file, before);
	st = run(&out, NULL, -1, "reset", "hello", "--yes", NULL);
	stub = slurp(file);
	kept = strstr(out, "yours is in ") ? path("%.*s", (int)strcspn(
		strstr(out, "yours is in ") + 12, "\n"),
		strstr(out, "yours is in ") + 12) : strdup("/nonexistent");
	check(st == 0 && has(stub, "TODO: return 42") &&
	      !strcmp(slurp(kept), before), "reset --yes puts the stub back "
	      "and keeps a backup", out);
	free(out);
	st = run(&out, NULL, -1, "reset", "hello", "--yes", NULL);
	check(st == 0 && has(out, "nothing to reset"), "reset of a pristine "
	      "kata does nothing", out);
	free(out);
	st = run(&out, NULL, -1, "list", NULL);
	check(has(out, "hello            passed, changed"), "list: a passed "
	      "kata edited since shows as changed", out);
	free(out);
	st = run(&out, NULL, -1, "progress", NULL);
	check(st == 0 && has(out, "first passed") && has(out, "1 hint"),
	      "progress: checks, first pass, hints", out);
	free(out);
	free(file);
	free(before);
	free(stub);
	free(kept);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: learner_test RUNNER GRADERS SRC INC\n");
		return 2;
	}
	runner = argv[1];
	graders = argv[2];
	src = argv[3];
	inc = argv[4];
	make_tree();
	setenv("KATA_ROOT", root, 1);
	setenv("KATA_BUILD_DIR", graders, 1);
	unsetenv("KATA_PROGRESS_DB");
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	test_list();
	test_locked();
	test_corrupt();
	test_readonly();
	test_play_stub();
	test_watch();
	test_play();
	test_reset();
	test_help();
	test_completion();
	sh("chmod -R u+w '%s'; rm -rf '%s'", root, root);
	printf("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
