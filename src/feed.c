/* SPDX-License-Identifier: BSD-3-Clause */
#include "feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "document.h"
#include "keys.h"
#include "revocation.h"
#include "store.h"
#include "token.h"
#include "util.h"

#define META_MAGIC   "pam_jwt feed 1"
#define VERSION_NOTE "# pam_jwt feed version "
#define FEED_SUFFIX  ".feed"
#define KEY_MAX	     (64 * 1024)
/* The applied copy is replaced under the store's lock: a login that must
 * apply waits at most this long for another writer. */
#define APPLY_WAIT_MS 5000

/* ---- the key ---- */

int pj_feed_key_load(const char *path, uid_t allowed_uid, struct pj_key *key, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	memset(key, 0, sizeof(*key));
	if (pj_read_trusted_file(path, KEY_MAX, allowed_uid, 0, &text, &n, NULL, &why) != 0)
		return pj_fail(e, "revocation_feed_key: %s", why.msg);
	int rc = -1;
	if (strstr(text, "-----BEGIN")) {
		rc = pj_pem_to_key(text, n, 0, path, key, &why);
	} else {
		json_t *doc = pj_json_object((unsigned char *)text, n, path, &why);
		json_t *keys = json_object_get(doc, "keys");
		if (doc && keys && json_array_size(keys) != 1)
			pj_fail(&why, "a JWKS of exactly one key is needed");
		else if (doc)
			rc = pj_jwk_to_key(keys ? json_array_get(keys, 0) : doc, 0, path, key,
					   &why);
		json_decref(doc);
	}
	free(text);
	if (rc == 0 && key->kty == PJ_KTY_OCT) {
		pj_key_clear(key);
		return pj_fail(e,
			       "revocation_feed_key %s is a secret (oct) key: a feed is "
			       "verified with a public key",
			       path);
	}
	return rc == 0 ? 0 : pj_fail(e, "revocation_feed_key: %s", why.msg);
}

/* ---- the feed itself ---- */

static int whole_number(json_t *v, long long lo, long long *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > PJ_TIME_MAX)
		return -1;
	*out = (long long)json_integer_value(v);
	return 0;
}

static int entries_from(json_t *c, struct pj_revlist *l, pj_err *e)
{
	json_t *all = json_object_get(c, "all"), *users = json_object_get(c, "users"),
	       *jti = json_object_get(c, "jti"), *v;
	const char *k;
	long long t;
	if (all && (whole_number(all, 0, &t) != 0 || pj_revlist_add(l, PJ_REV_ALL, NULL, 0, t)))
		return pj_fail(e, "its all is not a time");
	if ((users && !json_is_object(users)) || (jti && !json_is_object(jti)))
		return pj_fail(e, "its users and jti must be objects");
	json_object_foreach (users, k, v) {
		if (!pj_name_valid(k, strlen(k)) || whole_number(v, 0, &t) != 0)
			return pj_fail(e, "its users hold a bad entry");
		if (pj_revlist_add(l, PJ_REV_USER, k, strlen(k), t) != 0)
			return pj_fail(e, "out of memory");
	}
	json_object_foreach (jti, k, v) {
		t = -1;
		if (!pj_name_valid(k, strlen(k)) ||
		    (!json_is_null(v) && whole_number(v, 0, &t) != 0))
			return pj_fail(e, "its jti hold a bad entry");
		if (pj_revlist_add(l, PJ_REV_JTI, k, strlen(k), t) != 0)
			return pj_fail(e, "out of memory");
	}
	return 0;
}

