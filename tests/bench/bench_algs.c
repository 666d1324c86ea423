/* SPDX-License-Identifier: BSD-3-Clause */
/* One verification by pam_jwt (pj_verify with a configured key file, read and
 * parsed per call as a login does) beside the bare OpenSSL verification of the
 * same signature with a key parsed once.  run.sh counts instructions of
 * pj_side() and bare_side() with callgrind --toggle-collect; natively (mode
 * "time") it prints nanoseconds per verification as well, because callgrind
 * does not see the kernel's share (open/fstat/read of the key file).
 *
 * usage: bench_algs count|time ALG KEYSRC BAREKEY TOKENFILE [ITERS]
 *   KEYSRC:  key_file (PEM) for asymmetric algs, jwks_file (oct JWKS) for HS*
 *   BAREKEY: PEM public key, or the raw HMAC secret for HS* */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

#define USER "benchuser"

static struct pj_config cfg;
static const char *token;
static size_t token_len;

/* The bare side's inputs, all prepared before anything is measured. */
static enum pj_alg alg;
static const char *md_name; /* NULL for EdDSA */
static EVP_PKEY *pkey;
static unsigned char secret[256];
static size_t secret_len;
static const unsigned char *msg;
static size_t msg_len;
static unsigned char *sig;
static size_t sig_len;

static void die(const char *what)
{
	fprintf(stderr, "bench_algs: %s\n", what);
	exit(1);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	static char buf[65536];
	if (!f)
		die(path);
	*n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[*n] = 0;
	char *s = malloc(*n + 1);
	if (!s)
		die("out of memory");
	memcpy(s, buf, *n + 1);
	return s;
}

static int pj_once(void)
{
	struct pj_result r;
	pj_verify(&cfg, token, token_len, USER, time(NULL), &r);
	int ok = r.stage == PJ_STAGE_OK;
	if (!ok)
		fprintf(stderr, "bench_algs: pam_jwt refused: %s\n", r.reason.msg);
	pj_result_free(&r);
	return ok;
}

/* ECDSA's raw R||S to DER: part of verifying a JWS, so it is measured. */
static int ecdsa_der(unsigned char **der)
{
	size_t h = sig_len / 2;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)h, NULL), *s = BN_bin2bn(sig + h, (int)h, NULL);
	int n = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;
		n = i2d_ECDSA_SIG(es, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return n;
}

static int bare_once(void)
{
	if (alg <= PJ_ALG_HS512) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned maclen = 0;
		const EVP_MD *md = alg == PJ_ALG_HS256	 ? EVP_sha256()
				   : alg == PJ_ALG_HS384 ? EVP_sha384()
							 : EVP_sha512();
		if (!HMAC(md, secret, (int)secret_len, msg, msg_len, mac, &maclen))
			return 0;
		return maclen == sig_len && CRYPTO_memcmp(mac, sig, sig_len) == 0;
	}
	const unsigned char *s = sig;
	size_t slen = sig_len;
	unsigned char *der = NULL;
	if (alg >= PJ_ALG_ES256 && alg <= PJ_ALG_ES512) {
		int n = ecdsa_der(&der);
		if (n <= 0)
			return 0;
		s = der;
		slen = (size_t)n;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = ctx && EVP_DigestVerifyInit_ex(ctx, &pctx, md_name, NULL, NULL, pkey, NULL) == 1;
	if (ok && alg >= PJ_ALG_RS256 && alg <= PJ_ALG_RS512)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	if (ok && alg >= PJ_ALG_PS256 && alg <= PJ_ALG_PS512)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md_name, NULL) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	ok = ok && EVP_DigestVerify(ctx, s, slen, msg, msg_len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok;
}

/* The two functions callgrind toggles on: kept out of line and global, so the
 * names survive -O2. */
int pj_side(int iters) __attribute__((noinline, noclone));
int bare_side(int iters) __attribute__((noinline, noclone));

int pj_side(int iters)
{
	int good = 0;
	for (int i = 0; i < iters; i++)
		good += pj_once();
	return good;
}

int bare_side(int iters)
{
	int good = 0;
	for (int i = 0; i < iters; i++)
		good += bare_once();
	return good;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double ns_per_op(int (*side)(int), int iters)
{
	double t0 = now_ns();
	if (side(iters) != iters)
		die("a verification failed while timing");
	return (now_ns() - t0) / iters;
}

static void setup(const char *alg_name, const char *keysrc, const char *barekey,
		  const char *tokfile)
{
	pj_err e;
	int a = pj_alg_from_name(alg_name);
	if (a < 0)
		die("unknown alg");
	alg = (enum pj_alg)a;
	int hmac = alg <= PJ_ALG_HS512;
	if (pj_config_init(&cfg, (uid_t)-1) != 0 ||
	    pj_config_set(&cfg, hmac ? "jwks_file" : "key_file", keysrc, "bench", &e) != 0 ||
	    pj_config_set(&cfg, "algorithms", alg_name, "bench", &e) != 0)
		die("configuration refused");

	char *t = slurp(tokfile, &token_len);
	while (token_len && (t[token_len - 1] == '\n' || t[token_len - 1] == '\r'))
		t[--token_len] = 0;
	token = t;
	const char *dot2 = strrchr(token, '.');
	if (!dot2)
		die("token has no dots");
	msg = (const unsigned char *)token;
	msg_len = (size_t)(dot2 - token);
	if (pj_b64url_decode(dot2 + 1, strlen(dot2 + 1), &sig, &sig_len, &e) != 0)
		die("signature is not base64url");

	static const char *mds[] = { "SHA256", "SHA384", "SHA512" };
	md_name = alg == PJ_ALG_EDDSA ? NULL : mds[alg % 3];
	if (hmac) {
		size_t n;
		char *k = slurp(barekey, &n);
		if (n == 0 || n > sizeof(secret))
			die("bad secret size");
		memcpy(secret, k, n);
		secret_len = n;
		free(k);
	} else {
		FILE *f = fopen(barekey, "r");
		if (!f || !(pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL)))
			die("cannot read the bare side's public key");
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc < 6)
		die("usage: bench_algs count|time ALG KEYSRC BAREKEY TOKENFILE [ITERS]");
	int iters = argc > 6 ? atoi(argv[6]) : 5;
	setup(argv[2], argv[3], argv[4], argv[5]);
	/* Warm both sides up (OpenSSL's first-use set-up, jansson's hash seed)
	 * and prove each accepts the token: a failing side would measure an
	 * early exit. */
	for (int i = 0; i < 2; i++)
		if (!pj_once() || !bare_once())
			die("warm-up verification failed");
	if (strcmp(argv[1], "count") == 0) {
		if (pj_side(iters) != iters || bare_side(iters) != iters)
			die("a verification failed");
		printf("%d\n", iters);
		return 0;
	}
	/* Aim for about 60 ms per side and round, best of three rounds. */
	double one = ns_per_op(pj_side, 1);
	int n = (int)(60e6 / (one > 1 ? one : 1));
	n = n < 5 ? 5 : n > 20000 ? 20000 : n;
	double best_pj = 1e300, best_bare = 1e300;
	for (int round = 0; round < 3; round++) {
		double p = ns_per_op(pj_side, n), b = ns_per_op(bare_side, n);
		best_pj = p < best_pj ? p : best_pj;
		best_bare = b < best_bare ? b : best_bare;
	}
	printf("%.0f %.0f %d\n", best_pj, best_bare, n);
	return 0;
}
