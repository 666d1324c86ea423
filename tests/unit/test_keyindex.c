/* SPDX-License-Identifier: BSD-3-Clause */
/* src/keyindex.c: the key index of a large JWKS.  It must offer exactly the
 * candidates the set read whole offers (same keys, same order, same
 * reasons), be used only for the very state of the source it was built from,
 * never when it fails a trust check or is damaged, and never for a source
 * with secrets; logins then read the source.  Through pj_keys_each for
 * jwks_file and for a cached jwks_url alike. */
/* Without the fortified inline pread, so that this file's pread (below)
 * takes the module's calls. */
#undef _FORTIFY_SOURCE
#include "unit.h"
#include "unit_config.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "config.h"
#include "fetch.h"
#include "keyindex.h"
#include "keys.h"
#include "util.h"
#include "verify.h"

static EVP_PKEY *p256, *other;
static char *x_of, *y_of, *x_other, *y_other; /* base64url coordinates */

static char *coord(EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char b[32];
	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, b, 32), 32);
	BN_free(bn);
	return pj_b64url_encode(b, 32);
}

static int setup(void **state)
{
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!p256 || !other)
		return -1;
	x_of = coord(p256, OSSL_PKEY_PARAM_EC_PUB_X);
	y_of = coord(p256, OSSL_PKEY_PARAM_EC_PUB_Y);
	x_other = coord(other, OSSL_PKEY_PARAM_EC_PUB_X);
	y_other = coord(other, OSSL_PKEY_PARAM_EC_PUB_Y);
	return dir_setup(state);
}

static int teardown(void **state)
{
	EVP_PKEY_free(p256);
	EVP_PKEY_free(other);
	free(x_of);
	free(y_of);
	free(x_other);
	free(y_other);
	return dir_teardown(state);
}

/* An EC JWK of the signing key (mine) or another one, with these extras
 * ("kid":"a", ...) as JSON members text. */
static char *ec_jwk(int mine, const char *extra)
{
	char *s;
	assert_true(asprintf(&s, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%s%s}",
			     mine ? x_of : x_other, mine ? y_of : y_other, *extra ? "," : "",
			     extra) > 0);
	return s;
}

/* A JWKS of n keys: mostly another key with kid k-NNNN; mine at the
 * positions listed, with kid "me" (and extra members). */
static char *jwks_text(size_t n, const size_t *mine_at, size_t nmine, const char *mine_extra)
{
	size_t cap = n * 300 + 100, o = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	o += (size_t)sprintf(s, "{\"keys\":[");
	for (size_t i = 0; i < n; i++) {
		int mine = 0;
		for (size_t m = 0; m < nmine; m++)
			mine |= mine_at[m] == i;
		char extra[200];
		if (mine)
			snprintf(extra, sizeof(extra), "\"kid\":\"me\"%s%s", *mine_extra ? "," : "",
				 mine_extra);
		else
			snprintf(extra, sizeof(extra), "\"kid\":\"k-%04zu\",\"alg\":\"ES256\"", i);
		char *j = ec_jwk(mine, extra);
		o += (size_t)snprintf(s + o, cap - o, "%s%s", i ? "," : "", j);
		free(j);
	}
	snprintf(s + o, cap - o, "]}");
	return s;
}

