/* SPDX-License-Identifier: BSD-3-Clause */
/* The attack suite: one test per rule of the verifier, each a token an
 * attacker could send.  Every test asserts the refusal, the stage and the
 * reason (so it fails if the rule is removed or another rule happens to catch
 * the token), and where it makes sense a positive control: the same token
 * built correctly is accepted, so the refusal comes from the attack and not
 * from a broken fixture.  Keys are generated at run time; key files live in a
 * mkdtemp directory made per test. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "config.h"
#include "keys.h"
#include "sig.h"
#include "token.h"
#include "util.h"
#include "verify.h"

/* A fixed clock keeps the time rules exact to the second. */
#define NOW	  1700000000L
#define LEEWAY	  PJ_DEFAULT_LEEWAY
#define HDR_ES256 "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"
#define HDR_RS256 "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"

/* The P-256 group order n (FIPS 186-4, D.1.2.3). */
static const char P256_N[] = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

/* Generated once for the whole group: RSA key generation is slow (more so
 * under valgrind), and no test changes a key. */
static struct {
	EVP_PKEY *es;	   /* the issuer's ES256 key, configured */
	EVP_PKEY *other;   /* another P-256 key: "a key of the same type" */
	EVP_PKEY *atk;	   /* the attacker's P-256 key */
	EVP_PKEY *rsa;	   /* the issuer's RSA-2048 key */
	EVP_PKEY *rsa1024; /* a weak RSA key */
	unsigned char hs[32];
} K;

#define MAX_KEEP  256
#define MAX_FILES 32

struct fx {
	char dir[64];
	int made_dir;
	char *files[MAX_FILES];
	size_t nfiles;
	void *keep[MAX_KEEP]; /* freed in teardown, so tests need not free */
	size_t nkeep;
	struct pj_config cfg;
};

/* ---- small helpers ---- */

static void *keep(struct fx *f, void *p)
{
	assert_non_null(p);
	assert_true(f->nkeep < MAX_KEEP);
	f->keep[f->nkeep++] = p;
	return p;
}

static char *fmt(struct fx *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct fx *f, const char *format, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, format);
	int n = vasprintf(&s, format, ap);
	va_end(ap);
	assert_true(n >= 0);
	return keep(f, s);
}

static char *path(struct fx *f, const char *name)
{
	return fmt(f, "%s/%s", f->dir, name);
}

static char *b64(struct fx *f, const void *p, size_t n)
{
	return keep(f, pj_b64url_encode(p, n));
}

static char *b64s(struct fx *f, const char *s)
{
	return b64(f, s, strlen(s));
}

static void cfg_set(struct fx *f, const char *key, const char *value)
{
	pj_err e;
	if (pj_config_set(&f->cfg, key, value, "test", &e) != 0)
		fail_msg("config %s=%s: %s", key, value, e.msg);
}

/* A fresh configuration: list options set twice in one layer add up. */
static void cfg_reset(struct fx *f)
{
	pj_config_free(&f->cfg);
	assert_int_equal(pj_config_init(&f->cfg, getuid()), 0);
	f->cfg.layer = PJ_LAYER_ARGS;
}

/* The usual claims, with extra members appended (extra starts with ","). */
static char *claims(struct fx *f, const char *extra)
{
	return fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld%s}", NOW - 10, NOW + 300, extra);
}

static void write_file(struct fx *f, const char *name, const void *data, size_t n, mode_t mode)
{
	char *p = path(f, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	/* fchmod, not the open mode: the umask must not decide the test. */
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	assert_true(f->nfiles < MAX_FILES);
	f->files[f->nfiles++] = p;
}

static char *pubkey_pem(struct fx *f, EVP_PKEY *pk)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	long n = BIO_get_mem_data(bio, &data);
	char *s = keep(f, strndup(data, (size_t)n));
	BIO_free(bio);
	return s;
}

static char *bn_b64(struct fx *f, EVP_PKEY *pk, const char *param)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(pk, param, &bn), 1);
	unsigned char buf[1024];
	int n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(f, buf, (size_t)n);
}

static char *ec_jwk(struct fx *f, EVP_PKEY *pk, const char *kid)
{
	unsigned char pt[65];
	size_t n = 0;
	assert_int_equal(
		EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n),
		1);
	assert_int_equal(n, 65);
	assert_int_equal(pt[0], 4); /* uncompressed: 04 || x || y */
	return fmt(f, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\"}",
		   b64(f, pt + 1, 32), b64(f, pt + 33, 32), kid);
}

/* ---- signing ---- */

/* An OpenSSL signature straight from EVP: DER for ECDSA, and no key-size
 * policy, so it can sign with keys pj_sig_sign rightly refuses. */
static unsigned char *evp_sign(struct fx *f, EVP_PKEY *pk, const char *msg, size_t *n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, pk, NULL), 1);
	size_t len = 0;
	assert_int_equal(EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)msg, strlen(msg)),
			 1);
	unsigned char *sig = keep(f, malloc(len));
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)msg, strlen(msg)),
			 1);
	EVP_MD_CTX_free(ctx);
	*n = len;
	return sig;
}

static unsigned char *sign_with(struct fx *f, enum pj_alg alg, struct pj_key *key, const char *msg,
				size_t *n)
{
	unsigned char *sig = NULL;
	pj_err e;
	if (pj_sig_sign(alg, key, (const unsigned char *)msg, strlen(msg), &sig, n, &e) != 0)
		fail_msg("signing with %s: %s", pj_alg_name(alg), e.msg);
	return keep(f, sig);
}

/* Signs msg with alg and an asymmetric key (the key is shared, not taken). */
static unsigned char *sign_pk(struct fx *f, enum pj_alg alg, EVP_PKEY *pk, const char *msg,
			      size_t *n)
{
	struct pj_key key;
	pj_err e;
	assert_int_equal(EVP_PKEY_up_ref(pk), 1);
	assert_int_equal(pj_key_from_pkey(pk, &key, &e), 0);
	unsigned char *sig = sign_with(f, alg, &key, msg, n);
	pj_key_clear(&key);
	return sig;
}

/* HMAC with any bytes as the secret: the attacker's view of a "key". */
static unsigned char *sign_hmac(struct fx *f, enum pj_alg alg, const void *secret, size_t sn,
				const char *msg, size_t *n)
{
	struct pj_key key;
	memset(&key, 0, sizeof(key));
	key.kty = PJ_KTY_OCT;
	key.alg = -1;
	key.secret = malloc(sn);
	assert_non_null(key.secret);
	memcpy(key.secret, secret, sn);
	key.secret_len = sn;
	unsigned char *sig = sign_with(f, alg, &key, msg, n);
	pj_key_clear(&key);
	return sig;
}

static char *input(struct fx *f, const char *hdr, const char *pay)
{
	return fmt(f, "%s.%s", b64s(f, hdr), b64s(f, pay));
}

static char *with_sig(struct fx *f, const char *in, const unsigned char *sig, size_t n)
{
	return fmt(f, "%s.%s", in, b64(f, sig, n));
}

static char *token_pk(struct fx *f, enum pj_alg alg, EVP_PKEY *pk, const char *hdr, const char *pay)
{
	size_t n;
	char *in = input(f, hdr, pay);
	unsigned char *sig = sign_pk(f, alg, pk, in, &n);
	return with_sig(f, in, sig, n);
}

/* A well-formed ES256 token from the configured issuer key. */
static char *es(struct fx *f, const char *hdr, const char *pay)
{
	return token_pk(f, PJ_ALG_ES256, K.es, hdr, pay);
}

