/* SPDX-License-Identifier: BSD-3-Clause */
/* JWS signatures (RFC 7518) with OpenSSL 3 EVP.  Every check fails closed: a
 * function returns 0 only when everything it was asked to prove holds. */
#include "sig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "util.h"

/* Everything that differs between algorithms, so the code paths below are
 * shared per family and an algorithm cannot pick up another one's rules. */
struct alg_info {
	const char *name;
	enum pj_kty kty;
	const char *md;	   /* OpenSSL digest name; NULL for EdDSA (no pre-hash) */
	size_t hash_len;   /* HMAC tag length and PSS salt length */
	int rsa_pad;	   /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING; 0 otherwise */
	int curve_nid;	   /* ES*: the one curve RFC 7518 allows */
	const char *curve; /* ES*, Ed25519, Ed448: its JOSE name, for messages */
	size_t ec_len;	   /* ES*: bytes of r and of s (the order's length) */
	int okp_id;	   /* Ed25519, Ed448: the one EVP_PKEY type; 0 for EdDSA (either) */
};

static const struct alg_info algs[PJ_ALG_COUNT] = {
	[PJ_ALG_HS256] = { "HS256", PJ_KTY_OCT, "SHA256", 32, 0, NID_undef, NULL, 0 },
	[PJ_ALG_HS384] = { "HS384", PJ_KTY_OCT, "SHA384", 48, 0, NID_undef, NULL, 0 },
	[PJ_ALG_HS512] = { "HS512", PJ_KTY_OCT, "SHA512", 64, 0, NID_undef, NULL, 0 },
	[PJ_ALG_RS256] = { "RS256", PJ_KTY_RSA, "SHA256", 32, RSA_PKCS1_PADDING, NID_undef, NULL,
			   0 },
	[PJ_ALG_RS384] = { "RS384", PJ_KTY_RSA, "SHA384", 48, RSA_PKCS1_PADDING, NID_undef, NULL,
			   0 },
	[PJ_ALG_RS512] = { "RS512", PJ_KTY_RSA, "SHA512", 64, RSA_PKCS1_PADDING, NID_undef, NULL,
			   0 },
	[PJ_ALG_PS256] = { "PS256", PJ_KTY_RSA, "SHA256", 32, RSA_PKCS1_PSS_PADDING, NID_undef,
			   NULL, 0 },
	[PJ_ALG_PS384] = { "PS384", PJ_KTY_RSA, "SHA384", 48, RSA_PKCS1_PSS_PADDING, NID_undef,
			   NULL, 0 },
	[PJ_ALG_PS512] = { "PS512", PJ_KTY_RSA, "SHA512", 64, RSA_PKCS1_PSS_PADDING, NID_undef,
			   NULL, 0 },
	[PJ_ALG_ES256] = { "ES256", PJ_KTY_EC, "SHA256", 32, 0, NID_X9_62_prime256v1, "P-256", 32 },
	[PJ_ALG_ES384] = { "ES384", PJ_KTY_EC, "SHA384", 48, 0, NID_secp384r1, "P-384", 48 },
	[PJ_ALG_ES512] = { "ES512", PJ_KTY_EC, "SHA512", 64, 0, NID_secp521r1, "P-521", 66 },
	[PJ_ALG_EDDSA] = { "EdDSA", PJ_KTY_OKP, NULL, 0, 0, NID_undef, NULL, 0, 0 },
	/* RFC 9864 4.1.1: the curve is the algorithm's, not the key's choice. */
	[PJ_ALG_ED25519] = { "Ed25519", PJ_KTY_OKP, NULL, 0, 0, NID_undef, "Ed25519", 0,
			     EVP_PKEY_ED25519 },
	[PJ_ALG_ED448] = { "Ed448", PJ_KTY_OKP, NULL, 0, 0, NID_undef, "Ed448", 0, EVP_PKEY_ED448 },
};

/* Stands in for a NULL message of length 0, so OpenSSL never sees NULL data. */
static const unsigned char empty_msg[1];

