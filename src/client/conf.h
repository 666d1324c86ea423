/* SPDX-License-Identifier: BSD-3-Clause */
/* The client's configuration (pam_jwt-login(1)): ssh_config-style blocks that
 * map a target, a host ssh logs in to or a service such as sudo, to the
 * provider, client and audience of its token.
 *
 *   Host db*.prod !db9.prod        Service sudo
 *       Issuer https://idp.example      Issuer https://idp.example
 *       ClientId pam-jwt                ClientId pam-jwt
 *       Resource ssh://db.prod          Resource sudo://laptop
 *
 * Every block whose patterns match the target contributes, and the first
 * value found for a keyword wins (as in ssh_config), so specific blocks go
 * first and the defaults last, in a `Host *` block (hosts) or a `Match all`
 * block (every target, services too); lines before the first block apply to
 * every target and win over every block.  The user's file is read before the
 * system's. */
#ifndef PJ_CLIENT_CONF_H
#define PJ_CLIENT_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

enum pj_grant { PJ_GRANT_UNSET, PJ_GRANT_DEVICE, PJ_GRANT_CLIENT_CREDENTIALS };

/* What asks for a token. */
struct pj_target {
	int service; /* 0: a host (Host blocks), 1: a service (Service blocks) */
	const char *name;
};

struct pj_ccfg {
	char *issuer;	     /* https URL; the discovery document must name it */
	char *discovery_url; /* default: issuer + /.well-known/openid-configuration */
	char *ca_file;	     /* PEM CAs trusted alone for the provider */
	char *client_id;
	char *client_secret_file; /* a 0600 file: the client secret (robots) */
	char *scope;		  /* space-separated */
	char *resource;		  /* RFC 8707 resource indicator: the token's aud */
	char *audience;		  /* the non-standard "audience" parameter some providers use */
	enum pj_grant grant;
	long min_validity; /* seconds a cached token must still be valid; -1 unset */
	long timeout;	   /* seconds per HTTP request; -1 unset */
	int qrcode;	   /* -1 unset, 0, 1 */
	int matched;	   /* some block named the target */
	char where[160];   /* the first block that matched, "FILE:LINE Host db*.prod" */
};

void pj_ccfg_init(struct pj_ccfg *c);
void pj_ccfg_free(struct pj_ccfg *c);

/* Parses a whole file's text (n bytes, NUL bytes refused), checking every
 * line whatever its block, and sets the values of the blocks that match t
 * that are not set yet.  fname names the file in errors ("FILE:LINE: ...").
 * home expands a leading "~/" in paths. */
int pj_ccfg_parse(struct pj_ccfg *c, const char *text, size_t n, const char *fname,
		  const struct pj_target *t, const char *home, pj_err *e);

/* Reads and parses a file held to ssh's rules for its configuration: a
 * regular file owned by owner (or root) and not writable by group or others.
 * Returns 0, 1 when it does not exist, -1 on error. */
int pj_ccfg_load(struct pj_ccfg *c, const char *path, uid_t owner, const struct pj_target *t,
		 const char *home, pj_err *e);

/* Fills defaults and checks that the settings make a client. */
int pj_ccfg_finish(struct pj_ccfg *c, pj_err *e);

/* ssh-style pattern matching: * and ? wildcards, case-insensitive when fold
 * is set. */
int pj_ccfg_match(const char *pattern, const char *name, int fold);

#endif