static char *token_hmac(struct fx *f, const void *secret, size_t sn, const char *hdr,
			const char *pay)
{
	size_t n;
	char *in = input(f, hdr, pay);
	unsigned char *sig = sign_hmac(f, PJ_ALG_HS256, secret, sn, in, &n);
	return with_sig(f, in, sig, n);
}

/* ---- expectations ---- */

static const char *stage_name(enum pj_stage s)
{
	static const char *names[] = { "NOT_TOKEN", "PARSE", "SIGNATURE", "CLAIMS", "OK" };
	return (unsigned)s < 5 ? names[s] : "?";
}

static void refused_n(struct fx *f, const char *tok, size_t n, const char *user,
		      enum pj_stage stage, const char *why, const char *file, int line)
{
	struct pj_result r;
	int rc = pj_verify(&f->cfg, tok, n, user, NOW, &r);
	int ok = rc == -1 && r.stage == stage && strstr(r.reason.msg, why) != NULL && !r.verified;
	if (!ok)
		print_error("expected refusal at %s with \"%s\"; got rc %d, stage %s, "
			    "reason \"%s\"\n",
			    stage_name(stage), why, rc, stage_name(r.stage), r.reason.msg);
	pj_result_free(&r);
	if (!ok)
		_fail(file, line);
}

/* Claims-stage refusals come after a good signature: r.verified is set. */
static void refused_claims(struct fx *f, const char *tok, const char *user, const char *why,
			   const char *file, int line)
{
	struct pj_result r;
	int rc = pj_verify(&f->cfg, tok, strlen(tok), user, NOW, &r);
	int ok = rc == -1 && r.stage == PJ_STAGE_CLAIMS && r.verified &&
		 strstr(r.reason.msg, why) != NULL;
	if (!ok)
		print_error("expected claims refusal with \"%s\"; got rc %d, stage %s, reason "
			    "\"%s\"\n",
			    why, rc, stage_name(r.stage), r.reason.msg);
	pj_result_free(&r);
	if (!ok)
		_fail(file, line);
}

static void accepted_(struct fx *f, const char *tok, const char *user, const char *file, int line)
{
	struct pj_result r;
	int rc = pj_verify(&f->cfg, tok, strlen(tok), user, NOW, &r);
	int ok = rc == 0 && r.stage == PJ_STAGE_OK && r.verified;
	if (!ok)
		print_error("expected acceptance; got rc %d, stage %s, reason \"%s\"\n", rc,
			    stage_name(r.stage), r.reason.msg);
	pj_result_free(&r);
	if (!ok)
		_fail(file, line);
}

#define REFUSED(f, tok, user, stage, why)                                                          \
	refused_n(f, tok, strlen(tok), user, PJ_STAGE_##stage, why, __FILE__, __LINE__)
#define REFUSED_CLAIMS(f, tok, user, why) refused_claims(f, tok, user, why, __FILE__, __LINE__)
#define ACCEPTED(f, tok, user)		  accepted_(f, tok, user, __FILE__, __LINE__)

/* The second line of defence behind pj_token_shaped: the parser itself. */
static void parse_refuses(const char *tok, const char *why)
{
	struct pj_token t;
	pj_err e = { "" };
	int rc = pj_token_parse(tok, strlen(tok), PJ_ALGS_ALL, &t, &e);
	pj_token_free(&t);
	if (rc != -1 || !strstr(e.msg, why))
		fail_msg("pj_token_parse: expected \"%s\", got rc %d \"%s\"", why, rc, e.msg);
}

/* The issuer's key as the only key and a good token accepted: most tests
 * start here, so their refusals are known to come from the attack. */
static void use_es_key(struct fx *f)
{
	cfg_set(f, "key_file", path(f, "es.pem"));
	ACCEPTED(f, es(f, HDR_ES256, claims(f, "")), "alice");
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	(void)state;
	K.es = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	K.other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	K.atk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	K.rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	K.rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	if (!K.es || !K.other || !K.atk || !K.rsa || !K.rsa1024)
		return -1;
	return RAND_bytes(K.hs, sizeof(K.hs)) == 1 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(K.es);
	EVP_PKEY_free(K.other);
	EVP_PKEY_free(K.atk);
	EVP_PKEY_free(K.rsa);
	EVP_PKEY_free(K.rsa1024);
	OPENSSL_cleanse(K.hs, sizeof(K.hs));
	return 0;
}

static void write_pem(struct fx *f, const char *name, EVP_PKEY *pk)
{
	char *pem = pubkey_pem(f, pk);
	write_file(f, name, pem, strlen(pem), 0600);
}

static void write_text(struct fx *f, const char *name, const char *text, mode_t mode)
{
	write_file(f, name, text, strlen(text), mode);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	*state = f;
	strcpy(f->dir, "/tmp/pj_attacks.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->made_dir = 1;
	write_pem(f, "es.pem", K.es);
	write_pem(f, "other.pem", K.other);
	write_pem(f, "atk.pem", K.atk);
	write_pem(f, "rsa.pem", K.rsa);
	write_pem(f, "rsa1024.pem", K.rsa1024);
	write_text(f, "ab.jwks",
		   fmt(f, "{\"keys\":[%s,%s]}", ec_jwk(f, K.es, "A"), ec_jwk(f, K.other, "B")),
		   0600);
	write_text(f, "atk.jwks", fmt(f, "{\"keys\":[%s]}", ec_jwk(f, K.atk, "atk")), 0600);
	char *oct = fmt(f, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hs\",\"k\":\"%s\"}]}",
			b64(f, K.hs, sizeof(K.hs)));
	write_text(f, "secret.jwks", oct, 0600);
	write_text(f, "secret0640.jwks", oct, 0640);
	write_text(f, "rsa_pinned.jwks",
		   fmt(f,
		       "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\","
		       "\"n\":\"%s\",\"e\":\"%s\"}]}",
		       bn_b64(f, K.rsa, OSSL_PKEY_PARAM_RSA_N),
		       bn_b64(f, K.rsa, OSSL_PKEY_PARAM_RSA_E)),
		   0600);
	if (pj_config_init(&f->cfg, getuid()) != 0)
		return -1;
	f->cfg.layer = PJ_LAYER_ARGS;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	pj_config_free(&f->cfg);
	for (size_t i = 0; i < f->nfiles; i++)
		unlink(f->files[i]);
	int rc = f->made_dir ? rmdir(f->dir) : 0;
	for (size_t i = 0; i < f->nkeep; i++)
		free(f->keep[i]);
	free(f);
	return rc;
}

/* ---- alg ---- */

static void test_alg_none_empty_signature(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = fmt(f, "%s.", input(f, "{\"alg\":\"none\"}", claims(f, "")));
	REFUSED(f, tok, "alice", PARSE, "algorithm \"none\" is not supported");
}

static void test_alg_none_with_signature(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	/* A real ES256 signature by the configured key over the very bytes. */
	char *in = input(f, "{\"alg\":\"none\"}", claims(f, ""));
	size_t n;
	unsigned char *sig = sign_pk(f, PJ_ALG_ES256, K.es, in, &n);
	REFUSED(f, with_sig(f, in, sig, n), "alice", PARSE, "algorithm \"none\" is not supported");
}

static void test_alg_none_case_variants(void **state)
{
	struct fx *f = *state;
	static const char *names[] = { "None", "NONE", "nOnE" };
	use_es_key(f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *hdr = fmt(f, "{\"alg\":\"%s\"}", names[i]);
		char *why = fmt(f, "algorithm \"%s\" is not supported", names[i]);
		char *in = input(f, hdr, claims(f, ""));
		size_t n;
		unsigned char *sig = sign_pk(f, PJ_ALG_ES256, K.es, in, &n);
		REFUSED(f, fmt(f, "%s.", in), "alice", PARSE, why);
		REFUSED(f, with_sig(f, in, sig, n), "alice", PARSE, why);
	}
}

/* Names are exact: "es256" or "ES256 " must not be taken for ES256. */
static void test_alg_name_not_exact(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, "{\"alg\":\"es256\"}", claims(f, "")), "alice", PARSE,
		"algorithm \"es256\" is not supported");
	REFUSED(f, es(f, "{\"alg\":\"ES256 \"}", claims(f, "")), "alice", PARSE,
		"is not supported");
}

