/* SPDX-License-Identifier: BSD-3-Clause */
/* src/claims.c: the claim rules after the signature checked out, with a
 * fixed clock so every boundary is exact. */
#include "unit.h"
#include "unit_config.h"

#include <unistd.h>

#include <jansson.h>

#include "claims.h"
#include "config.h"

#define NOW 1700000000L

static json_t *json(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return j;
}

/* Claims given as printf format (the times are usually NOW-relative). */
static int check_hdr(const struct pj_config *c, const char *hdr, const char *user, pj_err *e,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int check_hdr(const struct pj_config *c, const char *hdr, const char *user, pj_err *e,
		     const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_t *h = json(hdr), *claims = json(text);
	e->msg[0] = 0;
	int rc = pj_claims_check(c, h, claims, user, 0, NOW, e);
	json_decref(h);
	json_decref(claims);
	return rc;
}

#define check(c, user, e, ...) check_hdr(c, "{\"alg\":\"ES256\"}", user, e, __VA_ARGS__)

#define assert_ok(call, err)                                                                       \
	do {                                                                                       \
		(err).msg[0] = 0;                                                                  \
		if ((call) != 0)                                                                   \
			fail_msg("refused: %s", (err).msg);                                        \
	} while (0)

/* ---- times ------------------------------------------------------------ */

static void test_exp(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, NULL); /* leeway 60 */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld}", NOW + 3600), e);
	/* Valid until now < exp + leeway. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld}", NOW - 60 + 1), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", NOW - 60), e,
			  "token expired 60 s ago");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", NOW - 86400), e, "token expired");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":0}"), e, "token expired");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":-1}"), e, "token expired");
	pj_config_free(&c);

	cfg_make(&c, "leeway", "0", NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", NOW), e, "token expired 0 s ago");
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld}", NOW + 1), e);
	/* Fractions count: 0.5 s left is still valid, 0.5 s past is not. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld.5}", NOW), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld.5}", NOW - 1), e, "token expired");
	assert_ok(check(&c, NULL, &e, "{\"exp\":1.8e9}"), e);
	pj_config_free(&c);
}

static void test_nbf_iat(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, NULL);
	const long exp = NOW + 3600;
	/* nbf: usable from nbf - leeway on. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"nbf\":%ld}", exp, NOW + 60), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"nbf\":%ld}", exp, NOW + 61), e,
			  "token not valid for another 61 s (nbf)");
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"nbf\":%ld}", exp, NOW - 1000), e);
	/* iat in the future beyond the leeway: a clock problem or a forgery. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW + 60), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW + 61), e,
			  "token issued 61 s in the future (iat)");
	pj_config_free(&c);
	cfg_make(&c, "leeway", "0", NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"nbf\":%ld}", exp, NOW + 1), e,
			  "(nbf)");
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"nbf\":%ld}", exp, NOW), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW + 1), e,
			  "(iat)");
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW), e);
	pj_config_free(&c);
}

/* RFC 7519 NumericDate is a JSON number; "1700000000" is not one. */
static void test_dates_are_numbers(void **state)
{
	(void)state;
	static const char *bad[] = { "\"%ld\"", "true", "false", "null", "[%ld]", "{}" };
	static const char *names[] = { "exp", "nbf", "iat" };
	struct pj_config c;
	pj_err e;
	cfg_make(&c, "require", "", NULL);
	for (size_t n = 0; n < 3; n++)
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char fmt[64], want[64];
			snprintf(fmt, sizeof(fmt), "{\"%s\":%s}", names[n], bad[i]);
			snprintf(want, sizeof(want), "claim %s is not a number", names[n]);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			assert_fails_with(check(&c, NULL, &e, fmt, NOW + 100), e, want);
#pragma GCC diagnostic pop
		}
	/* Integers and reals are both numbers. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld.25,\"nbf\":%ld.0,\"iat\":%ld.75}", NOW + 100,
			NOW, NOW - 1),
		  e);
	pj_config_free(&c);
}

/* ---- required claims -------------------------------------------------- */

