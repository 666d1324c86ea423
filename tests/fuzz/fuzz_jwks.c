/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a key file.  As JSON, every member of its "keys"
 * array (or the document itself) goes through pj_jwk_to_key, public and
 * private, and every key built is tried with every algorithm, down to a
 * signature check.  The same bytes are then installed as a jwks_file (and, when
 * they look like PEM, a key_file) and walked with pj_keys_each and
 * pj_keys_list, the module's and the tool's paths, and read as a signing key. */
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

/* One algorithm per key type and curve (try_key tries the others), a kid. */
static void walk(const struct pj_config *c)
{
	static const enum pj_alg algs[] = { PJ_ALG_HS256, PJ_ALG_PS256, PJ_ALG_ES256,
					    PJ_ALG_ES384, PJ_ALG_ES512, PJ_ALG_EDDSA };
	unsigned tried;
	pj_err e;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		pj_keys_each(c, algs[i], NULL, try_key, NULL, &tried, &e);
	pj_keys_each(c, PJ_ALG_ES256, "kid1", try_key, NULL, &tried, &e);
	pj_keys_list(c, try_key, bad, NULL, &e);
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
	/* The file paths: the module's own loaders, and the tool's signing key. */
	fz_write(jwks_path, data, size, 0600);
	walk(&jwks_cfg);
	if (pj_load_signing_key(jwks_path, getuid(), &key, &e) == 0)
		try_key(&key, NULL, &e);
	pj_key_clear(&key);
	if (size >= 5 && memmem(data, size, "-----", 5)) {
		char *pem = fz_cstr(data, size);
		if (pj_pem_to_key(pem, size, 1, "fuzz", &key, &e) == 0)
			try_key(&key, NULL, &e);
		pj_key_clear(&key);
		free(pem);
		fz_write(pem_path, data, size, 0644);
		walk(&pem_cfg);
	}
	return 0;
}
