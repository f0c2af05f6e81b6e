/*
 * plugin.c: loading and checking grader and kata shared objects (plugin.h).
 */
#define _GNU_SOURCE
#include "plugin.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "sandbox.h"

/* How long loading a kata may take, before --timeout-scale. */
#define PROBE_TIMEOUT_MS 5000

static const char *check_tests(const struct kata_grader *d, size_t *n)
{
	static char why[256];
	const struct kata_test *t = d->tests;

	for (*n = 0; t && t[*n].name; (*n)++) {
		const struct kata_test *x = &t[*n];
		bool dep_ok = !x->depends_on;

		if (!x->run || !x->purpose) {
			snprintf(why, sizeof(why), "test %s has no %s", x->name,
				 x->run ? "purpose" : "function");
			return why;
		}
		for (size_t i = 0; i < *n; i++) {
			if (!strcmp(t[i].name, x->name)) {
				snprintf(why, sizeof(why),
					 "two tests are named %s", x->name);
				return why;
			}
			if (x->depends_on && !strcmp(t[i].name, x->depends_on))
				dep_ok = true;
		}
		if (!dep_ok) {
			snprintf(why, sizeof(why), "test %s depends on %s, "
				 "which is not an earlier test", x->name,
				 x->depends_on);
			return why;
		}
	}
	return *n ? NULL : "it has no tests";
}

static const char *check_grader(const struct kata_grader *d, const char *kata,
				size_t *n)
{
	static char why[256];

	if (d->abi_version != KATA_ABI_VERSION) {
		snprintf(why, sizeof(why), "it was built for kata ABI %u and "
			 "this runner speaks %u; rebuild it", d->abi_version,
			 KATA_ABI_VERSION);
		return why;
	}
	if (d->struct_size < KATA_GRADER_MIN_SIZE)
		return "its descriptor is too small to be a grader; rebuild it";
	if (!d->api)
		return "its descriptor has no slot for the runner's routines "
		       "(write it with KATA_GRADER(...)); rebuild it";
	if (!d->kata || strcmp(d->kata, kata)) {
		snprintf(why, sizeof(why), "it grades \"%s\", not \"%s\" "
			 "(a stale or renamed file?)", d->kata ? d->kata : "",
			 kata);
		return why;
	}
	if (!d->title || !d->topic)
		return "it has no title or topic";
	return check_tests(d, n);
}

/* Fields a plugin's struct_size says it does not have read as absent. */
static const struct kata_grader *upgrade(const struct kata_grader *d)
{
	struct kata_grader *copy;

	if (d->struct_size >= sizeof(*d))
		return d;
	copy = xcalloc(1, sizeof(*copy));
	memcpy(copy, d, d->struct_size);
	return copy;
}

void plugin_close_grader(struct grader *g)
{
	if (g->desc_copy)
		free((void *)g->desc);
	free(g->kata);
	free(g->path);
	free(g->error);
	memset(g, 0, sizeof(*g));
}

static int unloadable(struct grader *g, char **err)
{
	*err = xasprintf("%s is not a loadable grader (%s); rebuild it with "
			 "./runner or remove it.", g->path, dlerror());
	g->desc = NULL;
	return -ENOEXEC;
}

int plugin_open_grader(const char *kata, struct grader *g, char **err)
{
	const char *why;

	memset(g, 0, sizeof(*g));
	g->kata = xstrdup(kata);
	g->path = xasprintf("%s/grader-%s.so", runner_build, kata);
	if (access(g->path, R_OK) < 0) {
		*err = xasprintf("The grader for %s is missing (%s); run "
				 "./runner to rebuild it.", kata, g->path);
		return -ENOENT;
	}
	/* Lazily first, so that a grader of another ABI, whose functions
	 * the runner no longer exports, is named for its version. */
	if (!(g->handle = dlopen(g->path, RTLD_LAZY | RTLD_LOCAL)))
		return unloadable(g, err);
	g->desc = dlsym(g->handle, KATA_GRADER_SYMBOL);
	why = g->desc ? check_grader(g->desc, kata, &g->ntests)
		      : "it exports no kata_grader descriptor";
	if (why) {
		*err = xasprintf("Refusing the grader %s: %s.", g->path, why);
		g->desc = NULL;
		return -EINVAL;
	}
	if (!dlopen(g->path, RTLD_NOW | RTLD_NOLOAD | RTLD_LOCAL))
		return unloadable(g, err);
	*g->desc->api = &api_routines;
	g->desc_copy = (g->desc = upgrade(g->desc)) != dlsym(g->handle,
							     KATA_GRADER_SYMBOL);
	return 0;
}