static char *put(const char *name, const char *text, mode_t mode)
{
	char *path = malloc(200);
	snprintf(path, 200, "%s/%s", tmpdir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void index_of(const char *source, char *out, size_t n)
{
	snprintf(out, n, "%s%s", source, PJ_KEYINDEX_SUFFIX);
}

/* Is the index beside path usable for the file as it is now? */
static int usable(const struct pj_config *c, const char *path)
{
	struct stat st;
	struct pj_keyindex kx;
	assert_int_equal(stat(path, &st), 0);
	if (pj_keyindex_open(c, path, &st, &kx, NULL) != 0)
		return 0;
	pj_keyindex_close(&kx);
	return 1;
}

static void build(const struct pj_config *c, const char *path, int after_head,
		  enum pj_kidx_state want)
{
	struct pj_kidx_report r;
	pj_err e = { "" };
	if (pj_keyindex_build(c, path, after_head, 0, &r, &e) != 0)
		fail_msg("build %s: %s", path, e.msg);
	assert_int_equal(r.state, want);
}

/* ---- the same candidates as the set read whole ---- */

struct seen {
	char log[4096];
};

static int note(json_t *jwk, size_t at, void *ctx, pj_err *e)
{
	struct seen *s = ctx;
	char *t = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	(void)e;
	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%zu:%s ", at, t);
	free(t);
	return 0;
}

/* What src/keys.c selects from the array read whole, by the same rule. */
static void reference(json_t *keys, enum pj_alg alg, const char *kid, struct seen *s)
{
	json_t *jwk;
	size_t i;
	s->log[0] = 0;
	json_array_foreach (keys, i, jwk) {
		if (kid) {
			const char *k = json_string_value(json_object_get(jwk, "kid"));
			if (!k || strcmp(k, kid) != 0)
				continue;
		} else {
			unsigned kty, a;
			pj_jwk_codes(jwk, &kty, &a);
			if (!pj_jwk_codes_fit(kty, a, alg))
				continue;
		}
		note(jwk, i, s, NULL);
	}
}

static void test_same_candidates(void **state)
{
	(void)state;
	/* Every shape of member: kids repeated, missing, not strings, empty;
	 * kty and alg missing, unknown, not strings; members that are not
	 * objects at all. */
	const char *members[] = {
		"{\"kty\":\"EC\",\"kid\":\"b\",\"alg\":\"ES256\",\"crv\":\"P-256\"}",
		"{\"kty\":\"EC\",\"kid\":\"a\"}",
		"{\"kty\":\"RSA\",\"kid\":\"b\",\"alg\":\"PS256\"}",
		"{\"kty\":\"RSA\"}",
		"{\"kty\":\"OKP\",\"alg\":\"EdDSA\",\"kid\":\"\"}",
		"{\"kty\":\"oct\",\"kid\":\"a\",\"alg\":\"HS512\"}",
		"{\"kty\":\"EC\",\"alg\":\"ES384\",\"kid\":7}",
		"{\"kty\":\"EC\",\"alg\":\"XS256\",\"kid\":\"c\"}",
		"{\"kty\":\"EC\",\"alg\":3,\"kid\":\"c\"}",
		"{\"kty\":\"DSA\",\"kid\":\"a\"}",
		"{\"kty\":[\"EC\"],\"kid\":\"aa\"}",
		"{\"kid\":\"b\"}",
		"17",
		"\"EC\"",
		"[{\"kty\":\"EC\",\"kid\":\"a\"}]",
		"{\"kty\":\"EC\",\"kid\":\"a\\u00e9\"}",
		"{\"kty\":\"EC\",\"kid\":\"b\",\"alg\":\"ES512\"}",
		"{\"kty\":\"RSA\",\"kid\":\"ab\",\"alg\":\"RS256\"}",
	};
	size_t nm = sizeof(members) / sizeof(members[0]);
	char text[16384];
	size_t o = (size_t)sprintf(text, "{\"keys\":[");
	for (size_t r = 0; r < 10; r++) /* each shape ten times, interleaved */
		for (size_t i = 0; i < nm; i++)
			o += (size_t)sprintf(text + o, "%s%s", r || i ? "," : "", members[i]);
	sprintf(text + o, "]}");
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je), *keys = json_object_get(doc, "keys");
	assert_non_null(keys);
	char *src = put("shapes.jwks", text, 0644);
	struct stat st;
	assert_int_equal(stat(src, &st), 0);
	unsigned char sha[32] = { 0 }, *img;
	size_t imgn;
	pj_err e;
	assert_int_equal(pj_keyindex_image(keys, &st, sha, &img, &imgn, &e), 0);
	char ipath[256];
	index_of(src, ipath, sizeof(ipath));
	char *ip = put("shapes.jwks.index", "", 0644);
	int fd = open(ip, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, img, imgn), (ssize_t)imgn);
	close(fd);
	free(img);
	struct pj_config c;
	cfg_make(&c, NULL);
	struct pj_keyindex kx;
	assert_int_equal(stat(src, &st), 0);
	assert_int_equal(pj_keyindex_open(&c, src, &st, &kx, &e), 0);
	const char *kids[] = { "a", "b", "c", "", "aa", "ab", "a\xc3\xa9", "7", "z", "0", "k" };
	for (size_t k = 0; k < sizeof(kids) / sizeof(kids[0]); k++) {
		struct seen want, got = { "" };
		int seen = 0;
		reference(keys, PJ_ALG_ES256, kids[k], &want);
		assert_int_equal(
			pj_keyindex_each(&kx, PJ_ALG_ES256, kids[k], note, &got, &seen, &e), 0);
		assert_string_equal(got.log, want.log);
		assert_int_equal(seen, want.log[0] != 0);
	}
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		struct seen want, got = { "" };
		size_t count = 0;
		reference(keys, (enum pj_alg)a, NULL, &want);
		assert_int_equal(pj_keyindex_each(&kx, (enum pj_alg)a, NULL, note, &got, NULL, &e),
				 0);
		assert_string_equal(got.log, want.log);
		for (const char *p = want.log; (p = strchr(p, ' ')); p++)
			count++;
		assert_int_equal(pj_keyindex_count(&kx, (enum pj_alg)a), count);
	}
	pj_keyindex_close(&kx);
	json_decref(doc);
	pj_config_free(&c);
	free(src);
	free(ip);
}

