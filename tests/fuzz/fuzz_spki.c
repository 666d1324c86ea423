/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer, differential: src/spki.c against OpenSSL's own decoders.  The
 * input is read as PEM text and as DER, and the DER again inside PEM armour
 * (so mutations of the DER reach the PEM path too).  Whatever the reader
 * accepts, OpenSSL must accept as the same key (EVP_PKEY_eq), and the armoured
 * DER must read as the bare DER does; anything else aborts.  Accepted keys go
 * on through the module's key checks with every algorithm. */
#include "fuzz.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sig.h"
#include "spki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	(void)fz_tmpdir; /* no files here */
	return 0;
}

static void same_key(EVP_PKEY *ours, EVP_PKEY *theirs, const char *what)
{
	if (!theirs) {
		fprintf(stderr, "fuzz_spki: %s: accepted, OpenSSL refuses it\n", what);
		abort();
	}
	if (EVP_PKEY_eq(ours, theirs) != 1) {
		fprintf(stderr, "fuzz_spki: %s: not the key OpenSSL reads\n", what);
		abort();
	}
}

static void checks(EVP_PKEY *pkey)
{
	struct pj_key key;
	pj_err e;
	if (!EVP_PKEY_up_ref(pkey))
		abort();
	if (pj_key_from_pkey(pkey, &key, &e) == 0)
		for (int a = 0; a < PJ_ALG_COUNT; a++)
			pj_key_fits(&key, (enum pj_alg)a, &e);
	pj_key_clear(&key);
}

static char *armour(const uint8_t *der, size_t n, size_t *outn)
{
	char *b64 = malloc(n / 3 * 4 + 8), *out = malloc(n / 3 * 4 + n / 48 + 80);
	if (!b64 || !out)
		abort();
	int len = EVP_EncodeBlock((unsigned char *)b64, der, (int)n);
	size_t o = (size_t)sprintf(out, "-----BEGIN PUBLIC KEY-----\n");
	for (int i = 0; i < len; i += 64)
		o += (size_t)sprintf(out + o, "%.*s\n", len - i < 64 ? len - i : 64, b64 + i);
	o += (size_t)sprintf(out + o, "-----END PUBLIC KEY-----\n");
	free(b64);
	*outn = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_copy(data, size);
	EVP_PKEY *ours = pj_spki_from_pem(text, size);
	if (ours) {
		BIO *b = BIO_new_mem_buf(text, (int)size);
		EVP_PKEY *theirs = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		same_key(ours, theirs, "PEM");
		checks(ours);
		EVP_PKEY_free(theirs);
		EVP_PKEY_free(ours);
	}
	free(text);

	unsigned char *der = (unsigned char *)fz_copy(data, size);
	ours = pj_spki_from_der(der, size);
	if (ours) {
		const unsigned char *p = der;
		EVP_PKEY *theirs = d2i_PUBKEY(NULL, &p, (long)size);
		same_key(ours, theirs, "DER");
		checks(ours);
		EVP_PKEY_free(theirs);
	}
	if (size && size < 8192) {
		size_t n;
		char *pem = armour(der, size, &n);
		EVP_PKEY *wrapped = pj_spki_from_pem(pem, n);
		if (!wrapped != !ours || (ours && EVP_PKEY_eq(ours, wrapped) != 1)) {
			fprintf(stderr, "fuzz_spki: armoured DER reads otherwise than DER\n");
			abort();
		}
		EVP_PKEY_free(wrapped);
		free(pem);
	}
	EVP_PKEY_free(ours);
	free(der);
	ERR_clear_error();
	return 0;
}
