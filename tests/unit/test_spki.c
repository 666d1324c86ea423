/* SPDX-License-Identifier: BSD-3-Clause */
/* src/spki.c: public keys from PEM and DER without OpenSSL's decoders.  Every
 * key it accepts must be the key OpenSSL's decoder makes of the same bytes
 * (the differential check below runs on every key: generated ones of each
 * type, hand-made encodings, the fuzz seeds, the Wycheproof vectors), and what
 * it leaves alone (NULL) goes to OpenSSL as before. */
#include "unit.h"

#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys.h"
#include "sig.h"
#include "spki.h"
#include "util.h"

/* OpenSSL's own reading of the same bytes. */
static EVP_PKEY *ossl_pem(const char *pem, size_t n)
{
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static EVP_PKEY *ossl_der(const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)n);
	ERR_clear_error();
	return k;
}

/* Whatever ours accepts, OpenSSL accepts as the same key.  Returns whether
 * ours accepted. */
static int same_as_openssl_pem(const char *pem, size_t n, const char *what)
{
	EVP_PKEY *ours = pj_spki_from_pem(pem, n);
	if (!ours)
		return 0;
	EVP_PKEY *theirs = ossl_pem(pem, n);
	if (!theirs)
		fail_msg("%s: accepted, but OpenSSL refuses it", what);
	if (EVP_PKEY_eq(ours, theirs) != 1)
		fail_msg("%s: not the key OpenSSL reads", what);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return 1;
}

static int same_as_openssl_der(const unsigned char *der, size_t n, const char *what)
{
	EVP_PKEY *ours = pj_spki_from_der(der, n);
	if (!ours)
		return 0;
	EVP_PKEY *theirs = ossl_der(der, n);
	if (!theirs)
		fail_msg("%s: accepted, but OpenSSL refuses it", what);
	if (EVP_PKEY_eq(ours, theirs) != 1)
		fail_msg("%s: not the key OpenSSL reads", what);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return 1;
}

static char *pem_of(EVP_PKEY *k, size_t *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	*n = (size_t)BIO_get_mem_data(b, &p);
	char *s = malloc(*n + 1);
	assert_non_null(s);
	memcpy(s, p, *n);
	s[*n] = 0;
	BIO_free(b);
	return s;
}

static unsigned char *der_of(EVP_PKEY *k, size_t *n)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k, &der);
	assert_true(len > 0);
	*n = (size_t)len;
	return der;
}

/* The PEM armour around DER, with lines of `width` characters and `eol`. */
static char *armour(const unsigned char *der, size_t n, int width, const char *eol)
{
	char *b64 = malloc(n / 3 * 4 + 8), *out = malloc(n * 2 + 200);
	assert_non_null(b64);
	assert_non_null(out);
	int len = EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	size_t o = (size_t)sprintf(out, "-----BEGIN PUBLIC KEY-----%s", eol);
	for (int i = 0; i < len; i += width) {
		int w = len - i < width ? len - i : width;
		o += (size_t)sprintf(out + o, "%.*s%s", w, b64 + i, eol);
	}
	sprintf(out + o, "-----END PUBLIC KEY-----%s", eol);
	free(b64);
	return out;
}

/* ---- every type, in every form ---- */

static EVP_PKEY *gen(const char *type, const char *arg)
{
	EVP_PKEY *k = !arg ? EVP_PKEY_Q_keygen(NULL, NULL, type)
		      : strcmp(type, "RSA") == 0
			      ? EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)atoi(arg))
			      : EVP_PKEY_Q_keygen(NULL, NULL, type, arg);
	assert_non_null(k);
	return k;
}