/* ---- tied to the source's state ---- */

static void test_tied_to_source(void **state)
{
	(void)state;
	size_t at[] = { 50 };
	char *text = jwks_text(100, at, 1, "");
	char *path = put("tied.jwks", text, 0644), ipath[256];
	struct pj_config c;
	cfg_make(&c, "jwks_file", path, NULL);
	index_of(path, ipath, sizeof(ipath));
	assert_false(usable(&c, path));
	/* Built a moment after the file was written: the builder waits for
	 * the next clock tick, so what it records identifies these bytes. */
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	assert_true(usable(&c, path));
	build(&c, path, 0, PJ_KIDX_CURRENT);
	struct pj_kidx_report r;
	pj_err e;
	assert_int_equal(pj_keyindex_build(&c, path, 0, 1, &r, &e), 0);
	assert_int_equal(r.state, PJ_KIDX_CURRENT);
	assert_int_equal(r.keys, 100);
	assert_int_equal(r.with_kid, 100);

	/* The same bytes rewritten in place, a byte changed in place (same
	 * size, at once), appended to, replaced by rename, touched, chmod: each is
	 * another state, and the index is not used. */
	for (int how = 0; how < 6; how++) {
		build(&c, path, 0, how ? PJ_KIDX_WRITTEN : PJ_KIDX_CURRENT);
		assert_true(usable(&c, path));
		int fd;
		switch (how) {
		case 0:
			fd = open(path, O_WRONLY);
			assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
			close(fd);
			break;
		case 1:
			fd = open(path, O_WRONLY);
			assert_int_equal(pwrite(fd, "9", 1, 100), 1);
			close(fd);
			break;
		case 2:
			fd = open(path, O_WRONLY | O_APPEND);
			assert_int_equal(write(fd, " ", 1), 1);
			close(fd);
			break;
		case 3: {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "%s.new", path);
			free(put("tied.jwks.new", text, 0644));
			assert_int_equal(rename(tmp, path), 0);
			break;
		}
		case 4:
			assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
			break;
		case 5: /* its change time alone */
			assert_int_equal(chmod(path, 0644), 0);
			break;
		}
		if (usable(&c, path))
			fail_msg("change %d: the index is still used", how);
		assert_int_equal(pj_keyindex_build(&c, path, 0, 1, &r, &e), 0);
		assert_int_equal(r.state, PJ_KIDX_STALE);
	}
	free(text);
	free(path);
	pj_config_free(&c);
}

