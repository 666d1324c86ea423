/* SPDX-License-Identifier: BSD-3-Clause */
/* After the signature: require_claim (src/claims.c), the values export_claims
 * puts into the session (src/session.c), per-user key files (src/keys.c) and
 * the grant that account management checks again (src/verify.c). */
#include "unit.h"
#include "unit_token.h"
#include "unit_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "claims.h"
#include "config.h"
#include "keys.h"
#include "revocation.h"
#include "session.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

#define NOW 1700000000L

static json_t *json(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return j;
}

static int claims_ok(const struct pj_config *c, const char *claims, pj_err *e)
{
	json_t *h = json("{\"alg\":\"ES256\"}"), *cl = json(claims);
	e->msg[0] = 0;
	int rc = pj_claims_check(c, h, cl, NULL, 0, NOW, e);
	json_decref(h);
	json_decref(cl);
	return rc;
}

#define EXP "\"exp\":1700000300"
#define assert_holds(c, claims, e)                                                                 \
	do {                                                                                       \
		if (claims_ok((c), "{" EXP "," claims "}", &(e)) != 0)                             \
			fail_msg("refused %s: %s", claims, (e).msg);                               \
	} while (0)
#define assert_fails(c, claims, e, sub)                                                            \
	assert_fails_with(claims_ok((c), "{" EXP "," claims "}", &(e)), e, sub)

/* ---- require_claim ---------------------------------------------------- */

static void test_rule_forms(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, "require_claim", "scope=ssh:login", NULL);
	assert_holds(&c, "\"scope\":\"ssh:login\"", e);
	assert_holds(&c, "\"scope\":\"openid ssh:login email\"", e);
	assert_holds(&c, "\"scope\":\"  ssh:login  \"", e);
	assert_holds(&c, "\"scope\":[\"openid\",\"ssh:login\"]", e);
	assert_fails(&c, "\"scope\":\"ssh:login-admin\"", e, "does not hold \"ssh:login\"");
	assert_fails(&c, "\"scope\":\"openid ssh:log\"", e, "does not hold");
	assert_fails(&c, "\"scope\":\"SSH:LOGIN\"", e, "does not hold");
	assert_fails(&c, "\"scope\":\"ssh:login\\t\"", e, "does not hold");
	/* An array member is compared whole, never split into words. */
	assert_fails(&c, "\"scope\":[\"openid ssh:login\"]", e, "does not hold");
	assert_fails(&c, "\"scope\":[[\"ssh:login\"]]", e, "does not hold");
	assert_fails(&c, "\"scope\":{\"ssh:login\":true}", e, "does not hold");
	assert_fails(&c, "\"scope\":null", e, "does not hold");
	assert_fails(&c, "\"other\":\"ssh:login\"", e, "token has no scope claim");
	pj_config_free(&c);
}

static void test_rule_scalars(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, "require_claim", "email_verified=true", "require_claim", "level=3", NULL);
	assert_holds(&c, "\"email_verified\":true,\"level\":3", e);
	assert_holds(&c, "\"email_verified\":\"true\",\"level\":[1,3]", e);
	assert_fails(&c, "\"email_verified\":false,\"level\":3", e, "claim email_verified");
	assert_fails(&c, "\"email_verified\":true,\"level\":3.0", e, "claim level");
	assert_fails(&c, "\"email_verified\":true,\"level\":30", e, "claim level");
	pj_config_free(&c);
}

