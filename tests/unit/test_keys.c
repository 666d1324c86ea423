/* SPDX-License-Identifier: BSD-3-Clause */
/* src/keys.c: JWK and PEM to keys, and which configured keys a token is
 * offered (kid, type, labels), built only when needed.  Keys are generated
 * at run time; files go to a temporary directory. */
#include "unit.h"
#include "unit_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "keys.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

#define NOW	     1700000000L
#define ES256_NOKID  "{\"alg\":\"ES256\"}"
#define ES256_KID(k) "{\"alg\":\"ES256\",\"kid\":\"" k "\"}"

/* ---- fixture: keys made once per run ----------------------------------- */

static EVP_PKEY *rsa, *p256, *p256b, *p256c, *p384, *p521, *ed, *ed448;
static char tmpdir[64];

static int fx_setup(void **state)
{
	(void)state;
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p256b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p256c = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pj-keys.XXXXXX");
	return rsa && p256 && p256b && p256c && p384 && p521 && ed && ed448 && mkdtemp(tmpdir) ? 0
											       : -1;
}

static int fx_teardown(void **state)
{
	(void)state;
	EVP_PKEY *all[] = { rsa, p256, p256b, p256c, p384, p521, ed, ed448 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		EVP_PKEY_free(all[i]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- JWK builders ------------------------------------------------------ */

static json_t *b64_bytes(const unsigned char *p, size_t n)
{
	char *s = pj_b64url_encode(p, n);
	assert_non_null(s);
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* A BIGNUM parameter, big-endian, left-padded to pad bytes (0: minimal). */
static json_t *bn_member(EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	size_t n = pad ? pad : (size_t)BN_num_bytes(bn);
	unsigned char *buf = malloc(n ? n : 1);
	assert_non_null(buf);
	assert_int_equal(BN_bn2binpad(bn, buf, (int)n), (int)n);
	json_t *j = b64_bytes(buf, n);
	free(buf);
	BN_clear_free(bn);
	return j;
}

static json_t *jwk_rsa(EVP_PKEY *k, int priv)
{
	json_t *j = json_pack("{s:s, s:o, s:o}", "kty", "RSA", "n",
			      bn_member(k, OSSL_PKEY_PARAM_RSA_N, 0), "e",
			      bn_member(k, OSSL_PKEY_PARAM_RSA_E, 0));
	assert_non_null(j);
	if (priv) {
		static const char *m[] = { "d", "p", "q", "dp", "dq", "qi" };
		static const char *p[] = {
			OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
			OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
			OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1
		};
		for (size_t i = 0; i < 6; i++)
			json_object_set_new(j, m[i], bn_member(k, p[i], 0));
	}
	return j;
}

static size_t curve_len(const char *crv)
{
	return strcmp(crv, "P-256") == 0 ? 32 : strcmp(crv, "P-384") == 0 ? 48 : 66;
}

static json_t *jwk_ec(EVP_PKEY *k, const char *crv)
{
	size_t len = curve_len(crv);
	json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "kty", "EC", "crv", crv, "x",
			      bn_member(k, OSSL_PKEY_PARAM_EC_PUB_X, len), "y",
			      bn_member(k, OSSL_PKEY_PARAM_EC_PUB_Y, len));
	assert_non_null(j);
	return j;
}

static json_t *jwk_okp(EVP_PKEY *k)
{
	unsigned char pub[57];
	size_t n = sizeof(pub);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
	json_t *j = json_pack("{s:s, s:s, s:o}", "kty", "OKP", "crv",
			      EVP_PKEY_get_base_id(k) == EVP_PKEY_ED448 ? "Ed448" : "Ed25519", "x",
			      b64_bytes(pub, n));
	assert_non_null(j);
	return j;
}

static json_t *jwk_oct(size_t n)
{
	unsigned char k[128];
	assert_true(n <= sizeof(k));
	for (size_t i = 0; i < n; i++)
		k[i] = (unsigned char)(0x5a ^ i);
	json_t *j = json_pack("{s:s, s:o}", "kty", "oct", "k", b64_bytes(k, n));
	assert_non_null(j);
	return j;
}

/* Sets a member (a JSON text) and returns the JWK, for one-liners. */
static json_t *with(json_t *jwk, const char *name, const char *json_text)
{
	json_error_t je;
	json_t *v = json_loads(json_text, JSON_DECODE_ANY, &je);
	if (!v)
		fail_msg("bad test JSON %s", json_text);
	json_object_set_new(jwk, name, v);
	return jwk;
}

/* Replaces a base64url member with its decoded bytes edited by fn. */
static json_t *edit_bytes(json_t *jwk, const char *name, void (*fn)(unsigned char *, size_t *))
{
	json_t *v = json_object_get(jwk, name);
	unsigned char *raw, buf[200];
	size_t n;
	pj_err e;
	const char *text = json_string_value(v);
	assert_int_equal(pj_b64url_decode(text, strlen(text), &raw, &n, &e), 0);
	assert_true(n + 1 <= sizeof(buf));
	memcpy(buf, raw, n);
	free(raw);
	fn(buf, &n);
	json_object_set_new(jwk, name, b64_bytes(buf, n));
	return jwk;
}

static void drop_first(unsigned char *b, size_t *n)
{
	memmove(b, b + 1, --*n);
}

static void add_zero(unsigned char *b, size_t *n)
{
	memmove(b + 1, b, (*n)++);
	b[0] = 0;
}

static void flip_last(unsigned char *b, size_t *n)
{
	b[*n - 1] ^= 1;
}

/* Converts and frees the JWK; returns pj_jwk_to_key's result. */
static int to_key(json_t *jwk, int allow_private, struct pj_key *key, pj_err *e)
{
	e->msg[0] = 0;
	int rc = pj_jwk_to_key(jwk, allow_private, "test.jwks#0", key, e);
	json_decref(jwk);
	if (rc != 0) {
		/* A refused key holds nothing. */
		assert_null(key->pkey);
		assert_null(key->secret);
		assert_null(key->kid);
		assert_null(key->source);
	}
	return rc;
}

static void expect_jwk_ok(json_t *jwk, EVP_PKEY *want, enum pj_kty kty)
{
	struct pj_key key;
	pj_err e;
	if (to_key(jwk, 0, &key, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(key.kty, kty);
	assert_int_equal(EVP_PKEY_eq(key.pkey, want), 1);
	assert_int_equal(key.alg, -1);
	assert_null(key.kid);
	assert_string_equal(key.source, "test.jwks#0");
	pj_key_clear(&key);
}

static void expect_jwk_refused(json_t *jwk, const char *why)
{
	struct pj_key key;
	pj_err e;
	assert_fails_with(to_key(jwk, 0, &key, &e), e, why);
}

/* A well-formed key this module does not use: passed over in a key set. */
static void expect_jwk_unusable(json_t *jwk, const char *why)
{
	struct pj_key key;
	pj_err e;
	assert_int_equal(to_key(jwk, 0, &key, &e), PJ_KEY_UNUSABLE);
	if (!strstr(e.msg, why))
		fail_msg("reason \"%s\" lacks \"%s\"", e.msg, why);
}

/* ---- pj_jwk_to_key ---------------------------------------------------- */

static void test_jwk_rsa(void **state)
{
	(void)state;
	expect_jwk_ok(jwk_rsa(rsa, 0), rsa, PJ_KTY_RSA);

	struct pj_key key;
	pj_err e;
	json_t *j = with(with(jwk_rsa(rsa, 0), "kid", "\"r1\""), "alg", "\"PS256\"");
	assert_int_equal(to_key(j, 0, &key, &e), 0);
	assert_string_equal(key.kid, "r1");
	assert_int_equal(key.alg, PJ_ALG_PS256);
	pj_key_clear(&key);

	/* Private members are ignored unless asked for: the key built from a
	 * full private JWK for verification is public only. */
	BIGNUM *d = NULL;
	assert_int_equal(to_key(jwk_rsa(rsa, 1), 0, &key, &e), 0);
	assert_int_equal(EVP_PKEY_eq(key.pkey, rsa), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(key.pkey, OSSL_PKEY_PARAM_RSA_D, &d), 0);
	pj_key_clear(&key);
	assert_int_equal(to_key(jwk_rsa(rsa, 1), 1, &key, &e), 0);
	assert_int_equal(EVP_PKEY_get_bn_param(key.pkey, OSSL_PKEY_PARAM_RSA_D, &d), 1);
	BN_clear_free(d);
	pj_key_clear(&key);

	j = jwk_rsa(rsa, 0);
	json_object_del(j, "e");
	expect_jwk_refused(j, "JWK has no \"e\"");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "n", "65537"), "JWK \"n\" is not a string");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "n", "\"\""), "JWK \"n\" is empty");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "e", "\"AQAB==\""),
			   "JWK \"e\": base64url padding is not allowed");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "e", "\"AQ+B\""),
			   "JWK \"e\": character outside the base64url alphabet");
	/* A private JWK for signing needs all its members. */
	j = jwk_rsa(rsa, 1);
	json_object_del(j, "qi");
	assert_fails_with(to_key(j, 1, &key, &e), e, "JWK has no \"qi\"");
}

