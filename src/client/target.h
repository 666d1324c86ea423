/* SPDX-License-Identifier: BSD-3-Clause */
/* Which host or service a prompt comes from.  OpenSSH (verified with 9.2p1)
 * hands its askpass "(USER@HOST) PROMPT" for keyboard-interactive and
 * "USER@HOST's password: " for the password method, HOST being the HostName
 * it connects to (or HostKeyAlias when set), and nothing in the environment;
 * the "(USER@HOST) " prefix is the client's own, what follows is the
 * server's.  sudo hands it PAM's prompt ("JWT: ") or its own
 * ("[sudo] password for USER: "), so sudo is known by the process asking. */
#ifndef PJ_CLIENT_TARGET_H
#define PJ_CLIENT_TARGET_H

#include <stddef.h>

#include "err.h"

#define PJ_TARGET_MAX 256

/* caller: the asking process's name (/proc/PID/comm), NULL when unknown.
 * Fills name (a host, or "sudo") and *service. */
int pj_target_from_prompt(const char *prompt, const char *caller, char *name, size_t n,
			  int *service, pj_err *e);

/* A host or service name as a target: printable ASCII without spaces,
 * slashes or pattern characters. */
int pj_target_name_ok(const char *name);

#endif
