/* SPDX-License-Identifier: BSD-3-Clause */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The child's whole environment: nothing of the invoking user's. */
static const char *const clean_env[] = { "PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", NULL };

long long pj_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the child needs, gathered before it exists. */
struct child_plan {
	int exe, out, null;
	char *const *argv;
	uid_t uid;
	gid_t gid;
	int root;
	int drop_groups; /* root with supplementary groups (su, sudo): none */
};

static void close_from(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	/* Kernels before 5.9: one by one, up to the descriptor limit. */
	struct rlimit rl;
	unsigned max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

static void set_limit(int which, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };
	setrlimit(which, &rl);
}

/* The program itself, in a vfork child of the keeper: the signal mask the
 * program starts with (empty), then exec. */
__attribute__((noreturn)) static void run_program(const struct child_plan *p)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	syscall(SYS_execveat, p->exe, "", p->argv, clean_env, AT_EMPTY_PATH);
	_exit(PJ_SPAWN_EXIT_EXEC);
}

/* Waits for the program; SIGTERM (from the host, at its deadline) makes the
 * keeper kill it and reap it first, so that no orphan is left for init. */
__attribute__((noreturn)) static void keep(pid_t pid, const sigset_t *wake)
{
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			_exit(PJ_SPAWN_EXIT_SETUP);
		siginfo_t si;
		if (r == 0 && sigwaitinfo(wake, &si) == SIGTERM) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0)
				if (errno != EINTR)
					_exit(PJ_SPAWN_EXIT_SETUP);
			break;
		}
	}
	if (WIFSIGNALED(st)) {
		syscall(SYS_kill, syscall(SYS_getpid), WTERMSIG(st));
		_exit(128 + WTERMSIG(st));
	}
	_exit(WEXITSTATUS(st));
}

/* The keeper: the host's child, from a raw clone with exit signal 0.  It
 * never calls exec (exec would make its exit signal SIGCHLD again), so the
 * host is never signalled and its wait(-1) never takes it; the program runs
 * in the keeper's own child and the keeper hands its end back: the same exit
 * status, or death by the same signal.
 *
 * The parent's other threads do not exist here and their locks may be held
 * for ever, so only async-signal-safe calls and raw system calls (glibc's
 * set*id would signal threads that are gone). */
__attribute__((noreturn)) static void keeper(const struct child_plan *p)
{
	/* The kernel's struct sigaction, all zero: SIG_DFL, no flags, an empty
	 * mask, whatever the architecture's field order. */
	unsigned long dfl[16] = { 0 };
	sigset_t wake;
	/* Still blocked (the parent blocked everything around the clone):
	 * dispositions first, then the mask.  The raw call reaches glibc's
	 * internal signals too (32, 33: an ignored one would survive exec);
	 * SIGKILL and SIGSTOP refuse, which is fine.  The keeper itself keeps
	 * SIGCHLD and SIGTERM blocked, to wait for them (keep()). */
	for (int sig = 1; sig < NSIG; sig++)
		syscall(SYS_rt_sigaction, sig, dfl, NULL, (NSIG - 1) / 8);
	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, SIGTERM);
	sigprocmask(SIG_SETMASK, &wake, NULL);
	/* The parent made sure all three are above 2. */
	if (dup2(p->null, 0) < 0 || dup2(p->out, 1) < 0 || dup2(p->null, 2) < 0)
		_exit(PJ_SPAWN_EXIT_SETUP);
	/* Everything else goes, but the program itself (close-on-exec). */
	close_from(3, (unsigned)p->exe - 1);
	close_from((unsigned)p->exe + 1, ~0u);
	if (chdir("/") != 0)
		_exit(PJ_SPAWN_EXIT_SETUP);
	umask(022);
	set_limit(RLIMIT_CORE, 0, 0);
	if (p->root) {
		/* The user's limits would steer a root process that writes
		 * files every login reads (a small RLIMIT_FSIZE kills it
		 * mid-write): root's defaults instead, where root may raise
		 * them (CAP_SYS_RESOURCE). */
		set_limit(RLIMIT_FSIZE, RLIM_INFINITY, RLIM_INFINITY);
		set_limit(RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY);
		set_limit(RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY);
		set_limit(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY);
		set_limit(RLIMIT_STACK, 8 << 20, RLIM_INFINITY);
		set_limit(RLIMIT_NOFILE, 1024, 1024);
		set_limit(RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY);
	}
	/* Only when there is something to drop: setgroups needs CAP_SETGID
	 * even to set the same empty list, and root without capabilities
	 * (pam_jwt-fetch.service's CapabilityBoundingSet=) has none to drop. */
	if (p->drop_groups && syscall(SYS_setgroups, 0, NULL) != 0)
		_exit(PJ_SPAWN_EXIT_SETUP);
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) != 0 ||
	    syscall(SYS_setresuid, p->uid, p->uid, p->uid) != 0)
		_exit(PJ_SPAWN_EXIT_SETUP);
	/* Its own process group (the parent sets it too, whoever is first):
	 * a last-resort kill reaches keeper and program, and the terminal's ^C
	 * or ^Z meant for the host does not. */
	setpgid(0, 0);
	pid_t pid = vfork();
	if (pid == 0)
		run_program(p);
	if (pid < 0)
		_exit(PJ_SPAWN_EXIT_SETUP);
	/* The host sees the end of the output when the program is done. */
	close(0);
	close(1);
	close(2);
	close(p->exe);
	keep(pid, &wake);
}