static void test_jwk_ec(void **state)
{
	(void)state;
	expect_jwk_ok(jwk_ec(p256, "P-256"), p256, PJ_KTY_EC);
	expect_jwk_ok(jwk_ec(p384, "P-384"), p384, PJ_KTY_EC);
	expect_jwk_ok(jwk_ec(p521, "P-521"), p521, PJ_KTY_EC);

	/* RFC 7518 6.2.1.2: coordinates are exactly the curve's length. */
	expect_jwk_refused(edit_bytes(jwk_ec(p256, "P-256"), "x", drop_first),
			   "JWK \"x\" must be 32 bytes, got 31");
	expect_jwk_refused(edit_bytes(jwk_ec(p256, "P-256"), "y", add_zero),
			   "JWK \"y\" must be 32 bytes, got 33");
	expect_jwk_refused(edit_bytes(jwk_ec(p384, "P-384"), "x", add_zero),
			   "JWK \"x\" must be 48 bytes, got 49");
	expect_jwk_refused(edit_bytes(jwk_ec(p521, "P-521"), "x", drop_first),
			   "JWK \"x\" must be 66 bytes, got 65");
	expect_jwk_refused(edit_bytes(jwk_ec(p521, "P-521"), "y", drop_first),
			   "JWK \"y\" must be 66 bytes, got 65");
	/* The curve named must be the curve of the coordinates. */
	expect_jwk_refused(with(jwk_ec(p256, "P-256"), "crv", "\"P-384\""),
			   "JWK \"x\" must be 48 bytes, got 32");
	/* A point off the curve (invalid-curve attacks) is refused. */
	expect_jwk_refused(edit_bytes(jwk_ec(p256, "P-256"), "y", flip_last),
			   "OpenSSL refused the EC key");
	expect_jwk_refused(edit_bytes(jwk_ec(p384, "P-384"), "x", flip_last),
			   "OpenSSL refused the EC key");
	expect_jwk_refused(edit_bytes(jwk_ec(p521, "P-521"), "y", flip_last),
			   "OpenSSL refused the EC key");
	unsigned char zero[32] = { 0 };
	json_t *j = jwk_ec(p256, "P-256");
	json_object_set_new(j, "x", b64_bytes(zero, 32));
	json_object_set_new(j, "y", b64_bytes(zero, 32));
	expect_jwk_refused(j, "OpenSSL refused the EC key");

	/* Curves of no JWS algorithm here: well-formed, passed over. */
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "crv", "\"secp256k1\""),
			    "EC JWK curve secp256k1 is not P-256, P-384 or P-521");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "crv", "\"p-256\""),
			    "EC JWK curve p-256 is not");
	expect_jwk_refused(with(jwk_ec(p256, "P-256"), "crv", "256"),
			   "EC JWK has no \"crv\" string");
	j = jwk_ec(p256, "P-256");
	json_object_del(j, "crv");
	expect_jwk_refused(j, "EC JWK has no \"crv\" string");
	j = jwk_ec(p256, "P-256");
	json_object_del(j, "y");
	expect_jwk_refused(j, "JWK has no \"y\"");
}

