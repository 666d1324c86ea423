/* SPDX-License-Identifier: BSD-3-Clause */
#include "statuslist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "keys.h"
#include "token.h"
#include "util.h"

#define SL_MAGIC    "pam_jwt status list 1"
#define USED_MAGIC  "pam_jwt status list use 1"
#define SL_HEAD_MAX (PJ_URL_MAX + PJ_ETAG_MAX + 512)
/* What a login reads first: the header and, for short lists, the entry. */
#define SL_FIRST   4096
#define SL_SUFFIX  ".sl"
#define SL_NUM_MAX 999999999999LL

static const char *const status_names[] = { "valid", "invalid", "suspended" };

/* ---- the token's claim and the URI ---- */

int pj_status_ref(json_t *claims, struct pj_status_ref *ref, pj_err *e)
{
	json_t *st = json_object_get(claims, "status");
	pj_err why;
	memset(ref, 0, sizeof(*ref));
	if (!st)
		return 0;
	if (!json_is_object(st))
		return pj_fail(e, "the status claim is not an object");
	json_t *sl = json_object_get(st, "status_list");
	if (!sl)
		return pj_fail(e, "the status claim names no status_list (the only status "
				  "mechanism supported), so the token's status cannot be checked");
	json_t *idx = json_object_get(sl, "idx"), *uri = json_object_get(sl, "uri");
	if (!json_is_object(sl) || !json_is_integer(idx) || json_integer_value(idx) < 0 ||
	    !json_is_string(uri))
		return pj_fail(e, "the status claim's status_list must hold an idx (a whole "
				  "number, 0 or more) and a uri (a string)");
	if (json_string_length(uri) > PJ_URL_MAX)
		return pj_fail(e, "the status list uri is longer than %d bytes", PJ_URL_MAX);
	memcpy(ref->uri, json_string_value(uri), json_string_length(uri) + 1);
	if (strlen(ref->uri) != json_string_length(uri) || pj_url_check(ref->uri, &why) != 0)
		return pj_fail(e, "the status list uri is not fetched: %s",
			       strlen(ref->uri) != json_string_length(uri) ? "it holds a NUL"
									   : why.msg);
	ref->idx = (unsigned long long)json_integer_value(idx);
	return 1;
}

/* "." and ".." segments would be resolved on the way (libcurl squashes
 * them), so a URI under a prefix could name a document outside it. */
