/* SPDX-License-Identifier: BSD-3-Clause */
/* Signatures per JWS algorithm (RFC 7518) with OpenSSL 3 EVP. */
#ifndef PJ_SIG_H
#define PJ_SIG_H

#include <stddef.h>
#include <openssl/evp.h>

#include "err.h"

enum pj_alg {
	PJ_ALG_HS256,
	PJ_ALG_HS384,
	PJ_ALG_HS512,
	PJ_ALG_RS256,
	PJ_ALG_RS384,
	PJ_ALG_RS512,
	PJ_ALG_PS256,
	PJ_ALG_PS384,
	PJ_ALG_PS512,
	PJ_ALG_ES256,
	PJ_ALG_ES384,
	PJ_ALG_ES512,
	PJ_ALG_EDDSA,	/* RFC 8037: Ed25519 or Ed448, as the key's curve says */
	PJ_ALG_ED25519, /* RFC 9864: the fully-specified names, one curve each */
	PJ_ALG_ED448,
	PJ_ALG_COUNT
};

#define PJ_ALG_BIT(a) (1u << (a))
#define PJ_ALGS_HMAC                                                                               \
	(PJ_ALG_BIT(PJ_ALG_HS256) | PJ_ALG_BIT(PJ_ALG_HS384) | PJ_ALG_BIT(PJ_ALG_HS512))
#define PJ_ALGS_ALL	   ((1u << PJ_ALG_COUNT) - 1)
#define PJ_ALGS_ASYMMETRIC (PJ_ALGS_ALL & ~PJ_ALGS_HMAC)

enum pj_kty { PJ_KTY_OCT, PJ_KTY_RSA, PJ_KTY_EC, PJ_KTY_OKP };

#define PJ_RSA_MIN_BITS 2048

/* A key ready for use.  Exactly one of pkey (RSA, EC, OKP) or secret (oct)
 * is set.  alg is the key's own "alg" (-1 when it has none). */
struct pj_key {
	enum pj_kty kty;
	EVP_PKEY *pkey;
	unsigned char *secret;
	size_t secret_len;
	int alg;
	char *kid;    /* NULL when the key has none */
	char *source; /* file (and position) it came from, for messages */
	/* A fetched key from a cached copy used while the identity provider
	 * cannot be reached: how old the copy is and the last fetch's failure
	 * (valid while the key is offered), for the decision line. */
	int stale;
	long stale_age;
	const char *stale_why;
};

/* Exact, case-sensitive name lookup; -1 for anything else ("none" included). */
int pj_alg_from_name(const char *name);
const char *pj_alg_name(enum pj_alg alg);
enum pj_kty pj_alg_kty(enum pj_alg alg);
const char *pj_kty_name(enum pj_kty kty);

/* Can this key verify alg?  Type, curve (ES*, Ed25519, Ed448), the key's own
 * alg (which must be alg itself), RSA size. */
int pj_key_fits(const struct pj_key *key, enum pj_alg alg, pj_err *e);

/* Verifies sig over msg.  For ES*, sig is the raw R||S of the curve's exact
 * length with 0 < r, s < n.  Calls pj_key_fits first. */
int pj_sig_verify(enum pj_alg alg, const struct pj_key *key, const unsigned char *msg,
		  size_t msglen, const unsigned char *sig, size_t siglen, pj_err *e);

/* Signs (the tool's job); *sig is malloc'ed, ES* in raw R||S form. */
int pj_sig_sign(enum pj_alg alg, const struct pj_key *key, const unsigned char *msg, size_t msglen,
		unsigned char **sig, size_t *siglen, pj_err *e);

/* Builds a key from an EVP_PKEY it takes ownership of, also when it fails
 * (then the EVP_PKEY is freed).  kty is derived, alg -1, kid/source NULL. */
int pj_key_from_pkey(EVP_PKEY *pkey, struct pj_key *key, pj_err *e);
/* Frees and wipes; leaves alg at -1. */
void pj_key_clear(struct pj_key *key);

/* ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does.
 * Writes that twin of a raw R||S signature to out (n bytes), so a token
 * listed by its hash can be recognised in both forms. */
int pj_ecdsa_twin(enum pj_alg alg, const unsigned char *sig, size_t n, unsigned char *out);

#endif