/* A writer right after the builder's read of the source: armed by
 * test_settled, the first whole read of a source (from offset 0, more than
 * PJ_KEYINDEX_MIN_SOURCE bytes) is followed at once by race_text written
 * over race_path, within the same clock tick. */
static const char *race_text;
static char race_path[256];
static int race_armed;

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = syscall(SYS_pread64, fd, buf, n, off);
	if (race_armed && r > 0 && off == 0 && n > PJ_KEYINDEX_MIN_SOURCE) {
		race_armed = 0;
		int w = open(race_path, O_WRONLY);
		if (w >= 0) {
			if (write(w, race_text, strlen(race_text)) != (ssize_t)strlen(race_text))
				race_path[0] = 0;
			close(w);
		}
	}
	return r;
}

/* A change in the clock tick of the build's read would leave the file's
 * identity as the index records it: the builder waits for the next tick
 * before reading, so a byte changed right after the build still shows. */
static void test_settled(void **state)
{
	(void)state;
	size_t at[] = { 5 };
	char *text = jwks_text(40, at, 1, "");
	char *path = put("settle.jwks", text, 0644);
	struct pj_config c;
	cfg_make(&c, "jwks_file", path, NULL);
	for (int i = 0; i < 5; i++) {
		free(put("settle.jwks", text, 0644));
		build(&c, path, 0, PJ_KIDX_WRITTEN);
		int fd = open(path, O_WRONLY);
		assert_int_equal(pwrite(fd, "9", 1, 100), 1);
		close(fd);
		if (usable(&c, path))
			fail_msg("try %d: a byte changed right after the build, the index still "
				 "used",
				 i);
	}
	/* Changed right after the read, in the same instant: the builder sees
	 * the change (the file's state after its read is not the one before)
	 * and reads again; the index records the bytes now there. */
	char *changed = strdup(text), *kid = strstr(changed, "\"kid\":\"me\"");
	assert_non_null(kid);
	kid[8] = 'f'; /* "mf": the same length */
	for (int i = 0; i < 5; i++) {
		struct pj_kidx_report r;
		pj_err e;
		free(put("settle.jwks", text, 0644));
		snprintf(race_path, sizeof(race_path), "%s", path);
		race_text = changed;
		race_armed = 1;
		build(&c, path, 0, PJ_KIDX_WRITTEN);
		assert_int_equal(race_armed, 0);
		assert_true(race_path[0] != 0);
		assert_int_equal(pj_keyindex_build(&c, path, 0, 1, &r, &e), 0);
		if (r.state != PJ_KIDX_CURRENT)
			fail_msg("try %d: the index records the bytes read before a change that "
				 "left the file's identity as it was",
				 i);
	}
	free(changed);
	free(text);
	free(path);
	pj_config_free(&c);
}

/* index --check compares the SHA-256 the index records with the file's: an
 * index whose header (sealed again) names other bytes is not current. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void test_check_hash(void **state)
{
	(void)state;
	size_t at[] = { 5 };
	char *text = jwks_text(40, at, 1, ""), ipath[256];
	char *path = put("hash.jwks", text, 0644);
	struct pj_config c;
	struct pj_kidx_report r;
	pj_err e;
	cfg_make(&c, "jwks_file", path, NULL);
	index_of(path, ipath, sizeof(ipath));
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	/* The header's layout (src/keyindex.c): the SHA-256 at 96, the check
	 * value (FNV-1a of every byte before it) after the group table. */
	const size_t off_sha = 96, off_check = 168 + 4 * (PJ_ALG_COUNT + 2) * 8;
	unsigned char h[1024];
	int fd = open(ipath, O_RDWR);
	assert_int_equal(pread(fd, h, off_check + 8, 0), (ssize_t)(off_check + 8));
	h[off_sha] ^= 1;
	uint64_t v = fnv1a(h, off_check);
	for (int i = 0; i < 8; i++)
		h[off_check + i] = (unsigned char)(v >> (8 * i));
	assert_int_equal(pwrite(fd, h, off_check + 8, 0), (ssize_t)(off_check + 8));
	close(fd);
	assert_int_equal(pj_keyindex_build(&c, path, 0, 1, &r, &e), 0);
	assert_int_equal(r.state, PJ_KIDX_STALE);
	/* Built again (not under check), it is current. */
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	assert_int_equal(pj_keyindex_build(&c, path, 0, 1, &r, &e), 0);
	assert_int_equal(r.state, PJ_KIDX_CURRENT);
	free(text);
	free(path);
	pj_config_free(&c);
}

