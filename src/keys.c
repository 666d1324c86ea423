/* SPDX-License-Identifier: BSD-3-Clause */
#include "keys.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "document.h"
#include "fetch.h"
#include "keyindex.h"
#include "spki.h"
#include "token.h"
#include "util.h"

#define PJ_MAX_KEYFILE (1024 * 1024)

/* ---- JWK (RFC 7517, RFC 7518 section 6, RFC 8037) ---- */

/* A base64url member; exact_len 0 means any non-zero length. */
static int jwk_bytes(json_t *jwk, const char *name, size_t exact_len, unsigned char **out,
		     size_t *outn, pj_err *e)
{
	json_t *v = json_object_get(jwk, name);
	pj_err why;
	if (!v)
		return pj_fail(e, "JWK has no \"%s\"", name);
	if (!json_is_string(v))
		return pj_fail(e, "JWK \"%s\" is not a string", name);
	if (pj_b64url_decode(json_string_value(v), json_string_length(v), out, outn, &why) != 0)
		return pj_fail(e, "JWK \"%s\": %s", name, why.msg);
	if (*outn == 0 || (exact_len && *outn != exact_len)) {
		pj_free_secret(*out, *outn);
		*out = NULL;
		if (exact_len)
			return pj_fail(e, "JWK \"%s\" must be %zu bytes, got %zu", name, exact_len,
				       *outn);
		return pj_fail(e, "JWK \"%s\" is empty", name);
	}
	return 0;
}

static int bld_bn(OSSL_PARAM_BLD *bld, json_t *jwk, const char *member, const char *param,
		  BIGNUM **keep, pj_err *e)
{
	unsigned char *b;
	size_t n;
	if (jwk_bytes(jwk, member, 0, &b, &n, e) != 0)
		return -1;
	*keep = BN_bin2bn(b, (int)n, NULL);
	pj_free_secret(b, n);
	if (!*keep || !OSSL_PARAM_BLD_push_BN(bld, param, *keep))
		return pj_fail(e, "cannot build JWK \"%s\"", member);
	return 0;
}

static int pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **out,
			 pj_err *e)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
		 EVP_PKEY_fromdata(ctx, out, selection, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (!ok)
		return pj_fail(e, "OpenSSL refused the %s key", type);
	return 0;
}

static int jwk_rsa(json_t *jwk, int priv, EVP_PKEY **out, pj_err *e)
{
	static const char *members[] = { "n", "e", "d", "p", "q", "dp", "dq", "qi" };
	static const char *params[] = {
		OSSL_PKEY_PARAM_RSA_N,	       OSSL_PKEY_PARAM_RSA_E,
		OSSL_PKEY_PARAM_RSA_D,	       OSSL_PKEY_PARAM_RSA_FACTOR1,
		OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
		OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	BIGNUM *bn[8] = { 0 };
	size_t count = priv ? 8 : 2;
	int rc = -1;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return pj_fail(e, "out of memory");
	for (size_t i = 0; i < count; i++)
		if (bld_bn(bld, jwk, members[i], params[i], &bn[i], e) != 0)
			goto done;
	rc = pkey_fromdata("RSA", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, out, e);
done:
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

struct curve {
	const char *jwk_name, *ossl_name;
	size_t len;
};
static const struct curve curves[] = {
	{ "P-256", "P-256", 32 },
	{ "P-384", "P-384", 48 },
	{ "P-521", "P-521", 66 },
};

static int jwk_ec(json_t *jwk, int priv, EVP_PKEY **out, pj_err *e)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const struct curve *c = NULL;
	for (size_t i = 0; crv && i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(crv, curves[i].jwk_name) == 0)
			c = &curves[i];
	if (!crv)
		return pj_fail(e, "EC JWK has no \"crv\" string");
	if (!c) {
		/* secp256k1 (ES256K) and others: well-formed, not ours. */
		char shown[24];
		pj_sanitize(shown, sizeof(shown), crv, strlen(crv));
		pj_fail(e, "EC JWK curve %s is not P-256, P-384 or P-521", shown);
		return PJ_KEY_UNUSABLE;
	}
	unsigned char *x = NULL, *y = NULL, pt[1 + 2 * 66];
	size_t xn, yn;
	BIGNUM *d = NULL;
	int rc = -1;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (!bld)
		return pj_fail(e, "out of memory");
	if (jwk_bytes(jwk, "x", c->len, &x, &xn, e) != 0 ||
	    jwk_bytes(jwk, "y", c->len, &y, &yn, e) != 0)
		goto done;
	pt[0] = 0x04; /* uncompressed point; OpenSSL checks it is on the curve */
	memcpy(pt + 1, x, xn);
	memcpy(pt + 1 + xn, y, yn);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->ossl_name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + xn + yn)) {
		pj_fail(e, "out of memory");
		goto done;
	}
	if (priv && bld_bn(bld, jwk, "d", OSSL_PKEY_PARAM_PRIV_KEY, &d, e) != 0)
		goto done;
	rc = pkey_fromdata("EC", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, out, e);
