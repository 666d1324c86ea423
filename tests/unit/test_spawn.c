/* SPDX-License-Identifier: BSD-3-Clause */
/* src/spawn.c: what a helper program inherits from the host (nothing but
 * what we built), that the host's signal handling is not disturbed (no
 * SIGCHLD, SIGCHLD ignored works, no zombie), and that the deadline and the
 * output limit are kept.  The child is /bin/sh reporting on itself from
 * /proc, so every property is read from the kernel, not from our code. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

static volatile sig_atomic_t sigchld_count;

/* SIG_IGN or SIG_DFL for any signal, glibc's own (32, 33) included, which
 * its sigaction refuses: a host may inherit them ignored. */
static void raw_disposition(int sig, void (*handler)(int))
{
	unsigned long k[16] = { (unsigned long)handler };
	assert_int_equal(syscall(SYS_rt_sigaction, sig, k, NULL, (NSIG - 1) / 8), 0);
}

static void count_sigchld(int sig)
{
	(void)sig;
	sigchld_count++;
}

/* Runs sh -c SCRIPT; returns pj_spawn_run's result, *out its stdout. */
static int sh(const char *script, long long ms, size_t max, char **out, int *code, pj_err *e)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct pj_spawn s = { "/bin/sh", getuid(), argv, pj_clock_ms() + ms, max };
	size_t n;
	return pj_spawn_run(&s, out, &n, code, e);
}

/* Its stdout, which must have worked and exited 0. */
static char *sh_ok(const char *script)
{
	char *out;
	int code;
	pj_err e = { "" };
	if (sh(script, 5000, 65536, &out, &code, &e) != 0)
		fail_msg("%s: %s", script, e.msg);
	if (code != 0)
		fail_msg("%s: exit %d", script, code);
	return out;
}

