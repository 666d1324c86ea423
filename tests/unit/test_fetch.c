/* SPDX-License-Identifier: BSD-3-Clause */
/* src/fetch.c without a network: URL rules, the cache file (format, trust,
 * freshness, max_stale), the refetch stamp, and pj_keys_each over a cached
 * jwks_url.  Every case here is decided before any fetch, so no fetch helper
 * is started; and nothing in the library loads libcurl, ever (checked at the
 * end).  tests/integration/jwks_fetch.sh drives the HTTPS side, through the
 * helper, against a real server; fetch_env.sh the helper's isolation. */
#include "unit.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "config.h"
#include "fetch.h"
#include "keys.h"
#include "util.h"

#define URL   "https://idp.test/jwks"
#define DISCO "https://idp.test/.well-known/openid-configuration"

static char jwks_ec[1024]; /* a JWKS with one P-256 key, kid "k1" */

/* ---- helpers ------------------------------------------------------------ */

static void cache_path(const char *url, const char *suffix, char *out, size_t n)
{
	unsigned char md[32];
	unsigned mdn;
	char hex[65];
	EVP_Digest(url, strlen(url), md, &mdn, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "%s/cache/%s%s", tmpdir, hex, suffix);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* A cache file for url, confirmed age seconds ago. */
static void put_cache(const char *url, long age, const char *max_age, const char *body)
{
	char path[512], text[8192];
	cache_path(url, "", path, sizeof(path));
	snprintf(text, sizeof(text), "pam_jwt cache 1\nurl %s\nfetched %lld\nmax-age %s\n\n%s", url,
		 (long long)time(NULL) - age, max_age, body);
	write_file(path, text, 0644);
}

/* A login fetched url just now: the refetch interval is running. */
static void stamp_now(const char *url)
{
	char path[512];
	cache_path(url, ".stamp", path, sizeof(path));
	write_file(path, "", 0644);
}

static void config(struct pj_config *c)
{
	char dir[128];
	pj_err e;
	assert_int_equal(pj_config_init(c, getuid()), 0);
	snprintf(dir, sizeof(dir), "%s/cache", tmpdir);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	assert_int_equal(pj_config_set(c, "cache_dir", dir, "test", &e), 0);
	assert_int_equal(pj_config_set(c, "jwks_url", URL, "test", &e), 0);
}

static void b64(const unsigned char *p, size_t n, char *out)
{
	char *s = pj_b64url_encode(p, n);
	strcpy(out, s);
	free(s);
}

static int group_setup(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char pt[65];
	size_t n = 0;
	char x[64], y[64];
	if (!k ||
	    !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) ||
	    n != 65)
		return -1;
	EVP_PKEY_free(k);
	b64(pt + 1, 32, x);
	b64(pt + 33, 32, y);
	snprintf(jwks_ec, sizeof(jwks_ec),
		 "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"alg\":\"ES256\","
		 "\"x\":\"%s\",\"y\":\"%s\"}]}",
		 x, y);
	return dir_setup(state);
}

/* ---- URLs and options ----------------------------------------------------- */

static void test_url_check(void **state)
{
	pj_err e;
	(void)state;
	assert_int_equal(pj_url_check("https://idp.example.com/jwks", &e), 0);
	assert_int_equal(pj_url_check("HTTPS://idp.example.com:8443/a?b=c", &e), 0);
	assert_fails_with(pj_url_check("http://idp.example.com/jwks", &e), e, "only https://");
	assert_fails_with(pj_url_check("file:///etc/passwd", &e), e, "only https://");
	assert_fails_with(pj_url_check("https://", &e), e, "no host");
	assert_fails_with(pj_url_check("https:///jwks", &e), e, "no host");
	assert_fails_with(pj_url_check("https://user:pw@idp.test/jwks", &e), e, "user name");
	assert_fails_with(pj_url_check("https://idp.test/a b", &e), e, "space");
	assert_fails_with(pj_url_check("https://idp.test/\xc3\xa9", &e), e, "non-ASCII");
	/* An @ after the host is part of the path, not credentials. */
	assert_int_equal(pj_url_check("https://idp.test/keys@2", &e), 0);
	char long_url[PJ_URL_MAX + 16];
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "https://", 8);
	long_url[sizeof(long_url) - 1] = 0;
	assert_fails_with(pj_url_check(long_url, &e), e, "longer than");
}

