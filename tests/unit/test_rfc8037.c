/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 8037 Appendix A: Ed25519 JWK and JWS examples, at the key and signature
 * layers, with RFC 9864's Ed25519 name and RFC 8032's Ed448 vectors as OKP
 * JWKs.  The A.4 payload ("Example of Ed25519 signing") is not a claims set,
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

/* The public JWK must not be usable for another algorithm family: EdDSA and
 * RFC 9864's Ed25519 only. */
static void test_okp_key_fits_only_eddsa(void **state)
{
	(void)state;
	struct pj_key key;
	load_key(jwk_public, 0, &key);
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		pj_err e = { "" };
		int fits = pj_key_fits(&key, (enum pj_alg)a, &e) == 0;
		if (fits != (a == PJ_ALG_EDDSA || a == PJ_ALG_ED25519))
			fail_msg("Ed25519 key %s %s", fits ? "fits" : "does not fit",
				 pj_alg_name((enum pj_alg)a));
	}
	pj_key_clear(&key);
}

/* RFC 9864 4.1.1: Ed25519 is EdDSA on that curve, the same signature bytes;
 * only the header's name differs.  Ed448 names the other curve. */
static void test_fully_specified_ed25519(void **state)
{
	(void)state;
	struct pj_key key;
	unsigned char *sig;
	size_t n;
	pj_err e = { "" };
	load_key(jwk_public, 0, &key);
	published_signature(&sig, &n);
	const unsigned char *m = (const unsigned char *)signing_input;
	if (pj_sig_verify(PJ_ALG_ED25519, &key, m, strlen(signing_input), sig, n, &e) != 0)
		fail_msg("A.4 refused as Ed25519: %s", e.msg);
	assert_fails_with(pj_sig_verify(PJ_ALG_ED448, &key, m, strlen(signing_input), sig, n, &e),
			  e, "OKP key on curve Ed25519 does not fit alg Ed448");
	free(sig);
	pj_key_clear(&key);
}

/* RFC 8032 7.4 ("Blank", "1 octet"): Ed448 keys as OKP JWKs (RFC 8037 2,
 * crv Ed448): the published public key verifies the published signature
 * under EdDSA and Ed448, and the published secret reproduces it byte for byte
 * (Ed448 is deterministic too). */
struct ed448_vector {
	const char *secret, *public, *msg, *sig;
};
static const struct ed448_vector ed448_vectors[] = {
	{ "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b"
	  "94492f8f032e7549a20098f95b",
	  "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783d"
	  "f1e50f6cd1fa1abeafe8256180",
	  "",
	  "533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f2b233f034f628281f2fd7a22"
	  "ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cd"
	  "da8530a113a0f4dbb61149f05a7363268c71d95808ff2e652600" },
	{ "c4eab05d357007c632f3dbb48489924d552b08fe0c353a0d4a1f00acda2c463afbea67c5e8d2877c5e3bc397"
	  "a659949ef8021e954e0a12274e",
	  "43ba28f430cdff456ae531545f7ecd0ac834a55d9358c0372bfa0c6c6798c0866aea01eb00742802b8438ea4"
	  "cb82169c235160627b4c3a9480",
	  "03",
	  "26b8f91727bd62897af15e41eb43c377efb9c610d48f2335cb0bd0087810f4352541b143c4b981b7e18f62de"
	  "8ccdf633fc1bf037ab7cd779805e0dbcc0aae1cbcee1afb2e027df36bc04dcecbf154336c19f0af7e0a64729"
	  "05e799f1953d2a0ff3348ab21aa4adafd1d234441cf807c03a00" },
};

static size_t unhex(const char *h, unsigned char *out, size_t max)
{
	size_t n = strlen(h) / 2;
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
	return n;
}

static void ed448_jwk(const struct ed448_vector *v, int priv, struct pj_key *key)
{
	unsigned char b[57];
	char text[300];
	unhex(v->public, b, sizeof(b));
	char *x = pj_b64url_encode(b, 57);
	unhex(v->secret, b, sizeof(b));
	char *d = pj_b64url_encode(b, 57);
	assert_non_null(x);
	assert_non_null(d);
	snprintf(text, sizeof(text), "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"%s\"%s%s%s}", x,
		 priv ? ",\"d\":\"" : "", priv ? d : "", priv ? "\"" : "");
	free(x);
	free(d);
	load_key(text, priv, key);
	assert_int_equal(EVP_PKEY_get_base_id(key->pkey), EVP_PKEY_ED448);
}

static void test_rfc8032_ed448(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ed448_vectors) / sizeof(ed448_vectors[0]); i++) {
		const struct ed448_vector *v = &ed448_vectors[i];
		unsigned char msg[8], sig[114], *got = NULL;
		size_t mn = unhex(v->msg, msg, sizeof(msg)), sn = unhex(v->sig, sig, sizeof(sig)),
		       gotn = 0;
		struct pj_key pub, priv;
		pj_err e = { "" };
		assert_int_equal(sn, 114);
		ed448_jwk(v, 0, &pub);
		if (pj_sig_verify(PJ_ALG_ED448, &pub, msg, mn, sig, sn, &e) != 0 ||
		    pj_sig_verify(PJ_ALG_EDDSA, &pub, msg, mn, sig, sn, &e) != 0)
			fail_msg("RFC 8032 7.4 vector %zu refused: %s", i, e.msg);
		assert_fails_with(pj_sig_verify(PJ_ALG_ED25519, &pub, msg, mn, sig, sn, &e), e,
				  "does not fit alg Ed25519");
		assert_fails_with(pj_sig_verify(PJ_ALG_ED448, &pub, msg, mn, sig, 113, &e), e,
				  "Ed448 signature must be 114 bytes, got 113");
		for (size_t b = 0; b < sn; b += 13) {
			sig[b] ^= 0x04;
			assert_int_not_equal(
				pj_sig_verify(PJ_ALG_ED448, &pub, msg, mn, sig, sn, &e), 0);
			sig[b] ^= 0x04;
		}
		ed448_jwk(v, 1, &priv);
		assert_int_equal(pj_sig_sign(PJ_ALG_ED448, &priv, msg, mn, &got, &gotn, &e), 0);
		assert_int_equal(gotn, 114);
		assert_memory_equal(got, sig, 114);
		free(got);
		pj_key_clear(&pub);
		pj_key_clear(&priv);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_key_verifies_published_signature),
		cmocka_unit_test(test_private_key_reproduces_signature),
		cmocka_unit_test(test_flipped_signature_bits_refused),
		cmocka_unit_test(test_changed_input_and_length_refused),
		cmocka_unit_test(test_okp_key_fits_only_eddsa),
		cmocka_unit_test(test_fully_specified_ed25519),
		cmocka_unit_test(test_rfc8032_ed448),
	};
	return cmocka_run_group_tests_name("rfc8037", tests, NULL, NULL);
}