done:
	free(x);
	free(y);
	BN_clear_free(d);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/* RFC 8037 2: Ed25519 (32-byte keys) and Ed448 (57); the key agreement curves
 * X25519 and X448 sign nothing and are no key of ours (PJ_KEY_UNUSABLE). */
static int jwk_okp(json_t *jwk, int priv, EVP_PKEY **out, pj_err *e)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	unsigned char *b;
	size_t n;
	int id = !crv			       ? 0
		 : strcmp(crv, "Ed25519") == 0 ? EVP_PKEY_ED25519
		 : strcmp(crv, "Ed448") == 0   ? EVP_PKEY_ED448
					       : 0;
	if (!crv)
		return pj_fail(e, "OKP JWK has no \"crv\" string");
	if (!id) {
		char shown[24];
		pj_sanitize(shown, sizeof(shown), crv, strlen(crv));
		pj_fail(e, "OKP JWK curve %s is not Ed25519 or Ed448", shown);
		return PJ_KEY_UNUSABLE;
	}
	if (jwk_bytes(jwk, priv ? "d" : "x", id == EVP_PKEY_ED448 ? 57 : 32, &b, &n, e) != 0)
		return -1;
	*out = priv ? EVP_PKEY_new_raw_private_key(id, NULL, b, n)
		    : EVP_PKEY_new_raw_public_key(id, NULL, b, n);
	pj_free_secret(b, n);
	return *out ? 0 : pj_fail(e, "OpenSSL refused the %s key", crv);
}

/* "use" and "key_ops" may restrict a key to other purposes (RFC 7517 4.2, 4.3).
 * A key is built either to verify (public) or to sign (the tool's private
 * key): key_ops must allow that one operation, not merely some signature one. */
static int jwk_usable(json_t *jwk, int signing, pj_err *e)
{
	const char *want = signing ? "sign" : "verify";
	json_t *use = json_object_get(jwk, "use");
	if (use && !json_is_string(use))
		return pj_fail(e, "JWK \"use\" is not a string");
	/* A key for encryption (an identity provider's JWKS often lists one
	 * beside its signing keys) is not broken, only not ours. */
	if (use && strcmp(json_string_value(use), "sig") != 0) {
		pj_fail(e, "JWK \"use\" is not \"sig\"");
		return PJ_KEY_UNUSABLE;
	}
	json_t *ops = json_object_get(jwk, "key_ops"), *op;
	size_t i;
	if (!ops)
		return 0;
	if (!json_is_array(ops))
		return pj_fail(e, "JWK \"key_ops\" is not an array");
	json_array_foreach (ops, i, op) {
		const char *s = json_string_value(op);
		if (s && strcmp(s, want) == 0)
			return 0;
	}
	pj_fail(e, "JWK \"key_ops\" does not allow %s", want);
	return PJ_KEY_UNUSABLE;
}

static int jwk_kty(json_t *jwk, enum pj_kty *kty, pj_err *e)
{
	static const char *names[] = { "oct", "RSA", "EC", "OKP" };
	const char *s = json_string_value(json_object_get(jwk, "kty"));
	if (!s)
		return pj_fail(e, "JWK has no \"kty\" string");
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*kty = (enum pj_kty)i;
			return 0;
		}
	/* A key type of the future (AKP, ML-DSA) or of another purpose. */
	char shown[24];
	pj_sanitize(shown, sizeof(shown), s, strlen(s));
	pj_fail(e, "JWK kty \"%s\" is not supported", shown);
	return PJ_KEY_UNUSABLE;
}

/* The JWK's own alg, -1 when it has none; looked at before the key is built,
 * so a key for another algorithm costs nothing. */
static int jwk_alg(json_t *jwk, int *out, pj_err *e)
{
	json_t *alg = json_object_get(jwk, "alg");
	*out = -1;
	if (!alg)
		return 0;
	if (!json_is_string(alg))
		return pj_fail(e, "JWK alg is not a string");
	*out = pj_alg_from_name(json_string_value(alg));
	if (*out >= 0)
		return 0;
	/* RSA-OAEP-256, ES256K, ...: meant for something else. */
	char shown[24];
	pj_sanitize(shown, sizeof(shown), json_string_value(alg), json_string_length(alg));
	pj_fail(e, "JWK alg %s is not a supported JWS algorithm", shown);
	return PJ_KEY_UNUSABLE;
}

static int jwk_meta(json_t *jwk, int alg, struct pj_key *key, const char *source, pj_err *e)
{
	json_t *kid = json_object_get(jwk, "kid");
	key->alg = alg;
	if (kid && !json_is_string(kid))
		return pj_fail(e, "JWK kid is not a string");
	if ((kid && !(key->kid = strdup(json_string_value(kid)))) ||
	    !(key->source = strdup(source)))
		return pj_fail(e, "out of memory");
	return 0;
}

