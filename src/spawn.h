/* SPDX-License-Identifier: BSD-3-Clause */
/* Running a helper program from inside a PAM application, in the spirit of
 * pam_unix's unix_chkpwd: the host (sshd, sudo, su, ...) may be setuid and
 * its environment, umask, descriptors, signal dispositions and mask,
 * resource limits and working directory belong to whoever invoked it, so the
 * child inherits none of them:
 *   - the program is a fixed absolute path, opened and checked (a regular,
 *     executable file of root or allowed_uid, not writable by group or
 *     others) and executed from that descriptor (execveat), so what was
 *     checked is what runs;
 *   - argv and envp are built before the child exists; envp holds only
 *     PATH=/usr/bin:/bin, LANG=C and LC_ALL=C, nothing inherited;
 *   - in the child, async-signal-safe calls only: stdin and stderr on
 *     /dev/null, stdout the pipe, every other descriptor closed, every signal
 *     disposition default and the mask empty, cwd "/", umask 022, no core
 *     dumps; when the host is root, real = effective ids (root, no
 *     supplementary groups) and sane limits for the rest; otherwise real and
 *     saved ids made equal to the effective ones;
 *   - the host's child is a keeper made by a raw clone whose exit signal is
 *     0, which never calls exec (exec would reset its exit signal to
 *     SIGCHLD); the program runs in the keeper's own child (vfork + exec),
 *     whose end the keeper hands back unchanged (exit status, or death by
 *     the same signal).  So the host's SIGCHLD handler never runs because of
 *     us, its wait(-1) calls never take our child, and its SIGCHLD
 *     disposition is left alone (SIG_IGN included).  Keeper and program
 *     have their own process group, which the terminal's ^C or ^Z meant
 *     for the host does not reach;
 *   - the parent never writes to the child (no SIGPIPE) and reads at most
 *     out_max bytes; at deadline_ms it stops the keeper (SIGTERM: the keeper
 *     SIGKILLs and reaps the program), then reaps it, with SIGKILL to both
 *     should that take more than a second: no zombie, no orphan, nothing
 *     blocks past the deadline (plus that second at worst).
 * Nothing here is global: two PAM handles may spawn at once. */
#ifndef PJ_SPAWN_H
#define PJ_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct pj_spawn {
	const char *path;	 /* absolute */
	uid_t allowed_uid;	 /* besides root, who may own it ((uid_t)-1: none) */
	const char *const *argv; /* argv[0] included, NULL-terminated */
	long long deadline_ms;	 /* on pj_clock_ms(): killed when still running */
	size_t out_max;		 /* more on its stdout is refused */
};

/* CLOCK_MONOTONIC in milliseconds: the clock of deadlines. */
long long pj_clock_ms(void);

/* The child could not be asked for its status (another waiter reaped it);
 * its output, if complete by the caller's rules, is all there is. */
#define PJ_SPAWN_EXIT_UNKNOWN (-1)
/* The statuses of a child that never became the program (the shell's
 * convention); with no output they are reported as such, not as the
 * program's own, so programs run here should not use them. */
#define PJ_SPAWN_EXIT_SETUP 126
#define PJ_SPAWN_EXIT_EXEC  127

/* Runs the program to its end.  0: it exited (*exit_code, or
 * PJ_SPAWN_EXIT_UNKNOWN) and *out holds its stdout (malloc'ed, *outn bytes,
 * NUL after them).  -1 with e filled: it could not be started, was killed at
 * the deadline, died of a signal or wrote more than out_max bytes (*out is
 * then NULL). */
int pj_spawn_run(const struct pj_spawn *s, char **out, size_t *outn, int *exit_code, pj_err *e);

#endif
