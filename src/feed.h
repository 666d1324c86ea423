/* SPDX-License-Identifier: BSD-3-Clause */
/* The signed revocation feed: the revocations pam_jwt keeps (the all and
 * user cut-offs, jti entries), published by pam_jwt-tool publish on an
 * admin host as one signed JWS that any static HTTPS server or CDN can carry:
 *
 *   header  {"alg": ..., "kid": ..., "typ": "pam_jwt-feed+jwt"}
 *   claims  {"version": N, "iat": T, ["exp": T,]
 *            "all": T, "users": {"NAME": T, ...}, "jti": {"ID": EXP|null, ...}}
 *
 * Hosts name it (revocation_feed) and the public key that signs it
 * (revocation_feed_key).  The fetch helper, run as root, fetches it, verifies
 * it with that key and applies it: the entries become a store
 * (src/store.h) in cache_dir, DIR/HASH.feed, written beside and renamed over
 * the last one, with its version in the store's first comment; beside it
 * DIR/HASH.feed.meta says when the server last served it.  A version lower
 * than the applied one is a rollback and refused; a broken or wrongly signed
 * feed never replaces a good copy.  Every login consults the applied copy
 * beside the local revocation file.  It is fresh for the server's max-age
 * clamped to [jwks_ttl_min, jwks_ttl_max] (PJ_FEED_TTL without one); then a login
 * fetches it (at most once per jwks_refetch_interval), and while that fails
 * the applied copy holds until revocation_feed_max_stale, then every login
 * is refused. */
#ifndef PJ_FEED_H
#define PJ_FEED_H

#include <jansson.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"
#include "fetch.h"

struct pj_config;
struct pj_revquery;
struct pj_revlist;
struct pj_key;

/* The applied copy holds 1 day while the server is unreachable. */
#define PJ_DEFAULT_REVOCATION_FEED_MAX_STALE 86400
#define PJ_FEED_TYP			     "pam_jwt-feed+jwt"
/* Fresh this long when the server sends no Cache-Control max-age: shorter
 * than pam_jwt-fetch.timer's --ahead 600, so that the timer fetches it on
 * every run (a revocation reaches every host within one timer interval). */
#define PJ_FEED_TTL 300

struct pj_feed_summary {
	long long version, iat, exp; /* exp -1: none */
	size_t entries;
};

/* A feed of n bytes verified with key and read into l (fresh, to be freed
 * with pj_revlist_free) and s: typ, signature, version >= 1, iat not in the
 * future (beyond leeway), exp not passed, every entry one the store can
 * hold.  0, or -1 with e. */
int pj_feed_parse(const char *body, size_t n, const struct pj_key *key, time_t now, long leeway,
		  struct pj_revlist *l, struct pj_feed_summary *s, pj_err *e);

/* The key file (revocation_feed_key): a PEM public key or certificate, or a
 * JWK / a JWKS of one key; public members only. */
int pj_feed_key_load(const char *path, uid_t allowed_uid, struct pj_key *key, pj_err *e);

/* ---- the fetch helper's half (root): after its GET ---- */

/* HTTP 200: verified with the key at key_path and applied in cache_dir,
 * unless its version is lower than the applied one (rollback) or it does not
 * verify; an equal version only confirms the copy.  0 with s, or -1 with e
 * saying why nothing was applied ("not applied: ..."). */
int pj_feed_apply(const char *cache_dir, uid_t owner, const char *url, const char *key_path,
		  long max_age, const char *etag, const char *body, size_t n,
		  struct pj_feed_summary *s, pj_err *e);
/* HTTP 304 to sent_etag: the applied copy is confirmed now. */
int pj_feed_renew(const char *cache_dir, uid_t owner, const char *url, const char *sent_etag,
		  long max_age, const char *etag, pj_err *e);

/* ---- the login ---- */

/* Nothing to do without revocation_feed; else 0 when the applied copy is
 * usable (fetched first when stale) and does not revoke the token, -1 with
 * e otherwise. */
int pj_feed_check(const struct pj_config *cfg, const struct pj_revquery *q, pj_err *e);

/* ---- the tool ---- */

struct pj_feed_info {
	enum pj_origin origin;
	long age, ttl, max_stale;
	struct pj_feed_summary s;
	int applied; /* by this call */
	char etag[PJ_ETAG_MAX + 1];
	pj_err note;
};
/* want PJ_WANT_NOW: fetch and apply now; PJ_WANT_CACHE_ONLY: report. */
int pj_feed_fetch(const struct pj_config *cfg, enum pj_want want, struct pj_feed_info *info,
		  pj_err *e);

/* The claims of a feed of list l (pam_jwt-tool publish). */
json_t *pj_feed_claims(const struct pj_revlist *l, long long version, long long iat, long long exp);
/* The version of the feed in a file publish wrote before (its signature is
 * not checked: it is the publisher's own file), or 0. */
long long pj_feed_previous_version(const char *path);

#endif