static void test_jwk_okp_oct(void **state)
{
	(void)state;
	expect_jwk_ok(jwk_okp(ed), ed, PJ_KTY_OKP);
	expect_jwk_ok(jwk_okp(ed448), ed448, PJ_KTY_OKP);
	/* The curve decides the length: an Ed25519 x is no Ed448 key. */
	expect_jwk_refused(with(jwk_okp(ed), "crv", "\"Ed448\""),
			   "JWK \"x\" must be 57 bytes, got 32");
	expect_jwk_refused(with(jwk_okp(ed448), "crv", "\"Ed25519\""),
			   "JWK \"x\" must be 32 bytes, got 57");
	expect_jwk_refused(edit_bytes(jwk_okp(ed448), "x", drop_first),
			   "JWK \"x\" must be 57 bytes, got 56");
	/* Key agreement curves: well-formed, not for signatures. */
	expect_jwk_unusable(with(jwk_okp(ed), "crv", "\"X25519\""),
			    "OKP JWK curve X25519 is not Ed25519 or Ed448");
	expect_jwk_unusable(with(jwk_okp(ed), "crv", "\"X448\""), "OKP JWK curve X448 is not");
	expect_jwk_refused(with(jwk_okp(ed), "crv", "1"), "OKP JWK has no \"crv\" string");
	expect_jwk_refused(edit_bytes(jwk_okp(ed), "x", drop_first),
			   "JWK \"x\" must be 32 bytes, got 31");
	expect_jwk_refused(edit_bytes(jwk_okp(ed), "x", add_zero),
			   "JWK \"x\" must be 32 bytes, got 33");

	struct pj_key key;
	pj_err e;
	assert_int_equal(to_key(with(jwk_oct(40), "kid", "\"h\""), 0, &key, &e), 0);
	assert_int_equal(key.kty, PJ_KTY_OCT);
	assert_null(key.pkey);
	assert_int_equal(key.secret_len, 40);
	assert_int_equal(key.secret[0], 0x5a);
	assert_int_equal(key.secret[39], 0x5a ^ 39);
	assert_string_equal(key.kid, "h");
	pj_key_clear(&key);
	expect_jwk_refused(with(jwk_oct(32), "k", "\"\""), "JWK \"k\" is empty");
	expect_jwk_refused(json_pack("{s:s}", "kty", "oct"), "JWK has no \"k\"");
}

