/* SPDX-License-Identifier: BSD-3-Clause */
/* The decision line: user, outcome, reason, jti/kid/iss/sub; never the token. */
#ifndef PJ_LOG_H
#define PJ_LOG_H

#include <stddef.h>

struct pj_result;

/* Formats the line into buf; len is the input's length (for the truncation
 * hint); parts is the number of parts it came in (0: one answer, no parts),
 * shown as parts=N.  Nothing of the input itself is written. */
void pj_log_decision(char *buf, size_t bufn, const char *user, size_t len, unsigned parts,
		     const struct pj_result *r);

/* The line for a later phase (account, session): "user=U phase=P
 * outcome=O reason=\"R\"", user and reason made safe the same way. */
void pj_log_phase(char *buf, size_t bufn, const char *user, const char *phase, const char *outcome,
		  const char *reason);

#endif