/* Trust, damage, secrets, small files: the source is read instead. */
static void test_not_used(void **state)
{
	(void)state;
	size_t at[] = { 3 };
	char *text = jwks_text(60, at, 1, ""), ipath[256];
	char *path = put("trust.jwks", text, 0644);
	struct pj_config c;
	struct stat st;
	cfg_make(&c, "jwks_file", path, NULL);
	index_of(path, ipath, sizeof(ipath));
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	assert_true(usable(&c, path));
	/* Writable by group, or owned by another user. */
	assert_int_equal(chmod(ipath, 0664), 0);
	assert_false(usable(&c, path));
	assert_int_equal(chmod(ipath, 0644), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(ipath, 65534, 65534), 0);
		assert_false(usable(&c, path));
		assert_int_equal(chown(ipath, 0, 0), 0);
	}
	assert_true(usable(&c, path));

	/* Damage: every byte of the header flipped in turn, the file cut at
	 * every length of the header and at a few points after it.  Never
	 * used wrongly, never a crash: either refused at open, or (a byte of
	 * a table) caught where it is read. */
	assert_int_equal(stat(ipath, &st), 0);
	size_t n = (size_t)st.st_size;
	unsigned char *img = malloc(n);
	int fd = open(ipath, O_RDONLY);
	assert_int_equal(read(fd, img, n), (ssize_t)n);
	close(fd);
	for (size_t i = 0; i < 1000 && i < n; i++) {
		img[i] ^= 0x41;
		fd = open(ipath, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, img, n), (ssize_t)n);
		close(fd);
		img[i] ^= 0x41;
		assert_int_equal(stat(path, &st), 0);
		struct pj_keyindex kx;
		pj_err e;
		if (pj_keyindex_open(&c, path, &st, &kx, NULL) == 0) {
			/* Past the header: whatever a lookup yields is checked
			 * again by the keys layer (below). */
			assert_true(i >= 600);
			struct seen got = { "" };
			pj_keyindex_each(&kx, PJ_ALG_ES256, "me", note, &got, NULL, &e);
			pj_keyindex_each(&kx, PJ_ALG_ES256, NULL, note, &got, NULL, &e);
			pj_keyindex_close(&kx);
		}
	}
	for (size_t cut = 0; cut < n; cut += cut < 800 ? 1 : 997) {
		fd = open(ipath, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, img, cut), (ssize_t)cut);
		close(fd);
		assert_false(usable(&c, path));
	}
	free(img);

	/* A JWKS with a private member is never indexed, and an old index
	 * goes; so does a small one's. */
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	char *priv = jwks_text(60, at, 1, "\"d\":\"AAAA\"");
	free(put("trust.jwks", priv, 0600));
	build(&c, path, 0, PJ_KIDX_SECRETS);
	assert_int_equal(access(ipath, F_OK), -1);
	free(put("trust.jwks", text, 0644));
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	char *small = jwks_text(3, at, 1, "");
	free(put("trust.jwks", small, 0644));
	build(&c, path, 0, PJ_KIDX_SMALL);
	assert_int_equal(access(ipath, F_OK), -1);
	free(small);
	free(priv);
	free(text);
	free(path);
	pj_config_free(&c);
}