static void test_alg_missing(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, "{\"typ\":\"JWT\"}", claims(f, "")), "alice", PARSE, "header has no alg");
}

static void test_alg_not_string(void **state)
{
	struct fx *f = *state;
	static const char *hdrs[] = { "{\"alg\":[\"ES256\"]}", "{\"alg\":null}", "{\"alg\":256}",
				      "{\"alg\":{\"name\":\"ES256\"}}" };
	use_es_key(f);
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		REFUSED(f, es(f, hdrs[i], claims(f, "")), "alice", PARSE,
			"header alg is not a string");
}

static void test_alg_hs256_not_enabled_by_default(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "jwks_file", path(f, "secret.jwks"));
	/* The configured secret really signs it: only the allowlist refuses. */
	char *tok = token_hmac(f, K.hs, sizeof(K.hs), "{\"alg\":\"HS256\"}", claims(f, ""));
	REFUSED(f, tok, "alice", PARSE, "algorithm HS256 is not allowed by configuration");
	cfg_set(f, "algorithms", "HS256");
	ACCEPTED(f, tok, "alice");
}

static void test_alg_rs256_when_only_es256(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "key_file", path(f, "rsa.pem"));
	cfg_set(f, "algorithms", "ES256");
	char *tok = token_pk(f, PJ_ALG_RS256, K.rsa, HDR_RS256, claims(f, ""));
	REFUSED(f, tok, "alice", PARSE, "algorithm RS256 is not allowed by configuration");
	cfg_set(f, "algorithms", "ES256 RS256");
	ACCEPTED(f, tok, "alice");
}

/* ---- key confusion ---- */

/* The classic: the public key, which the attacker has, used as an HMAC
 * secret.  With the PEM bytes exactly as configured (and a few spellings). */
static void hmac_with_public_pem(struct fx *f, const char *file, enum pj_alg real_alg,
				 EVP_PKEY *real_key, const char *real_hdr)
{
	cfg_set(f, "key_file", path(f, file));
	ACCEPTED(f, token_pk(f, real_alg, real_key, real_hdr, claims(f, "")), "alice");
	char *pem = pubkey_pem(f, real_key);
	size_t pn = strlen(pem);
	const char *hdr = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	REFUSED(f, token_hmac(f, pem, pn, hdr, claims(f, "")), "alice", SIGNATURE,
		"no configured key fits HS256");
	/* Without the final newline, as some libraries strip it. */
	REFUSED(f, token_hmac(f, pem, pn - 1, hdr, claims(f, "")), "alice", SIGNATURE,
		"no configured key fits HS256");
	/* The DER (SubjectPublicKeyInfo) form of the same key. */
	unsigned char der[2048], *p = der;
	int dn = i2d_PUBKEY(real_key, &p);
	assert_true(dn > 0 && (size_t)dn <= sizeof(der));
	REFUSED(f, token_hmac(f, der, (size_t)dn, hdr, claims(f, "")), "alice", SIGNATURE,
		"no configured key fits HS256");
}

static void test_hs256_with_rsa_public_key_pem(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "algorithms", "RS256 HS256");
	hmac_with_public_pem(f, "rsa.pem", PJ_ALG_RS256, K.rsa, HDR_RS256);
}

static void test_hs256_with_ec_public_key_pem(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "algorithms", "ES256 HS256");
	hmac_with_public_pem(f, "es.pem", PJ_ALG_ES256, K.es, HDR_ES256);
}

/* A JWK pinned to RS256 must not verify PS256 with the same RSA key. */
static void test_jwk_alg_pins_the_key(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "jwks_file", path(f, "rsa_pinned.jwks"));
	ACCEPTED(f, token_pk(f, PJ_ALG_RS256, K.rsa, HDR_RS256, claims(f, "")), "alice");
	char *tok = token_pk(f, PJ_ALG_PS256, K.rsa, "{\"alg\":\"PS256\"}", claims(f, ""));
	REFUSED(f, tok, "alice", SIGNATURE, "no configured key fits PS256");
}

/* ---- ECDSA signature form ---- */

static unsigned char *es_sig(struct fx *f, const char *in)
{
	size_t n;
	unsigned char *sig = sign_pk(f, PJ_ALG_ES256, K.es, in, &n);
	assert_int_equal(n, 64);
	return sig;
}

static void p256_order(unsigned char out[32])
{
	BIGNUM *n = NULL;
	assert_true(BN_hex2bn(&n, P256_N) > 0);
	assert_int_equal(BN_bn2binpad(n, out, 32), 32);
	BN_free(n);
}

/* r or s = 0 or n: OpenSSL's ECDSA refuses these too, so only the reason
 * tells which check refused (ours runs first, so nothing out of range
 * reaches any encoder).  The case where only our check stands is the
 * length rule: test_ecdsa_signature_short_and_long and test_sig's
 * test_ecdsa_edges_p256 (a valid signature with a byte appended). */
static void test_ecdsa_r_s_zero(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	unsigned char zero[64] = { 0 };
	char *in = input(f, HDR_ES256, claims(f, ""));
	REFUSED(f, with_sig(f, in, zero, sizeof(zero)), "alice", SIGNATURE,
		"ECDSA r or s out of range");
}

static void test_ecdsa_r_equals_order(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	unsigned char sig[64];
	memcpy(sig, es_sig(f, in), 64);
	ACCEPTED(f, with_sig(f, in, sig, 64), "alice");
	p256_order(sig); /* r = n, the valid s kept */
	REFUSED(f, with_sig(f, in, sig, 64), "alice", SIGNATURE, "ECDSA r or s out of range");
}

static void test_ecdsa_s_equals_order(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	unsigned char sig[64];
	memcpy(sig, es_sig(f, in), 64);
	p256_order(sig + 32);
	REFUSED(f, with_sig(f, in, sig, 64), "alice", SIGNATURE, "ECDSA r or s out of range");
}

static void test_ecdsa_der_signature(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	size_t n;
	unsigned char *der = evp_sign(f, K.es, in, &n);
	/* DER is 70 to 72 bytes for P-256, never the raw 64. */
	assert_true(der[0] == 0x30 && n != 64);
	char *why = fmt(f, "ECDSA signature must be 64 bytes, got %zu", n);
	REFUSED(f, with_sig(f, in, der, n), "alice", SIGNATURE, why);
}

static void test_ecdsa_signature_short_and_long(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	unsigned char sig[65];
	memcpy(sig, es_sig(f, in), 64);
	sig[64] = 0;
	REFUSED(f, with_sig(f, in, sig, 63), "alice", SIGNATURE,
		"ECDSA signature must be 64 bytes, got 63");
	REFUSED(f, with_sig(f, in, sig, 65), "alice", SIGNATURE,
		"ECDSA signature must be 64 bytes, got 65");
	/* A leading zero byte: same r and s as integers, still refused. */
	unsigned char lead[65] = { 0 };
	memcpy(lead + 1, sig, 64);
	REFUSED(f, with_sig(f, in, lead, 65), "alice", SIGNATURE,
		"ECDSA signature must be 64 bytes, got 65");
}