static void test_rules_all_hold(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	/* Repeated: every rule must hold, even for the same claim. */
	cfg_make(&c, "require_claim", "groups=wheel", "require_claim", "groups=ops",
		 "require_claim", "name=Ada Lovelace", "require_claim", "k=a=b", NULL);
	assert_holds(&c, "\"groups\":[\"ops\",\"wheel\"],\"name\":\"Ada Lovelace\",\"k\":\"a=b\"",
		     e);
	assert_fails(&c, "\"groups\":[\"wheel\"],\"name\":\"Ada Lovelace\",\"k\":\"a=b\"", e,
		     "claim groups does not hold \"ops\"");
	/* A value with a space matches the whole string (it cannot be a word). */
	assert_fails(&c, "\"groups\":[\"ops\",\"wheel\"],\"name\":\"Ada\",\"k\":\"a=b\"", e,
		     "claim name");
	assert_fails(&c, "\"groups\":[\"ops\",\"wheel\"],\"name\":\"Ada Lovelace\",\"k\":\"a\"", e,
		     "claim k");
	pj_config_free(&c);
}

static void test_rule_config(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	assert_fails_with(pj_config_set(&c, "require_claim", "groups", "t", &e), e, "NAME=VALUE");
	assert_fails_with(pj_config_set(&c, "require_claim", "=wheel", "t", &e), e, "NAME=VALUE");
	assert_fails_with(pj_config_set(&c, "require_claim", "groups=", "t", &e), e, "NAME=VALUE");
	assert_fails_with(pj_config_set(&c, "require_claim", "gr oups=x", "t", &e), e,
			  "NAME=VALUE");
	assert_fails_with(pj_config_set(&c, "require_claim", "groups=a\nb", "t", &e), e,
			  "control character");
	char longname[PJ_CLAIM_NAME_MAX + 8];
	memset(longname, 'n', PJ_CLAIM_NAME_MAX + 1);
	strcpy(longname + PJ_CLAIM_NAME_MAX + 1, "=v");
	assert_fails_with(pj_config_set(&c, "require_claim", longname, "t", &e), e, "NAME=VALUE");
	/* File values add up; arguments replace them (one rule per option). */
	c.layer = PJ_LAYER_FILE;
	assert_int_equal(pj_config_set(&c, "require_claim", "a=1, b=2", "t", &e), 0);
	assert_int_equal(pj_config_set(&c, "require_claim", "c=3", "t", &e), 0);
	assert_int_equal(c.require_claim.n, 2);
	assert_string_equal(c.require_claim.v[0], "a=1, b=2");
	c.layer = PJ_LAYER_ARGS;
	assert_int_equal(pj_config_set(&c, "require_claim", "d=4", "t", &e), 0);
	assert_int_equal(c.require_claim.n, 1);
	assert_string_equal(c.require_claim.v[0], "d=4");
	pj_config_free(&c);
}

/* ---- export_claims: names and values ---------------------------------- */

static void test_export_name(void **state)
{
	(void)state;
	char out[80];
	assert_int_equal(pj_export_name("sub", out, sizeof(out)), 0);
	assert_string_equal(out, "JWT_SUB");
	assert_int_equal(pj_export_name("email_verified", out, sizeof(out)), 0);
	assert_string_equal(out, "JWT_EMAIL_VERIFIED");
	assert_int_equal(pj_export_name("https://ex.test/roles", out, sizeof(out)), 0);
	assert_string_equal(out, "JWT_HTTPS___EX_TEST_ROLES");
	assert_int_equal(pj_export_name("cognito:groups", out, sizeof(out)), 0);
	assert_string_equal(out, "JWT_COGNITO_GROUPS");
	assert_int_equal(pj_export_name("sub", out, 8), 0);
	assert_int_equal(pj_export_name("sub", out, 7), -1);
	assert_int_equal(pj_export_name("", out, sizeof(out)), -1);
}

/* The exported text of a JSON value, or NULL (e says why). */
static const char *value_of(const char *text, char *out, size_t outn, pj_err *e)
{
	json_t *v = json(text);
	e->msg[0] = 0;
	int rc = pj_export_value(v, out, outn, e);
	json_decref(v);
	return rc == 0 ? out : NULL;
}

