/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-askpass: answers a password prompt with a JWT, for ssh
 * (SSH_ASKPASS) and sudo (SUDO_ASKPASS, sudo -A), so that nobody pastes
 * tokens into terminals.  The token comes from $PAM_JWT_TOKEN_FILE, or else
 * from the output of $PAM_JWT_TOKEN_COMMAND (run by /bin/sh with the prompt
 * as $1), or else from pam_jwt-login (the client package: it gets the token
 * for the host or service that asks from the identity provider, and caches
 * it).  It prints the answer and a newline on stdout and nothing else;
 * errors go to stderr with exit status 1, never with any of the token.
 *
 * A token longer than the asking program passes on (sudo 511 bytes, the
 * OpenSSH client 1023) goes in parts (src/parts.c): part 1 at the first
 * prompt, and part K when the module asks "JWT part K of N (ID): ".  The
 * helper keeps no state between prompts: each answer is computed from the
 * token, the prompt and the split rule, and a token whose ID is not the one
 * the prompt names (it was refreshed since part 1 went out) is not split.
 *
 * The token file is a bearer credential, held to ssh's rules for private
 * keys: a regular file owned by the user, not readable or writable by group
 * or others.  Yes/no questions (ssh's host key confirmation) are never
 * answered. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "parts.h"
#include "util.h"

#define MAX_TOKEN  PJ_MAX_TOKEN
#define SUDO_MAX   511	/* what sudo hands to PAM */
#define SSH_MAX	   1023 /* what the OpenSSH client sends */
#define ANSWER_MIN 64	/* room for a part's header and some of the token */

static const char *prog = "pam_jwt-askpass";

static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static ssize_t from_file(const char *path, char *buf)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO put in its place must not hang the login. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail("cannot open PAM_JWT_TOKEN_FILE %s", path);
	ssize_t n = -1;
	if (fstat(fd, &st) != 0)
		fail("cannot stat %s", path);
	else if (!S_ISREG(st.st_mode))
		fail("%s is not a regular file", path);
	else if (st.st_uid != getuid())
		fail("%s is not owned by the user running pam_jwt-askpass", path);
	else if (st.st_mode & 077)
		fail("%s is accessible by group or others: chmod 600 it (a token is a "
		     "credential)",
		     path);
	else if ((n = pj_read_upto(fd, buf, MAX_TOKEN + 1)) < 0)
		fail("cannot read %s", path);
	close(fd);
	return n;
}

/* Runs path with argv and reads its standard output into buf; what names it
 * in errors. */
static ssize_t run_capture(const char *path, char *const argv[], const char *what, char *buf)
{
	int p[2], status;
	if (pipe2(p, O_CLOEXEC) != 0)
		return fail("cannot make a pipe");
	pid_t pid = fork();
	if (pid < 0)
		return fail("cannot fork");
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = pj_read_upto(p[0], buf, MAX_TOKEN + 1);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("cannot wait for %s", what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail("%s failed", what);
	if (n < 0)
		return fail("cannot read the output of %s", what);
	return n;
}

static ssize_t from_command(const char *cmd, const char *prompt, char *buf)
{
	char *const argv[] = { "sh", "-c", (char *)cmd, (char *)prog, (char *)prompt, NULL };
	return run_capture("/bin/sh", argv, "PAM_JWT_TOKEN_COMMAND", buf);
}

/* The token pam_jwt-login has, or gets, for whoever asks: it learns the host
 * from ssh's prompt and sudo from the process that runs us (our parent).
 * It is $PAM_JWT_LOGIN, else the pam_jwt-login beside this program. */
static ssize_t from_login(const char *prompt, char *buf)
{
	char path[4096], ppid[32];
	const char *env = getenv("PAM_JWT_LOGIN");
	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
		char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
		if (!slash)
			return fail("cannot find pam_jwt-login");
		strcpy(slash + 1, "pam_jwt-login");
	}
	if (access(path, X_OK) != 0)
		return fail("set PAM_JWT_TOKEN_FILE or PAM_JWT_TOKEN_COMMAND, or install "
			    "pam_jwt-login (package pam-jwt-client) beside %s",
			    prog);
	snprintf(ppid, sizeof(ppid), "%ld", (long)getppid());
	char *const argv[] = { "pam_jwt-login", "token", "--prompt", (char *)prompt,
			       "--caller-pid",	ppid,	 NULL };
	return run_capture(path, argv, "pam_jwt-login", buf);
}

