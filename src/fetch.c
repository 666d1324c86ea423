/* SPDX-License-Identifier: BSD-3-Clause */
#include "fetch.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only the types and constants: libcurl itself is dlopen'ed (fetch_get). */
#include <curl/curl.h>

#include <openssl/evp.h>

#include "config.h"
#include "keys.h"
#include "token.h"
#include "util.h"

#define CACHE_MAGIC "pam_jwt cache 1"
/* The metadata lines before the body. */
#define CACHE_HEAD_MAX (PJ_URL_MAX + PJ_ETAG_MAX + 256)

/* ---- URLs ---- */

int pj_url_check(const char *url, pj_err *e)
{
	size_t n = strlen(url);
	if (pj_ascii_ncasecmp(url, "https://", 8) != 0)
		return pj_fail(e, "only https:// URLs are fetched");
	if (n > PJ_URL_MAX)
		return pj_fail(e, "URL longer than %d bytes", PJ_URL_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return pj_fail(e, "URL has a space, control or non-ASCII character");
	const char *host = url + 8;
	size_t authority = strcspn(host, "/?#");
	if (authority == 0)
		return pj_fail(e, "URL has no host");
	/* Credentials in a URL would be sent to the server: none are, ever. */
	if (memchr(host, '@', authority))
		return pj_fail(e, "URL must not carry a user name or password");
	return 0;
}

/* ---- the cache directory ---- */

struct cache {
	const struct pj_config *cfg;
	const char *url;
	const char *dir;
	int dir_missing; /* no cache_dir (yet): nothing cached, nothing recorded */
	char path[PATH_MAX];
	char stamp[PATH_MAX];
};

static int sha256_hex(const char *s, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned mdn = 0;
	if (EVP_Digest(s, strlen(s), md, &mdn, EVP_sha256(), NULL) != 1 || mdn != 32)
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = 0;
	return 0;
}

/* Who can write cache_dir can make a login trust any key, like who can write
 * a key_file: it (and every directory above it) must belong to root (or the
 * tool's user) and be closed to group and others. */
static int dir_check(struct cache *c, pj_err *e)
{
	pj_err why;
	if (pj_dir_trusted(c->dir, c->cfg->allowed_uid, &why) == 0)
		return 0;
	if (errno != ENOENT)
		return pj_fail(e, "cache_dir %s", why.msg);
	c->dir_missing = 1;
	return 0;
}

static int cache_open(const struct pj_config *cfg, const char *url, struct cache *c, pj_err *e)
{
	char hex[65];
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->url = url;
	c->dir = cfg->cache_dir ? cfg->cache_dir : PJ_DEFAULT_CACHE_DIR;
	if (cfg->fetch_timeout < 1)
		return pj_fail(e, "fetch_timeout must be at least 1 second");
	if (cfg->jwks_ttl_min > cfg->jwks_ttl_max)
		return pj_fail(e, "jwks_ttl_min (%ld) is above jwks_ttl_max (%ld)",
			       cfg->jwks_ttl_min, cfg->jwks_ttl_max);
	if (sha256_hex(url, hex) != 0)
		return pj_fail(e, "cannot hash the URL");
	if (snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, hex) >= (int)sizeof(c->path) ||
	    snprintf(c->stamp, sizeof(c->stamp), "%s.stamp", c->path) >= (int)sizeof(c->stamp))
		return pj_fail(e, "cache_dir path too long");
	return dir_check(c, e);
}

/* ---- a cached document ---- */

enum kind { KIND_JWKS, KIND_DISCOVERY };

struct entry {
	int have;
	time_t fetched;
	long max_age; /* -1: the server sent none */
	char etag[PJ_ETAG_MAX + 1];
	char *body;
	size_t n;
	json_t *json;
};

static void entry_free(struct entry *en)
{
	free(en->body);
	json_decref(en->json);
	memset(en, 0, sizeof(*en));
}

/* What a document must be before it is cached or used, so that a broken
 * response never replaces a good copy. */