static void test_types(void **state)
{
	(void)state;
	static const char *types[][2] = { { "RSA", "2048" }, { "RSA", "3072" }, { "EC", "P-256" },
					  { "EC", "P-384" }, { "EC", "P-521" }, { "ED25519", NULL },
					  { "ED448", NULL } };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = gen(types[i][0], types[i][1]);
		size_t n, dn;
		char *pem = pem_of(k, &n);
		unsigned char *der = der_of(k, &dn);
		EVP_PKEY *ours = pj_spki_from_pem(pem, n);
		if (!ours)
			fail_msg("%s %s: PEM not read", types[i][0],
				 types[i][1] ? types[i][1] : "");
		assert_int_equal(EVP_PKEY_eq(ours, k), 1);
		assert_true(same_as_openssl_pem(pem, n, types[i][0]));
		assert_true(same_as_openssl_der(der, dn, types[i][0]));
		/* The same as the key the module used to get from OpenSSL: it
		 * fits the same algorithms and passes the same checks. */
		struct pj_key a, b;
		pj_err e;
		if (pj_key_from_pkey(ours, &a, &e) != 0)
			fail_msg("%s: %s", types[i][0], e.msg);
		assert_int_equal(EVP_PKEY_up_ref(k), 1);
		assert_int_equal(pj_key_from_pkey(k, &b, &e), 0);
		for (int alg = 0; alg < PJ_ALG_COUNT; alg++)
			assert_int_equal(pj_key_fits(&a, alg, &e), pj_key_fits(&b, alg, &e));
		pj_key_clear(&a);
		pj_key_clear(&b);
		/* Line breaks as Windows writes them, text before the block,
		 * no line break after it. */
		char *crlf = armour(der, dn, 64, "\r\n");
		assert_true(same_as_openssl_pem(crlf, strlen(crlf), "CRLF"));
		char *text = malloc(n + 64);
		sprintf(text, "Public-Key: (our key)\n\t(comment)\n%.*s", (int)n - 1, pem);
		assert_true(
			same_as_openssl_pem(text, strlen(text), "text before, no last newline"));
		free(text);
		free(crlf);
		free(pem);
		OPENSSL_free(der);
		EVP_PKEY_free(k);
	}
}

/* Encodings the reader leaves to OpenSSL, which then decides as before. */
static void test_left_to_openssl(void **state)
{
	(void)state;
	EVP_PKEY *p256 = gen("EC", "P-256");
	size_t dn, n;
	unsigned char *der = der_of(p256, &dn);

	/* 76-character lines (RFC 2045's): OpenSSL reads them, so the module
	 * still does, through OpenSSL. */
	char *wide = armour(der, dn, 76, "\n");
	assert_false(same_as_openssl_pem(wide, strlen(wide), "76"));
	struct pj_key key;
	pj_err e;
	assert_int_equal(pj_pem_to_key(wide, strlen(wide), 0, "wide.pem", &key, &e), 0);
	assert_int_equal(EVP_PKEY_eq(key.pkey, p256), 1);
	pj_key_clear(&key);
	free(wide);

	/* The compressed point is X9.62's, and read; the point at infinity
	 * and the hybrid form are not (OpenSSL reads infinity, and the
	 * module's own check then refuses it). */
	EVP_PKEY *c = EVP_PKEY_dup(p256);
	assert_int_equal(
		EVP_PKEY_set_utf8_string_param(c, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					       OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
		1);
	unsigned char *cder = der_of(c, &n);
	assert_int_equal(n, dn - 32);
	assert_true(same_as_openssl_der(cder, n, "compressed"));
	OPENSSL_free(cder);
	EVP_PKEY_free(c);

	/* Explicit curve parameters (RFC 5480 forbids them). */
	EVP_PKEY *x = EVP_PKEY_dup(p256);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(x, OSSL_PKEY_PARAM_EC_ENCODING,
							OSSL_PKEY_EC_ENCODING_EXPLICIT),
			 1);
	unsigned char *xder = der_of(x, &n);
	assert_null(pj_spki_from_der(xder, n));
	OPENSSL_free(xder);
	EVP_PKEY_free(x);

	/* Hand-made changes of a good P-256 SubjectPublicKeyInfo (91 bytes:
	 * 30 59 | 30 13 06 07 ecPublicKey 06 08 prime256v1 | 03 42 00 04 X Y). */
	assert_int_equal(dn, 91);
	unsigned char b[200];
	static const char *cases[] = {
		"long form for a short length",
		"a byte after the key",
		"unused bits in the bit string",
		"the point at infinity",
		"hybrid point form",
		"point off the curve",
		"secp256k1",
		"length past the end",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t bn = dn;
		memcpy(b, der, dn);
		switch (i) {
		case 0: /* 30 81 59 ... */
			memmove(b + 3, b + 2, dn - 2);
			b[1] = 0x81;
			b[2] = 0x59;
			bn++;
			break;
		case 1:
			b[bn++] = 0;
			break;
		case 2:
			b[25] = 1;
			break;
		case 3: /* 03 02 00 00, lengths fixed */
			b[1] = 0x19;
			b[24] = 2;
			b[26] = 0;
			bn = 27;
			break;
		case 4:
			b[26] = 0x06;
			break;
		case 5:
			b[90] ^= 1;
			break;
		case 6: /* 1.3.132.0.10: 06 05 2b 81 04 00 0a, three bytes shorter */
		{
			static const unsigned char k1[] = {
				0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a
			};
			b[1] -= 3;
			b[3] -= 3;
			memcpy(b + 13, k1, sizeof(k1));
			memmove(b + 20, der + 23, dn - 23);
			bn -= 3;
			break;
		}
		case 7:
			b[1] = 0x5a;
			break;
		}
		if (pj_spki_from_der(b, bn))
			fail_msg("%s: read", cases[i]);
		/* And the module's answer is OpenSSL's, whatever it is. */
		char *pem = armour(b, bn, 64, "\n");
		EVP_PKEY *theirs = ossl_pem(pem, strlen(pem));
		int rc = pj_pem_to_key(pem, strlen(pem), 0, "k.pem", &key, &e);
		if (!theirs)
			assert_int_equal(rc, -1);
		else if (rc == 0)
			assert_int_equal(EVP_PKEY_eq(key.pkey, theirs), 1);
		if (i == 3) /* OpenSSL reads infinity; the module refuses it */
			assert_true(rc == -1 && strstr(e.msg, "not a point of its curve"));
		pj_key_clear(&key);
		EVP_PKEY_free(theirs);
		free(pem);
	}

	/* PEM layouts: two blocks, no END, a blank line, padding in the
	 * middle, bits left over, spaces after BEGIN. */
	size_t pn;
	char *pem = pem_of(p256, &pn), *t = malloc(pn * 3 + 200);
	char *cert_like = malloc(pn * 2 + 64);
	sprintf(cert_like, "%s%s", pem, pem);
	assert_null(pj_spki_from_pem(cert_like, strlen(cert_like)));
	strcpy(t, pem);
	*strstr(t, "-----END") = 0;
	assert_null(pj_spki_from_pem(t, strlen(t)));
	strcpy(t, pem);
	char *nl = strchr(t, '\n') + 65; /* after the first base64 line */
	memmove(nl + 1, nl, strlen(nl) + 1);
	*nl = '\n';
	assert_null(pj_spki_from_pem(t, strlen(t)));
	strcpy(t, pem);
	strchr(t, '\n')[5] = '=';
	assert_null(pj_spki_from_pem(t, strlen(t)));
	strcpy(t, pem);
	char *last = strstr(t, "\n-----END") - 1; /* "...Q==" or "...w=" : the bits left over */
	while (*last == '=')
		last--;
	*last = *last == 'A' ? 'B' : 'A';
	assert_null(pj_spki_from_pem(t, strlen(t)));
	strcpy(t, pem);
	memmove(t + 27, t + 26, strlen(t + 26) + 1);
	t[26] = ' ';
	assert_null(pj_spki_from_pem(t, strlen(t)));
	/* A NUL byte before the block. */
	memcpy(t, "x\0\n", 3);
	memcpy(t + 3, pem, pn);
	assert_null(pj_spki_from_pem(t, pn + 3));
	free(t);
	free(cert_like);
	free(pem);
	OPENSSL_free(der);
	EVP_PKEY_free(p256);
}

