/* SPDX-License-Identifier: BSD-3-Clause */
/* exp/nbf/iat with leeway, iss, aud, typ, required claims, the username rule
 * and require_claim; claim paths for nested claims. */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

struct pj_config;

/* The longest login name the username rule gives. */
#define PJ_LOGIN_NAME_MAX 256

/* A claim path: names separated by '.', each a member of the object before
 * it ("realm_access.roles" is claims.realm_access.roles).  A '.' that belongs
 * to a name is written "\." and a backslash "\\" ("https://example\.com/roles"
 * is the one claim of that name).  Printable ASCII without '=', at most
 * PJ_CLAIM_NAME_MAX bytes, no empty name, no other escape. */
int pj_claim_path_ok(const char *path, size_t n);
/* The claim at path (a valid one), or NULL when any step is missing or not
 * an object. */
json_t *pj_claim_get(json_t *claims, const char *path);

/* require_claim's rule, shared by user_map: the claim equals value (a string,
 * an integer in decimal, true/false), or is an array with a member equal to
 * it, or is a string of space-separated words holding it as one. */
int pj_claim_holds(json_t *v, const char *value);

/* Everything but the user binding and require_claim: the required claims,
 * exp/nbf/iat, max_age, max_lifetime, iss, aud, typ. */
int pj_claims_basic(const struct pj_config *cfg, json_t *header, json_t *claims, time_t now,
		    pj_err *e);

/* The login name the provider's username rule gives the token: the string
 * claim username_claim (default sub), with username_domain required and
 * stripped, username_case applied, and for an email claim a present
 * email_verified that must be true.  0 with out filled; 1 when the rule is
 * off (username_claim = none); -1 with e saying why the token names nobody. */
int pj_claims_username(const struct pj_config *cfg, json_t *claims, char *out, size_t outn,
		       pj_err *e);

/* require_claim.  user_key: the token was signed with the user's own key
 * (user_jwks_file), so its claims are the user's word: it never satisfies
 * require_claim. */
int pj_claims_rules(const struct pj_config *cfg, json_t *claims, int user_key, pj_err *e);

/* All of them in the pipeline's order, the user bound by the username rule
 * alone (user NULL: no binding; src/verify.c binds through user_map too). */
int pj_claims_check(const struct pj_config *cfg, json_t *header, json_t *claims, const char *user,
		    int user_key, time_t now, pj_err *e);

#endif