static void test_export_values(void **state)
{
	(void)state;
	char out[PJ_EXPORT_VALUE_MAX + 1];
	pj_err e;
	assert_string_equal(value_of("\"alice\"", out, sizeof(out), &e), "alice");
	assert_string_equal(value_of("\"\"", out, sizeof(out), &e), "");
	assert_string_equal(value_of("\"Zoë Ω\"", out, sizeof(out), &e), "Zoë Ω");
	assert_string_equal(value_of("\"a b;$(x)\"", out, sizeof(out), &e), "a b;$(x)");
	assert_string_equal(value_of("1700000000", out, sizeof(out), &e), "1700000000");
	assert_string_equal(value_of("-3", out, sizeof(out), &e), "-3");
	assert_string_equal(value_of("2.5", out, sizeof(out), &e), "2.5");
	assert_string_equal(value_of("true", out, sizeof(out), &e), "true");
	assert_string_equal(value_of("false", out, sizeof(out), &e), "false");
	assert_string_equal(value_of("[\"wheel\",\"dev\"]", out, sizeof(out), &e), "wheel,dev");
	assert_string_equal(value_of("[\"a b\",1,true]", out, sizeof(out), &e), "a b,1,true");
	assert_string_equal(value_of("[]", out, sizeof(out), &e), "");
	assert_null(value_of("null", out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "null"));
	assert_null(value_of("{\"a\":1}", out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "object"));
	assert_null(value_of("[\"a\",[\"b\"]]", out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "nested"));
	assert_null(value_of("[\"a\",null]", out, sizeof(out), &e));
}

static void test_export_refuses_controls(void **state)
{
	(void)state;
	char out[64];
	pj_err e;
	/* Line breaks, terminal escapes and C1 controls: never exported, not
	 * even changed into something else. */
	static const char *bad[] = {
		"\"a\\nJWT_SUB=root\"", "\"a\\rb\"",	 "\"a\\tb\"",
		"\"\\u001b[31mred\"",	"\"a\\u007fb\"", "\"a\\u0085b\"",
		"\"\\u009b31m\"",	"\"a\\u2028b\"", "\"a\\u2029b\"",
		"[\"ok\",\"x\\ny\"]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (value_of(bad[i], out, sizeof(out), &e))
			fail_msg("%s was exported as \"%s\"", bad[i], out);
		assert_non_null(strstr(e.msg, "control character"));
	}
	/* Not controls: U+00A0 (NBSP, after C1) and U+2027. */
	assert_non_null(value_of("\"a\\u00a0b\\u2027\"", out, sizeof(out), &e));
	/* A comma inside a member would make the list ambiguous. */
	assert_null(value_of("[\"wheel\",\"a,b\"]", out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "comma"));
	assert_string_equal(value_of("\"a,b\"", out, sizeof(out), &e), "a,b");
}

static void test_export_bounded(void **state)
{
	(void)state;
	static char text[3 * PJ_EXPORT_VALUE_MAX], out[PJ_EXPORT_VALUE_MAX + 1];
	pj_err e;
	/* Exactly the limit is exported; one byte more is left out, not cut. */
	text[0] = '"';
	memset(text + 1, 'x', PJ_EXPORT_VALUE_MAX);
	strcpy(text + 1 + PJ_EXPORT_VALUE_MAX, "\"");
	assert_non_null(value_of(text, out, sizeof(out), &e));
	assert_int_equal(strlen(out), PJ_EXPORT_VALUE_MAX);
	memset(text + 1, 'x', PJ_EXPORT_VALUE_MAX + 1);
	strcpy(text + 2 + PJ_EXPORT_VALUE_MAX, "\"");
	assert_null(value_of(text, out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "longer than"));
	/* A list that would pass the limit is left out whole: a shorter list
	 * would name fewer groups than the token does. */
	size_t o = 0;
	text[o++] = '[';
	for (int i = 0; i < 1000; i++)
		o += (size_t)sprintf(text + o, "%s\"g%04d\"", i ? "," : "", i);
	strcpy(text + o, "]");
	assert_null(value_of(text, out, sizeof(out), &e));
	assert_non_null(strstr(e.msg, "longer than"));
	/* A small buffer is no overflow either. */
	assert_null(value_of("\"abcdef\"", out, 4, &e));
	assert_null(value_of("[\"ab\",\"cd\"]", out, 4, &e));
}