static json_t *doc_parse(const char *body, size_t n, enum kind kind, pj_err *e)
{
	pj_err why;
	json_t *doc = pj_json_object((const unsigned char *)body, n, "the document", &why);
	if (!doc) {
		pj_fail(e, "%s", why.msg);
		return NULL;
	}
	if (kind == KIND_JWKS) {
		json_t *keys = json_object_get(doc, "keys");
		if (!json_is_array(keys))
			pj_fail(e, "no \"keys\" array");
		/* Secrets and private keys have no business on the network or in
		 * a world-readable cache: a JWKS holding one is refused whole. */
		else if (pj_jwks_has_secret(keys))
			pj_fail(e, "it holds a secret (oct) key or private key members");
		else
			return doc;
	} else {
		json_t *uri = json_object_get(doc, "jwks_uri");
		if (!json_is_string(uri))
			pj_fail(e, "no \"jwks_uri\" string");
		else if (pj_url_check(json_string_value(uri), &why) != 0)
			pj_fail(e, "jwks_uri: %s", why.msg);
		else
			return doc;
	}
	json_decref(doc);
	return NULL;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/*   pam_jwt cache 1
 *   url URL
 *   fetched SECONDS-SINCE-EPOCH
 *   max-age SECONDS | -
 *   etag ETAG          (only when the server sent one)
 *   (empty line)
 *   the body as received */
static int entry_parse(char *text, size_t n, const char *url, struct entry *en, pj_err *e)
{
	char *p = text, *end = text + n;
	int seen_url = 0, seen_fetched = 0, seen_age = 0, lineno = 0;
	if (n < sizeof(CACHE_MAGIC) || memcmp(text, CACHE_MAGIC "\n", sizeof(CACHE_MAGIC)) != 0)
		return pj_fail(e, "not a pam_jwt cache file");
	for (;;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return pj_fail(e, "no end of the metadata");
		*nl = 0;
		char *line = p;
		p = nl + 1;
		if (lineno++ == 0) {
			if (strcmp(line, CACHE_MAGIC) != 0)
				return pj_fail(e, "not a pam_jwt cache file");
			continue;
		}
		if (!*line)
			break;
		char *val = strchr(line, ' ');
		if (!val)
			return pj_fail(e, "malformed line %d", lineno);
		*val++ = 0;
		if (strcmp(line, "url") == 0) {
			if (strcmp(val, url) != 0)
				return pj_fail(e, "holds another URL");
			seen_url = 1;
		} else if (strcmp(line, "fetched") == 0) {
			long t;
			if (parse_long(val, &t) != 0 || t < 0)
				return pj_fail(e, "bad fetched time");
			en->fetched = (time_t)t;
			seen_fetched = 1;
		} else if (strcmp(line, "max-age") == 0) {
			if (strcmp(val, "-") == 0)
				en->max_age = -1;
			else if (parse_long(val, &en->max_age) != 0 || en->max_age < 0)
				return pj_fail(e, "bad max-age");
			seen_age = 1;
		} else if (strcmp(line, "etag") == 0) {
			if (strlen(val) > PJ_ETAG_MAX)
				return pj_fail(e, "etag too long");
			strcpy(en->etag, val);
		} else {
			return pj_fail(e, "unknown line %d", lineno);
		}
	}
	if (!seen_url || !seen_fetched || !seen_age)
		return pj_fail(e, "incomplete metadata");
	en->n = (size_t)(end - p);
	if (!(en->body = malloc(en->n + 1)))
		return pj_fail(e, "out of memory");
	memcpy(en->body, p, en->n);
	en->body[en->n] = 0;
	return 0;
}

/* Reads the cached copy; a missing, untrusted or broken file is no copy
 * (never used), with the reason kept for the message if nothing else works. */
static void entry_load(const struct cache *c, enum kind kind, struct entry *en, pj_err *why)
{
	char *text;
	size_t n;
	pj_err e;
	memset(en, 0, sizeof(*en));
	en->max_age = -1;
	if (c->dir_missing) {
		pj_fail(why, "%s does not exist", c->dir);
		return;
	}
	struct stat st;
	if (lstat(c->path, &st) != 0 && errno == ENOENT) {
		pj_fail(why, "not cached yet");
		return;
	}
	if (pj_read_trusted_file(c->path, PJ_FETCH_MAX + CACHE_HEAD_MAX, c->cfg->allowed_uid, 0,
				 &text, &n, NULL, &e) != 0) {
		pj_fail(why, "cache file: %s", e.msg);
		return;
	}
	int rc = entry_parse(text, n, c->url, en, &e);
	free(text);
	if (rc == 0 && !(en->json = doc_parse(en->body, en->n, kind, &e)))
		rc = -1;
	if (rc != 0) {
		pj_fail(why, "cache file %s: %s", c->path, e.msg);
		entry_free(en);
		en->max_age = -1;
		return;
	}
	en->have = 1;
}

/* Writes the copy for every process to read; failing that (a PAM
 * application that is not root), the document is used from memory only. */
static int entry_store(const struct cache *c, const struct entry *en, pj_err *e)
{
	char head[CACHE_HEAD_MAX + 64], age[32] = "-";
	struct stat st;
	if (c->dir_missing && mkdir(c->dir, 0755) != 0 && errno != EEXIST)
		return pj_fail(e, "not cached: cannot create %s: %s", c->dir, strerror(errno));
	/* 0755 whatever the umask (su's is the invoking user's): applications
	 * that do not run as root read the cache too. */
	if (c->dir_missing && chmod(c->dir, 0755) != 0)
		return pj_fail(e, "not cached: cannot make %s mode 0755: %s", c->dir,
			       strerror(errno));
	if (en->max_age >= 0)
		snprintf(age, sizeof(age), "%ld", en->max_age);
	int hn = snprintf(head, sizeof(head),
			  CACHE_MAGIC "\nurl %s\nfetched %lld\nmax-age %s\n%s%s%s\n", c->url,
			  (long long)en->fetched, age, en->etag[0] ? "etag " : "", en->etag,
			  en->etag[0] ? "\n" : "");
	if (hn < 0 || (size_t)hn >= sizeof(head))
		return pj_fail(e, "not cached: metadata too long");
	char *text = malloc((size_t)hn + en->n);
	if (!text)
		return pj_fail(e, "out of memory");
	memcpy(text, head, (size_t)hn);
	memcpy(text + hn, en->body, en->n);
	pj_err why;
	int rc = pj_write_atomic(c->path, text, (size_t)hn + en->n, &st, &why);
	free(text);
	if (rc != 0)
		return pj_fail(e, "not cached: %s", why.msg);
	return 0;
}

static long ttl_of(const struct pj_config *cfg, long max_age)
{
	long t = max_age < 0 ? PJ_DEFAULT_TTL : max_age;
	if (t < cfg->jwks_ttl_min)
		t = cfg->jwks_ttl_min;
	if (t > cfg->jwks_ttl_max)
		t = cfg->jwks_ttl_max;
	return t;
}

static long age_of(const struct entry *en, time_t now)
{
	return now > en->fetched ? (long)(now - en->fetched) : 0;
}

/* A copy "fetched" in the future (the clock was set back) would stay fresh
 * until the clock caught up: it is stale, though usable as a fallback. */
static int fresh(const struct pj_config *cfg, const struct entry *en, time_t now)
{
	return en->have && en->fetched <= now + 60 && age_of(en, now) < ttl_of(cfg, en->max_age);
}

/* ---- the refetch stamp: one login-driven fetch per interval per URL ---- */

enum stamp { STAMP_RECENT, STAMP_CLAIMED, STAMP_UNRECORDED };

/* The clock the kernel stamps files with, in ms: comparing a file's mtime
 * with a finer clock would let a second claim in up to a tick early. */
static long long coarse_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Claimed less than jwks_refetch_interval ago, by a trusted hand?  *since in
 * whole seconds, for messages. */
static int stamp_recent(const struct cache *c, const struct stat *st, long *since)
{
	long long ms = coarse_now_ms() -
		       ((long long)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000);
	if (st->st_uid != 0 && st->st_uid != c->cfg->allowed_uid)
		return 0;
	/* Kernels with fine-grained file times may stamp a few ms ahead of the
	 * coarse clock: that is "just now".  A stamp from further in the future
	 * (the clock was set back) must not block fetches for ever. */
	if (ms < 0 && ms > -2000)
		ms = 0;
	if (ms < 0 || ms >= (long long)c->cfg->jwks_refetch_interval * 1000)
		return 0;
	*since = (long)(ms / 1000);
	return 1;
}

/* The stamp's mtime is the last login-driven fetch of the URL.  Claiming it
 * (under flock, so two processes never both claim) sets it to now.  A new
 * stamp file is claimed by whoever creates it.  A process that cannot write
 * the cache directory only respects the stamp. */
static enum stamp stamp_claim(const struct cache *c, long *since)
{
	struct stat st;
	*since = 0;
	if (c->dir_missing)
		return STAMP_UNRECORDED;
	int fd = open(c->stamp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		fchmod(fd, 0644); /* whatever the umask */
		close(fd);
		return STAMP_CLAIMED;
	}
	fd = open(c->stamp, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (lstat(c->stamp, &st) == 0 && S_ISREG(st.st_mode) && stamp_recent(c, &st, since))
			return STAMP_RECENT;
		return STAMP_UNRECORDED;
	}
	/* Held by another process deciding right now: it fetches, not us. */
	enum stamp rc = STAMP_RECENT;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    (fstat(fd, &st) != 0 || !stamp_recent(c, &st, since)))
		rc = futimens(fd, NULL) == 0 ? STAMP_CLAIMED : STAMP_UNRECORDED;
	close(fd);
	return rc;
}

