/*
 * sandbox.c: every test in its own child process (see sandbox.h).
 *
 * Modelled on libuv's test/runner-unix.c: the parent owns the deadline and
 * kills the child; nothing in the child (an alarm, a signal handler) is
 * trusted to end it.  The child's records arrive over a close-on-exec pipe
 * (record.h: api.c writes them, record_feed() reads them here).
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <dirent.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "diagnose.h"

#define OUTPUT_CAP (16 * 1024)
#define DEFAULT_TIMEOUT_MS 10000

static pid_t active[RUNNER_MAX_JOBS];	/* test children now running */
static volatile sig_atomic_t stop_signal;	/* Ctrl-C and friends */

static bool any_active(void)
{
	for (size_t i = 0; i < sizeof(active) / sizeof(*active); i++)
		if (active[i])
			return true;
	return false;
}

void sandbox_signal(int sig)
{
	stop_signal = sig;
	if (!any_active()) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

void sandbox_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = sandbox_signal };

	void *warm[1];

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	backtrace(warm, 1);	/* loads libgcc_s once, not in every test */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void track(pid_t pid, bool on)
{
	for (size_t i = 0; i < sizeof(active) / sizeof(*active); i++)
		if (on ? active[i] == 0 : active[i] == pid) {
			active[i] = on ? pid : 0;
			return;
		}
}

static bool is_active(pid_t pid)
{
	for (size_t i = 0; i < sizeof(active) / sizeof(*active); i++)
		if (active[i] == pid)
			return true;
	return false;
}

double sandbox_timeout_ms(const struct sandbox_spec *s)
{
	unsigned ms = s->g->desc->tests[s->index].timeout_ms;

	return (ms ? ms : DEFAULT_TIMEOUT_MS) * s->set.scale;
}

static void set_limit(int res, rlim_t v)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) == 0 && (rl.rlim_max == RLIM_INFINITY ||
					 v < rl.rlim_max)) {
		rl.rlim_cur = v;
		setrlimit(res, &rl);
	}
}

/*
 * True when a sanitizer runtime is preloaded (LD_PRELOAD=libasan.so ...)
 * or built into the runner:
 * its shadow memory needs terabytes of address space, so the test gets no
 * address-space limit.
 */
static bool sanitized(void)
{
	const char *p = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return true;	/* the runner itself is built with one */
#endif
	return p && (strstr(p, "asan") || strstr(p, "tsan") ||
		     strstr(p, "msan") || strstr(p, "lsan"));
}