/* NULL for anything outside the enum (callers may pass -1 from a lookup). */
static const struct alg_info *alg_info(enum pj_alg alg)
{
	if ((unsigned)alg >= PJ_ALG_COUNT)
		return NULL;
	return &algs[alg];
}

int pj_alg_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int a = 0; a < PJ_ALG_COUNT; a++)
		if (strcmp(name, algs[a].name) == 0)
			return a;
	return -1;
}

const char *pj_alg_name(enum pj_alg alg)
{
	const struct alg_info *ai = alg_info(alg);
	/* Never NULL: names end up in printf-style messages. */
	return ai ? ai->name : "(unknown alg)";
}

enum pj_kty pj_alg_kty(enum pj_alg alg)
{
	const struct alg_info *ai = alg_info(alg);
	/* Out of range gets a value equal to no kty, so no key can match it. */
	return ai ? ai->kty : (enum pj_kty) - 1;
}

const char *pj_kty_name(enum pj_kty kty)
{
	switch (kty) {
	case PJ_KTY_OCT:
		return "oct";
	case PJ_KTY_RSA:
		return "RSA";
	case PJ_KTY_EC:
		return "EC";
	case PJ_KTY_OKP:
		return "OKP";
	}
	return "(unknown kty)";
}

/* Does the EVP_PKEY type fit the kty?  OKP means Ed25519 or Ed448 (never the
 * key agreement curves X25519, X448). */
static int kty_holds(enum pj_kty kty, int id)
{
	switch (kty) {
	case PJ_KTY_RSA:
		return id == EVP_PKEY_RSA;
	case PJ_KTY_EC:
		return id == EVP_PKEY_EC;
	case PJ_KTY_OKP:
		return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
	default:
		return 0;
	}
}

/* The struct's fields must agree with each other: whoever built it (JWK,
 * PEM) could have set kty from one place and the material from another. */
static int key_material_ok(const struct pj_key *key, pj_err *e)
{
	if (key->kty == PJ_KTY_OCT) {
		if (key->pkey)
			return pj_fail(e, "oct key must not carry an asymmetric key");
		if (!key->secret || key->secret_len == 0)
			return pj_fail(e, "oct key has an empty secret");
		return 0;
	}
	if (key->secret)
		return pj_fail(e, "%s key must not carry a secret", pj_kty_name(key->kty));
	if (!key->pkey)
		return pj_fail(e, "%s key has no key material", pj_kty_name(key->kty));
	int id = EVP_PKEY_get_base_id(key->pkey);
	if (!kty_holds(key->kty, id)) {
		const char *tn = EVP_PKEY_get0_type_name(key->pkey);
		return pj_fail(e, "%s key holds a %s key", pj_kty_name(key->kty),
			       tn ? tn : "different");
	}
	return 0;
}

static int rsa_size_ok(EVP_PKEY *pkey, pj_err *e)
{
	int bits = EVP_PKEY_get_bits(pkey);
	if (bits < PJ_RSA_MIN_BITS)
		return pj_fail(e, "RSA key is %d bits, under the %d-bit minimum", bits,
			       PJ_RSA_MIN_BITS);
	return 0;
}

/* Named curves only.  RFC 5480 forbids explicit parameters in keys, and
 * they have a history of trouble (CVE-2020-0601: a chosen generator).  A JWK
 * cannot carry them anyway; only a PEM file could. */
static int ec_named_ok(EVP_PKEY *pkey, pj_err *e)
{
	char enc[32];
	size_t len = 0;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
					   &len) != 1 ||
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
		return pj_fail(e, "EC key has explicit curve parameters; only named curves are "
				  "accepted");
	return 0;
}

/* The curve is the key's, not the token's: ES256 with a P-384 key (or a
 * secp256k1 key) is refused, as RFC 7518 section 3.4 ties each alg to one curve. */
static int ec_curve_ok(EVP_PKEY *pkey, const struct alg_info *ai, pj_err *e)
{
	char name[80];
	size_t len = 0;
	if (ec_named_ok(pkey, e) != 0)
		return -1;
	if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1 || len == 0)
		return pj_fail(e, "EC key has no named curve; %s needs %s", ai->name, ai->curve);
	int nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	if (nid != ai->curve_nid) {
		const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
		return pj_fail(e, "EC key on curve %s does not fit alg %s (needs %s)",
			       nist ? nist : name, ai->name, ai->curve);
	}
	return 0;
}