static void test_options(void **state)
{
	struct pj_config c;
	pj_err e;
	(void)state;
	assert_int_equal(pj_config_init(&c, 0), 0);
	assert_int_equal(c.fetch_timeout, 3);
	assert_int_equal(c.jwks_ttl_min, 300);
	assert_int_equal(c.jwks_ttl_max, 86400);
	assert_int_equal(c.jwks_max_stale, 7 * 86400);
	assert_int_equal(c.jwks_refetch_interval, 60);
	assert_null(c.cache_dir);
	assert_fails_with(pj_config_set(&c, "jwks_url", "http://idp.test/jwks", "f:3", &e), e,
			  "f:3: jwks_url: only https://");
	assert_fails_with(pj_config_set(&c, "discovery_url", "https://u:p@idp.test/", "f:4", &e), e,
			  "discovery_url");
	assert_fails_with(pj_config_set(&c, "cache_dir", "relative", "f:5", &e), e,
			  "absolute path");
	assert_int_equal(pj_config_set(&c, "jwks_url", URL " https://b.test/jwks", "f", &e), 0);
	assert_int_equal(c.jwks_url.n, 2);
	assert_int_equal(pj_config_set(&c, "fetch_timeout", "10", "f", &e), 0);
	assert_int_equal(c.fetch_timeout, 10);
	pj_config_free(&c);
}

static void test_bad_limits(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	pj_err e;
	(void)state;
	config(&c);
	c.fetch_timeout = 0;
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "fetch_timeout must be at least 1");
	c.fetch_timeout = 3;
	c.jwks_ttl_min = 1000;
	c.jwks_ttl_max = 10;
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "jwks_ttl_min (1000) is above jwks_ttl_max (10)");
	pj_config_free(&c);
}

/* ---- the cache file ------------------------------------------------------- */

static void test_cache_fresh(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	pj_err e;
	(void)state;
	config(&c);
	put_cache(URL, 100, "-", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_int_equal(d.origin, PJ_ORIGIN_CACHE);
	assert_in_range(d.age, 100, 102);
	assert_int_equal(d.ttl, 3600); /* no max-age: 3600 s */
	assert_string_equal(d.url, URL);
	assert_int_equal(json_array_size(json_object_get(d.json, "keys")), 1);
	assert_int_equal(call.deadline_ms, 0); /* no fetch started */
	pj_doc_free(&d);
	put_cache(URL, 0, "10", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHE_ONLY, &d, NULL, &e), 0);
	assert_int_equal(d.ttl, 300); /* clamped up to jwks_ttl_min */
	pj_doc_free(&d);
	put_cache(URL, 0, "9999999", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHE_ONLY, &d, NULL, &e), 0);
	assert_int_equal(d.ttl, 86400); /* clamped down to jwks_ttl_max */
	pj_doc_free(&d);
	pj_config_free(&c);
}

static void expect_cache_refused(const char *body_or_file, mode_t mode, const char *sub)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	char path[512];
	pj_err e;
	config(&c);
	cache_path(URL, "", path, sizeof(path));
	write_file(path, body_or_file, mode);
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  sub);
	pj_config_free(&c);
}