static void child_setup(const struct sandbox_spec *s, int res_fd, int out_fd)
{
	static const char *proxies[] = { "http_proxy", "https_proxy",
		"ftp_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
		"HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY" };
	sigset_t none;
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_CPU, (rlim_t)(sandbox_timeout_ms(s) / 1000 * 2 + 2));
	if (!sanitized())
		set_limit(RLIMIT_AS, (rlim_t)8 << 30);
	set_limit(RLIMIT_NOFILE, 1024);
	for (size_t i = 0; i < sizeof(proxies) / sizeof(*proxies); i++)
		unsetenv(proxies[i]);
	dup2(null, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	dup2(res_fd, SANDBOX_RESULT_FD);
	close_range(3, SANDBOX_RESULT_FD - 1, 0);
	close_range(SANDBOX_RESULT_FD + 1, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void close_pipes(int rp[2], int op[2])
{
	for (int i = 0; i < 2; i++) {
		if (rp[i] >= 0)
			close(rp[i]);
		if (op[i] >= 0)
			close(op[i]);
	}
}

/* The result pipe rp and the output pipe op; 0, or -errno with none open. */
static int open_pipes(int rp[2], int op[2])
{
	int r = 0;

	rp[0] = rp[1] = op[0] = op[1] = -1;
	if (pipe2(rp, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0) {
		r = -errno;
		close_pipes(rp, op);
	}
	return r;
}

static void on_record(void *arg, enum record_kind kind, const char *text)
{
	struct sandbox_job *j = arg;
	struct test_result *r = j->res;

	if (kind == REC_SEED) {
		r->randomised = true;
		r->seed = strtoull(text, NULL, 10);
		return;
	}
	if (kind == REC_WHERE)
		sb_printf(&j->where, "%s\n", text);
	else
		records_add(&r->log, kind, text);
}

int sandbox_start(struct sandbox_job *j, const struct sandbox_spec *spec,
		  struct test_result *res)
{
	int rp[2], op[2], r;

	memset(j, 0, sizeof(*j));
	j->spec = *spec;
	j->res = res;
	res->test = &spec->g->desc->tests[spec->index];
	strcpy(j->tmpdir, "/tmp/kata-XXXXXX");
	if (!mkdtemp(j->tmpdir))
		return -errno;
	r = open_pipes(rp, op);
	if (r < 0) {
		remove_tree(j->tmpdir);
		return r;
	}
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0) {
		r = -errno;
		close_pipes(rp, op);
		remove_tree(j->tmpdir);
		return r;
	}
	if (j->pid == 0) {
		child_setup(spec, rp[1], op[1]);
		api_run_test(spec, SANDBOX_RESULT_FD, j->tmpdir);
	}
	setpgid(j->pid, j->pid);
	track(j->pid, true);
	close(rp[1]);
	close(op[1]);
	j->res_fd = rp[0];
	j->out_fd = op[0];
	fcntl(j->res_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	j->reader.on_record = on_record;
	j->reader.arg = j;
	j->start = now_ms();
	j->deadline = j->start + sandbox_timeout_ms(spec);
	return 0;
}

static void take_output(struct sandbox_job *j, const char *buf, size_t n)
{
	struct test_result *r = j->res;
	size_t room = r->output.len < OUTPUT_CAP ? OUTPUT_CAP - r->output.len
						 : 0;
	size_t keep = n < room ? n : room;

	sb_add(&r->output, buf, keep);
	r->output_dropped += n - keep;
}

/* Reads what is there now; returns false at end-of-file or error. */
static bool drain(struct sandbox_job *j, int fd)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (fd == j->res_fd)
			record_feed(&j->reader, buf, (size_t)n);
		else
			take_output(j, buf, (size_t)n);
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/*
 * The runner's own children, from /proc/self/task/<tid>/children (the
 * runner is single-threaded, so that is all of them): cheap, whatever
 * else the machine runs.  Returns how many, or -1 where the kernel has no
 * such file (then the whole of /proc is scanned).
 */
static int own_children(pid_t *out, int max)
{
	char path[64];
	FILE *f;
	int n = 0, pid;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		 (int)getpid());
	if (!(f = fopen(path, "re")))
		return -1;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		out[n++] = pid;
	fclose(f);
	return n;
}

/* Whether process pid's parent is the runner (read from /proc/pid/stat). */
static bool is_child(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "re")))
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	return p && (p = strrchr(buf, ')')) &&
	       sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid();
}

