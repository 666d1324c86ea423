/* SPDX-License-Identifier: BSD-3-Clause */
/* What a document from the identity provider must be before anything uses or
 * keeps it: the URLs fetched, a JWKS, an OIDC discovery document.  One home for
 * these rules, below both the key layer (src/keys.c, which also applies the
 * secret rule to JWKS files) and the fetching layer (src/fetch.c, the helper
 * src/fetchhelper/), so that the network code knows nothing of JWK semantics
 * and a document is judged the same wherever it arrives. */
#ifndef PJ_DOCUMENT_H
#define PJ_DOCUMENT_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Larger responses are refused while they arrive (other than a JWKS). */
#define PJ_FETCH_MAX (1024 * 1024)
/* A JWKS (fetched or a jwks_file) may be up to jwks_max_size bytes: by
 * default 8 MiB, about 45,000 EC or 18,000 RSA keys, where the largest JWKS
 * an identity provider publishes holds a few dozen (some 50 KiB with X.509
 * chains); at most PJ_JWKS_MAX_SIZE_CAP, which keeps the key index's offsets
 * in 32 bits with room to spare. */
#define PJ_JWKS_MAX_SIZE     (8 * 1024 * 1024)
#define PJ_JWKS_MAX_SIZE_MIN 1024
#define PJ_JWKS_MAX_SIZE_CAP (256 * 1024 * 1024)
#define PJ_URL_MAX	     1024

/* The inflated bit string of one status list (src/statuslist.c): a fixed
 * bound, so that a small compressed "lst" cannot make anyone allocate
 * gigabytes (a zip bomb).  16 MiB: 134 million entries of 1 bit. */
#define PJ_STATUS_LIST_MAX (16 * 1024 * 1024)
/* A revocation feed (src/feed.c) may be larger than other documents. */
#define PJ_FEED_MAX (64 * 1024 * 1024)

enum pj_doc_kind {
	PJ_DOC_JWKS,	    /* {"keys": [...]}, no secret key */
	PJ_DOC_DISCOVERY,   /* {"jwks_uri": "https://..."} */
	PJ_DOC_STATUS_LIST, /* a Status List Token (JWS), checked by src/statuslist.c */
	PJ_DOC_FEED,	    /* a revocation feed (JWS), checked by src/feed.c */
};

/* An https:// URL without user name or password, printable ASCII, at most
 * PJ_URL_MAX bytes: the only URLs fetched (configured ones, jwks_uri). */
int pj_url_check(const char *url, pj_err *e);

/* The document of n bytes parsed and checked for its kind: a new reference,
 * or NULL with e filled. */
json_t *pj_document_check(const char *body, size_t n, enum pj_doc_kind kind, pj_err *e);

/* Is the discovery document's "issuer" one of the n issuers?  0, or -1 with
 * e naming what it says instead. */
int pj_discovery_issuer_check(json_t *disco, const char *const *issuers, size_t n, pj_err *e);

/* Does a JWKS "keys" array hold a secret (an oct key) or private key
 * material (d, p, q, dp, dq, qi, oth of any key)?  Such a document must not
 * be readable by others, nor come over the network. */
int pj_jwks_has_secret(json_t *keys);
/* The first member that makes a key of the array secret or private ("k" for
 * an oct key), with that key's index in *at; NULL when there is none. */
const char *pj_jwks_private_member(json_t *keys, size_t *at);

/* A Status List Token's shape (draft-ietf-oauth-status-list, "Status List
 * Token in JWT Format"): typ statuslist+jwt (application/ optional, any
 * case); claims sub (a string), iat (a number), exp (a number, if present),
 * ttl (a positive number, if present) and status_list {bits: 1, 2, 4 or 8,
 * lst: a non-empty string}.  0 with *bits and *lst (into claims), -1 with e.
 * The signature, sub's value and the times are the caller's to judge. */
int pj_status_token_shape(json_t *header, json_t *claims, int *bits, const char **lst,
			  size_t *lst_n, pj_err *e);

#endif
