/* SPDX-License-Identifier: BSD-3-Clause */
#include "lst.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "document.h"
#include "token.h"
#include "util.h"

int pj_lst_inflate(const unsigned char *in, size_t n, size_t max, unsigned char **out, size_t *outn,
		   pj_err *e)
{
	z_stream z;
	size_t cap = n * 4 < 65536 ? 65536 : n * 4, have = 0;
	unsigned char *buf;
	int rc;
	*out = NULL;
	*outn = 0;
	if (n == 0 || n > 0x7fffffffu)
		return pj_fail(e, "lst is empty or too long");
	if (cap > max + 1)
		cap = max + 1;
	if (!(buf = malloc(cap)))
		return pj_fail(e, "out of memory");
	memset(&z, 0, sizeof(z));
	/* inflateInit: the ZLIB format only (header and Adler-32 checked). */
	if (inflateInit(&z) != Z_OK) {
		free(buf);
		return pj_fail(e, "zlib cannot start");
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	for (;;) {
		if (have == cap) {
			/* One byte past the bound proves the bound is passed. */
			if (cap > max) {
				rc = pj_fail(e, "lst inflates to more than %zu bytes (the bound)",
					     max);
				goto fail;
			}
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			unsigned char *p = realloc(buf, ncap);
			if (!p) {
				rc = pj_fail(e, "out of memory");
				goto fail;
			}
			buf = p;
			cap = ncap;
		}
		size_t room = cap - have;
		z.next_out = buf + have;
		z.avail_out = room > 0x40000000u ? 0x40000000u : (uInt)room;
		uInt before = z.avail_out;
		rc = inflate(&z, Z_NO_FLUSH);
		have += before - z.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0))
			continue;
		if (rc == Z_BUF_ERROR) {
			rc = pj_fail(e, "lst is cut short (the ZLIB stream does not end)");
			goto fail;
		}
		rc = pj_fail(e, "lst is not a ZLIB stream (%s)", z.msg ? z.msg : "corrupt");
		goto fail;
	}
	if (have > max) {
		rc = pj_fail(e, "lst inflates to more than %zu bytes (the bound)", max);
		goto fail;
	}
	if (z.avail_in != 0) {
		rc = pj_fail(e, "lst has %u bytes after the end of its ZLIB stream",
			     (unsigned)z.avail_in);
		goto fail;
	}
	if (have == 0) {
		rc = pj_fail(e, "lst inflates to nothing");
		goto fail;
	}
	inflateEnd(&z);
	*out = buf;
	*outn = have;
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return rc;
}

int pj_lst_deflate(const unsigned char *in, size_t n, unsigned char **out, size_t *outn, pj_err *e)
{
	uLong bound = compressBound((uLong)n);
	unsigned char *buf = malloc(bound);
	uLongf got = bound;
	*out = NULL;
	if (!buf)
		return pj_fail(e, "out of memory");
	if (compress2(buf, &got, in, (uLong)n, Z_BEST_COMPRESSION) != Z_OK) {
		free(buf);
		return pj_fail(e, "zlib cannot compress the list");
	}
	*out = buf;
	*outn = got;
	return 0;
}

int pj_lst_from_token(const char *tok, size_t n, unsigned char **out, size_t *outn, int *bits,
		      pj_err *e)
{
	struct pj_token t;
	const char *lst;
	size_t lst_n, zn;
	unsigned char *z = NULL;
	pj_err why;
	int rc = -1;
	*out = NULL;
	/* A file served as is often ends in a newline; a JWS never does. */
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		n--;
	if (pj_token_parse_max(tok, n, PJ_FETCH_MAX, PJ_ALGS_ALL, &t, &why) != 0)
		pj_fail(e, "not a Status List Token: %s", why.msg);
	else if (pj_status_token_shape(t.header, t.claims, bits, &lst, &lst_n, &why) != 0)
		pj_fail(e, "not a Status List Token: %s", why.msg);
	else if (pj_b64url_decode(lst, lst_n, &z, &zn, &why) != 0)
		pj_fail(e, "status_list lst: %s", why.msg);
	else if (pj_lst_inflate(z, zn, PJ_STATUS_LIST_MAX, out, outn, &why) != 0)
		pj_fail(e, "status_list: %s", why.msg);
	else
		rc = 0;
	free(z);
	pj_token_free(&t);
	return rc;
}