int pj_feed_parse(const char *body, size_t n, const struct pj_key *key, time_t now, long leeway,
		  struct pj_revlist *l, struct pj_feed_summary *s, pj_err *e)
{
	struct pj_token t;
	pj_err why;
	int rc = -1;
	memset(l, 0, sizeof(*l));
	memset(s, 0, sizeof(*s));
	while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		n--;
	if (pj_token_parse_max(body, n, PJ_FEED_MAX, PJ_ALGS_ASYMMETRIC, &t, &why) != 0) {
		pj_fail(e, "not a feed: %s", why.msg);
		goto done;
	}
	const char *typ = json_string_value(json_object_get(t.header, "typ"));
	if (!typ || pj_ascii_ncasecmp(typ, PJ_FEED_TYP, sizeof(PJ_FEED_TYP)) != 0) {
		pj_fail(e, "its typ is not " PJ_FEED_TYP);
		goto done;
	}
	if (pj_sig_verify(t.alg, key, (const unsigned char *)t.signing_input, t.signing_input_len,
			  t.sig, t.sig_len, &why) != 0) {
		pj_fail(e, "its signature does not verify with revocation_feed_key (%s)", why.msg);
		goto done;
	}
	json_t *c = t.claims, *exp = json_object_get(c, "exp");
	if (whole_number(json_object_get(c, "version"), 1, &s->version) != 0 ||
	    whole_number(json_object_get(c, "iat"), 0, &s->iat) != 0 ||
	    (exp && whole_number(exp, 0, &s->exp) != 0)) {
		pj_fail(e, "its version, iat or exp is not a whole number");
		goto done;
	}
	if (!exp)
		s->exp = -1;
	if (s->iat > (long long)now + leeway) {
		pj_fail(e, "it was issued in the future (iat %lld)", s->iat);
		goto done;
	}
	if (s->exp >= 0 && (long long)now >= s->exp + leeway) {
		pj_fail(e, "it expired at %lld", s->exp);
		goto done;
	}
	if (entries_from(c, l, e) != 0)
		goto done;
	pj_revlist_normalize(l);
	s->entries = l->n;
	rc = 0;
done:
	if (rc != 0)
		pj_revlist_free(l);
	pj_token_free(&t);
	return rc;
}

/* ---- the applied copy: DIR/HASH.feed (a store) and DIR/HASH.feed.meta ----
 *   pam_jwt feed 1
 *   url URL
 *   fetched SECONDS        when the server last served or confirmed it
 *   max-age SECONDS | -
 *   etag ETAG              (only when the server sent one)
 *   version N
 *   iat SECONDS
 *   exp SECONDS | -
 *   entries N */

struct meta {
	long long fetched, max_age, version, iat, exp;
	unsigned long long entries;
	char etag[PJ_ETAG_MAX + 1];
};

static int place(const struct pj_config *cfg, const char *url, struct pj_cache_loc *loc, char *meta,
		 size_t metan, pj_err *e)
{
	char key[PJ_URL_MAX + 16];
	snprintf(key, sizeof(key), "feed\n%s", url);
	if (pj_cache_place(cfg, key, FEED_SUFFIX, loc, e) != 0)
		return -1;
	if (snprintf(meta, metan, "%s.meta", loc->path) >= (int)metan)
		return pj_fail(e, "cache_dir path too long");
	return 0;
}