/* ---- kid: a name, never a path or URL ---- */

/* The legit token with the hostile kid is refused (kid must name a configured
 * key), and so is the attacker's token whose kid points at the attacker's own
 * key file: had the verifier opened the kid as a path, it would verify. */
static void kid_refused(struct fx *f, const char *kid)
{
	char *hdr = fmt(f, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid);
	REFUSED(f, es(f, hdr, claims(f, "")), "alice", SIGNATURE, "no configured key has kid");
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.atk, hdr, claims(f, "")), "alice", SIGNATURE,
		"no configured key has kid");
}

static void test_kid_path_traversal(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	kid_refused(f, "../../../../etc/passwd");
	kid_refused(f, fmt(f, "../../../../../..%s/atk.pem", f->dir));
	kid_refused(f, path(f, "atk.pem"));
	kid_refused(f, path(f, "atk.jwks"));
}

static void test_kid_dev_null(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	kid_refused(f, "/dev/null");
}

static void test_kid_url(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	kid_refused(f, "https://evil/jwks");
	kid_refused(f, fmt(f, "file://%s/atk.jwks", f->dir));
}

/* ---- keys named by the token: jku, jwk, x5c ---- */

static void test_jku_header(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	/* file:// would work with a URL fetcher that followed it: prove it is
	 * never read, as well as the remote kind. */
	const char *urls[] = { "https://evil/jwks", fmt(f, "file://%s/atk.jwks", f->dir) };
	for (size_t i = 0; i < 2; i++) {
		char *hdr = fmt(f, "{\"alg\":\"ES256\",\"jku\":\"%s\"}", urls[i]);
		REFUSED(f, token_pk(f, PJ_ALG_ES256, K.atk, hdr, claims(f, "")), "alice", SIGNATURE,
			"signature does not verify");
		hdr = fmt(f, "{\"alg\":\"ES256\",\"jku\":\"%s\",\"kid\":\"atk\"}", urls[i]);
		REFUSED(f, token_pk(f, PJ_ALG_ES256, K.atk, hdr, claims(f, "")), "alice", SIGNATURE,
			"no configured key has kid \"atk\"");
	}
}

static void test_jwk_header_embeds_attacker_key(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *hdr = fmt(f, "{\"alg\":\"ES256\",\"jwk\":%s}", ec_jwk(f, K.atk, "atk"));
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.atk, hdr, claims(f, "")), "alice", SIGNATURE,
		"signature does not verify");
	/* The same header is harmless on a token the configured key signed. */
	ACCEPTED(f, es(f, hdr, claims(f, "")), "alice");
}

/* A self-signed certificate for the attacker's key, DER in standard base64
 * as x5c wants (RFC 7515 4.1.6). */
static char *self_signed_x5c(struct fx *f, EVP_PKEY *pk)
{
	X509 *x = X509_new();
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, pk), 1);
	X509_NAME *name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"issuer", -1, -1, 0),
			 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	char *out = keep(f, malloc((size_t)n / 3 * 4 + 8));
	EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	X509_free(x);
	return out;
}

static void test_x5c_header(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *hdr = fmt(f, "{\"alg\":\"ES256\",\"x5c\":[\"%s\"]}", self_signed_x5c(f, K.atk));
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.atk, hdr, claims(f, "")), "alice", SIGNATURE,
		"signature does not verify");
}

/* ---- crit ---- */

static void test_crit_exp(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, "{\"alg\":\"ES256\",\"crit\":[\"exp\"]}", claims(f, "")), "alice", PARSE,
		"header has crit");
}

static void test_crit_unknown_extension(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, "{\"alg\":\"ES256\",\"crit\":[\"x-foo\"],\"x-foo\":true}", claims(f, "")),
		"alice", PARSE, "header has crit");
	/* RFC 7797's unencoded payload would change what is signed. */
	REFUSED(f, es(f, "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"]}", claims(f, "")),
		"alice", PARSE, "header has crit");
}

/* ---- base64url and structure ---- */

static char *segment(struct fx *f, const char *tok, int which)
{
	const char *p = tok;
	for (int i = 0; i < which; i++)
		p = strchr(p, '.') + 1;
	return keep(f, strndup(p, strcspn(p, ".")));
}

static void test_padding_in_segment(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	char *sig = b64(f, es_sig(f, in), 64);
	assert_int_equal(strlen(sig) % 4, 2); /* 64 bytes: standard base64 pads "==" */
	char *good = fmt(f, "%s.%s", in, sig), *tok = fmt(f, "%s.%s==", in, sig);
	ACCEPTED(f, good, "alice");
	REFUSED(f, tok, "alice", NOT_TOKEN, "input is not a JWT");
	parse_refuses(tok, "base64url padding is not allowed");
	/* Padding on the header, where the token still starts "ey". */
	char *h = b64s(f, HDR_ES256), *p = segment(f, in, 1);
	size_t pad = (4 - strlen(h) % 4) % 4;
	char *padded = fmt(f, "%s%.*s.%s.%s", h, (int)(pad ? pad : 2), "==", p, sig);
	REFUSED(f, padded, "alice", NOT_TOKEN, "input is not a JWT");
	parse_refuses(padded, "padding is not allowed");
}

static void test_standard_alphabet(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	char *sig = NULL;
	/* Re-sign until the signature has a '-' or '_' to translate. */
	for (int i = 0; i < 100 && !sig; i++) {
		char *s = b64(f, es_sig(f, in), 64);
		if (strpbrk(s, "-_"))
			sig = s;
	}
	assert_non_null(sig);
	ACCEPTED(f, fmt(f, "%s.%s", in, sig), "alice");
	char *std = keep(f, strdup(sig));
	for (char *c = std; *c; c++)
		*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
	char *tok = fmt(f, "%s.%s", in, std);
	REFUSED(f, tok, "alice", NOT_TOKEN, "input is not a JWT");
	parse_refuses(tok, "character outside the base64url alphabet");
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Sets the lowest unused bit of a segment's last character: a lax decoder
 * yields the same bytes, so without the rule the token would verify. */
static char *dirty_tail(struct fx *f, const char *seg)
{
	char *s = keep(f, strdup(seg));
	size_t n = strlen(s);
	assert_true(n % 4 == 2 || n % 4 == 3);
	const char *at = strchr(B64URL, s[n - 1]);
	assert_non_null(at);
	int v = (int)(at - B64URL);
	assert_int_equal(v & (n % 4 == 2 ? 15 : 3), 0);
	s[n - 1] = B64URL[v | 1];
	return s;
}

static void test_nonzero_trailing_bits(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	/* A payload whose length leaves trailing bits (not a multiple of 3). */
	char *pay = claims(f, "");
	if (strlen(pay) % 3 == 0)
		pay = claims(f, ",\"x\":1");
	assert_true(strlen(pay) % 3 != 0);
	char *tok = es(f, HDR_ES256, pay);
	ACCEPTED(f, tok, "alice");
	char *h = segment(f, tok, 0), *p = segment(f, tok, 1), *s = segment(f, tok, 2);
	REFUSED(f, fmt(f, "%s.%s.%s", h, p, dirty_tail(f, s)), "alice", PARSE,
		"signature: non-zero trailing bits in base64url");
	/* In the payload the dirty bits also change the signing input, so the
	 * signature would catch them too; the decoder must refuse them first. */
	REFUSED(f, fmt(f, "%s.%s.%s", h, dirty_tail(f, p), s), "alice", PARSE,
		"payload: non-zero trailing bits in base64url");
}

static void test_four_segments(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = es(f, HDR_ES256, claims(f, ""));
	char *four = fmt(f, "%s.%s", tok, segment(f, tok, 2));
	REFUSED(f, four, "alice", NOT_TOKEN, "input is not a JWT");
	parse_refuses(four, "more than three parts");
	/* The JWE shape (five parts). */
	char *five = fmt(f, "%s.AAAA.AAAA", tok);
	REFUSED(f, five, "alice", NOT_TOKEN, "input is not a JWT");
	parse_refuses(five, "more than three parts");
}

static void test_two_segments(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *in = input(f, HDR_ES256, claims(f, ""));
	/* The start of a token (a cut one), so refused as such, not declined. */
	REFUSED(f, in, "alice", PARSE, "fewer than three parts");
	parse_refuses(in, "needs three dot-separated parts");
}

static void test_empty_signature(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, fmt(f, "%s.", input(f, HDR_ES256, claims(f, ""))), "alice", PARSE,
		"signature is empty");
}

