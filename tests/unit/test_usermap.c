/* SPDX-License-Identifier: BSD-3-Clause */
/* Identities to local accounts: claim paths and the username rule
 * (src/claims.c: username_claim, username_domain, username_case,
 * email_verified), the user map (src/usermap.c), and how src/verify.c binds a
 * token to a login with them: only an account some rule gives. */
#include "unit.h"
#include "unit_token.h"
#include "unit_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "claims.h"
#include "config.h"
#include "sig.h"
#include "usermap.h"
#include "util.h"
#include "verify.h"

#define NOW 1700000000L

static json_t *json(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return j;
}

static char *put(const char *name, mode_t mode, const char *text)
{
	char *p = malloc(256);
	assert_non_null(p);
	snprintf(p, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* ---- claim paths ------------------------------------------------------ */

static void test_claim_paths(void **state)
{
	(void)state;
	static const char *good[] = { "sub",	"realm_access.roles",
				      "a.b.c",	"https://example\\.com/roles",
				      "x\\\\y", "a\\.b.c" };
	static const char *bad[] = { "",     ".a",  "a.",  "a..b",     "a\\",
				     "a\\x", "a=b", "a b", "\xc3\xa9", "a\tb" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!pj_claim_path_ok(good[i], strlen(good[i])))
			fail_msg("path \"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_claim_path_ok(bad[i], strlen(bad[i])))
			fail_msg("path \"%s\" accepted", bad[i]);
	char longp[PJ_CLAIM_NAME_MAX + 2];
	memset(longp, 'a', sizeof(longp));
	assert_true(pj_claim_path_ok(longp, PJ_CLAIM_NAME_MAX));
	assert_false(pj_claim_path_ok(longp, PJ_CLAIM_NAME_MAX + 1));

	json_t *c = json("{\"realm_access\":{\"roles\":[\"ssh-user\"]},"
			 "\"https://example.com/roles\":[\"admin\"],"
			 "\"a\":{\"b.c\":\"dotted\",\"b\":{\"c\":\"nested\"}},"
			 "\"x\\\\y\":1,\"s\":\"str\"}");
	assert_true(json_is_array(pj_claim_get(c, "realm_access.roles")));
	assert_true(json_is_array(pj_claim_get(c, "https://example\\.com/roles")));
	/* Written plainly, the dots are steps: that claim is not there. */
	assert_null(pj_claim_get(c, "https://example.com/roles"));
	assert_string_equal(json_string_value(pj_claim_get(c, "a.b\\.c")), "dotted");
	assert_string_equal(json_string_value(pj_claim_get(c, "a.b.c")), "nested");
	assert_true(json_is_integer(pj_claim_get(c, "x\\\\y")));
	assert_null(pj_claim_get(c, "s.x"));		/* a string has no members */
	assert_null(pj_claim_get(c, "realm_access.x")); /* missing step */
	assert_null(pj_claim_get(c, "realm_access.roles.0"));
	json_decref(c);
}

/* require_claim with nested claims (Keycloak's realm_access.roles). */
static void test_require_nested(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, "require_claim", "realm_access.roles=ssh-user", "require_claim",
		 "https://example\\.com/roles=admin", NULL);
	json_t *h = json("{\"alg\":\"ES256\"}");
	json_t *ok = json("{\"exp\":1700000300,\"realm_access\":{\"roles\":[\"a\",\"ssh-user\"]},"
			  "\"https://example.com/roles\":[\"admin\"]}");
	json_t *flat = json("{\"exp\":1700000300,\"realm_access.roles\":[\"ssh-user\"],"
			    "\"https://example.com/roles\":[\"admin\"]}");
	assert_int_equal(pj_claims_check(&c, h, ok, NULL, 0, NOW, &e), 0);
	/* A flat claim named like the path is not the nested one. */
	assert_fails_with(pj_claims_check(&c, h, flat, NULL, 0, NOW, &e), e,
			  "token has no realm_access.roles claim");
	json_decref(ok);
	json_decref(flat);
	json_decref(h);
	pj_config_free(&c);
	/* The configuration refuses paths it could not mean. */
	struct pj_config d;
	assert_int_equal(pj_config_init(&d, geteuid()), 0);
	assert_fails_with(pj_config_set(&d, "require_claim", "a..b=x", "t", &e), e,
			  "require_claim must be NAME=VALUE");
	assert_fails_with(pj_config_set(&d, "require_claim", "a\\x=x", "t", &e), e,
			  "require_claim must be NAME=VALUE");
	assert_fails_with(pj_config_set(&d, "username_claim", "a.", "t", &e), e,
			  "username_claim must be a claim name");
	pj_config_free(&d);
}

/* ---- the username rule ------------------------------------------------ */

/* The name the rule gives, or NULL (reason in e); rule 1: "(off)". */
static const char *name_of(const struct pj_config *c, const char *claims, char *buf, size_t n,
			   pj_err *e)
{
	json_t *j = json(claims);
	int rc = pj_claims_username(c, j, buf, n, e);
	json_decref(j);
	return rc == 0 ? buf : rc > 0 ? "(off)" : NULL;
}

#define assert_name(c, claims, want)                                                               \
	do {                                                                                       \
		const char *got = name_of((c), (claims), buf, sizeof(buf), &e);                    \
		if (!got || strcmp(got, (want)) != 0)                                              \
			fail_msg("%s: got %s (%s), want %s", (claims), got ? got : "nobody",       \
				 e.msg, (want));                                                   \
	} while (0)
#define assert_nobody(c, claims, why)                                                              \
	do {                                                                                       \
		e.msg[0] = 0;                                                                      \
		if (name_of((c), (claims), buf, sizeof(buf), &e))                                  \
			fail_msg("%s: gave %s", (claims), buf);                                    \
		if (!strstr(e.msg, (why)))                                                         \
			fail_msg("reason \"%s\" lacks \"%s\"", e.msg, (why));                      \
	} while (0)

static void test_username_rule(void **state)
{
	(void)state;
	struct pj_config c;
	char buf[PJ_LOGIN_NAME_MAX + 1];
	pj_err e;
	cfg_make(&c, NULL);
	assert_name(&c, "{\"sub\":\"alice\"}", "alice");
	assert_nobody(&c, "{\"sub\":7}", "claim sub is not a string");
	assert_nobody(&c, "{\"name\":\"alice\"}", "token has no sub claim");
	pj_config_free(&c);

	/* Entra ID: preferred_username in the tenant's domain, stripped. */
	cfg_make(&c, "username_claim", "preferred_username", "username_domain", "corp.example",
		 NULL);
	assert_name(&c, "{\"preferred_username\":\"alice@corp.example\"}", "alice");
	/* The domain ignores case (DNS names do); the name keeps its own. */
	assert_name(&c, "{\"preferred_username\":\"alice@CORP.Example\"}", "alice");
	assert_name(&c, "{\"preferred_username\":\"Alice@corp.example\"}", "Alice");
	assert_nobody(&c, "{\"preferred_username\":\"alice@other.example\"}",
		      "claim preferred_username is not a name in corp.example (username_domain)");
	assert_nobody(&c, "{\"preferred_username\":\"alice@corp.example.evil\"}", "not a name in");
	assert_nobody(&c, "{\"preferred_username\":\"alice@sub.corp.example\"}", "not a name in");
	assert_nobody(&c, "{\"preferred_username\":\"alice\"}", "not a name in");
	assert_nobody(&c, "{\"preferred_username\":\"@corp.example\"}", "not a name in");
	assert_nobody(&c, "{\"preferred_username\":\"a@b@corp.example\"}", "not a name in");
	pj_config_free(&c);

	/* Lower case: for providers whose names ignore case; ASCII only. */
	cfg_make(&c, "username_claim", "upn", "username_domain", "corp.example", "username_case",
		 "lower", NULL);
	assert_name(&c, "{\"upn\":\"Alice.Smith@Corp.Example\"}", "alice.smith");
	assert_nobody(&c, "{\"upn\":\"\\u212alice@corp.example\"}",
		      "claim upn is not ASCII (username_case lower)");
	pj_config_free(&c);

	/* Google: email, and a present email_verified must be true. */
	cfg_make(&c, "username_claim", "email", "username_domain", "corp.example", NULL);
	assert_name(&c, "{\"email\":\"bob@corp.example\",\"email_verified\":true}", "bob");
	assert_name(&c, "{\"email\":\"bob@corp.example\"}", "bob");
	assert_nobody(&c, "{\"email\":\"bob@corp.example\",\"email_verified\":false}",
		      "email_verified is not true");
	assert_nobody(&c, "{\"email\":\"bob@corp.example\",\"email_verified\":\"true\"}",
		      "email_verified is not true");
	pj_config_free(&c);

	/* Nested, and off. */
	cfg_make(&c, "username_claim", "ext.login", NULL);
	assert_name(&c, "{\"ext\":{\"login\":\"carol\"}}", "carol");
	pj_config_free(&c);
	cfg_make(&c, "username_claim", "none", NULL);
	assert_name(&c, "{\"sub\":\"alice\"}", "(off)");
	pj_config_free(&c);
	struct pj_config d;
	assert_int_equal(pj_config_init(&d, geteuid()), 0);
	assert_fails_with(pj_config_set(&d, "username_domain", "@corp.example", "t", &e), e,
			  "without '@'");
	assert_fails_with(pj_config_set(&d, "username_domain", "corp example", "t", &e), e,
			  "username_domain must be a domain name");
	assert_fails_with(pj_config_set(&d, "username_case", "upper", "t", &e), e,
			  "username_case must be exact or lower");
	assert_fails_with(pj_config_set(&d, "username_claim", "", "t", &e), e,
			  "username_claim needs a value");
	pj_config_free(&d);
}

/* ---- the map file ----------------------------------------------------- */

static const char two_providers[] = "[provider github]\nissuer = https://gh.test\n"
				    "[provider corp]\nissuer = https://corp.test\n";

static void sections(struct pj_config *c)
{
	char *p = put("conf", 0644, two_providers);
	pj_err e;
	assert_int_equal(pj_config_init(c, geteuid()), 0);
	if (pj_config_load_file(c, p, 1, &e) != 0)
		fail_msg("%s", e.msg);
	free(p);
}

static void expect_map_refused(const struct pj_config *c, const char *text, const char *why)
{
	struct pj_usermap *m = (struct pj_usermap *)1;
	pj_err e;
	char *t = strdup(text);
	assert_fails_with(pj_usermap_parse(t, strlen(t), "/etc/map", c, &m, &e), e, why);
	assert_null(m);
	free(t);
}

static void test_map_refusals(void **state)
{
	(void)state;
	struct pj_config c;
	sections(&c);
	expect_map_refused(
		&c, "deploy provider=github\n",
		"user_map /etc/map:1: a rule needs LOCAL_USER provider=NAME and at least "
		"one CLAIM=VALUE");
	expect_map_refused(&c, "# ok\n\ndeploy repository=acme/app\n",
			   "/etc/map:3: expected provider=NAME after the user name");
	expect_map_refused(&c, "deploy provider=gitlab sub=x\n", "no provider is named \"gitlab\"");
	expect_map_refused(&c, "deploy provider=github sub=x # the robot\n",
			   "'#' inside a rule: comments must stand on lines of their own");
	expect_map_refused(&c, "a/b provider=github sub=x\n", "expected a local user name first");
	expect_map_refused(&c, "a=b provider=github sub=x\n", "expected a local user name first");
	expect_map_refused(&c, ".. provider=github sub=x\n", "expected a local user name first");
	expect_map_refused(&c, "x provider=github sub\n", "expected CLAIM=VALUE");
	expect_map_refused(&c, "x provider=github sub=\n", "expected CLAIM=VALUE");
	expect_map_refused(&c, "x provider=github a..b=1\n", "expected CLAIM=VALUE");
	expect_map_refused(&c, "x provider=github sub=1 provider=corp\n", "provider= given twice");
	expect_map_refused(&c, "x provider= sub=1\n", "expected provider=NAME");
	pj_config_free(&c);
	/* Without sections the one provider is "default". */
	struct pj_config d;
	assert_int_equal(pj_config_init(&d, geteuid()), 0);
	expect_map_refused(&d, "x provider=github sub=1\n", "(without sections: default)");
	pj_config_free(&d);
}

static unsigned grants(const struct pj_usermap *m, const char *provider, const char *user,
		       const char *claims)
{
	json_t *j = json(claims);
	unsigned line = pj_usermap_grants(m, provider, user, j);
	json_decref(j);
	return line;
}

static void test_map_grants(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_usermap *m;
	pj_err e;
	sections(&c);
	char *text =
		strdup("# robots\n"
		       "deploy provider=github repository=acme/app ref=refs/heads/main\n"
		       "\n"
		       "\tdeploy   provider=github  repository=acme/infra ref=refs/heads/main\r\n"
		       "ops provider=corp realm_access.roles=ops\n"
		       "alice provider=corp email=alice@corp.example\n");
	if (pj_usermap_parse(text, strlen(text), "/etc/map", &c, &m, &e) != 0)
		fail_msg("%s", e.msg);
	free(text);
	assert_int_equal(pj_usermap_rules(m), 4);
	const char *main_app = "{\"repository\":\"acme/app\",\"ref\":\"refs/heads/main\"}";
	assert_int_equal(grants(m, "github", "deploy", main_app), 2);
	assert_int_equal(grants(m, "github", "deploy",
				"{\"repository\":\"acme/infra\",\"ref\":\"refs/heads/main\"}"),
			 4);
	/* Every claim of the line must hold. */
	assert_int_equal(grants(m, "github", "deploy",
				"{\"repository\":\"acme/app\",\"ref\":\"refs/heads/dev\"}"),
			 0);
	assert_int_equal(grants(m, "github", "deploy", "{\"repository\":\"acme/app\"}"), 0);
	/* Only the account the line names, only for the provider it names. */
	assert_int_equal(grants(m, "github", "root", main_app), 0);
	assert_int_equal(grants(m, "corp", "deploy", main_app), 0);
	/* Nested claims, arrays. */
	assert_int_equal(grants(m, "corp", "ops", "{\"realm_access\":{\"roles\":[\"x\",\"ops\"]}}"),
			 5);
	assert_int_equal(grants(m, "corp", "ops", "{\"realm_access.roles\":[\"ops\"]}"), 0);
	/* An email is an identity only when a present email_verified is true. */
	assert_int_equal(grants(m, "corp", "alice", "{\"email\":\"alice@corp.example\"}"), 6);
	assert_int_equal(grants(m, "corp", "alice",
				"{\"email\":\"alice@corp.example\",\"email_verified\":true}"),
			 6);
	assert_int_equal(grants(m, "corp", "alice",
				"{\"email\":\"alice@corp.example\",\"email_verified\":false}"),
			 0);
	/* Values are exact: no case folding, no prefix. */
	assert_int_equal(grants(m, "corp", "alice", "{\"email\":\"Alice@corp.example\"}"), 0);
	assert_int_equal(grants(m, "github", "deploy",
				"{\"repository\":\"acme/app2\",\"ref\":\"refs/heads/main\"}"),
			 0);
	pj_usermap_free(m);
	pj_config_free(&c);
}

/* ---- binding in the pipeline ------------------------------------------ */

static const unsigned char secret[32] = "the test provider's 32-byte key.";

static int login(const struct pj_config *c, const char *claims, const char *user,
		 struct pj_result *r)
{
	char *tok = unit_hs256(secret, claims);
	int rc = pj_verify(c, tok, strlen(tok), user, NOW, r);
	free(tok);
	return rc;
}

static void load_conf(struct pj_config *c, const char *map_text, const char *extra)
{
	char *k = pj_b64url_encode(secret, 32), text[2048], jwks[200];
	pj_err e;
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"}]}", k);
	free(k);
	free(put("k.jwks", 0600, jwks));
	char *map = map_text ? put("map", 0644, map_text) : NULL;
	snprintf(text, sizeof(text),
		 "%s%s%salgorithms = HS256\n"
		 "[provider corp]\nissuer = https://corp.test\njwks_file = %s/k.jwks\n"
		 "username_claim = preferred_username\nusername_domain = corp.example\n"
		 "username_case = lower\n"
		 "[provider github]\nissuer = https://gh.test\njwks_file = %s/k.jwks\n"
		 "username_claim = none\n%s",
		 map ? "user_map = " : "", map ? map : "", map ? "\n" : "", tmpdir, tmpdir,
		 extra ? extra : "");
	char *p = put("conf", 0644, text);
	assert_int_equal(pj_config_init(c, geteuid()), 0);
	if (pj_config_load_file(c, p, 1, &e) != 0)
		fail_msg("%s", e.msg);
	free(p);
	free(map);
}

#define CORP(more) "{\"iss\":\"https://corp.test\",\"exp\":1700000300" more "}"
#define GH(more)   "{\"iss\":\"https://gh.test\",\"exp\":1700000300" more "}"

static void test_bind(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_result r;
	load_conf(&c, NULL, NULL);
	/* The username rule, no map. */
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"Alice@Corp.example\""), "alice", &r), 0);
	assert_int_equal(r.map_line, 0);
	pj_result_free(&r);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@corp.example\""), "bob", &r), -1);
	assert_string_equal(r.reason.msg,
			    "token is for another user (preferred_username does not match)");
	pj_result_free(&r);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@other.example\""), "alice", &r),
		-1);
	assert_non_null(strstr(r.reason.msg, "is not a name in corp.example"));
	pj_result_free(&r);
	/* username_claim none and no map: nobody. */
	assert_int_equal(login(&c, GH(",\"sub\":\"deploy\""), "deploy", &r), -1);
	assert_string_equal(r.reason.msg,
			    "username_claim is none: only user_map gives this provider's tokens an "
			    "account");
	pj_result_free(&r);
	pj_config_free(&c);

	load_conf(&c,
		  "deploy provider=github repository=acme/app\n"
		  "alice provider=github actor=alice-gh\n",
		  NULL);
	assert_int_equal(login(&c, GH(",\"repository\":\"acme/app\""), "deploy", &r), 0);
	assert_int_equal(r.map_line, 1);
	assert_string_equal(r.provider, "github");
	pj_result_free(&r);
	/* The map gives deploy, never another account. */
	assert_int_equal(login(&c, GH(",\"repository\":\"acme/app\""), "root", &r), -1);
	assert_string_equal(r.reason.msg,
			    "username_claim is none and no user_map line gives this token the "
			    "account");
	pj_result_free(&r);
	/* A rule for one provider is no rule for another, whatever the claims. */
	assert_int_equal(login(&c,
			       CORP(",\"repository\":\"acme/app\","
				    "\"preferred_username\":\"x@corp.example\""),
			       "deploy", &r),
			 -1);
	assert_non_null(strstr(r.reason.msg, "no user_map line gives"));
	pj_result_free(&r);
	/* The username rule and a map line may both give alice: two rules. */
	assert_int_equal(login(&c, GH(",\"actor\":\"alice-gh\""), "alice", &r), 0);
	assert_int_equal(r.map_line, 2);
	pj_result_free(&r);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@corp.example\""), "alice", &r), 0);
	assert_int_equal(r.map_line, 0);
	pj_result_free(&r);
	/* The tool without --user binds nobody and reads no map. */
	assert_int_equal(login(&c, GH(",\"repository\":\"acme/app\""), NULL, &r), 0);
	pj_result_free(&r);
	pj_config_free(&c);

	/* A malformed map refuses every login, naming its line, even one the
	 * username rule alone would accept. */
	load_conf(&c, "deploy provider=github repository=acme/app\nbroken\n", NULL);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@corp.example\""), "alice", &r), -1);
	assert_non_null(strstr(r.reason.msg, "map:2: a rule needs"));
	pj_result_free(&r);
	pj_config_free(&c);
	/* So does a missing or untrusted one. */
	load_conf(&c, "deploy provider=github repository=acme/app\n", NULL);
	char path[256];
	snprintf(path, sizeof(path), "%s/map", tmpdir);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@corp.example\""), "alice", &r), -1);
	assert_non_null(strstr(r.reason.msg, "user_map: "));
	assert_non_null(strstr(r.reason.msg, "writable by group or others"));
	pj_result_free(&r);
	unlink(path);
	assert_int_equal(
		login(&c, CORP(",\"preferred_username\":\"alice@corp.example\""), "alice", &r), -1);
	assert_non_null(strstr(r.reason.msg, "user_map: "));
	pj_result_free(&r);
	pj_config_free(&c);
}