/* In the probe child: returns a message, or NULL when the .so is fine. */
static char *probe_check(const char *path, const char *kata, char *kind)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const struct kata_plugin *p;

	*kind = 'R';
	if (!h) {
		*kind = 'U';
		return xasprintf("%s", dlerror());
	}
	p = dlsym(h, KATA_PLUGIN_SYMBOL);
	if (!p)
		return xasprintf("%s has no KATA_PLUGIN(\"%s\") line, so it is "
				 "not a kata the runner knows", path, kata);
	if (p->abi_version != KATA_ABI_VERSION)
		return xasprintf("%s was built for kata ABI %u, this runner "
				 "speaks %u: rebuild it", path, p->abi_version,
				 KATA_ABI_VERSION);
	if (!p->kata || strcmp(p->kata, kata))
		return xasprintf("%s says it is the kata \"%s\", not \"%s\"",
				 path, p->kata ? p->kata : "", kata);
	return NULL;
}

/*
 * The probe child: its own process group, no terminal, nothing inherited
 * but the verdict pipe (fd 3), so whatever the kata's constructors start
 * cannot hold the runner's output open.
 */
static _Noreturn void probe_child(const char *path, const char *kata, int fd)
{
	int null = open("/dev/null", O_RDWR);
	char kind, *m;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(fd, 3);
	for (int i = 0; i < 3; i++)
		dup2(null, i);
	close_range(4, ~0u, 0);
	signal(SIGPIPE, SIG_DFL);
	m = probe_check(path, kata, &kind);
	if (m)
		dprintf(3, "%c%s", kind, m);
	_exit(0);
}

/* Waits up to ms for pid to end; true with *st when it did. */
static bool wait_until(pid_t pid, double ms, int *st)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double end = now_ms() + ms;
	bool done = false;

	while (!(done = waitpid(pid, st, WNOHANG) == pid) && now_ms() < end) {
		struct pollfd p = { pidfd, POLLIN, 0 };
		int left = (int)(end - now_ms()) + 1;

		if (pidfd < 0 || poll(&p, 1, left < 10 ? left : 10) < 0)
			usleep(1000);
	}
	if (pidfd >= 0)
		close(pidfd);
	return done;
}

/* What became of a probe that wrote no verdict, in a learner's words. */
static char *probe_death(bool ended, int st, double ms)
{
	if (!ended)
		return xasprintf("loading it did not finish within %.1f s: a "
				 "constructor or static initialiser that blocks "
				 "or loops?", ms / 1000);
	if (WIFSIGNALED(st))
		return xasprintf("loading it killed the process with SIG%s "
				 "(%s): code that runs at load (a constructor) "
				 "crashed", sigabbrev_np(WTERMSIG(st)) ?
				 sigabbrev_np(WTERMSIG(st)) : "?",
				 strsignal(WTERMSIG(st)));
	return xasprintf("loading it ended the process with exit(%d): code "
			 "that runs at load (a constructor) must not end the "
			 "program", WEXITSTATUS(st));
}

enum probe plugin_probe_kata(const char *path, const char *kata,
			     double scale, char **err)
{
	double ms = PROBE_TIMEOUT_MS * scale;
	char buf[2048] = "";
	int fds[2], st = 0;
	ssize_t n;
	pid_t pid;
	bool ended;

	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		*err = xasprintf("cannot start a process: %s", strerror(errno));
		return PROBE_REFUSED;
	}
	if (pid == 0)
		probe_child(path, kata, fds[1]);
	setpgid(pid, pid);
	close(fds[1]);
	ended = wait_until(pid, ms, &st);
	kill(-pid, SIGKILL);
	if (!ended)
		waitpid(pid, &st, 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	sandbox_sweep();
	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0 && ended && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return PROBE_OK;
	*err = n > 1 ? xstrdup(buf + 1) : probe_death(ended, st, ms);
	return n > 0 && buf[0] == 'R' ? PROBE_REFUSED : PROBE_UNLOADABLE;
}

static int find_undef(const unsigned char *m, size_t len, const char *symbol)
{
	const Elf64_Ehdr *eh = (const void *)m;
	const Elf64_Shdr *sh;

	if (len < sizeof(*eh) || memcmp(m, ELFMAG, SELFMAG) ||
	    m[EI_CLASS] != ELFCLASS64 || eh->e_shoff + (size_t)eh->e_shnum *
	    sizeof(*sh) > len)
		return -ENOEXEC;
	sh = (const void *)(m + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		if (sh[i].sh_offset + sh[i].sh_size > len ||
		    sh[sh[i].sh_link].sh_offset > len)
			return -ENOEXEC;
		sym = (const void *)(m + sh[i].sh_offset);
		str = (const char *)m + sh[sh[i].sh_link].sh_offset;
		for (size_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (sym[j].st_shndx == SHN_UNDEF && sym[j].st_name &&
			    !strcmp(str + sym[j].st_name, symbol))
				return 1;
	}
	return 0;
}

int plugin_imports(const char *path, const char *symbol)
{
	struct stat st;
	void *m;
	int r, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size == 0) {
		close(fd);
		return -ENOEXEC;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	r = find_undef(m, (size_t)st.st_size, symbol);
	munmap(m, (size_t)st.st_size);
	return r;
}