struct seen {
	char text[1024];
};

static int record(const char *var, const char *value, const char *claim, const char *why, void *ctx)
{
	struct seen *s = ctx;
	size_t o = strlen(s->text);
	snprintf(s->text + o, sizeof(s->text) - o, "%s=%s(%s)%s;", var, value ? value : "-", claim,
		 why ? "!" : "");
	return 0;
}

static void test_export_each(void **state)
{
	(void)state;
	struct pj_config c;
	struct seen s = { "" };
	json_t *claims = json("{\"sub\":\"alice\",\"groups\":[\"a\",\"b\"],\"email\":\"x\\ny\","
			      "\"cognito:groups\":\"c\"}");
	cfg_make(&c, "export_claims", "sub groups email missing cognito:groups cognito_groups",
		 NULL);
	assert_int_equal(pj_export_each(&c, claims, 0, record, &s), 0);
	/* Absent: unset; not exportable: unset, with a reason; a second claim
	 * for the same variable: left alone. */
	assert_string_equal(s.text, "JWT_SUB=alice(sub);JWT_GROUPS=a,b(groups);"
				    "JWT_EMAIL=-(email)!;JWT_MISSING=-(missing);"
				    "JWT_COGNITO_GROUPS=c(cognito:groups);");
	s.text[0] = 0;
	assert_int_equal(pj_export_each(&c, NULL, 0, record, &s), 0);
	assert_string_equal(s.text, "JWT_SUB=-(sub);JWT_GROUPS=-(groups);JWT_EMAIL=-(email);"
				    "JWT_MISSING=-(missing);JWT_COGNITO_GROUPS=-(cognito:groups);");
	json_decref(claims);
	pj_config_free(&c);
}

static void test_export_config(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	assert_fails_with(pj_config_set(&c, "export_claims", "sub a=b", "t", &e), e,
			  "is not a claim name");
	assert_fails_with(pj_config_set(&c, "export_claims", "sub \x01x", "t", &e), e,
			  "is not a claim name");
	pj_config_free(&c);
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	assert_int_equal(pj_config_set(&c, "export_claims", "sub,email", "t", &e), 0);
	assert_int_equal(c.export_claims.n, 2);
	/* An empty value empties the list, as for other lists. */
	c.layer = PJ_LAYER_ARGS;
	assert_int_equal(pj_config_set(&c, "export_claims", "", "t", &e), 0);
	assert_int_equal(c.export_claims.n, 0);
	pj_config_free(&c);
}

/* ---- user_jwks_file: names and paths ------------------------------------ */

static void test_user_names(void **state)
{
	(void)state;
	char big[PJ_USER_NAME_MAX + 2];
	assert_true(pj_user_name_plain("alice"));
	assert_true(pj_user_name_plain("a.b-c_d@EXAMPLE"));
	assert_true(pj_user_name_plain("..."));
	assert_true(pj_user_name_plain(".alice"));
	static const char *bad[] = { "",    ".",    "..",   "../alice", "a/b",	    "/",
				     "a b", "a\tb", "a\nb", "\x7f",	"z\xc3\xa9" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_user_name_plain(bad[i]))
			fail_msg("\"%s\" taken for a plain user name", bad[i]);
	memset(big, 'a', PJ_USER_NAME_MAX);
	big[PJ_USER_NAME_MAX] = 0;
	assert_true(pj_user_name_plain(big));
	big[PJ_USER_NAME_MAX] = 'a';
	big[PJ_USER_NAME_MAX + 1] = 0;
	assert_false(pj_user_name_plain(big));
}

