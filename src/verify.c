/* SPDX-License-Identifier: BSD-3-Clause */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "claims.h"
#include "config.h"
#include "feed.h"
#include "keys.h"
#include "provider.h"
#include "revocation.h"
#include "statuslist.h"
#include "store.h"
#include "token.h"
#include "usermap.h"
#include "util.h"

struct sig_ctx {
	const struct pj_token *t;
	pj_err last;  /* why the last candidate key did not verify */
	pj_err *keys; /* the verifying key came from a stale copy: says so */
};

static int try_key(const struct pj_key *key, void *arg, pj_err *e)
{
	struct sig_ctx *c = arg;
	(void)e;
	if (pj_sig_verify(c->t->alg, key, (const unsigned char *)c->t->signing_input,
			  c->t->signing_input_len, c->t->sig, c->t->sig_len, &c->last) != 0)
		return 0;
	if (key->stale)
		pj_fail(c->keys, "from a copy %ld s old; %s", key->stale_age,
			key->stale_why ? key->stale_why : "the identity provider is unreachable");
	return 1;
}

static int check_signature(const struct pj_config *cfg, const struct pj_token *t, const char *user,
			   enum pj_signer *signer, pj_err *keys, pj_err *e)
{
	struct sig_ctx c = { .t = t, .keys = keys };
	unsigned tried = 0;
	int rc = pj_keys_each(cfg, t->alg, t->kid, try_key, &c, &tried, e);
	*signer = PJ_SIGNER_ISSUER;
	if (rc == 0) {
		rc = pj_user_keys_each(cfg, user, t->alg, t->kid, try_key, &c, &tried, e);
		*signer = PJ_SIGNER_USER;
	}
	if (rc == 1)
		return 0;
	*signer = PJ_SIGNER_NONE;
	if (rc < 0)
		return -1;
	if (tried == 1)
		return pj_fail(e, "%s", c.last.msg);
	if (tried > 1)
		return pj_fail(e, "signature does not verify with any of %u candidate keys", tried);
	pj_err skipped = *e;
	const char *sep = skipped.msg[0] ? " (passed over " : "", *end = skipped.msg[0] ? ")" : "";
	if (t->kid) {
		char kid[80];
		pj_sanitize(kid, sizeof(kid), t->kid, strlen(t->kid));
		return pj_fail(e, "no configured key has kid \"%s\" for %s%s%s%s", kid,
			       pj_alg_name(t->alg), sep, skipped.msg, end);
	}
	return pj_fail(e, "no configured key fits %s%s%s%s", pj_alg_name(t->alg), sep, skipped.msg,
		       end);
}

/* The login a token is for: the PAM user, or (the tool without --user) the
 * name the username rule gives, for revocation's user lines. */
static const char *login_name(const struct pj_config *cfg, json_t *claims, const char *user,
			      char *buf, size_t n)
{
	pj_err e;
	if (user)
		return user;
	return pj_claims_username(cfg, claims, buf, n, &e) == 0 ? buf : NULL;
}

/* Who may log in with the token: the one the provider's username rule names
 * (username_claim, username_domain, username_case), or whom a user_map line
 * gives it (*map_line: that line).  The map is read whenever it is set, so
 * that a malformed line refuses every login, as it says it will.  A token of
 * the user's own key (user_jwks_file) is the user's word: the map never
 * rests on it. */
