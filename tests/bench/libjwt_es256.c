/* SPDX-License-Identifier: BSD-3-Clause */
/* A peer for a login: the same ES256 token checked with libjwt (Debian's
 * libjwt-dev, 1.10), the way its documentation says: jwt_decode() with the
 * PEM public key verifies the signature and parses the token; then the
 * algorithm, exp and sub are checked from the decoded grants.
 * libjwt_verify() (what callgrind toggles on) reads the key file, decodes
 * and checks; OpenSSL's first-use set-up happens inside it, as it does inside
 * pam_sm_authenticate.
 *
 * usage: libjwt_es256 PUBKEY.pem USER < token     exit 0 only when accepted */
#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int libjwt_verify(const char *keyfile, const char *tok, const char *user)
	__attribute__((noinline, noclone));

int libjwt_verify(const char *keyfile, const char *tok, const char *user)
{
	unsigned char key[16384];
	jwt_t *jwt = NULL;
	FILE *f = fopen(keyfile, "r");
	if (!f)
		return 0;
	size_t n = fread(key, 1, sizeof(key), f);
	fclose(f);
	if (n == 0 || n == sizeof(key) || jwt_decode(&jwt, tok, key, (int)n) != 0)
		return 0;
	errno = 0;
	long exp = jwt_get_grant_int(jwt, "exp");
	const char *sub = jwt_get_grant(jwt, "sub");
	int ok = jwt_get_alg(jwt) == JWT_ALG_ES256 && errno == 0 && exp > (long)time(NULL) && sub &&
		 strcmp(sub, user) == 0;
	jwt_free(jwt);
	return ok;
}

int main(int argc, char **argv)
{
	static char tok[16384];
	if (argc != 3) {
		fputs("usage: libjwt_es256 PUBKEY.pem USER < token\n", stderr);
		return 2;
	}
	size_t n = fread(tok, 1, sizeof(tok) - 1, stdin);
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		n--;
	tok[n] = 0;
	if (!libjwt_verify(argv[1], tok, argv[2])) {
		fputs("libjwt_es256: the token is not accepted\n", stderr);
		return 1;
	}
	return 0;
}