/* ---- through pj_keys_each and pj_verify ---- */

struct offered {
	char kids[512];
	unsigned n;
};

static int collect(const struct pj_key *key, void *ctx, pj_err *e)
{
	struct offered *o = ctx;
	(void)e;
	snprintf(o->kids + strlen(o->kids), sizeof(o->kids) - strlen(o->kids), "%s%s",
		 o->n++ ? " " : "", key->source);
	return 0;
}

/* The same outcome, candidates and reason with and without the index. */
static void both_ways(const struct pj_config *c, const char *path, enum pj_alg alg, const char *kid,
		      int want_rc, const char *want_reason, unsigned want_tried)
{
	char ipath[256];
	index_of(path, ipath, sizeof(ipath));
	struct offered with = { "" }, without = { "" };
	unsigned t1, t2;
	pj_err e1 = { "" }, e2 = { "" };
	build(c, path, 0, PJ_KIDX_WRITTEN);
	assert_true(usable(c, path));
	int rc1 = pj_keys_each(c, alg, kid, collect, &with, &t1, &e1);
	unlink(ipath);
	int rc2 = pj_keys_each(c, alg, kid, collect, &without, &t2, &e2);
	assert_int_equal(rc1, want_rc);
	assert_int_equal(rc2, want_rc);
	assert_string_equal(with.kids, without.kids);
	assert_string_equal(e1.msg, e2.msg);
	assert_int_equal(t1, want_tried);
	assert_int_equal(t2, want_tried);
	if (!strstr(e1.msg, want_reason))
		fail_msg("reason \"%s\" lacks \"%s\"", e1.msg, want_reason);
}

static void test_keys_each(void **state)
{
	(void)state;
	/* 200 keys: mine at 7 and 150 (two with kid "me"), a broken one
	 * named "bad" at 20, the others another key with alg ES256. */
	size_t at[] = { 7, 150 };
	char *text = jwks_text(200, at, 2, "");
	text = realloc(text, strlen(text) + 100);
	strcpy(text + strlen(text) - 2, ",{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":"
					"\"AAAA\",\"kid\":\"bad\"}]}");
	char *path = put("each.jwks", text, 0644);
	struct pj_config c;
	cfg_make(&c, "jwks_file", path, NULL);
	char want[300];
	both_ways(&c, path, PJ_ALG_ES256, "me", 0, "", 2);
	both_ways(&c, path, PJ_ALG_ES256, "nobody", 0, "", 0);
	snprintf(want, sizeof(want), "%s#200: JWK \"x\" must be 32 bytes, got 3", path);
	both_ways(&c, path, PJ_ALG_ES256, "bad", -1, want, 0);
	both_ways(&c, path, PJ_ALG_ES384, "me", 0, "does not fit", 0);
	/* Without kid: 200 keys fit ES256, over the limit: passed over, none
	 * imported, and the reason names the limit. */
	both_ways(&c, path, PJ_ALG_ES256, NULL, 0,
		  "201 keys fit ES256 and the token has no kid; a token without kid is tried "
		  "against 16 keys at most",
		  0);
	both_ways(&c, path, PJ_ALG_RS256, NULL, 0, "", 0);
	pj_config_free(&c);
	free(text);
	free(path);

	/* 16 fitting keys are all tried; 17 are not. */
	for (size_t n = 16; n <= 17; n++) {
		char *t = jwks_text(n + 40, at, 0, ""), name[32];
		/* the first 40 without alg ES256 and not EC: make them RSA-typed */
		for (size_t i = 0; i < 40; i++) {
			char k[32];
			snprintf(k, sizeof(k), "\"kid\":\"k-%04zu\",\"alg\":\"ES256\"", i);
			char *p = strstr(t, k);
			assert_non_null(p);
			memcpy(p + 21, "\"RS256\"", 7);
		}
		snprintf(name, sizeof(name), "limit%zu.jwks", n);
		char *p = put(name, t, 0644);
		cfg_make(&c, "jwks_file", p, NULL);
		both_ways(&c, p, PJ_ALG_ES256, NULL, 0, n == 16 ? "" : "16 keys at most",
			  n == 16 ? 16 : 0);
		pj_config_free(&c);
		free(p);
		free(t);
	}
}

