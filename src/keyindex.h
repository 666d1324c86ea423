/* SPDX-License-Identifier: BSD-3-Clause */
/* A large JWKS parsed once, not at every login: a key index beside its
 * source (a jwks_file, or a JWKS cached in cache_dir) holds every JWK of the
 * set as compact JSON, sorted by kid, with each key's type and alg, so that a
 * login finds the keys a token may name in O(log n) preads and parses only
 * those, with the same code (src/keys.c) as for a JWKS read whole.
 *
 *   SOURCE.index, written atomically (mode 0644) by whoever may write the
 *   source: the fetch helper for what it caches, pam_jwt-tool (index, fetch)
 *   for a jwks_file.
 *
 * An index is only ever a shortcut.  It is used when it passes the same
 * trust checks as its source (owner, mode, every directory above:
 * pj_open_trusted) and records the exact identity of the source file a
 * login just opened (device, inode, size, modification and change times; the
 * source's SHA-256 is recorded too, for `pam_jwt-tool index --check`); the
 * builder writes one only for a source whose change time lies in an earlier
 * clock tick than the read it verified, so that any later change of the
 * source, even within the same tick, shows in its identity.  Anything else
 * (no index, another identity, a broken index) and the login reads the source
 * itself: correct, slower.  Read with pread only, never mapped: a writer
 * cannot make the host process fault.  Sources holding secret keys or private
 * key members are never indexed (they are read whole, under their own rules). */
#ifndef PJ_KEYINDEX_H
#define PJ_KEYINDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "err.h"
#include "sig.h"

struct pj_config;

/* Sources up to this size are read whole (as cheap as an index); no index is
 * built for them, and an old one is removed. */
#define PJ_KEYINDEX_MIN_SOURCE 4096
#define PJ_KEYINDEX_SUFFIX     ".index"

/* What a JWK is for the selection of candidates (src/keys.c): its kty and
 * alg as codes.  kty: enum pj_kty, or PJ_KIDX_OTHER when missing, not a
 * string or unknown; alg: enum pj_alg, PJ_ALG_COUNT when absent or not a
 * string, PJ_KIDX_OTHER for an unknown name. */
#define PJ_KIDX_OTHER 255
void pj_jwk_codes(json_t *jwk, unsigned *kty, unsigned *alg);
/* May a JWK with these codes verify a token without kid of this alg? */
int pj_jwk_codes_fit(unsigned kty, unsigned alg, enum pj_alg token_alg);

/* An index opened for one source. */
struct pj_keyindex {
	int fd;
	uint64_t size;
	uint32_t nkeys, nkid;
	uint64_t off_slots, off_kids, off_perm, off_blob, blob_len;
	uint32_t group[4][PJ_ALG_COUNT + 2][2]; /* per kty and alg code: start, count */
};

/* Opens source's index when it may be used for the source file whose fstat a
 * login just took (st): 0, or 1 (no usable index: why in e, which may be
 * NULL) and the caller reads the source.  Never anything worse. */
int pj_keyindex_open(const struct pj_config *cfg, const char *source, const struct stat *st,
		     struct pj_keyindex *kx, pj_err *e);
void pj_keyindex_close(struct pj_keyindex *kx);

/* The candidates of the set for a token: those with kid (kid non-NULL), or
 * those that may verify a token of alg without kid, in the order of the
 * set.  fn gets each JWK (parsed from the index) and its position; returns
 * 0 to go on, anything else to stop with that.  *seen is set when a key with
 * the kid is there at all.  -1 with e filled when the index is broken half
 * way (the caller refuses: it has read part of it already). */
typedef int (*pj_kidx_fn)(json_t *jwk, size_t at, void *ctx, pj_err *e);
int pj_keyindex_each(const struct pj_keyindex *kx, enum pj_alg alg, const char *kid, pj_kidx_fn fn,
		     void *ctx, int *seen, pj_err *e);
/* How many keys may verify a token of alg without kid (no I/O). */
size_t pj_keyindex_count(const struct pj_keyindex *kx, enum pj_alg alg);

/* The index of an in-memory JWKS "keys" array tied to a source of this
 * identity and SHA-256: *out (malloc'ed) of *outn bytes. */
int pj_keyindex_image(json_t *keys, const struct stat *st, const unsigned char sha256[32],
		      unsigned char **out, size_t *outn, pj_err *e);

enum pj_kidx_state {
	PJ_KIDX_WRITTEN, /* built now */
	PJ_KIDX_CURRENT, /* already there for this very source */
	PJ_KIDX_SMALL, /* source at most PJ_KEYINDEX_MIN_SOURCE: none needed (an old one removed) */
	PJ_KIDX_SECRETS, /* source holds secret or private members: never indexed */
	PJ_KIDX_STALE,	 /* (check only) there is none, or not for this source */
};
struct pj_kidx_report {
	enum pj_kidx_state state;
	size_t keys, with_kid; /* the set's */
	uint64_t source_size, index_size;
};

/* Builds (or with check only, judges) the index beside source, which must
 * pass the trust checks and hold a JWKS after the first empty line when
 * after_head (a cache file: metadata lines first), else from its start.  A
 * source changed while it is read is read again.  0 with r filled, -1 with
 * e saying why nothing was written (a bad JWKS included). */
int pj_keyindex_build(const struct pj_config *cfg, const char *source, int after_head, int check,
		      struct pj_kidx_report *r, pj_err *e);

#endif