static void test_cache_refused(void **state)
{
	char text[4096];
	(void)state;
	snprintf(text, sizeof(text), "pam_jwt cache 1\nurl %s\nfetched 1\nmax-age -\n\n%s", URL,
		 jwks_ec);
	expect_cache_refused(text, 0664, "writable by group or others");
	expect_cache_refused(text, 0646, "writable by group or others");
	expect_cache_refused("{\"keys\":[]}", 0644, "not a pam_jwt cache file");
	snprintf(text, sizeof(text),
		 "pam_jwt cache 1\nurl https://other.test/jwks\nfetched 1\nmax-age -\n\n%s",
		 jwks_ec);
	expect_cache_refused(text, 0644, "holds another URL");
	snprintf(text, sizeof(text), "pam_jwt cache 1\nurl %s\nmax-age -\n\n%s", URL, jwks_ec);
	expect_cache_refused(text, 0644, "incomplete metadata");
	snprintf(text, sizeof(text),
		 "pam_jwt cache 1\nurl %s\nfetched 1\nmax-age -\n\n{\"keys\":", URL);
	expect_cache_refused(text, 0644, URL);
	snprintf(
		text, sizeof(text),
		"pam_jwt cache 1\nurl %s\nfetched 1\nmax-age -\n\n"
		"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}",
		URL);
	expect_cache_refused(text, 0644, "secret (oct) key");
	/* The private half of a key pair, too: fetched keys are public only. */
	static const char *members[] = { "d", "p", "q", "dp", "dq", "qi", "oth" };
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		json_error_t je;
		json_t *doc = json_loads(jwks_ec, 0, &je);
		assert_non_null(doc);
		json_object_set_new(json_array_get(json_object_get(doc, "keys"), 0), members[i],
				    json_string("AQAB"));
		char *body = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		snprintf(text, sizeof(text), "pam_jwt cache 1\nurl %s\nfetched 1\nmax-age -\n\n%s",
			 URL, body);
		free(body);
		expect_cache_refused(text, 0644, "private key members");
	}
	char path[512];
	cache_path(URL, "", path, sizeof(path));
	unlink(path);
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	pj_err e;
	config(&c);
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  "not cached yet");
	pj_config_free(&c);
}

static void test_cache_dir_trust(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	char dir[128];
	pj_err e;
	(void)state;
	config(&c);
	put_cache(URL, 0, "-", jwks_ec);
	snprintf(dir, sizeof(dir), "%s/cache", tmpdir);
	chmod(dir, 0777);
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "writable by group or others");
	chmod(dir, 01777); /* sticky does not help: others may still add files */
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "writable by group or others");
	chmod(dir, 0755);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	pj_doc_free(&d);
	/* Every directory above it counts too: whoever can write tmpdir could
	 * put another cache in its place. */
	chmod(tmpdir, 0775);
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "writable by group or others (mode 0775)");
	chmod(tmpdir, 0700);
	pj_config_free(&c);
}

/* ---- staleness without a fetch: the stamp says a login just tried ------- */

static void test_stale_within_interval(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	pj_err e;
	(void)state;
	config(&c);
	put_cache(URL, 7200, "-", jwks_ec);
	stamp_now(URL);
	/* Stale, but a fetch was tried moments ago: the copy, at once. */
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_int_equal(d.origin, PJ_ORIGIN_STALE);
	assert_non_null(strstr(d.note.msg, "jwks_refetch_interval"));
	pj_doc_free(&d);
	/* A missing kid gets no refetch either. */
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_NEWER, &d, NULL, &e), 1);
	assert_non_null(strstr(e.msg, "kid not in its JWKS"));
	/* "Fetched" a month ahead (the clock was set back): not fresh for a
	 * month, but usable meanwhile. */
	put_cache(URL, -30 * 86400, "-", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_int_equal(d.origin, PJ_ORIGIN_STALE);
	pj_doc_free(&d);
	/* Older than jwks_max_stale: nothing. */
	put_cache(URL, 8 * 86400, "-", jwks_ec);
	assert_fails_with(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "over jwks_max_stale");
	c.jwks_max_stale = 9 * 86400;
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	pj_doc_free(&d);
	assert_int_equal(call.deadline_ms, 0);
	pj_config_free(&c);
}

/* ---- discovery ------------------------------------------------------------ */