/* ---- HTTPS through a libcurl loaded on demand ---- */

struct curl_api {
	void *lib;
	CURL *(*init)(void);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	void (*cleanup)(CURL *);
	const char *(*strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLHcode (*header)(CURL *, const char *, size_t, unsigned int, int, struct curl_header **);
};

/* RTLD_NODELETE: once loaded, libcurl stays for the life of the process
 * (unloading a library that initialised OpenSSL state is asking for
 * trouble); a later dlopen just finds it.  No handle is kept anywhere. */
static int curl_load(struct curl_api *a, pj_err *e)
{
	static const char *names[] = { "curl_easy_init",    "curl_easy_setopt",
				       "curl_easy_perform", "curl_easy_getinfo",
				       "curl_easy_cleanup", "curl_easy_strerror",
				       "curl_slist_append", "curl_slist_free_all",
				       "curl_easy_header" };
	void **slots[] = { (void **)&a->init,	      (void **)&a->setopt,
			   (void **)&a->perform,      (void **)&a->getinfo,
			   (void **)&a->cleanup,      (void **)&a->strerror,
			   (void **)&a->slist_append, (void **)&a->slist_free_all,
			   (void **)&a->header };
	memset(a, 0, sizeof(*a));
	a->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!a->lib) {
		const char *why = dlerror();
		return pj_fail(e, "cannot load libcurl.so.4 (install libcurl4): %.120s",
			       why ? why : "?");
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!(*slots[i] = dlsym(a->lib, names[i]))) {
			dlclose(a->lib);
			return pj_fail(e, "libcurl.so.4 lacks %s (7.84 or later is needed)",
				       names[i]);
		}
	return 0;
}

