/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-fetch, the fetch helper: the only program of pam_jwt that loads
 * libcurl.  main.c reads the arguments the module (src/fetch.c) passes,
 * stores what it fetched in the cache when it can and answers over stdout
 * (src/frame.h); http.c is the HTTPS GET. */
#ifndef PJ_FETCHHELPER_H
#define PJ_FETCHHELPER_H

#include <stddef.h>

#include "err.h"
#include "frame.h"

struct ph_request {
	const char *url;
	const char *etag; /* If-None-Match; NULL: none */
	const char *ca;	  /* PEM CA certificates that alone are trusted; NULL: the system's */
	size_t ca_n;
	long timeout_ms; /* connection, TLS and transfer together */
	size_t max_bytes;
	const char *accept; /* the Accept header's value; NULL: application/json */
};

struct ph_response {
	long status;  /* 200, or 304 when an ETag was sent */
	long max_age; /* -1: none */
	char etag[PJ_ETAG_MAX + 1];
	char *body; /* malloc'ed, NUL after n bytes; NULL for 304 */
	size_t n;
};

/* One GET.  0 with r filled (the caller frees r->body), or -1 with e saying
 * why there is no answer. */
int ph_http_get(const struct ph_request *rq, struct ph_response *r, pj_err *e);

#endif