static void test_discovery_cached(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d, dd;
	pj_err e;
	(void)state;
	config(&c);
	put_cache(DISCO, 0, "-", "{\"issuer\":\"https://idp.test\",\"jwks_uri\":\"" URL "\"}");
	put_cache(URL, 0, "600", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHED, &d, &dd, &e), 0);
	assert_string_equal(d.url, URL);
	assert_string_equal(dd.url, DISCO);
	assert_int_equal(d.ttl, 600);
	pj_doc_free(&d);
	pj_doc_free(&dd);
	put_cache(DISCO, 0, "-", "{\"jwks_uri\":\"http://idp.test/jwks\"}");
	assert_fails_with(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  "jwks_uri: only https://");
	put_cache(DISCO, 0, "-", "{\"issuer\":\"https://idp.test\"}");
	assert_fails_with(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  "no \"jwks_uri\"");
	pj_config_free(&c);
}

struct pj_key_note {
	int stale;
	long age;
	char why[256];
};

static int note_key(const struct pj_key *key, void *ctx, pj_err *e)
{
	struct pj_key_note *n = ctx;
	(void)e;
	n->stale = key->stale;
	n->age = key->stale_age;
	snprintf(n->why, sizeof(n->why), "%s", key->stale_why ? key->stale_why : "");
	return 0;
}

static int count_key_any(const struct pj_key *key, void *ctx, pj_err *e)
{
	(void)e, (void)key;
	(*(int *)ctx)++;
	return 0;
}

/* The discovery document must name the configured issuer (OpenID Connect
 * Discovery 4.3): a mismatch refuses its keys, before its jwks_uri. */
static void test_discovery_issuer(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d, dd;
	pj_err e;
	(void)state;
	config(&c);
	assert_int_equal(pj_config_set(&c, "issuer", "https://idp.test", "test", &e), 0);
	put_cache(DISCO, 0, "-", "{\"issuer\":\"https://idp.test\",\"jwks_uri\":\"" URL "\"}");
	put_cache(URL, 0, "600", jwks_ec);
	assert_int_equal(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHED, &d, &dd, &e), 0);
	pj_doc_free(&d);
	pj_doc_free(&dd);
	put_cache(DISCO, 0, "-", "{\"issuer\":\"https://evil.test\",\"jwks_uri\":\"" URL "\"}");
	assert_fails_with(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHED, &d, NULL, &e), e,
			  "the discovery document's issuer \"https://evil.test\" is not the "
			  "configured issuer");
	/* A prefix, a trailing slash or another case is another issuer. */
	put_cache(DISCO, 0, "-", "{\"issuer\":\"https://idp.test/\",\"jwks_uri\":\"" URL "\"}");
	assert_fails_with(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  "is not the configured issuer");
	put_cache(DISCO, 0, "-", "{\"jwks_uri\":\"" URL "\"}");
	assert_fails_with(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHE_ONLY, &d, NULL, &e), e,
			  "has no \"issuer\" string");
	/* Through pj_keys_each: the reason of the refusal. */
	pj_config_free(&c);
	config(&c);
	/* discovery_url alone (config() names a jwks_url). */
	free(c.jwks_url.v[0]);
	c.jwks_url.n = 0;
	assert_int_equal(pj_config_set(&c, "discovery_url", DISCO, "test", &e), 0);
	assert_int_equal(pj_config_set(&c, "issuer", "https://idp.test", "test", &e), 0);
	unsigned tried;
	int seen = 0;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "k1", count_key_any, &seen, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_non_null(strstr(e.msg, "has no \"issuer\" string"));
	/* Without a configured issuer nothing is compared (one source, as
	 * before providers). */
	pj_config_free(&c);
	config(&c);
	assert_int_equal(pj_fetch_jwks(&c, &call, DISCO, 1, PJ_WANT_CACHE_ONLY, &d, NULL, &e), 0);
	pj_doc_free(&d);
	pj_config_free(&c);
}