struct body {
	char *p;
	size_t n, cap;
	int over;
};

/* Refuses the transfer once it passes PJ_FETCH_MAX, so memory never grows
 * past that whatever the server sends (with or without Content-Length). */
static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	if (n > PJ_FETCH_MAX - b->n) {
		b->over = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->n + n + 1)
			cap *= 2;
		if (cap > PJ_FETCH_MAX + 1)
			cap = PJ_FETCH_MAX + 1;
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

struct response {
	long status;
	long max_age; /* -1: none given */
	char etag[PJ_ETAG_MAX + 1];
	struct body body;
};

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

static void read_headers(const struct curl_api *a, CURL *h, struct response *r)
{
	struct curl_header *hd;
	r->max_age = -1;
	for (size_t i = 0;; i++) {
		if (a->header(h, "Cache-Control", i, CURLH_HEADER, -1, &hd) != CURLHE_OK)
			break;
		long m = parse_max_age(hd->value);
		if (m >= 0)
			r->max_age = m;
		if (i + 1 >= hd->amount)
			break;
	}
	if (a->header(h, "ETag", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
		const char *v = hd->value;
		size_t n = strlen(v);
		int ok = n > 0 && n <= PJ_ETAG_MAX;
		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)v[i] > 0x20 && (unsigned char)v[i] < 0x7f;
		if (ok)
			memcpy(r->etag, v, n + 1);
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK && (rc = a.setopt(h, opt, val)) != CURLE_OK)                    \
			bad_opt = #opt;                                                            \
	} while (0)