/* An array reaches our object rule; a bare string or number is refused by
 * the JSON parser itself (no JSON_DECODE_ANY). */
static void test_header_not_object(void **state)
{
	struct fx *f = *state;
	static const char *hdrs[][2] = {
		{ "[\"ES256\"]", "header is not a JSON object" },
		{ "[{\"alg\":\"ES256\"}]", "header is not a JSON object" },
		{ "\"ES256\"", "header is not valid JSON" },
	};
	use_es_key(f);
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char *tok = es(f, hdrs[i][0], claims(f, ""));
		REFUSED(f, tok, "alice", NOT_TOKEN, "input is not a JWT");
		parse_refuses(tok, hdrs[i][1]);
	}
}

static void test_payload_not_object(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, HDR_ES256, fmt(f, "[%s]", claims(f, ""))), "alice", PARSE,
		"payload is not a JSON object");
	REFUSED(f, es(f, HDR_ES256, "[]"), "alice", PARSE, "payload is not a JSON object");
	REFUSED(f, es(f, HDR_ES256, "\"alice\""), "alice", PARSE, "payload is not valid JSON");
	REFUSED(f, es(f, HDR_ES256, "1"), "alice", PARSE, "payload is not valid JSON");
}

/* ---- JSON rules ---- */

static void test_duplicate_claims(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = es(f, HDR_ES256, claims(f, ",\"sub\":\"root\""));
	/* Either reading would be a guess: refused for both users. */
	REFUSED(f, tok, "root", PARSE, "payload is not valid JSON: duplicate object key");
	REFUSED(f, tok, "alice", PARSE, "payload is not valid JSON: duplicate object key");
	/* And a later exp that would extend the token. */
	tok = es(f, HDR_ES256, claims(f, ",\"exp\":99999999999"));
	REFUSED(f, tok, "alice", PARSE, "duplicate object key");
}

static void test_duplicate_header_members(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED(f, es(f, "{\"alg\":\"ES256\",\"alg\":\"none\"}", claims(f, "")), "alice", PARSE,
		"header is not valid JSON: duplicate object key");
	REFUSED(f, es(f, "{\"alg\":\"none\",\"alg\":\"ES256\"}", claims(f, "")), "alice", PARSE,
		"header is not valid JSON: duplicate object key");
	REFUSED(f, es(f, "{\"alg\":\"ES256\",\"kid\":\"x\",\"kid\":\"y\"}", claims(f, "")), "alice",
		PARSE, "header is not valid JSON: duplicate object key");
}

static void test_nul_in_sub(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pay = fmt(f, "{\"sub\":\"al\\u0000ice\",\"exp\":%ld}", NOW + 300);
	char *tok = es(f, HDR_ES256, pay);
	/* C would read "al": it must not log in as "al" nor as "alice". */
	REFUSED(f, tok, "al", PARSE, "payload is not valid JSON");
	REFUSED(f, tok, "alice", PARSE, "payload is not valid JSON");
}

/* ---- time ---- */

static void test_exp_string(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pay = fmt(f, "{\"sub\":\"alice\",\"exp\":\"9999999999\"}");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "claim exp is not a number");
	pay = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld,\"nbf\":\"0\"}", NOW + 300);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "claim nbf is not a number");
}

static void test_exp_missing(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, "{\"sub\":\"alice\"}"), "alice",
		       "required claim exp is missing");
}

static void test_exp_expired_and_leeway(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pay = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW - LEEWAY - 1);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "token expired");
	/* exp + leeway == now: the current time is no longer before it. */
	pay = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW - LEEWAY);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "token expired");
	pay = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW - LEEWAY + 1);
	ACCEPTED(f, es(f, HDR_ES256, pay), "alice");
	pay = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW - 30);
	ACCEPTED(f, es(f, HDR_ES256, pay), "alice");
}

static void test_nbf_in_future(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = es(f, HDR_ES256, claims(f, fmt(f, ",\"nbf\":%ld", NOW + LEEWAY + 1)));
	REFUSED_CLAIMS(f, tok, "alice", "(nbf)");
	ACCEPTED(f, es(f, HDR_ES256, claims(f, fmt(f, ",\"nbf\":%ld", NOW + LEEWAY))), "alice");
}

static void test_iat_in_future(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pay =
		fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW + LEEWAY + 1, NOW + 3600);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "(iat)");
	pay = fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW + 30, NOW + 3600);
	ACCEPTED(f, es(f, HDR_ES256, pay), "alice");
}

static void test_max_age(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	cfg_set(f, "max_age", "3600");
	char *pay = fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW - 3600 - LEEWAY - 1,
			NOW + 300);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "over max_age 3600");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW + 300)),
		       "alice", "max_age is set and the token has no iat");
	pay = fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW - 3000, NOW + 300);
	ACCEPTED(f, es(f, HDR_ES256, pay), "alice");
}

static void test_max_lifetime(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	cfg_set(f, "max_lifetime", "3600");
	char *pay = fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW - 10, NOW + 3600);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "over max_lifetime 3600");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, fmt(f, "{\"sub\":\"alice\",\"exp\":%ld}", NOW + 300)),
		       "alice", "max_lifetime is set and the token lacks iat or exp");
	pay = fmt(f, "{\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld}", NOW - 10, NOW + 3000);
	ACCEPTED(f, es(f, HDR_ES256, pay), "alice");
}

/* ---- iss, aud, typ, user ---- */

static void test_issuer(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	cfg_set(f, "issuer", "https://idp.example");
	ACCEPTED(f, es(f, HDR_ES256, claims(f, ",\"iss\":\"https://idp.example\"")), "alice");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"iss\":\"https://evil\"")), "alice",
		       "issuer \"https://evil\" is not accepted");
	/* A prefix or a trailing slash is another issuer. */
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"iss\":\"https://idp.example/\"")), "alice",
		       "is not accepted");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, "")), "alice",
		       "token has no iss, issuer is configured");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"iss\":[\"https://idp.example\"]")),
		       "alice", "claim iss is not a string");
}

static void test_audience(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	cfg_set(f, "audience", "ssh");
	ACCEPTED(f, es(f, HDR_ES256, claims(f, ",\"aud\":\"ssh\"")), "alice");
	ACCEPTED(f, es(f, HDR_ES256, claims(f, ",\"aud\":[\"web\",\"ssh\"]")), "alice");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"aud\":\"web\"")), "alice",
		       "audience does not match");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"aud\":[\"web\",\"mail\"]")), "alice",
		       "audience does not match");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"aud\":[]")), "alice",
		       "audience does not match");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, ",\"aud\":\"SSH\"")), "alice",
		       "audience does not match");
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, "")), "alice",
		       "token has no aud, audience is configured");
}

