/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenSSL's floor for an ES256 login: what no verifier built on OpenSSL can
 * do without.  floor_verify() (what callgrind toggles on) pays OpenSSL's
 * first-use initialisation, builds the public key directly from its point
 * (EVP_PKEY_fromdata: no file, no PEM or DER decoder), turns the raw R||S
 * into DER and runs one EVP_DigestVerify.  The point is read from the command
 * line (hex, 04 || X || Y) before the toggled call; the token from stdin.
 *
 * usage: floor_es256 POINT-HEX < token     exit 0 only when the signature verifies */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

int floor_verify(const unsigned char *pt, size_t ptn, const char *tok, size_t n)
	__attribute__((noinline, noclone));

static int b64url(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

int floor_verify(const unsigned char *pt, size_t ptn, const char *tok, size_t n)
{
	const char *dot = memrchr(tok, '.', n);
	unsigned char raw[64], *der = NULL;
	size_t o = 0;
	unsigned long acc = 0;
	int bits = 0, ok = 0;
	if (!dot)
		return 0;
	for (const char *p = dot + 1; p < tok + n; p++) {
		int v = b64url((unsigned char)*p);
		if (v < 0)
			return 0;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == sizeof(raw))
				return 0;
			raw[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != sizeof(raw))
		return 0;

	char group[] = "P-256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, ptn),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!kctx || EVP_PKEY_fromdata_init(kctx) != 1 ||
	    EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(kctx);
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	int derlen = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;
		derlen = i2d_ECDSA_SIG(es, &der);
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (pkey && derlen > 0 && ctx &&
	    EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1)
		ok = EVP_DigestVerify(ctx, der, (size_t)derlen, (const unsigned char *)tok,
				      (size_t)(dot - tok)) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pkey);
	return ok;
}

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(int argc, char **argv)
{
	static char tok[16384];
	unsigned char pt[65];
	if (argc != 2 || strlen(argv[1]) != 2 * sizeof(pt)) {
		fputs("usage: floor_es256 POINT-HEX < token\n", stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(pt); i++) {
		int hi = hex(argv[1][2 * i]), lo = hex(argv[1][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fputs("floor_es256: the point is not lower-case hex\n", stderr);
			return 2;
		}
		pt[i] = (unsigned char)(hi << 4 | lo);
	}
	size_t n = fread(tok, 1, sizeof(tok) - 1, stdin);
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		n--;
	if (!floor_verify(pt, sizeof(pt), tok, n)) {
		fputs("floor_es256: the signature does not verify\n", stderr);
		return 1;
	}
	return 0;
}
