/* SPDX-License-Identifier: BSD-3-Clause */
/* src/token.c: what counts as a token at all, how the compact JWS is split
 * and decoded, and the header rules. */
#include "unit.h"

#include <jansson.h>

#include "config.h"
#include "token.h"
#include "util.h"

static char *b64(const char *s)
{
	char *r = pj_b64url_encode((const unsigned char *)s, strlen(s));
	assert_non_null(r);
	return r;
}

/* header.payload.sig from two JSON texts and the raw signature bytes. */
static char *make_token(const char *hdr, const char *payload, const char *sig)
{
	char *h = b64(hdr), *p = b64(payload), *s = b64(sig);
	size_t n = strlen(h) + strlen(p) + strlen(s) + 3;
	char *t = malloc(n);
	assert_non_null(t);
	snprintf(t, n, "%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return t;
}

static int parse(const char *tok, unsigned algs, struct pj_token *t, pj_err *e)
{
	e->msg[0] = 0;
	return pj_token_parse(tok, strlen(tok), algs, t, e);
}

/* Parses and expects a refusal; the token is freed either way. */
static void expect_parse_refused(const char *tok, unsigned algs, const char *why)
{
	struct pj_token t;
	pj_err e;
	assert_fails_with(parse(tok, algs, &t, &e), e, why);
	pj_token_free(&t);
}

static void expect_json_refused(const char *hdr, const char *payload, const char *why)
{
	char *tok = make_token(hdr, payload, "sig");
	expect_parse_refused(tok, PJ_ALGS_ALL, why);
	free(tok);
}

/* ---- pj_token_shaped -------------------------------------------------- */

static int shaped(const char *s)
{
	return pj_token_shaped(s, strlen(s));
}

static void test_shaped(void **state)
{
	(void)state;
	char *tok = make_token("{\"alg\":\"ES256\"}", "{\"sub\":\"alice\"}", "0123456789");
	assert_true(shaped(tok));
	/* The length is explicit: a prefix with one dot is not a token. */
	assert_false(pj_token_shaped(tok, (size_t)(strrchr(tok, '.') - tok)));
	free(tok);
	assert_true(shaped("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
	assert_true(shaped("eyA..")); /* shape only: empty parts pass */
	assert_true(shaped("ey-_.AZaz09.-_"));

	/* Passwords, and near misses, are not tokens (and are never logged). */
	assert_false(shaped("hunter2"));
	assert_false(shaped("correct horse battery staple"));
	assert_false(shaped("a.b.c")); /* header JSON starts "ey" */
	assert_false(shaped("ab.cd.ef"));
	assert_false(shaped("p@ss.w0rd.x"));
	assert_false(shaped(""));
	assert_false(shaped("ey"));
	assert_false(shaped("ey.."));	   /* under 5 bytes */
	assert_false(shaped("eyJ a.b.c")); /* space */
	assert_false(shaped("eyJa.b.c ")); /* trailing space: verify trims first */
	assert_false(shaped("eyJa.b.c\n"));
	assert_false(shaped("eyJa.b+c.d")); /* base64, not base64url */
	assert_false(shaped("eyJa.b/c.d"));
	assert_false(shaped("eyJa.bc.d="));  /* padding */
	assert_false(shaped("eyJab.cd"));    /* one dot */
	assert_false(shaped("eyJab.c.d.e")); /* three dots: JWE shape */
	assert_false(shaped("eyJab.c.d.e.f"));
	assert_false(shaped("eyJ\xc3\xa9.a.b")); /* non-ASCII */
	assert_false(pj_token_shaped("eyJa.b\0c.d", 10));
}

/* ---- splitting -------------------------------------------------------- */

static void test_parse_ok(void **state)
{
	(void)state;
	const char sig[] = "\x01\x02\x03 raw signature bytes \xff";
	char *tok = make_token("{\"alg\":\"ES256\",\"kid\":\"key-1\",\"typ\":\"JWT\"}",
			       "{\"sub\":\"alice\",\"exp\":123}", sig);
	struct pj_token t;
	pj_err e;
	if (parse(tok, PJ_ALGS_ASYMMETRIC, &t, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(t.alg, PJ_ALG_ES256);
	assert_string_equal(t.kid, "key-1");
	/* kid points into the header object (no copy to free). */
	assert_ptr_equal(t.kid, json_string_value(json_object_get(t.header, "kid")));
	assert_string_equal(json_string_value(json_object_get(t.claims, "sub")), "alice");
	assert_int_equal(json_integer_value(json_object_get(t.claims, "exp")), 123);
	/* The signing input is header.payload, in the caller's buffer. */
	assert_ptr_equal(t.signing_input, tok);
	assert_int_equal(t.signing_input_len, (size_t)(strrchr(tok, '.') - tok));
	assert_int_equal(t.sig_len, sizeof(sig) - 1);
	assert_memory_equal(t.sig, sig, t.sig_len);
	pj_token_free(&t);
	assert_null(t.header);
	assert_null(t.sig);
	free(tok);

	/* No kid: NULL, not "". */
	tok = make_token("{\"alg\":\"EdDSA\"}", "{}", "s");
	assert_int_equal(parse(tok, PJ_ALGS_ALL, &t, &e), 0);
	assert_null(t.kid);
	assert_int_equal(t.alg, PJ_ALG_EDDSA);
	pj_token_free(&t);
	free(tok);
}

static void test_parse_explicit_length(void **state)
{
	(void)state;
	char *tok = make_token("{\"alg\":\"RS256\"}", "{\"a\":1}", "sig");
	size_t n = strlen(tok);
	/* Bytes after n are not the token's, even a fourth part. */
	char *buf = malloc(n + 8);
	assert_non_null(buf);
	memcpy(buf, tok, n);
	memcpy(buf + n, ".AAAA..", 8);
	struct pj_token t;
	pj_err e = { "" };
	if (pj_token_parse(buf, n, PJ_ALGS_ALL, &t, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(t.sig_len, 3);
	assert_memory_equal(t.sig, "sig", 3);
	pj_token_free(&t);
	free(buf);
	free(tok);
}

static void test_parse_split_refused(void **state)
{
	(void)state;
	char *h = b64("{\"alg\":\"ES256\"}"), *p = b64("{}"), tok[256];
	expect_parse_refused("", PJ_ALGS_ALL, "needs three dot-separated parts");
	expect_parse_refused("hunter2", PJ_ALGS_ALL, "needs three dot-separated parts");
	snprintf(tok, sizeof(tok), "%s.%s", h, p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "needs three dot-separated parts");
	snprintf(tok, sizeof(tok), "%s.%s.c2ln.", h, p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "more than three parts; JWE is not supported");
	/* A JWE compact serialization has five parts. */
	snprintf(tok, sizeof(tok), "%s.%s.AAAA.AAAA.AAAA", h, p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "JWE is not supported");

	snprintf(tok, sizeof(tok), ".%s.c2ln", p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "header segment is empty");
	snprintf(tok, sizeof(tok), "%s..c2ln", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "payload segment is empty");
	snprintf(tok, sizeof(tok), "%s.%s.", h, p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "signature is empty");

	/* Strict base64url in every part, with the part named. */
	snprintf(tok, sizeof(tok), "%s=.%s.c2ln", h, p);
	expect_parse_refused(tok, PJ_ALGS_ALL, "header: ");
	snprintf(tok, sizeof(tok), "%s.e30=.c2ln", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "payload: base64url padding is not allowed");
	snprintf(tok, sizeof(tok), "%s.e30.c2l+", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "signature: character outside the base64url");
	snprintf(tok, sizeof(tok), "%s.e30.c2k=", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "signature: base64url padding is not allowed");
	snprintf(tok, sizeof(tok), "%s.e30.AB", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "signature: non-zero trailing bits");
	snprintf(tok, sizeof(tok), "%s.e31.c2ln", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "payload: non-zero trailing bits");
	snprintf(tok, sizeof(tok), "%s.e30 .c2ln", h);
	expect_parse_refused(tok, PJ_ALGS_ALL, "payload: character outside");
	free(h);
	free(p);

	/* Over the size limit, before anything is decoded. */
	char *big = malloc(PJ_MAX_TOKEN + 2);
	assert_non_null(big);
	memset(big, 'A', PJ_MAX_TOKEN + 1);
	big[0] = 'e', big[1] = 'y', big[10] = '.', big[20] = '.';
	big[PJ_MAX_TOKEN + 1] = 0;
	expect_parse_refused(big, PJ_ALGS_ALL, "over the 16384-byte limit");
	free(big);
}

static void test_parse_json_refused(void **state)
{
	(void)state;
	const char *ok_h = "{\"alg\":\"ES256\"}";
	expect_json_refused("not json", "{}", "header is not valid JSON");
	expect_json_refused("[\"alg\",\"ES256\"]", "{}", "header is not a JSON object");
	expect_json_refused("\"ES256\"", "{}", "header is not valid JSON");
	expect_json_refused("{\"alg\":\"ES256\",\"alg\":\"HS256\"}", "{}",
			    "header is not valid JSON");
	expect_json_refused("{\"alg\":\"ES256\"} {}", "{}", "header is not valid JSON");
	expect_json_refused(ok_h, "{\"sub\":\"a\",\"sub\":\"b\"}", "payload is not valid JSON");
	expect_json_refused(ok_h, "[1]", "payload is not a JSON object");
	expect_json_refused(ok_h, "null", "payload is not valid JSON");
	expect_json_refused(ok_h, "{\"sub\":\"a\\u0000b\"}", "payload is not valid JSON");
	expect_json_refused(ok_h, "{\"sub\":\"\xff\"}", "payload is not valid JSON");
	expect_json_refused(ok_h, "{\"sub\":", "payload is not valid JSON");

	/* On a payload failure the header is kept, for the log line. */
	char *tok = make_token(ok_h, "[]", "s");
	struct pj_token t;
	pj_err e;
	assert_int_equal(parse(tok, PJ_ALGS_ALL, &t, &e), -1);
	assert_non_null(t.header);
	assert_null(t.claims);
	pj_token_free(&t);
	free(tok);
}

static void test_header_rules(void **state)
{
	(void)state;
	expect_json_refused("{}", "{}", "header has no alg");
	expect_json_refused("{\"typ\":\"JWT\"}", "{}", "header has no alg");
	expect_json_refused("{\"alg\":256}", "{}", "header alg is not a string");
	expect_json_refused("{\"alg\":null}", "{}", "header alg is not a string");
	expect_json_refused("{\"alg\":\"none\"}", "{}", "algorithm \"none\" is not supported");
	expect_json_refused("{\"alg\":\"None\"}", "{}", "algorithm \"None\" is not supported");
	expect_json_refused("{\"alg\":\"es256\"}", "{}", "algorithm \"es256\" is not supported");
	expect_json_refused("{\"alg\":\"RSA-OAEP\"}", "{}", "is not supported");
	expect_json_refused("{\"alg\":\"ES256\\n\"}", "{}", "algorithm \"ES256\\x0a\"");
	/* No extension is implemented, so any crit is fatal, even an empty one. */
	expect_json_refused("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "{}",
			    "header has crit");
	expect_json_refused("{\"alg\":\"ES256\",\"crit\":[]}", "{}", "header has crit");
	expect_json_refused("{\"alg\":\"ES256\",\"crit\":null}", "{}", "header has crit");
	expect_json_refused("{\"alg\":\"ES256\",\"kid\":7}", "{}", "header kid is not a string");
	expect_json_refused("{\"alg\":\"ES256\",\"kid\":[\"a\"]}", "{}",
			    "header kid is not a string");
	expect_json_refused("{\"alg\":\"ES256\",\"kid\":null}", "{}", "header kid is not a string");
	expect_json_refused("{\"alg\":\"ES256\",\"typ\":1}", "{}", "header typ is not a string");

	/* The configured allowlist decides; HS* is not in the default set. */
	char *tok = make_token("{\"alg\":\"HS256\"}", "{}", "s");
	expect_parse_refused(tok, PJ_ALGS_ASYMMETRIC,
			     "algorithm HS256 is not allowed by configuration");
	struct pj_token t;
	pj_err e;
	assert_int_equal(parse(tok, PJ_ALG_BIT(PJ_ALG_HS256), &t, &e), 0);
	assert_int_equal(t.alg, PJ_ALG_HS256);
	pj_token_free(&t);
	free(tok);
	tok = make_token("{\"alg\":\"RS256\"}", "{}", "s");
	expect_parse_refused(tok, PJ_ALG_BIT(PJ_ALG_PS256), "algorithm RS256 is not allowed");
	expect_parse_refused(tok, 0, "algorithm RS256 is not allowed");
	free(tok);

	/* Key-carrying header members are ignored, not trusted, not refused. */
	tok = make_token("{\"alg\":\"ES256\",\"jku\":\"https://evil\",\"jwk\":{\"kty\":\"EC\"},"
			 "\"x5u\":\"https://evil\",\"x5c\":[\"AAAA\"]}",
			 "{}", "s");
	assert_int_equal(parse(tok, PJ_ALGS_ALL, &t, &e), 0);
	assert_null(t.kid);
	pj_token_free(&t);
	free(tok);
}

static void test_json_object(void **state)
{
	(void)state;
	pj_err e;
	json_t *j = pj_json_object((const unsigned char *)"{\"a\":1}xyz", 7, "doc", &e);
	assert_non_null(j);
	json_decref(j);
	e.msg[0] = 0;
	assert_null(pj_json_object((const unsigned char *)"{\"a\":1,\"a\":2}", 13, "doc", &e));
	assert_non_null(strstr(e.msg, "doc is not valid JSON"));
	assert_null(pj_json_object((const unsigned char *)"[]", 2, "doc", &e));
	assert_non_null(strstr(e.msg, "doc is not a JSON object"));
	assert_null(pj_json_object((const unsigned char *)"", 0, "doc", &e));
	assert_non_null(strstr(e.msg, "doc is not valid JSON"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shaped),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_explicit_length),
		cmocka_unit_test(test_parse_split_refused),
		cmocka_unit_test(test_parse_json_refused),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_json_object),
	};
	return cmocka_run_group_tests_name("token", tests, NULL, NULL) ? 1 : 0;
}