/* A stale copy says why it is stale: the last fetch's failure, kept in
 * FILE.error, also when this login did not fetch (a login tried moments
 * ago); pam_jwt-tool keys (want CACHE_ONLY) shows it too. */
static void test_last_failure(void **state)
{
	struct pj_config c;
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	char path[512], text[256];
	pj_err e;
	(void)state;
	config(&c);
	put_cache(URL, 7200, "-", jwks_ec);
	stamp_now(URL);
	cache_path(URL, ".error", path, sizeof(path));
	snprintf(text, sizeof(text), "%lld fetch failed: connection refused\n",
		 (long long)time(NULL) - 30);
	write_file(path, text, 0644);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_int_equal(d.origin, PJ_ORIGIN_STALE);
	if (!strstr(d.note.msg, "last fetch 3") ||
	    !strstr(d.note.msg, "s ago: fetch failed: connection refused"))
		fail_msg("note: %s", d.note.msg);
	pj_doc_free(&d);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHE_ONLY, &d, NULL, &e), 0);
	assert_non_null(strstr(d.note.msg, "last fetch failed 3"));
	pj_doc_free(&d);
	/* An error file others could have written says nothing. */
	chmod(path, 0666);
	assert_int_equal(pj_fetch_jwks(&c, &call, URL, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_non_null(strstr(d.note.msg, "not fetched: a login tried"));
	pj_doc_free(&d);
	/* The key offered from the stale copy carries its age and the note. */
	unlink(path);
	write_file(path, text, 0644);
	unsigned tried;
	struct pj_key_note kn = { 0 };
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "k1", note_key, &kn, &tried, &e), 0);
	assert_int_equal(kn.stale, 1);
	assert_in_range(kn.age, 7200, 7202);
	assert_non_null(strstr(kn.why, "connection refused"));
	unlink(path);
	pj_config_free(&c);
}

/* ---- pj_keys_each over a cached jwks_url ---------------------------------- */

static int count_key(const struct pj_key *key, void *ctx, pj_err *e)
{
	(void)e;
	assert_string_equal(key->kid, "k1");
	(*(int *)ctx)++;
	return 0;
}

static void test_keys_each(void **state)
{
	struct pj_config c;
	unsigned tried;
	int seen = 0;
	pj_err e;
	(void)state;
	config(&c);
	put_cache(URL, 0, "-", jwks_ec);
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "k1", count_key, &seen, &tried, &e), 0);
	assert_int_equal(seen, 1);
	assert_int_equal(tried, 1);
	/* An unknown kid right after a login's fetch: no refetch, and the
	 * reason says why the kid stays unknown. */
	stamp_now(URL);
	seen = 0;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "k9", count_key, &seen, &tried, &e), 0);
	assert_int_equal(seen, 0);
	assert_non_null(strstr(e.msg, "jwks_refetch_interval"));
	/* No usable copy and no fetch allowed: no key, and the reason (other
	 * sources, user_jwks_file included, are still tried). */
	put_cache(URL, 30 * 86400, "-", jwks_ec);
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "k1", count_key, &seen, &tried, &e), 0);
	assert_int_equal(tried, 0);
	assert_non_null(strstr(e.msg, "over jwks_max_stale"));
	pj_config_free(&c);
}

static void test_no_libcurl_loaded(void **state)
{
	(void)state;
	/* Only the fetch helper, a program of its own, links libcurl. */
	assert_null(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_limits),
		cmocka_unit_test(test_cache_fresh),
		cmocka_unit_test(test_cache_refused),
		cmocka_unit_test(test_cache_dir_trust),
		cmocka_unit_test(test_stale_within_interval),
		cmocka_unit_test(test_discovery_cached),
		cmocka_unit_test(test_discovery_issuer),
		cmocka_unit_test(test_last_failure),
		cmocka_unit_test(test_keys_each),
		cmocka_unit_test(test_no_libcurl_loaded),
	};
	return cmocka_run_group_tests(tests, group_setup, dir_teardown);
}
