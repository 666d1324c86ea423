/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTPS for pam_jwt-login (libcurl, linked: only the client package needs
 * it): GET for discovery, form POSTs for the token and device endpoints.
 * https only, certificates and names verified, TLS 1.2 or later, no
 * cookies, no .netrc, bodies up to 1 MiB. */
#ifndef PJ_CLIENT_HTTP_H
#define PJ_CLIENT_HTTP_H

#include <stddef.h>

#include "err.h"

#define PJ_HTTP_MAX (1 << 20)

struct pj_http {
	const char *ca_file; /* NULL: the system's CAs */
	long timeout;	     /* seconds per request */
};

struct pj_http_resp {
	long status;
	char *body; /* NUL-terminated; wiped when freed (it may hold tokens) */
	size_t n;
};

int pj_http_get(const struct pj_http *h, const char *url, struct pj_http_resp *r, pj_err *e);

/* POSTs application/x-www-form-urlencoded pairs (names and values, NULL
 * after the last; a NULL value skips the pair).  With basic_user set, the
 * client authenticates with HTTP Basic as RFC 6749 2.3.1 says (both parts
 * form-encoded first). */
int pj_http_post_form(const struct pj_http *h, const char *url, const char *const *pairs,
		      const char *basic_user, const char *basic_pass, struct pj_http_resp *r,
		      pj_err *e);

void pj_http_resp_free(struct pj_http_resp *r);

#endif