static int meta_read(const char *path, uid_t uid, const char *url, struct meta *m, pj_err *e)
{
	char *text, *save, *line;
	size_t n;
	pj_err why;
	unsigned seen = 0;
	memset(m, 0, sizeof(*m));
	if (pj_read_trusted_file(path, 4096, uid, 0, &text, &n, NULL, &why) != 0)
		return pj_fail(e, errno == ENOENT ? "not applied yet" : "%s", why.msg);
	int rc = 0, lineno = 0;
	for (line = strtok_r(text, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save), lineno++) {
		char *v = strchr(line, ' ');
		if (lineno == 0) {
			rc = strcmp(line, META_MAGIC) ? -1 : 0;
			continue;
		}
		if (!v) {
			rc = -1;
			break;
		}
		*v++ = 0;
		long long x = -1;
		if (strcmp(v, "-") != 0) {
			char *end;
			errno = 0;
			x = strtoll(v, &end, 10);
			if (errno || *end || x < 0)
				x = -2;
		}
		if (strcmp(line, "url") == 0)
			rc = strcmp(v, url) ? -1 : (seen |= 1, 0);
		else if (strcmp(line, "etag") == 0)
			rc = strlen(v) > PJ_ETAG_MAX ? -1 : (strcpy(m->etag, v), 0);
		else if (x == -2)
			rc = -1;
		else if (strcmp(line, "fetched") == 0)
			m->fetched = x, seen |= 2;
		else if (strcmp(line, "max-age") == 0)
			m->max_age = x, seen |= 4;
		else if (strcmp(line, "version") == 0)
			m->version = x, seen |= 8;
		else if (strcmp(line, "iat") == 0)
			m->iat = x, seen |= 16;
		else if (strcmp(line, "exp") == 0)
			m->exp = x, seen |= 32;
		else if (strcmp(line, "entries") == 0)
			m->entries = (unsigned long long)x, seen |= 64;
		else
			rc = -1;
	}
	free(text);
	if (rc != 0 || seen != 127 || m->fetched < 0 || m->version < 1)
		return pj_fail(e, "%s is damaged", path);
	return 0;
}

static int meta_write(const char *path, const char *url, const struct meta *m, pj_err *e)
{
	char text[PJ_URL_MAX + PJ_ETAG_MAX + 512], age[32] = "-", exp[32] = "-";
	struct stat st;
	if (m->max_age >= 0)
		snprintf(age, sizeof(age), "%lld", m->max_age);
	if (m->exp >= 0)
		snprintf(exp, sizeof(exp), "%lld", m->exp);
	int n = snprintf(text, sizeof(text),
			 META_MAGIC "\nurl %s\nfetched %lld\nmax-age %s\n%s%s%sversion %lld\n"
				    "iat %lld\nexp %s\nentries %llu\n",
			 url, m->fetched, age, m->etag[0] ? "etag " : "", m->etag,
			 m->etag[0] ? "\n" : "", m->version, m->iat, exp, m->entries);
	if (n < 0 || (size_t)n >= sizeof(text))
		return pj_fail(e, "metadata too long");
	return pj_write_atomic(path, text, (size_t)n, &st, e);
}

/* The applied version, from the store's own first comment (written in the
 * same rename as the entries). */
static long long applied_version(const struct pj_revlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == PJ_REV_COMMENT && l->v[i].text &&
		    strncmp(l->v[i].text, VERSION_NOTE, strlen(VERSION_NOTE)) == 0)
			return atoll(l->v[i].text + strlen(VERSION_NOTE));
	return 0;
}

struct apply_ctx {
	struct pj_revlist *feed;
	const struct pj_feed_summary *s;
	int same;
};

/* Under the store's lock: the applied list replaced by the feed's, unless
 * that would go back in versions. */
static int replace(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct apply_ctx *a = arg;
	char note[96];
	long long have = applied_version(l);
	if (a->s->version < have)
		return pj_fail(e, "rollback refused: version %lld is lower than the applied %lld",
			       a->s->version, have);
	if (a->s->version == have) {
		a->same = 1;
		return pj_fail(e, "version %lld is applied already", have);
	}
	pj_revlist_free(l);
	snprintf(note, sizeof(note), VERSION_NOTE "%lld iat %lld", a->s->version, a->s->iat);
	if (pj_revlist_add(l, PJ_REV_COMMENT, note, strlen(note), -1) != 0)
		return pj_fail(e, "out of memory");
	for (size_t i = 0; i < a->feed->n; i++) {
		const struct pj_rev_entry *en = &a->feed->v[i];
		if (pj_revlist_add(l, en->kind, en->text, en->text ? strlen(en->text) : 0,
				   en->time) != 0)
			return pj_fail(e, "out of memory");
	}
	return 0;
}

static int helper_cfg(struct pj_config *cfg, const char *cache_dir, uid_t owner)
{
	if (pj_config_init(cfg, owner) != 0 || !(cfg->cache_dir = strdup(cache_dir))) {
		pj_config_free(cfg);
		return -1;
	}
	return 0;
}

