/* SPDX-License-Identifier: BSD-3-Clause */
/* The compressed byte array of a Token Status List ("lst",
 * draft-ietf-oauth-status-list: DEFLATE in the ZLIB format, base64url):
 * inflating with a fixed bound and deflating.  zlib lives here only, linked
 * into the fetch helper (which inflates what it fetched) and pam_jwt-tool
 * (which builds lists); never into the PAM module, which reads the inflated
 * bits the helper handed back (src/statuslist.c). */
#ifndef PJ_LST_H
#define PJ_LST_H

#include <stddef.h>

#include "err.h"

/* A ZLIB stream of n bytes into at most max bytes: 0 with *out (malloc'ed)
 * and *outn >= 1; -1 with e: not ZLIB, cut short, bytes after its end, empty,
 * or more than max bytes once inflated (a zip bomb: inflating stops there). */
int pj_lst_inflate(const unsigned char *in, size_t n, size_t max, unsigned char **out, size_t *outn,
		   pj_err *e);

/* n bytes to a ZLIB stream at the highest compression level (as the draft
 * recommends): 0 with *out (malloc'ed), -1 with e. */
int pj_lst_deflate(const unsigned char *in, size_t n, unsigned char **out, size_t *outn, pj_err *e);

/* The status list of a Status List Token (n bytes, compact JWS): its shape
 * checked (src/document.h pj_status_token_shape), its lst base64url-decoded
 * and inflated into at most PJ_STATUS_LIST_MAX bytes.  Nothing about its
 * signature: the caller verifies that.  0 with *out, *outn, *bits; -1 with e. */
int pj_lst_from_token(const char *tok, size_t n, unsigned char **out, size_t *outn, int *bits,
		      pj_err *e);

#endif
