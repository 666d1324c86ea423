/* SPDX-License-Identifier: BSD-3-Clause */
/* exp/nbf/iat with leeway, iss, aud, typ, required claims, user binding. */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <jansson.h>
#include <time.h>

#include "err.h"

struct pj_config;

/* user NULL skips the user binding (the tool's verify without --user). */
int pj_claims_check(const struct pj_config *cfg, json_t *header, json_t *claims, const char *user,
		    time_t now, pj_err *e);

#endif
