/* SPDX-License-Identifier: BSD-3-Clause */
/* The pipeline, one call for the module and the tool. */
#ifndef PJ_VERIFY_H
#define PJ_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "provider.h"
#include "store.h"

struct pj_config;

/* What a login read of the revocation file and the allowlist. */
struct pj_seen {
	char rev_path[1024], allow_path[1024]; /* "" when not read */
	struct pj_stamp rev, allow;
};

enum pj_stage {
	PJ_STAGE_NOT_TOKEN, /* input not shaped like a JWT: never logged */
	PJ_STAGE_PARSE,	    /* shaped like one but broken: maybe truncated */
	PJ_STAGE_SIGNATURE, /* no key verified it */
	PJ_STAGE_CLAIMS,    /* signature good, claims refused */
	PJ_STAGE_REVOKED,   /* revoked, not allowlisted, or a one-time token reused */
	PJ_STAGE_OK
};

/* Which kind of key verified the signature.  A key of the user's own
 * (user_jwks_file) proves who is logging in and nothing more: its holder
 * chose every claim it signed, so no authorization decision (require_claim,
 * allowlist_file, export_claims) may rest on them. */
enum pj_signer {
	PJ_SIGNER_NONE,	  /* the signature did not verify */
	PJ_SIGNER_ISSUER, /* a configured key: key_file, jwks_file, jwks_url, discovery_url */
	PJ_SIGNER_USER	  /* the login user's own key (user_jwks_file) */
};

struct pj_result {
	enum pj_stage stage;
	pj_err reason;
	json_t *header; /* set when decoded (verified or not) */
	json_t *claims;
	int verified;	       /* the signature checked out */
	enum pj_signer signer; /* and which kind of key checked it */
	struct pj_seen seen;   /* the lists as the login read them */
	/* Set when the key that verified it came from a cached copy used while
	 * the identity provider could not be reached: the copy's age and the
	 * last fetch's failure, for the decision line. */
	pj_err keys;
	/* The provider that judged it ([provider NAME]; "" without sections or
	 * before one was chosen), and the user_map line that gave the account
	 * (0: the username rule did, or none). */
	char provider[PJ_PROVIDER_NAME_MAX + 1];
	unsigned map_line;
};

/* 0 and stage PJ_STAGE_OK only for a fully verified token for user (user NULL:
 * no binding).  The result must be freed with pj_result_free. */
int pj_verify(const struct pj_config *cfg, const char *token, size_t n, const char *user,
	      time_t now, struct pj_result *r);
void pj_result_free(struct pj_result *r);

/* For the tool's revoke --token and allow --token: the names the module
 * looks the token up under (its jti or hash, and its ECDSA twin's hash in
 * alt, "" when none) and its exp (-1: none).  input must be exactly one
 * compact JWS, white space around it aside; it need not verify. */
int pj_token_listing(const char *input, size_t n, char *name, char *alt, size_t size,
		     long long *exp, pj_err *e);

/* What the module keeps about a token it accepted (pam_set_data), to check it
 * again at account management and to export its claims into the session,
 * without keeping the token itself. */
struct pj_grant {
	char *user;	/* the login it was accepted for */
	char *name;	/* the name it is listed under in the revocation file */
	char *alt_name; /* its ECDSA twin's name, or NULL */
	int has_iat, has_exp;
	double iat, exp;
	json_t *claims;				 /* the verified claims */
	enum pj_signer signer;			 /* PJ_SIGNER_USER: claims authorize nothing */
	struct pj_seen seen;			 /* the lists as the login read them */
	char provider[PJ_PROVIDER_NAME_MAX + 1]; /* who judged it: account management asks it */
};

/* For a token pj_verify accepted for user (r from that call): a grant, or
 * NULL (not accepted, out of memory).  Free with pj_grant_free. */
struct pj_grant *pj_grant_new(const char *token, size_t n, const char *user,
			      const struct pj_result *r);
/* 0 while the grant still holds: the same user, the same provider still
 * configured (its leeway counts), exp (with leeway) not passed,
 * not revoked since and still allowlisted (when allowlist_file is set; a
 * grant of a user's own key never is).  A list whose file is as the login
 * saw it is not read again.
 * One-time use is not checked again: the login used the token up. */
int pj_grant_check(const struct pj_config *cfg, const struct pj_grant *g, const char *user,
		   time_t now, pj_err *e);
void pj_grant_free(struct pj_grant *g);

#endif