static const char *okp_curve(int id)
{
	return id == EVP_PKEY_ED25519 ? "Ed25519" : id == EVP_PKEY_ED448 ? "Ed448" : "(unknown)";
}

/* Ed25519 and Ed448 name their curve (RFC 9864), EdDSA takes the key's. */
static int okp_curve_ok(EVP_PKEY *pkey, const struct alg_info *ai, pj_err *e)
{
	int id = EVP_PKEY_get_base_id(pkey);
	if (ai->okp_id && id != ai->okp_id)
		return pj_fail(e, "OKP key on curve %s does not fit alg %s (needs %s)",
			       okp_curve(id), ai->name, ai->curve);
	return 0;
}

int pj_key_fits(const struct pj_key *key, enum pj_alg alg, pj_err *e)
{
	const struct alg_info *ai = alg_info(alg);
	if (!ai)
		return pj_fail(e, "unknown alg %d", (int)alg);
	if (!key)
		return pj_fail(e, "no key");
	/* Type first: this is the rule that stops RS256 keys being used as HMAC
	 * secrets (the classic alg confusion). */
	if (key->kty != ai->kty)
		return pj_fail(e, "key type %s does not fit alg %s", pj_kty_name(key->kty),
			       ai->name);
	/* -1 is "no alg"; any other value that is not alg (garbage included)
	 * refuses. */
	if (key->alg != -1 && key->alg != (int)alg)
		return pj_fail(e, "key is for %s, token says %s",
			       pj_alg_name((enum pj_alg)key->alg), ai->name);
	if (key_material_ok(key, e) != 0)
		return -1;
	/* A failed curve lookup may queue OpenSSL errors; they are ours. */
	ERR_set_mark();
	int rc = 0;
	if (ai->kty == PJ_KTY_RSA)
		rc = rsa_size_ok(key->pkey, e);
	else if (ai->kty == PJ_KTY_EC)
		rc = ec_curve_ok(key->pkey, ai, e);
	else if (ai->kty == PJ_KTY_OKP)
		rc = okp_curve_ok(key->pkey, ai, e);
	ERR_pop_to_mark();
	return rc;
}

/* Adds OpenSSL's own reason to an internal failure (not to "does not verify",
 * where the reason would only describe attacker-chosen bytes). */
static int ossl_fail(pj_err *e, const char *what)
{
	unsigned long err = ERR_peek_last_error();
	const char *why = err ? ERR_reason_error_string(err) : NULL;
	return pj_fail(e, "%s failed%s%s", what, why ? ": " : "", why ? why : "");
}

/* Digest, padding, MGF1 hash and salt length for RSA; for PSS the salt
 * length is fixed to the hash length, so verification checks it exactly. */
static int rsa_params(EVP_PKEY_CTX *pctx, const struct alg_info *ai)
{
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, ai->rsa_pad) <= 0)
		return -1;
	if (ai->rsa_pad != RSA_PKCS1_PSS_PADDING)
		return 0;
	if (EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, ai->md, NULL) <= 0)
		return -1;
	if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)ai->hash_len) <= 0)
		return -1;
	return 0;
}