static void test_required(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	/* The default requires exp. */
	cfg_make(&c, NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"sub\":\"alice\"}"), e,
			  "required claim exp is missing");
	pj_config_free(&c);

	cfg_make(&c, "require", "exp iat jti", NULL);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld,\"jti\":\"j1\"}", exp, NOW), e);
	assert_fails_with(check(&c, NULL, &e, "{\"iat\":%ld,\"jti\":\"j1\"}", NOW), e,
			  "required claim exp is missing");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"jti\":\"j1\"}", exp), e,
			  "required claim iat is missing");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW), e,
			  "required claim jti is missing");
	/* Names are exact. */
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld,\"JTI\":\"j\"}", exp, NOW),
			  e, "required claim jti is missing");
	pj_config_free(&c);

	/* "require" with no names turns the requirement off, exp included: a
	 * token without exp then never expires.  This is what the code does. */
	cfg_make(&c, "require", "", NULL);
	assert_int_equal(c.require.n, 0);
	assert_ok(check(&c, NULL, &e, "{\"sub\":\"alice\"}"), e);
	assert_ok(check(&c, NULL, &e, "{}"), e);
	/* An exp that is present is still enforced. */
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", NOW - 61), e, "token expired");
	pj_config_free(&c);

	/* A required claim with any name, e.g. one the issuer adds. */
	cfg_make(&c, "require", "exp,amr", NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", exp), e,
			  "required claim amr is missing");
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"amr\":[\"pwd\"]}", exp), e);
	pj_config_free(&c);
}

/* ---- issuer and audience ---------------------------------------------- */

static void test_issuer(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, NULL);
	/* No issuer configured: any iss, or none, is accepted. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"anyone\"}", exp), e);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":7}", exp), e);
	pj_config_free(&c);

	cfg_make(&c, "issuer", "https://a.example https://b.example", NULL);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://a.example\"}", exp), e);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://b.example\"}", exp), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://c.example\"}", exp),
			  e, "issuer \"https://c.example\" is not accepted");
	/* Exact match: no case folding, no prefix, no trailing slash. */
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://A.example\"}", exp),
			  e, "is not accepted");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://a.example/\"}", exp),
			  e, "is not accepted");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://a.exampl\"}", exp), e,
			  "is not accepted");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", exp), e,
			  "token has no iss, issuer is configured");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":[\"https://a.example\"]}", exp),
			  e, "claim iss is not a string");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":null}", exp), e,
			  "claim iss is not a string");
	/* The refused value is shown escaped. */
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"x\\ny \\\"\"}", exp), e,
			  "issuer \"x\\x0ay\\x20\\x22\" is not accepted");
	pj_config_free(&c);
}

static void test_audience(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, "audience", "api1, api2", NULL);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":\"api2\"}", exp), e);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"other\",\"api1\"]}", exp), e);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"api1\"]}", exp), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":\"api3\"}", exp), e,
			  "audience does not match");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":\"API1\"}", exp), e,
			  "audience does not match");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"x\",\"y\"]}", exp), e,
			  "audience does not match");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[]}", exp), e,
			  "audience does not match");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", exp), e,
			  "token has no aud, audience is configured");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":1}", exp), e,
			  "claim aud is neither a string nor an array");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":{\"api1\":1}}", exp), e,
			  "claim aud is neither a string nor an array");
	/* A malformed array is refused wherever the bad member sits, also
	 * after a member that matches. */
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[3,\"api1\"]}", exp), e,
			  "claim aud has a member that is not a string");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"api1\",null]}", exp), e,
			  "claim aud has a member that is not a string");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[[\"api1\"]]}", exp), e,
			  "claim aud has a member that is not a string");
	pj_config_free(&c);

	/* Without an audience configured, aud is not looked at. */
	cfg_make(&c, NULL);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[3]}", exp), e);
	pj_config_free(&c);
}

/* Both configured: each rule holds whatever form the other claim takes.  A
 * token of another issuer with the right audience in an array is another
 * issuer's token. */
static void test_issuer_and_audience(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, "issuer", "https://idp.test", "audience", "app", NULL);
	assert_ok(check(&c, NULL, &e,
			"{\"exp\":%ld,\"iss\":\"https://idp.test\",\"aud\":[\"app\"]}", exp),
		  e);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iss\":\"https://idp.test\",\"aud\":\"app\"}",
			exp),
		  e);
	assert_fails_with(check(&c, NULL, &e,
				"{\"exp\":%ld,\"iss\":\"https://evil.test\",\"aud\":[\"app\"]}",
				exp),
			  e, "issuer \"https://evil.test\" is not accepted");
	assert_fails_with(
		check(&c, NULL, &e,
		      "{\"exp\":%ld,\"iss\":\"https://evil.test\",\"aud\":[\"x\",\"app\"]}", exp),
		e, "issuer \"https://evil.test\" is not accepted");
	assert_fails_with(check(&c, NULL, &e,
				"{\"exp\":%ld,\"iss\":\"https://evil.test\",\"aud\":\"app\"}", exp),
			  e, "issuer \"https://evil.test\" is not accepted");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"app\"]}", exp), e,
			  "token has no iss, issuer is configured");
	assert_fails_with(check(&c, NULL, &e,
				"{\"exp\":%ld,\"iss\":\"https://idp.test\",\"aud\":[\"web\"]}",
				exp),
			  e, "audience does not match");
	pj_config_free(&c);
}

