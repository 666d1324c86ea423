/* SPDX-License-Identifier: BSD-3-Clause */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "spawn.h"
#include "util.h"

#define CACHE_MAGIC "pam_jwt cache 1"
/* The metadata lines before the body. */
#define CACHE_HEAD_MAX (PJ_URL_MAX + PJ_ETAG_MAX + 256)

/* ---- the cache directory ---- */

struct cache {
	const struct pj_config *cfg;
	const char *url;
	const char *dir;
	int dir_missing; /* no cache_dir (yet): nothing cached, nothing recorded */
	char path[PATH_MAX];
	char stamp[PATH_MAX];
	char error[PATH_MAX]; /* FILE.error: the last failed fetch, for the logs */
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

static int cache_locate(const struct pj_config *cfg, const char *key, const char *suffix,
			struct cache *c, pj_err *e)
{
	char hex[65];
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->url = key;
	c->dir = cfg->cache_dir ? cfg->cache_dir : PJ_DEFAULT_CACHE_DIR;
	if (cfg->fetch_timeout < 1)
		return pj_fail(e, "fetch_timeout must be at least 1 second");
	if (sha256_hex(key, hex) != 0)
		return pj_fail(e, "cannot hash the URL");
	if (snprintf(c->path, sizeof(c->path), "%s/%s%s", c->dir, hex, suffix) >=
		    (int)sizeof(c->path) ||
	    snprintf(c->stamp, sizeof(c->stamp), "%s.stamp", c->path) >= (int)sizeof(c->stamp) ||
	    snprintf(c->error, sizeof(c->error), "%s.error", c->path) >= (int)sizeof(c->error))
		return pj_fail(e, "cache_dir path too long");
	return dir_check(c, e);
}

static int cache_open(const struct pj_config *cfg, const char *url, struct cache *c, pj_err *e)
{
	if (cfg->jwks_ttl_min > cfg->jwks_ttl_max)
		return pj_fail(e, "jwks_ttl_min (%ld) is above jwks_ttl_max (%ld)",
			       cfg->jwks_ttl_min, cfg->jwks_ttl_max);
	return cache_locate(cfg, url, "", c, e);
}

int pj_fetch_cache_path(const struct pj_config *cfg, const char *url, char *out, size_t n,
			pj_err *e)
{
	struct cache c;
	if (cache_open(cfg, url, &c, e) != 0)
		return -1;
	if (snprintf(out, n, "%s", c.path) >= (int)n)
		return pj_fail(e, "cache_dir path too long");
	return 0;
}

/* ---- a cached document ---- */

struct entry {
	int have;
	time_t fetched;
	long max_age; /* -1: the server sent none */
	char etag[PJ_ETAG_MAX + 1];
	char *body;
	size_t n;
	json_t *json;
	int served; /* no body read: the call's serve answers for this copy */
};

static void entry_free(struct entry *en)
{
	free(en->body);
	json_decref(en->json);
	memset(en, 0, sizeof(*en));
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
static int entry_parse_head(char *text, size_t n, const char *url, struct entry *en,
			    size_t *body_off, pj_err *e)
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
	*body_off = (size_t)(p - text);
	return 0;
}

static int entry_parse(char *text, size_t n, const char *url, struct entry *en, pj_err *e)
{
	size_t off;
	if (entry_parse_head(text, n, url, en, &off, e) != 0)
		return -1;
	en->n = n - off;
	if (!(en->body = malloc(en->n + 1)))
		return pj_fail(e, "out of memory");
	memcpy(en->body, text + off, en->n);
	en->body[en->n] = 0;
	return 0;
}

/* What comes back over the pipe and sits in the cache: a JWKS up to
 * jwks_max_size, the other documents 1 MiB. */
static size_t doc_max(const struct pj_config *cfg, enum pj_doc_kind kind)
{
	return kind == PJ_DOC_JWKS ? cfg->jwks_max_size : PJ_FETCH_MAX;
}

/* Whether the call's serve answers for this very file (asked first: it says
 * no at once to a small one), and then its metadata alone: its body is never
 * read. */
static int entry_serve(const struct cache *c, int fd, const struct stat *st,
		       const struct pj_fetch_call *call, struct entry *en)
{
	char head[CACHE_HEAD_MAX + 1];
	size_t off;
	pj_err e;
	if (call->serve(c->path, st, call->serve_ctx) != 1)
		return 0;
	ssize_t n = pread(fd, head, sizeof(head) - 1, 0);
	if (n <= 0)
		return 0;
	head[n] = 0;
	if (entry_parse_head(head, (size_t)n, c->url, en, &off, &e) != 0)
		return 0;
	en->have = 1;
	en->served = 1;
	return 1;
}

enum load {
	LOAD_WHOLE,	 /* metadata and document */
	LOAD_SERVED,	 /* the call's serve, else whole */
	LOAD_SERVE_ONLY, /* the call's serve, else nothing */
};

/* Reads the cached copy; a missing, untrusted or broken file is no copy
 * (never used), with the reason kept for the message if nothing else works.
 * A JWKS the call's serve answers for (a login's: its key index) is not read
 * beyond its metadata. */
static void entry_load(const struct cache *c, enum pj_doc_kind kind, enum load how,
		       const struct pj_fetch_call *call, struct entry *en, pj_err *why)
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
	int fd = pj_open_trusted(c->path, c->cfg->allowed_uid, 0, &st, &e);
	if (fd < 0) {
		pj_fail(why, "cache file: %s", e.msg);
		return;
	}
	size_t max = doc_max(c->cfg, kind) + CACHE_HEAD_MAX;
	/* The bound holds for a copy served through its index too. */
	if (how != LOAD_WHOLE && call->serve && kind == PJ_DOC_JWKS &&
	    (uint64_t)st.st_size <= max && entry_serve(c, fd, &st, call, en)) {
		close(fd);
		return;
	}
	memset(en, 0, sizeof(*en));
	en->max_age = -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		pj_fail(why, "cache file %s is larger than %zu bytes%s", c->path, max,
			kind == PJ_DOC_JWKS ? " (jwks_max_size and its metadata)" : "");
		return;
	}
	if (how == LOAD_SERVE_ONLY) {
		close(fd);
		pj_fail(why, "not served");
		return;
	}
	int rc = pj_read_fd(fd, &st, max, c->path, &text, &n, &e);
	close(fd);
	if (rc != 0) {
		pj_fail(why, "cache file: %s", e.msg);
		return;
	}
	rc = entry_parse(text, n, c->url, en, &e);
	free(text);
	if (rc == 0 && !(en->json = pj_document_check(en->body, en->n, kind, &e)))
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

