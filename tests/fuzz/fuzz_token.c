/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is what a user types at the prompt.  It goes through
 * pj_verify exactly as pam_sm_authenticate hands it over (with and without a
 * user to bind), through pj_token_parse with every algorithm allowed, and the
 * parsed header and claims through the claim checks of a second, stricter
 * configuration, the decision line and the revocation name. */
#include "fuzz.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "claims.h"
#include "config.h"
#include "log.h"
#include "revocation.h"
#include "token.h"
#include "util.h"
#include "verify.h"

/* Just before the RFC 7515 examples expire (exp 1300819380). */
#define NOW ((time_t)1300819000)

static struct pj_config cfg, strict;

static void set(struct pj_config *c, const char *k, const char *v)
{
	pj_err e;
	if (pj_config_set(c, k, v, "fuzz", &e) != 0) {
		fprintf(stderr, "fuzz_token: %s\n", e.msg);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char jwks[512], rev[512];
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(jwks, sizeof(jwks), "keys.jwks");
	fz_path(rev, sizeof(rev), "revocations");
	fz_write(jwks, fz_jwks, strlen(fz_jwks), 0600);
	static const char revlist[] = "# fuzz\nall 1000000000\nuser mallory 1300818000\n"
				      "jti revoked-1\njti sha256:00 1300819380\n";
	fz_write(rev, revlist, strlen(revlist), 0644);
	if (pj_config_init(&cfg, getuid()) != 0 || pj_config_init(&strict, getuid()) != 0)
		abort();
	cfg.layer = strict.layer = PJ_LAYER_FILE;
	set(&cfg, "jwks_file", jwks);
	set(&cfg, "algorithms",
	    "HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 "
	    "ES256 ES384 ES512 EdDSA");
	set(&cfg, "revocation_file", rev);
	set(&strict, "issuer", "joe, https://idp.test");
	set(&strict, "audience", "pam, ssh");
	set(&strict, "require", "exp iat jti");
	set(&strict, "max_age", "3600");
	set(&strict, "max_lifetime", "86400");
	set(&strict, "typ", "JWT");
	set(&strict, "username_claim", "preferred_username");
	return 0;
}

static void run_verify(const char *tok, size_t n, const char *user)
{
	struct pj_result r;
	char line[1024];
	pj_verify(&cfg, tok, n, user, NOW, &r);
	pj_log_decision(line, sizeof(line), user, n, 0, &r);
	pj_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok = fz_copy(data, size), name[PJ_NAME_MAX + 1];
	struct pj_token t;
	pj_err e;
	run_verify(tok, size, NULL);
	run_verify(tok, size, "joe");
	if (pj_token_parse(tok, size, PJ_ALGS_ALL, &t, &e) == 0) {
		pj_claims_check(&strict, t.header, t.claims, "joe", 0, NOW, &e);
		pj_claims_check(&cfg, t.header, t.claims, NULL, 1, NOW, &e);
		pj_token_name(t.claims, tok, size, name, sizeof(name));
	}
	pj_token_free(&t);
	free(tok);
	return 0;
}

/* ---- structure-aware mutation ----
 * Random edits to base64url text rarely make JSON.  Half of the time one
 * segment is decoded, mutated as bytes and encoded again; a token whose header
 * then says HS256 is re-signed with the RFC 7515 A.1 key, so mutated claims
 * also pass the signature and reach the claim checks and the revocation file
 * through pj_verify itself. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static const char hs_key_b64[] =
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

static size_t resign(char *tok, size_t n, size_t max)
{
	char *d2 = memrchr(tok, '.', n), *b64 = NULL;
	unsigned char *key = NULL, *hdr = NULL, mac[EVP_MAX_MD_SIZE];
	size_t keyn, hdrn, len;
	unsigned macn = 0;
	char *d1 = memchr(tok, '.', n);
	if (!d1 || d1 == d2 || pj_b64url_decode(tok, (size_t)(d1 - tok), &hdr, &hdrn, NULL) != 0)
		return n;
	if (memmem(hdr, hdrn, "\"HS256\"", 7) &&
	    pj_b64url_decode(hs_key_b64, strlen(hs_key_b64), &key, &keyn, NULL) == 0 &&
	    HMAC(EVP_sha256(), key, (int)keyn, (unsigned char *)tok, (size_t)(d2 - tok), mac,
		 &macn) &&
	    (b64 = pj_b64url_encode(mac, macn)) &&
	    (len = (size_t)(d2 + 1 - tok) + strlen(b64)) <= max) {
		memcpy(d2 + 1, b64, strlen(b64));
		n = len;
	}
	free(b64);
	free(key);
	free(hdr);
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	char *tok = (char *)data, *dots[2];
	if (seed % 2 == 0 || size == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	dots[0] = memchr(tok, '.', size);
	dots[1] = dots[0] ? memchr(dots[0] + 1, '.', size - (size_t)(dots[0] + 1 - tok)) : NULL;
	if (!dots[1])
		return LLVMFuzzerMutate(data, size, max_size);
	/* Segment 0 header, 1 payload, 2 signature. */
	unsigned which = (seed >> 1) % 3;
	char *start = which == 0 ? tok : dots[which - 1] + 1;
	char *end = which == 2 ? tok + size : dots[which];
	unsigned char *raw, *buf;
	size_t rawn;
	if (pj_b64url_decode(start, (size_t)(end - start), &raw, &rawn, NULL) != 0)
		return LLVMFuzzerMutate(data, size, max_size);
	size_t cap = rawn * 2 + 64;
	if (!(buf = malloc(cap)))
		abort();
	memcpy(buf, raw, rawn);
	free(raw);
	rawn = LLVMFuzzerMutate(buf, rawn, cap);
	char *enc = pj_b64url_encode(buf, rawn);
	free(buf);
	size_t head = (size_t)(start - tok), tail = size - (size_t)(end - tok);
	if (!enc || head + strlen(enc) + tail > max_size) {
		free(enc);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memmove(tok + head + strlen(enc), end, tail);
	memcpy(tok + head, enc, strlen(enc));
	size = head + strlen(enc) + tail;
	free(enc);
	return which == 2 ? size : resign(tok, size, max_size);
}