/* The configured audience is compared whole: a value that is a prefix of the
 * token's aud (or the other way round) is another audience, in a string or
 * in an array. */
static void test_audience_prefix(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, "audience", "app ssh", NULL);
	static const char *const others[] = { "application", "app2", "apps", "ssh:login",
					      "sshd",	     "ap",   "",     "app " };
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_fails_with(
			check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":\"%s\"}", exp, others[i]), e,
			"audience does not match");
		assert_fails_with(
			check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"%s\"]}", exp, others[i]), e,
			"audience does not match");
	}
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"application\",\"app\"]}", exp), e);
	pj_config_free(&c);
	/* And a configured value longer than the token's. */
	cfg_make(&c, "audience", "application", NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":\"app\"}", exp), e,
			  "audience does not match");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"aud\":[\"app\"]}", exp), e,
			  "audience does not match");
	pj_config_free(&c);
}

/* ---- typ -------------------------------------------------------------- */

static void test_typ(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	char claims[64];
	snprintf(claims, sizeof(claims), "{\"exp\":%ld}", exp);
#define typ_check(h) check_hdr(&c, h, NULL, &e, "%s", claims)
	cfg_make(&c, "typ", "JWT", NULL);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"), e);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"jwt\"}"), e);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"application/jwt\"}"), e);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"Application/JWT\"}"), e);
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}"), e,
			  "typ does not match, JWT is required");
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"application/application/jwt\"}"),
			  e, "typ does not match");
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"text/jwt\"}"), e,
			  "typ does not match");
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"JWT \"}"), e,
			  "typ does not match");
	assert_fails_with(typ_check("{\"alg\":\"ES256\"}"), e,
			  "token has no typ, typ JWT is required");
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":1}"), e, "token has no typ");
	pj_config_free(&c);

	/* The prefix may be on the configured side too. */
	cfg_make(&c, "typ", "application/at+jwt", NULL);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"at+JWT\"}"), e);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"application/at+jwt\"}"), e);
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"), e,
			  "typ does not match");
	/* The whole value: a prefix of the configured one is another type. */
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"at\"}"), e, "typ does not match");
	assert_fails_with(typ_check("{\"alg\":\"ES256\",\"typ\":\"application/\"}"), e,
			  "typ does not match");
	pj_config_free(&c);

	/* No typ configured (or an empty one): typ is not looked at. */
	cfg_make(&c, NULL);
	assert_ok(typ_check("{\"alg\":\"ES256\",\"typ\":\"anything\"}"), e);
	pj_config_free(&c);
	cfg_make(&c, "typ", "", NULL);
	assert_ok(typ_check("{\"alg\":\"ES256\"}"), e);
	pj_config_free(&c);
#undef typ_check
}

/* ---- the user --------------------------------------------------------- */

static void test_user_binding(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, NULL);
	assert_ok(check(&c, "alice", &e, "{\"exp\":%ld,\"sub\":\"alice\"}", exp), e);
	/* Byte for byte: no case folding, trimming or Unicode normalisation. */
	static const char *other[] = { "Alice", "alice ",   " alice",
				       "alic",	"alice\\n", "al\\u0069ce2" };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_fails_with(
			check(&c, "alice", &e, "{\"exp\":%ld,\"sub\":\"%s\"}", exp, other[i]), e,
			"token is for another user (sub does not match)");
	/* U+00E9 precomposed vs e + U+0301 combining. */
	assert_fails_with(
		check(&c, "jos\xc3\xa9", &e, "{\"exp\":%ld,\"sub\":\"jose\\u0301\"}", exp), e,
		"token is for another user");
	assert_ok(check(&c, "jos\xc3\xa9", &e, "{\"exp\":%ld,\"sub\":\"jos\\u00e9\"}", exp), e);
	assert_fails_with(check(&c, "alice", &e, "{\"exp\":%ld}", exp), e,
			  "token has no sub claim to match the user");
	assert_fails_with(check(&c, "alice", &e, "{\"exp\":%ld,\"sub\":[\"alice\"]}", exp), e,
			  "claim sub is not a string");
	assert_fails_with(check(&c, "0", &e, "{\"exp\":%ld,\"sub\":0}", exp), e,
			  "claim sub is not a string");
	/* user NULL (the tool without --user): no binding at all. */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld}", exp), e);
	pj_config_free(&c);
}

