/* SPDX-License-Identifier: BSD-3-Clause */
/* Tokens for unit tests, signed by the module's own signer. */
#ifndef PJ_UNIT_TOKEN_H
#define PJ_UNIT_TOKEN_H

#include <stdio.h>

#include "keys.h"
#include "sig.h"
#include "unit.h"
#include "util.h"

/* An HS256 token ({"alg":"HS256"}) over claims, signed with a 32-byte
 * secret; free it. */
static inline char *unit_hs256(const unsigned char *secret, const char *claims)
{
	struct pj_key k = { .kty = PJ_KTY_OCT, .alg = -1 };
	unsigned char *sig;
	size_t siglen;
	pj_err e;
	const char *hdr = "{\"alg\":\"HS256\"}";
	char *h = pj_b64url_encode((const unsigned char *)hdr, strlen(hdr));
	char *p = pj_b64url_encode((const unsigned char *)claims, strlen(claims));
	char *input, *tok;
	k.secret = malloc(32);
	memcpy(k.secret, secret, 32);
	k.secret_len = 32;
	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	if (pj_sig_sign(PJ_ALG_HS256, &k, (unsigned char *)input, strlen(input), &sig, &siglen,
			&e) != 0)
		fail_msg("sign: %s", e.msg);
	char *s = pj_b64url_encode(sig, siglen);
	assert_true(asprintf(&tok, "%s.%s", input, s) > 0);
	free(h), free(p), free(input), free(s), free(sig);
	pj_key_clear(&k);
	return tok;
}

#endif