/* Trims surrounding white space in place and checks the JWS compact shape
 * (base64url and exactly two dots), so that nothing else, say a file holding
 * something other than a token, is ever sent as a password. */
static int token_shape(char *buf, size_t *n)
{
	size_t start = 0, end = *n, dots = 0;
	while (start < end && strchr(" \t\r\n", buf[start]))
		start++;
	while (end > start && strchr(" \t\r\n", buf[end - 1]))
		end--;
	if (end - start > MAX_TOKEN)
		return fail("the token is longer than %d bytes", MAX_TOKEN);
	for (size_t i = start; i < end; i++) {
		char c = buf[i];
		if (c == '.')
			dots++;
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return fail("the input is not a JWT (one line of base64url and dots)");
	}
	if (dots != 2 || end == start)
		return fail("the input is not a JWT (three parts separated by dots)");
	memmove(buf, buf + start, end - start);
	*n = end - start;
	return 0;
}

/* How long an answer the asking program passes on.  PAM_JWT_ANSWER_MAX
 * says so outright; otherwise the program that started the helper tells:
 * the OpenSSH client ("ssh") sends 1023 bytes, sudo hands PAM 511, and
 * anything else gets the smaller, so that no part is ever cut. */
static long answer_max(void)
{
	const char *v = getenv("PAM_JWT_ANSWER_MAX");
	char path[64], comm[32] = "";
	if (v && *v) {
		char *end;
		long m = strtol(v, &end, 10);
		if (*end || m < ANSWER_MIN || m > MAX_TOKEN)
			return fail("PAM_JWT_ANSWER_MAX must be a number of bytes from %d to %d",
				    ANSWER_MIN, MAX_TOKEN);
		return m;
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)getppid());
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t r = read(fd, comm, sizeof(comm) - 1);
		comm[r > 0 ? r : 0] = 0;
		comm[strcspn(comm, "\n")] = 0;
		close(fd);
	}
	return strcmp(comm, "ssh") == 0 ? SSH_MAX : SUDO_MAX;
}

static int print_line(char *p, size_t n)
{
	p[n] = '\n';
	int rc = pj_write_all(STDOUT_FILENO, p, n + 1);
	p[n] = 0;
	return rc;
}

/* The answer to prompt: the whole token when it fits in max bytes, else the
 * part the prompt asks for (part 1 at any other prompt). */
static int answer(const char *prompt, char *tok, size_t n, long max)
{
	static char part[MAX_TOKEN + PJ_PARTS_HEADER_MAX + 2];
	char id[PJ_PARTS_ID_LEN + 1], mine[PJ_PARTS_ID_LEN + 1];
	unsigned k = 1, parts;
	int rc = -1;
	if (pj_parts_parse_prompt(prompt, &k, &parts, id) == 0) {
		if (pj_parts_id(tok, n, mine) != 0)
			return fail("cannot hash the token");
		if (strcmp(mine, id) != 0)
			return fail("the host asks for part %u of %u of another token than this "
				    "one (it changed since part 1 was sent?): start again",
				    k, parts);
	} else if ((parts = pj_parts_count(n, (size_t)max)) == 1) {
		return print_line(tok, n);
	} else if (parts == 0) {
		return fail("the token is %zu bytes: more than %d parts of %ld bytes", n,
			    PJ_PARTS_MAX, max);
	}
	long len = pj_parts_format(tok, n, k, parts, part, sizeof(part));
	if (len < 0)
		fail("cannot make part %u of %u of a %zu-byte token", k, parts, n);
	else if (len > max)
		fail("note: part %u of %u is %ld bytes, more than the %ld the asking program "
		     "passes on",
		     k, parts, len, max);
	if (len >= 0)
		rc = print_line(part, (size_t)len);
	wipe(part, sizeof(part));
	return rc;
}