/* The index is what a login reads: one that ties another set to the file's
 * very state is believed (which proves the index is used), one for another
 * state is not. */
static void test_index_is_read(void **state)
{
	(void)state;
	size_t at[] = { 10 };
	char *text = jwks_text(100, at, 1, "");
	char *path = put("read.jwks", text, 0644), ipath[256];
	index_of(path, ipath, sizeof(ipath));
	struct pj_config c;
	cfg_make(&c, "jwks_file", path, NULL);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	char *alt = jwks_text(100, (size_t[]){ 99 }, 1, "");
	json_t *doc = json_loads(alt, 0, NULL);
	unsigned char sha[32] = { 0 }, *img;
	size_t n;
	pj_err e;
	assert_int_equal(pj_keyindex_image(json_object_get(doc, "keys"), &st, sha, &img, &n, &e),
			 0);
	free(put("read.jwks.index", "", 0644));
	int fd = open(ipath, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, img, n), (ssize_t)n);
	close(fd);
	struct offered o = { "" };
	unsigned tried;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	char want[300];
	snprintf(want, sizeof(want), "%s#99", path);
	assert_string_equal(o.kids, want);
	/* The file touched: its own key again. */
	assert_int_equal(utimensat(AT_FDCWD, path, NULL, 0), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	snprintf(want, sizeof(want), "%s#10", path);
	assert_string_equal(o.kids, want);
	json_decref(doc);
	free(img);
	free(alt);
	free(text);
	free(path);
	pj_config_free(&c);
}

/* jwks_max_size: over 1 MiB is accepted up to the bound, with or without the
 * index, and refused past it naming the option. */
static void test_max_size(void **state)
{
	(void)state;
	size_t at[] = { 5000 };
	char *text = jwks_text(8000, at, 1, "");
	assert_true(strlen(text) > 1024 * 1024);
	char *path = put("big.jwks", text, 0644);
	struct pj_config c;
	struct offered o = { "" };
	unsigned tried;
	pj_err e;
	cfg_make(&c, "jwks_file", path, NULL);
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	assert_int_equal(tried, 1);
	build(&c, path, 0, PJ_KIDX_WRITTEN);
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	assert_int_equal(tried, 1);
	pj_config_free(&c);
	cfg_make(&c, "jwks_file", path, "jwks_max_size", "1M", NULL);
	for (int i = 0; i < 2; i++) {
		assert_fails_with(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), e,
				  "is larger than 1048576 bytes (jwks_max_size)");
		char ipath[256];
		index_of(path, ipath, sizeof(ipath));
		unlink(ipath);
	}
	pj_config_free(&c);
	struct pj_config d;
	pj_err pe;
	assert_int_equal(pj_config_init(&d, getuid()), 0);
	assert_int_equal(d.jwks_max_size, 8 * 1024 * 1024);
	assert_int_equal(pj_config_set(&d, "jwks_max_size", "2048K", "t", &pe), 0);
	assert_int_equal(d.jwks_max_size, 2 * 1024 * 1024);
	assert_int_equal(pj_config_set(&d, "jwks_max_size", "300000", "t", &pe), 0);
	assert_int_equal(d.jwks_max_size, 300000);
	const char *bad[] = { "", "1G", "257M", "0", "1023", "12k", "-5", "1.5M", "M", "1MB" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_fails_with(pj_config_set(&d, "jwks_max_size", bad[i], "t", &pe), pe,
				  "jwks_max_size must be a size");
	pj_config_free(&d);
	free(text);
	free(path);
}

/* A cached jwks_url: the fetch helper's index (built here the same way)
 * serves a fresh copy and a stale one alike; no fetch happens. */
