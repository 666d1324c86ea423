/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTPS GET of the fetch helper, with libcurl: https only on every hop,
 * the peer and its name verified, TLS 1.2 or later, no proxy, no netrc, no
 * authentication, a bounded size and time. */
#include "helper.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util.h"

struct body {
	char *p;
	size_t n, cap, max;
	int over;
};

/* Refuses the transfer once it passes the limit, so memory never grows
 * past it whatever the server sends (with or without Content-Length). */
static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	if (n > b->max - b->n) {
		b->over = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		char *p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

/* max-age from a Cache-Control value ("public, max-age=600"); -1 if none. */
static long parse_max_age(const char *v)
{
	while (*v) {
		v += strspn(v, " \t,");
		size_t n = strcspn(v, ",");
		if (n > 8 && pj_ascii_ncasecmp(v, "max-age=", 8) == 0) {
			const char *d = v + 8;
			int quoted = *d == '"';
			d += quoted;
			long x = 0;
			int digits = 0;
			for (; *d >= '0' && *d <= '9'; d++, digits++)
				x = x > 100000000L ? x : x * 10 + (*d - '0');
			if (quoted && *d == '"')
				d++;
			d += strspn(d, " \t");
			if (digits && (*d == ',' || *d == 0))
				return x;
		}
		v += n;
	}
	return -1;
}

static void read_headers(CURL *h, struct ph_response *r)
{
	struct curl_header *hd;
	r->max_age = -1;
	for (size_t i = 0;; i++) {
		if (curl_easy_header(h, "Cache-Control", i, CURLH_HEADER, -1, &hd) != CURLHE_OK)
			break;
		long m = parse_max_age(hd->value);
		if (m >= 0)
			r->max_age = m;
		if (i + 1 >= hd->amount)
			break;
	}
	if (curl_easy_header(h, "ETag", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
		const char *v = hd->value;
		size_t n = strlen(v);
		int ok = n > 0 && n <= PJ_ETAG_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)v[i] > 0x20 && (unsigned char)v[i] < 0x7f;
		if (ok)
			memcpy(r->etag, v, n + 1);
	}
}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK && (rc = curl_easy_setopt(h, opt, val)) != CURLE_OK)            \
			bad_opt = #opt;                                                            \
	} while (0)

int ph_http_get(const struct ph_request *rq, struct ph_response *r, pj_err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "", inm[PJ_ETAG_MAX + 32];
	struct curl_slist *hdrs = NULL, *more;
	const char *bad_opt = NULL;
	struct body body = { NULL, 0, 0, rq->max_bytes, 0 };
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	CURL *h = curl_easy_init();
	if (!h)
		return pj_fail(e, "libcurl: cannot create a handle");
	struct curl_blob blob = { .data = (void *)rq->ca,
				  .len = rq->ca_n,
				  .flags = CURL_BLOB_NOCOPY };
	CURLcode rc = CURLE_OK;
	if (rq->etag && *rq->etag) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", rq->etag);
		if ((more = curl_slist_append(hdrs, inm)))
			hdrs = more;
	}
	char accept[128];
	snprintf(accept, sizeof(accept), "Accept: %s",
		 rq->accept ? rq->accept : "application/json");
	if ((more = curl_slist_append(hdrs, accept)))
		hdrs = more;
	SET(CURLOPT_URL, rq->url);
	/* https only, on every hop of a redirect too. */
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 3L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (rq->ca) {
		/* The private CA alone: not the system's list as well. */
		SET(CURLOPT_CAINFO, (char *)NULL);
		SET(CURLOPT_CAPATH, (char *)NULL);
		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	/* The environment is the one the module built (no proxy variables);
	 * proxies are not used even when run by hand. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_NONE);
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, rq->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->max_bytes);
	/* gzip and deflate if the server offers them (the draft asks status
	 * list servers to): max_bytes bounds what they decode to, in on_data,
	 * so a compressed response cannot grow past it either. */
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, &body);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, "pam_jwt/" PJ_VERSION);
	int ret = -1;
	if (rc != CURLE_OK) {
		pj_fail(e, "libcurl refused %s: %s", bad_opt, curl_easy_strerror(rc));
		goto done;
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (body.over || rc == CURLE_FILESIZE_EXCEEDED)
			pj_fail(e, "response larger than %zu bytes: refused", rq->max_bytes);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			pj_fail(e, "no answer within %ld ms (fetch_timeout)", rq->timeout_ms);
		else
			pj_fail(e, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200 && !(r->status == 304 && rq->etag && *rq->etag)) {
		pj_fail(e, "HTTP status %ld", r->status);
		goto done;
	}
	if (r->status == 200 && body.n == 0) {
		pj_fail(e, "empty response");
		goto done;
	}
	read_headers(h, r);
	if (r->status == 200) {
		r->body = body.p;
		r->n = body.n;
		body.p = NULL;
	}
	ret = 0;
done:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(body.p);
	return ret;
}

#undef SET
