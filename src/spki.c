/* SPDX-License-Identifier: BSD-3-Clause */
#include "spki.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

/* ---- DER (X.690): definite lengths in their shortest form, nothing else ---- */

struct der {
	const unsigned char *p;
	size_t n;
};

/* The next element, which must have tag; its content goes to *out. */
static int der_take(struct der *d, unsigned char tag, struct der *out)
{
	size_t len, head;
	if (d->n < 2 || d->p[0] != tag)
		return -1;
	unsigned char b = d->p[1];
	if (b < 0x80) {
		len = b;
		head = 2;
	} else if (b == 0x81) {
		/* The long form only where the short one cannot say it. */
		if (d->n < 3 || d->p[2] < 0x80)
			return -1;
		len = d->p[2];
		head = 3;
	} else if (b == 0x82) {
		if (d->n < 4 || d->p[2] == 0)
			return -1;
		len = (size_t)d->p[2] << 8 | d->p[3];
		head = 4;
	} else {
		/* 64 KiB and more (or indefinite, 0x80): no key of ours is that long. */
		return -1;
	}
	if (len > d->n - head)
		return -1;
	out->p = d->p + head;
	out->n = len;
	d->p += head + len;
	d->n -= head + len;
	return 0;
}

static int der_is(const struct der *d, const unsigned char *want, size_t n)
{
	return d->n == n && memcmp(d->p, want, n) == 0;
}

/* A positive INTEGER in its minimal form: its magnitude, big-endian, without
 * the leading zero byte DER puts before a high bit. */
static int der_uint(struct der *d, struct der *mag)
{
	if (der_take(d, 0x02, mag) != 0 || mag->n == 0 || (mag->p[0] & 0x80))
		return -1;
	if (mag->p[0] == 0) {
		if (mag->n == 1 || !(mag->p[1] & 0x80))
			return -1; /* zero, or not minimal */
		mag->p++;
		mag->n--;
	}
	return 0;
}

/* ---- the key types ---- */

/* Object identifiers, as their DER contents. */
static const unsigned char oid_ec[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const unsigned char oid_ed25519[] = { 0x2b, 0x65, 0x70 };
static const unsigned char oid_ed448[] = { 0x2b, 0x65, 0x71 };
static const unsigned char oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const unsigned char oid_p521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };

static const struct {
	const unsigned char *oid;
	size_t oid_len;
	const char *name;
	size_t len; /* bytes of a coordinate */
} curves[] = {
	{ oid_p256, sizeof(oid_p256), "P-256", 32 },
	{ oid_p384, sizeof(oid_p384), "P-384", 48 },
	{ oid_p521, sizeof(oid_p521), "P-521", 66 },
};

/* The largest RSA modulus OpenSSL verifies with (OPENSSL_RSA_MAX_MODULUS_BITS). */
#define RSA_MAX_BYTES (16384 / 8)

static EVP_PKEY *fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* RFC 5480 2.1.1 namedCurve, and the point as X9.62 (2.2): uncompressed or
 * compressed; OpenSSL checks that it lies on the curve.  The point at
 * infinity, hybrid forms and explicit parameters are left to OpenSSL's
 * decoder (and its refusal). */
static EVP_PKEY *ec_key(struct der *params, const struct der *pt)
{
	struct der oid;
	if (der_take(params, 0x06, &oid) != 0 || params->n != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (!der_is(&oid, curves[i].oid, curves[i].oid_len))
			continue;
		size_t l = curves[i].len;
		int ok = pt->n >= 1 && ((pt->p[0] == 0x04 && pt->n == 1 + 2 * l) ||
					((pt->p[0] == 0x02 || pt->p[0] == 0x03) && pt->n == 1 + l));
		if (!ok)
			return NULL;
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							 (char *)curves[i].name, 0),
			OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt->p,
							  pt->n),
			OSSL_PARAM_construct_end(),
		};
		return fromdata("EC", p);
	}
	return NULL;
}

/* RFC 3279 2.3.1: RSAPublicKey ::= SEQUENCE { modulus, publicExponent }. */
static EVP_PKEY *rsa_key(const struct der *params, const struct der *bits)
{
	static const unsigned char null[] = { 0x05, 0x00 };
	struct der in = *bits, seq, n, e;
	if (!der_is(params, null, sizeof(null)) || der_take(&in, 0x30, &seq) != 0 || in.n != 0 ||
	    der_uint(&seq, &n) != 0 || der_uint(&seq, &e) != 0 || seq.n != 0 ||
	    n.n > RSA_MAX_BYTES || e.n > n.n)
		return NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *bn = BN_bin2bn(n.p, (int)n.n, NULL), *be = BN_bin2bn(e.p, (int)e.n, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *p = NULL;
	if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
	    (p = OSSL_PARAM_BLD_to_param(bld)))
		pkey = fromdata("RSA", p);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

/* RFC 8410 3: no parameters at all, the raw public key in the bit string. */
static EVP_PKEY *raw_key(const struct der *params, const struct der *key, const char *type,
			 size_t len)
{
	if (params->n != 0 || key->n != len)
		return NULL;
	return EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, key->p, key->n);
}

