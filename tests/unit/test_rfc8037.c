/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 8037 Appendix A: Ed25519 JWK and JWS examples, at the key and signature
 * layers.  The A.4 payload ("Example of Ed25519 signing") is not a claims set,
 * so the full pipeline refuses it by design (tests/integration/rfc_examples.py
 * checks that); here the published key must verify the published signature,
 * and the published private key must reproduce it byte for byte (Ed25519
 * signatures are deterministic). */
#include "unit.h"

#include <jansson.h>

#include "keys.h"
#include "sig.h"
#include "util.h"

/* A.1: the private key, A.2: its public part. */
static const char jwk_private[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				  "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
				  "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char jwk_public[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
				 "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";

/* A.4: BASE64URL({"alg":"EdDSA"}) . BASE64URL("Example of Ed25519 signing"). */
static const char signing_input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
static const char signature_b64[] = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4"
				    "iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static void load_key(const char *text, int allow_private, struct pj_key *key)
{
	json_error_t je;
	pj_err e = { "" };
	json_t *jwk = json_loads(text, 0, &je);
	assert_non_null(jwk);
	int rc = pj_jwk_to_key(jwk, allow_private, "rfc8037", key, &e);
	json_decref(jwk);
	if (rc != 0)
		fail_msg("pj_jwk_to_key: %s", e.msg);
	assert_int_equal(key->kty, PJ_KTY_OKP);
	assert_non_null(key->pkey);
}

static void published_signature(unsigned char **sig, size_t *n)
{
	pj_err e = { "" };
	assert_int_equal(pj_b64url_decode(signature_b64, strlen(signature_b64), sig, n, &e), 0);
	assert_int_equal(*n, 64);
}

static int verify(const struct pj_key *key, const char *msg, const unsigned char *sig, size_t n,
		  pj_err *e)
{
	return pj_sig_verify(PJ_ALG_EDDSA, key, (const unsigned char *)msg, strlen(msg), sig, n, e);
}

static void test_public_key_verifies_published_signature(void **state)
{
	(void)state;
	struct pj_key key;
	unsigned char *sig;
	size_t n;
	pj_err e = { "" };
	load_key(jwk_public, 0, &key);
	published_signature(&sig, &n);
	if (verify(&key, signing_input, sig, n, &e) != 0)
		fail_msg("RFC 8037 A.4 signature refused: %s", e.msg);
	free(sig);
	pj_key_clear(&key);
}

static void test_private_key_reproduces_signature(void **state)
{
	(void)state;
	struct pj_key key, pub;
	unsigned char *want, *got = NULL;
	size_t wantn, gotn = 0;
	pj_err e = { "" };
	load_key(jwk_private, 1, &key);
	published_signature(&want, &wantn);
	if (pj_sig_sign(PJ_ALG_EDDSA, &key, (const unsigned char *)signing_input,
			strlen(signing_input), &got, &gotn, &e) != 0)
		fail_msg("pj_sig_sign: %s", e.msg);
	assert_int_equal(gotn, wantn);
	assert_memory_equal(got, want, wantn);
	/* And what we signed verifies under the published public key. */
	load_key(jwk_public, 0, &pub);
	assert_int_equal(verify(&pub, signing_input, got, gotn, &e), 0);
	free(got);
	free(want);
	pj_key_clear(&pub);
	pj_key_clear(&key);
}

/* Every single-bit change of the signature must be refused: proves the
 * acceptance above comes from the check, not from a verifier that says yes. */
static void test_flipped_signature_bits_refused(void **state)
{
	(void)state;
	struct pj_key key;
	unsigned char *sig;
	size_t n;
	load_key(jwk_public, 0, &key);
	published_signature(&sig, &n);
	for (size_t bit = 0; bit < n * 8; bit++) {
		pj_err e = { "" };
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		if (verify(&key, signing_input, sig, n, &e) == 0)
			fail_msg("signature with bit %zu flipped was accepted", bit);
		assert_true(e.msg[0] != '\0');
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	pj_err e = { "" };
	assert_int_equal(verify(&key, signing_input, sig, n, &e), 0);
	free(sig);
	pj_key_clear(&key);
}

static void test_changed_input_and_length_refused(void **state)
{
	(void)state;
	struct pj_key key;
	unsigned char *sig;
	size_t n;
	pj_err e = { "" };
	load_key(jwk_public, 0, &key);
	published_signature(&sig, &n);
	char msg[sizeof(signing_input)];
	memcpy(msg, signing_input, sizeof(msg));
	msg[sizeof(msg) - 2] ^= 1; /* the payload's last character */
	assert_int_not_equal(verify(&key, msg, sig, n, &e), 0);
	/* A truncated or over-long signature is refused before any maths. */
	assert_int_not_equal(verify(&key, signing_input, sig, n - 1, &e), 0);
	unsigned char longer[65];
	memcpy(longer, sig, 64);
	longer[64] = 0;
	assert_int_not_equal(verify(&key, signing_input, longer, sizeof(longer), &e), 0);
	free(sig);
	pj_key_clear(&key);
}

/* The public JWK must not be usable for another algorithm family. */
static void test_okp_key_fits_only_eddsa(void **state)
{
	(void)state;
	struct pj_key key;
	load_key(jwk_public, 0, &key);
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		pj_err e = { "" };
		int fits = pj_key_fits(&key, (enum pj_alg)a, &e) == 0;
		if (fits != (a == PJ_ALG_EDDSA))
			fail_msg("Ed25519 key %s %s", fits ? "fits" : "does not fit",
				 pj_alg_name((enum pj_alg)a));
	}
	pj_key_clear(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_key_verifies_published_signature),
		cmocka_unit_test(test_private_key_reproduces_signature),
		cmocka_unit_test(test_flipped_signature_bits_refused),
		cmocka_unit_test(test_changed_input_and_length_refused),
		cmocka_unit_test(test_okp_key_fits_only_eddsa),
	};
	return cmocka_run_group_tests_name("rfc8037", tests, NULL, NULL);
}