/* One EVP_MD_CTX set up for signing or verifying with ai's parameters. */
static EVP_MD_CTX *evp_ctx(EVP_PKEY *pkey, const struct alg_info *ai, int sign, pj_err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	if (!ctx) {
		pj_fail(e, "out of memory");
		return NULL;
	}
	int ok = sign ? EVP_DigestSignInit_ex(ctx, &pctx, ai->md, NULL, NULL, pkey, NULL)
		      : EVP_DigestVerifyInit_ex(ctx, &pctx, ai->md, NULL, NULL, pkey, NULL);
	if (ok != 1 || (ai->rsa_pad && rsa_params(pctx, ai) != 0)) {
		ossl_fail(e, sign ? "signing setup" : "verification setup");
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int evp_verify(EVP_PKEY *pkey, const struct alg_info *ai, const unsigned char *msg,
		      size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e)
{
	EVP_MD_CTX *ctx = evp_ctx(pkey, ai, 0, e);
	if (!ctx)
		return -1;
	/* Only 1 means valid; 0 is a bad signature and < 0 an error. */
	int ok = EVP_DigestVerify(ctx, sig, siglen, msg, msglen);
	EVP_MD_CTX_free(ctx);
	return ok == 1 ? 0 : pj_fail(e, "signature does not verify");
}

static int hmac(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		size_t msglen, unsigned char *out, pj_err *e)
{
	size_t outlen = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, ai->md, NULL, key->secret, key->secret_len, msg, msglen,
		       out, ai->hash_len, &outlen) ||
	    outlen != ai->hash_len) {
		OPENSSL_cleanse(out, ai->hash_len);
		return ossl_fail(e, "HMAC");
	}
	return 0;
}

static int hmac_verify(const struct pj_key *key, const struct alg_info *ai,
		       const unsigned char *msg, size_t msglen, const unsigned char *sig,
		       size_t siglen, pj_err *e)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	/* The full tag only: JWS has no truncated HMAC, and a short tag would
	 * be far easier to guess. */
	if (siglen != ai->hash_len)
		return pj_fail(e, "%s signature must be %zu bytes, got %zu", ai->name, ai->hash_len,
			       siglen);
	if (hmac(key, ai, msg, msglen, mac, e) != 0)
		return -1;
	int diff = CRYPTO_memcmp(mac, sig, ai->hash_len);
	/* The expected tag is a valid signature for this message: don't leave it. */
	OPENSSL_cleanse(mac, sizeof(mac));
	return diff == 0 ? 0 : pj_fail(e, "signature does not verify");
}

static int rsa_verify(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		      size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e)
{
	/* RFC 8017 8.2.2 / 8.1.2: the signature is exactly k bytes. */
	int k = EVP_PKEY_get_size(key->pkey);
	if (k <= 0 || siglen != (size_t)k)
		return pj_fail(e, "RSA signature must be %d bytes, got %zu", k, siglen);
	return evp_verify(key->pkey, ai, msg, msglen, sig, siglen, e);
}

/* 0 < v < n, as ECDSA requires of r and s (SEC 1 4.1.4 step 1). */
/* The group orders (SEC 2), big-endian at the curve's exact length: fixed
 * constants, so checking 0 < r, s < n needs no OpenSSL parameter lookup. */
static const unsigned char order_p256[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};
static const unsigned char order_p384[48] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2,
	0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
};
static const unsigned char order_p521[66] = {
	0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b,
	0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09, 0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c,
	0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38, 0x64, 0x09,
};

static const unsigned char *ec_order(const struct alg_info *ai)
{
	return ai->ec_len == 32 ? order_p256 : ai->ec_len == 48 ? order_p384 : order_p521;
}

/* 0 < v < n for a big-endian v of the order's exact length. */
static int ec_scalar_ok(const unsigned char *v, const unsigned char *order, size_t n)
{
	unsigned char any = 0;
	for (size_t i = 0; i < n; i++)
		any |= v[i];
	return any != 0 && memcmp(v, order, n) < 0;
}

/* Raw R||S (RFC 7518 3.4) to the DER form OpenSSL verifies, after checking
 * the range ourselves so nothing out of range reaches any encoder. */
static int ec_raw_to_der(const struct alg_info *ai, const unsigned char *sig, unsigned char **der,
			 int *derlen, pj_err *e)
{
	size_t n = ai->ec_len;
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es = NULL;
	int rc = -1;
	*der = NULL;
	/* pj_key_fits has checked that the key's curve is the alg's. */
	if (!ec_scalar_ok(sig, ec_order(ai), n) || !ec_scalar_ok(sig + n, ec_order(ai), n))
		return pj_fail(e, "ECDSA r or s out of range");
	r = BN_bin2bn(sig, (int)n, NULL);
	s = BN_bin2bn(sig + n, (int)n, NULL);
	if (!r || !s) {
		pj_fail(e, "out of memory");
		goto done;
	}
	es = ECDSA_SIG_new();
	if (!es || ECDSA_SIG_set0(es, r, s) != 1) {
		pj_fail(e, "out of memory");
		goto done;
	}
	r = s = NULL; /* es owns them now */
	*derlen = i2d_ECDSA_SIG(es, der);
	if (*derlen <= 0) {
		*der = NULL;
		ossl_fail(e, "ECDSA signature encoding");
		goto done;
	}
	rc = 0;
done:
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return rc;
}

