/* SPDX-License-Identifier: BSD-3-Clause */
/* export_claims: verified claims as environment variables for the session
 * (JWT_SUB=alice), so that sessions and audit logs know who came in.  No PAM
 * here: pam_jwt.c hands the results to pam_putenv. */
#ifndef PJ_SESSION_H
#define PJ_SESSION_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct pj_config;

#define PJ_EXPORT_PREFIX "JWT_"
/* The longest value exported; longer values are left out, never cut. */
#define PJ_EXPORT_VALUE_MAX 4096

/* "JWT_" and the claim name upper-cased, every byte other than A-Z, 0-9 and
 * '_' turned into '_' ("https://example.com/roles" gives
 * JWT_HTTPS___EXAMPLE_COM_ROLES).  -1 when it does not fit in outn. */
int pj_export_name(const char *claim, char *out, size_t outn);

/* The claim's value as it goes into the environment: a string as it is, a
 * number in decimal, true/false, an array of those joined with commas.  A
 * value that cannot be shown exactly is not exported at all (-1, e says why):
 * control characters (C0, DEL, C1, U+2028/9: no line breaks, no terminal
 * escapes), a comma inside an array member, null, objects, nested arrays,
 * more than PJ_EXPORT_VALUE_MAX bytes.  A wrong value is worse than none: a
 * list cut short, or "a\nb" shown as "a_b", could name another group. */
int pj_export_value(json_t *v, char *out, size_t outn, pj_err *e);

/* For each claim named in export_claims, in order: fn(var, value, claim, why,
 * ctx) with var "JWT_...", and value NULL when the variable must be unset
 * (claims NULL: unset them all; the claim absent; or not exportable, then why
 * says so).  Two claims that map to the same variable: the second is left out.
 * user_key: the claims were signed with the user's own key (user_jwks_file);
 * they are the user's word, not the identity provider's, and none is
 * exported (why says so), lest scripts and audit logs take them for the
 * provider's.  Stops at the first fn that returns non-zero and returns that. */
typedef int (*pj_export_fn)(const char *var, const char *value, const char *claim, const char *why,
			    void *ctx);
int pj_export_each(const struct pj_config *cfg, json_t *claims, int user_key, pj_export_fn fn,
		   void *ctx);

#endif
