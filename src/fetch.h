/* SPDX-License-Identifier: BSD-3-Clause */
/* Keys from the identity provider: JWKS documents over HTTPS (jwks_url) or
 * found through OIDC discovery (discovery_url), kept in cache_dir.
 *
 * No network code runs here: when a fetch is needed, the fetch helper
 * (pam_jwt-fetch, src/fetchhelper/; fetch_helper) is started through
 * src/spawn.c with a clean environment, does the HTTPS GET, and, where it can
 * (root), stores the document in the cache; its answer comes back over a
 * pipe (src/frame.h) and is checked again here before it is used.  Only the
 * helper loads libcurl.  The cache holds one file per URL (named by the URL's
 * SHA-256), written atomically and readable by everyone; beside it,
 * FILE.stamp records when a login last fetched that URL, so that logins fetch
 * a URL at most once per jwks_refetch_interval across all processes: both are
 * decided here, before any helper is started. */
#ifndef PJ_FETCH_H
#define PJ_FETCH_H

#include <jansson.h>
#include <time.h>

#include "document.h"
#include "err.h"
#include "frame.h"

struct pj_config;

/* The options' defaults (jwks_max_stale: 7 days). */
#define PJ_DEFAULT_CACHE_DIR		 "/var/cache/pam_jwt"
#define PJ_DEFAULT_FETCH_TIMEOUT	 3
#define PJ_DEFAULT_JWKS_TTL_MIN		 300
#define PJ_DEFAULT_JWKS_TTL_MAX		 86400
#define PJ_DEFAULT_JWKS_MAX_STALE	 604800
#define PJ_DEFAULT_JWKS_REFETCH_INTERVAL 60
/* Freshness when the server sends no Cache-Control max-age. */
#define PJ_DEFAULT_TTL 3600
/* Where the helper is installed (the Makefile's LIBEXECDIR). */
#ifndef PJ_FETCH_HELPER
#define PJ_FETCH_HELPER "/usr/local/libexec/pam_jwt/pam_jwt-fetch"
#endif
/* What the module gives the helper beyond fetch_timeout to report a timeout
 * itself (its start-up, its last words) before it is killed. */
#define PJ_FETCH_GRACE_MS 500

/* One login's (or one tool source's) fetching: every fetch it makes shares a
 * single budget of fetch_timeout seconds, from the first fetch on. */
struct stat;
struct pj_fetch_call {
	long long deadline_ms; /* CLOCK_MONOTONIC; 0 until the first fetch */
	/* A login's shortcut past a large cached JWKS (src/keys.c): asked,
	 * before the body of a cached copy is read, whether a form built beside
	 * that very file (path, st: the file opened) serves instead (1); then
	 * the document comes back with json NULL and served set.  NULL: the
	 * body is always read. */
	int (*serve)(const char *path, const struct stat *st, void *ctx);
	void *serve_ctx;
};

enum pj_want {
	PJ_WANT_CACHED,	    /* a login: the cache while fresh, else fetch */
	PJ_WANT_NEWER,	    /* a login whose kid is missing: refetch (rate-limited) */
	PJ_WANT_NOW,	    /* pam_jwt-tool fetch: fetch regardless */
	PJ_WANT_CACHE_ONLY, /* pam_jwt-tool keys: whatever is cached, never fetch */
};

enum pj_origin {
	PJ_ORIGIN_CACHE,	/* fresh in the cache */
	PJ_ORIGIN_STALE,	/* stale, used because no fetch succeeded (note says why) */
	PJ_ORIGIN_FETCHED,	/* HTTP 200 */
	PJ_ORIGIN_NOT_MODIFIED, /* HTTP 304: the cached copy revalidated */
};