static void test_jwk_meta(void **state)
{
	(void)state;
	expect_jwk_refused(json_pack("[]"), "JWK is not a JSON object");
	expect_jwk_refused(json_pack("{s:s}", "n", "AQAB"), "JWK has no \"kty\" string");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "kty", "1"), "JWK has no \"kty\" string");
	/* Key types of the future or of other purposes are passed over. */
	expect_jwk_unusable(with(jwk_rsa(rsa, 0), "kty", "\"DSA\""),
			    "JWK kty \"DSA\" is not supported");
	expect_jwk_unusable(with(jwk_rsa(rsa, 0), "kty", "\"rsa\""),
			    "JWK kty \"rsa\" is not supported");
	expect_jwk_unusable(with(jwk_rsa(rsa, 0), "kty", "\"AKP\""),
			    "JWK kty \"AKP\" is not supported");
	/* kty decides which members are read: RSA members under kty EC fail. */
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "kty", "\"EC\""), "EC JWK has no \"crv\" string");

	/* "use" (RFC 7517 4.2): signature keys only; others are passed over. */
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "use", "\"enc\""),
			    "JWK \"use\" is not \"sig\"");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "use", "\"SIG\""),
			    "JWK \"use\" is not \"sig\"");
	expect_jwk_refused(with(jwk_ec(p256, "P-256"), "use", "[\"sig\"]"),
			   "JWK \"use\" is not a string");
	expect_jwk_ok(with(jwk_ec(p256, "P-256"), "use", "\"sig\""), p256, PJ_KTY_EC);

	/* "key_ops" (RFC 7517 4.3): a verifying key must allow verify. */
	expect_jwk_ok(with(jwk_ec(p256, "P-256"), "key_ops", "[\"verify\"]"), p256, PJ_KTY_EC);
	expect_jwk_ok(with(jwk_ec(p256, "P-256"), "key_ops", "[\"wrapKey\",\"verify\"]"), p256,
		      PJ_KTY_EC);
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "key_ops", "[\"encrypt\",\"decrypt\"]"),
			    "JWK \"key_ops\" does not allow verify");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "key_ops", "[]"),
			    "JWK \"key_ops\" does not allow verify");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "key_ops", "[\"sign\"]"),
			    "JWK \"key_ops\" does not allow verify");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "key_ops", "[\"Verify\"]"),
			    "JWK \"key_ops\" does not allow verify");
	expect_jwk_unusable(with(jwk_ec(p256, "P-256"), "key_ops", "[1,null]"),
			    "JWK \"key_ops\" does not allow verify");
	expect_jwk_refused(with(jwk_ec(p256, "P-256"), "key_ops", "\"verify\""),
			   "JWK \"key_ops\" is not an array");
	/* A signing key (the tool) must allow sign. */
	struct pj_key key;
	pj_err e;
	assert_int_equal(to_key(with(jwk_oct(32), "key_ops", "[\"sign\"]"), 1, &key, &e), 0);
	pj_key_clear(&key);
	assert_int_equal(
		to_key(with(jwk_rsa(rsa, 1), "key_ops", "[\"verify\",\"sign\"]"), 1, &key, &e), 0);
	pj_key_clear(&key);
	assert_int_equal(to_key(with(jwk_rsa(rsa, 1), "key_ops", "[\"verify\"]"), 1, &key, &e),
			 PJ_KEY_UNUSABLE);
	assert_string_equal(e.msg, "JWK \"key_ops\" does not allow sign");

	/* The JWK's own alg must be a JWS algorithm this verifier knows. */
	expect_jwk_unusable(with(jwk_rsa(rsa, 0), "alg", "\"RS257\""),
			    "JWK alg RS257 is not a supported JWS algorithm");
	expect_jwk_unusable(with(jwk_rsa(rsa, 0), "alg", "\"RSA-OAEP\""),
			    "JWK alg RSA-OAEP is not a supported JWS algorithm");
	expect_jwk_unusable(with(jwk_oct(32), "alg", "\"none\""),
			    "JWK alg none is not a supported JWS algorithm");
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "alg", "256"), "JWK alg is not a string");
	/* RFC 9864's names, bound to the key's curve by pj_key_fits. */
	assert_int_equal(to_key(with(jwk_okp(ed), "alg", "\"Ed25519\""), 0, &key, &e), 0);
	assert_int_equal(key.alg, PJ_ALG_ED25519);
	pj_key_clear(&key);
	assert_int_equal(to_key(with(jwk_okp(ed448), "alg", "\"Ed448\""), 0, &key, &e), 0);
	assert_int_equal(key.alg, PJ_ALG_ED448);
	assert_int_equal(pj_key_fits(&key, PJ_ALG_ED448, &e), 0);
	assert_int_equal(pj_key_fits(&key, PJ_ALG_EDDSA, &e), -1);
	pj_key_clear(&key);
	expect_jwk_refused(with(jwk_rsa(rsa, 0), "kid", "5"), "JWK kid is not a string");
}

/* ---- pj_pem_to_key ---------------------------------------------------- */

static char *bio_text(BIO *b)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	assert_non_null(s);
	BIO_free(b);
	return s;
}

static char *pem_pub(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	return bio_text(b);
}

static char *pem_priv(EVP_PKEY *k, int traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (traditional)
		assert_int_equal(
			PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	return bio_text(b);
}

/* A self-signed certificate for k. */
static char *pem_cert(EVP_PKEY *k)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	X509_NAME *name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"pam_jwt test", -1, -1,
						    0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_int_equal(X509_set_pubkey(x, k), 1);
	assert_true(X509_sign(x, k, EVP_PKEY_get_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) >
		    0);
	BIO *b = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	X509_free(x);
	return bio_text(b);
}

static int pem_key(const char *pem, int allow_private, struct pj_key *key, pj_err *e)
{
	e->msg[0] = 0;
	return pj_pem_to_key(pem, strlen(pem), allow_private, "/etc/k.pem", key, e);
}

static void test_pem(void **state)
{
	(void)state;
	EVP_PKEY *all[] = { rsa, p256, p384, p521, ed };
	enum pj_kty kty[] = { PJ_KTY_RSA, PJ_KTY_EC, PJ_KTY_EC, PJ_KTY_EC, PJ_KTY_OKP };
	struct pj_key key;
	pj_err e;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char *pems[2] = { pem_pub(all[i]), pem_cert(all[i]) };
		for (size_t k = 0; k < 2; k++) {
			if (pem_key(pems[k], 0, &key, &e) != 0)
				fail_msg("key %zu form %zu: %s", i, k, e.msg);
			assert_int_equal(key.kty, kty[i]);
			assert_int_equal(EVP_PKEY_eq(key.pkey, all[i]), 1);
			assert_string_equal(key.source, "/etc/k.pem");
			assert_null(key.kid);
			assert_int_equal(key.alg, -1);
			pj_key_clear(&key);
			free(pems[k]);
		}
	}

	/* A private key where a public one belongs is a configuration mistake
	 * (the secret is exposed to whoever reads the configuration). */
	for (int trad = 0; trad < 2; trad++) {
		char *priv = pem_priv(p256, trad);
		assert_fails_with(pem_key(priv, 0, &key, &e), e,
				  "/etc/k.pem holds a private key; configure the public key");
		assert_null(key.pkey);
		assert_int_equal(pem_key(priv, 1, &key, &e), 0);
		assert_int_equal(EVP_PKEY_eq(key.pkey, p256), 1);
		pj_key_clear(&key);
		free(priv);
	}

	assert_fails_with(pem_key("hello", 0, &key, &e), e,
			  "/etc/k.pem is not a PEM public key, certificate");
	assert_fails_with(pem_key("hello", 1, &key, &e), e, "certificate or private key");
	char *pub = pem_pub(p256);
	pub[strlen(pub) / 2] = 0; /* truncated */
	assert_fails_with(pem_key(pub, 0, &key, &e), e, "is not a PEM public key");
	free(pub);
	char *cert = pem_cert(p256);
	cert[40] ^= 0x01; /* corrupted DER */
	assert_fails_with(pem_key(cert, 0, &key, &e), e, "is not a PEM public key");
	free(cert);
}

