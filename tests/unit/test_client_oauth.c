/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-login's reading of what a provider answers (src/client/oauth.c):
 * the discovery document's issuer and endpoints, and the token endpoint's
 * answer (its type, its expiry).  The provider is never trusted to say
 * something else than what was asked: another issuer, an http:// endpoint
 * or a token that is not a Bearer token is refused, and a token is kept no
 * longer than its own exp. */
#include "unit.h"

#include <openssl/evp.h>

#include "client/oauth.h"
#include "util.h"

#define ISS "https://idp.test"

static int disco(const char *doc, const char *want, pj_err *e)
{
	struct pj_discovery d = { 0 };
	int rc = pj_oauth_parse_discovery(doc, strlen(doc), want, &d, e);
	pj_discovery_free(&d);
	return rc;
}

static void test_discovery(void **state)
{
	(void)state;
	pj_err e;
	const char *good = "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"" ISS "/token\","
			   "\"device_authorization_endpoint\":\"" ISS "/device\"}";
	assert_int_equal(disco(good, ISS, &e), 0);
	/* Another issuer than the configured one (Discovery 4.3), even one the
	 * configured is a prefix of. */
	assert_int_equal(disco(good, "https://other.test", &e), -1);
	assert_int_equal(disco(good, ISS "/tenant", &e), -1);
	/* Endpoints the document supplies are https:// too. */
	const char *http = "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"http://idp.test/token\","
			   "\"device_authorization_endpoint\":\"" ISS "/device\"}";
	assert_fails_with(disco(http, ISS, &e), e, "https://");
}

static char *b64(const char *s)
{
	return pj_b64url_encode((const unsigned char *)s, strlen(s));
}

static void test_token_answer(void **state)
{
	(void)state;
	struct pj_tokens t;
	pj_err e;
	const long long now = 1800000000;
	const char *bearer =
		"{\"access_token\":\"abc\",\"token_type\":\"bearer\",\"expires_in\":600}";
	memset(&t, 0, sizeof(t));
	assert_int_equal(pj_oauth_parse_token(200, bearer, strlen(bearer), now, &t, &e), PJ_TOK_OK);
	assert_int_equal(t.expires_at, now + 600);
	pj_tokens_free(&t);
	/* A DPoP (or any other) token is no password. */
	const char *dpop = "{\"access_token\":\"abc\",\"token_type\":\"DPoP\",\"expires_in\":600}";
	memset(&t, 0, sizeof(t));
	assert_int_equal(pj_oauth_parse_token(200, dpop, strlen(dpop), now, &t, &e), PJ_TOK_FAIL);
	assert_non_null(strstr(e.msg, "not Bearer"));
	pj_tokens_free(&t);
	/* A JWT access token whose exp comes before expires_in says: kept
	 * until its exp only. */
	char *h = b64("{\"alg\":\"ES256\"}"), *p = b64("{\"sub\":\"alice\",\"exp\":1800000100}");
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"access_token\":\"%s.%s.c2ln\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
		 h, p);
	memset(&t, 0, sizeof(t));
	assert_int_equal(pj_oauth_parse_token(200, body, strlen(body), now, &t, &e), PJ_TOK_OK);
	assert_int_equal(t.expires_at, 1800000100LL);
	pj_tokens_free(&t);
	free(h);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_token_answer),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