static int bind_user(const struct pj_config *top, const struct pj_config *p, json_t *claims,
		     const char *user, int user_key, unsigned *map_line, pj_err *e)
{
	char name[PJ_LOGIN_NAME_MAX + 1];
	const char *claim = p->username_claim ? p->username_claim : "sub";
	struct pj_usermap *m = NULL;
	pj_err why;
	*map_line = 0;
	/* The map names providers: it is read against the whole configuration. */
	if (top->user_map && pj_usermap_load(top, &m, e) != 0)
		return -1;
	int rc = pj_claims_username(p, claims, name, sizeof(name), &why);
	if (rc == 0 && strcmp(name, user) == 0) {
		pj_usermap_free(m);
		return 0;
	}
	if (rc == 0)
		pj_fail(&why, "token is for another user (%s does not match)", claim);
	else if (rc > 0)
		pj_fail(&why, "username_claim is none");
	if (m && !user_key)
		*map_line = pj_usermap_grants(m, pj_provider_name(p), user, claims);
	pj_usermap_free(m);
	if (*map_line)
		return 0;
	if (!p->user_map)
		return pj_fail(e, "%s%s", why.msg,
			       rc > 0 ? ": only user_map gives this provider's tokens an account"
				      : "");
	if (user_key)
		return pj_fail(e, "%s (user_map never applies to the user's own key)", why.msg);
	return pj_fail(e, "%s and no user_map line gives this token the account", why.msg);
}

/* Anyone holding an ECDSA token can turn s into n - s and get another valid
 * token: a token listed by its hash must be recognised in both forms. */
static int twin_name(const struct pj_token *t, char *out, size_t outn)
{
	unsigned char twin[2 * 66];
	char *b64 = NULL, *tok = NULL;
	int rc = -1;
	if (t->sig_len > sizeof(twin) || pj_ecdsa_twin(t->alg, t->sig, t->sig_len, twin) != 0 ||
	    !(b64 = pj_b64url_encode(twin, t->sig_len)) ||
	    asprintf(&tok, "%.*s.%s", (int)t->signing_input_len, t->signing_input, b64) < 0)
		tok = NULL;
	else
		rc = pj_token_name(NULL, tok, strlen(tok), out, outn);
	/* tok is a complete token that verifies like the one typed in. */
	OPENSSL_cleanse(twin, sizeof(twin));
	pj_free_secret(b64, b64 ? strlen(b64) : 0);
	pj_free_secret(tok, tok ? strlen(tok) : 0);
	return rc;
}

/* The names a token is listed under: its jti or hash, and for an ECDSA
 * token listed by hash its twin's hash (alt, "" when none). */
static int token_names(const struct pj_token *t, const char *token, size_t n, char *name, char *alt,
		       size_t size, pj_err *e)
{
	alt[0] = 0;
	if (pj_token_name(t->claims, token, n, name, size) != 0)
		return pj_fail(e, "cannot name the token for revocation");
	if (strncmp(name, "sha256:", 7) == 0 && pj_alg_kty(t->alg) == PJ_KTY_EC &&
	    twin_name(t, alt, size) != 0)
		return pj_fail(e, "cannot name the token for revocation");
	return 0;
}

static const char *revocation_path(const struct pj_config *cfg)
{
	return cfg->revocation_file ? cfg->revocation_file : PJ_DEFAULT_REVOCATION_FILE;
}

/* The revocation file, then the allowlist: at login and again at account
 * management (pj_grant_check).  seen (may be NULL) gets what was read of
 * each; a list whose file still shows what `skip` saw cannot say anything
 * new and is not read again. */