int pj_jwk_to_key(json_t *jwk, int allow_private, const char *source, struct pj_key *key, pj_err *e)
{
	enum pj_kty kty = PJ_KTY_OCT;
	EVP_PKEY *pkey = NULL;
	int alg = -1;
	memset(key, 0, sizeof(*key));
	key->alg = -1;
	if (!json_is_object(jwk))
		return pj_fail(e, "JWK is not a JSON object");
	int rc = jwk_kty(jwk, &kty, e);
	if (rc == 0)
		rc = jwk_usable(jwk, allow_private, e);
	if (rc == 0)
		rc = jwk_alg(jwk, &alg, e);
	if (rc != 0)
		return rc;
	int priv = allow_private && json_object_get(jwk, kty == PJ_KTY_OCT ? "k" : "d");
	switch (kty) {
	case PJ_KTY_OCT:
		key->kty = PJ_KTY_OCT;
		rc = jwk_bytes(jwk, "k", 0, &key->secret, &key->secret_len, e);
		break;
	case PJ_KTY_RSA:
		rc = jwk_rsa(jwk, priv, &pkey, e);
		break;
	case PJ_KTY_EC:
		rc = jwk_ec(jwk, priv, &pkey, e);
		break;
	default:
		rc = jwk_okp(jwk, priv, &pkey, e);
		break;
	}
	if (rc == 0 && pkey)
		rc = pj_key_from_pkey(pkey, key, e);
	if (rc == 0)
		rc = jwk_meta(jwk, alg, key, source, e);
	if (rc != 0)
		pj_key_clear(key);
	return rc;
}

/* ---- PEM ---- */

/* A SubjectPublicKeyInfo decoder told the key type up front: OpenSSL then
 * sets up one decoder chain instead of trying every key manager (measured:
 * about 2.5M fewer instructions a login, a quarter of its cost). */
