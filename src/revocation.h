/* SPDX-License-Identifier: BSD-3-Clause */
/* The revocation file: one owner of its format.  The module looks entries up
 * (read-only, no lock); the tool changes it under a lock with atomic renames.
 *
 *   jti ID [EXP]     the token with this id (or sha256:HEX) is void
 *   user NAME TIME   tokens for NAME with iat before TIME are void
 *   all TIME         every token with iat before TIME is void
 *
 * The tool writes comments, then "all", then "user" lines sorted by name,
 * then "jti" lines sorted by id, and records in FILE.index where the sections
 * start together with the file's identity (device, inode, size, mtime,
 * ctime).  While the index matches, a lookup binary-searches the mapped text;
 * any other change (a hand edit) makes the module parse and validate the whole
 * file instead, so hand edits are always honoured. */
#ifndef PJ_REVOCATION_H
#define PJ_REVOCATION_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define PJ_NAME_MAX 1024

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

/* 0 when name has a "jti" line in the allowlist file; -1 otherwise. */
int pj_allowlist_check(const char *path, uid_t allowed_uid, const char *name, pj_err *e);

/* One-time tokens: 0 when name was not yet used (and is now recorded until
 * exp); -1 when used before, or the record cannot be read or written.  With
 * record 0 only checks. */
int pj_onetime_use(const char *path, uid_t allowed_uid, const char *name, long long exp, int record,
		   time_t now, pj_err *e);

/* ---- the tool's side: the whole file in memory ---- */

enum pj_rev_kind { PJ_REV_COMMENT, PJ_REV_ALL, PJ_REV_USER, PJ_REV_JTI };

struct pj_rev_entry {
	enum pj_rev_kind kind;
	char *text;	/* comment text, user name or jti (NULL for all) */
	long long time; /* cut-off for all/user, EXP for jti (-1: none) */
};

struct pj_revlist {
	struct pj_rev_entry *v;
	size_t n, cap;
};

/* Parses a whole file; a missing file is an empty list when missing_ok.
 * Errors name the file and line. */
int pj_revlist_load(const char *path, uid_t allowed_uid, int missing_ok, struct pj_revlist *l,
		    pj_err *e);
void pj_revlist_free(struct pj_revlist *l);
int pj_revlist_add(struct pj_revlist *l, enum pj_rev_kind kind, const char *text, size_t n,
		   long long time);
/* Removes entries of kind whose text equals text (every "all" entry for
 * PJ_REV_ALL); returns how many. */
size_t pj_revlist_remove(struct pj_revlist *l, enum pj_rev_kind kind, const char *text);
/* Sorts, merges duplicates (latest cut-off, latest EXP) and keeps one "all". */
void pj_revlist_normalize(struct pj_revlist *l);

/* Locks FILE.lock, loads FILE, calls fn, and if fn returns 0 writes the
 * result to a temporary file in the same directory, fsyncs it and renames
 * it over FILE, then the index.  A failure at any step leaves FILE as it
 * was. */
typedef int (*pj_revlist_fn)(struct pj_revlist *l, void *ctx, pj_err *e);
int pj_revlist_update(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx, pj_err *e);
/* The same, waiting up to wait_ms for the lock (pj_revlist_update waits 5 s,
 * which suits a login; an administrator's command can wait longer). */
int pj_revlist_update_wait(const char *path, uid_t allowed_uid, int wait_ms, pj_revlist_fn fn,
			   void *ctx, pj_err *e);

/* Checks that a name is fit for the file (printable ASCII, no spaces, not
 * empty, not starting with '#'). */
int pj_name_valid(const char *s, size_t n);

#endif