/* RSA keys made by hand: minimal positive integers only, NULL parameters. */
static size_t tlv(unsigned char tag, const unsigned char *c, size_t n, unsigned char *out)
{
	size_t o = 0;
	out[o++] = tag;
	if (n < 128) {
		out[o++] = (unsigned char)n;
	} else if (n < 256) {
		out[o++] = 0x81;
		out[o++] = (unsigned char)n;
	} else {
		out[o++] = 0x82;
		out[o++] = (unsigned char)(n >> 8);
		out[o++] = (unsigned char)n;
	}
	memcpy(out + o, c, n);
	return o + n;
}

static size_t rsa_spki(const unsigned char *n, size_t nn, const unsigned char *e, size_t en,
		       const unsigned char *params, size_t pn, unsigned char *out)
{
	static const unsigned char oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					     0xf7, 0x0d, 0x01, 0x01, 0x01 };
	unsigned char ints[700], seq[700], bits[700], alg[64], all[800];
	size_t o = tlv(0x02, n, nn, ints);
	o += tlv(0x02, e, en, ints + o);
	size_t s = tlv(0x30, ints, o, seq);
	bits[0] = 0;
	memcpy(bits + 1, seq, s);
	memcpy(alg, oid, sizeof(oid));
	if (pn)
		memcpy(alg + sizeof(oid), params, pn);
	size_t a = tlv(0x30, alg, sizeof(oid) + pn, all);
	a += tlv(0x03, bits, s + 1, all + a);
	return tlv(0x30, all, a, out);
}