int pj_feed_apply(const char *cache_dir, uid_t owner, const char *url, const char *key_path,
		  long max_age, const char *etag, const char *body, size_t n,
		  struct pj_feed_summary *s, pj_err *e)
{
	struct pj_config cfg;
	struct pj_cache_loc loc;
	struct pj_key key;
	struct pj_revlist feed;
	struct meta m;
	char mpath[PATH_MAX + 8];
	pj_err why;
	int rc = -1;
	if (helper_cfg(&cfg, cache_dir, owner) != 0)
		return pj_fail(e, "not applied: out of memory");
	if (place(&cfg, url, &loc, mpath, sizeof(mpath), &why) != 0) {
		pj_config_free(&cfg);
		return pj_fail(e, "not applied: %s", why.msg);
	}
	if (pj_feed_key_load(key_path, owner, &key, &why) != 0) {
		pj_config_free(&cfg);
		return pj_fail(e, "not applied: %s", why.msg);
	}
	rc = pj_feed_parse(body, n, &key, time(NULL), PJ_DEFAULT_LEEWAY, &feed, s, &why);
	pj_key_clear(&key);
	if (rc != 0) {
		pj_config_free(&cfg);
		return pj_fail(e, "not applied: %s", why.msg);
	}
	if (loc.dir_missing &&
	    ((mkdir(loc.dir, 0755) != 0 && errno != EEXIST) || chmod(loc.dir, 0755) != 0))
		rc = pj_fail(&why, "cannot create %s: %s", loc.dir, strerror(errno));
	struct apply_ctx a = { &feed, s, 0 };
	if (rc == 0)
		rc = pj_revlist_update_wait(loc.path, owner, APPLY_WAIT_MS, replace, &a, &why);
	if (rc != 0 && a.same)
		rc = 0; /* the server still serves what we have: confirmed */
	if (rc == 0) {
		memset(&m, 0, sizeof(m));
		m.fetched = (long long)time(NULL);
		m.max_age = max_age;
		m.version = s->version;
		m.iat = s->iat;
		m.exp = s->exp;
		m.entries = s->entries;
		snprintf(m.etag, sizeof(m.etag), "%s", etag);
		rc = meta_write(mpath, url, &m, &why);
	}
	pj_revlist_free(&feed);
	pj_config_free(&cfg);
	return rc == 0 ? 0 : pj_fail(e, "not applied: %s", why.msg);
}

int pj_feed_renew(const char *cache_dir, uid_t owner, const char *url, const char *sent_etag,
		  long max_age, const char *etag, pj_err *e)
{
	struct pj_config cfg;
	struct pj_cache_loc loc;
	struct meta m;
	char mpath[PATH_MAX + 8];
	pj_err why;
	int rc;
	if (helper_cfg(&cfg, cache_dir, owner) != 0)
		return pj_fail(e, "not applied: out of memory");
	rc = place(&cfg, url, &loc, mpath, sizeof(mpath), &why);
	if (rc == 0)
		rc = meta_read(mpath, owner, url, &m, &why);
	/* The 304 is about the copy whose ETag we sent, not a newer one. */
	if (rc == 0 && strcmp(m.etag, sent_etag ? sent_etag : "") != 0)
		rc = pj_fail(&why, "the applied copy changed meanwhile");
	if (rc == 0) {
		m.fetched = (long long)time(NULL);
		if (max_age >= 0)
			m.max_age = max_age;
		if (etag[0])
			snprintf(m.etag, sizeof(m.etag), "%s", etag);
		rc = meta_write(mpath, url, &m, &why);
	}
	pj_config_free(&cfg);
	return rc == 0 ? 0 : pj_fail(e, "not applied: %s", why.msg);
}

/* ---- the login and the tool ---- */

