/* SPDX-License-Identifier: BSD-3-Clause */
/* [provider NAME] sections (src/provider.c, parsed by src/config.c): the
 * defaults, the copies, what is refused where, the PAM line over every
 * provider, the choice by iss, each provider's keys and rules only, and the
 * grant that account management gives back to the same provider. */
#include "unit.h"
#include "unit_token.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "provider.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

#define NOW 1700000000L

static const unsigned char secret_a[32] = "provider A's 32-byte secret.....";
static const unsigned char secret_b[32] = "provider B's 32-byte secret.....";

static char *path_of(const char *name)
{
	char *p = malloc(256);
	assert_non_null(p);
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static char *put(const char *name, mode_t mode, const char *text)
{
	char *p = path_of(name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void put_jwks(const char *name, const unsigned char *secret)
{
	char *k = pj_b64url_encode(secret, 32), text[200];
	snprintf(text, sizeof(text), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"}]}", k);
	free(k);
	free(put(name, 0600, text));
}

static int group_setup(void **state)
{
	if (dir_setup(state) != 0)
		return -1;
	put_jwks("a.jwks", secret_a);
	put_jwks("b.jwks", secret_b);
	return 0;
}

/* Loads text (with TMP standing for the test's directory) as a file. */
static int load(struct pj_config *c, const char *text, pj_err *e)
{
	char buf[4096], *o = buf;
	for (const char *p = text; *p && o < buf + sizeof(buf) - 80; p++) {
		if (strncmp(p, "TMP", 3) == 0) {
			o += snprintf(o, 80, "%s", tmpdir);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	char *path = put("conf", 0644, buf);
	assert_int_equal(pj_config_init(c, geteuid()), 0);
	e->msg[0] = 0;
	int rc = pj_config_load_file(c, path, 1, e);
	free(path);
	return rc;
}

static void expect_refused(const char *text, const char *why)
{
	struct pj_config c;
	pj_err e;
	assert_fails_with(load(&c, text, &e), e, why);
	pj_config_free(&c);
}

static const char two[] = "algorithms = HS256\n"
			  "audience = ssh\n"
			  "leeway = 10\n"
			  "[provider corp]\n"
			  "issuer = https://corp.test\n"
			  "jwks_file = TMP/a.jwks\n"
			  "username_claim = preferred_username\n"
			  "[ provider   robots ]\n"
			  "issuer = https://robots.test, https://robots2.test\n"
			  "jwks_file = TMP/b.jwks\n"
			  "audience = deploy\n"
			  "leeway = 0\n";

/* pj_verify of an HS256 token; 0 or -1, the result's reason and provider. */
static int verify(const struct pj_config *c, const unsigned char *secret, const char *claims,
		  const char *user, struct pj_result *out)
{
	char *tok = unit_hs256(secret, claims);
	int rc = pj_verify(c, tok, strlen(tok), user, NOW, out);
	free(tok);
	return rc;
}

#define CLAIMS(iss, more) "{\"iss\":\"" iss "\",\"exp\":1700000300" more "}"

/* ---- parsing ---------------------------------------------------------- */

static void test_without_sections(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	assert_int_equal(load(&c,
			      "issuer = https://corp.test\njwks_file = TMP/a.jwks\n"
			      "algorithms = HS256\n",
			      &e),
			 0);
	assert_int_equal(c.nproviders, 0);
	json_t *cl = json_pack("{s:s}", "iss", "https://elsewhere.test");
	/* The one provider judges every token, as before sections existed. */
	assert_ptr_equal(pj_provider_select(&c, cl, &e), &c);
	json_decref(cl);
	assert_string_equal(pj_provider_label(&c), "");
	assert_string_equal(pj_provider_name(&c), "default");
	assert_ptr_equal(pj_provider_find(&c, ""), &c);
	assert_null(pj_provider_find(&c, "corp"));
	struct pj_result r;
	assert_int_equal(verify(&c, secret_a, CLAIMS("https://corp.test", ",\"sub\":\"alice\""),
				"alice", &r),
			 0);
	assert_string_equal(r.provider, "");
	pj_result_free(&r);
	pj_config_free(&c);
}

static void test_sections(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	if (load(&c, two, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(c.nproviders, 2);
	const struct pj_config *corp = &c.providers[0], *robots = &c.providers[1];
	assert_string_equal(corp->provider, "corp");
	assert_string_equal(robots->provider, "robots");
	/* A section starts from the defaults ... */
	assert_int_equal(corp->algorithms, PJ_ALG_BIT(PJ_ALG_HS256));
	assert_int_equal(corp->audience.n, 1);
	assert_string_equal(corp->audience.v[0], "ssh");
	assert_int_equal(corp->leeway, 10);
	assert_string_equal(corp->username_claim, "preferred_username");
	/* ... and its options override them: a list is replaced, not added to. */
	assert_int_equal(robots->audience.n, 1);
	assert_string_equal(robots->audience.v[0], "deploy");
	assert_int_equal(robots->leeway, 0);
	assert_null(robots->username_claim);
	assert_int_equal(robots->issuer.n, 2);
	assert_int_equal(robots->jwks_file.n, 1);
	assert_int_equal(corp->jwks_file.n, 1);
	/* The defaults themselves have neither key nor issuer. */
	assert_int_equal(c.jwks_file.n + c.issuer.n, 0);
	assert_ptr_equal(pj_provider_find(&c, "robots"), robots);
	assert_null(pj_provider_find(&c, ""));
	assert_null(pj_provider_find(&c, "default"));
	assert_int_equal(pj_provider_algorithms(&c), PJ_ALG_BIT(PJ_ALG_HS256));
	pj_config_free(&c);
}

static void test_section_refusals(void **state)
{
	(void)state;
	char want[300];
	expect_refused("[provider]\n", "conf:1: expected a section header \"[provider NAME]\"");
	expect_refused("[idp x]\n", "expected a section header");
	expect_refused("[provider a b]\n", "expected \"[provider NAME]\" with NAME");
	expect_refused("[provider a/b]\n", "expected \"[provider NAME]\"");
	expect_refused("[provider a] x\n", "expected \"[provider NAME]\"");
	expect_refused("[provider default]\nissuer = x\n",
		       "\"default\" is the name of the configuration without sections");
	expect_refused("[provider "
		       "a234567890123456789012345678901234567890123456789012345678901234567]\n",
		       "a provider's name is 1 to 64 characters");
	expect_refused("[provider a]\nissuer = x\n[provider a]\nissuer = y\n",
		       "conf:3: [provider a] appears twice");
	/* Global options belong before the first section, named by their line. */
	static const char *global[] = { "revocation_file = /x", "allowlist_file = /x",
					"one_time_file = /x",	"user_map = /x",
					"cache_dir = /x",	"fetch_helper = /x",
					"fetch_timeout = 3",	"prompt = x",
					"debug = yes",		"export_claims = sub" };
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		char text[200];
		snprintf(text, sizeof(text), "[provider a]\nissuer = x\n%s\n", global[i]);
		snprintf(want, sizeof(want), "conf:3: %.*s holds for every provider",
			 (int)strcspn(global[i], " "), global[i]);
		expect_refused(text, want);
	}
	expect_refused(
		"[provider a]\njwks_file = TMP/a.jwks\n",
		"[provider a] has no issuer: a token is judged by the provider its iss names");
	expect_refused("[provider a]\nissuer = x y\n[provider b]\nissuer = z, y\n",
		       "issuer \"y\" belongs to both [provider a] and [provider b]");
	/* The defaults' issuer is every section's that names none of its own. */
	expect_refused("issuer = x\n[provider a]\n[provider b]\n", "issuer \"x\" belongs to both");
	expect_refused("user_jwks_file = /etc/%u.jwks\n[provider a]\nissuer = x\n",
		       "user_jwks_file outside a section");
	/* A bad option inside a section names its line as ever. */
	expect_refused("[provider a]\nissuer = x\nleeway = soon\n",
		       "conf:3: leeway must be a whole number");
	/* More than 64 sections. */
	char *many = malloc(65 * 40 + 1);
	assert_non_null(many);
	many[0] = 0;
	for (int i = 0; i < 65; i++)
		sprintf(many + strlen(many), "[provider p%d]\nissuer = i%d\n", i, i);
	expect_refused(many, "conf:129: more than 64 providers");
	free(many);
}

/* A list option may be emptied in a section, a scalar set back: the section
 * is the provider's whole configuration. */
static void test_section_overrides(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	if (load(&c,
		 "require = exp iat\nmax_lifetime = 600\nrequire_claim = groups=ssh\n"
		 "typ = at+jwt\n[provider a]\nissuer = x\nrequire =\nrequire_claim = scope=a\n"
		 "max_lifetime = 0\ntyp = \"\"\nalgorithms = ES256\n[provider b]\nissuer = y\n",
		 &e) != 0)
		fail_msg("%s", e.msg);
	const struct pj_config *a = &c.providers[0], *b = &c.providers[1];
	assert_int_equal(a->require.n, 0);
	assert_int_equal(a->require_claim.n, 1);
	assert_string_equal(a->require_claim.v[0], "scope=a");
	assert_int_equal(a->max_lifetime, 0);
	assert_string_equal(a->typ, "");
	assert_int_equal(a->algorithms, PJ_ALG_BIT(PJ_ALG_ES256));
	assert_int_equal(b->require.n, 2);
	assert_string_equal(b->require_claim.v[0], "groups=ssh");
	assert_int_equal(b->max_lifetime, 600);
	assert_string_equal(b->typ, "at+jwt");
	assert_int_equal(b->algorithms, PJ_ALGS_ASYMMETRIC);
	assert_int_equal(pj_provider_algorithms(&c), PJ_ALGS_ASYMMETRIC);
	pj_config_free(&c);
}

/* The PAM line wins over the file for every provider; an issuer there
 * would make every provider the same. */
static void test_pam_line(void **state)
{
	(void)state;
	char buf[4096], *conf = NULL;
	struct pj_config c;
	pj_err e;
	assert_int_equal(load(&c, two, &e), 0);
	pj_config_free(&c);
	conf = path_of("conf");
	snprintf(buf, sizeof(buf), "conf=%s", conf);
	const char *argv[] = { buf, "audience=pam-line", "leeway=5", "debug", "use_first_pass" };
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	if (pj_config_from_args(&c, 5, argv, &e) != 0)
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(c.providers[i].audience.n, 1);
		assert_string_equal(c.providers[i].audience.v[0], "pam-line");
		assert_int_equal(c.providers[i].leeway, 5);
	}
	assert_int_equal(c.debug, 1);
	pj_config_free(&c);
	const char *argv2[] = { buf, "issuer=https://one.test" };
	assert_int_equal(pj_config_init(&c, geteuid()), 0);
	assert_fails_with(pj_config_from_args(&c, 2, argv2, &e), e,
			  "issuer \"https://one.test\" belongs to both [provider corp] and "
			  "[provider robots]");
	pj_config_free(&c);
	/* The tool's --set: the same, then pj_config_finish. */
	assert_int_equal(load(&c, two, &e), 0);
	c.layer = PJ_LAYER_ARGS;
	assert_int_equal(pj_config_set(&c, "issuer", "https://one.test", "--set", &e), 0);
	assert_fails_with(pj_config_finish(&c, &e), e, "belongs to both");
	pj_config_free(&c);
	/* An empty user_jwks_file on the PAM line turns per-user keys off in
	 * every section; a non-empty one outside a section is refused. */
	assert_int_equal(load(&c, "[provider a]\nissuer = x\nuser_jwks_file = /etc/%u.jwks\n", &e),
			 0);
	c.layer = PJ_LAYER_ARGS;
	assert_int_equal(pj_config_set(&c, "user_jwks_file", "", "argument", &e), 0);
	assert_null(c.providers[0].user_jwks_file);
	assert_int_equal(pj_config_finish(&c, &e), 0);
	assert_int_equal(pj_config_set(&c, "user_jwks_file", "/etc/%u.jwks", "argument", &e), 0);
	assert_fails_with(pj_config_finish(&c, &e), e, "user_jwks_file outside a section");
	pj_config_free(&c);
	free(conf);
}

/* ---- choosing and judging --------------------------------------------- */

static void test_select(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	assert_int_equal(load(&c, two, &e), 0);
	json_t *cl = json_pack("{s:s}", "iss", "https://robots2.test");
	assert_ptr_equal(pj_provider_select(&c, cl, &e), &c.providers[1]);
	json_decref(cl);
	cl = json_pack("{s:s}", "iss", "https://corp.test");
	assert_ptr_equal(pj_provider_select(&c, cl, &e), &c.providers[0]);
	json_decref(cl);
	/* Exact: no prefix, no trailing slash, no other case. */
	static const char *other[] = { "https://corp.test/", "https://CORP.test", "https://corp",
				       "https://corp.test " };
	for (size_t i = 0; i < 4; i++) {
		cl = json_pack("{s:s}", "iss", other[i]);
		assert_null(pj_provider_select(&c, cl, &e));
		assert_non_null(strstr(e.msg, "no provider has issuer"));
		json_decref(cl);
	}
	cl = json_pack("{s:s}", "sub", "alice");
	assert_null(pj_provider_select(&c, cl, &e));
	assert_non_null(strstr(e.msg, "token has no iss"));
	json_decref(cl);
	cl = json_pack("{s:i}", "iss", 7);
	assert_null(pj_provider_select(&c, cl, &e));
	assert_string_equal(e.msg, "claim iss is not a string");
	json_decref(cl);
	pj_config_free(&c);
}

/* Each provider's keys verify its tokens only (RFC 8725 3.8), and its rules
 * judge them: another provider's key, an unknown iss, the other audience. */
static void test_keys_and_rules_per_provider(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_result r;
	pj_err e;
	assert_int_equal(load(&c, two, &e), 0);
	assert_int_equal(verify(&c, secret_a,
				CLAIMS("https://corp.test",
				       ",\"aud\":\"ssh\",\"preferred_username\":\"alice\""),
				"alice", &r),
			 0);
	assert_string_equal(r.provider, "corp");
	pj_result_free(&r);
	/* corp's token signed with robots' key: robots' key is not corp's. */
	assert_int_equal(verify(&c, secret_b,
				CLAIMS("https://corp.test",
				       ",\"aud\":\"ssh\",\"preferred_username\":\"alice\""),
				"alice", &r),
			 -1);
	assert_int_equal(r.stage, PJ_STAGE_SIGNATURE);
	assert_string_equal(r.reason.msg, "signature does not verify");
	assert_string_equal(r.provider, "corp");
	pj_result_free(&r);
	/* A token of robots signed with corp's key, the other way round. */
	assert_int_equal(verify(&c, secret_a,
				CLAIMS("https://robots.test", ",\"aud\":\"deploy\",\"sub\":\"ci\""),
				"ci", &r),
			 -1);
	assert_int_equal(r.stage, PJ_STAGE_SIGNATURE);
	pj_result_free(&r);
	assert_int_equal(verify(&c, secret_b,
				CLAIMS("https://robots.test", ",\"aud\":\"deploy\",\"sub\":\"ci\""),
				"ci", &r),
			 0);
	assert_string_equal(r.provider, "robots");
	pj_result_free(&r);
	/* robots' audience is deploy, corp's ssh: each provider's own. */
	assert_int_equal(verify(&c, secret_b,
				CLAIMS("https://robots.test", ",\"aud\":\"ssh\",\"sub\":\"ci\""),
				"ci", &r),
			 -1);
	assert_string_equal(r.reason.msg, "audience does not match");
	pj_result_free(&r);
	/* corp binds preferred_username, robots sub. */
	assert_int_equal(verify(&c, secret_a,
				CLAIMS("https://corp.test", ",\"aud\":\"ssh\",\"sub\":\"alice\""),
				"alice", &r),
			 -1);
	assert_string_equal(r.reason.msg,
			    "token has no preferred_username claim to match the user");
	pj_result_free(&r);
	/* No provider for the iss: refused before any key, naming it. */
	assert_int_equal(verify(&c, secret_a,
				CLAIMS("https://evil.test", ",\"aud\":\"ssh\",\"sub\":\"alice\""),
				"alice", &r),
			 -1);
	assert_int_equal(r.stage, PJ_STAGE_SIGNATURE);
	assert_string_equal(r.reason.msg, "no provider has issuer \"https://evil.test\"");
	assert_string_equal(r.provider, "");
	assert_int_equal(r.verified, 0);
	pj_result_free(&r);
	pj_config_free(&c);
}

/* A provider's algorithms are its own: HS256 for one, not for the other. */
static void test_algorithms_per_provider(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_result r;
	pj_err e;
	assert_int_equal(load(&c,
			      "[provider a]\nissuer = https://a.test\njwks_file = TMP/a.jwks\n"
			      "algorithms = HS256\n[provider b]\nissuer = https://b.test\n"
			      "jwks_file = TMP/b.jwks\n",
			      &e),
			 0);
	assert_int_equal(verify(&c, secret_a, CLAIMS("https://a.test", ",\"sub\":\"x\""), "x", &r),
			 0);
	pj_result_free(&r);
	assert_int_equal(verify(&c, secret_b, CLAIMS("https://b.test", ",\"sub\":\"x\""), "x", &r),
			 -1);
	assert_string_equal(r.reason.msg, "algorithm HS256 is not allowed by configuration");
	assert_string_equal(r.provider, "b");
	pj_result_free(&r);
	pj_config_free(&c);
}

/* The grant names its provider: account management judges with that
 * provider's leeway, and refuses a login whose provider this service's
 * configuration does not have. */
static void test_grant_provider(void **state)
{
	(void)state;
	struct pj_config c, other;
	struct pj_result r;
	pj_err e;
	assert_int_equal(load(&c, two, &e), 0);
	char *tok = unit_hs256(secret_b,
			       CLAIMS("https://robots.test", ",\"aud\":\"deploy\",\"sub\":\"ci\""));
	assert_int_equal(pj_verify(&c, tok, strlen(tok), "ci", NOW, &r), 0);
	struct pj_grant *g = pj_grant_new(tok, strlen(tok), "ci", &r);
	assert_non_null(g);
	assert_string_equal(g->provider, "robots");
	/* exp is NOW + 300; robots' leeway is 0, corp's would be 10. */
	assert_int_equal(pj_grant_check(&c, g, "ci", NOW + 299, &e), 0);
	assert_fails_with(pj_grant_check(&c, g, "ci", NOW + 305, &e), e, "token expired");
	assert_int_equal(load(&other, "[provider corp]\nissuer = https://corp.test\n", &e), 0);
	assert_fails_with(pj_grant_check(&other, g, "ci", NOW, &e), e,
			  "the login's provider \"robots\" is not configured for this service");
	pj_config_free(&other);
	assert_int_equal(load(&other, "issuer = https://robots.test\n", &e), 0);
	assert_fails_with(pj_grant_check(&other, g, "ci", NOW, &e), e, "is not configured");
	pj_config_free(&other);
	pj_grant_free(g);
	pj_result_free(&r);
	free(tok);
	pj_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_sections),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_section_refusals),
		cmocka_unit_test(test_section_overrides),
		cmocka_unit_test(test_pam_line),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_keys_and_rules_per_provider),
		cmocka_unit_test(test_algorithms_per_provider),
		cmocka_unit_test(test_grant_provider),
	};
	return cmocka_run_group_tests_name("provider", tests, group_setup, dir_teardown);
}
