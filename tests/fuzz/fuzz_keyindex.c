/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the key index (src/keyindex.c).  The input is a JWKS: its index
 * is built and every lookup (kids found in it, made-up ones, each alg
 * without kid) must offer exactly what the set read whole offers, in its
 * order (differential against the rule src/keys.c applies to the array).
 * The image then has its tables (everything after the header, which stays
 * sealed) XORed with the input, and is read again: whatever a damaged table
 * says, the reader must stay within the file and never fault. */
#include "fuzz.h"

#include <jansson.h>

#include "config.h"
#include "keyindex.h"
#include "token.h"

static char src_path[512], idx_path[512];
static struct pj_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(src_path, sizeof(src_path), "keys.jwks");
	fz_path(idx_path, sizeof(idx_path), "keys.jwks.index");
	/* A source past the size an index is used for; its bytes do not
	 * matter, only its identity does. */
	static char filler[PJ_KEYINDEX_MIN_SOURCE + 1];
	memset(filler, ' ', sizeof(filler));
	fz_write(src_path, filler, sizeof(filler), 0644);
	if (pj_config_init(&cfg, getuid()) != 0)
		abort();
	return 0;
}

struct log {
	char *p;
	size_t n, cap;
};

static void add(struct log *l, size_t at, json_t *jwk)
{
	char *t = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	size_t need = (t ? strlen(t) : 0) + 32;
	if (l->n + need > l->cap) {
		l->cap = (l->n + need) * 2;
		l->p = realloc(l->p, l->cap);
		if (!l->p)
			abort();
	}
	l->n += (size_t)snprintf(l->p + l->n, l->cap - l->n, "%zu:%s ", at, t ? t : "?");
	free(t);
}

static int note(json_t *jwk, size_t at, void *ctx, pj_err *e)
{
	(void)e;
	add(ctx, at, jwk);
	return 0;
}

static size_t reference(json_t *keys, enum pj_alg alg, const char *kid, struct log *l)
{
	json_t *jwk;
	size_t i, n = 0;
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
		add(l, i, jwk);
		n++;
	}
	return n;
}

static void same(const char *what, struct log *a, struct log *b)
{
	if (a->n != b->n || (a->n && memcmp(a->p, b->p, a->n) != 0)) {
		fprintf(stderr, "fuzz_keyindex: %s: index %.*s\n  whole %.*s\n", what, (int)a->n,
			a->p ? a->p : "", (int)b->n, b->p ? b->p : "");
		abort();
	}
}

static void lookups(const struct pj_keyindex *kx, json_t *keys, int check)
{
	const char *kids[8] = { "", "a", "k1", "zz" };
	size_t nk = 4;
	json_t *jwk;
	size_t i;
	pj_err e;
	json_array_foreach (keys, i, jwk) {
		const char *k = json_string_value(json_object_get(jwk, "kid"));
		if (k && nk < 8)
			kids[nk++] = k;
	}
	for (size_t k = 0; k < nk; k++) {
		struct log got = { 0 }, want = { 0 };
		int seen = 0;
		int rc = pj_keyindex_each(kx, PJ_ALG_ES256, kids[k], note, &got, &seen, &e);
		if (check) {
			reference(keys, PJ_ALG_ES256, kids[k], &want);
			if (rc != 0 || seen != (want.n != 0))
				abort();
			same(kids[k], &got, &want);
		}
		free(got.p);
		free(want.p);
	}
	for (int a = 0; a < PJ_ALG_COUNT; a++) {
		struct log got = { 0 }, want = { 0 };
		size_t count = pj_keyindex_count(kx, (enum pj_alg)a);
		int rc = pj_keyindex_each(kx, (enum pj_alg)a, NULL, note, &got, NULL, &e);
		if (check) {
			if (reference(keys, (enum pj_alg)a, NULL, &want) != count || rc != 0)
				abort();
			same(pj_alg_name((enum pj_alg)a), &got, &want);
		}
		free(got.p);
		free(want.p);
	}
}

static void install(const unsigned char *img, size_t n)
{
	fz_write(idx_path, img, n, 0644);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	json_t *keys = json_is_object(doc) ? json_object_get(doc, "keys") : NULL;
	struct stat st;
	struct pj_keyindex kx;
	unsigned char sha[32] = { 0 }, *img;
	size_t n;
	pj_err e;
	if (!json_is_array(keys) || stat(src_path, &st) != 0 ||
	    pj_keyindex_image(keys, &st, sha, &img, &n, &e) != 0) {
		json_decref(doc);
		return 0;
	}
	install(img, n);
	if (pj_keyindex_open(&cfg, src_path, &st, &kx, &e) != 0) {
		fprintf(stderr, "fuzz_keyindex: a fresh index is not usable: %s\n", e.msg);
		abort();
	}
	lookups(&kx, keys, 1);
	pj_keyindex_close(&kx);
	/* The tables damaged by the input itself (offset 128: where they
	 * begin, the header's first table offset). */
	uint64_t hdr = 0;
	for (int i = 7; i >= 0; i--)
		hdr = hdr << 8 | img[128 + i];
	for (size_t i = 0; hdr < n && i < size; i++)
		img[hdr + (i * 7919) % (n - hdr)] ^= data[i];
	install(img, n);
	if (pj_keyindex_open(&cfg, src_path, &st, &kx, &e) == 0) {
		lookups(&kx, keys, 0);
		pj_keyindex_close(&kx);
	}
	free(img);
	json_decref(doc);
	return 0;
}
