/* SPDX-License-Identifier: BSD-3-Clause */
#include "claims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* RFC 7519 NumericDate: a JSON number, never a string. */
static int numeric_date(json_t *claims, const char *name, int *present, double *out, pj_err *e)
{
	json_t *v = json_object_get(claims, name);
	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_number(v))
		return pj_fail(e, "claim %s is not a number", name);
	*out = json_number_value(v);
	if (!isfinite(*out))
		return pj_fail(e, "claim %s is not a finite number", name);
	return 0;
}

static int check_required(const struct pj_config *cfg, json_t *claims, pj_err *e)
{
	for (size_t i = 0; i < cfg->require.n; i++)
		if (!json_object_get(claims, cfg->require.v[i]))
			return pj_fail(e, "required claim %s is missing", cfg->require.v[i]);
	return 0;
}

static int check_times(const struct pj_config *cfg, json_t *claims, time_t now, pj_err *e)
{
	int has_exp, has_nbf, has_iat;
	double exp = 0, nbf = 0, iat = 0, t = (double)now, lw = (double)cfg->leeway;
	if (numeric_date(claims, "exp", &has_exp, &exp, e) != 0 ||
	    numeric_date(claims, "nbf", &has_nbf, &nbf, e) != 0 ||
	    numeric_date(claims, "iat", &has_iat, &iat, e) != 0)
		return -1;
	/* RFC 7519 4.1.4: the current time must be before exp. */
	if (has_exp && t >= exp + lw)
		return pj_fail(e, "token expired %.0f s ago", t - exp);
	if (has_nbf && t + lw < nbf)
		return pj_fail(e, "token not valid for another %.0f s (nbf)", nbf - t);
	if (has_iat && iat > t + lw)
		return pj_fail(e, "token issued %.0f s in the future (iat)", iat - t);
	if (cfg->max_age > 0) {
		if (!has_iat)
			return pj_fail(e, "max_age is set and the token has no iat");
		if (t - iat > (double)cfg->max_age + lw)
			return pj_fail(e, "token issued %.0f s ago, over max_age %ld", t - iat,
				       cfg->max_age);
	}
	if (cfg->max_lifetime > 0) {
		if (!has_iat || !has_exp)
			return pj_fail(e, "max_lifetime is set and the token lacks iat or exp");
		if (exp - iat > (double)cfg->max_lifetime)
			return pj_fail(e, "token lifetime %.0f s is over max_lifetime %ld",
				       exp - iat, cfg->max_lifetime);
	}
	return 0;
}

static int in_list(const struct pj_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* A string without NUL (jansson refuses NUL already; this keeps the rule
 * here, where it belongs, should the parser flags ever change). */
static const char *plain_string(json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	const char *s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : NULL;
}

static int check_issuer(const struct pj_config *cfg, json_t *claims, pj_err *e)
{
	if (cfg->issuer.n == 0)
		return 0;
	json_t *v = json_object_get(claims, "iss");
	if (!v)
		return pj_fail(e, "token has no iss, issuer is configured");
	const char *iss = plain_string(v);
	if (!iss)
		return pj_fail(e, "claim iss is not a string");
	if (!in_list(&cfg->issuer, iss)) {
		char shown[100];
		pj_sanitize(shown, sizeof(shown), iss, strlen(iss));
		return pj_fail(e, "issuer \"%s\" is not accepted", shown);
	}
	return 0;
}

static int check_audience(const struct pj_config *cfg, json_t *claims, pj_err *e)
{
	if (cfg->audience.n == 0)
		return 0;
	json_t *v = json_object_get(claims, "aud");
	if (!v)
		return pj_fail(e, "token has no aud, audience is configured");
	if (json_is_string(v)) {
		const char *aud = plain_string(v);
		if (aud && in_list(&cfg->audience, aud))
			return 0;
		return pj_fail(e, "audience does not match");
	}
	if (!json_is_array(v))
		return pj_fail(e, "claim aud is neither a string nor an array");
	size_t i;
	json_t *m;
	int match = 0;
	/* Every member is checked, so a malformed array is refused whatever its
	 * order, not only when the bad member comes before a match. */
	json_array_foreach (v, i, m) {
		const char *aud = plain_string(m);
		if (!aud)
			return pj_fail(e, "claim aud has a member that is not a string");
		match |= in_list(&cfg->audience, aud);
	}
	return match ? 0 : pj_fail(e, "audience does not match");
}

/* Media types are case-insensitive and "application/" may be left out
 * (RFC 7515 4.1.9). */
static const char *media_subtype(const char *t)
{
	return pj_ascii_ncasecmp(t, "application/", 12) == 0 ? t + 12 : t;
}

static int check_typ(const struct pj_config *cfg, json_t *header, pj_err *e)
{
	if (!cfg->typ || !*cfg->typ)
		return 0;
	const char *typ = plain_string(json_object_get(header, "typ"));
	if (!typ)
		return pj_fail(e, "token has no typ, typ %s is required", cfg->typ);
	if (pj_ascii_ncasecmp(media_subtype(typ), media_subtype(cfg->typ), SIZE_MAX) != 0)
		return pj_fail(e, "typ does not match, %s is required", cfg->typ);
	return 0;
}

static int check_user(const struct pj_config *cfg, json_t *claims, const char *user, pj_err *e)
{
	const char *name = cfg->username_claim ? cfg->username_claim : "sub";
	json_t *v = json_object_get(claims, name);
	if (!v)
		return pj_fail(e, "token has no %s claim to match the user", name);
	if (!json_is_string(v))
		return pj_fail(e, "claim %s is not a string", name);
	const char *s = plain_string(v);
	if (!s)
		return pj_fail(e, "claim %s has a NUL byte", name);
	if (strcmp(s, user) != 0)
		return pj_fail(e, "token is for another user (%s does not match)", name);
	return 0;
}

/* A scalar's text for require_claim: strings as they are, integers in
 * decimal, booleans as true/false.  Reals, null, objects match nothing. */
static int scalar_is(json_t *v, const char *value)
{
	char buf[32];
	if (json_is_string(v)) {
		const char *s = plain_string(v);
		return s && strcmp(s, value) == 0;
	}
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strcmp(buf, value) == 0;
	}
	if (json_is_boolean(v))
		return strcmp(json_is_true(v) ? "true" : "false", value) == 0;
	return 0;
}