static void test_username_claim(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, "username_claim", "preferred_username", NULL);
	const char *fmt = "{\"exp\":%ld,\"sub\":\"alice\",\"preferred_username\":\"bob\"}";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	assert_ok(check(&c, "bob", &e, fmt, exp), e);
	/* sub no longer counts. */
	assert_fails_with(check(&c, "alice", &e, fmt, exp), e,
			  "token is for another user (preferred_username does not match)");
#pragma GCC diagnostic pop
	assert_fails_with(check(&c, "alice", &e, "{\"exp\":%ld,\"sub\":\"alice\"}", exp), e,
			  "token has no preferred_username claim to match the user");
	assert_fails_with(check(&c, "1", &e, "{\"exp\":%ld,\"preferred_username\":1}", exp), e,
			  "claim preferred_username is not a string");
	pj_config_free(&c);
}

/* ---- max_age and max_lifetime ----------------------------------------- */

static void test_max_age(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long exp = NOW + 100;
	cfg_make(&c, "max_age", "300", NULL); /* plus leeway 60 */
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW - 360), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW - 361), e,
			  "token issued 361 s ago, over max_age 300");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", exp), e,
			  "max_age is set and the token has no iat");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":\"%ld\"}", exp, NOW), e,
			  "claim iat is not a number");
	pj_config_free(&c);
	cfg_make(&c, "max_age", "300", "leeway", "0", NULL);
	assert_ok(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW - 300), e);
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld,\"iat\":%ld}", exp, NOW - 301), e,
			  "over max_age 300");
	pj_config_free(&c);
}

static void test_max_lifetime(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	const long iat = NOW - 10;
	cfg_make(&c, "max_lifetime", "3600", NULL);
	assert_ok(check(&c, NULL, &e, "{\"iat\":%ld,\"exp\":%ld}", iat, iat + 3600), e);
	/* The leeway does not stretch the lifetime: it is the issuer's choice. */
	assert_fails_with(check(&c, NULL, &e, "{\"iat\":%ld,\"exp\":%ld}", iat, iat + 3601), e,
			  "token lifetime 3601 s is over max_lifetime 3600");
	assert_fails_with(check(&c, NULL, &e, "{\"exp\":%ld}", NOW + 100), e,
			  "max_lifetime is set and the token lacks iat or exp");
	pj_config_free(&c);
	cfg_make(&c, "max_lifetime", "3600", "require", "", NULL);
	assert_fails_with(check(&c, NULL, &e, "{\"iat\":%ld}", iat), e,
			  "max_lifetime is set and the token lacks iat or exp");
	pj_config_free(&c);
}

/* Rules are checked in a fixed order, so the reason is predictable: required
 * claims, then times, issuer, audience, typ, user. */
static void test_order(void **state)
{
	(void)state;
	struct pj_config c;
	pj_err e;
	cfg_make(&c, "require", "exp jti", "issuer", "i", "audience", "a", NULL);
	assert_fails_with(check(&c, "u", &e, "{\"exp\":1,\"iss\":\"x\",\"aud\":\"y\"}"), e,
			  "required claim jti is missing");
	assert_fails_with(check(&c, "u", &e, "{\"exp\":1,\"jti\":\"j\",\"iss\":\"x\"}"), e,
			  "token expired");
	assert_fails_with(check(&c, "u", &e, "{\"exp\":%ld,\"jti\":\"j\",\"iss\":\"x\"}", NOW + 9),
			  e, "issuer \"x\" is not accepted");
	assert_fails_with(check(&c, "u", &e,
				"{\"exp\":%ld,\"jti\":\"j\",\"iss\":\"i\",\"sub\":\"v\"}", NOW + 9),
			  e, "token has no aud");
	const char *all = "{\"exp\":%ld,\"jti\":\"j\",\"iss\":\"i\",\"aud\":\"a\",\"sub\":\"%s\"}";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	assert_fails_with(check(&c, "u", &e, all, NOW + 9, "v"), e, "token is for another user");
	assert_ok(check(&c, "u", &e, all, NOW + 9, "u"), e);
#pragma GCC diagnostic pop
	pj_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exp),
		cmocka_unit_test(test_nbf_iat),
		cmocka_unit_test(test_dates_are_numbers),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_issuer),
		cmocka_unit_test(test_audience),
		cmocka_unit_test(test_issuer_and_audience),
		cmocka_unit_test(test_audience_prefix),
		cmocka_unit_test(test_typ),
		cmocka_unit_test(test_user_binding),
		cmocka_unit_test(test_username_claim),
		cmocka_unit_test(test_max_age),
		cmocka_unit_test(test_max_lifetime),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests_name("claims", tests, NULL, NULL) ? 1 : 0;
}