static void test_user_path(void **state)
{
	(void)state;
	char out[64];
	pj_err e;
	assert_int_equal(pj_user_path("/etc/pj.d/%u.jwks", "alice", out, sizeof(out), &e), 0);
	assert_string_equal(out, "/etc/pj.d/alice.jwks");
	assert_int_equal(pj_user_path("/k/%u/%u-100%%", "bob", out, sizeof(out), &e), 0);
	assert_string_equal(out, "/k/bob/bob-100%");
	assert_fails_with(pj_user_path("/k/%u.jwks", "../root", out, sizeof(out), &e), e,
			  "cannot name a user_jwks_file");
	assert_fails_with(pj_user_path("/k/%u.jwks", "..", out, sizeof(out), &e), e, "cannot name");
	assert_fails_with(pj_user_path("/k/%u.jwks", "abcdefghij", out, 16, &e), e, "too long");
	assert_int_equal(pj_user_path("/k/%u.jwks", "abcdefgh", out, 17, &e), 0);
	assert_fails_with(pj_user_path("/k/%u.jwks", "abcdefgh", out, 16, &e), e, "too long");

	struct pj_config c;
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	assert_fails_with(pj_config_set(&c, "user_jwks_file", "/k/alice.jwks", "t", &e), e,
			  "must contain %u");
	assert_fails_with(pj_config_set(&c, "user_jwks_file", "k/%u.jwks", "t", &e), e,
			  "absolute path");
	assert_fails_with(pj_config_set(&c, "user_jwks_file", "/k/%s.jwks", "t", &e), e,
			  "only %u and %%");
	assert_fails_with(pj_config_set(&c, "user_jwks_file", "/k/%u%", "t", &e), e,
			  "only %u and %%");
	assert_fails_with(pj_config_set(&c, "user_jwks_file", "/k/%%u", "t", &e), e,
			  "must contain %u");
	assert_int_equal(pj_config_set(&c, "user_jwks_file", "/k/%%/%u", "t", &e), 0);
	pj_config_free(&c);
}

/* ---- tokens: per-user keys and grants --------------------------------- */

static const unsigned char alice_secret[32] = "alice's 32-byte HMAC secret....";
static const unsigned char bob_secret[32] = "bob's own 32-byte HMAC secret...";