/* A token signed with the user's own key (user_jwks_file) never uses the
 * map: its holder wrote the claims the map would read. */
static void test_bind_user_key(void **state)
{
	(void)state;
	struct pj_config c;
	struct pj_result r;
	char dir[256], file[300];
	snprintf(dir, sizeof(dir), "%s/users", tmpdir);
	mkdir(dir, 0755);
	char *k = pj_b64url_encode(secret, 32), jwks[200];
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"%s\"}]}", k);
	free(k);
	snprintf(file, sizeof(file), "users/deploy.jwks");
	free(put(file, 0600, jwks));
	char extra[400];
	snprintf(extra, sizeof(extra),
		 "[provider local]\nissuer = local\nuser_jwks_file = %s/%%u.jwks\n"
		 "username_claim = none\nalgorithms = HS256\n",
		 dir);
	load_conf(&c, "deploy provider=local repository=acme/app\n", extra);
	assert_int_equal(login(&c,
			       "{\"iss\":\"local\",\"exp\":1700000300,"
			       "\"repository\":\"acme/app\"}",
			       "deploy", &r),
			 -1);
	assert_int_equal(r.signer, PJ_SIGNER_USER);
	assert_non_null(strstr(r.reason.msg, "user_map never applies to the user's own key"));
	pj_result_free(&r);
	pj_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_paths),   cmocka_unit_test(test_require_nested),
		cmocka_unit_test(test_username_rule), cmocka_unit_test(test_map_refusals),
		cmocka_unit_test(test_map_grants),    cmocka_unit_test(test_bind),
		cmocka_unit_test(test_bind_user_key),
	};
	return cmocka_run_group_tests_name("usermap", tests, dir_setup, dir_teardown);
}
