/* SPDX-License-Identifier: BSD-3-Clause */
/* Revocation, the allowlist and one-time use: what a token is listed under
 * and what the lists say about it.  The files themselves (formats, writes)
 * belong to src/store.c. */
#ifndef PJ_REVOCATION_H
#define PJ_REVOCATION_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "revline.h"

struct pj_stamp;

/* The name a token is listed under: its jti when that is a plain printable
 * string without spaces, not starting with '#' (at most PJ_NAME_MAX bytes), else "sha256:" and the
 * hex SHA-256 of the whole token. */
int pj_token_name(json_t *claims, const char *token, size_t n, char *out, size_t outn);

struct pj_revquery {
	const char *name;     /* pj_token_name */
	const char *alt_name; /* the hash of an ECDSA token's twin, or NULL */
	const char *user;     /* the login name (NULL: no user cut-off applies) */
	int has_iat;
	double iat;
};

/* 0: not revoked.  -1: revoked, or the file is malformed, missing (when
 * must_exist) or untrusted; e says which. */
int pj_revocation_check(const char *path, int must_exist, uid_t allowed_uid,
			const struct pj_revquery *q, pj_err *e);
/* The same, and what was read (stamp may be NULL): a later check whose
 * pj_stamp_unchanged holds must come to the same answer. */
int pj_revocation_lookup(const char *path, int must_exist, uid_t allowed_uid,
			 const struct pj_revquery *q, struct pj_stamp *stamp, pj_err *e);

/* 0 when name has a "jti" entry in the allowlist file; -1 otherwise. */
int pj_allowlist_check(const char *path, uid_t allowed_uid, const char *name, pj_err *e);
int pj_allowlist_lookup(const char *path, uid_t allowed_uid, const char *name,
			struct pj_stamp *stamp, pj_err *e);

/* One-time tokens: 0 when name was not yet used (and is now recorded until
 * `until`: the token's exp plus leeway, -1 for a token without exp); -1
 * when used before, or the record cannot be read or written.  With record 0
 * only checks. */
int pj_onetime_use(const char *path, uid_t allowed_uid, const char *name, long long until,
		   int record, time_t now, pj_err *e);

#endif
