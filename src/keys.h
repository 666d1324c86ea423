/* SPDX-License-Identifier: BSD-3-Clause */
/* Key sources: PEM files, JWKS files.  Selection by kid and alg; only the
 * key that is needed is turned into an EVP_PKEY. */
#ifndef PJ_KEYS_H
#define PJ_KEYS_H

#include <jansson.h>
#include <sys/types.h>

#include "err.h"
#include "sig.h"

struct pj_config;

/* One JWK (RFC 7517) to a key.  Public members only unless allow_private.
 * source is copied into key->source.  0, -1 for a malformed or degenerate key,
 * or PJ_KEY_UNUSABLE for a well-formed key this module does not use: "use"
 * other than "sig", "key_ops" without the operation, an unsupported kty, curve
 * or alg (an encryption key, X25519, secp256k1, ...); e says why either way.
 * A key set's unusable keys are passed over, its malformed ones refuse. */
#define PJ_KEY_UNUSABLE 1
int pj_jwk_to_key(json_t *jwk, int allow_private, const char *source, struct pj_key *key,
		  pj_err *e);

/* A PEM public key, an X.509 certificate or (allow_private) a private key. */
int pj_pem_to_key(const char *pem, size_t n, int allow_private, const char *source,
		  struct pj_key *key, pj_err *e);

/* Calls fn for every configured key that may verify a token with this alg and
 * kid (kid NULL: no kid in the token), in configuration order, until fn
 * returns 1 (stop: found) or -1 (stop: error).  Returns fn's last result, 0 when
 * no key was left (e then says why the last key that did not fit was passed
 * over, or is empty), -1 with e filled on a source error.  Keys are built on
 * demand and freed after fn returns.  *tried counts the candidate keys.
 * Order: key_file, jwks_file, then jwks_url and discovery_url (src/fetch.c:
 * cached, fetched when stale or when the kid is missing).  A URL source that
 * yields no keys (server down and no usable copy) is not a source error: the
 * others are still tried, and its reason is left in e as for a key passed
 * over. */
typedef int (*pj_key_fn)(const struct pj_key *key, void *ctx, pj_err *e);
/* A token without kid is tried against this many keys at most, in all; a
 * source whose fitting keys would take it past is passed over (e says so). */
#define PJ_KEYS_NO_KID_MAX 16
int pj_keys_each(const struct pj_config *cfg, enum pj_alg alg, const char *kid, pj_key_fn fn,
		 void *ctx, unsigned *tried, pj_err *e);

/* Every configured key, for `pam_jwt-tool keys`: fn gets each key (alg is
 * ignored).  Keys that fail to load are reported through bad (unusable: a
 * JWKS key passed over, PJ_KEY_UNUSABLE, not a broken one).  URL sources
 * list what is cached, without fetching. */
typedef void (*pj_key_bad_fn)(const char *source, const char *why, int unusable, void *ctx);
int pj_keys_list(const struct pj_config *cfg, pj_key_fn fn, pj_key_bad_fn bad, void *ctx,
		 pj_err *e);

/* Keys of one user (user_jwks_file with %u = user): they verify tokens for
 * that login only, because no other login reads this file.  Called after
 * pj_keys_each with the same arguments; does nothing without user_jwks_file
 * or user (the tool's verify without --user), or when the user has no file.
 * The file and its directory must belong to root and not be writable by
 * group or others; the file not readable by them either. */
int pj_user_keys_each(const struct pj_config *cfg, const char *user, enum pj_alg alg,
		      const char *kid, pj_key_fn fn, void *ctx, unsigned *tried, pj_err *e);

/* A login name fit to stand in a path: printable ASCII without spaces or
 * '/', not "." or "..", at most PJ_USER_NAME_MAX bytes.  Others are refused,
 * never escaped. */
#define PJ_USER_NAME_MAX 256
int pj_user_name_plain(const char *user);
/* user_jwks_file with %u replaced by user (and %% by %). */
int pj_user_path(const char *tmpl, const char *user, char *out, size_t outn, pj_err *e);

/* Reads a private key for signing (PEM, or a JWK / single-key JWKS). */
int pj_load_signing_key(const char *path, uid_t allowed_uid, struct pj_key *key, pj_err *e);

#endif