/* --parts [MAX]: every part on a line of its own, for a person to paste at
 * the prompts (line K at "JWT part K of N"). */
static int print_parts(const char *arg, char *tok, size_t n)
{
	static char part[MAX_TOKEN + PJ_PARTS_HEADER_MAX + 2];
	char *end = NULL;
	long max = arg ? strtol(arg, &end, 10) : answer_max();
	if (!arg && max < 0)
		return -1;
	if (arg && (*end || max < ANSWER_MIN || max > MAX_TOKEN))
		return fail("--parts: MAX must be a number of bytes from %d to %d", ANSWER_MIN,
			    MAX_TOKEN);
	unsigned parts = pj_parts_count(n, (size_t)max);
	if (parts == 0)
		return fail("the token is %zu bytes: more than %d parts of %ld bytes", n,
			    PJ_PARTS_MAX, max);
	if (parts == 1)
		return print_line(tok, n);
	int rc = 0;
	for (unsigned k = 1; k <= parts && rc == 0; k++) {
		long len = pj_parts_format(tok, n, k, parts, part, sizeof(part));
		rc = len < 0 ? -1 : print_line(part, (size_t)len);
	}
	wipe(part, sizeof(part));
	return rc;
}

int main(int argc, char **argv)
{
	static char buf[MAX_TOKEN + 2];
	const char *prompt = argc > 1 ? argv[1] : "";
	const char *file = getenv("PAM_JWT_TOKEN_FILE"), *cmd = getenv("PAM_JWT_TOKEN_COMMAND");
	const char *kind = getenv("SSH_ASKPASS_PROMPT");
	int parts_mode = argc > 1 && strcmp(argv[1], "--parts") == 0;
	ssize_t got;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: SSH_ASKPASS=%s SSH_ASKPASS_REQUIRE=force ssh HOST\n"
		       "       SUDO_ASKPASS=%s sudo -A COMMAND\n"
		       "       %s --parts [MAX]\n"
		       "Prints the JWT in $PAM_JWT_TOKEN_FILE (mode 0600, yours), or else the\n"
		       "output of $PAM_JWT_TOKEN_COMMAND (run by /bin/sh, the prompt as $1),\n"
		       "or else the token pam_jwt-login gets for the host or service asking;\n"
		       "a token longer than the asking program passes on goes in parts.\n"
		       "--parts prints every part of the token (from those, or standard input)\n"
		       "on a line of its own, each at most MAX bytes, to paste at the prompts.\n",
		       prog, prog, prog);
		return 0;
	}
	if (parts_mode && argc > 3) {
		fail("usage: %s --parts [MAX]", prog);
		return 1;
	}
	/* ssh asks for a confirmation ("confirm") or shows a notice ("none"):
	 * neither wants a secret. */
	if (!parts_mode && kind && strcmp(kind, "none") == 0)
		return 0;
	if (!parts_mode && ((kind && strcmp(kind, "confirm") == 0) || strstr(prompt, "(yes/no"))) {
		fail("not answering a yes/no question: %s", prompt);
		return 1;
	}
	if (file && *file)
		got = from_file(file, buf);
	else if (cmd && *cmd)
		got = from_command(cmd, parts_mode ? "" : prompt, buf);
	else if (parts_mode)
		got = pj_read_upto(STDIN_FILENO, buf, MAX_TOKEN + 1);
	else
		got = from_login(prompt, buf);
	size_t n = got < 0 ? 0 : (size_t)got;
	int rc = 1;
	if (got >= 0 && token_shape(buf, &n) == 0) {
		long max = parts_mode ? 0 : answer_max();
		if (parts_mode)
			rc = print_parts(argc > 2 ? argv[2] : NULL, buf, n) == 0 ? 0 : 1;
		else if (max > 0)
			rc = answer(prompt, buf, n, max) == 0 ? 0 : 1;
	}
	wipe(buf, sizeof(buf));
	return rc;
}
