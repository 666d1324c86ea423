/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: what reaches a host for revocation at fleet scale.  The first
 * byte picks the parser, the rest is its input:
 *   0  a Status List Token as the fetch helper gets it (pj_lst_from_token:
 *      JWS, the token's shape, base64url, bounded inflation); an accepted
 *      list must hold at least one byte and at most the bound, and every
 *      entry must read back within its bits;
 *   1  the cached form of a status list (DIR/HASH.sl) as a login reads it
 *      (pj_status_check with the second byte as the index): whatever the
 *      file holds, the answer is a decision, never a crash;
 *   2  a revocation feed as the fetch helper gets it (pj_feed_parse with a
 *      key made at start-up: this exercises the JWS and header rules);
 *   3  a feed's claims, signed here with that key, so the fuzzer reaches the
 *      entries: an accepted feed's list must hold only entries the store can
 *      write, sorted and unique. */
#include "fuzz.h"

#include <jansson.h>

#include <openssl/evp.h>

#include "config.h"
#include "document.h"
#include "feed.h"
#include "lst/lst.h"
#include "sig.h"
#include "statuslist.h"
#include "store.h"
#include "util.h"

#define URI "https://idp.test/lists/1"

static char sl_path[600];
static struct pj_config cfg;
static struct pj_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pj_err e;
	(void)argc, (void)argv;
	fz_tmpdir();
	if (pj_config_init(&cfg, getuid()) != 0 ||
	    pj_config_set(&cfg, "cache_dir", fz_dir, "fuzz", &e) != 0 ||
	    pj_config_set(&cfg, "fetch_helper", "/nonexistent/pam_jwt-fetch", "fuzz", &e) != 0 ||
	    pj_config_set(&cfg, "status_list_url", "https://idp.test/lists/", "fuzz", &e) != 0)
		abort();
	/* The name a login looks under: SHA-256 of "status_list\nISS\nURI". */
	FILE *p = popen("printf 'status_list\\nhttps://idp.test\\n" URI "' | sha256sum", "r");
	char hex[65] = "";
	if (!p || fscanf(p, "%64s", hex) != 1)
		abort();
	pclose(p);
	snprintf(sl_path, sizeof(sl_path), "%s/%s.sl", fz_dir, hex);
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pk || pj_key_from_pkey(pk, &key, &e) != 0)
		abort();
	return 0;
}

static void feed(const char *p, size_t n)
{
	struct pj_revlist l;
	struct pj_feed_summary s;
	pj_err e;
	if (pj_feed_parse(p, n, &key, time(NULL), 60, &l, &s, &e) != 0)
		return;
	if (s.version < 1 || s.entries != l.n)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		const struct pj_rev_entry *en = &l.v[i];
		if (en->kind != PJ_REV_COMMENT && en->kind != PJ_REV_ALL &&
		    !pj_name_valid(en->text, strlen(en->text)))
			abort();
		if (i && en->kind == l.v[i - 1].kind && en->kind != PJ_REV_COMMENT &&
		    (en->kind == PJ_REV_ALL || strcmp(en->text, l.v[i - 1].text) <= 0))
			abort();
	}
	pj_revlist_free(&l);
}

/* The input as claims, signed: header.payload.signature. */
static void signed_feed(const unsigned char *p, size_t n)
{
	static const char hdr[] = "eyJhbGciOiJFUzI1NiIsInR5cCI6InBhbV9qd3QtZmVlZCtqd3QifQ";
	char *b = pj_b64url_encode(p, n), *tok = NULL, *sb = NULL;
	unsigned char *sig = NULL;
	size_t siglen;
	pj_err e;
	if (!b || asprintf(&tok, "%s.%s", hdr, b) < 0)
		abort();
	if (pj_sig_sign(PJ_ALG_ES256, &key, (unsigned char *)tok, strlen(tok), &sig, &siglen, &e) !=
		    0 ||
	    !(sb = pj_b64url_encode(sig, siglen)))
		abort();
	char *whole = NULL;
	if (asprintf(&whole, "%s.%s", tok, sb) < 0)
		abort();
	feed(whole, strlen(whole));
	free(whole);
	free(sb);
	free(sig);
	free(tok);
	free(b);
}

static void token(const char *p, size_t n)
{
	unsigned char *out;
	size_t outn;
	int bits;
	pj_err e;
	if (pj_lst_from_token(p, n, &out, &outn, &bits, &e) != 0)
		return;
	if (outn == 0 || outn > PJ_STATUS_LIST_MAX ||
	    (bits != 1 && bits != 2 && bits != 4 && bits != 8))
		abort();
	size_t entries = outn * 8 / (size_t)bits;
	for (size_t i = 0; i < entries && i < 4096; i++)
		if (pj_status_entry(out, outn, bits, i) < 0 ||
		    pj_status_entry(out, outn, bits, i) >= (1 << bits))
			abort();
	if (pj_status_entry(out, outn, bits, entries) != -1)
		abort();
	free(out);
}

static void cached(const unsigned char *p, size_t n)
{
	char claims[256];
	pj_err e;
	if (n < 1)
		return;
	fz_write(sl_path, p + 1, n - 1, 0644);
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"https://idp.test\",\"status\":{\"status_list\":{\"idx\":%u,"
		 "\"uri\":\"" URI "\"}}}",
		 p[0]);
	json_t *j = json_loads(claims, 0, NULL);
	int rc = pj_status_check(&cfg, j, time(NULL), &e);
	if (rc != 0 && rc != -1)
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *copy = fz_copy(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		token(copy, size - 1);
		break;
	case 1:
		cached((const unsigned char *)copy, size - 1);
		break;
	case 2:
		feed(copy, size - 1);
		break;
	default:
		signed_feed((const unsigned char *)copy, size - 1);
		break;
	}
	free(copy);
	return 0;
}
