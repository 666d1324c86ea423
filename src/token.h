/* SPDX-License-Identifier: BSD-3-Clause */
/* The compact JWS serialization: split, strict base64url, JSON, header rules. */
#ifndef PJ_TOKEN_H
#define PJ_TOKEN_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "sig.h"

struct pj_token {
	json_t *header;
	json_t *claims;
	enum pj_alg alg;
	const char *kid;	   /* into header, NULL when absent */
	const char *signing_input; /* into the caller's buffer: header.payload */
	size_t signing_input_len;
	unsigned char *sig;
	size_t sig_len;
};

/* Does the input look like a compact JWS at all (URL alphabet, two dots)?
 * Anything else is treated as "not a token" and never logged. */
int pj_token_shaped(const char *s, size_t n);

/* Is it the beginning of one: a JSON-object header ("eyJ") of at least 16
 * URL-alphabet characters, then at most one dot? */
int pj_token_prefix(const char *s, size_t n);

/* Parses tok (n bytes, n <= PJ_MAX_TOKEN) into t.  The token's buffer must
 * outlive t.  allowed_algs is the configured allowlist.  On failure t holds
 * whatever was decoded (header/claims may be set, for logging). */
int pj_token_parse(const char *tok, size_t n, unsigned allowed_algs, struct pj_token *t, pj_err *e);
/* The same for signed documents larger than a login's token (a Status List
 * Token, a revocation feed): at most max bytes. */
int pj_token_parse_max(const char *tok, size_t n, size_t max, unsigned allowed_algs,
		       struct pj_token *t, pj_err *e);
void pj_token_free(struct pj_token *t);

/* JSON text to object, with the rules every JWT document gets (duplicate
 * member names refused, no NUL in strings). */
json_t *pj_json_object(const unsigned char *p, size_t n, const char *what, pj_err *e);

#endif