/* Is value one of the space-separated words of s (an OAuth scope, RFC 6749
 * 3.3)?  Whole words only: "ssh:login" is not in "ssh:login-admin". */
static int has_word(const char *s, const char *value)
{
	size_t n = strlen(value);
	while (*s) {
		s += strspn(s, " ");
		size_t w = strcspn(s, " ");
		if (w == n && memcmp(s, value, n) == 0)
			return 1;
		s += w;
	}
	return 0;
}

/* The claim equals value, is an array with a member equal to it, or is a
 * space-separated string holding it as a word. */
static int claim_holds(json_t *v, const char *value)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach (v, i, m) {
			if (scalar_is(m, value))
				return 1;
		}
		return 0;
	}
	if (scalar_is(v, value))
		return 1;
	const char *s = plain_string(v);
	return s && has_word(s, value);
}

/* require_claim NAME=VALUE: authorization, so that a token for one purpose
 * (a web application) is not a token for another (root's sudo).  Only the
 * identity provider's word counts: whoever holds a per-user key signs any
 * groups they like. */
static int check_claim_rules(const struct pj_config *cfg, json_t *claims, int user_key, pj_err *e)
{
	if (cfg->require_claim.n && user_key)
		return pj_fail(e,
			       "require_claim is set and the token is signed with the user's own "
			       "key (user_jwks_file): per-user keys authenticate, they never "
			       "satisfy require_claim");
	for (size_t i = 0; i < cfg->require_claim.n; i++) {
		const char *rule = cfg->require_claim.v[i], *eq = strchr(rule, '=');
		char name[PJ_CLAIM_NAME_MAX + 1], shown[100];
		size_t n = eq ? (size_t)(eq - rule) : 0;
		if (!eq || n >= sizeof(name))
			return pj_fail(e, "require_claim \"%.40s\" is malformed", rule);
		memcpy(name, rule, n);
		name[n] = 0;
		json_t *v = json_object_get(claims, name);
		pj_sanitize(shown, sizeof(shown), eq + 1, strlen(eq + 1));
		if (!v)
			return pj_fail(e, "token has no %s claim, require_claim %s=%s", name, name,
				       shown);
		if (!claim_holds(v, eq + 1))
			return pj_fail(e, "claim %s does not hold \"%s\" (require_claim)", name,
				       shown);
	}
	return 0;
}

int pj_claims_check(const struct pj_config *cfg, json_t *header, json_t *claims, const char *user,
		    int user_key, time_t now, pj_err *e)
{
	if (check_required(cfg, claims, e) != 0 || check_times(cfg, claims, now, e) != 0 ||
	    check_issuer(cfg, claims, e) != 0 || check_audience(cfg, claims, e) != 0 ||
	    check_typ(cfg, header, e) != 0)
		return -1;
	if (user && check_user(cfg, claims, user, e) != 0)
		return -1;
	return check_claim_rules(cfg, claims, user_key, e);
}
