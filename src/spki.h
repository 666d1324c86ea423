/* SPDX-License-Identifier: BSD-3-Clause */
/* Public keys of the common types read without OpenSSL's decoders: a PEM
 * "PUBLIC KEY" block (RFC 7468) holding a DER SubjectPublicKeyInfo (RFC 5280
 * 4.1.2.7) of an RSA key (RFC 3279), an EC key on P-256, P-384 or P-521 (RFC
 * 5480) or an Ed25519 or Ed448 key (RFC 8410), built with EVP_PKEY_fromdata.
 *
 * Why: setting up OpenSSL's decoder chain costs a login more instructions than
 * the signature check itself (make bench, part 2).  The reader is strict (DER
 * only, the encodings every generator writes): anything else, certificates,
 * other key types and curves, explicit parameters, BER, odd PEM layouts, makes
 * it return NULL, and the caller hands the text to OpenSSL's decoder as
 * before.  Whatever it accepts, OpenSSL's decoder accepts too as the same key
 * (tests/unit/test_spki.c on every key of the tests and Wycheproof vectors,
 * and tests/fuzz/fuzz_spki.c, differential).  No state is kept between calls. */
#ifndef PJ_SPKI_H
#define PJ_SPKI_H

#include <stddef.h>

#include <openssl/evp.h>

/* The key of the one "-----BEGIN PUBLIC KEY-----" block of pem (n bytes),
 * or NULL when the text is not one this reader handles. */
EVP_PKEY *pj_spki_from_pem(const char *pem, size_t n);

/* The key of a DER SubjectPublicKeyInfo of exactly n bytes, or NULL. */
EVP_PKEY *pj_spki_from_der(const unsigned char *der, size_t n);

#endif