static int ec_verify(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		     size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e)
{
	/* Exactly 2 * the order's length: DER, trimmed or padded forms are
	 * not JWS signatures, and accepting them would make tokens malleable. */
	if (siglen != 2 * ai->ec_len)
		return pj_fail(e, "ECDSA signature must be %zu bytes, got %zu", 2 * ai->ec_len,
			       siglen);
	unsigned char *der = NULL;
	int derlen = 0;
	if (ec_raw_to_der(ai, sig, &der, &derlen, e) != 0)
		return -1;
	int rc = evp_verify(key->pkey, ai, msg, msglen, der, (size_t)derlen, e);
	/* The signature in another form: wiped like the raw one. */
	OPENSSL_clear_free(der, (size_t)derlen);
	return rc;
}

static int ed_verify(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		     size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e)
{
	/* RFC 8032 5.1.6 and 5.2.6: R and S, 32 + 32 or 57 + 57 bytes. */
	int ed448 = EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_ED448;
	size_t want = ed448 ? 114 : 64;
	if (siglen != want)
		return pj_fail(e, "%s signature must be %zu bytes, got %zu",
			       ed448 ? "Ed448" : "Ed25519", want, siglen);
	return evp_verify(key->pkey, ai, msg, msglen, sig, siglen, e);
}

int pj_sig_verify(enum pj_alg alg, const struct pj_key *key, const unsigned char *msg,
		  size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e)
{
	if (pj_key_fits(key, alg, e) != 0)
		return -1;
	if ((!msg && msglen) || (!sig && siglen))
		return pj_fail(e, "no data to verify");
	const struct alg_info *ai = alg_info(alg);
	const unsigned char *m = msg ? msg : empty_msg;
	const unsigned char *sg = sig ? sig : empty_msg;
	int rc = -1;
	/* OpenSSL queues an error for every bad signature; keep the host
	 * process's queue as we found it. */
	ERR_set_mark();
	switch (ai->kty) {
	case PJ_KTY_OCT:
		rc = hmac_verify(key, ai, m, msglen, sg, siglen, e);
		break;
	case PJ_KTY_RSA:
		rc = rsa_verify(key, ai, m, msglen, sg, siglen, e);
		break;
	case PJ_KTY_EC:
		rc = ec_verify(key, ai, m, msglen, sg, siglen, e);
		break;
	case PJ_KTY_OKP:
		rc = ed_verify(key, ai, m, msglen, sg, siglen, e);
		break;
	}
	ERR_pop_to_mark();
	return rc;
}

static int hmac_sign(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		     size_t msglen, unsigned char **sig, size_t *siglen, pj_err *e)
{
	unsigned char *out = malloc(ai->hash_len);
	if (!out)
		return pj_fail(e, "out of memory");
	if (hmac(key, ai, msg, msglen, out, e) != 0) {
		free(out);
		return -1;
	}
	*sig = out;
	*siglen = ai->hash_len;
	return 0;
}

/* RSA (either padding), Ed25519, and ECDSA in OpenSSL's DER form. */
static int evp_sign(EVP_PKEY *pkey, const struct alg_info *ai, const unsigned char *msg,
		    size_t msglen, unsigned char **sig, size_t *siglen, pj_err *e)
{
	/* EVP_PKEY_get_size is the most any signature of this key can take. */
	int max = EVP_PKEY_get_size(pkey);
	if (max <= 0)
		return ossl_fail(e, "reading the key size");
	unsigned char *out = malloc((size_t)max);
	if (!out)
		return pj_fail(e, "out of memory");
	EVP_MD_CTX *ctx = evp_ctx(pkey, ai, 1, e);
	size_t len = (size_t)max;
	if (!ctx || EVP_DigestSign(ctx, out, &len, msg, msglen) != 1) {
		if (ctx)
			ossl_fail(e, "signing");
		EVP_MD_CTX_free(ctx);
		free(out);
		return -1;
	}
	EVP_MD_CTX_free(ctx);
	*sig = out;
	*siglen = len;
	return 0;
}