/* The same as own_children, by scanning every process of the machine. */
static int scan_children(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && n < max && (e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid > 0 && is_child(pid))
			out[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}

void sandbox_sweep(void)
{
	for (int round = 0; round < 100; round++) {
		pid_t kids[256];
		int n = own_children(kids, 256), found = 0;

		if (n < 0)
			n = scan_children(kids, 256);
		for (int i = 0; i < n; i++) {
			if (is_active(kids[i]))
				continue;
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			found++;
		}
		if (!found)
			return;
	}
}

static void finish(struct sandbox_job *j)
{
	if (!j->exited) {
		kill(-j->pid, SIGKILL);
		waitpid(j->pid, &j->status, 0);
		j->exited = true;
	}
	drain(j, j->res_fd);
	drain(j, j->out_fd);
	kill(-j->pid, SIGKILL);	/* whatever is left in its group */
	track(j->pid, false);
	sandbox_sweep();
	close(j->res_fd);
	close(j->out_fd);
	if (j->pidfd >= 0)
		close(j->pidfd);
	remove_tree(j->tmpdir);
	record_reader_free(&j->reader);
	sb_free(&j->where);
	j->res->ms = now_ms() - j->start;
}

static void explain_exit(struct sandbox_job *j)
{
	struct test_result *r = j->res;
	int st = j->status;

	if (j->timed_out) {
		r->outcome = OUT_TIMEOUT;
	} else if (WIFSIGNALED(st)) {
		r->outcome = OUT_CRASH;
		sb_printf(&r->why, "%s", diagnose_signal(WTERMSIG(st)));
	} else if (records_find(&r->log, REC_SKIP)) {
		r->outcome = OUT_SKIP;
	} else if (records_first_failure(&r->log)) {
		r->outcome = OUT_FAIL;
	} else if (records_find(&r->log, REC_END)) {
		r->outcome = OUT_PASS;
	} else {
		r->outcome = OUT_FAIL;
		sb_printf(&r->why, "the test process ended before the test "
			  "did: your code called exit(%d) or _exit(); a "
			  "library function must return, not end the program",
			  WEXITSTATUS(st));
	}
}

static void ask_where(void *arg, pid_t tid)
{
	struct sandbox_job *j = arg;

	syscall(SYS_tgkill, j->pid, tid, SANDBOX_WHERE_SIGNAL);
}

/*
 * Each running thread is asked where it is; the answers come back on the
 * result pipe within a moment (100 ms, scaled) or not at all.
 */
static void collect_where(struct sandbox_job *j)
{
	int asked = diagnose_running(j->pid, ask_where, j);
	double end = now_ms() + 100 * j->spec.set.scale;

	while (asked > 0 && now_ms() < end) {
		struct pollfd p = { j->res_fd, POLLIN, 0 };
		const char *w = j->where.s;
		int got = 0;

		for (; w && (w = strchr(w, '\n')); w++)
			got++;
		if (got >= asked || poll(&p, 1, 10) < 0 || !drain(j, j->res_fd))
			break;
	}
}

static void on_deadline(struct sandbox_job *j)
{
	struct test_result *r = j->res;

	j->timed_out = true;
	collect_where(j);
	sb_printf(&r->why, "no result within %.1f s (the test's time "
		  "limit); at that moment:\n",
		  sandbox_timeout_ms(&j->spec) / 1000);
	diagnose_hang(j->pid, j->where.s, &r->why);
}

static int poll_timeout(struct sandbox_job **jobs, size_t n)
{
	double now = now_ms(), soonest = now + 60000;

	for (size_t i = 0; i < n; i++) {
		if (jobs[i]->deadline < soonest)
			soonest = jobs[i]->deadline;
		if (jobs[i]->pidfd < 0)
			soonest = now + 10 < soonest ? now + 10 : soonest;
	}
	return soonest > now ? (int)(soonest - now) + 1 : 0;
}

static bool check_job(struct sandbox_job *j, struct pollfd *p)
{
	if (p[0].revents && !drain(j, j->res_fd))
		j->res_eof = true;
	if (p[1].revents && !drain(j, j->out_fd))
		j->out_eof = true;
	if (j->pidfd < 0 || p[2].revents)
		j->exited = waitpid(j->pid, &j->status, WNOHANG) == j->pid;
	if (!j->exited && now_ms() >= j->deadline)
		on_deadline(j);
	return j->exited || j->timed_out;
}

/* Interrupted: every running test is killed and cleaned up, then the
 * runner dies of the signal it got. */
static _Noreturn void abandon(struct sandbox_job **jobs, size_t n)
{
	int sig = stop_signal;

	for (size_t i = 0; i < n; i++)
		finish(jobs[i]);
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

size_t sandbox_wait(struct sandbox_job **jobs, size_t n)
{
	struct pollfd p[3 * RUNNER_MAX_JOBS];

	for (;;) {
		if (stop_signal)
			abandon(jobs, n);
		for (size_t i = 0; i < n; i++) {
			struct sandbox_job *j = jobs[i];
			p[3 * i] = (struct pollfd){ j->res_eof ? -1 : j->res_fd,
						    POLLIN, 0 };
			p[3 * i + 1] = (struct pollfd){ j->out_eof ? -1
							: j->out_fd, POLLIN, 0 };
			p[3 * i + 2] = (struct pollfd){ jobs[i]->pidfd,
							POLLIN, 0 };
		}
		if (poll(p, 3 * n, poll_timeout(jobs, n)) < 0 &&
		    errno != EINTR)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (check_job(jobs[i], &p[3 * i])) {
				finish(jobs[i]);
				explain_exit(jobs[i]);
				return i;
			}
		}
	}
}

int sandbox_run(const struct sandbox_spec *spec, struct test_result *res)
{
	struct sandbox_job j, *jp = &j;
	int r = sandbox_start(&j, spec, res);

	if (r < 0)
		return r;
	sandbox_wait(&jp, 1);
	return 0;
}