static EVP_PKEY *spki(const unsigned char *der, size_t n)
{
	struct der all = { der, n }, seq, alg, bits, oid;
	if (der_take(&all, 0x30, &seq) != 0 || all.n != 0 || der_take(&seq, 0x30, &alg) != 0 ||
	    der_take(&seq, 0x03, &bits) != 0 || seq.n != 0 || der_take(&alg, 0x06, &oid) != 0)
		return NULL;
	/* A key is a whole number of bytes: no unused bits. */
	if (bits.n < 1 || bits.p[0] != 0)
		return NULL;
	struct der key = { bits.p + 1, bits.n - 1 };
	if (der_is(&oid, oid_ec, sizeof(oid_ec)))
		return ec_key(&alg, &key);
	if (der_is(&oid, oid_rsa, sizeof(oid_rsa)))
		return rsa_key(&alg, &key);
	if (der_is(&oid, oid_ed25519, sizeof(oid_ed25519)))
		return raw_key(&alg, &key, "ED25519", 32);
	if (der_is(&oid, oid_ed448, sizeof(oid_ed448)))
		return raw_key(&alg, &key, "ED448", 57);
	return NULL;
}

EVP_PKEY *pj_spki_from_der(const unsigned char *der, size_t n)
{
	/* OpenSSL may queue errors on the way (a point off the curve): they are
	 * ours, not the host process's. */
	ERR_set_mark();
	EVP_PKEY *pkey = spki(der, n);
	ERR_pop_to_mark();
	return pkey;
}

/* ---- PEM (RFC 7468 5, the strict form): what every generator writes ---- */

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END	  "-----END PUBLIC KEY-----"
#define PEM_LINE  64

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The end of the line starting at p: its length, and *next past its line
 * break (LF or CR LF); -1 without one before end. */
static long line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		return -1;
	*next = nl + 1;
	if (nl > p && nl[-1] == '\r')
		nl--;
	return (long)(nl - p);
}

/* Base64 (RFC 4648 4) of n characters into out (at least n / 4 * 3 bytes):
 * padding only at the end, no bits left over.  Bytes written, or -1. */
static long b64_decode(const char *in, size_t n, unsigned char *out)
{
	size_t o = 0, pad = 0;
	unsigned long acc = 0;
	if (n == 0 || n % 4 != 0)
		return -1;
	while (pad < 2 && in[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (unsigned long)v;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad == 2) {
		if (acc & 0x0f)
			return -1;
		out[o++] = (unsigned char)(acc >> 4);
	} else if (pad == 1) {
		if (acc & 0x03)
			return -1;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return (long)o;
}

EVP_PKEY *pj_spki_from_pem(const char *pem, size_t n)
{
	const char *end = pem + n, *begin = NULL, *p;
	/* Exactly one PEM block of any kind: with others around (a certificate,
	 * parameters) OpenSSL's choice among them is OpenSSL's to make. */
	for (p = pem; p < end && (p = memmem(p, (size_t)(end - p), "-----BEGIN", 10)); p += 10) {
		if (begin)
			return NULL;
		begin = p;
	}
	if (!begin || (begin > pem && begin[-1] != '\n'))
		return NULL;
	/* Explanatory text before it (openssl pkey -text writes some) is
	 * skipped, as OpenSSL does; binary bytes are not. */
	for (p = pem; p < begin; p++)
		if ((unsigned char)*p >= 0x7f ||
		    ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t'))
			return NULL;
	if (line_at(begin, end, &p) != (long)strlen(PEM_BEGIN) ||
	    memcmp(begin, PEM_BEGIN, strlen(PEM_BEGIN)) != 0)
		return NULL;
	/* The base64 lines: 64 characters each but the last. */
	size_t cap = (size_t)(end - p);
	char *b64 = malloc(cap ? cap : 1);
	unsigned char *der = NULL;
	EVP_PKEY *pkey = NULL;
	size_t b64n = 0;
	long len, last = PEM_LINE;
	const char *next;
	if (!b64)
		return NULL;
	for (;;) {
		const char *line = p;
		len = line_at(line, end, &next);
		if (len < 0) {
			/* The END line may close the text without a line break. */
			len = (long)(end - line);
			next = end;
		}
		if (len == (long)strlen(PEM_END) && memcmp(line, PEM_END, (size_t)len) == 0)
			break;
		if (len == 0 || len > PEM_LINE || last != PEM_LINE || next == end)
			goto done;
		memcpy(b64 + b64n, line, (size_t)len);
		b64n += (size_t)len;
		last = len;
		p = next;
	}
	if (b64n == 0 || !(der = malloc(b64n / 4 * 3 + 3)))
		goto done;
	long dern = b64_decode(b64, b64n, der);
	if (dern > 0)
		pkey = pj_spki_from_der(der, (size_t)dern);
done:
	free(b64);
	free(der);
	return pkey;
}