int pj_cache_store(const struct pj_config *cfg, const char *url, enum pj_doc_kind kind,
		   long max_age, const char *etag, const char *body, size_t n, pj_err *e)
{
	struct cache c;
	struct entry en;
	pj_err why;
	if (cache_open(cfg, url, &c, &why) != 0)
		return pj_fail(e, "not cached: %s", why.msg);
	/* A broken document never replaces a good copy. */
	json_t *doc = pj_document_check(body, n, kind, &why);
	if (!doc)
		return pj_fail(e, "not cached: bad document: %s", why.msg);
	json_decref(doc);
	if (strlen(etag) > PJ_ETAG_MAX)
		return pj_fail(e, "not cached: etag too long");
	memset(&en, 0, sizeof(en));
	en.have = 1;
	en.fetched = time(NULL);
	en.max_age = max_age;
	strcpy(en.etag, etag);
	en.body = (char *)body;
	en.n = n;
	return entry_store(&c, &en, e);
}

int pj_cache_renew(const struct pj_config *cfg, const char *url, enum pj_doc_kind kind,
		   const char *sent_etag, long max_age, const char *etag, pj_err *e)
{
	struct cache c;
	struct entry en;
	pj_err why;
	if (cache_open(cfg, url, &c, &why) != 0)
		return pj_fail(e, "not cached: %s", why.msg);
	entry_load(&c, kind, LOAD_WHOLE, NULL, &en, &why);
	/* Another process may have stored a newer copy since the login read
	 * the one it revalidated: the 304 is not about that one. */
	if (!en.have || strcmp(en.etag, sent_etag) != 0) {
		entry_free(&en);
		return pj_fail(e, "not cached: the cached copy changed meanwhile");
	}
	en.fetched = time(NULL);
	if (max_age >= 0)
		en.max_age = max_age;
	if (etag[0] && strlen(etag) <= PJ_ETAG_MAX)
		strcpy(en.etag, etag);
	int rc = entry_store(&c, &en, e);
	entry_free(&en);
	return rc;
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

/* ---- the last failure: FILE.error ---- */

/* A login served from a stale copy says why the copy is stale, also when it
 * did not fetch itself (another login tried within jwks_refetch_interval),
 * and so does pam_jwt-tool keys: the failure is kept beside the copy as
 * "SECONDS-SINCE-EPOCH REASON", written by whoever may write the cache
 * (root), removed by the next fetch that succeeds.  Only a message: nothing
 * is decided on it. */
#define ERROR_MAX 512

static void error_record(const struct cache *c, const char *fail)
{
	char line[ERROR_MAX + 32];
	struct stat st;
	pj_err why;
	if (c->dir_missing)
		return;
	int n = snprintf(line, sizeof(line), "%lld %.*s\n", (long long)time(NULL), ERROR_MAX, fail);
	if (n > 0)
		pj_write_atomic(c->error, line,
				(size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, &st, &why);
}

static void error_clear(const struct cache *c)
{
	if (!c->dir_missing)
		unlink(c->error);
}

/* "N s ago: REASON" of the last failure, or "" when none is recorded. */
static void error_load(const struct cache *c, time_t now, char *out, size_t outn)
{
	char *text, *end;
	size_t n;
	struct stat st;
	pj_err why;
	out[0] = 0;
	if (c->dir_missing || (lstat(c->error, &st) != 0 && errno == ENOENT))
		return;
	if (pj_read_trusted_file(c->error, ERROR_MAX + 32, c->cfg->allowed_uid, 0, &text, &n, NULL,
				 &why) != 0)
		return;
	errno = 0;
	long long t = strtoll(text, &end, 10);
	if (!errno && end != text && *end == ' ' && t >= 0) {
		text[strcspn(text, "\n")] = 0;
		for (char *p = end + 1; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
				*p = '?';
		snprintf(out, outn, "%lld s ago: %.*s", now > t ? (long long)now - t : 0LL,
			 ERROR_MAX, end + 1);
	}
	free(text);
}

/* ---- a GET, by the fetch helper ---- */

/* The helper's answer; f.body points into raw. */
struct reply {
	struct pj_frame f;
	char *raw;
};

static void reply_free(struct reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

static const char *const kind_names[] = { "jwks", "discovery", "status_list", "feed" };

/* Starts pam_jwt-fetch for one URL with what is left of the login's
 * fetch_timeout, and takes its answer only if it parses (src/frame.c): the
 * pipe is not trusted blindly.  store_dir: where the helper may store what it
 * fetched (NULL: nowhere); extra: more arguments (pairs), NULL-terminated. */
static int helper_run(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		      enum pj_doc_kind kind, const char *etag, const char *store_dir,
		      const char *const *extra, struct reply *r, pj_err *e)
{
	const char *path = cfg->fetch_helper ? cfg->fetch_helper : PJ_FETCH_HELPER;
	char timeout[32], owner[32], max[32];
	const char *argv[32];
	size_t i = 0;
	pj_err why;
	memset(r, 0, sizeof(*r));
	if (!call->deadline_ms)
		call->deadline_ms = pj_clock_ms() + cfg->fetch_timeout * 1000;
	long long left = call->deadline_ms - pj_clock_ms();
	if (left <= 0)
		return pj_fail(e, "fetch_timeout (%ld s) used up by earlier fetches",
			       cfg->fetch_timeout);
	snprintf(timeout, sizeof(timeout), "%lld", left);
	snprintf(max, sizeof(max), "%zu",
		 kind == PJ_DOC_FEED ? (size_t)PJ_FEED_MAX : doc_max(cfg, kind));
	argv[i++] = "pam_jwt-fetch";
	argv[i++] = "--kind";
	argv[i++] = kind_names[kind];
	argv[i++] = "--url";
	argv[i++] = url;
	argv[i++] = "--timeout-ms";
	argv[i++] = timeout;
	argv[i++] = "--max-bytes";
	argv[i++] = max;
	if (store_dir) {
		argv[i++] = "--cache-dir";
		argv[i++] = store_dir;
	}
	if (etag && *etag) {
		argv[i++] = "--etag";
		argv[i++] = etag;
	}
	if (cfg->ca_file) {
		argv[i++] = "--ca-file";
		argv[i++] = cfg->ca_file;
	}
	if (cfg->allowed_uid != (uid_t)-1) {
		snprintf(owner, sizeof(owner), "%u", (unsigned)cfg->allowed_uid);
		argv[i++] = "--owner";
		argv[i++] = owner;
	}
	for (; extra && *extra && i + 1 < sizeof(argv) / sizeof(argv[0]); extra++)
		argv[i++] = *extra;
	argv[i] = NULL;
	/* A status list comes back inflated beside its token (src/frame.h). */
	size_t out_max = doc_max(cfg, kind) + PJ_FRAME_OVERHEAD +
			 (kind == PJ_DOC_STATUS_LIST ? PJ_STATUS_LIST_MAX : 0);
	struct pj_spawn s = { path, cfg->allowed_uid, argv, call->deadline_ms + PJ_FETCH_GRACE_MS,
			      out_max };
	size_t n;
	int code;
	if (pj_spawn_run(&s, &r->raw, &n, &code, &why) != 0)
		return pj_fail(e, "fetch_helper: %s", why.msg);
	int exited_ok = code == 0 || code == PJ_SPAWN_EXIT_UNKNOWN;
	if (pj_frame_parse((const unsigned char *)r->raw, n, doc_max(cfg, kind), &r->f, &why) !=
	    0) {
		reply_free(r);
		if (!exited_ok)
			return pj_fail(e, "fetch_helper %s exited with status %d", path, code);
		return pj_fail(e, "fetch_helper %s: not an answer: %s", path, why.msg);
	}
	if (!exited_ok || !r->f.status) {
		if (exited_ok)
			pj_fail(e, "%s", r->f.failure);
		else
			pj_fail(e, "fetch_helper exited with status %d: %s", code,
				r->f.failure[0] ? r->f.failure : "no reason given");
		reply_free(r);
		return -1;
	}
	/* 304 answers an If-None-Match only. */
	if (r->f.status == 304 && !(etag && *etag)) {
		reply_free(r);
		return pj_fail(e, "HTTP status 304");
	}
	/* Only a status list's answer carries the inflated list, and must. */
	if ((kind == PJ_DOC_STATUS_LIST && r->f.status == 200) != (r->f.list != NULL)) {
		reply_free(r);
		return pj_fail(e, "fetch_helper %s: an answer %s the inflated status list", path,
			       kind == PJ_DOC_STATUS_LIST ? "without" : "with");
	}
	return 0;
}

static int helper_get(const struct cache *c, struct pj_fetch_call *call, enum pj_doc_kind kind,
		      const char *etag, struct reply *r, pj_err *e)
{
	return helper_run(c->cfg, call, c->url, kind, etag, c->dir, NULL, r, e);
}

/* What the helper said about storing, for the caller's report. */
static void stored_from(struct pj_doc *d, const struct reply *r)
{
	d->stored = r->f.stored;
	if (!r->f.stored)
		pj_fail(&d->note, "%s", r->f.note[0] ? r->f.note : "not cached");
}

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
	d->served = en->served;
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

/* After a 200 the helper stored (as root, and with the key index of a large
 * JWKS), a login reads the new cache file through its index like any cached
 * copy, instead of parsing all that came over the pipe. */
static int served_copy(const struct cache *c, enum pj_doc_kind kind,
		       const struct pj_fetch_call *call, const struct reply *r, struct entry *got)
{
	pj_err why;
	if (!r->f.stored || !call->serve)
		return 0;
	entry_load(c, kind, LOAD_SERVE_ONLY, call, got, &why);
	return got->have;
}

/* Not fetched (a login tried moments ago): what that try met, if recorded. */
static void not_fetched(const struct cache *c, long since, time_t now, char *fail, size_t n)
{
	char last[ERROR_MAX + 64];
	error_load(c, now, last, sizeof(last));
	if (last[0])
		snprintf(fail, n,
			 "last fetch %.400s (not tried again within jwks_refetch_interval %ld s)",
			 last, c->cfg->jwks_refetch_interval);
	else
		snprintf(fail, n,
			 "not fetched: a login tried %ld s ago (jwks_refetch_interval %ld s)",
			 since, c->cfg->jwks_refetch_interval);
}

static int fetch_doc(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		     enum pj_doc_kind kind, enum pj_want want, struct pj_doc *d, pj_err *e)
{
	struct cache c;
	struct entry old, got = { 0 };
	struct reply r = { 0 };
	pj_err cache_why = { "" }, why;
	char fail[2 * PJ_ERR_MAX];
	long since = 0;
	int rc = -1;
	memset(d, 0, sizeof(*d));
	if (cache_open(cfg, url, &c, e) != 0)
		return -1;
	time_t now = time(NULL);
	/* A login (the first look or a refetch for a kid) reads a large JWKS
	 * through its key index when it has one. */
	entry_load(&c, kind,
		   want == PJ_WANT_CACHED || want == PJ_WANT_NEWER ? LOAD_SERVED : LOAD_WHOLE, call,
		   &old, &cache_why);
	if (want == PJ_WANT_CACHE_ONLY) {
		if (!old.have)
			rc = pj_fail(e, "%s: %s", url, cache_why.msg);
		else if ((rc = doc_fill(d, &c, &old, now,
					fresh(cfg, &old, now) ? PJ_ORIGIN_CACHE
							      : PJ_ORIGIN_STALE)) != 0)
			pj_fail(e, "out of memory");
		if (rc == 0) {
			char last[ERROR_MAX + 64];
			error_load(&c, now, last, sizeof(last));
			if (last[0])
				pj_fail(&d->note, "last fetch failed %.200s", last);
		}
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
			not_fetched(&c, since, now, fail, sizeof(fail));
			rc = use_stale(&c, &old, &cache_why, fail, now, d, e);
		}
		goto done;
	}
	if (helper_get(&c, call, kind, old.have ? old.etag : NULL, &r, &why) != 0) {
		snprintf(fail, sizeof(fail), "fetch failed: %s", why.msg);
		error_record(&c, fail);
	} else if (r.f.status == 304) {
		/* Revalidated: the same document, fresh again from now (the
		 * helper renewed the cached copy where it could). */
		old.fetched = time(NULL);
		if (r.f.max_age >= 0)
			old.max_age = r.f.max_age;
		if (r.f.etag[0])
			memcpy(old.etag, r.f.etag, sizeof(old.etag));
		if (want == PJ_WANT_NEWER) {
			rc = 1;
			pj_fail(e, "%s: kid not in its JWKS (unchanged on the server: HTTP 304)",
				url);
			goto done;
		}
		if ((rc = doc_fill(d, &c, &old, old.fetched, PJ_ORIGIN_NOT_MODIFIED)) != 0)
			pj_fail(e, "out of memory");
		stored_from(d, &r);
		error_clear(&c);
		goto done;
	} else if (served_copy(&c, kind, call, &r, &got)) {
		if ((rc = doc_fill(d, &c, &got, got.fetched, PJ_ORIGIN_FETCHED)) != 0)
			pj_fail(e, "out of memory");
		stored_from(d, &r);
		error_clear(&c);
		goto done;
	} else if ((got.json = pj_document_check(r.f.body, r.f.body_n, kind, &why))) {
		/* Checked here whoever checked it before: the pipe is not the
		 * cache, and a broken document is never used. */
		got.have = 1;
		got.fetched = time(NULL);
		got.max_age = r.f.max_age;
		memcpy(got.etag, r.f.etag, sizeof(got.etag));
		if ((rc = doc_fill(d, &c, &got, got.fetched, PJ_ORIGIN_FETCHED)) != 0)
			pj_fail(e, "out of memory");
		stored_from(d, &r);
		error_clear(&c);
		goto done;
	} else {
		/* A broken document never replaces the cached one (the helper
		 * did not store it either). */
		snprintf(fail, sizeof(fail), "bad document: %s", why.msg);
		error_record(&c, fail);
	}
	if (want == PJ_WANT_NEWER) {
		pj_fail(e, "%s: kid not in its JWKS; %s", url, fail);
		rc = 1;
	} else if (want == PJ_WANT_NOW)
		rc = pj_fail(e, "%s: %s", url, fail);
	else
		rc = use_stale(&c, &old, &cache_why, fail, now, d, e);
done:
	reply_free(&r);
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
		return fetch_doc(cfg, call, url, PJ_DOC_JWKS, want, jwks, e);
	if (!disco)
		disco = &local;
	/* A missing kid is looked for in a newer JWKS, not a newer discovery
	 * document: that names where the keys are, which rarely moves. */
	int rc = fetch_doc(cfg, call, url, PJ_DOC_DISCOVERY,
			   want == PJ_WANT_NEWER ? PJ_WANT_CACHED : want, disco, e);
	/* OpenID Connect Discovery 1.0 4.3: the document speaks for the issuer
	 * it names, which must be the configured one, or its keys are another
	 * issuer's (RFC 8725 3.8).  Checked on every use, cached copies too,
	 * before its jwks_uri is fetched. */
	pj_err why;
	if (rc == 0 && cfg->issuer.n &&
	    pj_discovery_issuer_check(disco->json, (const char *const *)cfg->issuer.v,
				      cfg->issuer.n, &why) != 0)
		rc = pj_fail(e, "%s: %s", url, why.msg);
	if (rc == 0) {
		const char *uri = json_string_value(json_object_get(disco->json, "jwks_uri"));
		rc = fetch_doc(cfg, call, uri, PJ_DOC_JWKS, want, jwks, e);
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

/* ---- for the other documents' homes (src/statuslist.c, src/feed.c) ---- */

static void loc_from(struct pj_cache_loc *loc, const struct cache *c)
{
	loc->cfg = c->cfg;
	loc->dir = c->dir;
	loc->dir_missing = c->dir_missing;
	memcpy(loc->path, c->path, sizeof(loc->path));
	memcpy(loc->stamp, c->stamp, sizeof(loc->stamp));
}

int pj_cache_place(const struct pj_config *cfg, const char *key, const char *suffix,
		   struct pj_cache_loc *loc, pj_err *e)
{
	struct cache c;
	memset(loc, 0, sizeof(*loc));
	if (cache_locate(cfg, key, suffix, &c, e) != 0)
		return -1;
	loc_from(loc, &c);
	return 0;
}

static void cache_from(struct cache *c, const struct pj_cache_loc *loc)
{
	memset(c, 0, sizeof(*c));
	c->cfg = loc->cfg;
	c->dir = loc->dir;
	c->dir_missing = loc->dir_missing;
	memcpy(c->path, loc->path, sizeof(c->path));
	memcpy(c->stamp, loc->stamp, sizeof(c->stamp));
}

int pj_stamp_recent(const struct pj_cache_loc *loc, long *since)
{
	struct cache c;
	cache_from(&c, loc);
	return stamp_claim(&c, since) == STAMP_RECENT;
}

int pj_fetch_get(const struct pj_config *cfg, struct pj_fetch_call *call, const char *url,
		 enum pj_doc_kind kind, const char *etag, const char *store_dir,
		 const char *const *extra, struct pj_fetched *out, pj_err *e)
{
	struct reply r;
	memset(out, 0, sizeof(*out));
	if (helper_run(cfg, call, url, kind, etag, store_dir, extra, &r, e) != 0)
		return -1;
	out->f = r.f;
	out->raw = r.raw;
	return 0;
}

void pj_fetched_free(struct pj_fetched *f)
{
	free(f->raw);
	memset(f, 0, sizeof(*f));
}