static void test_rsa_integers(void **state)
{
	(void)state;
	EVP_PKEY *k = gen("RSA", "2048");
	BIGNUM *bn = NULL;
	unsigned char n[260], out[900];
	static const unsigned char null[] = { 0x05, 0x00 }, e[] = { 0x01, 0x00, 0x01 },
				   e0[] = { 0x00, 0x01, 0x00, 0x01 },
				   oid_params[] = { 0x06, 0x01, 0x00 };
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	n[0] = 0;
	assert_int_equal(BN_bn2bin(bn, n + 1), 256);
	BN_free(bn);
	size_t len = rsa_spki(n, 257, e, sizeof(e), null, sizeof(null), out);
	assert_true(same_as_openssl_der(out, len, "rsa"));
	/* n without its zero byte reads as negative; e with a needless one. */
	len = rsa_spki(n + 1, 256, e, sizeof(e), null, sizeof(null), out);
	assert_null(pj_spki_from_der(out, len));
	len = rsa_spki(n, 257, e0, sizeof(e0), null, sizeof(null), out);
	assert_null(pj_spki_from_der(out, len));
	/* Parameters absent, or not NULL. */
	len = rsa_spki(n, 257, e, sizeof(e), NULL, 0, out);
	assert_null(pj_spki_from_der(out, len));
	len = rsa_spki(n, 257, e, sizeof(e), oid_params, sizeof(oid_params), out);
	assert_null(pj_spki_from_der(out, len));
	EVP_PKEY_free(k);
}

/* ---- keys from outside: the fuzz seeds, Wycheproof ---- */

static unsigned char *hex_bytes(const char *h, size_t *n)
{
	size_t l = strlen(h);
	unsigned char *b = malloc(l / 2 + 1);
	assert_non_null(b);
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		b[i] = (unsigned char)v;
	}
	*n = l / 2;
	return b;
}

static void test_seeds(void **state)
{
	(void)state;
	const char *dirs[] = { "tests/fuzz/corpus/jwks", "tests/fuzz/corpus/spki" };
	unsigned read = 0, files = 0;
	for (size_t d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;
		assert_non_null(dir);
		while ((de = readdir(dir))) {
			char path[512];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			FILE *f = fopen(path, "rb");
			char *buf = malloc((size_t)st.st_size + 1);
			assert_non_null(f);
			size_t n = fread(buf, 1, (size_t)st.st_size, f);
			fclose(f);
			files++;
			read += (unsigned)same_as_openssl_pem(buf, n, path);
			read += (unsigned)same_as_openssl_der((unsigned char *)buf, n, path);
			free(buf);
		}
		closedir(dir);
	}
	print_message("# %u seed files, %u read by the reader, each as OpenSSL reads it\n", files,
		      read);
	assert_true(read >= 4);
}

static void test_wycheproof(void **state)
{
	(void)state;
	static const char *files[] = {
		"ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_secp384r1_sha384_p1363_test.json",
		"ecdsa_secp521r1_sha512_p1363_test.json", "ed25519_test.json",
		"rsa_signature_2048_sha256_test.json",	  "rsa_signature_2048_sha384_test.json",
		"rsa_signature_2048_sha512_test.json",	  "rsa_pss_2048_sha256_mgf1_32_test.json",
		"rsa_pss_2048_sha384_mgf1_48_test.json",  "rsa_pss_4096_sha512_mgf1_64_test.json",
	};
	const char *v = getenv("VECTORS");
	char dir[4096];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/wycheproof", v && *v ? v : "../shared/vectors");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		print_message("# SKIPPED: Wycheproof vectors not found at %s (set VECTORS)\n", dir);
		skip();
	}
	unsigned keys = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4200];
		json_error_t je;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		json_t *root = json_load_file(path, 0, &je), *g;
		size_t gi;
		if (!root)
			fail_msg("%s: %s", path, je.text);
		json_array_foreach (json_object_get(root, "testGroups"), gi, g) {
			const char *pem = json_string_value(json_object_get(g, "publicKeyPem"));
			const char *der = json_string_value(json_object_get(g, "publicKeyDer"));
			char what[4300];
			snprintf(what, sizeof(what), "%s group %zu", files[i], gi);
			if (!pem || !der)
				fail_msg("%s: no publicKeyPem or publicKeyDer", what);
			size_t dn;
			unsigned char *d = hex_bytes(der, &dn);
			/* Every one of them is of a type the reader knows. */
			if (!same_as_openssl_pem(pem, strlen(pem), what) ||
			    !same_as_openssl_der(d, dn, what))
				fail_msg("%s: left to OpenSSL", what);
			free(d);
			keys++;
		}
		json_decref(root);
	}
	print_message("# wycheproof: %u public keys, every one read as OpenSSL reads it\n", keys);
	assert_true(keys > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),	     cmocka_unit_test(test_left_to_openssl),
		cmocka_unit_test(test_rsa_integers), cmocka_unit_test(test_seeds),
		cmocka_unit_test(test_wycheproof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