struct pj_doc {
	json_t *json;
	char *url;	/* where it came from (for discovery: the jwks_uri) */
	char *path;	/* its cache file */
	time_t fetched; /* when the server last confirmed it */
	long age;	/* seconds since then */
	long ttl;	/* its freshness lifetime: max-age clamped to the ttl options */
	long max_stale; /* usable until age reaches this */
	enum pj_origin origin;
	int stored; /* written to the cache by this call */
	int served; /* json is NULL: the pj_fetch_call's serve answers for it */
	char etag[PJ_ETAG_MAX + 1];
	pj_err note; /* why a stale copy was used, or why nothing was stored */
};

/* The JWKS of a jwks_url (discovery 0) or of the jwks_uri a discovery_url
 * names (discovery 1; disco, if non-NULL, gets that document).
 * Returns 0 with jwks filled; -1 with e filled (nothing usable); with
 * PJ_WANT_NEWER also 1 when nothing newer was obtained (e says why: the
 * refetch interval, a failure, or 304). */
int pj_fetch_jwks(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		  int discovery, enum pj_want want, struct pj_doc *jwks, struct pj_doc *disco,
		  pj_err *e);
void pj_doc_free(struct pj_doc *d);

/* ---- the helper's half (src/fetchhelper/): after its GET, the cache as
 * logins read it; cfg gives cache_dir and allowed_uid. ---- */

/* HTTP 200: the body, checked for its kind, becomes the cached copy of url,
 * fetched now (max_age -1: none sent; etag "": none).  0, or -1 with e
 * saying why nothing was stored ("not cached: ..."). */
int pj_cache_store(const struct pj_config *cfg, const char *url, enum pj_doc_kind kind,
		   long max_age, const char *etag, const char *body, size_t n, pj_err *e);

/* HTTP 304 to If-None-Match: sent_etag: the cached copy, if it still is the
 * one with that ETag, is confirmed now (max_age and etag replaced when the
 * server sent them).  0, or -1 with e saying why nothing was stored. */
int pj_cache_renew(const struct pj_config *cfg, const char *url, enum pj_doc_kind kind,
		   const char *sent_etag, long max_age, const char *etag, pj_err *e);

/* The cache file of url in cfg's cache_dir (for what is built beside it:
 * its key index).  0, or -1 with e filled. */
int pj_fetch_cache_path(const struct pj_config *cfg, const char *url, char *out, size_t n,
			pj_err *e);
/* ---- the other fetched documents' homes (src/statuslist.c, src/feed.c):
 * the cache directory, the refetch stamp and the helper, without the JSON
 * document cache above. ---- */

#include <limits.h>

struct pj_cache_loc {
	const struct pj_config *cfg;
	const char *dir;      /* cache_dir */
	int dir_missing;      /* it does not exist (yet) */
	char path[PATH_MAX];  /* DIR/SHA256HEX(key)SUFFIX */
	char stamp[PATH_MAX]; /* path.stamp */
};

/* Where the cache keeps the document named key (a URL, or a string naming
 * one document), after checking that cache_dir is trusted. */
int pj_cache_place(const struct pj_config *cfg, const char *key, const char *suffix,
		   struct pj_cache_loc *loc, pj_err *e);

/* Did a login start a fetch of it within jwks_refetch_interval?  1 (since
 * says how long ago); 0 when this caller may fetch (and has claimed the
 * stamp, when it can write it). */
int pj_stamp_recent(const struct pj_cache_loc *loc, long *since);

struct pj_fetched {
	struct pj_frame f; /* points into raw */
	char *raw;
};

/* One run of the fetch helper: kind, If-None-Match etag (NULL: none),
 * store_dir passed as --cache-dir (NULL: the helper stores nothing), extra
 * arguments.  0 with out filled (HTTP 200 or 304; free with
 * pj_fetched_free), -1 with e saying why there is no answer. */
int pj_fetch_get(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		 enum pj_doc_kind kind, const char *etag, const char *store_dir,
		 const char *const *extra, struct pj_fetched *out, pj_err *e);
void pj_fetched_free(struct pj_fetched *f);

#endif