/* OpenSSL's DER ECDSA signature to JWS's raw R||S, each left-padded. */
static int ec_der_to_raw(const struct alg_info *ai, const unsigned char *der, size_t derlen,
			 unsigned char **sig, size_t *siglen, pj_err *e)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!es)
		return ossl_fail(e, "decoding the ECDSA signature");
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(es, &r, &s);
	size_t n = ai->ec_len;
	unsigned char *out = malloc(2 * n);
	int rc = -1;
	if (!out)
		pj_fail(e, "out of memory");
	else if (BN_bn2binpad(r, out, (int)n) < 0 || BN_bn2binpad(s, out + n, (int)n) < 0)
		pj_fail(e, "ECDSA r or s longer than %zu bytes", n);
	else
		rc = 0;
	ECDSA_SIG_free(es);
	if (rc != 0) {
		free(out);
		return -1;
	}
	*sig = out;
	*siglen = 2 * n;
	return 0;
}

static int ec_sign(const struct pj_key *key, const struct alg_info *ai, const unsigned char *msg,
		   size_t msglen, unsigned char **sig, size_t *siglen, pj_err *e)
{
	unsigned char *der = NULL;
	size_t derlen = 0;
	if (evp_sign(key->pkey, ai, msg, msglen, &der, &derlen, e) != 0)
		return -1;
	int rc = ec_der_to_raw(ai, der, derlen, sig, siglen, e);
	free(der);
	return rc;
}

int pj_sig_sign(enum pj_alg alg, const struct pj_key *key, const unsigned char *msg, size_t msglen,
		unsigned char **sig, size_t *siglen, pj_err *e)
{
	if (!sig || !siglen)
		return pj_fail(e, "no place for the signature");
	*sig = NULL;
	*siglen = 0;
	if (pj_key_fits(key, alg, e) != 0)
		return -1;
	if (!msg && msglen)
		return pj_fail(e, "no data to sign");
	const struct alg_info *ai = alg_info(alg);
	const unsigned char *m = msg ? msg : empty_msg;
	int rc = -1;
	ERR_set_mark();
	switch (ai->kty) {
	case PJ_KTY_OCT:
		rc = hmac_sign(key, ai, m, msglen, sig, siglen, e);
		break;
	case PJ_KTY_EC:
		rc = ec_sign(key, ai, m, msglen, sig, siglen, e);
		break;
	case PJ_KTY_RSA:
	case PJ_KTY_OKP:
		rc = evp_sign(key->pkey, ai, m, msglen, sig, siglen, e);
		break;
	}
	ERR_pop_to_mark();
	return rc;
}

/* The kty for pkey, or -1: only the key types the JWS algorithms above can
 * use, so no later step has to wonder what it was given. */
static int pkey_kty(EVP_PKEY *pkey, pj_err *e)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		return PJ_KTY_RSA;
	case EVP_PKEY_EC:
		return PJ_KTY_EC;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return PJ_KTY_OKP;
	case EVP_PKEY_RSA_PSS:
		/* id-RSASSA-PSS keys carry their own PSS restrictions, which
		 * JWS does not express; plain RSA keys serve RS* and PS*. */
		return pj_fail(e, "RSA-PSS-only keys (id-RSASSA-PSS) are not supported; "
				  "use a plain RSA key");
	default: {
		const char *tn = EVP_PKEY_get0_type_name(pkey);
		return pj_fail(e, "unsupported key type %s", tn ? tn : "(unknown)");
	}
	}
}

/* ---- degenerate public keys, refused when a key is loaded ---- */

/* RSA: e odd and 3 <= e < 2^32.  e = 1 makes the signature the encoded
 * message itself (anyone forges it), an even e is no RSA key.  Above: RFC
 * 8017 allows up to n - 1, but every identity provider publishes 65537,
 * OpenSSL refuses exponents over 64 bits with moduli over 3072 bits, Go
 * refuses them over 31 bits, and a huge e makes each verification as slow as
 * a private-key operation; 32 bits leaves room for every real key (e = 3
 * included) and none for a key made to hurt. */
