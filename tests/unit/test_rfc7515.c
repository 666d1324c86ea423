/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 7515 Appendix A.1-A.4 at the key and signature layers, from
 * tests/vectors/rfc7515.json.  A.4 signs the text "Payload", which the
 * pipeline refuses as no claims set (tests/integration/rfc_examples.py checks
 * that and runs A.1-A.3 end to end); this is where the ES512 example is
 * verified.  HS256 and RS256 signatures are deterministic, so the published
 * private keys must also reproduce them exactly. */
#include "unit.h"

#include <jansson.h>
#include <libgen.h>

#include "keys.h"
#include "sig.h"
#include "util.h"

#define VECTORS "tests/vectors/rfc7515.json"

static char *self_path;

/* The runner starts us in the repository root; a direct run from elsewhere
 * finds the file relative to build/tests/. */
static int load_vectors(void **state)
{
	json_error_t je;
	json_t *doc = json_load_file(VECTORS, 0, &je);
	if (!doc && self_path) {
		char *copy = strdup(self_path), path[4096];
		snprintf(path, sizeof(path), "%s/../../%s", dirname(copy), VECTORS);
		free(copy);
		doc = json_load_file(path, 0, &je);
	}
	if (!doc) {
		fprintf(stderr, "cannot load %s: %s\n", VECTORS, je.text);
		return -1;
	}
	*state = doc;
	return 0;
}

static int free_vectors(void **state)
{
	json_decref(*state);
	return 0;
}

static json_t *example(void **state, const char *appendix)
{
	size_t i;
	json_t *ex;
	json_array_foreach (json_object_get(*state, "examples"), i, ex) {
		if (strcmp(json_string_value(json_object_get(ex, "appendix")), appendix) == 0)
			return ex;
	}
	fail_msg("no example %s in %s", appendix, VECTORS);
	return NULL;
}

struct parts {
	enum pj_alg alg;
	char *input; /* header.payload */
	unsigned char *sig;
	size_t sig_len;
};

static void split(json_t *ex, struct parts *p)
{
	const char *jws = json_string_value(json_object_get(ex, "jws"));
	const char *alg = json_string_value(json_object_get(ex, "alg"));
	assert_non_null(jws);
	assert_non_null(alg);
	p->alg = (enum pj_alg)pj_alg_from_name(alg);
	assert_true((int)p->alg >= 0);
	const char *dot = strrchr(jws, '.');
	assert_non_null(dot);
	p->input = strndup(jws, (size_t)(dot - jws));
	pj_err e = { "" };
	if (pj_b64url_decode(dot + 1, strlen(dot + 1), &p->sig, &p->sig_len, &e) != 0)
		fail_msg("signature: %s", e.msg);
}

static void parts_free(struct parts *p)
{
	free(p->input);
	free(p->sig);
}

/* The published JWK, with its private members (allow_private) or without. */
static void key_of(json_t *ex, int allow_private, struct pj_key *key)
{
	pj_err e = { "" };
	json_t *jwk = json_deep_copy(json_object_get(ex, "jwk"));
	assert_non_null(jwk);
	if (!allow_private) {
		/* A verifier's JWKS carries no private members; make sure the key
		 * works without them (for oct, "k" is the key itself). */
		static const char *priv[] = { "d", "p", "q", "dp", "dq", "qi" };
		for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
			json_object_del(jwk, priv[i]);
	}
	int rc = pj_jwk_to_key(jwk, allow_private, "rfc7515", key, &e);
	json_decref(jwk);
	if (rc != 0)
		fail_msg("pj_jwk_to_key: %s", e.msg);
}

static int verify(const struct pj_key *key, const struct parts *p, const unsigned char *sig,
		  size_t n, pj_err *e)
{
	return pj_sig_verify(p->alg, key, (const unsigned char *)p->input, strlen(p->input), sig, n,
			     e);
}

static void check_verifies(void **state, const char *appendix)
{
	json_t *ex = example(state, appendix);
	struct parts p;
	struct pj_key key;
	pj_err e = { "" };
	split(ex, &p);
	key_of(ex, 0, &key);
	if (verify(&key, &p, p.sig, p.sig_len, &e) != 0)
		fail_msg("RFC 7515 %s refused: %s", appendix, e.msg);
	/* One bit flipped anywhere in the signature: refused. */
	for (size_t i = 0; i < p.sig_len; i += p.sig_len / 7 + 1) {
		p.sig[i] ^= 0x10;
		if (verify(&key, &p, p.sig, p.sig_len, &e) == 0)
			fail_msg("RFC 7515 %s accepted with signature byte %zu changed", appendix,
				 i);
		p.sig[i] ^= 0x10;
	}
	/* One character of the signing input changed: refused. */
	p.input[strlen(p.input) - 1] ^= 1;
	assert_int_not_equal(verify(&key, &p, p.sig, p.sig_len, &e), 0);
	pj_key_clear(&key);
	parts_free(&p);
}