static int open_program(const struct pj_spawn *s, pj_err *e)
{
	struct stat st;
	pj_err why;
	if (!s->path || s->path[0] != '/')
		return pj_fail(e, "%s must be an absolute path", s->path ? s->path : "(none)");
	int fd = pj_open_trusted(s->path, s->allowed_uid, 0, &st, &why);
	if (fd < 0)
		return pj_fail(e, "%s", why.msg);
	if (!(st.st_mode & S_IXUSR)) {
		close(fd);
		return pj_fail(e, "%s is not executable", s->path);
	}
	return pj_fd_above_stdio(fd);
}

/* The keeper and the program (its process group), while the keeper is
 * unreaped: its pid, and so the group's id, cannot have been reused. */
static void kill_all(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* Reaps the keeper by the deadline.  There it is told to stop (SIGTERM: it
 * kills the program and reaps it, leaving no orphan); if it has not within a
 * second, keeper and program get SIGKILL.  0 with *status, or 1 when another
 * waiter took it (its status is lost). */
static int reap(pid_t pid, long long deadline_ms, int *status, int *killed)
{
	long nap_us = 500;
	int told = 0;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG | __WALL);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 1; /* ECHILD: reaped by someone else; never signal it now */
		long long now = pj_clock_ms();
		if (now >= deadline_ms && !told) {
			kill(pid, SIGTERM);
			*killed = told = 1;
			deadline_ms = now + 1000;
			nap_us = 500;
		} else if (now >= deadline_ms) {
			kill_all(pid);
			while ((r = waitpid(pid, status, __WALL)) < 0 && errno == EINTR)
				;
			return r == pid ? 0 : 1;
		}
		struct timespec ts = { 0, nap_us * 1000 };
		nanosleep(&ts, NULL);
		if (nap_us < 32000)
			nap_us *= 2;
	}
}

/* Collects the child's stdout until EOF, the deadline or out_max.  Returns 0
 * at EOF, 1 at the deadline, 2 when over out_max, -1 on a read error. */