#define PJ_RSA_E_MAX_BITS 32

static int rsa_e_ok(EVP_PKEY *pkey, pj_err *e)
{
	BIGNUM *x = NULL;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &x) != 1)
		return pj_fail(e, "RSA key has no public exponent");
	int odd = BN_is_odd(x), one = BN_is_one(x), bits = BN_num_bits(x);
	BN_free(x);
	if (!odd || one)
		return pj_fail(e, "RSA public exponent must be odd and at least 3");
	if (bits > PJ_RSA_E_MAX_BITS)
		return pj_fail(e, "RSA public exponent is %d bits, over the %d-bit maximum", bits,
			       PJ_RSA_E_MAX_BITS);
	return 0;
}

/* EC: OpenSSL refuses a point off the curve, but decodes the point at
 * infinity from a PEM key or certificate (the one-byte encoding 00), and with
 * it ECDSA "verifies" (r, s) = (x(eG/s), s) for any message.  The curves
 * allowed have cofactor 1, so the quick check (not infinity, on the curve,
 * coordinates in range) is the whole check. */
static int ec_point_ok(EVP_PKEY *pkey, pj_err *e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = ctx && EVP_PKEY_public_check_quick(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0
		  : pj_fail(e, "EC public key is not a point of its curve (or is the point at "
			       "infinity)");
}

/* Ed25519 (RFC 8032 5.1.3): the encoding is y, little-endian, and the sign
 * of x in the top bit.  y must be below p = 2^255 - 19, and the point must
 * not be of small order: with such a key A the signature R = identity, S = 0
 * verifies every message.  The points of the 8-torsion subgroup, by y (sign
 * bit aside): 0 and p - 1 (orders 4 and 2), 1 (the identity), and the two
 * roots of d y^4 + 2 y^2 - 1 = 0, which double to y = 0 (order 8). */
static const unsigned char ed25519_p[32] = { 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
static const unsigned char ed25519_small_order_y[][32] = {
	{ 0 },
	{ 1 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
};

/* Is y (little-endian) below p? */
static int ed25519_canonical(const unsigned char y[32])
{
	for (int i = 31; i >= 0; i--)
		if (y[i] != ed25519_p[i])
			return y[i] < ed25519_p[i];
	return 0;
}

static int ed25519_ok(EVP_PKEY *pkey, pj_err *e)
{
	unsigned char a[32], y[32];
	size_t n = sizeof(a);
	if (EVP_PKEY_get_raw_public_key(pkey, a, &n) != 1 || n != 32)
		return pj_fail(e, "Ed25519 key has no 32-byte public key");
	memcpy(y, a, 32);
	y[31] &= 0x7f;
	if (!ed25519_canonical(y))
		return pj_fail(e, "Ed25519 public key is not canonically encoded (y is not "
				  "below 2^255 - 19)");
	for (size_t i = 0; i < sizeof(ed25519_small_order_y) / sizeof(ed25519_small_order_y[0]);
	     i++)
		if (memcmp(y, ed25519_small_order_y[i], 32) == 0)
			return pj_fail(e, "Ed25519 public key is a point of small order (it "
					  "would verify forged signatures)");
	/* A y that names no point at all is left to OpenSSL, which refuses
	 * every signature under it; telling at load would cost a modular
	 * square root (more than the verification) on every EdDSA login. */
	return 0;
}

/* Ed448 (RFC 8032 5.2.3): 57 bytes, y little-endian in the first 56, the
 * sign of x in the top bit of the last, whose other bits are 0.  y must be
 * below p = 2^448 - 2^224 - 1.  The curve's cofactor is 4: the points of
 * small order are the identity (0, 1), (0, -1) of order 2 and (+-1, 0) of
 * order 4, so y = 1, p - 1 or 0; with one as key A, R = identity and S = 0
 * (or S = 0 and R a small-order point) verify for many messages. */
static int ed448_ok(EVP_PKEY *pkey, pj_err *e)
{
	unsigned char a[57];
	size_t n = sizeof(a);
	if (EVP_PKEY_get_raw_public_key(pkey, a, &n) != 1 || n != 57)
		return pj_fail(e, "Ed448 key has no 57-byte public key");
	if (a[56] & 0x7f)
		return pj_fail(e, "Ed448 public key is not canonically encoded (bits set in its "
				  "last byte)");
	/* p in little-endian: 28 bytes 0xff, byte 28 0xfe, 27 bytes 0xff. */
	int cmp = 0;
	for (int i = 55; i >= 0 && !cmp; i--) {
		unsigned char pi = i == 28 ? 0xfe : 0xff;
		cmp = a[i] < pi ? -1 : a[i] > pi ? 1 : 0;
	}
	if (cmp >= 0)
		return pj_fail(e, "Ed448 public key is not canonically encoded (y is not below "
				  "2^448 - 2^224 - 1)");
	unsigned char rest = 0;
	for (int i = 1; i < 56; i++)
		rest |= a[i];
	/* p - 1: as p, but 0xfe in byte 0. */
	int minus_one = a[0] == 0xfe && a[28] == 0xfe;
	for (int i = 1; i < 56; i++)
		if (i != 28 && a[i] != 0xff)
			minus_one = 0;
	if ((!rest && (a[0] == 0 || a[0] == 1)) || minus_one)
		return pj_fail(e, "Ed448 public key is a point of small order (it would verify "
				  "forged signatures)");
	return 0;
}

/* Keys that no honest signer has and that verify forgeries. */
static int pkey_sane(EVP_PKEY *pkey, enum pj_kty kty, pj_err *e)
{
	switch (kty) {
	case PJ_KTY_RSA:
		return rsa_e_ok(pkey, e);
	case PJ_KTY_EC:
		return ec_point_ok(pkey, e);
	case PJ_KTY_OKP:
		return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED448 ? ed448_ok(pkey, e)
								    : ed25519_ok(pkey, e);
	default:
		return 0;
	}
}

int pj_key_from_pkey(EVP_PKEY *pkey, struct pj_key *key, pj_err *e)
{
	/* Ownership passes in even on failure, so callers never leak it. */
	if (!key) {
		EVP_PKEY_free(pkey);
		return pj_fail(e, "no key to fill");
	}
	memset(key, 0, sizeof(*key));
	key->alg = -1;
	if (!pkey)
		return pj_fail(e, "no key");
	int kty = pkey_kty(pkey, e);
	/* Checks of our own must not leave errors in the host's OpenSSL queue. */
	ERR_set_mark();
	int sane = kty >= 0 ? pkey_sane(pkey, (enum pj_kty)kty, e) : -1;
	ERR_pop_to_mark();
	if (kty < 0 || sane != 0) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	key->kty = (enum pj_kty)kty;
	key->pkey = pkey;
	return 0;
}

void pj_key_clear(struct pj_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	pj_free_secret(key->secret, key->secret_len);
	free(key->kid);
	free(key->source);
	memset(key, 0, sizeof(*key));
	key->alg = -1; /* 0 would read as HS256 */
}

int pj_ecdsa_twin(enum pj_alg alg, const unsigned char *sig, size_t n, unsigned char *out)
{
	const struct alg_info *ai = alg_info(alg);
	if (!ai || ai->kty != PJ_KTY_EC || n != 2 * ai->ec_len)
		return -1;
	BIGNUM *s = BN_bin2bn(sig + ai->ec_len, (int)ai->ec_len, NULL);
	BIGNUM *t = BN_bin2bn(ec_order(ai), (int)ai->ec_len, NULL);
	int ok = s && t && BN_sub(t, t, s) && !BN_is_negative(t) &&
		 BN_bn2binpad(t, out + ai->ec_len, (int)ai->ec_len) == (int)ai->ec_len;
	memcpy(out, sig, ai->ec_len);
	/* s and n - s: the signature of a token that verifies. */
	BN_clear_free(s);
	BN_clear_free(t);
	return ok ? 0 : -1;
}
