/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenID Connect discovery and the OAuth 2.0 grants pam_jwt-login uses: the
 * device authorization grant (RFC 8628), refresh tokens and client
 * credentials (RFC 6749), with resource indicators (RFC 8707).  The parsers
 * take what a provider sent, unchecked; they are fuzzed
 * (tests/fuzz/fuzz_client.c). */
#ifndef PJ_CLIENT_OAUTH_H
#define PJ_CLIENT_OAUTH_H

#include <stddef.h>

#include "client/cache.h"
#include "client/conf.h"
#include "client/http.h"
#include "err.h"

struct pj_discovery {
	char *issuer, *token_endpoint, *device_endpoint;
};

struct pj_device_auth {
	char *device_code, *user_code, *verification_uri, *verification_uri_complete;
	long expires_in, interval;
};

enum pj_tok {
	PJ_TOK_OK,
	PJ_TOK_PENDING,	      /* authorization_pending: poll again */
	PJ_TOK_SLOW_DOWN,     /* slow_down: poll again, 5 s further apart */
	PJ_TOK_DENIED,	      /* access_denied */
	PJ_TOK_EXPIRED,	      /* expired_token: the device code expired */
	PJ_TOK_INVALID_GRANT, /* invalid_grant: e.g. a refresh token no longer valid */
	PJ_TOK_UNREACHABLE,   /* no answer (network, TLS): maybe worth a retry */
	PJ_TOK_FAIL	      /* anything else; the reason is in e */
};

/* want_issuer: the configured Issuer, which the document's must equal
 * (OpenID Connect Discovery 4.3); NULL to take the document's. */
int pj_oauth_parse_discovery(const char *body, size_t n, const char *want_issuer,
			     struct pj_discovery *d, pj_err *e);
void pj_discovery_free(struct pj_discovery *d);

int pj_oauth_parse_device(long status, const char *body, size_t n, struct pj_device_auth *d,
			  pj_err *e);
void pj_device_auth_free(struct pj_device_auth *d);

/* A token endpoint's answer.  On PJ_TOK_OK t holds the tokens, expires_at
 * from expires_in and, when the access token is a JWT, no later than its
 * exp; obtained_at is now. */
enum pj_tok pj_oauth_parse_token(long status, const char *body, size_t n, long long now,
				 struct pj_tokens *t, pj_err *e);

/* A provider conversation for one configuration. */
struct pj_oauth {
	const struct pj_ccfg *cfg;
	struct pj_http http;
	struct pj_discovery disco;
	char *secret; /* from ClientSecretFile, wiped */
};

int pj_oauth_start(struct pj_oauth *o, const struct pj_ccfg *cfg, pj_err *e);
void pj_oauth_end(struct pj_oauth *o);
int pj_oauth_discover(struct pj_oauth *o, pj_err *e);
enum pj_tok pj_oauth_refresh(struct pj_oauth *o, const char *refresh_token, struct pj_tokens *t,
			     pj_err *e);
enum pj_tok pj_oauth_client_credentials(struct pj_oauth *o, struct pj_tokens *t, pj_err *e);
int pj_oauth_device_start(struct pj_oauth *o, struct pj_device_auth *d, pj_err *e);
enum pj_tok pj_oauth_device_poll(struct pj_oauth *o, const struct pj_device_auth *d,
				 struct pj_tokens *t, pj_err *e);

/* Reads a client secret from a file held to the rules for private keys. */
int pj_read_secret_file(const char *path, char **out, pj_err *e);

/* Copies at most max bytes of s into dst for a terminal: printable ASCII
 * only, anything else as '?', so a provider cannot send escape sequences. */
void pj_printable(char *dst, size_t dstn, const char *s);

#endif
