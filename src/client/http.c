/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

struct buf {
	char *p;
	size_t n, cap;
	int too_big;
};

static void buf_wipe(struct buf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->n = b->cap = 0;
}

static size_t on_data(char *d, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->n + n > PJ_HTTP_MAX) {
		b->too_big = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		/* Grow by copying, never realloc: the old block may hold a token. */
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = malloc(cap);
		if (!p)
			return 0;
		if (b->p)
			memcpy(p, b->p, b->n);
		char *old = b->p;
		size_t oldcap = b->cap;
		b->p = p;
		b->cap = cap;
		if (old) {
			OPENSSL_cleanse(old, oldcap);
			free(old);
		}
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

/* URL checks the configuration already made, again, for URLs a provider's
 * discovery document supplies. */
static int url_ok(const char *url, pj_err *e)
{
	if (strncasecmp(url, "https://", 8) != 0)
		return pj_fail(e, "%.200s: only https:// URLs are used", url);
	for (const char *q = url; *q; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return pj_fail(e, "a URL with a space, control or non-ASCII character");
	size_t auth = strcspn(url + 8, "/?#");
	if (auth == 0 || memchr(url + 8, '@', auth))
		return pj_fail(e, "%.200s: no host, or a user name in the URL", url);
	return 0;
}

static int perform(const struct pj_http *h, const char *url, const char *post, size_t postn,
		   struct curl_slist *hdrs, struct pj_http_resp *r, pj_err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct buf b = { 0 };
	memset(r, 0, sizeof(*r));
	if (url_ok(url, e) != 0)
		return -1;
	CURL *c = curl_easy_init();
	if (!c)
		return pj_fail(e, "cannot start libcurl");
	int bad = 0;
#define SET(opt, val) bad |= curl_easy_setopt(c, opt, val) != CURLE_OK
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	/* Discovery may be redirected (https only); a POST never is, so a
	 * secret or a code goes only where it was meant to. */
	SET(CURLOPT_FOLLOWLOCATION, post ? 0L : 1L);
	SET(CURLOPT_MAXREDIRS, 3L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (h->ca_file) {
		SET(CURLOPT_CAINFO, h->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, h->timeout > 0 ? h->timeout : 30L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PJ_HTTP_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, &b);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, "pam_jwt-login/" PJ_VERSION);
	if (post) {
		SET(CURLOPT_POSTFIELDS, post);
		SET(CURLOPT_POSTFIELDSIZE, (long)postn);
	}
#undef SET
	int rc = -1;
	if (bad) {
		pj_fail(e, "libcurl refused an option (libcurl 7.85 or later is needed)");
	} else {
		CURLcode cc = curl_easy_perform(c);
		if (cc != CURLE_OK) {
			if (b.too_big || cc == CURLE_FILESIZE_EXCEEDED)
				pj_fail(e, "%.200s: the answer is larger than %d bytes", url,
					PJ_HTTP_MAX);
			else
				pj_fail(e, "%.200s: %s", url,
					errbuf[0] ? errbuf : curl_easy_strerror(cc));
		} else {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
			if (!b.p && !(b.p = calloc(1, 1))) {
				pj_fail(e, "out of memory");
			} else {
				r->body = b.p;
				r->n = b.n;
				b.p = NULL;
				rc = 0;
			}
		}
	}
	buf_wipe(&b);
	curl_easy_cleanup(c);
	return rc;
}

int pj_http_get(const struct pj_http *h, const char *url, struct pj_http_resp *r, pj_err *e)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	int rc = perform(h, url, NULL, 0, hdrs, r, e);
	curl_slist_free_all(hdrs);
	return rc;
}

/* Appends "name=value" form-encoded (spaces as %20, which every form
 * parser takes) to *s, wiping what it replaces. */
static int form_add(char **s, size_t *n, const char *name, const char *value)
{
	char *k = curl_easy_escape(NULL, name, 0), *v = curl_easy_escape(NULL, value, 0);
	int rc = -1;
	if (k && v) {
		size_t need = *n + strlen(k) + strlen(v) + 3;
		char *p = malloc(need);
		if (p) {
			int w = snprintf(p, need, "%s%s%s=%s", *s ? *s : "", *n ? "&" : "", k, v);
			if (*s) {
				OPENSSL_cleanse(*s, *n);
				free(*s);
			}
			*s = p;
			*n = (size_t)w;
			rc = 0;
		}
	}
	if (v)
		OPENSSL_cleanse(v, strlen(v));
	curl_free(k);
	curl_free(v);
	return rc;
}

static char *basic_header(const char *user, const char *pass)
{
	char *u = curl_easy_escape(NULL, user, 0), *p = curl_easy_escape(NULL, pass, 0);
	char *plain = NULL, *hdr = NULL;
	unsigned char *b64 = NULL;
	if (u && p && asprintf(&plain, "%s:%s", u, p) >= 0) {
		size_t n = strlen(plain), bn = 4 * ((n + 2) / 3) + 1;
		b64 = malloc(bn);
		if (b64) {
			EVP_EncodeBlock(b64, (unsigned char *)plain, (int)n);
			if (asprintf(&hdr, "Authorization: Basic %s", (char *)b64) < 0)
				hdr = NULL;
			OPENSSL_cleanse(b64, bn);
			free(b64);
		}
		OPENSSL_cleanse(plain, n);
		free(plain);
	}
	if (p)
		OPENSSL_cleanse(p, strlen(p));
	curl_free(u);
	curl_free(p);
	return hdr;
}

int pj_http_post_form(const struct pj_http *h, const char *url, const char *const *pairs,
		      const char *basic_user, const char *basic_pass, struct pj_http_resp *r,
		      pj_err *e)
{
	char *form = NULL, *auth = NULL;
	size_t n = 0;
	int rc = -1;
	e->msg[0] = 0;
	for (size_t i = 0; pairs[i]; i += 2)
		if (pairs[i + 1] && form_add(&form, &n, pairs[i], pairs[i + 1]) != 0)
			goto out;
	if (!form && !(form = calloc(1, 1)))
		goto out;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
	if (basic_user) {
		if (!(auth = basic_header(basic_user, basic_pass ? basic_pass : "")))
			goto nomem;
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (!hdrs)
		goto nomem;
	rc = perform(h, url, form, n, hdrs, r, e);
	curl_slist_free_all(hdrs);
	goto out;
nomem:
	curl_slist_free_all(hdrs);
out:
	if (rc != 0 && !e->msg[0])
		pj_fail(e, "out of memory");
	if (form) {
		OPENSSL_cleanse(form, n);
		free(form);
	}
	if (auth) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	return rc;
}

void pj_http_resp_free(struct pj_http_resp *r)
{
	if (r->body) {
		OPENSSL_cleanse(r->body, r->n);
		free(r->body);
	}
	memset(r, 0, sizeof(*r));
}
