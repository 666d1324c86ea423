/* SPDX-License-Identifier: BSD-3-Clause */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

int pj_fail(pj_err *e, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* 0-63 for the URL alphabet, 64 for anything else. */
static unsigned char b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return 64;
}

int pj_b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outn, pj_err *e)
{
	*out = NULL;
	*outn = 0;
	if (n % 4 == 1)
		return pj_fail(e, "invalid base64url length");
	size_t cap = n / 4 * 3 + 3;
	unsigned char *buf = malloc(cap + 1);
	if (!buf)
		return pj_fail(e, "out of memory");
	size_t o = 0;
	unsigned long acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char v = b64url_value((unsigned char)in[i]);
		if (v == 64) {
			free(buf);
			if (in[i] == '=')
				return pj_fail(e, "base64url padding is not allowed");
			return pj_fail(e, "character outside the base64url alphabet");
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	if (acc != 0) {
		free(buf);
		return pj_fail(e, "non-zero trailing bits in base64url");
	}
	buf[o] = 0;
	*out = buf;
	*outn = o;
	return 0;
}

char *pj_b64url_encode(const unsigned char *in, size_t n)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(n / 3 * 4 + 5);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		unsigned long v =
			(unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
	}
	out[o] = 0;
	return out;
}

int pj_open_trusted(const char *path, uid_t allowed_uid, int secret, struct stat *st, pj_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno; /* callers tell ENOENT from other failures */
		pj_fail(e, "cannot open %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, st) != 0)
		pj_fail(e, "cannot stat %s: %s", path, strerror(errno));
	else if (!S_ISREG(st->st_mode))
		pj_fail(e, "%s is not a regular file", path);
	else if (st->st_uid != 0 && st->st_uid != allowed_uid)
		pj_fail(e, "%s is owned by uid %u, not root", path, (unsigned)st->st_uid);
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		pj_fail(e, "%s is writable by group or others (mode %04o)", path,
			(unsigned)(st->st_mode & 07777));
	else if (secret && (st->st_mode & (S_IRGRP | S_IROTH)))
		pj_fail(e, "%s holds secret keys but is readable by group or others (mode %04o)",
			path, (unsigned)(st->st_mode & 07777));
	else
		return fd;
	close(fd);
	/* Whatever errno an earlier call left (ENOENT) must not make callers
	 * take an untrusted file for a missing one. */
	errno = EACCES;
	return -1;
}

int pj_read_trusted_file(const char *path, size_t max, uid_t allowed_uid, int secret, char **out,
			 size_t *outn, unsigned *mode, pj_err *e)
{
	*out = NULL;
	*outn = 0;
	struct stat st;
	int fd = pj_open_trusted(path, allowed_uid, secret, &st, e);
	if (fd < 0)
		return -1;
	int rc = -1;
	char *buf = NULL;
	if ((unsigned long long)st.st_size > max) {
		pj_fail(e, "%s is larger than %zu bytes", path, max);
		goto done;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	buf = malloc(cap + 1);
	if (!buf) {
		pj_fail(e, "out of memory");
		goto done;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			pj_fail(e, "cannot read %s: %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			/* The file grew under us: refuse rather than guess. */
			pj_fail(e, "%s changed while being read", path);
			goto done;
		}
	}
	buf[len] = 0;
	if (mode)
		*mode = (unsigned)(st.st_mode & 07777);
	*out = buf;
	*outn = len;
	buf = NULL;
	rc = 0;
done:
	if (buf)
		pj_free_secret(buf, (size_t)st.st_size + 2);
	close(fd);
	return rc;
}

void pj_fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int pj_write_atomic(const char *path, const char *text, size_t n, struct stat *st, pj_err *e)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return pj_fail(e, "path too long: %s", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return pj_fail(e, "cannot create a temporary file beside %s: %s", path,
			       strerror(errno));
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, text + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	/* Everyone may read: PAM applications that are not root check these
	 * files too (revocations, cached public keys). */
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0 || rename(tmp, path) != 0)
		goto fail;
	pj_fsync_dir(path);
	if (fstat(fd, st) != 0 || (size_t)st->st_size != n)
		goto fail_renamed;
	close(fd);
	return 0;
fail:
	pj_fail(e, "cannot write %s: %s (the old file is unchanged)", path, strerror(errno));
	close(fd);
	unlink(tmp);
	return -1;
fail_renamed:
	pj_fail(e, "%s changed while being written", path);
	close(fd);
	return -1;
}

void pj_free_secret(void *p, size_t n)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void pj_sanitize(char *dst, size_t dstn, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	if (dstn < 8) {
		if (dstn)
			dst[0] = 0;
		return;
	}
	/* Keep room for a 4-byte escape, "..." and the NUL. */
	for (; i < n && o + 8 <= dstn; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x21 && c < 0x7f && c != '"' && c != '\\') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (i < n) {
		/* Mark the cut so a reader knows the value was longer. */
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = 0;
}