static void test_a1_hs256(void **state)
{
	check_verifies(state, "A.1");
}

static void test_a2_rs256(void **state)
{
	check_verifies(state, "A.2");
}

static void test_a3_es256(void **state)
{
	check_verifies(state, "A.3");
}

static void test_a4_es512(void **state)
{
	check_verifies(state, "A.4");
}

/* Deterministic algorithms: signing the published input with the published
 * private key gives the published signature. */
static void check_reproduces(void **state, const char *appendix)
{
	json_t *ex = example(state, appendix);
	struct parts p;
	struct pj_key key;
	unsigned char *sig = NULL;
	size_t n = 0;
	pj_err e = { "" };
	split(ex, &p);
	key_of(ex, 1, &key);
	if (pj_sig_sign(p.alg, &key, (const unsigned char *)p.input, strlen(p.input), &sig, &n,
			&e) != 0)
		fail_msg("pj_sig_sign: %s", e.msg);
	assert_int_equal(n, p.sig_len);
	assert_memory_equal(sig, p.sig, n);
	free(sig);
	pj_key_clear(&key);
	parts_free(&p);
}

static void test_a1_sign_reproduces(void **state)
{
	check_reproduces(state, "A.1");
}

static void test_a2_sign_reproduces(void **state)
{
	check_reproduces(state, "A.2");
}

/* ECDSA is randomized: our signature with the published private key must
 * verify under the published public key, and be of the JWS length. */
static void check_ec_roundtrip(void **state, const char *appendix)
{
	json_t *ex = example(state, appendix);
	struct parts p;
	struct pj_key priv, pub;
	unsigned char *sig = NULL;
	size_t n = 0;
	pj_err e = { "" };
	split(ex, &p);
	key_of(ex, 1, &priv);
	key_of(ex, 0, &pub);
	if (pj_sig_sign(p.alg, &priv, (const unsigned char *)p.input, strlen(p.input), &sig, &n,
			&e) != 0)
		fail_msg("pj_sig_sign: %s", e.msg);
	assert_int_equal(n, p.sig_len);
	if (verify(&pub, &p, sig, n, &e) != 0)
		fail_msg("own %s signature refused: %s", appendix, e.msg);
	free(sig);
	pj_key_clear(&priv);
	pj_key_clear(&pub);
	parts_free(&p);
}

static void test_a3_sign_roundtrip(void **state)
{
	check_ec_roundtrip(state, "A.3");
}

static void test_a4_sign_roundtrip(void **state)
{
	check_ec_roundtrip(state, "A.4");
}

/* The ES512 key must not verify ES256 and vice versa (curve bound to alg). */
static void test_ec_curve_bound_to_alg(void **state)
{
	struct pj_key k256, k521;
	pj_err e = { "" };
	key_of(example(state, "A.3"), 0, &k256);
	key_of(example(state, "A.4"), 0, &k521);
	assert_int_equal(pj_key_fits(&k256, PJ_ALG_ES256, &e), 0);
	assert_int_equal(pj_key_fits(&k521, PJ_ALG_ES512, &e), 0);
	assert_int_not_equal(pj_key_fits(&k256, PJ_ALG_ES512, &e), 0);
	assert_int_not_equal(pj_key_fits(&k521, PJ_ALG_ES256, &e), 0);
	assert_int_not_equal(pj_key_fits(&k521, PJ_ALG_ES384, &e), 0);
	pj_key_clear(&k256);
	pj_key_clear(&k521);
}

int main(int argc, char **argv)
{
	(void)argc;
	self_path = argv[0];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a1_hs256),
		cmocka_unit_test(test_a2_rs256),
		cmocka_unit_test(test_a3_es256),
		cmocka_unit_test(test_a4_es512),
		cmocka_unit_test(test_a1_sign_reproduces),
		cmocka_unit_test(test_a2_sign_reproduces),
		cmocka_unit_test(test_a3_sign_roundtrip),
		cmocka_unit_test(test_a4_sign_roundtrip),
		cmocka_unit_test(test_ec_curve_bound_to_alg),
	};
	return cmocka_run_group_tests_name("rfc7515", tests, load_vectors, free_vectors);
}