static long ttl_of(const struct pj_config *cfg, long long max_age)
{
	long t = max_age < 0 ? PJ_FEED_TTL : max_age > 0x7fffffff ? 0x7fffffff : (long)max_age;
	return t < cfg->jwks_ttl_min   ? cfg->jwks_ttl_min
	       : t > cfg->jwks_ttl_max ? cfg->jwks_ttl_max
				       : t;
}

static long age_of(const struct meta *m, time_t now)
{
	return (long long)now > m->fetched ? (long)((long long)now - m->fetched) : 0;
}

static int usable(const struct pj_config *cfg, const struct meta *m, time_t now, pj_err *e)
{
	if (m->exp >= 0 && (long long)now >= m->exp + cfg->leeway)
		return pj_fail(e, "the applied copy (version %lld) expired at %lld", m->version,
			       m->exp);
	if (age_of(m, now) > cfg->revocation_feed_max_stale)
		return pj_fail(e,
			       "the applied copy (version %lld) is %ld s old, over "
			       "revocation_feed_max_stale (%ld s)",
			       m->version, age_of(m, now), cfg->revocation_feed_max_stale);
	return 0;
}

/* Fetched (and applied by the helper) now: 0 when it is applied, with the
 * new metadata in m; -1 with why. */
static int fetch_apply(const struct pj_config *cfg, const char *mpath, const struct meta *old,
		       int have, struct meta *m, enum pj_origin *origin, pj_err *why)
{
	struct pj_fetch_call call = { 0 };
	struct pj_fetched fx;
	const char *extra[] = { "--feed-key", cfg->revocation_feed_key, NULL };
	const char *dir = cfg->cache_dir ? cfg->cache_dir : PJ_DEFAULT_CACHE_DIR;
	if (pj_fetch_get(cfg, &call, cfg->revocation_feed, PJ_DOC_FEED, have ? old->etag : NULL,
			 dir, extra, &fx, why) != 0)
		return -1;
	*origin = fx.f.status == 304 ? PJ_ORIGIN_NOT_MODIFIED : PJ_ORIGIN_FETCHED;
	int stored = fx.f.stored;
	if (!stored)
		pj_fail(why, "%s", fx.f.note[0] ? fx.f.note : "not applied");
	pj_fetched_free(&fx);
	if (!stored)
		return -1;
	return meta_read(mpath, cfg->allowed_uid, cfg->revocation_feed, m, why);
}

static int feed_open(const struct pj_config *cfg, enum pj_want want, struct pj_cache_loc *loc,
		     struct meta *m, struct pj_feed_info *info, pj_err *e)
{
	char mpath[PATH_MAX + 8];
	const char *url = cfg->revocation_feed;
	pj_err why, fail;
	long since;
	memset(info, 0, sizeof(*info));
	if (!cfg->revocation_feed_key)
		return pj_fail(e, "revocation_feed is set without revocation_feed_key");
	if (place(cfg, url, loc, mpath, sizeof(mpath), e) != 0)
		return -1;
	time_t now = time(NULL);
	int have = meta_read(mpath, cfg->allowed_uid, url, m, &why) == 0;
	info->origin = PJ_ORIGIN_CACHE;
	if (want == PJ_WANT_CACHE_ONLY ||
	    (want == PJ_WANT_CACHED && have && m->fetched <= now + 60 &&
	     age_of(m, now) < ttl_of(cfg, m->max_age))) {
		if (!have)
			return pj_fail(e, "revocation feed %s: %s", url, why.msg);
		if (age_of(m, now) >= ttl_of(cfg, m->max_age))
			info->origin = PJ_ORIGIN_STALE;
		return 0;
	}
	if (want != PJ_WANT_NOW && pj_stamp_recent(loc, &since)) {
		pj_fail(&fail, "not fetched: a login tried %ld s ago (jwks_refetch_interval %ld s)",
			since, cfg->jwks_refetch_interval);
	} else {
		struct meta old = *m;
		if (fetch_apply(cfg, mpath, &old, have, m, &info->origin, &fail) == 0) {
			info->applied = 1;
			return 0;
		}
		*m = old;
		if (want == PJ_WANT_NOW)
			return pj_fail(e, "revocation feed %s: %s", url, fail.msg);
	}
	/* The last good copy holds, within revocation_feed_max_stale. */
	if (!have)
		return pj_fail(e, "revocation feed %s: no applied copy (%s); %s", url, why.msg,
			       fail.msg);
	info->origin = PJ_ORIGIN_STALE;
	info->note = fail;
	return 0;
}