static EVP_PKEY *decode_pubkey_as(const char *pem, size_t n, const char *type)
{
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = (const unsigned char *)pem;
	/* Leave the host process's OpenSSL error queue as it was. */
	ERR_set_mark();
	OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(
		&pkey, "PEM", "SubjectPublicKeyInfo", type, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx && OSSL_DECODER_from_data(dctx, &p, &n) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	ERR_pop_to_mark();
	return pkey;
}

static const char *pkey_type_for(enum pj_alg alg)
{
	switch (pj_alg_kty(alg)) {
	case PJ_KTY_RSA:
		return "RSA";
	case PJ_KTY_EC:
		return "EC";
	case PJ_KTY_OKP:
		/* EdDSA: the common curve first; an Ed448 file still decodes. */
		return alg == PJ_ALG_ED448 ? "ED448" : "ED25519";
	default:
		return NULL;
	}
}

/* type: the key type the caller expects, or NULL; a key of another type is
 * still decoded (the slow way), so the caller can say why it does not fit. */
static int pem_to_key(const char *pem, size_t n, int allow_private, const char *type,
		      const char *source, struct pj_key *key, pj_err *e)
{
	EVP_PKEY *pkey = NULL;
	memset(key, 0, sizeof(*key));
	key->alg = -1;
	int cert = strstr(pem, "-----BEGIN CERTIFICATE-----") != NULL;
	int priv = !cert && strstr(pem, "PRIVATE KEY-----") != NULL;
	if (priv && !allow_private)
		return pj_fail(e, "%s holds a private key; configure the public key", source);
	/* The common key types without OpenSSL's decoder set-up (most of a
	 * login's instructions); anything else as before. */
	if (!cert && !priv)
		pkey = pj_spki_from_pem(pem, n);
	if (!pkey) {
		BIO *bio = BIO_new_mem_buf(pem, (int)n);
		if (!bio)
			return pj_fail(e, "out of memory");
		if (cert) {
			X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
			if (x)
				pkey = X509_get_pubkey(x);
			X509_free(x);
		} else if (priv) {
			pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		} else {
			if (type)
				pkey = decode_pubkey_as(pem, n, type);
			if (!pkey)
				pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		}
		BIO_free(bio);
	}
	if (!pkey)
		return pj_fail(e, "%s is not a PEM public key, certificate%s", source,
			       allow_private ? " or private key" : "");
	if (pj_key_from_pkey(pkey, key, e) != 0)
		return -1;
	if (!(key->source = strdup(source))) {
		pj_key_clear(key);
		return pj_fail(e, "out of memory");
	}
	return 0;
}

int pj_pem_to_key(const char *pem, size_t n, int allow_private, const char *source,
		  struct pj_key *key, pj_err *e)
{
	return pem_to_key(pem, n, allow_private, NULL, source, key, e);
}

/* ---- configured sources ---- */

static size_t hmac_min_len(enum pj_alg alg)
{
	return alg == PJ_ALG_HS256 ? 32 : alg == PJ_ALG_HS384 ? 48 : 64;
}

/* A key that is no candidate is not an error: e collects why (the latest
 * first, as many as fit), to be said if no other key verifies. */
static void pass_over(pj_err *e, const char *source, const char *why)
{
	pj_err was = *e;
	if (was.msg[0])
		pj_fail(e, "%s: %s; %s", source, why, was.msg);
	else
		pj_fail(e, "%s: %s", source, why);
}

/* Hands one built key to fn, after the checks that make it a candidate. */
static int offer(struct pj_key *key, enum pj_alg alg, pj_key_fn fn, void *ctx, unsigned *tried,
		 pj_err *e)
{
	pj_err why;
	if (pj_key_fits(key, alg, &why) != 0) {
		pass_over(e, key->source, why.msg);
		return 0;
	}
	/* A short secret is guessable, whoever else it may serve: never tried. */
	if (key->kty == PJ_KTY_OCT && key->secret_len < hmac_min_len(alg)) {
		pj_fail(&why, "HMAC key is %zu bytes, %s needs at least %zu", key->secret_len,
			pj_alg_name(alg), hmac_min_len(alg));
		pass_over(e, key->source, why.msg);
		return 0;
	}
	(*tried)++;
	return fn(key, ctx, e);
}

static int key_file_each(const char *entry, const struct pj_config *cfg, enum pj_alg alg,
			 const char *kid, pj_key_fn fn, void *ctx, unsigned *tried, pj_err *e)
{
	const char *path = entry, *eq = strchr(entry, '=');
	size_t label_len = 0;
	if (entry[0] != '/' && eq) {
		path = eq + 1;
		label_len = (size_t)(eq - entry);
	}
	/* A token with a kid (even "") gets only the key file labeled with it. */
	if (kid && (!label_len || label_len != strlen(kid) || memcmp(entry, kid, label_len) != 0))
		return 0;
	if (!kid && *tried >= PJ_KEYS_NO_KID_MAX) {
		pj_fail(e, "%s: passed over: a token without kid is tried against %d keys at most",
			path, PJ_KEYS_NO_KID_MAX);
		return 0;
	}
	char *pem;
	size_t n;
	struct pj_key key;
	pj_err why;
	if (pj_read_trusted_file(path, PJ_MAX_KEYFILE, cfg->allowed_uid, 0, &pem, &n, NULL, &why) !=
	    0)
		return pj_fail(e, "key_file: %s", why.msg);
	int rc = pem_to_key(pem, n, 0, pkey_type_for(alg), path, &key, e);
	free(pem);
	if (rc != 0)
		return -1;
	if (label_len && !(key.kid = strndup(entry, label_len)))
		rc = pj_fail(e, "out of memory");
	if (rc == 0)
		rc = offer(&key, alg, fn, ctx, tried, e);
	pj_key_clear(&key);
	return rc;
}

/* Is this JWK a candidate: the token's kid, or (no kid) a type that fits?
 * The same codes as the key index's groups (src/keyindex.c), so a set read
 * whole and one read through its index offer the same keys. */
static int jwk_matches(json_t *jwk, enum pj_alg alg, const char *kid)
{
	if (kid) {
		const char *k = json_string_value(json_object_get(jwk, "kid"));
		return k && strcmp(k, kid) == 0;
	}
	unsigned kty, kalg;
	pj_jwk_codes(jwk, &kty, &kalg);
	return pj_jwk_codes_fit(kty, kalg, alg);
}

/* A token without kid is tried against the keys that fit its alg, in the
 * order of the configuration, but against PJ_KEYS_NO_KID_MAX at most: a
 * source whose candidates would take the count past it is passed over whole
 * (deterministic, and a rejection that costs no key import). */
static int over_no_kid_budget(const char *label, size_t count, enum pj_alg alg, unsigned tried,
			      pj_err *e)
{
	if (count == 0 || tried + count <= PJ_KEYS_NO_KID_MAX)
		return 0;
	pj_fail(e,
		"%s: %zu keys fit %s and the token has no kid; a token without kid is tried "
		"against %d keys at most",
		label, count, pj_alg_name(alg), PJ_KEYS_NO_KID_MAX);
	return 1;
}

/* Reads a JWKS from fd (a file of st); secret keys demand a private file
 * (secret: always). */
static json_t *jwks_load(int fd, const struct stat *st, const char *path,
			 const struct pj_config *cfg, int secret, json_t **keys, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	unsigned mode = (unsigned)(st->st_mode & 07777);
	if (pj_read_fd(fd, st, cfg->jwks_max_size, path, &text, &n, &why) != 0) {
		pj_fail(e, "%s: %s%s", secret ? "user_jwks_file" : "jwks_file", why.msg,
			strstr(why.msg, "larger than") ? " (jwks_max_size)" : "");
		return NULL;
	}
	json_t *doc = pj_json_object((unsigned char *)text, n, path, e);
	pj_free_secret(text, n);
	if (!doc)
		return NULL;
	*keys = json_object_get(doc, "keys");
	if (!json_is_array(*keys)) {
		json_decref(doc);
		pj_fail(e, "%s has no \"keys\" array", path);
		return NULL;
	}
	/* Secret keys and the private halves of key pairs alike: a jwks_file
	 * others can read must hold public keys only, as a key_file must. */
	size_t at;
	const char *member = (mode & 044) ? pj_jwks_private_member(*keys, &at) : NULL;
	if (member) {
		json_decref(doc);
		pj_fail(e,
			"%s holds secret keys but is readable by group or others (mode %04o): "
			"\"%s\" of key #%zu",
			path, mode, member, at);
		return NULL;
	}
	return doc;
}

/* One candidate JWK of a set (read whole or through its index), labeled
 * LABEL#INDEX, built and offered; d: the fetched or cached document it came
 * from (NULL for a file), whose staleness its keys carry. */
struct jwks_walk {
	const char *label;
	const struct pj_doc *d;
	enum pj_alg alg;
	const char *kid;
	pj_key_fn fn;
	void *ctx;
	unsigned *tried;
};

static int jwk_offer(json_t *jwk, size_t i, void *arg, pj_err *e)
{
	struct jwks_walk *w = arg;
	char source[600];
	struct pj_key key;
	pj_err why;
	/* What an index hands over is checked like what a file holds. */
	if (!jwk_matches(jwk, w->alg, w->kid))
		return 0;
	snprintf(source, sizeof(source), "%s#%zu", w->label, i);
	int rc = pj_jwk_to_key(jwk, 0, source, &key, &why);
	if (rc == PJ_KEY_UNUSABLE) {
		/* An encryption key, a curve of another purpose: the other
		 * keys are still tried. */
		pass_over(e, source, why.msg);
		return 0;
	}
	if (rc != 0)
		return pj_fail(e, "%s: %s", source, why.msg);
	if (w->d && w->d->origin == PJ_ORIGIN_STALE) {
		key.stale = 1;
		key.stale_age = w->d->age;
		key.stale_why = w->d->note.msg;
	}
	rc = offer(&key, w->alg, w->fn, w->ctx, w->tried, e);
	pj_key_clear(&key);
	return rc;
}

/* The candidates of a JWKS read whole (from a file, or fetched: d); *seen
 * (if non-NULL) is set when a key with the token's kid is there at all. */
static int jwks_keys_each(json_t *keys, const char *label, const struct pj_doc *d, enum pj_alg alg,
			  const char *kid, pj_key_fn fn, void *ctx, unsigned *tried, int *seen,
			  pj_err *e)
{
	struct jwks_walk w = { label, d, alg, kid, fn, ctx, tried };
	json_t *jwk;
	size_t i, count = 0;
	int rc = 0;
	if (!kid) {
		json_array_foreach (keys, i, jwk)
			count += (size_t)jwk_matches(jwk, alg, NULL);
		if (over_no_kid_budget(label, count, alg, *tried, e))
			return 0;
	}
	json_array_foreach (keys, i, jwk) {
		if (!jwk_matches(jwk, alg, kid))
			continue;
		if (seen)
			*seen = 1;
		if ((rc = jwk_offer(jwk, i, &w, e)) != 0)
			break;
	}
	return rc;
}

/* The same through the set's key index: only the candidates are read. */
static int index_keys_each(const struct pj_keyindex *kx, const char *label, const struct pj_doc *d,
			   enum pj_alg alg, const char *kid, pj_key_fn fn, void *ctx,
			   unsigned *tried, int *seen, pj_err *e)
{
	struct jwks_walk w = { label, d, alg, kid, fn, ctx, tried };
	if (!kid && over_no_kid_budget(label, pj_keyindex_count(kx, alg), alg, *tried, e))
		return 0;
	return pj_keyindex_each(kx, alg, kid, jwk_offer, &w, seen, e);
}

static int jwks_file_each(const char *path, const struct pj_config *cfg, int secret,
			  enum pj_alg alg, const char *kid, pj_key_fn fn, void *ctx,
			  unsigned *tried, pj_err *e)
{
	json_t *keys;
	struct stat st;
	struct pj_keyindex kx;
	pj_err why;
	int fd = pj_open_trusted(path, cfg->allowed_uid, secret, &st, &why);
	if (fd < 0)
		return pj_fail(e, "%s: %s", secret ? "user_jwks_file" : "jwks_file", why.msg);
	/* A large set is read through its index when there is one for this
	 * very file (pam_jwt-tool index writes it); per-user files never are.
	 * The bound holds either way (jwks_load says why). */
	if (!secret && (uint64_t)st.st_size <= cfg->jwks_max_size &&
	    pj_keyindex_open(cfg, path, &st, &kx, NULL) == 0) {
		close(fd);
		int rc = index_keys_each(&kx, path, NULL, alg, kid, fn, ctx, tried, NULL, e);
		pj_keyindex_close(&kx);
		return rc;
	}
	json_t *doc = jwks_load(fd, &st, path, cfg, secret, &keys, e);
	close(fd);
	if (!doc)
		return -1;
	int rc = jwks_keys_each(keys, path, NULL, alg, kid, fn, ctx, tried, NULL, e);
	json_decref(doc);
	return rc;
}

/* A login's look at a fresh cached JWKS (src/fetch.c asks before reading
 * its body): served when the cache file has a key index for this very copy,
 * which the fetch helper writes when it stores a large one. */
struct serve {
	const struct pj_config *cfg;
	struct pj_keyindex kx;
	int open;
};

static int serve_from_index(const char *path, const struct stat *st, void *arg)
{
	struct serve *sv = arg;
	struct pj_keyindex kx;
	/* An earlier copy's stays open until this one is: the document may
	 * still fall back on that copy. */
	if (pj_keyindex_open(sv->cfg, path, st, &kx, NULL) != 0)
		return 0;
	if (sv->open)
		pj_keyindex_close(&sv->kx);
	sv->kx = kx;
	sv->open = 1;
	return 1;
}

/* The cached (or fetched) JWKS d, whole or through its index. */
static int doc_keys_each(struct pj_doc *d, struct serve *sv, enum pj_alg alg, const char *kid,
			 pj_key_fn fn, void *ctx, unsigned *tried, int *seen, pj_err *e)
{
	int rc = d->served ? index_keys_each(&sv->kx, d->url, d, alg, kid, fn, ctx, tried, seen, e)
			   : jwks_keys_each(json_object_get(d->json, "keys"), d->url, d, alg, kid,
					    fn, ctx, tried, seen, e);
	/* Open from an earlier look (a stale copy) even when not served now. */
	if (sv->open)
		pj_keyindex_close(&sv->kx);
	sv->open = 0;
	return rc;
}

/* A jwks_url or discovery_url.  A source that yields nothing (server down,
 * no usable cache) does not stop the others (user_jwks_file included): its
 * reason is kept in *failed and said if no key verifies.  A kid missing from
 * the cached JWKS earns one refetch, which fetch.c rate-limits. */
static int url_each(const char *url, int discovery, const struct pj_config *cfg,
		    struct pj_fetch_call *call, enum pj_alg alg, const char *kid, pj_key_fn fn,
		    void *ctx, unsigned *tried, pj_err *failed, pj_err *e)
{
	struct pj_doc d;
	struct serve sv = { cfg, { .fd = -1 }, 0 };
	pj_err why;
	call->serve = serve_from_index;
	call->serve_ctx = &sv;
	int seen = 0, rc = pj_fetch_jwks(cfg, call, url, discovery, PJ_WANT_CACHED, &d, NULL, &why);
	if (rc != 0) {
		if (sv.open)
			pj_keyindex_close(&sv.kx);
		call->serve = NULL;
		*failed = why;
		return 0;
	}
	rc = doc_keys_each(&d, &sv, alg, kid, fn, ctx, tried, &seen, e);
	int just_fetched = d.origin == PJ_ORIGIN_FETCHED || d.origin == PJ_ORIGIN_NOT_MODIFIED;
	pj_doc_free(&d);
	if (rc != 0 || !kid || seen || just_fetched) {
		call->serve = NULL;
		return rc;
	}
	rc = pj_fetch_jwks(cfg, call, url, discovery, PJ_WANT_NEWER, &d, NULL, &why);
	call->serve = NULL;
	if (rc < 0)
		*failed = why;
	if (rc > 0)
		pj_fail(e, "%s", why.msg); /* why the kid stays unknown */
	if (rc != 0) {
		if (sv.open)
			pj_keyindex_close(&sv.kx);
		return 0;
	}
	rc = doc_keys_each(&d, &sv, alg, kid, fn, ctx, tried, NULL, e);
	pj_doc_free(&d);
	return rc;
}

int pj_keys_each(const struct pj_config *cfg, enum pj_alg alg, const char *kid, pj_key_fn fn,
		 void *ctx, unsigned *tried, pj_err *e)
{
	*tried = 0;
	e->msg[0] = 0;
	for (size_t i = 0; i < cfg->key_file.n; i++) {
		int rc = key_file_each(cfg->key_file.v[i], cfg, alg, kid, fn, ctx, tried, e);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < cfg->jwks_file.n; i++) {
		int rc = jwks_file_each(cfg->jwks_file.v[i], cfg, 0, alg, kid, fn, ctx, tried, e);
		if (rc != 0)
			return rc;
	}
	/* Local keys first: a kid found there never costs a fetch. */
	struct pj_fetch_call call = { 0 };
	pj_err failed = { "" };
	for (size_t i = 0; i < cfg->jwks_url.n + cfg->discovery_url.n; i++) {
		int disco = i >= cfg->jwks_url.n;
		const char *url =
			disco ? cfg->discovery_url.v[i - cfg->jwks_url.n] : cfg->jwks_url.v[i];
		int rc = url_each(url, disco, cfg, &call, alg, kid, fn, ctx, tried, &failed, e);
		if (rc != 0)
			return rc;
	}
	if (failed.msg[0])
		pj_fail(e, "%s", failed.msg);
	return 0;
}

/* ---- listing and signing keys (the tool) ---- */

static void list_key_file(const char *entry, const struct pj_config *cfg, pj_key_fn fn,
			  pj_key_bad_fn bad, void *ctx)
{
	const char *path = entry[0] != '/' && strchr(entry, '=') ? strchr(entry, '=') + 1 : entry;
	char *pem;
	size_t n;
	struct pj_key key;
	pj_err why;
	if (pj_read_trusted_file(path, PJ_MAX_KEYFILE, cfg->allowed_uid, 0, &pem, &n, NULL, &why) !=
	    0) {
		bad(path, why.msg, 0, ctx);
		return;
	}
	int rc = pj_pem_to_key(pem, n, 0, path, &key, &why);
	free(pem);
	if (rc != 0) {
		bad(path, why.msg, 0, ctx);
		return;
	}
	if (path != entry)
		key.kid = strndup(entry, (size_t)(path - entry - 1));
	fn(&key, ctx, &why);
	pj_key_clear(&key);
}

static void list_jwks_keys(json_t *keys, const char *label, pj_key_fn fn, pj_key_bad_fn bad,
			   void *ctx)
{
	json_t *jwk;
	size_t i;
	pj_err why;
	json_array_foreach (keys, i, jwk) {
		char source[600];
		struct pj_key key;
		snprintf(source, sizeof(source), "%s#%zu", label, i);
		int rc = pj_jwk_to_key(jwk, 0, source, &key, &why);
		if (rc != 0) {
			bad(source, why.msg, rc == PJ_KEY_UNUSABLE, ctx);
			continue;
		}
		fn(&key, ctx, &why);
		pj_key_clear(&key);
	}
}

static void list_jwks_file(const char *path, const struct pj_config *cfg, pj_key_fn fn,
			   pj_key_bad_fn bad, void *ctx)
{
	json_t *keys;
	struct stat st;
	pj_err why;
	int fd = pj_open_trusted(path, cfg->allowed_uid, 0, &st, &why);
	json_t *doc = fd >= 0 ? jwks_load(fd, &st, path, cfg, 0, &keys, &why) : NULL;
	if (fd >= 0)
		close(fd);
	if (!doc) {
		bad(path, why.msg, 0, ctx);
		return;
	}
	list_jwks_keys(keys, path, fn, bad, ctx);
	json_decref(doc);
}

/* What the cache holds for a URL source; the tool's fetch command fills it. */
static void list_url(const char *url, int discovery, const struct pj_config *cfg, pj_key_fn fn,
		     pj_key_bad_fn bad, void *ctx)
{
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	pj_err why;
	if (pj_fetch_jwks(cfg, &call, url, discovery, PJ_WANT_CACHE_ONLY, &d, NULL, &why) != 0) {
		bad(discovery ? "discovery_url" : "jwks_url", why.msg, 0, ctx);
		return;
	}
	list_jwks_keys(json_object_get(d.json, "keys"), d.url, fn, bad, ctx);
	pj_doc_free(&d);
}

int pj_keys_list(const struct pj_config *cfg, pj_key_fn fn, pj_key_bad_fn bad, void *ctx, pj_err *e)
{
	(void)e;
	for (size_t i = 0; i < cfg->key_file.n; i++)
		list_key_file(cfg->key_file.v[i], cfg, fn, bad, ctx);
	for (size_t i = 0; i < cfg->jwks_file.n; i++)
		list_jwks_file(cfg->jwks_file.v[i], cfg, fn, bad, ctx);
	for (size_t i = 0; i < cfg->jwks_url.n; i++)
		list_url(cfg->jwks_url.v[i], 0, cfg, fn, bad, ctx);
	for (size_t i = 0; i < cfg->discovery_url.n; i++)
		list_url(cfg->discovery_url.v[i], 1, cfg, fn, bad, ctx);
	return 0;
}

/* OpenSSL's pairwise check of an RSA or EC key pair (d and the public point,
 * or the primes and n, e). */
static int pair_ok(const struct pj_key *key, const char *what, pj_err *e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
	int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : pj_fail(e, "%s do not belong together", what);
}

/* A private JWK carries its public half too; signing with a d that does not
 * belong to x (and y, or n) would make tokens that verify under no published
 * key, so refuse such a JWK. */
static int jwk_halves_agree(json_t *jwk, const struct pj_key *key, pj_err *e)
{
	if (key->kty == PJ_KTY_OCT)
		return 0;
	if (key->kty == PJ_KTY_OKP) {
		unsigned char pub[57], *x;
		size_t publen = sizeof(pub), xn;
		if (!json_object_get(jwk, "x"))
			return 0;
		if (jwk_bytes(jwk, "x", EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_ED448 ? 57 : 32,
			      &x, &xn, e) != 0)
			return -1;
		int same = EVP_PKEY_get_raw_public_key(key->pkey, pub, &publen) == 1 &&
			   publen == xn && memcmp(pub, x, xn) == 0;
		free(x);
		return same ? 0 : pj_fail(e, "the JWK's x is not the public key of its d");
	}
	return pair_ok(key, "the JWK's private and public members", e);
}

int pj_load_signing_key(const char *path, uid_t allowed_uid, struct pj_key *key, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	memset(key, 0, sizeof(*key));
	if (pj_read_trusted_file(path, PJ_MAX_KEYFILE, allowed_uid, 1, &text, &n, NULL, &why) != 0)
		return pj_fail(e, "signing key: %s", why.msg);
	int rc;
	if (strstr(text, "-----BEGIN")) {
		/* A PKCS#8 or SEC 1 EC key carries its public point as well, which
		 * OpenSSL takes as it is: one that is not d's would sign tokens no
		 * published key verifies (fuzz_signkey found it).  Ed25519's public
		 * half is derived from the private one. */
		rc = pj_pem_to_key(text, n, 1, path, key, e);
		if (rc == 0 && (key->kty == PJ_KTY_EC || key->kty == PJ_KTY_RSA) &&
		    (rc = pair_ok(key, "the PEM key's private and public halves", e)) != 0)
			pj_key_clear(key);
	} else {
		json_t *doc = pj_json_object((unsigned char *)text, n, path, e), *keys;
		rc = -1;
		if (doc) {
			keys = json_object_get(doc, "keys");
			json_t *jwk = keys ? json_array_get(keys, 0) : doc;
			if (keys && json_array_size(keys) != 1)
				pj_fail(e, "%s: a signing JWKS must hold exactly one key", path);
			else if (!json_object_get(jwk, "d") && !json_object_get(jwk, "k"))
				pj_fail(e, "%s: the JWK has no private part (\"d\")", path);
			else if ((rc = pj_jwk_to_key(jwk, 1, path, key, e)) == 0 &&
				 (rc = jwk_halves_agree(jwk, key, e)) != 0)
				pj_key_clear(key);
			json_decref(doc);
		}
	}
	pj_free_secret(text, n);
	return rc;
}

/* ---- per-user keys (user_jwks_file) ---- */

int pj_user_name_plain(const char *user)
{
	size_t n = strlen(user);
	if (n == 0 || n > PJ_USER_NAME_MAX || strcmp(user, ".") == 0 || strcmp(user, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)user[i] <= 0x20 || (unsigned char)user[i] >= 0x7f ||
		    user[i] == '/')
			return 0;
	return 1;
}

int pj_user_path(const char *tmpl, const char *user, char *out, size_t outn, pj_err *e)
{
	char shown[100];
	size_t o = 0;
	if (!pj_user_name_plain(user)) {
		pj_sanitize(shown, sizeof(shown), user, strlen(user));
		return pj_fail(e, "user name \"%s\" cannot name a user_jwks_file", shown);
	}
	for (const char *p = tmpl; *p; p++) {
		const char *add = p;
		size_t n = 1;
		if (p[0] == '%' && p[1] == 'u') {
			add = user;
			n = strlen(user);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			p++;
		}
		if (o + n >= outn)
			return pj_fail(e, "user_jwks_file for this user is too long");
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = 0;
	return 0;
}

/* Whoever may rename files in the directory could make alice.jwks into
 * bob.jwks: like the file, it (and every directory above it) must belong to
 * root and not be writable by group or others.  A missing directory holds no
 * keys (1). */
static int user_dir_check(const char *path, uid_t allowed_uid, pj_err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	pj_err why;
	memcpy(dir, path, n);
	dir[n] = 0;
	if (pj_dir_trusted(dir, allowed_uid, &why) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	return pj_fail(e, "user_jwks_file: %s", why.msg);
}

int pj_user_keys_each(const struct pj_config *cfg, const char *user, enum pj_alg alg,
		      const char *kid, pj_key_fn fn, void *ctx, unsigned *tried, pj_err *e)
{
	char path[PATH_MAX];
	struct stat st;
	if (!cfg->user_jwks_file || !user)
		return 0;
	if (pj_user_path(cfg->user_jwks_file, user, path, sizeof(path), e) != 0)
		return -1;
	int rc = user_dir_check(path, cfg->allowed_uid, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	/* No file: this user has no keys of their own. */
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return 0;
	/* Always held to the rules for secrets: HMAC keys are what a client
	 * that signs its own tokens most often has. */
	return jwks_file_each(path, cfg, 1, alg, kid, fn, ctx, tried, e);
}