static int has_dot_segment(const char *uri)
{
	const char *path = strchr(uri + 8, '/');
	for (const char *p = path; p && *p; p++) {
		if (*p != '/')
			continue;
		size_t n = strcspn(p + 1, "/?#");
		if ((n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.'))
			return 1;
	}
	for (const char *p = uri; *p; p++)
		if (p[0] == '%' && p[1] == '2' && (p[2] == 'e' || p[2] == 'E'))
			return 1;
	return 0;
}

int pj_status_uri_allowed(const struct pj_config *cfg, const char *uri, pj_err *e)
{
	char shown[120];
	pj_err why;
	pj_sanitize(shown, sizeof(shown), uri, strlen(uri));
	if (pj_url_check(uri, &why) != 0)
		return pj_fail(e, "status list %s is not fetched: %s", shown, why.msg);
	if (cfg->status_list_url.n == 0)
		return pj_fail(e,
			       "the token names status list %s, and no status_list_url is "
			       "configured",
			       shown);
	if (has_dot_segment(uri))
		return pj_fail(e, "status list %s has a . or .. path segment: not fetched", shown);
	for (size_t i = 0; i < cfg->status_list_url.n; i++) {
		const char *p = cfg->status_list_url.v[i];
		size_t n = strlen(p);
		if (strncmp(uri, p, n) != 0)
			continue;
		if (n && (p[n - 1] == '/' || uri[n] == 0 || uri[n] == '/' || uri[n] == '?'))
			return 0;
	}
	return pj_fail(e, "status list %s is outside every status_list_url: not fetched", shown);
}

int pj_status_entry(const unsigned char *list, size_t n, int bits, unsigned long long idx)
{
	unsigned long long entries = (unsigned long long)n * 8 / (unsigned)bits;
	if (idx >= entries)
		return -1;
	unsigned long long bit = idx * (unsigned)bits;
	return (list[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
}

/* ---- the cached form: DIR/HASH.sl ----
 *   pam_jwt status list 1
 *   uri URI
 *   fetched SECONDS        when the server last served or confirmed it
 *   iat SECONDS
 *   exp SECONDS | -
 *   ttl SECONDS | -        the token's ttl claim
 *   etag ETAG              (only when the server sent one)
 *   bits 1|2|4|8
 *   size BYTES             of the bit string
 *   (empty line)
 *   the inflated bit string, exactly size bytes */

struct sl_head {
	long long fetched, iat, exp, ttl; /* exp, ttl: -1 for none */
	int bits;
	size_t size, head_len;
	char etag[PJ_ETAG_MAX + 1];
};

static int num(const char *s, long long *out)
{
	long long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > SL_NUM_MAX)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static int num_or_none(const char *s, long long *out)
{
	if (strcmp(s, "-") == 0) {
		*out = -1;
		return 0;
	}
	return num(s, out);
}

/* Parses the header in buf[0, n) (n bytes read from the file's start). */
static int head_parse(const char *buf, size_t n, const char *uri, struct sl_head *h, pj_err *e)
{
	char line[SL_HEAD_MAX];
	size_t off = 0;
	unsigned seen = 0;
	memset(h, 0, sizeof(*h));
	for (int lineno = 0;; lineno++) {
		const char *nl = memchr(buf + off, '\n', n - off);
		if (!nl)
			return pj_fail(e, "no end of the header");
		size_t len = (size_t)(nl - buf - off);
		if (len >= sizeof(line))
			return pj_fail(e, "header line too long");
		memcpy(line, buf + off, len);
		line[len] = 0;
		off += len + 1;
		if (lineno == 0) {
			if (strcmp(line, SL_MAGIC) != 0)
				return pj_fail(e, "not a pam_jwt status list");
			continue;
		}
		if (!len)
			break;
		char *val = strchr(line, ' ');
		if (!val)
			return pj_fail(e, "malformed header line %d", lineno + 1);
		*val++ = 0;
		long long v = 0;
		unsigned bit;
		int bad = 0;
		if (strcmp(line, "uri") == 0) {
			bit = 1;
			bad = strcmp(val, uri) != 0;
		} else if (strcmp(line, "fetched") == 0) {
			bit = 2;
			bad = num(val, &h->fetched);
		} else if (strcmp(line, "iat") == 0) {
			bit = 4;
			bad = num(val, &h->iat);
		} else if (strcmp(line, "exp") == 0) {
			bit = 8;
			bad = num_or_none(val, &h->exp);
		} else if (strcmp(line, "ttl") == 0) {
			bit = 16;
			bad = num_or_none(val, &h->ttl);
		} else if (strcmp(line, "etag") == 0) {
			bit = 32;
			bad = strlen(val) > PJ_ETAG_MAX;
			if (!bad)
				strcpy(h->etag, val);
		} else if (strcmp(line, "bits") == 0) {
			bit = 64;
			bad = num(val, &v) || (v != 1 && v != 2 && v != 4 && v != 8);
			h->bits = (int)v;
		} else if (strcmp(line, "size") == 0) {
			bit = 128;
			bad = num(val, &v) || v < 1 || v > PJ_STATUS_LIST_MAX;
			h->size = (size_t)v;
		} else {
			return pj_fail(e, "unknown header line %d", lineno + 1);
		}
		if (bad || (seen & bit))
			return pj_fail(e, "bad or repeated \"%s\" line", line);
		seen |= bit;
	}
	if ((seen | 32) != 255)
		return pj_fail(e, "incomplete header");
	h->head_len = off;
	return 0;
}

static int head_render(char *out, size_t outn, const char *uri, const struct sl_head *h)
{
	char exp[32] = "-", ttl[32] = "-", etag[PJ_ETAG_MAX + 8] = "";
	if (h->exp >= 0)
		snprintf(exp, sizeof(exp), "%lld", h->exp);
	if (h->ttl >= 0)
		snprintf(ttl, sizeof(ttl), "%lld", h->ttl);
	if (h->etag[0])
		snprintf(etag, sizeof(etag), "etag %s\n", h->etag);
	int n = snprintf(out, outn,
			 SL_MAGIC "\nuri %s\nfetched %lld\niat %lld\nexp %s\nttl %s\n%sbits %d\n"
				  "size %zu\n\n",
			 uri, h->fetched, h->iat, exp, ttl, etag, h->bits, h->size);
	return n < 0 || (size_t)n >= outn ? -1 : n;
}

/* ---- one list, as a login sees it ---- */

struct view {
	struct pj_cache_loc loc;
	const char *uri;
	struct sl_head h;
	int have;		       /* a usable copy: in fd, or in mem */
	int fd;			       /* the cache file, -1: none */
	unsigned char first[SL_FIRST]; /* its first bytes */
	size_t nfirst;
	unsigned char *mem; /* a fetched list kept in memory */
	enum pj_origin origin;
	int stored;
	pj_err note;
};

static void view_close(struct view *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	free(v->mem);
	v->mem = NULL;
	v->have = 0;
}

static int read_at(int fd, void *buf, size_t n, off_t off, size_t *got)
{
	ssize_t r = pj_pread_upto(fd, buf, n, (unsigned long long)off);
	if (r < 0)
		return -1;
	*got = (size_t)r;
	return 0;
}

/* The cached copy, its header read and checked; a missing, untrusted or
 * broken file is no copy (why says which). */
static void cache_read(struct view *v, pj_err *why)
{
	struct stat st;
	pj_err e;
	v->fd = -1;
	if (v->loc.dir_missing) {
		pj_fail(why, "%s does not exist", v->loc.dir);
		return;
	}
	int fd = pj_open_trusted(v->loc.path, v->loc.cfg->allowed_uid, 0, &st, &e);
	if (fd < 0) {
		pj_fail(why, errno == ENOENT ? "not cached yet" : "cache file: %s", e.msg);
		return;
	}
	if (read_at(fd, v->first, sizeof(v->first), 0, &v->nfirst) != 0 ||
	    head_parse((const char *)v->first, v->nfirst, v->uri, &v->h, &e) != 0 ||
	    (unsigned long long)st.st_size != v->h.head_len + v->h.size) {
		pj_fail(why, "cache file %s: %s", v->loc.path,
			v->h.head_len ? "its size does not match its header" : e.msg);
		close(fd);
		memset(&v->h, 0, sizeof(v->h));
		return;
	}
	v->fd = fd;
	v->have = 1;
	v->origin = PJ_ORIGIN_CACHE;
}

static long ttl_of(const struct pj_config *cfg, const struct sl_head *h)
{
	long t = h->ttl < 0 ? cfg->status_list_ttl_max
			    : (h->ttl > cfg->status_list_ttl_max ? cfg->status_list_ttl_max
								 : (long)h->ttl);
	return t < cfg->status_list_ttl_min ? cfg->status_list_ttl_min : t;
}

static long age_of(const struct sl_head *h, time_t now)
{
	return (long long)now > h->fetched ? (long)((long long)now - h->fetched) : 0;
}

static int expired(const struct pj_config *cfg, const struct sl_head *h, time_t now)
{
	return h->exp >= 0 && (long long)now >= h->exp + cfg->leeway;
}

static int fresh(const struct pj_config *cfg, const struct sl_head *h, time_t now)
{
	return h->fetched <= (long long)now + 60 && age_of(h, now) < ttl_of(cfg, h) &&
	       !expired(cfg, h, now);
}

/* The entry, from the copy in memory or with at most one more pread. */
static int view_entry(const struct view *v, unsigned long long idx, int *val, pj_err *e)
{
	unsigned long long entries = (unsigned long long)v->h.size * 8 / (unsigned)v->h.bits;
	if (idx >= entries)
		return pj_fail(e, "index %llu is past the end of status list %s (%llu entries)",
			       idx, v->uri, entries);
	if (v->mem) {
		*val = pj_status_entry(v->mem, v->h.size, v->h.bits, idx);
		return 0;
	}
	unsigned long long bit = idx * (unsigned)v->h.bits;
	size_t off = v->h.head_len + (size_t)(bit / 8), got;
	unsigned char byte;
	if (off < v->nfirst)
		byte = v->first[off];
	else if (read_at(v->fd, &byte, 1, (off_t)off, &got) != 0 || got != 1)
		return pj_fail(e, "status list %s: its cache file changed while being read",
			       v->uri);
	*val = (byte >> (bit % 8)) & ((1u << v->h.bits) - 1);
	return 0;
}

/* ---- the Status List Token, as fetched ---- */

struct sig_ctx {
	const struct pj_token *t;
	pj_err last;
};

static int try_key(const struct pj_key *key, void *arg, pj_err *e)
{
	struct sig_ctx *c = arg;
	(void)e;
	return pj_sig_verify(c->t->alg, key, (const unsigned char *)c->t->signing_input,
			     c->t->signing_input_len, c->t->sig, c->t->sig_len, &c->last) == 0;
}

static long long clamp_num(double x)
{
	return x < 0 ? 0 : x > (double)SL_NUM_MAX ? SL_NUM_MAX : (long long)x;
}

/* Everything the draft asks of the token, with this configuration's keys. */
static int token_verify(const struct pj_config *cfg, const char *body, size_t n, const char *uri,
			time_t now, struct sl_head *h, pj_err *e)
{
	struct pj_token t;
	struct sig_ctx c = { .t = &t };
	const char *lst;
	size_t lst_n;
	unsigned tried = 0;
	pj_err why = { "" };
	int rc = -1;
	while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		n--;
	if (pj_token_parse_max(body, n, PJ_FETCH_MAX, cfg->algorithms, &t, &why) != 0) {
		pj_fail(e, "not a Status List Token: %s", why.msg);
		goto done;
	}
	if (pj_status_token_shape(t.header, t.claims, &h->bits, &lst, &lst_n, &why) != 0) {
		pj_fail(e, "not a Status List Token: %s", why.msg);
		goto done;
	}
	/* Issuer keys only: a user's own key (user_jwks_file) never speaks for
	 * the provider. */
	int k = pj_keys_each(cfg, t.alg, t.kid, try_key, &c, &tried, &why);
	if (k != 1) {
		pj_fail(e, "its signature does not verify with the provider's keys (%s)",
			k < 0	? why.msg
			: tried ? c.last.msg
				: (why.msg[0] ? why.msg : "no key fits its alg and kid"));
		goto done;
	}
	const char *sub = json_string_value(json_object_get(t.claims, "sub"));
	if (strcmp(sub, uri) != 0) {
		pj_fail(e, "its sub is not its URI");
		goto done;
	}
	double iat = json_number_value(json_object_get(t.claims, "iat"));
	json_t *exp = json_object_get(t.claims, "exp"), *ttl = json_object_get(t.claims, "ttl");
	if (iat > (double)now + (double)cfg->leeway) {
		pj_fail(e, "it was issued in the future (iat %.0f)", iat);
		goto done;
	}
	h->iat = clamp_num(iat);
	h->exp = exp ? clamp_num(json_number_value(exp)) : -1;
	h->ttl = ttl ? clamp_num(json_number_value(ttl)) : -1;
	if (exp && (double)now >= json_number_value(exp) + (double)cfg->leeway) {
		pj_fail(e, "it expired %.0f s ago", (double)now - json_number_value(exp));
		goto done;
	}
	rc = 0;
done:
	pj_token_free(&t);
	return rc;
}

/* ---- cache writes ---- */

static int store(const struct view *v, const unsigned char *bits, pj_err *e)
{
	char head[SL_HEAD_MAX + 64];
	struct stat st;
	pj_err why;
	int hn = head_render(head, sizeof(head), v->uri, &v->h);
	if (hn < 0)
		return pj_fail(e, "not cached: header too long");
	if (v->loc.dir_missing &&
	    ((mkdir(v->loc.dir, 0755) != 0 && errno != EEXIST) || chmod(v->loc.dir, 0755) != 0))
		return pj_fail(e, "not cached: cannot create %s: %s", v->loc.dir, strerror(errno));
	char *text = malloc((size_t)hn + v->h.size);
	if (!text)
		return pj_fail(e, "not cached: out of memory");
	memcpy(text, head, (size_t)hn);
	memcpy(text + hn, bits, v->h.size);
	int rc = pj_write_atomic(v->loc.path, text, (size_t)hn + v->h.size, &st, &why);
	free(text);
	return rc == 0 ? 0 : pj_fail(e, "not cached: %s", why.msg);
}

/* HTTP 304: the copy the login read is confirmed now; it is rewritten whole
 * (the bit string after the new header) unless another process replaced it
 * meanwhile. */
static int renew(struct view *v, time_t now, const char *etag, pj_err *e)
{
	size_t got;
	unsigned char *bits = malloc(v->h.size);
	if (!bits)
		return pj_fail(e, "not cached: out of memory");
	if (read_at(v->fd, bits, v->h.size, (off_t)v->h.head_len, &got) != 0 || got != v->h.size) {
		free(bits);
		return pj_fail(e, "not cached: the cached copy changed meanwhile");
	}
	v->h.fetched = (long long)now;
	if (etag[0])
		snprintf(v->h.etag, sizeof(v->h.etag), "%s", etag);
	int rc = store(v, bits, e);
	/* Evaluated from memory from now on: the fd may be the replaced file. */
	close(v->fd);
	v->fd = -1;
	v->mem = bits;
	return rc;
}

/* ---- finding a usable copy: cache, stamp, fetch, outage ---- */

static int use_stale(const struct pj_config *cfg, struct view *v, time_t now, const char *why_old,
		     const char *fail, pj_err *e)
{
	if (!v->have)
		return pj_fail(e, "status list %s: no usable copy (%s); %s", v->uri, why_old, fail);
	if (expired(cfg, &v->h, now))
		return pj_fail(e, "status list %s: the cached copy expired (exp %lld); %s", v->uri,
			       v->h.exp, fail);
	long age = age_of(&v->h, now);
	if (age > cfg->status_list_max_stale)
		return pj_fail(e,
			       "status list %s: copy %ld s old, over status_list_max_stale "
			       "(%ld s); %s",
			       v->uri, age, cfg->status_list_max_stale, fail);
	v->origin = PJ_ORIGIN_STALE;
	pj_fail(&v->note, "%s", fail);
	return 0;
}

static int view_open(const struct pj_config *cfg, const char *iss, const char *uri,
		     enum pj_want want, time_t now, struct view *v, pj_err *e)
{
	char key[2 * PJ_URL_MAX + 32], fail[2 * PJ_ERR_MAX];
	struct pj_fetch_call call = { 0 };
	struct pj_fetched fx;
	pj_err cache_why = { "" }, why;
	long since;
	memset(v, 0, sizeof(*v));
	v->fd = -1;
	v->uri = uri;
	if (cfg->status_list_ttl_min > cfg->status_list_ttl_max)
		return pj_fail(e, "status_list_ttl_min (%ld) is above status_list_ttl_max (%ld)",
			       cfg->status_list_ttl_min, cfg->status_list_ttl_max);
	/* One copy per issuer and URI: a list is only ever judged with the keys
	 * of the provider whose tokens name it. */
	snprintf(key, sizeof(key), "status_list\n%s\n%s", iss, uri);
	if (pj_cache_place(cfg, key, SL_SUFFIX, &v->loc, e) != 0)
		return -1;
	cache_read(v, &cache_why);
	if (want == PJ_WANT_CACHE_ONLY) {
		if (!v->have)
			return pj_fail(e, "status list %s: %s", uri, cache_why.msg);
		v->origin = fresh(cfg, &v->h, now) ? PJ_ORIGIN_CACHE : PJ_ORIGIN_STALE;
		return 0;
	}
	if (want == PJ_WANT_CACHED && v->have && fresh(cfg, &v->h, now))
		return 0;
	if (want != PJ_WANT_NOW && pj_stamp_recent(&v->loc, &since)) {
		snprintf(fail, sizeof(fail),
			 "not fetched: a login tried %ld s ago (jwks_refetch_interval %ld s)",
			 since, cfg->jwks_refetch_interval);
		return use_stale(cfg, v, now, cache_why.msg, fail, e);
	}
	if (pj_fetch_get(cfg, &call, uri, PJ_DOC_STATUS_LIST, v->have ? v->h.etag : NULL, NULL,
			 NULL, &fx, &why) != 0) {
		snprintf(fail, sizeof(fail), "fetch failed: %s", why.msg);
		return want == PJ_WANT_NOW ? pj_fail(e, "status list %s: %s", uri, fail)
					   : use_stale(cfg, v, now, cache_why.msg, fail, e);
	}
	now = time(NULL);
	if (fx.f.status == 304) {
		if (!v->have) {
			pj_fetched_free(&fx);
			return pj_fail(e, "status list %s: HTTP 304 without a cached copy", uri);
		}
		v->origin = PJ_ORIGIN_NOT_MODIFIED;
		v->stored = renew(v, now, fx.f.etag, &v->note) == 0;
		pj_fetched_free(&fx);
		if (!v->mem)
			return pj_fail(e, "status list %s: %s", uri, v->note.msg);
		return 0;
	}
	struct sl_head h = { 0 };
	if (token_verify(cfg, fx.f.body, fx.f.body_n, uri, now, &h, &why) != 0) {
		/* A bad list never replaces a good copy, nor counts as one. */
		snprintf(fail, sizeof(fail), "bad status list: %s", why.msg);
		pj_fetched_free(&fx);
		return want == PJ_WANT_NOW ? pj_fail(e, "status list %s: %s", uri, fail)
					   : use_stale(cfg, v, now, cache_why.msg, fail, e);
	}
	view_close(v);
	h.fetched = (long long)now;
	h.size = fx.f.list_n;
	snprintf(h.etag, sizeof(h.etag), "%s", fx.f.etag);
	v->h = h;
	v->mem = malloc(h.size);
	if (!v->mem) {
		pj_fetched_free(&fx);
		return pj_fail(e, "out of memory");
	}
	memcpy(v->mem, fx.f.list, h.size);
	pj_fetched_free(&fx);
	v->have = 1;
	v->origin = PJ_ORIGIN_FETCHED;
	v->stored = store(v, v->mem, &v->note) == 0;
	return 0;
}

/* ---- which lists logins used: DIR/HASH.sl.used ---- */

/* Printable, no spaces: what a line of the record can hold and read back. */
static int plain(const char *s)
{
	size_t n = strlen(s);
	if (n > PJ_URL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* At most once per PJ_STATUS_USED_EVERY: a stat otherwise, nothing written.
 * Failing (a host that is not root) changes nothing for the login. */
static void mark_used(const struct view *v, const char *iss, time_t now)
{
	char path[PATH_MAX + 8], text[2 * PJ_URL_MAX + 64];
	struct stat st;
	pj_err ignore;
	if (v->loc.dir_missing || !plain(iss) ||
	    snprintf(path, sizeof(path), "%s.used", v->loc.path) >= (int)sizeof(path))
		return;
	if (lstat(path, &st) == 0 && st.st_mtime <= now + 60 &&
	    st.st_mtime > now - PJ_STATUS_USED_EVERY)
		return;
	int n = snprintf(text, sizeof(text), USED_MAGIC "\niss %s\nuri %s\n", iss, v->uri);
	if (n > 0 && (size_t)n < sizeof(text))
		pj_write_atomic(path, text, (size_t)n, &st, &ignore);
}

static int used_parse(char *text, char **iss, char **uri)
{
	char *l1 = strtok(text, "\n"), *l2 = strtok(NULL, "\n"), *l3 = strtok(NULL, "\n");
	if (!l1 || !l2 || !l3 || strtok(NULL, "\n") || strcmp(l1, USED_MAGIC) != 0 ||
	    strncmp(l2, "iss ", 4) != 0 || strncmp(l3, "uri ", 4) != 0)
		return -1;
	*iss = l2 + 4;
	*uri = l3 + 4;
	return 0;
}

int pj_status_used_each(const struct pj_config *cfg, pj_status_used_fn fn, void *ctx, pj_err *e)
{
	const char *dir = cfg->cache_dir ? cfg->cache_dir : PJ_DEFAULT_CACHE_DIR;
	pj_err why;
	if (pj_dir_trusted(dir, cfg->allowed_uid, &why) != 0)
		return errno == ENOENT ? 0 : pj_fail(e, "cache_dir %s", why.msg);
	DIR *d = opendir(dir);
	if (!d)
		return pj_fail(e, "cannot read %s: %s", dir, strerror(errno));
	time_t now = time(NULL);
	for (struct dirent *de; (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX], *text, *iss, *uri;
		struct stat st;
		size_t tn;
		if (n != 64 + strlen(SL_SUFFIX ".used") ||
		    strcmp(de->d_name + 64, SL_SUFFIX ".used") != 0 ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) != 0 || st.st_mtime < now - PJ_STATUS_USED_WINDOW)
			continue;
		if (pj_read_trusted_file(path, 4 * PJ_URL_MAX, cfg->allowed_uid, 0, &text, &tn,
					 NULL, &why) != 0)
			continue;
		if (used_parse(text, &iss, &uri) == 0)
			fn(iss, uri, ctx);
		free(text);
	}
	closedir(d);
	return 0;
}

/* ---- the login's check and the tool's ---- */

static const char *iss_of(json_t *claims)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	return iss ? iss : "";
}

int pj_status_check(const struct pj_config *cfg, json_t *claims, time_t now, pj_err *e)
{
	struct pj_status_ref ref;
	struct view v;
	int val = 0;
	if (cfg->status_list == PJ_STATUS_OFF)
		return 0;
	int rc = pj_status_ref(claims, &ref, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cfg->status_list == PJ_STATUS_REQUIRE
			       ? pj_fail(e, "status_list = require and the token has no status")
			       : 0;
	if (pj_status_uri_allowed(cfg, ref.uri, e) != 0)
		return -1;
	const char *iss = iss_of(claims);
	if (view_open(cfg, iss, ref.uri, PJ_WANT_CACHED, now, &v, e) != 0) {
		view_close(&v);
		return -1;
	}
	rc = -1;
	if (expired(cfg, &v.h, now))
		pj_fail(e, "status list %s expired (exp %lld)", ref.uri, v.h.exp);
	else if (view_entry(&v, ref.idx, &val, e) != 0)
		;
	else if (val != 0)
		pj_fail(e, "the token's status is %d (%s) in status list %s, index %llu", val,
			val < 3 ? status_names[val] : "not valid", ref.uri, ref.idx);
	else
		rc = 0;
	if (rc == 0 || val != 0)
		mark_used(&v, iss, now);
	view_close(&v);
	return rc;
}

int pj_status_fetch(const struct pj_config *cfg, const char *iss, const char *uri,
		    enum pj_want want, struct pj_status_info *info, pj_err *e)
{
	struct view v;
	time_t now = time(NULL);
	memset(info, 0, sizeof(*info));
	if (pj_status_uri_allowed(cfg, uri, e) != 0)
		return -1;
	int rc = view_open(cfg, iss, uri, want, now, &v, e);
	if (rc == 0) {
		info->origin = v.origin;
		info->age = age_of(&v.h, time(NULL));
		info->ttl = ttl_of(cfg, &v.h);
		info->max_stale = cfg->status_list_max_stale;
		info->exp = v.h.exp;
		info->bits = v.h.bits;
		info->entries = v.h.size * 8 / (size_t)v.h.bits;
		info->stored = v.stored;
		memcpy(info->etag, v.h.etag, sizeof(info->etag));
		info->note = v.note;
	}
	view_close(&v);
	return rc;
}

int pj_status_token_verify(const struct pj_config *cfg, const char *tok, size_t n, const char *uri,
			   time_t now, struct pj_status_info *info, pj_err *e)
{
	struct sl_head h = { 0 };
	memset(info, 0, sizeof(*info));
	if (token_verify(cfg, tok, n, uri, now, &h, e) != 0)
		return -1;
	info->bits = h.bits;
	info->exp = h.exp;
	info->ttl = ttl_of(cfg, &h);
	return 0;
}