int pj_feed_check(const struct pj_config *cfg, const struct pj_revquery *q, pj_err *e)
{
	struct pj_cache_loc loc;
	struct pj_feed_info info;
	struct meta m;
	pj_err why;
	if (!cfg->revocation_feed)
		return 0;
	if (feed_open(cfg, PJ_WANT_CACHED, &loc, &m, &info, e) != 0)
		return -1;
	if (usable(cfg, &m, time(NULL), &why) != 0)
		return pj_fail(e, "revocation feed %s: %s%s%s", cfg->revocation_feed, why.msg,
			       info.note.msg[0] ? "; " : "", info.note.msg);
	if (pj_revocation_check(loc.path, 1, cfg->allowed_uid, q, &why) != 0)
		return pj_fail(e, "%s (revocation feed version %lld)", why.msg, m.version);
	return 0;
}

int pj_feed_fetch(const struct pj_config *cfg, enum pj_want want, struct pj_feed_info *info,
		  pj_err *e)
{
	struct pj_cache_loc loc;
	struct meta m;
	if (!cfg->revocation_feed)
		return pj_fail(e, "no revocation_feed configured");
	if (feed_open(cfg, want, &loc, &m, info, e) != 0)
		return -1;
	time_t now = time(NULL);
	info->age = age_of(&m, now);
	info->ttl = ttl_of(cfg, m.max_age);
	info->max_stale = cfg->revocation_feed_max_stale;
	info->s.version = m.version;
	info->s.iat = m.iat;
	info->s.exp = m.exp;
	info->s.entries = (size_t)m.entries;
	memcpy(info->etag, m.etag, sizeof(info->etag));
	return 0;
}

/* ---- the publisher ---- */

json_t *pj_feed_claims(const struct pj_revlist *l, long long version, long long iat, long long exp)
{
	json_t *c = json_pack("{s:I,s:I}", "version", (json_int_t)version, "iat", (json_int_t)iat);
	json_t *users = json_object(), *jti = json_object();
	if (!c || !users || !jti)
		goto fail;
	if (exp >= 0 && json_object_set_new(c, "exp", json_integer(exp)) != 0)
		goto fail;
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		int rc = 0;
		if (en->kind == PJ_REV_ALL)
			rc = json_object_set_new(c, "all", json_integer(en->time));
		else if (en->kind == PJ_REV_USER)
			rc = json_object_set_new(users, en->text, json_integer(en->time));
		else if (en->kind == PJ_REV_JTI)
			rc = json_object_set_new(
				jti, en->text, en->time < 0 ? json_null() : json_integer(en->time));
		if (rc != 0)
			goto fail;
	}
	if (json_object_set_new(c, "users", users) != 0) {
		users = NULL;
		goto fail;
	}
	users = NULL;
	if (json_object_set_new(c, "jti", jti) != 0) {
		jti = NULL;
		goto fail;
	}
	return c;
fail:
	json_decref(users);
	json_decref(jti);
	json_decref(c);
	return NULL;
}

long long pj_feed_previous_version(const char *path)
{
	char *text;
	size_t n;
	pj_err e;
	struct pj_token t;
	long long v = 0;
	if (pj_read_trusted_file(path, PJ_FEED_MAX, getuid(), 0, &text, &n, NULL, &e) != 0)
		return 0;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	if (pj_token_parse_max(text, n, PJ_FEED_MAX, PJ_ALGS_ALL, &t, &e) == 0)
		whole_number(json_object_get(t.claims, "version"), 1, &v);
	pj_token_free(&t);
	free(text);
	return v;
}