static void test_typ_mismatch(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	cfg_set(f, "typ", "JWT");
	ACCEPTED(f, es(f, "{\"alg\":\"ES256\",\"typ\":\"application/jwt\"}", claims(f, "")),
		 "alice");
	REFUSED_CLAIMS(f, es(f, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", claims(f, "")), "alice",
		       "typ does not match, JWT is required");
	REFUSED_CLAIMS(f, es(f, "{\"alg\":\"ES256\"}", claims(f, "")), "alice", "token has no typ");
}

static void test_wrong_user(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = es(f, HDR_ES256, claims(f, ""));
	REFUSED_CLAIMS(f, tok, "bob", "token is for another user");
	REFUSED_CLAIMS(f, tok, "root", "token is for another user");
	REFUSED_CLAIMS(f, tok, "alice ", "token is for another user");
	REFUSED_CLAIMS(f, tok, "alic", "token is for another user");
}

static void test_user_case_differs(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, claims(f, "")), "Alice", "token is for another user");
	char *pay = fmt(f, "{\"sub\":\"Alice\",\"exp\":%ld}", NOW + 300);
	REFUSED_CLAIMS(f, es(f, HDR_ES256, pay), "alice", "token is for another user");
	ACCEPTED(f, es(f, HDR_ES256, pay), "Alice");
}

/* ---- signature ---- */

static void test_tampered_payload(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pay = claims(f, "");
	char *tok = es(f, HDR_ES256, pay);
	ACCEPTED(f, tok, "alice");
	/* One character of the claims changed (a later exp), signature kept. */
	char *evil = keep(f, strdup(pay));
	char *exp = strstr(evil, "\"exp\":");
	assert_non_null(exp);
	exp[6] = exp[6] == '9' ? '8' : '9';
	char *forged = fmt(f, "%s.%s.%s", segment(f, tok, 0), b64s(f, evil), segment(f, tok, 2));
	REFUSED(f, forged, "alice", SIGNATURE, "signature does not verify");
	/* The same on the header. */
	char *forged_h = fmt(f, "%s.%s.%s", b64s(f, "{\"alg\":\"ES256\",\"typ\":\"JWS\"}"),
			     segment(f, tok, 1), segment(f, tok, 2));
	REFUSED(f, forged_h, "alice", SIGNATURE, "signature does not verify");
}

static void test_signature_from_unknown_key(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = token_pk(f, PJ_ALG_ES256, K.other, HDR_ES256, claims(f, ""));
	REFUSED(f, tok, "alice", SIGNATURE, "signature does not verify");
	/* With two candidate keys, neither of them the signer's. */
	cfg_set(f, "key_file", path(f, "atk.pem"));
	REFUSED(f, tok, "alice", SIGNATURE, "does not verify with any of 2 candidate keys");
}

static void test_rsa_1024_refused(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "key_file", path(f, "rsa.pem"));
	ACCEPTED(f, token_pk(f, PJ_ALG_RS256, K.rsa, HDR_RS256, claims(f, "")), "alice");
	cfg_reset(f);
	cfg_set(f, "key_file", path(f, "rsa1024.pem"));
	/* A valid PKCS#1 v1.5 signature by the configured 1024-bit key. */
	char *in = input(f, HDR_RS256, claims(f, ""));
	size_t n;
	unsigned char *sig = evp_sign(f, K.rsa1024, in, &n);
	assert_int_equal(n, 128);
	REFUSED(f, with_sig(f, in, sig, n), "alice", SIGNATURE, "no configured key fits RS256");
}

/* kid names the key: with two JWKS keys, a token signed by B but naming A
 * must be checked against A only. */
static void test_kid_selects_only_that_key(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "jwks_file", path(f, "ab.jwks"));
	const char *hdr_a = "{\"alg\":\"ES256\",\"kid\":\"A\"}";
	const char *hdr_b = "{\"alg\":\"ES256\",\"kid\":\"B\"}";
	ACCEPTED(f, token_pk(f, PJ_ALG_ES256, K.other, hdr_b, claims(f, "")), "alice");
	ACCEPTED(f, token_pk(f, PJ_ALG_ES256, K.es, hdr_a, claims(f, "")), "alice");
	ACCEPTED(f, token_pk(f, PJ_ALG_ES256, K.other, HDR_ES256, claims(f, "")), "alice");
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.other, hdr_a, claims(f, "")), "alice", SIGNATURE,
		"signature does not verify");
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.es, hdr_b, claims(f, "")), "alice", SIGNATURE,
		"signature does not verify");
	REFUSED(f,
		token_pk(f, PJ_ALG_ES256, K.es, "{\"alg\":\"ES256\",\"kid\":\"a\"}", claims(f, "")),
		"alice", SIGNATURE, "no configured key has kid \"a\"");
}

/* The same with labelled PEM files (key_file = KID=PATH). */
static void test_kid_selects_only_that_key_file(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "key_file", fmt(f, "A=%s", path(f, "es.pem")));
	cfg_set(f, "key_file", fmt(f, "B=%s", path(f, "other.pem")));
	const char *hdr_a = "{\"alg\":\"ES256\",\"kid\":\"A\"}";
	const char *hdr_b = "{\"alg\":\"ES256\",\"kid\":\"B\"}";
	ACCEPTED(f, token_pk(f, PJ_ALG_ES256, K.other, hdr_b, claims(f, "")), "alice");
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.other, hdr_a, claims(f, "")), "alice", SIGNATURE,
		"signature does not verify");
	/* The path part of an entry is no kid. */
	char *hdr_p = fmt(f, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", path(f, "other.pem"));
	REFUSED(f, token_pk(f, PJ_ALG_ES256, K.other, hdr_p, claims(f, "")), "alice", SIGNATURE,
		"no configured key has kid");
}

static void test_secret_jwks_readable_by_group(void **state)
{
	struct fx *f = *state;
	cfg_set(f, "algorithms", "HS256");
	cfg_set(f, "jwks_file", path(f, "secret.jwks"));
	char *tok = token_hmac(f, K.hs, sizeof(K.hs), "{\"alg\":\"HS256\"}", claims(f, ""));
	ACCEPTED(f, tok, "alice");
	cfg_reset(f);
	cfg_set(f, "algorithms", "HS256");
	cfg_set(f, "jwks_file", path(f, "secret0640.jwks"));
	REFUSED(f, tok, "alice", SIGNATURE, "holds secret keys but is readable by group");
}

/* ---- degenerate public keys: each verifies a forgery unless refused ---- */

/* RSA with e = 1: the signature is the encoded message itself, which anyone
 * can compute (RFC 8017 9.2, EMSA-PKCS1-v1_5 with SHA-256). */
static unsigned char *emsa_pkcs1_sha256(struct fx *f, const char *msg, size_t k)
{
	static const unsigned char prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						0x01, 0x05, 0x00, 0x04, 0x20 };
	unsigned char *em = keep(f, malloc(k));
	unsigned int hn = 0;
	size_t t = sizeof(prefix) + 32;
	em[0] = 0x00, em[1] = 0x01;
	memset(em + 2, 0xff, k - 3 - t);
	em[k - t - 1] = 0x00;
	memcpy(em + k - t, prefix, sizeof(prefix));
	assert_int_equal(EVP_Digest(msg, strlen(msg), em + k - 32, &hn, EVP_sha256(), NULL), 1);
	return em;
}

