/* SPDX-License-Identifier: BSD-3-Clause */
#include "keyindex.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "document.h"
#include "token.h"
#include "util.h"

/* ---- the format ----
 *
 * All numbers little-endian.  The header (HDR_SIZE bytes):
 *     0  magic "pam_jwt keyidx1\n"
 *    16  u32 PJ_ALG_COUNT of the build (the group table depends on it)
 *    20  u32 nkeys: the set's length      24  u32 nkid: keys with a string kid
 *    28  u32 0                            32  u64 the index's own size
 *    40  the source: u64 dev, ino, size; i64 mtime s, ns; i64 ctime s, ns
 *    96  the source's SHA-256
 *   128  u64 offsets of: slots, kids, perm, blob; u64 blob length
 *   168  groups: for each kty (4) and alg code (PJ_ALG_COUNT + 2), u32 start
 *        and u32 count in perm
 *   ...  u64 FNV-1a of every header byte before it
 * slots: per key of the set, in its order: u32 offset and u32 length of its
 *   compact JSON in the blob (0, 0 for a member that is not an object), u8
 *   kty code, u8 alg code, u16 0
 * kids: per key with a string kid, sorted by (kid bytes, position): u32
 *   offset and u32 length of the kid in the blob, u32 position
 * perm: positions grouped by (kty, alg), each group in the set's order
 * blob: the JWKs' JSON and the kids */

#define MAGIC	    "pam_jwt keyidx1\n"
#define NKTY	    4
#define NALG	    (PJ_ALG_COUNT + 2)
#define ALG_NONE    PJ_ALG_COUNT
#define OFF_SOURCE  40
#define OFF_SHA	    96
#define OFF_OFFSETS 128
#define OFF_GROUPS  168
#define OFF_CHECK   (OFF_GROUPS + NKTY * NALG * 8)
#define HDR_SIZE    (OFF_CHECK + 8)
#define SLOT_SIZE   12
#define KID_SIZE    12

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* What ties an index to one state of its source. */
static void put_source(unsigned char *p, const struct stat *st)
{
	put64(p, (uint64_t)st->st_dev);
	put64(p + 8, (uint64_t)st->st_ino);
	put64(p + 16, (uint64_t)st->st_size);
	put64(p + 24, (uint64_t)st->st_mtim.tv_sec);
	put64(p + 32, (uint64_t)st->st_mtim.tv_nsec);
	put64(p + 40, (uint64_t)st->st_ctim.tv_sec);
	put64(p + 48, (uint64_t)st->st_ctim.tv_nsec);
}

static int same_source(const unsigned char *p, const struct stat *st)
{
	unsigned char want[56];
	put_source(want, st);
	return memcmp(p, want, sizeof(want)) == 0;
}

/* ---- the codes a candidate is chosen by ---- */

void pj_jwk_codes(json_t *jwk, unsigned *kty, unsigned *alg)
{
	static const char *names[NKTY] = { "oct", "RSA", "EC", "OKP" };
	const char *k = json_string_value(json_object_get(jwk, "kty"));
	const char *a = json_string_value(json_object_get(jwk, "alg"));
	*kty = PJ_KIDX_OTHER;
	for (unsigned i = 0; k && i < NKTY; i++)
		if (strcmp(k, names[i]) == 0)
			*kty = i;
	if (!a) {
		*alg = ALG_NONE;
		return;
	}
	int v = pj_alg_from_name(a);
	*alg = v >= 0 ? (unsigned)v : PJ_KIDX_OTHER;
}

int pj_jwk_codes_fit(unsigned kty, unsigned alg, enum pj_alg token_alg)
{
	return kty < NKTY && kty == (unsigned)pj_alg_kty(token_alg) &&
	       (alg == ALG_NONE || alg == (unsigned)token_alg);
}

/* The group's column for an alg code. */
static unsigned alg_col(unsigned alg)
{
	return alg < PJ_ALG_COUNT ? alg : alg == ALG_NONE ? ALG_NONE : ALG_NONE + 1;
}

