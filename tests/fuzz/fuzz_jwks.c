/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a key file.  As JSON, every member of its "keys"
 * array (or the document itself) goes through pj_jwk_to_key, public and
 * private, and every key built is tried with every algorithm, down to a
 * signature check.  The same bytes are then installed as a jwks_file (and, when
 * they look like PEM, a key_file) and walked with pj_keys_each and
 * pj_keys_list, the module's and the tool's paths.  The tool's signing key
 * (pj_load_signing_key) is fuzz_signkey's: OpenSSL's pairwise check of a
 * private RSA key tests its primes, two thirds of this target's time when
 * it was here, for a file only root's own tool reads. */
#include "fuzz.h"

#include <jansson.h>

#include "config.h"
#include "keys.h"
#include "sig.h"
#include "token.h"

static char jwks_path[512], pem_path[512];
static struct pj_config jwks_cfg, pem_cfg;
static const unsigned char msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
static unsigned char sig[1024];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pj_err e;
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(jwks_path, sizeof(jwks_path), "keys.jwks");
	fz_path(pem_path, sizeof(pem_path), "key.pem");
	if (pj_config_init(&jwks_cfg, getuid()) != 0 || pj_config_init(&pem_cfg, getuid()) != 0 ||
	    pj_config_set(&jwks_cfg, "jwks_file", jwks_path, "fuzz", &e) != 0 ||
	    pj_config_set(&pem_cfg, "key_file", pem_path, "fuzz", &e) != 0 ||
	    pj_config_set(&pem_cfg, "key_file", "kid1=/nonexistent/x.pem", "fuzz", &e) != 0)
		abort();
	jwks_cfg.algorithms = pem_cfg.algorithms = PJ_ALGS_ALL;
	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (unsigned char)(i * 37 + 1);
	return 0;
}

/* Every algorithm the key fits, with a signature of each plausible length:
 * exercises the per-family length and range checks with odd keys. */
static int try_key(const struct pj_key *key, void *ctx, pj_err *e)
{
	static const size_t lens[] = { 0, 32, 48, 64, 96, 114, 132, 256, 512 };
	(void)ctx;
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		if (pj_key_fits(key, (enum pj_alg)a, e) != 0)
			continue;
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			pj_sig_verify((enum pj_alg)a, key, msg, sizeof(msg) - 1, sig, lens[i], e);
	}
	return 0;
}

/* As a login does: the key the walk offers, with the token's alg only (the
 * key was built and tried with every alg by one_jwk already). */
static int try_alg(const struct pj_key *key, void *ctx, pj_err *e)
{
	static const size_t lens[] = { 0, 64, 96, 132, 256, 512 };
	enum pj_alg a = *(const enum pj_alg *)ctx;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		pj_sig_verify(a, key, msg, sizeof(msg) - 1, sig, lens[i], e);
	return 0;
}

/* The tool's listing: what fits, no signature. */
static int fits(const struct pj_key *key, void *ctx, pj_err *e)
{
	(void)ctx;
	for (int a = 0; a < PJ_ALG_COUNT; a++)
		pj_key_fits(key, (enum pj_alg)a, e);
	return 0;
}

static void bad(const char *source, const char *why, int unusable, void *ctx)
{
	(void)source, (void)why, (void)unusable, (void)ctx;
}

static void one_jwk(json_t *jwk)
{
	struct pj_key key;
	pj_err e;
	for (int priv = 0; priv < 2; priv++) {
		if (pj_jwk_to_key(jwk, priv, "fuzz", &key, &e) == 0)
			try_key(&key, NULL, &e);
		pj_key_clear(&key);
	}
}

/* One algorithm per key type and curve (try_key tries the others), a kid.
 * A key file holds one PEM key, which each algorithm would decode afresh
 * (most of this target's time went to OpenSSL setting up its decoders):
 * there, the algorithm of the type it decoded as (alg, or PS256 when it did
 * not decode) does; the curves are try_key's. */
static void walk(const struct pj_config *c, int alg)
{
	static const enum pj_alg algs[] = { PJ_ALG_PS256, PJ_ALG_ES256, PJ_ALG_EDDSA,
					    PJ_ALG_HS256, PJ_ALG_ES384, PJ_ALG_ES512 };
	unsigned tried;
	pj_err e;
	enum pj_alg a = alg >= 0 ? (enum pj_alg)alg : PJ_ALG_ES256;
	if (alg >= 0)
		pj_keys_each(c, a, NULL, try_alg, &a, &tried, &e);
	for (size_t i = 0; alg < 0 && i < sizeof(algs) / sizeof(algs[0]); i++) {
		a = algs[i];
		pj_keys_each(c, a, NULL, try_alg, &a, &tried, &e);
	}
	a = PJ_ALG_ES256;
	pj_keys_each(c, a, "kid1", try_alg, &a, &tried, &e);
	pj_keys_list(c, fits, bad, NULL, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pj_err e;
	struct pj_key key;
	json_t *doc = pj_json_object(data, size, "fuzz", &e), *keys, *jwk;
	size_t i;
	if (doc) {
		keys = json_object_get(doc, "keys");
		if (json_is_array(keys)) {
			json_array_foreach (keys, i, jwk)
				one_jwk(jwk);
		} else {
			one_jwk(doc);
		}
		json_decref(doc);
	}
	/* The file paths: the module's own loaders. */
	fz_write(jwks_path, data, size, 0600);
	walk(&jwks_cfg, -1);
	if (size >= 5 && memmem(data, size, "-----", 5)) {
		char *pem = fz_cstr(data, size);
		int alg = PJ_ALG_PS256;
		if (pj_pem_to_key(pem, size, 1, "fuzz", &key, &e) == 0) {
			try_key(&key, NULL, &e);
			alg = key.kty == PJ_KTY_EC    ? PJ_ALG_ES256
			      : key.kty == PJ_KTY_OKP ? PJ_ALG_EDDSA
						      : PJ_ALG_PS256;
		}
		pj_key_clear(&key);
		free(pem);
		fz_write(pem_path, data, size, 0644);
		walk(&pem_cfg, alg);
	}
	return 0;
}
