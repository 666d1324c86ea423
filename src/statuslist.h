/* SPDX-License-Identifier: BSD-3-Clause */
/* Token Status List (draft-ietf-oauth-status-list): a token that carries
 *   "status": {"status_list": {"idx": N, "uri": "https://..."}}
 * is accepted only while entry N of the list at that URI is 0 (VALID).
 *
 * Checked after the token itself verified (signature and claims), with the
 * configuration (provider) that verified it: the URI must start with one of
 * its status_list_url prefixes (nothing else is ever fetched), and the list,
 * a Status List Token, must be signed by its keys (key_file, jwks_file,
 * jwks_url, discovery_url; never a user's own), have typ statuslist+jwt, sub
 * equal to the URI, an iat, and not be expired.
 *
 * The fetch helper (src/fetchhelper/) fetches the Status List Token and
 * inflates its list within PJ_STATUS_LIST_MAX bytes (zlib is the helper's,
 * never the module's); this process verifies the token and keeps the
 * validated list in cache_dir as DIR/HASH.sl, a short text header and the
 * raw bit string, written atomically.  A login with a fresh copy opens it
 * and reads its header and the one byte it needs with pread (never mapped:
 * a writer cannot SIGBUS the host), and does nothing else.  A copy is fresh
 * for the token's ttl clamped to [status_list_ttl_min, status_list_ttl_max]
 * (status_list_ttl_max without one), revalidated with If-None-Match, and
 * while the server is unreachable used until status_list_max_stale; never
 * past the token's exp.  Then the token is refused.
 *
 * Logins leave DIR/HASH.sl.used (at most once an hour) naming the lists they
 * used, so that pam_jwt-tool fetch can refresh them ahead of time. */
#ifndef PJ_STATUSLIST_H
#define PJ_STATUSLIST_H

#include <jansson.h>
#include <time.h>

#include "document.h"
#include "err.h"
#include "fetch.h"

struct pj_config;

/* The options' defaults: fresh for 1 minute to 1 hour, usable 1 day while
 * the server is unreachable. */
#define PJ_DEFAULT_STATUS_LIST_TTL_MIN	 60
#define PJ_DEFAULT_STATUS_LIST_TTL_MAX	 3600
#define PJ_DEFAULT_STATUS_LIST_MAX_STALE 86400
/* A login records its use of a list at most this often (seconds)... */
#define PJ_STATUS_USED_EVERY 3600
/* ...and pam_jwt-tool fetch refreshes the lists used within this long. */
#define PJ_STATUS_USED_WINDOW (7 * 86400)

struct pj_status_ref {
	char uri[PJ_URL_MAX + 1];
	unsigned long long idx;
};

/* The token's status claim: 0 when it has none, 1 with ref filled, -1 (e)
 * when it is malformed or names no status_list (the only mechanism known
 * here: a status that cannot be checked is a refusal). */
int pj_status_ref(json_t *claims, struct pj_status_ref *ref, pj_err *e);

/* Is uri one that cfg lets us fetch: an https:// URL starting with one of
 * its status_list_url prefixes (a prefix not ending in '/' must be followed
 * by '/', '?' or the end), without "." or ".." path segments? */
int pj_status_uri_allowed(const struct pj_config *cfg, const char *uri, pj_err *e);

/* The login's check, for a token that cfg verified (signature and claims):
 * 0 when status_list is off, the token has no status claim (unless
 * require), or its entry is 0; -1 with e naming why otherwise. */
int pj_status_check(const struct pj_config *cfg, json_t *claims, time_t now, pj_err *e);

/* What pam_jwt-tool reports about one list. */
struct pj_status_info {
	enum pj_origin origin;
	long age, ttl, max_stale;
	long long exp; /* -1: none */
	int bits;
	size_t entries;
	int stored;
	char etag[PJ_ETAG_MAX + 1];
	pj_err note;
};

/* One list for the tool: want PJ_WANT_NOW fetches it now (pam_jwt-tool
 * fetch), PJ_WANT_CACHE_ONLY reports the cached copy.  iss is the issuer of
 * the tokens that named it ("" for none).  0 with info, -1 with e. */
int pj_status_fetch(const struct pj_config *cfg, const char *iss, const char *uri,
		    enum pj_want want, struct pj_status_info *info, pj_err *e);

/* The lists logins used within PJ_STATUS_USED_WINDOW: fn(iss, uri, ctx)
 * for each.  0, or -1 with e when cache_dir cannot be read. */
typedef void (*pj_status_used_fn)(const char *iss, const char *uri, void *ctx);
int pj_status_used_each(const struct pj_config *cfg, pj_status_used_fn fn, void *ctx, pj_err *e);

/* A Status List Token of n bytes fetched from uri, checked as a login
 * checks it (typ, signature with cfg's keys, sub, iat, exp): 0 with
 * info->bits, exp and ttl; -1 with e.  Its list is not inflated here. */
int pj_status_token_verify(const struct pj_config *cfg, const char *tok, size_t n, const char *uri,
			   time_t now, struct pj_status_info *info, pj_err *e);

/* The value of entry idx of a bit string (bits 1, 2, 4 or 8 per entry, least
 * significant bits first): 0..255, or -1 when idx is past its end. */
int pj_status_entry(const unsigned char *list, size_t n, int bits, unsigned long long idx);

#endif