static void test_rsa_exponent_one(void **state)
{
	struct fx *f = *state;
	char *n = bn_b64(f, K.rsa, OSSL_PKEY_PARAM_RSA_N);
	/* The positive control: the real key (e = 65537) and a real signature. */
	write_text(f, "e65537.jwks",
		   fmt(f, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}]}", n), 0600);
	cfg_set(f, "jwks_file", path(f, "e65537.jwks"));
	ACCEPTED(f, token_pk(f, PJ_ALG_RS256, K.rsa, HDR_RS256, claims(f, "")), "alice");
	/* The same modulus with e = 1, and a "signature" nobody had to sign. */
	write_text(f, "e1.jwks",
		   fmt(f, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQ\"}]}", n), 0600);
	cfg_reset(f);
	cfg_set(f, "jwks_file", path(f, "e1.jwks"));
	char *in = input(f, HDR_RS256, claims(f, ""));
	REFUSED(f, with_sig(f, in, emsa_pkcs1_sha256(f, in, 256), 256), "alice", SIGNATURE,
		"RSA public exponent must be odd and at least 3");
}

/* Ed25519 with the identity as public key A: R = identity, S = 0 satisfies
 * [S]B = R + [k]A for every message (RFC 8032 5.1.7). */
static void test_ed25519_small_order_key(void **state)
{
	struct fx *f = *state;
	unsigned char identity[32] = { 1 }, sig[64] = { 1 };
	write_text(f, "identity.jwks",
		   fmt(f, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}]}",
		       b64(f, identity, 32)),
		   0600);
	cfg_set(f, "jwks_file", path(f, "identity.jwks"));
	char *in = input(f, "{\"alg\":\"EdDSA\"}", claims(f, ""));
	REFUSED(f, with_sig(f, in, sig, sizeof(sig)), "alice", SIGNATURE, "point of small order");
}

/* Ed448 keys of small order (cofactor 4: y = 1, 0 or p - 1) and encodings
 * that are not canonical (y >= p, or bits besides the sign in the last byte,
 * which could stand for the same points).  With A the identity, R = identity
 * and S = 0 satisfy [S]B = R + [k]A for every message (RFC 8032 5.2.7). */
static void test_ed448_degenerate_keys(void **state)
{
	struct fx *f = *state;
	unsigned char keys[7][57], sig[114] = { 1 };
	const char *why[7] = { "point of small order",	  "point of small order",
			       "point of small order",	  "point of small order",
			       "not canonically encoded", "not canonically encoded",
			       "not canonically encoded" };
	memset(keys, 0, sizeof(keys));
	keys[0][0] = 1;	    /* the identity (0, 1) */
	keys[1][56] = 0x80; /* y = 0, x = -1: order 4 */
	/* keys[2]: y = 0, x = 1, order 4 */
	memset(keys[3], 0xff, 56); /* y = p - 1: (0, -1), order 2 */
	keys[3][0] = 0xfe;
	keys[3][28] = 0xfe;
	memset(keys[4] + 28, 0xff, 28); /* y = p + 1 = 2^448 - 2^224: the identity again */
	memset(keys[5], 0xff, 56);	/* y = 2^448 - 1 */
	keys[6][0] = 1;			/* the identity with a stray bit in the last byte */
	keys[6][56] = 0x01;
	char *in = input(f, "{\"alg\":\"Ed448\"}", claims(f, ""));
	for (size_t i = 0; i < 7; i++) {
		char *name = fmt(f, "ed448-%zu.jwks", i);
		write_text(f, name,
			   fmt(f, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"%s\"}]}",
			       b64(f, keys[i], 57)),
			   0600);
		cfg_reset(f);
		cfg_set(f, "jwks_file", path(f, name));
		REFUSED(f, with_sig(f, in, sig, sizeof(sig)), "alice", SIGNATURE, why[i]);
	}
}

/* A PEM public key at the point at infinity (its one-byte encoding 00):
 * OpenSSL decodes it, and ECDSA then accepts (r, s) = (x([e]G) mod n, 1),
 * since u1 G + u2 Q = [e]G. */
static void test_ec_point_at_infinity(void **state)
{
	struct fx *f = *state;
	/* SubjectPublicKeyInfo: id-ecPublicKey, P-256, BIT STRING { 00 }. */
	static const unsigned char der[] = { 0x30, 0x19, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					     0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					     0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x02, 0x00, 0x00 };
	BIO *out = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio(out, "PUBLIC KEY", "", der, sizeof(der)) > 0);
	char *data;
	long dn = BIO_get_mem_data(out, &data);
	char *pem = fmt(f, "%.*s", (int)dn, data);
	BIO_free(out);
	write_text(f, "infinity.pem", pem, 0600);
	cfg_set(f, "key_file", path(f, "infinity.pem"));
	char *in = input(f, HDR_ES256, claims(f, ""));
	unsigned char md[32], sig[64] = { 0 };
	unsigned int mdn = 0;
	assert_int_equal(EVP_Digest(in, strlen(in), md, &mdn, EVP_sha256(), NULL), 1);
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *r = g ? EC_POINT_new(g) : NULL;
	BIGNUM *e = BN_bin2bn(md, 32, NULL), *x = BN_new(), *order = BN_new();
	BN_CTX *bc = BN_CTX_new();
	assert_true(r && e && x && order && bc);
	assert_int_equal(EC_GROUP_get_order(g, order, bc), 1);
	assert_int_equal(BN_nnmod(e, e, order, bc), 1);
	assert_int_equal(EC_POINT_mul(g, r, e, NULL, NULL, bc), 1);
	assert_int_equal(EC_POINT_get_affine_coordinates(g, r, x, NULL, bc), 1);
	assert_int_equal(BN_nnmod(x, x, order, bc), 1);
	assert_int_equal(BN_bn2binpad(x, sig, 32), 32);
	sig[63] = 1;
	BN_free(e), BN_free(x), BN_free(order), EC_POINT_free(r), EC_GROUP_free(g);
	BN_CTX_free(bc);
	REFUSED(f, with_sig(f, in, sig, sizeof(sig)), "alice", SIGNATURE, "point at infinity");
}

/* Points off the curve: OpenSSL refuses them already (JWK and PEM alike);
 * this keeps it so. */
static void test_ec_point_off_curve(void **state)
{
	struct fx *f = *state;
	unsigned char pt[65];
	size_t n = 0;
	assert_int_equal(
		EVP_PKEY_get_octet_string_param(K.atk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n),
		1);
	pt[64] ^= 1;
	write_text(f, "off.jwks",
		   fmt(f,
		       "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}",
		       b64(f, pt + 1, 32), b64(f, pt + 33, 32)),
		   0600);
	cfg_set(f, "jwks_file", path(f, "off.jwks"));
	char *tok = token_pk(f, PJ_ALG_ES256, K.atk, HDR_ES256, claims(f, ""));
	REFUSED(f, tok, "alice", SIGNATURE, "OpenSSL refused the EC key");
	/* The same point in a PEM key. */
	char *pem = pubkey_pem(f, K.atk);
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k, &der);
	EVP_PKEY_free(k);
	assert_true(len == 91);
	der[90] ^= 1;
	BIO *out = BIO_new(BIO_s_mem());
	assert_true(PEM_write_bio(out, "PUBLIC KEY", "", der, len) > 0);
	OPENSSL_free(der);
	char *data;
	long dn = BIO_get_mem_data(out, &data);
	write_file(f, "off.pem", data, (size_t)dn, 0600);
	BIO_free(out);
	cfg_reset(f);
	cfg_set(f, "key_file", path(f, "off.pem"));
	REFUSED(f, tok, "alice", SIGNATURE, "is not a PEM public key");
}