/* ---- building ---- */

struct kid_ref {
	const char *s;
	size_t n;
	uint32_t at;
};

static int kid_cmp(const void *a, const void *b)
{
	const struct kid_ref *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
	if (c)
		return c;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

struct image {
	unsigned char *p;
	size_t n, cap;
};

static int grow(struct image *im, size_t add)
{
	if (add > SIZE_MAX / 2 - im->n)
		return -1;
	if (im->n + add <= im->cap)
		return 0;
	size_t cap = im->cap ? im->cap : 4096;
	while (cap < im->n + add)
		cap *= 2;
	unsigned char *p = realloc(im->p, cap);
	if (!p)
		return -1;
	im->p = p;
	im->cap = cap;
	return 0;
}

/* Appends to the blob; *off gets where it went (relative to the blob). */
static int blob_add(struct image *blob, const void *p, size_t n, uint32_t *off)
{
	if (blob->n + n > UINT32_MAX || grow(blob, n) != 0)
		return -1;
	*off = (uint32_t)blob->n;
	memcpy(blob->p + blob->n, p, n);
	blob->n += n;
	return 0;
}

int pj_keyindex_image(json_t *keys, const struct stat *st, const unsigned char sha256[32],
		      unsigned char **out, size_t *outn, pj_err *e)
{
	size_t nkeys = json_array_size(keys), nkid = 0;
	struct image blob = { 0 }, im = { 0 };
	unsigned char *slots = NULL, *kids = NULL, *perm = NULL;
	struct kid_ref *refs = NULL;
	uint32_t count[NKTY][NALG] = { { 0 } }, start[NKTY][NALG], fill[NKTY][NALG];
	int rc = -1;
	*out = NULL;
	*outn = 0;
	if (!json_is_array(keys))
		return pj_fail(e, "no \"keys\" array");
	if (nkeys > UINT32_MAX / SLOT_SIZE)
		return pj_fail(e, "too many keys");
	slots = calloc(nkeys ? nkeys : 1, SLOT_SIZE);
	refs = calloc(nkeys ? nkeys : 1, sizeof(*refs));
	perm = calloc(nkeys ? nkeys : 1, 4);
	if (!slots || !refs || !perm)
		goto oom;
	for (size_t i = 0; i < nkeys; i++) {
		json_t *jwk = json_array_get(keys, i), *kid;
		unsigned kty, alg;
		uint32_t off, len;
		if (!json_is_object(jwk)) {
			/* Never a candidate: neither a kid nor a kty to match. */
			slots[i * SLOT_SIZE + 8] = PJ_KIDX_OTHER;
			slots[i * SLOT_SIZE + 9] = PJ_KIDX_OTHER;
			continue;
		}
		char *text = json_dumps(jwk, JSON_COMPACT);
		if (!text)
			goto oom;
		size_t tn = strlen(text);
		int added = blob_add(&blob, text, tn, &off);
		free(text);
		if (added != 0)
			goto too_big;
		len = (uint32_t)tn;
		pj_jwk_codes(jwk, &kty, &alg);
		put32(slots + i * SLOT_SIZE, off);
		put32(slots + i * SLOT_SIZE + 4, len);
		slots[i * SLOT_SIZE + 8] = (unsigned char)kty;
		slots[i * SLOT_SIZE + 9] = (unsigned char)alg;
		if (kty < NKTY)
			count[kty][alg_col(alg)]++;
		if (json_is_string(kid = json_object_get(jwk, "kid"))) {
			refs[nkid].s = json_string_value(kid);
			refs[nkid].n = json_string_length(kid);
			refs[nkid].at = (uint32_t)i;
			nkid++;
		}
	}
	qsort(refs, nkid, sizeof(*refs), kid_cmp);
	kids = calloc(nkid ? nkid : 1, KID_SIZE);
	if (!kids)
		goto oom;
	for (size_t i = 0; i < nkid; i++) {
		uint32_t off;
		if (blob_add(&blob, refs[i].s, refs[i].n, &off) != 0)
			goto too_big;
		put32(kids + i * KID_SIZE, off);
		put32(kids + i * KID_SIZE + 4, (uint32_t)refs[i].n);
		put32(kids + i * KID_SIZE + 8, refs[i].at);
	}
	uint32_t pos = 0;
	for (unsigned k = 0; k < NKTY; k++)
		for (unsigned a = 0; a < NALG; a++) {
			start[k][a] = fill[k][a] = pos;
			pos += count[k][a];
		}
	for (size_t i = 0; i < nkeys; i++) {
		unsigned kty = slots[i * SLOT_SIZE + 8], col = alg_col(slots[i * SLOT_SIZE + 9]);
		if (kty < NKTY)
			put32(perm + 4 * (size_t)fill[kty][col]++, (uint32_t)i);
	}
	size_t off_slots = HDR_SIZE, off_kids = off_slots + nkeys * SLOT_SIZE,
	       off_perm = off_kids + nkid * KID_SIZE, off_blob = off_perm + (size_t)pos * 4;
	if (grow(&im, off_blob + blob.n) != 0)
		goto oom;
	im.n = off_blob + blob.n;
	unsigned char *h = im.p;
	memset(h, 0, HDR_SIZE);
	memcpy(h, MAGIC, 16);
	put32(h + 16, PJ_ALG_COUNT);
	put32(h + 20, (uint32_t)nkeys);
	put32(h + 24, (uint32_t)nkid);
	put64(h + 32, im.n);
	put_source(h + OFF_SOURCE, st);
	memcpy(h + OFF_SHA, sha256, 32);
	put64(h + OFF_OFFSETS, off_slots);
	put64(h + OFF_OFFSETS + 8, off_kids);
	put64(h + OFF_OFFSETS + 16, off_perm);
	put64(h + OFF_OFFSETS + 24, off_blob);
	put64(h + OFF_OFFSETS + 32, blob.n);
	for (unsigned k = 0; k < NKTY; k++)
		for (unsigned a = 0; a < NALG; a++) {
			put32(h + OFF_GROUPS + 8 * (k * NALG + a), start[k][a]);
			put32(h + OFF_GROUPS + 8 * (k * NALG + a) + 4, count[k][a]);
		}
	put64(h + OFF_CHECK, fnv1a(h, OFF_CHECK));
	memcpy(im.p + off_slots, slots, nkeys * SLOT_SIZE);
	memcpy(im.p + off_kids, kids, nkid * KID_SIZE);
	memcpy(im.p + off_perm, perm, (size_t)pos * 4);
	if (blob.n)
		memcpy(im.p + off_blob, blob.p, blob.n);
	*out = im.p;
	*outn = im.n;
	im.p = NULL;
	rc = 0;
	goto done;
too_big:
	pj_fail(e, "the set is too large to index");
	goto done;
oom:
	pj_fail(e, "out of memory");
done:
	free(im.p);
	free(blob.p);
	free(slots);
	free(kids);
	free(perm);
	free(refs);
	return rc;
}

/* ---- reading ---- */

static int rd(const struct pj_keyindex *kx, uint64_t off, void *buf, size_t n)
{
	size_t done = 0;
	if (off > kx->size || n > kx->size - off)
		return -1;
	while (done < n) {
		ssize_t r = pread(kx->fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1; /* cut short under us: broken, never a fault */
		done += (size_t)r;
	}
	return 0;
}

/* off + n within the index, without overflow. */
static int within(uint64_t size, uint64_t off, uint64_t n)
{
	return off <= size && n <= size - off;
}

static void index_path(const char *source, char *out, size_t n, int *ok)
{
	*ok = snprintf(out, n, "%s%s", source, PJ_KEYINDEX_SUFFIX) < (int)n;
}

/* The header checked against itself and the file it came from. */
static int header_ok(struct pj_keyindex *kx, const unsigned char *h, const struct stat *ist,
		     const struct stat *src, pj_err *e)
{
	if (memcmp(h, MAGIC, 16) != 0)
		return pj_fail(e, "not a key index");
	if (get64(h + OFF_CHECK) != fnv1a(h, OFF_CHECK))
		return pj_fail(e, "its header is damaged");
	if (get32(h + 16) != PJ_ALG_COUNT)
		return pj_fail(e, "written by another version");
	kx->size = get64(h + 32);
	if (kx->size != (uint64_t)ist->st_size)
		return pj_fail(e, "its size is not what it records");
	if (!same_source(h + OFF_SOURCE, src))
		return pj_fail(e, "built for another state of the source (changed since)");
	kx->nkeys = get32(h + 20);
	kx->nkid = get32(h + 24);
	kx->off_slots = get64(h + OFF_OFFSETS);
	kx->off_kids = get64(h + OFF_OFFSETS + 8);
	kx->off_perm = get64(h + OFF_OFFSETS + 16);
	kx->off_blob = get64(h + OFF_OFFSETS + 24);
	kx->blob_len = get64(h + OFF_OFFSETS + 32);
	/* perm holds each key of a known type once: as many as the groups
	 * count, at most one per key. */
	uint64_t nperm = 0;
	for (unsigned k = 0; k < NKTY; k++)
		for (unsigned a = 0; a < NALG; a++)
			nperm += get32(h + OFF_GROUPS + 8 * (k * NALG + a) + 4);
	if (kx->nkid > kx->nkeys || nperm > kx->nkeys ||
	    !within(kx->size, kx->off_slots, (uint64_t)kx->nkeys * SLOT_SIZE) ||
	    !within(kx->size, kx->off_kids, (uint64_t)kx->nkid * KID_SIZE) ||
	    !within(kx->size, kx->off_perm, nperm * 4) ||
	    !within(kx->size, kx->off_blob, kx->blob_len))
		return pj_fail(e, "its tables do not fit in it");
	for (unsigned k = 0; k < NKTY; k++)
		for (unsigned a = 0; a < NALG; a++) {
			uint32_t s = get32(h + OFF_GROUPS + 8 * (k * NALG + a)),
				 c = get32(h + OFF_GROUPS + 8 * (k * NALG + a) + 4);
			if (s > nperm || c > nperm - s)
				return pj_fail(e, "its groups do not fit in it");
			kx->group[k][a][0] = s;
			kx->group[k][a][1] = c;
		}
	return 0;
}

int pj_keyindex_open(const struct pj_config *cfg, const char *source, const struct stat *st,
		     struct pj_keyindex *kx, pj_err *e)
{
	char path[PATH_MAX];
	unsigned char h[HDR_SIZE];
	struct stat ist;
	pj_err why;
	int ok;
	memset(kx, 0, sizeof(*kx));
	kx->fd = -1;
	if ((uint64_t)st->st_size <= PJ_KEYINDEX_MIN_SOURCE) {
		pj_fail(e, "small enough to read whole");
		return 1;
	}
	index_path(source, path, sizeof(path), &ok);
	if (!ok) {
		pj_fail(e, "path too long");
		return 1;
	}
	kx->fd = pj_open_trusted(path, cfg->allowed_uid, 0, &ist, &why);
	if (kx->fd < 0) {
		pj_fail(e, "%s", errno == ENOENT ? "not indexed" : why.msg);
		return 1;
	}
	kx->size = (uint64_t)ist.st_size;
	if (rd(kx, 0, h, sizeof(h)) != 0)
		pj_fail(e, "%s: too short", path);
	else if (header_ok(kx, h, &ist, st, &why) != 0)
		pj_fail(e, "%s: %s", path, why.msg);
	else
		return 0;
	pj_keyindex_close(kx);
	return 1;
}

void pj_keyindex_close(struct pj_keyindex *kx)
{
	if (kx->fd >= 0)
		close(kx->fd);
	memset(kx, 0, sizeof(*kx));
	kx->fd = -1;
}

size_t pj_keyindex_count(const struct pj_keyindex *kx, enum pj_alg alg)
{
	size_t n = 0;
	unsigned kty = (unsigned)pj_alg_kty(alg);
	for (unsigned a = 0; kty < NKTY && a < NALG; a++)
		if (pj_jwk_codes_fit(kty, a == ALG_NONE + 1 ? PJ_KIDX_OTHER : a, alg))
			n += kx->group[kty][a][1];
	return n;
}

/* The JWK at position at, parsed, to fn. */
static int offer_at(const struct pj_keyindex *kx, uint32_t at, pj_kidx_fn fn, void *ctx, pj_err *e)
{
	unsigned char slot[SLOT_SIZE];
	if (at >= kx->nkeys || rd(kx, kx->off_slots + (uint64_t)at * SLOT_SIZE, slot, SLOT_SIZE))
		return pj_fail(e, "key index: bad position");
	uint32_t off = get32(slot), len = get32(slot + 4);
	if (len == 0 || !within(kx->blob_len, off, len))
		return pj_fail(e, "key index: bad entry at #%u", (unsigned)at);
	char *text = malloc(len);
	if (!text)
		return pj_fail(e, "out of memory");
	json_t *jwk = NULL;
	pj_err why;
	if (rd(kx, kx->off_blob + off, text, len) != 0)
		pj_fail(e, "key index: cannot read entry #%u", (unsigned)at);
	else if (!(jwk = pj_json_object((unsigned char *)text, len, "key index entry", &why)))
		pj_fail(e, "key index: %s", why.msg);
	free(text);
	if (!jwk)
		return -1;
	int rc = fn(jwk, at, ctx, e);
	json_decref(jwk);
	return rc;
}

/* Compares the kid of entry i with (kid, n); *at gets its position. */
static int kid_at(const struct pj_keyindex *kx, uint32_t i, const char *kid, size_t n, uint32_t *at,
		  int *cmp)
{
	unsigned char ent[KID_SIZE], buf[256];
	if (rd(kx, kx->off_kids + (uint64_t)i * KID_SIZE, ent, KID_SIZE) != 0)
		return -1;
	uint32_t off = get32(ent), len = get32(ent + 4);
	*at = get32(ent + 8);
	if (!within(kx->blob_len, off, len))
		return -1;
	/* Only the first n bytes and the lengths matter to the order. */
	size_t want = len < n ? len : n;
	char *s = want <= sizeof(buf) ? (char *)buf : malloc(want);
	if (!s || rd(kx, kx->off_blob + off, s, want) != 0) {
		if (s != (char *)buf)
			free(s);
		return -1;
	}
	int c = want ? memcmp(s, kid, want) : 0;
	if (c == 0)
		c = len == n ? 0 : len < n ? -1 : 1;
	if (s != (char *)buf)
		free(s);
	*cmp = c;
	return 0;
}

static int each_kid(const struct pj_keyindex *kx, const char *kid, pj_kidx_fn fn, void *ctx,
		    int *seen, pj_err *e)
{
	size_t n = strlen(kid);
	uint32_t lo = 0, hi = kx->nkid, at;
	int c;
	/* The first entry not below kid. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (kid_at(kx, mid, kid, n, &at, &c) != 0)
			return pj_fail(e, "key index: cannot read its kids");
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo; i < kx->nkid; i++) {
		if (kid_at(kx, i, kid, n, &at, &c) != 0)
			return pj_fail(e, "key index: cannot read its kids");
		if (c != 0)
			break;
		if (seen)
			*seen = 1;
		int rc = offer_at(kx, at, fn, ctx, e);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Without kid: the groups whose codes fit alg, merged into the set's order. */
static int each_fitting(const struct pj_keyindex *kx, enum pj_alg alg, pj_kidx_fn fn, void *ctx,
			pj_err *e)
{
	size_t total = pj_keyindex_count(kx, alg), n = 0;
	unsigned kty = (unsigned)pj_alg_kty(alg);
	if (total == 0)
		return 0;
	uint32_t *at = malloc(total * sizeof(*at));
	unsigned char *raw = malloc(total * 4);
	int rc = 0;
	if (!at || !raw) {
		free(at);
		free(raw);
		return pj_fail(e, "out of memory");
	}
	for (unsigned a = 0; a < NALG && rc == 0; a++) {
		uint32_t s = kx->group[kty][a][0], c = kx->group[kty][a][1];
		if (!c || !pj_jwk_codes_fit(kty, a == ALG_NONE + 1 ? PJ_KIDX_OTHER : a, alg))
			continue;
		if (rd(kx, kx->off_perm + (uint64_t)s * 4, raw, (size_t)c * 4) != 0)
			rc = pj_fail(e, "key index: cannot read its groups");
		for (uint32_t i = 0; rc == 0 && i < c; i++)
			at[n++] = get32(raw + 4 * i);
	}
	qsort(at, n, sizeof(*at), u32_cmp);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = offer_at(kx, at[i], fn, ctx, e);
	free(at);
	free(raw);
	return rc;
}

int pj_keyindex_each(const struct pj_keyindex *kx, enum pj_alg alg, const char *kid, pj_kidx_fn fn,
		     void *ctx, int *seen, pj_err *e)
{
	if (kid)
		return each_kid(kx, kid, fn, ctx, seen, e);
	if ((unsigned)alg >= PJ_ALG_COUNT)
		return 0;
	return each_fitting(kx, alg, fn, ctx, e);
}

/* ---- the builder ---- */

static long long coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static long long ctime_ns(const struct stat *st)
{
	return (long long)st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;
}

static int same_state(const struct stat *a, const struct stat *b)
{
	unsigned char x[56], y[56];
	put_source(x, a);
	put_source(y, b);
	return memcmp(x, y, sizeof(x)) == 0;
}

/* The whole source as it is in state *st, read when its last change lies a
 * clock tick or more behind: every change after the read then gives it
 * another change time, so st identifies these very bytes.  A source changed
 * a moment ago is waited for (a few ms), one changed while read is read
 * again. */
static int read_settled(int fd, const char *path, size_t max, struct stat *st, char **out,
			size_t *outn, pj_err *e)
{
	struct timespec res;
	long long tick = clock_getres(CLOCK_REALTIME_COARSE, &res) == 0
				 ? (long long)res.tv_sec * 1000000000ll + res.tv_nsec
				 : 10000000ll;
	for (int attempt = 0; attempt < 50; attempt++) {
		struct stat after;
		long long t0 = coarse_ns();
		if (fstat(fd, st) != 0)
			return pj_fail(e, "cannot stat %s: %s", path, strerror(errno));
		long long wait = ctime_ns(st) + 2 * tick - t0;
		if (wait >= 0) {
			if (wait > 2000000000ll)
				return pj_fail(e,
					       "%s changed in the future (the clock was set back?)",
					       path);
			struct timespec ts = { (time_t)(wait / 1000000000ll),
					       (long)(wait % 1000000000ll) + 1000000 };
			if (ts.tv_nsec >= 1000000000l) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000l;
			}
			nanosleep(&ts, NULL);
			continue;
		}
		if ((uint64_t)st->st_size > max)
			return pj_fail(e, "%s is larger than %zu bytes (jwks_max_size)", path, max);
		size_t n = (size_t)st->st_size, done = 0;
		char *buf = malloc(n + 1);
		if (!buf)
			return pj_fail(e, "out of memory");
		while (done < n) {
			ssize_t r = pread(fd, buf + done, n - done, (off_t)done);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			done += (size_t)r;
		}
		char extra;
		if (done == n && pread(fd, &extra, 1, (off_t)n) == 0 && fstat(fd, &after) == 0 &&
		    same_state(st, &after)) {
			buf[n] = 0;
			*out = buf;
			*outn = n;
			return 0;
		}
		free(buf);
	}
	return pj_fail(e, "%s keeps changing while it is read", path);
}

static int sha256(const char *p, size_t n, unsigned char out[32])
{
	unsigned mdn = 0;
	return EVP_Digest(p, n, out, &mdn, EVP_sha256(), NULL) == 1 && mdn == 32 ? 0 : -1;
}

/* Removes an index that must not be there (a small source's, a secret one's). */
static void unlink_index(const char *path)
{
	if (unlink(path) == 0)
		pj_fsync_dir(path);
}

int pj_keyindex_build(const struct pj_config *cfg, const char *source, int after_head, int check,
		      struct pj_kidx_report *r, pj_err *e)
{
	char path[PATH_MAX], *text = NULL;
	size_t n = 0;
	struct stat st, ist;
	struct pj_keyindex kx;
	unsigned char sha[32], *img = NULL;
	pj_err why;
	int ok, rc = -1;
	memset(r, 0, sizeof(*r));
	index_path(source, path, sizeof(path), &ok);
	if (!ok)
		return pj_fail(e, "%s: path too long", source);
	int fd = pj_open_trusted(source, cfg->allowed_uid, 0, &st, &why);
	if (fd < 0)
		return pj_fail(e, "%s", why.msg);
	size_t max = cfg->jwks_max_size + (after_head ? 4096 : 0);
	r->source_size = (uint64_t)st.st_size;
	if (read_settled(fd, source, max, &st, &text, &n, e) != 0)
		goto done;
	r->source_size = n;
	if (n <= PJ_KEYINDEX_MIN_SOURCE) {
		r->state = PJ_KIDX_SMALL;
		if (!check)
			unlink_index(path);
		rc = 0;
		goto done;
	}
	const char *body = text;
	if (after_head) {
		const char *end = memmem(text, n, "\n\n", 2);
		if (!end) {
			pj_fail(e, "%s: no end of the metadata", source);
			goto done;
		}
		body = end + 2;
	}
	json_t *doc =
		pj_json_object((const unsigned char *)body, n - (size_t)(body - text), source, e);
	if (!doc)
		goto done;
	json_t *keys = json_object_get(doc, "keys");
	if (!json_is_array(keys)) {
		json_decref(doc);
		pj_fail(e, "%s has no \"keys\" array", source);
		goto done;
	}
	r->keys = json_array_size(keys);
	for (size_t i = 0; i < r->keys; i++)
		r->with_kid += json_is_string(json_object_get(json_array_get(keys, i), "kid"));
	if (pj_jwks_has_secret(keys)) {
		json_decref(doc);
		r->state = PJ_KIDX_SECRETS;
		if (!check)
			unlink_index(path);
		rc = 0;
		goto done;
	}
	if (sha256(text, n, sha) != 0) {
		json_decref(doc);
		pj_fail(e, "cannot hash %s", source);
		goto done;
	}
	/* One for this very state of the source is left alone; under check,
	 * it must also record these very bytes. */
	if (pj_keyindex_open(cfg, source, &st, &kx, NULL) == 0) {
		unsigned char h[32];
		int same = rd(&kx, OFF_SHA, h, 32) == 0 && memcmp(h, sha, 32) == 0;
		r->index_size = kx.size;
		pj_keyindex_close(&kx);
		if (same) {
			json_decref(doc);
			r->state = PJ_KIDX_CURRENT;
			rc = 0;
			goto done;
		}
	}
	if (check) {
		json_decref(doc);
		r->state = PJ_KIDX_STALE;
		rc = 0;
		goto done;
	}
	size_t imgn;
	rc = pj_keyindex_image(keys, &st, sha, &img, &imgn, &why);
	json_decref(doc);
	if (rc != 0) {
		pj_fail(e, "%s: %s", source, why.msg);
		goto done;
	}
	if ((rc = pj_write_atomic(path, (const char *)img, imgn, &ist, e)) == 0) {
		r->state = PJ_KIDX_WRITTEN;
		r->index_size = imgn;
	}
done:
	free(img);
	if (text)
		pj_free_secret(text, n);
	close(fd);
	return rc;
}