static void test_cached_url(void **state)
{
	(void)state;
	const char *url = "https://idp.test/big-jwks";
	char dir[128], cpath[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/cache", tmpdir);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	struct pj_config c;
	cfg_make(&c, "jwks_url", url, "cache_dir", dir, "fetch_helper", "/nonexistent/helper",
		 NULL);
	pj_err e;
	size_t at[] = { 42 };
	char *body = jwks_text(300, at, 1, "");
	assert_int_equal(pj_cache_store(&c, url, PJ_DOC_JWKS, 600, "", body, strlen(body), &e), 0);
	assert_int_equal(pj_fetch_cache_path(&c, url, cpath, sizeof(cpath), &e), 0);
	struct offered o = { "" };
	unsigned tried;
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	char want[600];
	snprintf(want, sizeof(want), "%s#42", url);
	assert_string_equal(o.kids, want);
	build(&c, cpath, 1, PJ_KIDX_WRITTEN);
	assert_true(usable(&c, cpath));
	memset(&o, 0, sizeof(o));
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	assert_string_equal(o.kids, want);
	/* Served: an index tying another set to this very copy is what the
	 * login believes (the same label, its key at 99). */
	struct stat st;
	assert_int_equal(stat(cpath, &st), 0);
	char *alt = jwks_text(300, (size_t[]){ 99 }, 1, "");
	json_t *doc = json_loads(alt, 0, NULL);
	unsigned char sha[32] = { 0 }, *img;
	size_t n;
	assert_int_equal(pj_keyindex_image(json_object_get(doc, "keys"), &st, sha, &img, &n, &e),
			 0);
	char ipath[PATH_MAX + 8];
	index_of(cpath, ipath, sizeof(ipath));
	assert_int_equal(pj_write_atomic(ipath, (char *)img, n, &st, &e), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &e), 0);
	snprintf(want, sizeof(want), "%s#99", url);
	assert_string_equal(o.kids, want);
	json_decref(doc);
	free(img);
	free(alt);
	/* Stale (two days old, the refetch interval running): served too, as
	 * the stale copy itself would be used. */
	char *stale = malloc(strlen(body) + 300), spath[PATH_MAX + 8];
	sprintf(stale, "pam_jwt cache 1\nurl %s\nfetched %lld\nmax-age 600\n\n%s", url,
		(long long)time(NULL) - 2 * 86400, body);
	assert_int_equal(pj_write_atomic(cpath, stale, strlen(stale), &st, &e), 0);
	snprintf(spath, sizeof(spath), "%s.stamp", cpath);
	free(put("stamp", "", 0644));
	snprintf(ipath, sizeof(ipath), "%s/stamp", tmpdir);
	assert_int_equal(rename(ipath, spath), 0);
	build(&c, cpath, 1, PJ_KIDX_WRITTEN);
	memset(&o, 0, sizeof(o));
	pj_err why = { "" };
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "me", collect, &o, &tried, &why), 0);
	snprintf(want, sizeof(want), "%s#42", url);
	assert_string_equal(o.kids, want);
	free(stale);
	struct pj_fetch_call call = { 0 };
	struct pj_doc d;
	assert_int_equal(pj_fetch_jwks(&c, &call, url, 0, PJ_WANT_CACHED, &d, NULL, &e), 0);
	assert_int_equal(d.served, 0); /* no serve asked for: read whole */
	assert_non_null(d.json);
	pj_doc_free(&d);
	/* An unknown kid: not there, so one refetch is tried (the helper is
	 * missing here) and nothing is offered. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(pj_keys_each(&c, PJ_ALG_ES256, "zz", collect, &o, &tried, &e), 0);
	assert_int_equal(tried, 0);
	pj_config_free(&c);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_candidates), cmocka_unit_test(test_tied_to_source),
		cmocka_unit_test(test_not_used),	cmocka_unit_test(test_keys_each),
		cmocka_unit_test(test_index_is_read),	cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_cached_url),	cmocka_unit_test(test_settled),
		cmocka_unit_test(test_check_hash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