/* ---- size and depth ---- */

static void test_token_over_16k(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	size_t n = 2 * 1024 * 1024;
	char *big = keep(f, malloc(n + 1));
	/* Token-shaped at the start, so only the size rule stops it. */
	char *tok = es(f, HDR_ES256, claims(f, ""));
	memset(big, 'A', n);
	memcpy(big, tok, strlen(tok));
	big[n] = 0;
	struct pj_result r;
	assert_int_equal(pj_verify(&f->cfg, big, n, "alice", NOW, &r), -1);
	assert_int_equal(r.stage, PJ_STAGE_PARSE);
	assert_non_null(strstr(r.reason.msg, "over the 16384-byte limit"));
	/* Refused before decoding: nothing of the header or claims was read. */
	assert_null(r.header);
	assert_null(r.claims);
	pj_result_free(&r);
}

/* A token of exactly PJ_MAX_TOKEN bytes is accepted and one byte more is
 * refused, so the limit is where the header says. */
/* A password over the limit is no JWT either: declined, its length untold
 * (the length of a password says something about it). */
static void test_password_over_16k(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *pw = keep(f, malloc(20001));
	memset(pw, 'p', 20000);
	pw[20000] = 0;
	REFUSED(f, pw, "alice", NOT_TOKEN, "input is not a JWT");
	struct pj_result r;
	pj_verify(&f->cfg, pw, 20000, "alice", NOW, &r);
	assert_null(strstr(r.reason.msg, "20000"));
	pj_result_free(&r);
	/* The start of a JWT that long is one, and refused as too long. */
	memcpy(pw, "eyJhbGciOiJFUzI1NiJ9", 20);
	REFUSED(f, pw, "alice", PARSE, "input is 20000 bytes, over the 16384-byte limit");
}

static void test_token_size_boundary(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	/* header.payload.sig with an 86-character ES256 signature: find the
	 * claim padding that makes the whole exactly PJ_MAX_TOKEN long. */
	size_t fixed = strlen(b64s(f, HDR_ES256)) + 2 + 86;
	size_t base = strlen(claims(f, ",\"pad\":\"\""));
	size_t pad = 0;
	while (fixed + (4 * (base + pad) + 2) / 3 < PJ_MAX_TOKEN)
		pad++;
	assert_int_equal(fixed + (4 * (base + pad) + 2) / 3, PJ_MAX_TOKEN);
	char *fill = keep(f, malloc(pad + 1));
	memset(fill, 'x', pad);
	fill[pad] = 0;
	char *tok = es(f, HDR_ES256, claims(f, fmt(f, ",\"pad\":\"%s\"", fill)));
	assert_int_equal(strlen(tok), PJ_MAX_TOKEN);
	ACCEPTED(f, tok, "alice");
	/* One more byte: trailing data after a valid signature segment. */
	REFUSED(f, fmt(f, "%sA", tok), "alice", PARSE, "over the 16384-byte limit");
}

static char *nested(struct fx *f, size_t depth, int close)
{
	char *s = keep(f, malloc(2 * depth + 16));
	size_t o = 0;
	o += (size_t)sprintf(s, "{\"a\":");
	memset(s + o, '[', depth);
	o += depth;
	if (close) {
		memset(s + o, ']', depth);
		o += depth;
		s[o++] = '}';
	}
	s[o] = 0;
	return s;
}

static void test_deep_json_100000(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	char *tok = es(f, HDR_ES256, nested(f, 100000, 0));
	assert_true(strlen(tok) > PJ_MAX_TOKEN);
	struct pj_result r;
	assert_int_equal(pj_verify(&f->cfg, tok, strlen(tok), "alice", NOW, &r), -1);
	assert_int_equal(r.stage, PJ_STAGE_PARSE);
	assert_non_null(strstr(r.reason.msg, "over the 16384-byte limit"));
	assert_null(r.claims);
	pj_result_free(&r);
}

static void test_deep_json_3000_within_limit(void **state)
{
	struct fx *f = *state;
	use_es_key(f);
	/* Depth 100 with the same shape is fine: the depth, not the shape,
	 * is what the parser refuses. */
	char *ok = nested(f, 100, 1);
	ok = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld,%s", NOW + 300, ok + 1);
	ACCEPTED(f, es(f, HDR_ES256, ok), "alice");
	char *deep = nested(f, 3000, 1);
	deep = fmt(f, "{\"sub\":\"alice\",\"exp\":%ld,%s", NOW + 300, deep + 1);
	char *tok = es(f, HDR_ES256, deep);
	assert_true(strlen(tok) <= PJ_MAX_TOKEN);
	REFUSED(f, tok, "alice", PARSE, "maximum parsing depth");
	/* And in the header. */
	char *hdr = fmt(f, "{\"alg\":\"ES256\",%s", nested(f, 3000, 1) + 1);
	REFUSED(f, es(f, hdr, claims(f, "")), "alice", PARSE, "maximum parsing depth");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_alg_none_empty_signature),
		T(test_alg_none_with_signature),
		T(test_alg_none_case_variants),
		T(test_alg_name_not_exact),
		T(test_alg_missing),
		T(test_alg_not_string),
		T(test_alg_hs256_not_enabled_by_default),
		T(test_alg_rs256_when_only_es256),
		T(test_hs256_with_rsa_public_key_pem),
		T(test_hs256_with_ec_public_key_pem),
		T(test_jwk_alg_pins_the_key),
		T(test_ecdsa_r_s_zero),
		T(test_ecdsa_r_equals_order),
		T(test_ecdsa_s_equals_order),
		T(test_ecdsa_der_signature),
		T(test_ecdsa_signature_short_and_long),
		T(test_kid_path_traversal),
		T(test_kid_dev_null),
		T(test_kid_url),
		T(test_jku_header),
		T(test_jwk_header_embeds_attacker_key),
		T(test_x5c_header),
		T(test_crit_exp),
		T(test_crit_unknown_extension),
		T(test_padding_in_segment),
		T(test_standard_alphabet),
		T(test_nonzero_trailing_bits),
		T(test_four_segments),
		T(test_two_segments),
		T(test_empty_signature),
		T(test_header_not_object),
		T(test_payload_not_object),
		T(test_duplicate_claims),
		T(test_duplicate_header_members),
		T(test_nul_in_sub),
		T(test_exp_string),
		T(test_exp_missing),
		T(test_exp_expired_and_leeway),
		T(test_nbf_in_future),
		T(test_iat_in_future),
		T(test_max_age),
		T(test_max_lifetime),
		T(test_issuer),
		T(test_audience),
		T(test_typ_mismatch),
		T(test_wrong_user),
		T(test_user_case_differs),
		T(test_tampered_payload),
		T(test_signature_from_unknown_key),
		T(test_rsa_1024_refused),
		T(test_kid_selects_only_that_key),
		T(test_kid_selects_only_that_key_file),
		T(test_secret_jwks_readable_by_group),
		T(test_rsa_exponent_one),
		T(test_ed25519_small_order_key),
		T(test_ed448_degenerate_keys),
		T(test_ec_point_at_infinity),
		T(test_ec_point_off_curve),
		T(test_token_over_16k),
		T(test_token_size_boundary),
		T(test_password_over_16k),
		T(test_deep_json_100000),
		T(test_deep_json_3000_within_limit),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