static void write_file(const char *name, mode_t mode, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_jwks(const char *name, const unsigned char *secret)
{
	char *k = pj_b64url_encode(secret, 32), text[200];
	snprintf(text, sizeof(text), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"}]}", k);
	free(k);
	write_file(name, 0600, text);
}

static int verify(const struct pj_config *c, const char *tok, const char *user, pj_err *e)
{
	struct pj_result r;
	int rc = pj_verify(c, tok, strlen(tok), user, NOW, &r);
	*e = r.reason;
	pj_result_free(&r);
	return rc;
}

static void test_user_keys(void **state)
{
	(void)state;
	struct pj_config c;
	char dir[128], tmpl[160];
	pj_err e;
	snprintf(dir, sizeof(dir), "%s/users", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_jwks("users/alice.jwks", alice_secret);
	write_jwks("users/bob.jwks", bob_secret);
	write_file("rev", 0644, "");
	char rev[160];
	snprintf(rev, sizeof(rev), "%s/rev", tmpdir);
	snprintf(tmpl, sizeof(tmpl), "%s/%%u.jwks", dir);
	cfg_make(&c, "algorithms", "HS256", "user_jwks_file", tmpl, "revocation_file", rev, NULL);

	char *a = unit_hs256(alice_secret, "{\"sub\":\"alice\",\"exp\":1700000300}");
	char *a_for_bob = unit_hs256(alice_secret, "{\"sub\":\"bob\",\"exp\":1700000300}");
	char *b = unit_hs256(bob_secret, "{\"sub\":\"bob\",\"exp\":1700000300}");
	char *a_for_carol = unit_hs256(alice_secret, "{\"sub\":\"carol\",\"exp\":1700000300}");
	if (verify(&c, a, "alice", &e) != 0)
		fail_msg("alice's own key: %s", e.msg);
	if (verify(&c, b, "bob", &e) != 0)
		fail_msg("bob's own key: %s", e.msg);
	/* bob's file holds bob's key only: alice's signature does not verify. */
	assert_fails_with(verify(&c, a_for_bob, "bob", &e), e, "signature does not verify");
	assert_fails_with(verify(&c, a_for_carol, "carol", &e), e, "no configured key fits HS256");
	/* Without a user (the tool's verify without --user) no user file is read. */
	assert_fails_with(verify(&c, a, NULL, &e), e, "no configured key fits HS256");

	/* The file and its directory are held to the rules for secrets. */
	char path[200];
	snprintf(path, sizeof(path), "%s/alice.jwks", dir);
	assert_int_equal(chmod(path, 0640), 0);
	assert_fails_with(verify(&c, a, "alice", &e), e, "readable by group or others");
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chmod(dir, 0757), 0);
	assert_fails_with(verify(&c, a, "alice", &e), e, "writable by group or others");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(verify(&c, a, "alice", &e), 0);
	assert_fails_with(verify(&c, a, "../users/alice", &e), e, "cannot name a user_jwks_file");

	free(a), free(a_for_bob), free(b), free(a_for_carol);
	pj_config_free(&c);
}

/* A user's own key authenticates that user and authorizes nothing: alice
 * signs whatever groups, jti, iss and aud she likes. */
static void test_user_keys_authorize_nothing(void **state)
{
	(void)state;
	static const unsigned char idp_secret[32] = "the identity provider's secret.";
	struct pj_config c;
	struct pj_result r;
	char dir[128], tmpl[160], rev[160], allow[160], idp[160];
	pj_err e;
	snprintf(dir, sizeof(dir), "%s/own", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_jwks("own/alice.jwks", alice_secret);
	write_jwks("idp.jwks", idp_secret);
	write_file("own-rev", 0644, "");
	write_file("own-allow", 0644, "jti listed-1\n");
	snprintf(tmpl, sizeof(tmpl), "%s/%%u.jwks", dir);
	snprintf(rev, sizeof(rev), "%s/own-rev", tmpdir);
	snprintf(allow, sizeof(allow), "%s/own-allow", tmpdir);
	snprintf(idp, sizeof(idp), "%s/idp.jwks", tmpdir);
	const char *claims = "{\"sub\":\"alice\",\"exp\":1700000300,\"iss\":\"https://idp\","
			     "\"aud\":\"sudo\",\"groups\":[\"wheel\"],\"jti\":\"listed-1\"}";
	char *own = unit_hs256(alice_secret, claims), *issued = unit_hs256(idp_secret, claims);

	/* Authentication: the user's own key logs the user in, and says so. */
	cfg_make(&c, "algorithms", "HS256", "jwks_file", idp, "user_jwks_file", tmpl,
		 "revocation_file", rev, "issuer", "https://idp", "audience", "sudo", NULL);
	assert_int_equal(pj_verify(&c, own, strlen(own), "alice", NOW, &r), 0);
	assert_int_equal(r.signer, PJ_SIGNER_USER);
	pj_result_free(&r);
	assert_int_equal(pj_verify(&c, issued, strlen(issued), "alice", NOW, &r), 0);
	assert_int_equal(r.signer, PJ_SIGNER_ISSUER);
	pj_result_free(&r);
	pj_config_free(&c);

	/* require_claim: the provider's token holds, alice's own never does, whatever
	 * issuer and audience it claims. */
	cfg_make(&c, "algorithms", "HS256", "jwks_file", idp, "user_jwks_file", tmpl,
		 "revocation_file", rev, "issuer", "https://idp", "audience", "sudo",
		 "require_claim", "groups=wheel", NULL);
	assert_int_equal(verify(&c, issued, "alice", &e), 0);
	assert_fails_with(verify(&c, own, "alice", &e), e,
			  "per-user keys authenticate, they never satisfy require_claim");
	assert_int_equal(pj_verify(&c, own, strlen(own), "alice", NOW, &r), -1);
	assert_int_equal(r.stage, PJ_STAGE_CLAIMS);
	assert_int_equal(r.signer, PJ_SIGNER_USER);
	pj_result_free(&r);
	pj_config_free(&c);

	/* allowlist_file: a listed jti copied into alice's own token does not match. */
	cfg_make(&c, "algorithms", "HS256", "jwks_file", idp, "user_jwks_file", tmpl,
		 "revocation_file", rev, "allowlist_file", allow, NULL);
	assert_int_equal(verify(&c, issued, "alice", &e), 0);
	assert_fails_with(verify(&c, own, "alice", &e), e,
			  "per-user keys never match the allowlist");
	pj_config_free(&c);

	/* An empty user_jwks_file (on a service's PAM line) turns them off. */
	cfg_make_file(&c, "algorithms", "HS256", "jwks_file", idp, "user_jwks_file", tmpl,
		      "revocation_file", rev, NULL);
	assert_int_equal(verify(&c, own, "alice", &e), 0);
	c.layer = PJ_LAYER_ARGS;
	assert_int_equal(pj_config_set(&c, "user_jwks_file", "", "argument", &e), 0);
	assert_null(c.user_jwks_file);
	assert_fails_with(verify(&c, own, "alice", &e), e, "signature does not verify");
	assert_int_equal(verify(&c, issued, "alice", &e), 0);
	pj_config_free(&c);

	/* The grant remembers the kind of key: an account line with an allowlist
	 * refuses it too, and its claims are not exported. */
	cfg_make(&c, "algorithms", "HS256", "user_jwks_file", tmpl, "revocation_file", rev,
		 "export_claims", "sub groups", NULL);
	assert_int_equal(pj_verify(&c, own, strlen(own), "alice", NOW, &r), 0);
	struct pj_grant *g = pj_grant_new(own, strlen(own), "alice", &r);
	pj_result_free(&r);
	assert_non_null(g);
	assert_int_equal(g->signer, PJ_SIGNER_USER);
	assert_int_equal(pj_grant_check(&c, g, "alice", NOW, &e), 0);
	struct pj_config acct;
	cfg_make(&acct, "revocation_file", rev, "allowlist_file", allow, NULL);
	assert_fails_with(pj_grant_check(&acct, g, "alice", NOW, &e), e,
			  "per-user keys never match the allowlist");
	pj_config_free(&acct);
	struct seen s = { "" };
	assert_int_equal(pj_export_each(&c, g->claims, g->signer == PJ_SIGNER_USER, record, &s), 0);
	assert_string_equal(s.text, "JWT_SUB=-(sub)!;JWT_GROUPS=-(groups)!;");
	pj_grant_free(g);
	pj_config_free(&c);
	free(own);
	free(issued);
}

static void test_grant(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_result r;
	char conf[160], rev[160];
	pj_err e;
	write_jwks("grant.jwks", alice_secret);
	write_file("grant-rev", 0644, "");
	snprintf(conf, sizeof(conf), "%s/grant.jwks", tmpdir);
	snprintf(rev, sizeof(rev), "%s/grant-rev", tmpdir);
	cfg_make(&c, "algorithms", "HS256", "jwks_file", conf, "revocation_file", rev, "leeway",
		 "0", NULL);
	char *tok =
		unit_hs256(alice_secret, "{\"sub\":\"alice\",\"jti\":\"j-1\",\"iat\":1699999990,"
					 "\"exp\":1700000300,\"email\":\"a@x\"}");
	/* No grant for a refusal. */
	assert_int_not_equal(pj_verify(&c, tok, strlen(tok), "bob", NOW, &r), 0);
	assert_null(pj_grant_new(tok, strlen(tok), "bob", &r));
	pj_result_free(&r);

	assert_int_equal(pj_verify(&c, tok, strlen(tok), "alice", NOW, &r), 0);
	struct pj_grant *g = pj_grant_new(tok, strlen(tok), "alice", &r);
	pj_result_free(&r);
	assert_non_null(g);
	assert_string_equal(g->name, "j-1");
	assert_string_equal(json_string_value(json_object_get(g->claims, "email")), "a@x");
	assert_int_equal(pj_grant_check(&c, g, "alice", NOW + 299, &e), 0);
	assert_fails_with(pj_grant_check(&c, g, "bob", NOW, &e), e, "the user changed");
	assert_fails_with(pj_grant_check(&c, g, NULL, NOW, &e), e, "the user changed");
	assert_fails_with(pj_grant_check(&c, g, "alice", NOW + 300, &e), e,
			  "token expired 0 s ago");
	/* Revoked after the login: by jti, then by a cut-off for the user. */
	write_file("grant-rev", 0644, "jti j-1\n");
	assert_fails_with(pj_grant_check(&c, g, "alice", NOW, &e), e, "revoked");
	write_file("grant-rev", 0644, "user alice 1699999995\n");
	assert_fails_with(pj_grant_check(&c, g, "alice", NOW, &e), e, "alice");
	write_file("grant-rev", 0644, "user alice 1699999980\n");
	assert_int_equal(pj_grant_check(&c, g, "alice", NOW, &e), 0);
	/* A malformed file fails closed here too. */
	write_file("grant-rev", 0644, "nonsense\n");
	assert_fails_with(pj_grant_check(&c, g, "alice", NOW, &e), e, "grant-rev:1");
	write_file("grant-rev", 0644, "");
	pj_grant_free(g);
	free(tok);

	/* A token without jti is named by its hash, whitespace around it or not. */
	tok = unit_hs256(alice_secret, "{\"sub\":\"alice\",\"exp\":1700000300}");
	char *padded;
	assert_true(asprintf(&padded, "  %s\n", tok) > 0);
	assert_int_equal(pj_verify(&c, padded, strlen(padded), "alice", NOW, &r), 0);
	g = pj_grant_new(padded, strlen(padded), "alice", &r);
	pj_result_free(&r);
	assert_non_null(g);
	char name[PJ_NAME_MAX + 1], line[PJ_NAME_MAX + 16];
	assert_int_equal(pj_token_name(NULL, tok, strlen(tok), name, sizeof(name)), 0);
	assert_string_equal(g->name, name);
	assert_null(g->alt_name); /* HMAC: no ECDSA twin */
	snprintf(line, sizeof(line), "jti %s\n", name);
	write_file("grant-rev", 0644, line);
	assert_fails_with(pj_grant_check(&c, g, "alice", NOW, &e), e, "revoked");
	pj_grant_free(g);
	pj_grant_free(NULL);
	free(tok);
	free(padded);
	pj_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_forms),
		cmocka_unit_test(test_rule_scalars),
		cmocka_unit_test(test_rules_all_hold),
		cmocka_unit_test(test_rule_config),
		cmocka_unit_test(test_export_name),
		cmocka_unit_test(test_export_values),
		cmocka_unit_test(test_export_refuses_controls),
		cmocka_unit_test(test_export_bounded),
		cmocka_unit_test(test_export_each),
		cmocka_unit_test(test_export_config),
		cmocka_unit_test(test_user_names),
		cmocka_unit_test(test_user_path),
		cmocka_unit_test(test_user_keys),
		cmocka_unit_test(test_user_keys_authorize_nothing),
		cmocka_unit_test(test_grant),
	};
	return cmocka_run_group_tests_name("authz", tests, dir_setup, dir_teardown) ? 1 : 0;
}