static int check_revoked(const struct pj_config *cfg, const struct pj_revquery *q,
			 enum pj_signer signer, struct pj_seen *seen, const struct pj_seen *skip,
			 pj_err *e)
{
	const char *rev = revocation_path(cfg);
	struct pj_seen none;
	if (!seen)
		seen = &none;
	memset(seen, 0, sizeof(*seen));
	if (!(skip && strcmp(skip->rev_path, rev) == 0 && pj_stamp_unchanged(rev, &skip->rev)) &&
	    pj_revocation_lookup(rev, cfg->revocation_file != NULL, cfg->allowed_uid, q, &seen->rev,
				 e) != 0)
		return -1;
	snprintf(seen->rev_path, sizeof(seen->rev_path), "%s", rev);
	/* The fleet's feed, applied beside the local file: both count. */
	if (pj_feed_check(cfg, q, e) != 0)
		return -1;
	if (!cfg->allowlist_file)
		return 0;
	/* The allowlist registers tokens the identity provider issued; a user's
	 * own key signs any jti (a listed one copied from the world-readable
	 * allowlist too), so its tokens never match. */
	if (signer == PJ_SIGNER_USER)
		return pj_fail(e,
			       "allowlist_file is set and the token is signed with the user's "
			       "own key (user_jwks_file): per-user keys never match the allowlist");
	if (!(skip && strcmp(skip->allow_path, cfg->allowlist_file) == 0 &&
	      pj_stamp_unchanged(cfg->allowlist_file, &skip->allow)) &&
	    pj_allowlist_lookup(cfg->allowlist_file, cfg->allowed_uid, q->name, &seen->allow, e) !=
		    0)
		return -1;
	snprintf(seen->allow_path, sizeof(seen->allow_path), "%s", cfg->allowlist_file);
	return 0;
}

/* The one-time record keeps a use while the token could still be accepted:
 * until its exp plus leeway (-1: no exp, kept for ever). */
static long long onetime_until(const struct pj_config *cfg, json_t *exp)
{
	/* Casting a double beyond long long is undefined: no bound, no exp. */
	double x = json_number_value(exp);
	if (!json_is_number(exp) || !(x >= 0 && x < 1e18))
		return -1;
	long long t = (long long)x;
	t += (double)t < x; /* a fractional exp rounds up */
	return t + cfg->leeway;
}

/* Revocation, the allowlist and one-time use: only for tokens that passed
 * everything else, so that nothing unverified is ever recorded. */
static int check_lists(const struct pj_config *cfg, const struct pj_token *t, const char *token,
		       size_t n, const char *user, enum pj_signer signer, time_t now,
		       struct pj_seen *seen, pj_err *e)
{
	char name[PJ_NAME_MAX + 1], alt[PJ_NAME_MAX + 1];
	json_t *claims = t->claims, *iat = json_object_get(claims, "iat");
	char buf[PJ_LOGIN_NAME_MAX + 1];
	struct pj_revquery q = { .name = name,
				 .user = login_name(cfg, claims, user, buf, sizeof(buf)),
				 .has_iat = json_is_number(iat),
				 .iat = json_number_value(iat) };
	if (token_names(t, token, n, name, alt, sizeof(name), e) != 0)
		return -1;
	q.alt_name = alt[0] ? alt : NULL;
	if (check_revoked(cfg, &q, signer, seen, NULL, e) != 0)
		return -1;
	if (!cfg->one_time)
		return 0;
	if (strncmp(name, "sha256:", 7) == 0)
		return pj_fail(e, "one_time is set and the token has no usable jti");
	return pj_onetime_use(cfg->one_time_file ? cfg->one_time_file : PJ_DEFAULT_ONE_TIME_FILE,
			      cfg->allowed_uid, name,
			      onetime_until(cfg, json_object_get(claims, "exp")), !cfg->no_record,
			      now, e);
}

/* The checks after parsing, in order; the first refusal decides.  cfg is the
 * provider that judges (top: the whole configuration, for the user map). */