static int http_get(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		    const char *etag, struct response *r, pj_err *e)
{
	struct curl_api a;
	char *ca = NULL, errbuf[CURL_ERROR_SIZE] = "", inm[PJ_ETAG_MAX + 32];
	size_t can = 0;
	struct curl_slist *hdrs = NULL, *more;
	const char *bad_opt = NULL;
	pj_err why;
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	if (!call->deadline_ms)
		call->deadline_ms = now_ms() + cfg->fetch_timeout * 1000;
	if (call->deadline_ms <= now_ms())
		return pj_fail(e, "fetch_timeout (%ld s) used up by earlier fetches",
			       cfg->fetch_timeout);
	/* Read here, checked like a key file: whoever can change the CA list can
	 * serve any keys.  Handed over as a blob, so curl reads nothing else. */
	if (cfg->ca_file && pj_read_trusted_file(cfg->ca_file, PJ_FETCH_MAX, cfg->allowed_uid, 0,
						 &ca, &can, NULL, &why) != 0)
		return pj_fail(e, "ca_file: %s", why.msg);
	if (curl_load(&a, e) != 0) {
		free(ca);
		return -1;
	}
	CURL *h = a.init();
	if (!h) {
		dlclose(a.lib);
		free(ca);
		return pj_fail(e, "libcurl: cannot create a handle");
	}
	/* What is left once libcurl is loaded: the budget covers that too. */
	long long left = call->deadline_ms - now_ms();
	if (left < 1)
		left = 1;
	struct curl_blob blob = { .data = ca, .len = can, .flags = CURL_BLOB_NOCOPY };
	CURLcode rc = CURLE_OK;
	if (etag && *etag) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
		if ((more = a.slist_append(hdrs, inm)))
			hdrs = more;
	}
	if ((more = a.slist_append(hdrs, "Accept: application/json")))
		hdrs = more;
	SET(CURLOPT_URL, url);
	/* https only, on every hop of a redirect too. */
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 3L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca) {
		/* The private CA alone: not the system's list as well. */
		SET(CURLOPT_CAINFO, (char *)NULL);
		SET(CURLOPT_CAPATH, (char *)NULL);
		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	/* Proxies come from the environment, which in sudo or su is the
	 * invoking user's: never taken from there. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_NONE);
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	/* Threads of the host process must not get SIGALRM from us. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)left);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PJ_FETCH_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, &r->body);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_USERAGENT, "pam_jwt/" PJ_VERSION);
	int ret = -1;
	if (rc != CURLE_OK) {
		pj_fail(e, "libcurl refused %s: %s", bad_opt, a.strerror(rc));
		goto done;
	}
	rc = a.perform(h);
	if (rc != CURLE_OK) {
		if (r->body.over || rc == CURLE_FILESIZE_EXCEEDED)
			pj_fail(e, "response larger than %d bytes: refused", PJ_FETCH_MAX);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			pj_fail(e, "no answer within %lld ms (fetch_timeout %ld s)", left,
				cfg->fetch_timeout);
		else
			pj_fail(e, "%s", errbuf[0] ? errbuf : a.strerror(rc));
		goto done;
	}
	a.getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200 && !(r->status == 304 && etag && *etag)) {
		pj_fail(e, "HTTP status %ld", r->status);
		goto done;
	}
	if (r->status == 200 && r->body.n == 0) {
		pj_fail(e, "empty response");
		goto done;
	}
	read_headers(&a, h, r);
	ret = 0;
done:
	a.cleanup(h);
	a.slist_free_all(hdrs);
	dlclose(a.lib);
	free(ca);
	if (ret != 0) {
		free(r->body.p);
		memset(&r->body, 0, sizeof(r->body));
	}
	return ret;
}

#undef SET

/* ---- one document: cache, stamp, fetch, outage ---- */

static int doc_fill(struct pj_doc *d, const struct cache *c, struct entry *en, time_t now,
		    enum pj_origin origin)
{
	d->url = strdup(c->url);
	d->path = strdup(c->path);
	if (!d->url || !d->path)
		return -1;
	d->json = en->json;
	en->json = NULL;
	d->fetched = en->fetched;
	d->age = age_of(en, now);
	d->ttl = ttl_of(c->cfg, en->max_age);
	d->max_stale = c->cfg->jwks_max_stale;
	d->origin = origin;
	snprintf(d->etag, sizeof(d->etag), "%s", en->etag);
	return 0;
}

/* No fetch worked (or none was allowed): the cached copy while it is not
 * older than jwks_max_stale.  The reasons put the decisive part first, so
 * that a cut to PJ_ERR_MAX loses only the transport's details. */
static int use_stale(const struct cache *c, struct entry *old, const pj_err *cache_why,
		     const char *fail, time_t now, struct pj_doc *d, pj_err *e)
{
	long age = age_of(old, now), max = c->cfg->jwks_max_stale;
	if (!old->have)
		return pj_fail(e, "%s: no usable copy (%s); %s", c->url, cache_why->msg, fail);
	if (age > max)
		return pj_fail(e, "%s: copy %ld s old, over jwks_max_stale (%ld s); %s", c->url,
			       age, max, fail);
	if (doc_fill(d, c, old, now, PJ_ORIGIN_STALE) != 0)
		return pj_fail(e, "out of memory");
	pj_fail(&d->note, "%s", fail);
	return 0;
}

static int fetch_doc(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		     enum kind kind, enum pj_want want, struct pj_doc *d, pj_err *e)
{
	struct cache c;
	struct entry old, got = { 0 };
	struct response r;
	pj_err cache_why = { "" }, why;
	char fail[2 * PJ_ERR_MAX];
	long since = 0;
	int rc = -1;
	memset(d, 0, sizeof(*d));
	if (cache_open(cfg, url, &c, e) != 0)
		return -1;
	time_t now = time(NULL);
	entry_load(&c, kind, &old, &cache_why);
	if (want == PJ_WANT_CACHE_ONLY) {
		if (!old.have)
			rc = pj_fail(e, "%s: %s", url, cache_why.msg);
		else if ((rc = doc_fill(d, &c, &old, now,
					fresh(cfg, &old, now) ? PJ_ORIGIN_CACHE
							      : PJ_ORIGIN_STALE)) != 0)
			pj_fail(e, "out of memory");
		goto done;
	}
	if (want == PJ_WANT_CACHED && fresh(cfg, &old, now)) {
		if ((rc = doc_fill(d, &c, &old, now, PJ_ORIGIN_CACHE)) != 0)
			pj_fail(e, "out of memory");
		goto done;
	}
	if (want != PJ_WANT_NOW && stamp_claim(&c, &since) == STAMP_RECENT) {
		if (want == PJ_WANT_NEWER) {
			rc = 1;
			pj_fail(e,
				"%s: kid not in its JWKS, which a login fetched %ld s ago "
				"(jwks_refetch_interval %ld s)",
				url, since, cfg->jwks_refetch_interval);
		} else {
			snprintf(fail, sizeof(fail),
				 "not fetched: a login tried %ld s ago "
				 "(jwks_refetch_interval %ld s)",
				 since, cfg->jwks_refetch_interval);
			rc = use_stale(&c, &old, &cache_why, fail, now, d, e);
		}
		goto done;
	}
	if (http_get(cfg, call, url, old.have ? old.etag : NULL, &r, &why) != 0) {
		snprintf(fail, sizeof(fail), "fetch failed: %s", why.msg);
	} else if (r.status == 304) {
		/* Revalidated: the same document, fresh again from now. */
		old.fetched = time(NULL);
		if (r.max_age >= 0)
			old.max_age = r.max_age;
		if (r.etag[0])
			memcpy(old.etag, r.etag, sizeof(old.etag));
		entry_store(&c, &old, &d->note);
		if (want == PJ_WANT_NEWER) {
			rc = 1;
			pj_fail(e, "%s: kid not in its JWKS (unchanged on the server: HTTP 304)",
				url);
			goto done;
		}
		d->stored = !d->note.msg[0];
		pj_err note = d->note;
		if ((rc = doc_fill(d, &c, &old, old.fetched, PJ_ORIGIN_NOT_MODIFIED)) != 0)
			pj_fail(e, "out of memory");
		d->note = note;
		goto done;
	} else if ((got.json = doc_parse(r.body.p, r.body.n, kind, &why))) {
		got.have = 1;
		got.fetched = time(NULL);
		got.max_age = r.max_age;
		memcpy(got.etag, r.etag, sizeof(got.etag));
		got.body = r.body.p;
		got.n = r.body.n;
		r.body.p = NULL;
		pj_err note = { "" };
		entry_store(&c, &got, &note);
		if ((rc = doc_fill(d, &c, &got, got.fetched, PJ_ORIGIN_FETCHED)) != 0)
			pj_fail(e, "out of memory");
		d->stored = !note.msg[0];
		d->note = note;
		goto done;
	} else {
		/* A broken document never replaces the cached one. */
		free(r.body.p);
		snprintf(fail, sizeof(fail), "bad document: %s", why.msg);
	}
	if (want == PJ_WANT_NEWER) {
		pj_fail(e, "%s: kid not in its JWKS; %s", url, fail);
		rc = 1;
	} else if (want == PJ_WANT_NOW)
		rc = pj_fail(e, "%s: %s", url, fail);
	else
		rc = use_stale(&c, &old, &cache_why, fail, now, d, e);
done:
	entry_free(&old);
	entry_free(&got);
	if (rc < 0)
		pj_doc_free(d);
	return rc;
}

int pj_fetch_jwks(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		  int discovery, enum pj_want want, struct pj_doc *jwks, struct pj_doc *disco,
		  pj_err *e)
{
	struct pj_doc local;
	memset(jwks, 0, sizeof(*jwks));
	if (!discovery)
		return fetch_doc(cfg, call, url, KIND_JWKS, want, jwks, e);
	if (!disco)
		disco = &local;
	/* A missing kid is looked for in a newer JWKS, not a newer discovery
	 * document: that names where the keys are, which rarely moves. */
	int rc = fetch_doc(cfg, call, url, KIND_DISCOVERY,
			   want == PJ_WANT_NEWER ? PJ_WANT_CACHED : want, disco, e);
	if (rc == 0) {
		const char *uri = json_string_value(json_object_get(disco->json, "jwks_uri"));
		rc = fetch_doc(cfg, call, uri, KIND_JWKS, want, jwks, e);
	}
	if (disco == &local)
		pj_doc_free(&local);
	return rc;
}

void pj_doc_free(struct pj_doc *d)
{
	json_decref(d->json);
	free(d->url);
	free(d->path);
	memset(d, 0, sizeof(*d));
}
