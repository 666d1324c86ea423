/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the libFuzzer targets: a private directory for the files the code
 * under test reads (it reads keys, configurations and revocation lists only
 * through trusted-file checks, so the harness writes real files), and the
 * published RFC example keys the token target verifies against. */
#ifndef PJ_FUZZ_H
#define PJ_FUZZ_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[256];

static void fz_cleanup(void)
{
	DIR *d = opendir(fz_dir);
	struct dirent *de;
	char p[512];
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", fz_dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(fz_dir);
}

/* A private directory, on tmpfs when there is one: the revocation target
 * writes and fsyncs files on every run. */
static const char *fz_tmpdir(void)
{
	const char *base = getenv("PJ_FUZZ_TMP");
	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fz_dir, sizeof(fz_dir), "%s/pj-fuzz.XXXXXX", base);
	if (!mkdtemp(fz_dir)) {
		perror("mkdtemp");
		abort();
	}
	chmod(fz_dir, 0755);
	atexit(fz_cleanup);
	return fz_dir;
}

static inline void fz_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", fz_dir, name);
}

/* Replaces the file's content; the harness itself must never fail quietly. */
static inline void fz_write(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || fchmod(fd, mode) != 0) {
		perror(path);
		abort();
	}
	close(fd);
}

/* An exact-size heap copy: ASan then catches any read past the input. */
static inline char *fz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	if (!p)
		abort();
	memcpy(p, data, size);
	return p;
}

static inline char *fz_cstr(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);
	if (!p)
		abort();
	memcpy(p, data, size);
	p[size] = 0;
	return p;
}

/* The public keys of RFC 7515 A.1-A.4 and RFC 8037 A.2 (published test
 * vectors), so seeds can carry valid signatures and reach the claim checks and
 * the revocation lookup.  The oct key makes the file secret (mode 0600). */
static const char fz_jwks[] =
	"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hs\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwV"
	"MkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"},{\"kty\":\"RSA\",\""
	"kid\":\"rs\",\"e\":\"AQAB\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbj"
	"i9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRP"
	"EwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS"
	"-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWN"
	"moudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"},{\"kty\":\"EC\",\""
	"kid\":\"es\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRV"
	"EU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},{\"kty\":\"EC\",\"ki"
	"d\":\"es5\",\"crv\":\"P-521\",\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxr"
	"rjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\",\"y\":\"ADSmRA43Z1DSNx_RvcLI87c"
	"dL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\"},{\"kty\":\""
	"OKP\",\"kid\":\"ed\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiM"
	"lrwIaaPcHURo\"}]}";

#endif