static enum pj_stage judge(const struct pj_config *top, const struct pj_config *cfg,
			   const struct pj_token *t, const char *token, size_t n, const char *user,
			   time_t now, struct pj_result *r)
{
	if (check_signature(cfg, t, user, &r->signer, &r->keys, &r->reason) != 0)
		return PJ_STAGE_SIGNATURE;
	r->verified = 1;
	int user_key = r->signer == PJ_SIGNER_USER;
	if (pj_claims_basic(cfg, r->header, r->claims, now, &r->reason) != 0 ||
	    (user &&
	     bind_user(top, cfg, r->claims, user, user_key, &r->map_line, &r->reason) != 0) ||
	    pj_claims_rules(cfg, r->claims, user_key, &r->reason) != 0)
		return PJ_STAGE_CLAIMS;
	/* The token verified: only now is its status list looked at (and
	 * perhaps fetched), with the keys of the provider that verified it. */
	if (pj_status_check(cfg, r->claims, now, &r->reason) != 0)
		return PJ_STAGE_REVOKED;
	if (check_lists(cfg, t, token, n, user, r->signer, now, &r->seen, &r->reason) != 0)
		return PJ_STAGE_REVOKED;
	return PJ_STAGE_OK;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int refuse(struct pj_result *r, enum pj_stage stage)
{
	r->stage = stage;
	return -1;
}

/* Pasted tokens often carry a newline or spaces; a JWT never has them. */
static void trim(const char **token, size_t *n)
{
	while (*n && is_space((*token)[0]))
		(*token)++, (*n)--;
	while (*n && is_space((*token)[*n - 1]))
		(*n)--;
}

int pj_token_listing(const char *input, size_t n, char *name, char *alt, size_t size,
		     long long *exp, pj_err *e)
{
	struct pj_token t;
	trim(&input, &n);
	if (n > PJ_MAX_TOKEN)
		return pj_fail(e, "%zu bytes, over the %d-byte limit of a token", n, PJ_MAX_TOKEN);
	/* Exactly one compact JWS: anything else (a stray character, a second
	 * token) would be listed under a name no login ever computes. */
	if (!pj_token_shaped(input, n))
		return pj_fail(e, "not one compact JWS (three base64url parts and nothing else)");
	int rc = pj_token_parse(input, n, PJ_ALGS_ALL, &t, e);
	if (rc == 0)
		rc = token_names(&t, input, n, name, alt, size, e);
	if (rc == 0) {
		json_t *x = json_object_get(t.claims, "exp");
		double v = json_number_value(x);
		/* Casting a double beyond long long is undefined: no bound, no EXP. */
		*exp = json_is_number(x) && v >= 0 && v < 1e18 ? (long long)v : -1;
		if (*exp >= 0 && (double)*exp < v)
			(*exp)++;
	}
	pj_token_free(&t);
	return rc;
}

int pj_verify(const struct pj_config *cfg, const char *token, size_t n, const char *user,
	      time_t now, struct pj_result *r)
{
	memset(r, 0, sizeof(*r));
	trim(&token, &n);
	/* Only a JWT's length is told: a password's says something about it. */
	if (n > PJ_MAX_TOKEN && (pj_token_shaped(token, n) || pj_token_prefix(token, n))) {
		pj_fail(&r->reason, "input is %zu bytes, over the %d-byte limit", n, PJ_MAX_TOKEN);
		return refuse(r, PJ_STAGE_PARSE);
	}
	if (n > PJ_MAX_TOKEN || !pj_token_shaped(token, n)) {
		/* The start of a token cut before its second dot is still no
		 * password: call it what it is, so the log can say it was cut. */
		if (pj_token_prefix(token, n)) {
			pj_fail(&r->reason, "token has fewer than three parts (cut short?)");
			return refuse(r, PJ_STAGE_PARSE);
		}
		pj_fail(&r->reason, "input is not a JWT");
		return refuse(r, PJ_STAGE_NOT_TOKEN);
	}
	struct pj_token t;
	int rc = pj_token_parse(token, n, pj_provider_algorithms(cfg), &t, &r->reason);
	r->header = json_incref(t.header);
	r->claims = json_incref(t.claims);
	if (rc != 0) {
		pj_token_free(&t);
		return refuse(r, PJ_STAGE_PARSE);
	}
	/* From here on one provider judges, with its keys and rules only: the
	 * one its (yet unverified) iss names.  Without sections, cfg itself. */
	const struct pj_config *p = pj_provider_select(cfg, t.claims, &r->reason);
	if (!p) {
		pj_token_free(&t);
		return refuse(r, PJ_STAGE_SIGNATURE);
	}
	snprintf(r->provider, sizeof(r->provider), "%s", pj_provider_label(p));
	if (!(p->algorithms & PJ_ALG_BIT(t.alg))) {
		pj_fail(&r->reason, "algorithm %s is not allowed by configuration",
			pj_alg_name(t.alg));
		pj_token_free(&t);
		return refuse(r, PJ_STAGE_PARSE);
	}
	r->stage = judge(cfg, p, &t, token, n, user, now, r);
	pj_token_free(&t);
	return r->stage == PJ_STAGE_OK ? 0 : -1;
}

void pj_result_free(struct pj_result *r)
{
	json_decref(r->header);
	json_decref(r->claims);
	memset(r, 0, sizeof(*r));
}

/* ---- after the login: account management and the session ---- */

struct pj_grant *pj_grant_new(const char *token, size_t n, const char *user,
			      const struct pj_result *r)
{
	struct pj_token t;
	struct pj_grant *g = NULL;
	char name[PJ_NAME_MAX + 1], alt[PJ_NAME_MAX + 1];
	pj_err e;
	if (r->stage != PJ_STAGE_OK || !user)
		return NULL;
	/* The same trimming as pj_verify, so the hash names match its own. */
	trim(&token, &n);
	/* Parsed again for the names only: pj_verify checked everything else,
	 * and keeping its parse would keep the token (a credential) around. */
	if (pj_token_parse(token, n, PJ_ALGS_ALL, &t, &e) == 0 &&
	    token_names(&t, token, n, name, alt, sizeof(name), &e) == 0 &&
	    (g = calloc(1, sizeof(*g)))) {
		json_t *iat = json_object_get(t.claims, "iat");
		json_t *exp = json_object_get(t.claims, "exp");
		g->has_iat = json_is_number(iat);
		g->iat = json_number_value(iat);
		g->has_exp = json_is_number(exp);
		g->exp = json_number_value(exp);
		g->claims = json_incref(r->claims);
		g->signer = r->signer;
		snprintf(g->provider, sizeof(g->provider), "%s", r->provider);
		g->user = strdup(user);
		g->name = strdup(name);
		g->alt_name = alt[0] ? strdup(alt) : NULL;
		g->seen = r->seen;
		if (!g->user || !g->name || (alt[0] && !g->alt_name)) {
			pj_grant_free(g);
			g = NULL;
		}
	}
	pj_token_free(&t);
	return g;
}

int pj_grant_check(const struct pj_config *cfg, const struct pj_grant *g, const char *user,
		   time_t now, pj_err *e)
{
	if (!user || strcmp(user, g->user) != 0)
		return pj_fail(e, "the user changed after authentication");
	/* Judged again by the provider that accepted it (its leeway). */
	const struct pj_config *p = pj_provider_find(cfg, g->provider);
	if (!p)
		return pj_fail(e, "the login's provider %s%s%s is not configured for this service",
			       g->provider[0] ? "\"" : "", g->provider[0] ? g->provider : "(none)",
			       g->provider[0] ? "\"" : "");
	cfg = p;
	if (g->has_exp && (double)now >= g->exp + (double)cfg->leeway)
		return pj_fail(e, "token expired %.0f s ago, after authentication",
			       (double)now - g->exp);
	struct pj_revquery q = { .name = g->name,
				 .alt_name = g->alt_name,
				 .user = g->user,
				 .has_iat = g->has_iat,
				 .iat = g->iat };
	if (check_revoked(cfg, &q, g->signer, NULL, &g->seen, e) != 0)
		return -1;
	/* Suspended or revoked in its status list since the login? */
	return pj_status_check(cfg, g->claims, now, e);
}

void pj_grant_free(struct pj_grant *g)
{
	if (!g)
		return;
	json_decref(g->claims);
	free(g->user);
	free(g->name);
	free(g->alt_name);
	free(g);
}
