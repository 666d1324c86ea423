/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is pam_jwt-tool sign's --key file (a PEM private key,
 * a private JWK, or a JWKS of one).  pj_load_signing_key reads it as the tool
 * does (a 0600 file), and a key it loads must sign with every algorithm it
 * fits, and what it signs must verify with the same key: a loader that let a
 * key through whose halves disagree would fail that here.  Apart from
 * fuzz_jwks because OpenSSL's pairwise check of a private RSA key tests its
 * primes: slow, and reached only by the tool. */
#include "fuzz.h"

#include "keys.h"
#include "sig.h"

static char key_path[512];
static const unsigned char msg[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(key_path, sizeof(key_path), "sign.key");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pj_key key;
	pj_err e;
	fz_write(key_path, data, size, 0600);
	if (pj_load_signing_key(key_path, getuid(), &key, &e) != 0)
		return 0;
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		unsigned char *sig = NULL;
		size_t n = 0;
		if (pj_key_fits(&key, (enum pj_alg)a, &e) != 0)
			continue;
		if (pj_sig_sign((enum pj_alg)a, &key, msg, sizeof(msg) - 1, &sig, &n, &e) == 0 &&
		    pj_sig_verify((enum pj_alg)a, &key, msg, sizeof(msg) - 1, sig, n, &e) != 0) {
			fprintf(stderr,
				"fuzz_signkey: %s signature of a loaded key does not verify: %s\n",
				pj_alg_name((enum pj_alg)a), e.msg);
			abort();
		}
		free(sig);
	}
	pj_key_clear(&key);
	return 0;
}
