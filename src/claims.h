/* SPDX-License-Identifier: BSD-3-Clause */
/* exp/nbf/iat with leeway, iss, aud, typ, required claims, user binding. */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <jansson.h>
#include <time.h>

#include "err.h"

struct pj_config;

/* user NULL skips the user binding (the tool's verify without --user).
 * user_key: the token was signed with the user's own key (user_jwks_file),
 * so its claims are the user's word: it never satisfies require_claim. */
int pj_claims_check(const struct pj_config *cfg, json_t *header, json_t *claims, const char *user,
		    int user_key, time_t now, pj_err *e);

#endif