/* ---- configured keys: files and selection ------------------------------ */

static char *put_file(const char *name, const char *text, mode_t mode)
{
	char *path = malloc(160);
	assert_non_null(path);
	snprintf(path, 160, "%s/%s", tmpdir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* Writes {"keys": [jwk...]} (the JWKs are consumed). */
static char *put_jwks(const char *name, mode_t mode, json_t *keys)
{
	json_t *doc = json_pack("{s:o}", "keys", keys);
	assert_non_null(doc);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	char *path = put_file(name, text, mode);
	free(text);
	return path;
}

static char *put_pem(const char *name, EVP_PKEY *k)
{
	char *pem = pem_pub(k), *path = put_file(name, pem, 0644);
	free(pem);
	return path;
}

/* What the callback saw: each offered key's kid (or "-") and a copy of its
 * EVP_PKEY, in order. */
struct seen {
	char kids[256];
	EVP_PKEY *pkey[8];
	unsigned n;
	int answer; /* what the callback returns */
};

static int collect(const struct pj_key *key, void *ctx, pj_err *e)
{
	struct seen *s = ctx;
	(void)e;
	if (s->n)
		strcat(s->kids, " ");
	strncat(s->kids, key->kid ? key->kid : "-", 20);
	assert_true(s->n < 8);
	if (key->pkey) {
		assert_int_equal(EVP_PKEY_up_ref(key->pkey), 1);
		s->pkey[s->n] = key->pkey;
	}
	s->n++;
	return s->answer;
}

static void seen_free(struct seen *s)
{
	for (unsigned i = 0; i < 8; i++)
		EVP_PKEY_free(s->pkey[i]);
	memset(s, 0, sizeof(*s));
}

static int each(const struct pj_config *c, enum pj_alg alg, const char *kid, struct seen *s,
		unsigned *tried, pj_err *e)
{
	memset(s, 0, sizeof(*s));
	e->msg[0] = 0;
	return pj_keys_each(c, alg, kid, collect, s, tried, e);
}

/* A compact JWS signed with priv (alg from the header). */
static char *sign_token(EVP_PKEY *priv, enum pj_alg alg, const char *hdr, const char *claims)
{
	struct pj_key key;
	pj_err e = { "" };
	assert_int_equal(EVP_PKEY_up_ref(priv), 1);
	assert_int_equal(pj_key_from_pkey(priv, &key, &e), 0);
	char *h = pj_b64url_encode((const unsigned char *)hdr, strlen(hdr));
	char *p = pj_b64url_encode((const unsigned char *)claims, strlen(claims));
	size_t n = strlen(h) + strlen(p) + 2;
	char *input = malloc(n);
	snprintf(input, n, "%s.%s", h, p);
	unsigned char *sig;
	size_t siglen;
	if (pj_sig_sign(alg, &key, (unsigned char *)input, strlen(input), &sig, &siglen, &e) != 0)
		fail_msg("sign: %s", e.msg);
	char *s = pj_b64url_encode(sig, siglen);
	char *tok = malloc(n + strlen(s) + 1);
	snprintf(tok, n + strlen(s) + 1, "%s.%s", input, s);
	free(h);
	free(p);
	free(input);
	free(sig);
	free(s);
	pj_key_clear(&key);
	return tok;
}

/* pj_verify of an ES256 token signed by priv with this header; returns the
 * stage, the reason in *reason. */
static enum pj_stage verify_with(const struct pj_config *c, EVP_PKEY *priv, const char *hdr,
				 pj_err *reason)
{
	char claims[80];
	snprintf(claims, sizeof(claims), "{\"sub\":\"alice\",\"exp\":%ld}", NOW + 300);
	char *tok = sign_token(priv, PJ_ALG_ES256, hdr, claims);
	struct pj_result r;
	pj_verify(c, tok, strlen(tok), "alice", NOW, &r);
	enum pj_stage st = r.stage;
	*reason = r.reason;
	pj_result_free(&r);
	free(tok);
	return st;
}

/* With a kid, only the JWK with that kid is built: a malformed neighbour
 * does not matter.  Without one, every key of the right type is a
 * candidate, and a malformed candidate fails closed. */
static void test_each_kid_is_lazy(void **state)
{
	(void)state;
	json_t *bad = with(edit_bytes(jwk_ec(p256b, "P-256"), "x", drop_first), "kid", "\"bad\"");
	json_t *good = with(jwk_ec(p256, "P-256"), "kid", "\"good\"");
	char *path = put_jwks("lazy.jwks", 0644, json_pack("[o,o]", bad, good));
	struct pj_config c;
	struct seen s;
	unsigned tried = 99;
	pj_err e;
	cfg_make_file(&c, "jwks_file", path, NULL);

	assert_int_equal(each(&c, PJ_ALG_ES256, "good", &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	assert_string_equal(s.kids, "good");
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256), 1);
	seen_free(&s);

	/* The whole pipeline: the good key verifies a token naming it. */
	assert_int_equal(verify_with(&c, p256, ES256_KID("good"), &e), PJ_STAGE_OK);

	/* Naming the broken key reports it, with its place in the file. */
	char want[200];
	snprintf(want, sizeof(want), "%s#0: JWK \"x\" must be 32 bytes, got 31", path);
	assert_fails_with(each(&c, PJ_ALG_ES256, "bad", &s, &tried, &e), e, want);
	assert_int_equal(tried, 0);
	assert_int_equal(verify_with(&c, p256, ES256_KID("bad"), &e), PJ_STAGE_SIGNATURE);
	assert_non_null(strstr(e.msg, want));

	/* An unknown kid: nothing offered, and the reason says so. */
	assert_int_equal(each(&c, PJ_ALG_ES256, "other", &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	/* A kid only the start of which a key's kid is (or the other way
	 * round) is another kid. */
	assert_int_equal(each(&c, PJ_ALG_ES256, "goodness", &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_int_equal(each(&c, PJ_ALG_ES256, "goo", &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_int_equal(verify_with(&c, p256, ES256_KID("other"), &e), PJ_STAGE_SIGNATURE);
	assert_non_null(strstr(e.msg, "no configured key has kid \"other\" for ES256"));

	/* No kid: the broken EC key is a candidate and comes first. */
	assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e, want);
	/* For another type it is never looked at. */
	assert_int_equal(each(&c, PJ_ALG_RS256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	pj_config_free(&c);
	free(path);
}

static void test_each_type_fitting(void **state)
{
	(void)state;
	json_t *keys = json_pack(
		"[o,o,o,o,o,o]", with(jwk_rsa(rsa, 0), "kid", "\"rsa\""),
		with(jwk_ec(p256, "P-256"), "kid", "\"p256\""),
		with(jwk_ec(p384, "P-384"), "kid", "\"p384\""),
		with(with(jwk_ec(p256b, "P-256"), "kid", "\"p256-for-es384\""), "alg", "\"ES384\""),
		with(jwk_okp(ed), "kid", "\"ed\""), with(jwk_oct(64), "kid", "\"hmac\""));
	/* Secret keys in the file: it must be private to its owner. */
	char *jwks = put_jwks("mixed.jwks", 0600, keys);
	char *rsa_pem = put_pem("rsa.pem", rsa), *ec_pem = put_pem("p256c.pem", p256c);
	char kf[400];
	snprintf(kf, sizeof(kf), "%s %s", rsa_pem, ec_pem);
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	cfg_make_file(&c, "key_file", kf, "jwks_file", jwks, NULL);

	static const struct {
		enum pj_alg alg;
		const char *kids;
	} want[] = {
		/* key files first (kid "-"), then the JWKS, in file order */
		{ PJ_ALG_ES256, "- p256" }, { PJ_ALG_ES384, "p384" }, /* the P-256 key with alg
									 ES384 has the wrong curve
								       */
		{ PJ_ALG_ES512, "" },	    { PJ_ALG_RS256, "- rsa" }, { PJ_ALG_PS512, "- rsa" },
		{ PJ_ALG_EDDSA, "ed" },	    { PJ_ALG_HS256, "hmac" },  { PJ_ALG_HS512, "hmac" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (each(&c, want[i].alg, NULL, &s, &tried, &e) != 0)
			fail_msg("%s: %s", pj_alg_name(want[i].alg), e.msg);
		if (strcmp(s.kids, want[i].kids) != 0)
			fail_msg("%s offered \"%s\", want \"%s\"", pj_alg_name(want[i].alg), s.kids,
				 want[i].kids);
		assert_int_equal(tried, s.n);
		seen_free(&s);
	}
	/* The right key is among them: ES256 offers the PEM key first. */
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256c), 1);
	assert_int_equal(EVP_PKEY_eq(s.pkey[1], p256), 1);
	seen_free(&s);

	/* A kid selects the JWK, but the type rules still apply. */
	assert_int_equal(each(&c, PJ_ALG_ES256, "p384", &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_int_equal(each(&c, PJ_ALG_HS256, "rsa", &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_int_equal(each(&c, PJ_ALG_ES384, "p384", &s, &tried, &e), 0);
	assert_string_equal(s.kids, "p384");
	seen_free(&s);

	/* The callback decides when to stop: 1 at the first key. */
	memset(&s, 0, sizeof(s));
	s.answer = 1;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_RS256, NULL, collect, &s, &tried, &e), 1);
	assert_string_equal(s.kids, "-");
	assert_int_equal(tried, 1);
	seen_free(&s);
	s.answer = -1;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, NULL, collect, &s, &tried, &e), -1);
	assert_int_equal(s.n, 1);
	seen_free(&s);

	/* End to end, without kid: the second candidate verifies. */
	assert_int_equal(verify_with(&c, p256, ES256_NOKID, &e), PJ_STAGE_OK);
	assert_int_equal(verify_with(&c, p256b, ES256_NOKID, &e), PJ_STAGE_SIGNATURE);
	assert_non_null(strstr(e.msg, "does not verify with any of 2 candidate keys"));
	pj_config_free(&c);
	free(jwks);
	free(rsa_pem);
	free(ec_pem);
}

static void test_each_key_file_labels(void **state)
{
	(void)state;
	char *a = put_pem("a.pem", p256), *b = put_pem("b.pem", p256b);
	char *cc = put_pem("c.pem", p256c);
	char kf[500];
	snprintf(kf, sizeof(kf), "k1=%s %s k2=%s", a, b, cc);
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	cfg_make_file(&c, "key_file", kf, NULL);

	assert_int_equal(each(&c, PJ_ALG_ES256, "k1", &s, &tried, &e), 0);
	assert_string_equal(s.kids, "k1");
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256), 1);
	seen_free(&s);
	assert_int_equal(each(&c, PJ_ALG_ES256, "k2", &s, &tried, &e), 0);
	assert_string_equal(s.kids, "k2");
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256c), 1);
	seen_free(&s);
	/* Unlabeled files answer to no kid; labels are exact. */
	static const char *none[] = { "k3", "k", "k1 ", "K1", "" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		assert_int_equal(each(&c, PJ_ALG_ES256, none[i], &s, &tried, &e), 0);
		if (tried != 0)
			fail_msg("kid \"%s\" was offered \"%s\"", none[i], s.kids);
		seen_free(&s);
	}
	/* Without a kid every key file is a candidate, labeled or not. */
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_string_equal(s.kids, "k1 - k2");
	assert_int_equal(tried, 3);
	seen_free(&s);

	/* End to end. */
	assert_int_equal(verify_with(&c, p256c, ES256_KID("k2"), &e), PJ_STAGE_OK);
	/* A kid binds the token to that one key: k1's key alone is tried. */
	assert_int_equal(verify_with(&c, p256c, ES256_KID("k1"), &e), PJ_STAGE_SIGNATURE);
	assert_non_null(strstr(e.msg, "does not verify"));
	assert_null(strstr(e.msg, "candidate keys"));
	/* The unlabeled key verifies only tokens without a kid. */
	assert_int_equal(verify_with(&c, p256b, ES256_NOKID, &e), PJ_STAGE_OK);
	assert_int_equal(verify_with(&c, p256b, ES256_KID("b"), &e), PJ_STAGE_SIGNATURE);
	assert_non_null(strstr(e.msg, "no configured key has kid \"b\""));
	pj_config_free(&c);
	free(a);
	free(b);
	free(cc);
}

/* Keys this module cannot use are passed over, never a refusal by
 * themselves: an encryption key without alg (first, so a token without kid
 * meets it), one sharing a signing key's kid, key_ops without verify, X25519,
 * an unknown kty.  Only when nothing verifies are they named. */
static void test_each_passes_over_unusable(void **state)
{
	(void)state;
	json_t *enc = with(with(jwk_ec(p256b, "P-256"), "use", "\"enc\""), "kid", "\"k1\"");
	json_t *ops = with(jwk_ec(p256c, "P-256"), "key_ops", "[\"encrypt\"]");
	json_t *x25519 = with(jwk_okp(ed), "crv", "\"X25519\"");
	json_t *akp = json_pack("{s:s,s:s,s:s}", "kty", "AKP", "alg", "ML-DSA-44", "pub", "AAAA");
	json_t *good = with(jwk_ec(p256, "P-256"), "kid", "\"k1\"");
	char *path = put_jwks("unusable.jwks", 0644,
			      json_pack("[o,o,o,o,o]", enc, ops, x25519, akp, good));
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	cfg_make_file(&c, "jwks_file", path, NULL);
	/* A token without kid: the EC keys meet it; only the good one is tried. */
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	assert_string_equal(s.kids, "k1");
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256), 1);
	seen_free(&s);
	/* kid k1: the encryption key with that kid is passed over. */
	assert_int_equal(each(&c, PJ_ALG_ES256, "k1", &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], p256), 1);
	seen_free(&s);
	/* EdDSA: only X25519 is an OKP key, and it is passed over by name. */
	assert_int_equal(each(&c, PJ_ALG_EDDSA, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_non_null(strstr(e.msg, "unusable.jwks#2: OKP JWK curve X25519 is not Ed25519"));
	seen_free(&s);
	pj_config_free(&c);
	/* The same key set without the good key: nothing is tried, and the
	 * reason names the keys passed over. */
	enc = with(with(jwk_ec(p256b, "P-256"), "use", "\"enc\""), "kid", "\"k1\"");
	ops = with(jwk_ec(p256c, "P-256"), "key_ops", "[\"encrypt\"]");
	char *bad = put_jwks("unusable2.jwks", 0644, json_pack("[o,o]", enc, ops));
	cfg_make_file(&c, "jwks_file", bad, NULL);
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_non_null(strstr(e.msg, "#1: JWK \"key_ops\" does not allow verify"));
	assert_non_null(strstr(e.msg, "#0: JWK \"use\" is not \"sig\""));
	seen_free(&s);
	pj_config_free(&c);
	free(path);
	free(bad);
}

static void test_each_hmac(void **state)
{
	(void)state;
	char *short_k = put_jwks("short.jwks", 0600, json_pack("[o]", jwk_oct(31)));
	char *k32 = put_jwks("k32.jwks", 0600, json_pack("[o]", jwk_oct(32)));
	char *k64 = put_jwks("k64.jwks", 0600, json_pack("[o]", jwk_oct(64)));
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	char want[300];

	/* A short secret is never tried, and named when nothing else is. */
	cfg_make_file(&c, "jwks_file", short_k, NULL);
	snprintf(want, sizeof(want), "%s#0: HMAC key is 31 bytes, HS256 needs at least 32",
		 short_k);
	assert_int_equal(each(&c, PJ_ALG_HS256, NULL, &s, &tried, &e), 0);
	assert_string_equal(e.msg, want);
	assert_int_equal(s.n, 0);
	assert_int_equal(tried, 0);
	pj_config_free(&c);

	cfg_make_file(&c, "jwks_file", k32, NULL);
	assert_int_equal(each(&c, PJ_ALG_HS256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	assert_int_equal(each(&c, PJ_ALG_HS384, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_non_null(strstr(e.msg, "is 32 bytes, HS384 needs at least 48"));
	assert_int_equal(each(&c, PJ_ALG_HS512, NULL, &s, &tried, &e), 0);
	assert_non_null(strstr(e.msg, "is 32 bytes, HS512 needs at least 64"));
	pj_config_free(&c);
	/* The short one beside a good one: the good one is tried. */
	cfg_make_file(&c, "jwks_file", short_k, "jwks_file", k32, NULL);
	assert_int_equal(each(&c, PJ_ALG_HS256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	pj_config_free(&c);

	cfg_make_file(&c, "jwks_file", k64, NULL);
	assert_int_equal(each(&c, PJ_ALG_HS512, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	pj_config_free(&c);

	/* Secrets readable by others: the file is refused as a whole. */
	assert_int_equal(chmod(k64, 0644), 0);
	cfg_make_file(&c, "jwks_file", k64, NULL);
	assert_fails_with(each(&c, PJ_ALG_HS512, NULL, &s, &tried, &e), e,
			  "holds secret keys but is readable by group or others (mode 0644)");
	assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e, "holds secret keys");
	pj_config_free(&c);
	free(short_k);
	free(k32);
	free(k64);
}

/* A jwks_file that others can read must hold public keys only: the private
 * halves of key pairs are refused as HMAC secrets are, whatever the kty. */
static void test_each_private_members(void **state)
{
	(void)state;
	static const char *members[] = { "d", "p", "q", "dp", "dq", "qi", "oth" };
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	char want[300];
	char *rsa_priv = put_jwks("rsa-priv.jwks", 0644, json_pack("[o]", jwk_rsa(rsa, 1)));
	cfg_make_file(&c, "jwks_file", rsa_priv, NULL);
	snprintf(want, sizeof(want),
		 "%s holds secret keys but is readable by group or others (mode 0644): \"d\" "
		 "of key #0",
		 rsa_priv);
	assert_fails_with(each(&c, PJ_ALG_RS256, NULL, &s, &tried, &e), e, want);
	assert_int_equal(s.n, 0);
	/* Private to root: its public half is used. */
	assert_int_equal(chmod(rsa_priv, 0600), 0);
	assert_int_equal(each(&c, PJ_ALG_RS256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	assert_int_equal(EVP_PKEY_eq(s.pkey[0], rsa), 1);
	seen_free(&s);
	assert_int_equal(chmod(rsa_priv, 0640), 0);
	assert_fails_with(each(&c, PJ_ALG_RS256, NULL, &s, &tried, &e), e, "(mode 0640)");
	pj_config_free(&c);
	free(rsa_priv);
	/* Any one private member, on any key of the set, in any position. */
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		json_t *ec = with(jwk_ec(p256, "P-256"), members[i], "\"AQAB\"");
		char *path = put_jwks("one-member.jwks", 0604, json_pack("[o,o]", jwk_okp(ed), ec));
		cfg_make_file(&c, "jwks_file", path, NULL);
		snprintf(want, sizeof(want), "(mode 0604): \"%s\" of key #1", members[i]);
		assert_fails_with(each(&c, PJ_ALG_EDDSA, NULL, &s, &tried, &e), e, want);
		pj_config_free(&c);
		free(path);
	}
	char *okp =
		put_jwks("okp-priv.jwks", 0644,
			 json_pack("[o]", with(jwk_okp(ed), "d",
					       "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"")));
	cfg_make_file(&c, "jwks_file", okp, NULL);
	assert_fails_with(each(&c, PJ_ALG_EDDSA, NULL, &s, &tried, &e), e, "\"d\" of key #0");
	pj_config_free(&c);
	free(okp);
	/* Public keys only: readable by everyone, as before. */
	char *pub =
		put_jwks("pub.jwks", 0644,
			 json_pack("[o,o,o]", jwk_rsa(rsa, 0), jwk_ec(p256, "P-256"), jwk_okp(ed)));
	cfg_make_file(&c, "jwks_file", pub, NULL);
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 1);
	seen_free(&s);
	pj_config_free(&c);
	free(pub);
}

static void test_each_source_errors(void **state)
{
	(void)state;
	struct pj_config c;
	struct seen s;
	unsigned tried;
	pj_err e;
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/missing.pem", tmpdir);

	cfg_make_file(&c, "key_file", missing, NULL);
	assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e, "key_file: cannot open");
	pj_config_free(&c);

	char *priv = pem_priv(p256, 0), *pp = put_file("priv.pem", priv, 0600);
	cfg_make_file(&c, "key_file", pp, NULL);
	assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e,
			  "holds a private key; configure the public key");
	pj_config_free(&c);
	free(priv);
	free(pp);

	char *gw = put_pem("gw.pem", p256);
	assert_int_equal(chmod(gw, 0664), 0);
	cfg_make_file(&c, "key_file", gw, NULL);
	assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e, "key_file: ");
	assert_non_null(strstr(e.msg, "writable by group or others"));
	pj_config_free(&c);
	free(gw);

	static const struct {
		const char *text, *why;
	} docs[] = {
		{ "not json", "is not valid JSON" },
		{ "[]", "is not a JSON object" },
		{ "{}", "has no \"keys\" array" },
		{ "{\"keys\":{}}", "has no \"keys\" array" },
		{ "{\"keys\":[],\"keys\":[]}", "is not valid JSON" },
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *p = put_file("doc.jwks", docs[i].text, 0644);
		cfg_make_file(&c, "jwks_file", p, NULL);
		assert_fails_with(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), e, docs[i].why);
		pj_config_free(&c);
		free(p);
	}
	/* An empty key set is not an error: there is just no key. */
	char *p = put_file("empty.jwks", "{\"keys\":[]}", 0644);
	cfg_make_file(&c, "jwks_file", p, NULL);
	assert_int_equal(each(&c, PJ_ALG_ES256, NULL, &s, &tried, &e), 0);
	assert_int_equal(tried, 0);
	pj_config_free(&c);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwk_rsa),
		cmocka_unit_test(test_jwk_ec),
		cmocka_unit_test(test_jwk_okp_oct),
		cmocka_unit_test(test_jwk_meta),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_each_kid_is_lazy),
		cmocka_unit_test(test_each_type_fitting),
		cmocka_unit_test(test_each_key_file_labels),
		cmocka_unit_test(test_each_passes_over_unusable),
		cmocka_unit_test(test_each_hmac),
		cmocka_unit_test(test_each_private_members),
		cmocka_unit_test(test_each_source_errors),
	};
	return cmocka_run_group_tests_name("keys", tests, fx_setup, fx_teardown) ? 1 : 0;
}