/* No child of ours is left, zombie or not. */
static void assert_no_child(void)
{
	int st;
	assert_int_equal(waitpid(-1, &st, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_environment_is_ours(void **state)
{
	(void)state;
	setenv("SSLKEYLOGFILE", "/tmp/pj-unit-keylog", 1);
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	/* The shell's own initial environment, as the kernel recorded it. */
	char *out = sh_ok("exec cat /proc/$$/environ");
	static const char want[] = "PATH=/usr/bin:/bin\0LANG=C\0LC_ALL=C";
	assert_memory_equal(out, want, sizeof(want));
	free(out);
	unsetenv("SSLKEYLOGFILE");
	unsetenv("LD_PRELOAD");
	unsetenv("http_proxy");
	assert_no_child();
}

static void test_descriptors(void **state)
{
	(void)state;
	/* Descriptors the host left open without close-on-exec. */
	int a = open("/dev/null", O_RDONLY), b = dup2(a, 42);
	assert_true(a >= 3 && b == 42);
	/* ls runs in a child of sh: it lists sh's descriptors, not its own. */
	char *out = sh_ok("ls /proc/$$/fd; readlink /proc/$$/fd/0 /proc/$$/fd/2 /proc/$$/fd/1");
	if (strncmp(out, "0\n1\n2\n/dev/null\n/dev/null\npipe:[", 32) != 0)
		fail_msg("descriptors: %s", out);
	free(out);
	/* A host whose stdin, stdout and stderr are closed: the pipe and
	 * /dev/null land there, and must not be clobbered in the child. */
	int s0 = dup(0), s1 = dup(1), s2 = dup(2);
	close(0);
	close(1);
	close(2);
	char *out2;
	int code;
	pj_err e = { "" };
	int rc = sh("ls /proc/$$/fd; readlink /proc/$$/fd/0 /proc/$$/fd/2", 5000, 4096, &out2,
		    &code, &e);
	dup2(s0, 0);
	dup2(s1, 1);
	dup2(s2, 2);
	close(s0);
	close(s1);
	close(s2);
	if (rc != 0)
		fail_msg("with 0-2 closed: %s", e.msg);
	assert_string_equal(out2, "0\n1\n2\n/dev/null\n/dev/null\n");
	free(out2);
	close(a);
	close(b);
}

static void test_signals_umask_cwd_limits(void **state)
{
	(void)state;
	sigset_t block, old;
	struct rlimit core = { RLIM_INFINITY, RLIM_INFINITY }, old_core;
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	signal(SIGUSR1, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	raw_disposition(__SIGRTMIN, SIG_IGN);
	raw_disposition(__SIGRTMIN + 1, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	mode_t old_mask = umask(0);
	getrlimit(RLIMIT_CORE, &old_core);
	setrlimit(RLIMIT_CORE, &core);
	assert_int_equal(chdir(tmpdir), 0);
	/* Read by the program itself (exec): a shell waiting for a child
	 * blocks signals of its own meanwhile. */
	char *out = sh_ok("exec grep -E '^Sig(Blk|Ign):' /proc/self/status");
	assert_string_equal(out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	free(out);
	out = sh_ok("pwd; umask; ulimit -c");
	assert_string_equal(out, "/\n0022\n0\n");
	free(out);
	assert_int_equal(chdir(cwd), 0);
	setrlimit(RLIMIT_CORE, &old_core);
	umask(old_mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	raw_disposition(__SIGRTMIN, SIG_DFL);
	raw_disposition(__SIGRTMIN + 1, SIG_DFL);
}

/* su and sudo: effective uid 0, real uid the invoking user's. */
static void test_ids_made_equal(void **state)
{
	(void)state;
	gid_t groups[] = { 4243, 4244 };
	if (geteuid() != 0)
		skip();
	assert_int_equal(setgroups(2, groups), 0);
	assert_int_equal(setresgid(4242, 4242, 0), 0);
	assert_int_equal(setresuid(4242, 0, 0), 0);
	char *out = sh_ok("exec grep -E '^(Uid|Gid|Groups):' /proc/self/status");
	assert_int_equal(setresuid(0, 0, 0), 0);
	assert_int_equal(setresgid(0, 0, 0), 0);
	assert_int_equal(setgroups(0, NULL), 0);
	/* (The kernel ends the list of groups with a space, even an empty one.) */
	assert_string_equal(out, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t \n");
	free(out);
}

static void test_no_sigchld(void **state)
{
	(void)state;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_sigchld;
	sigaction(SIGCHLD, &sa, &old);
	sigchld_count = 0;
	for (int i = 0; i < 3; i++)
		free(sh_ok("exit 0"));
	char *out;
	int code;
	pj_err e;
	assert_int_equal(sh("exec sleep 5", 200, 100, &out, &code, &e), -1);
	/* Our own children (a plain fork) still signal: the handler works. */
	assert_int_equal(sigchld_count, 0);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	assert_int_equal(sigchld_count, 1);
	sigaction(SIGCHLD, &old, NULL);
	assert_no_child();
}

static void test_sigchld_ignored(void **state)
{
	(void)state;
	signal(SIGCHLD, SIG_IGN);
	char *out;
	int code;
	pj_err e = { "" };
	/* With SIGCHLD ignored, children that signal are reaped by the kernel;
	 * ours does not signal, so its exit status is still ours to read. */
	int rc = sh("printf hi; exit 3", 5000, 100, &out, &code, &e);
	signal(SIGCHLD, SIG_DFL);
	if (rc != 0)
		fail_msg("%s", e.msg);
	assert_true(code == 3 || code == PJ_SPAWN_EXIT_UNKNOWN);
	assert_string_equal(out, "hi");
	free(out);
	assert_no_child();
}

static void test_deadline(void **state)
{
	(void)state;
	char *out;
	int code;
	pj_err e;
	char script[256], path[128];
	snprintf(path, sizeof(path), "%s/pid", tmpdir);
	snprintf(script, sizeof(script), "echo $$ >%s; exec sleep 10", path);
	long long t = pj_clock_ms();
	assert_fails_with(sh(script, 300, 100, &out, &code, &e), e,
			  "did not finish in time: killed");
	long long el = pj_clock_ms() - t;
	assert_in_range(el, 290, 1000);
	assert_null(out);
	assert_no_child();
	/* The program itself is gone too, reaped (not left to init as an
	 * orphan, nor running). */
	FILE *f = fopen(path, "r");
	int prog = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &prog), 1);
	fclose(f);
	assert_int_equal(kill(prog, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* Closing stdout is not finishing. */
	t = pj_clock_ms();
	assert_fails_with(sh("exec >&-; exec sleep 10", 300, 100, &out, &code, &e), e,
			  "did not finish in time");
	assert_in_range(pj_clock_ms() - t, 290, 1000);
	assert_no_child();
	/* A deadline already past. */
	assert_fails_with(sh("exit 0", -1, 100, &out, &code, &e), e, "did not finish in time");
	assert_no_child();
}

static void test_output_limit_and_status(void **state)
{
	(void)state;
	char *out;
	int code;
	pj_err e;
	assert_fails_with(sh("exec head -c 100000 /dev/zero", 5000, 1000, &out, &code, &e), e,
			  "wrote more than 1000 bytes: killed");
	assert_no_child();
	/* Exactly the limit is fine. */
	assert_int_equal(sh("exec head -c 1000 /dev/zero", 5000, 1000, &out, &code, &e), 0);
	free(out);
	assert_int_equal(sh("printf 'a\\0b'; exit 7", 5000, 100, &out, &code, &e), 0);
	assert_int_equal(code, 7);
	assert_memory_equal(out, "a\0b", 4);
	free(out);
	assert_fails_with(sh("kill -9 $$", 5000, 100, &out, &code, &e), e, "killed by signal 9");
	assert_no_child();
}

static void test_program_checks(void **state)
{
	(void)state;
	const char *argv[] = { "x", NULL };
	char path[256], *out;
	size_t n;
	int code;
	pj_err e;
	struct pj_spawn s = { "bin/sh", getuid(), argv, pj_clock_ms() + 1000, 100 };
	assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e, "must be an absolute path");
	s.path = "/nonexistent/pam_jwt-fetch";
	assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e,
			  "cannot open /nonexistent/pam_jwt-fetch");
	snprintf(path, sizeof(path), "%s/prog", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	s.path = path;
	chmod(path, 0644);
	assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e, "is not executable");
	chmod(path, 0775);
	assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e, "writable by group or others");
	/* Executable by its mode, not by its content. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	close(fd);
	chmod(path, 0755);
	assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e, "could not be executed");
	if (geteuid() == 0) {
		chmod(path, 0755);
		assert_int_equal(chown(path, 4242, 4242), 0);
		s.allowed_uid = (uid_t)-1;
		assert_fails_with(pj_spawn_run(&s, &out, &n, &code, &e), e,
				  "is owned by uid 4242, not root");
	}
	assert_no_child();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environment_is_ours),
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_signals_umask_cwd_limits),
		cmocka_unit_test(test_ids_made_equal),
		cmocka_unit_test(test_no_sigchld),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_output_limit_and_status),
		cmocka_unit_test(test_program_checks),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
