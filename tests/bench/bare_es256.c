/* SPDX-License-Identifier: BSD-3-Clause */
/* The baseline for a login: the least a process must do to check an ES256
 * JWS signature against a PEM public key file.  bare_verify() (what callgrind
 * toggles on) reads and parses the key file, turns the raw R||S into DER and
 * runs EVP_DigestVerify; OpenSSL's first-use set-up happens inside it, as it
 * does inside pam_sm_authenticate.  Header and claims are not looked at: that
 * is part of what pam_jwt adds.
 *
 * usage: bare_es256 PUBKEY.pem < token     exit 0 only when the signature verifies */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

int bare_verify(const char *keyfile, const char *tok, size_t n) __attribute__((noinline, noclone));

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

int bare_verify(const char *keyfile, const char *tok, size_t n)
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

	FILE *f = fopen(keyfile, "r");
	if (!f)
		return 0;
	EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
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

int main(int argc, char **argv)
{
	static char tok[16384];
	if (argc != 2) {
		fputs("usage: bare_es256 PUBKEY.pem < token\n", stderr);
		return 2;
	}
	size_t n = fread(tok, 1, sizeof(tok) - 1, stdin);
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		n--;
	if (!bare_verify(argv[1], tok, n)) {
		fputs("bare_es256: the signature does not verify\n", stderr);
		return 1;
	}
	return 0;
}
