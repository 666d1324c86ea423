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

/* ---- claim paths ---- */

int pj_claim_path_ok(const char *path, size_t n)
{
	size_t seg = 0;
	if (n == 0 || n > PJ_CLAIM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c <= 0x20 || c >= 0x7f || c == '=')
			return 0;
		if (c == '\\') {
			if (i + 1 >= n || (path[i + 1] != '.' && path[i + 1] != '\\'))
				return 0;
			i++;
			seg++;
		} else if (c == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else {
			seg++;
		}
	}
	return seg > 0;
}

/* The next name of a path into out (escapes undone); *p moves past it and
 * its dot.  0, or -1 when it does not fit. */
static int next_name(const char **p, char *out, size_t outn)
{
	size_t o = 0;
	const char *s = *p;
	for (; *s && *s != '.'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (o + 1 >= outn)
			return -1;
		out[o++] = *s;
	}
	out[o] = 0;
	*p = *s == '.' ? s + 1 : s;
	return 0;
}

json_t *pj_claim_get(json_t *claims, const char *path)
{
	char name[PJ_CLAIM_NAME_MAX + 1];
	json_t *v = claims;
	const char *p = path;
	/* Fast path: a plain name, as most are. */
	if (!strpbrk(path, ".\\"))
		return json_object_get(claims, path);
	while (*p) {
		if (!json_is_object(v) || next_name(&p, name, sizeof(name)) != 0)
			return NULL;
		v = json_object_get(v, name);
		if (!v)
			return NULL;
	}
	return v;
}

/* ---- the username rule ---- */

/* The claim email (Google, Okta, ...): a present email_verified must be
 * true, as the provider's own word that the address is its holder's. */
static int email_ok(const char *name, json_t *claims, pj_err *e)
{
	if (strcmp(name, "email") != 0)
		return 0;
	json_t *ev = json_object_get(claims, "email_verified");
	if (ev && !json_is_true(ev))
		return pj_fail(e, "email_verified is not true: an unverified email names nobody");
	return 0;
}

int pj_claims_username(const struct pj_config *cfg, json_t *claims, char *out, size_t outn,
		       pj_err *e)
{
	const char *name = cfg->username_claim ? cfg->username_claim : "sub";
	if (cfg->username_off)
		return 1;
	json_t *v = pj_claim_get(claims, name);
	if (!v)
		return pj_fail(e, "token has no %s claim to match the user", name);
	if (!json_is_string(v))
		return pj_fail(e, "claim %s is not a string", name);
	const char *s = plain_string(v);
	if (!s)
		return pj_fail(e, "claim %s has a NUL byte", name);
	if (email_ok(name, claims, e) != 0)
		return -1;
	size_t len = strlen(s);
	if (cfg->username_domain) {
		/* One domain, stripped: alice@corp.example is alice, and
		 * alice@other.example (another identity) is nobody.  The local
		 * part must hold no '@' of its own (a quoted one). */
		const char *at = strrchr(s, '@');
		if (!at || at == s || memchr(s, '@', (size_t)(at - s)) ||
		    pj_ascii_ncasecmp(at + 1, cfg->username_domain, SIZE_MAX) != 0)
			return pj_fail(e, "claim %s is not a name in %s (username_domain)", name,
				       cfg->username_domain);
		len = (size_t)(at - s);
	}
	if (len == 0 || len >= outn)
		return pj_fail(e, "claim %s is %s for a user name", name,
			       len ? "too long" : "empty");
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		/* Lowering ASCII only: Unicode case folding (the Kelvin sign
		 * folds to k) would let another name reach the account. */
		if (cfg->username_case == PJ_CASE_LOWER && (unsigned char)c >= 0x80)
			return pj_fail(e, "claim %s is not ASCII (username_case lower)", name);
		if (cfg->username_case == PJ_CASE_LOWER && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	out[len] = 0;
	return 0;
}

static int check_user(const struct pj_config *cfg, json_t *claims, const char *user, pj_err *e)
{
	char name[PJ_LOGIN_NAME_MAX + 1];
	int rc = pj_claims_username(cfg, claims, name, sizeof(name), e);
	if (rc > 0)
		return pj_fail(e, "username_claim is none: only user_map gives this provider's "
				  "tokens an account");
	if (rc < 0)
		return -1;
	if (strcmp(name, user) != 0)
		return pj_fail(e, "token is for another user (%s does not match)",
			       cfg->username_claim ? cfg->username_claim : "sub");
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

int pj_claim_holds(json_t *v, const char *value)
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
int pj_claims_rules(const struct pj_config *cfg, json_t *claims, int user_key, pj_err *e)
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
		json_t *v = pj_claim_get(claims, name);
		pj_sanitize(shown, sizeof(shown), eq + 1, strlen(eq + 1));
		if (!v)
			return pj_fail(e, "token has no %s claim, require_claim %s=%s", name, name,
				       shown);
		if (!pj_claim_holds(v, eq + 1))
			return pj_fail(e, "claim %s does not hold \"%s\" (require_claim)", name,
				       shown);
	}
	return 0;
}

int pj_claims_basic(const struct pj_config *cfg, json_t *header, json_t *claims, time_t now,
		    pj_err *e)
{
	if (check_required(cfg, claims, e) != 0 || check_times(cfg, claims, now, e) != 0 ||
	    check_issuer(cfg, claims, e) != 0 || check_audience(cfg, claims, e) != 0 ||
	    check_typ(cfg, header, e) != 0)
		return -1;
	return 0;
}

int pj_claims_check(const struct pj_config *cfg, json_t *header, json_t *claims, const char *user,
		    int user_key, time_t now, pj_err *e)
{
	if (pj_claims_basic(cfg, header, claims, now, e) != 0)
		return -1;
	if (user && check_user(cfg, claims, user, e) != 0)
		return -1;
	return pj_claims_rules(cfg, claims, user_key, e);
}