static int collect(int fd, long long deadline_ms, size_t max, char **buf, size_t *n)
{
	size_t cap = 0;
	*buf = NULL;
	*n = 0;
	for (;;) {
		long long left = deadline_ms - pj_clock_ms();
		if (left <= 0)
			return 1;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0)
			continue;
		if (*n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= *n + 1)
				return 2;
			char *p = realloc(*buf, ncap);
			if (!p)
				return -1;
			*buf = p;
			cap = ncap;
		}
		ssize_t r = read(fd, *buf + *n, cap - *n - 1);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		*n += (size_t)r;
		if (*n > max)
			return 2;
	}
}

int pj_spawn_run(const struct pj_spawn *s, char **out, size_t *outn, int *exit_code, pj_err *e)
{
	int pipefd[2] = { -1, -1 }, status = 0, killed = 0;
	char *buf = NULL;
	size_t n = 0;
	*out = NULL;
	*outn = 0;
	*exit_code = PJ_SPAWN_EXIT_UNKNOWN;
	int exe = open_program(s, e);
	if (exe < 0)
		return -1;
	int null = pj_fd_above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (null < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
		pj_fail(e, "cannot set up %s: %s", s->path, strerror(errno));
		goto fail_fds;
	}
	pipefd[0] = pj_fd_above_stdio(pipefd[0]);
	pipefd[1] = pj_fd_above_stdio(pipefd[1]);
	if (pipefd[0] < 0 || pipefd[1] < 0) {
		pj_fail(e, "cannot set up %s: %s", s->path, strerror(errno));
		goto fail_fds;
	}
	uid_t euid = geteuid();
	int ngroups = euid == 0 ? getgroups(0, NULL) : 0;
	struct child_plan plan = { exe,	      pipefd[1],
				   null,      (char *const *)s->argv,
				   euid,      euid == 0 ? 0 : getegid(),
				   euid == 0, ngroups != 0 };
	/* Everything blocked across the clone, so that no host handler runs
	 * in the child before it has reset them (as posix_spawn does). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* Flags 0: a copy of this process whose exit signal is 0 (the same on
	 * every architecture, whatever the order of clone's arguments). */
	pid_t pid = (pid_t)syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0)
		keeper(&plan);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid > 0)
		setpgid(pid, pid);
	close(pipefd[1]);
	close(null);
	close(exe);
	if (pid < 0) {
		close(pipefd[0]);
		return pj_fail(e, "cannot start %s: %s", s->path, strerror(saved));
	}
	int got = collect(pipefd[0], s->deadline_ms, s->out_max, &buf, &n);
	close(pipefd[0]);
	/* Past the deadline or the output limit: whatever it is doing, it is
	 * done (reap stops it at once). */
	int lost = reap(pid, got != 0 ? 0 : s->deadline_ms, &status, &killed);
	if (got == 1 || (got == 0 && killed))
		pj_fail(e, "%s did not finish in time: killed", s->path);
	else if (got == 2)
		pj_fail(e, "%s wrote more than %zu bytes: killed", s->path, s->out_max);
	else if (got < 0)
		pj_fail(e, "cannot read from %s: %s", s->path, strerror(errno));
	else if (!lost && WIFSIGNALED(status))
		pj_fail(e, "%s was killed by signal %d", s->path, WTERMSIG(status));
	else if (!lost && n == 0 && WEXITSTATUS(status) == PJ_SPAWN_EXIT_SETUP)
		pj_fail(e, "%s: its process could not be set up (ids, descriptors, directory)",
			s->path);
	else if (!lost && n == 0 && WEXITSTATUS(status) == PJ_SPAWN_EXIT_EXEC)
		pj_fail(e, "%s could not be executed", s->path);
	else {
		buf = buf ? buf : calloc(1, 1);
		if (!buf)
			return pj_fail(e, "out of memory");
		buf[n] = 0;
		*exit_code = lost ? PJ_SPAWN_EXIT_UNKNOWN : WEXITSTATUS(status);
		*out = buf;
		*outn = n;
		return 0;
	}
	free(buf);
	return -1;
fail_fds:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (null >= 0)
		close(null);
	close(exe);
	return -1;
}
