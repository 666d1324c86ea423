/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAGIC	  "pam_jwt-login cache 1"
#define MAX_ENTRY (64 * 1024)

void pj_wipe_str(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void pj_tokens_free(struct pj_tokens *t)
{
	pj_wipe_str(t->access_token);
	pj_wipe_str(t->refresh_token);
	free(t->issuer);
	free(t->client_id);
	free(t->scope);
	free(t->resource);
	free(t->audience);
	memset(t, 0, sizeof(*t));
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && h[0] == '/')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int pj_cache_path(char *out, size_t n, pj_err *e)
{
	/* XDG Base Directory: a relative $XDG_CACHE_HOME is to be ignored. */
	const char *x = getenv("XDG_CACHE_HOME"), *h;
	int w;
	if (x && x[0] == '/')
		w = snprintf(out, n, "%s/pam_jwt", x);
	else if ((h = home_dir()))
		w = snprintf(out, n, "%s/.cache/pam_jwt", h);
	else
		return pj_fail(e, "no home directory for the token cache (set HOME)");
	if (w < 0 || (size_t)w >= n)
		return pj_fail(e, "the cache directory's path is too long");
	return 0;
}

/* The user's and closed to everybody else, as ssh wants of ~/.ssh keys. */
static int private_ok(const struct stat *st, const char *what, const char *path, int dir, pj_err *e)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return pj_fail(e, "%s %s is not a %s", what, path,
			       dir ? "directory" : "regular file");
	if (st->st_uid != getuid())
		return pj_fail(e, "%s %s belongs to uid %u, not to you: not used", what, path,
			       (unsigned)st->st_uid);
	if (st->st_mode & 077)
		return pj_fail(e,
			       "%s %s is accessible by group or others (mode %03o): not used; "
			       "chmod %s it (it holds credentials)",
			       what, path, (unsigned)(st->st_mode & 0777), dir ? "700" : "600");
	return 0;
}

int pj_cache_open(struct pj_cache *c, const char *dir, int create, pj_err *e)
{
	struct stat st;
	c->dirfd = -1;
	if (dir)
		snprintf(c->dir, sizeof(c->dir), "%s", dir);
	else if (pj_cache_path(c->dir, sizeof(c->dir), e) != 0)
		return -1;
	if (create) {
		/* The parent (~/.cache) too, private as XDG asks of new ones. */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", c->dir);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = 0;
			if (mkdir(parent, 0700) != 0 && errno != EEXIST)
				return pj_fail(e, "cannot make %s: %s", parent, strerror(errno));
		}
		if (mkdir(c->dir, 0700) != 0 && errno != EEXIST)
			return pj_fail(e, "cannot make %s: %s", c->dir, strerror(errno));
	}
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0) {
		int err = errno;
		if (err == ENOENT && !create)
			return 1;
		if (err == ELOOP || err == ENOTDIR)
			return pj_fail(e,
				       "the token cache %s is not a directory (a symbolic link?)",
				       c->dir);
		return pj_fail(e, "cannot open the token cache %s: %s", c->dir, strerror(err));
	}
	if (fstat(c->dirfd, &st) != 0 || private_ok(&st, "the token cache", c->dir, 1, e) != 0) {
		close(c->dirfd);
		c->dirfd = -1;
		return -1;
	}
	return 0;
}

void pj_cache_close(struct pj_cache *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
}

int pj_cache_key(const struct pj_ccfg *cfg, char key[65])
{
	static const char hex[] = "0123456789abcdef";
	const char *parts[] = {
		"pam_jwt-login 1",
		cfg->discovery_url,
		cfg->client_id,
		cfg->grant == PJ_GRANT_CLIENT_CREDENTIALS ? "client_credentials" : "device",
		cfg->scope,
		cfg->resource,
		cfg->audience
	};
	unsigned char md[32];
	unsigned mdn = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	int ok = x && EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < sizeof(parts) / sizeof(parts[0]); i++) {
		/* Each part with its length: no two settings give the same bytes. */
		const char *p = parts[i] ? parts[i] : "";
		char len[24];
		int ln = snprintf(len, sizeof(len), "%zu:%c", strlen(p), parts[i] ? '+' : '-');
		ok = EVP_DigestUpdate(x, len, (size_t)ln) == 1 &&
		     EVP_DigestUpdate(x, p, strlen(p)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(x, md, &mdn) == 1 && mdn == 32;
	EVP_MD_CTX_free(x);
	if (!ok)
		return -1;
	for (int i = 0; i < 32; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[64] = 0;
	return 0;
}

int pj_cache_lock(struct pj_cache *c, const char *key, pj_err *e)
{
	char name[80];
	struct stat st;
	snprintf(name, sizeof(name), "%s.lock", key);
	int fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return pj_fail(e, "cannot open the lock %s/%s: %s", c->dir, name, strerror(errno));
	if (fstat(fd, &st) != 0 || private_ok(&st, "the lock file", name, 0, e) != 0) {
		close(fd);
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			pj_fail(e, "cannot lock %s/%s: %s", c->dir, name, strerror(errno));
			close(fd);
			return -1;
		}
	return fd;
}

/* ---- the entry's text: "pam_jwt-login cache 1", then "name value" lines ---- */

static int visible(const char *v, size_t n)
{
	/* RFC 6749 A.12 and A.17: access and refresh tokens are VSCHAR. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

int pj_tokens_parse(const char *text, size_t n, struct pj_tokens *t, pj_err *e)
{
	memset(t, 0, sizeof(*t));
	size_t ml = strlen(MAGIC);
	if (n < ml + 1 || memcmp(text, MAGIC "\n", ml + 1) != 0)
		return pj_fail(e, "not a pam_jwt-login cache entry");
	size_t pos = ml + 1;
	int seen_exp = 0, seen_obt = 0;
	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		if (!nl) {
			pj_fail(e, "the last line has no newline (cut short?)");
			goto bad;
		}
		const char *line = text + pos, *sp = memchr(line, ' ', (size_t)(nl - line));
		size_t len = (size_t)(nl - line);
		pos += len + 1;
		if (!sp || sp == line || sp + 1 == nl || !visible(sp + 1, (size_t)(nl - sp - 1))) {
			pj_fail(e, "a malformed line");
			goto bad;
		}
		size_t kn = (size_t)(sp - line), vn = (size_t)(nl - sp - 1);
		const char *v = sp + 1;
		char **dst = NULL;
		long long *num = NULL;
		int *seen = NULL;
#define IS(k) (kn == strlen(k) && memcmp(line, k, kn) == 0)
		if (IS("access_token"))
			dst = &t->access_token;
		else if (IS("refresh_token"))
			dst = &t->refresh_token;
		else if (IS("issuer"))
			dst = &t->issuer;
		else if (IS("client_id"))
			dst = &t->client_id;
		else if (IS("scope"))
			dst = &t->scope;
		else if (IS("resource"))
			dst = &t->resource;
		else if (IS("audience"))
			dst = &t->audience;
		else if (IS("expires_at"))
			num = &t->expires_at, seen = &seen_exp;
		else if (IS("obtained_at"))
			num = &t->obtained_at, seen = &seen_obt;
#undef IS
		if (dst) {
			if (*dst) {
				pj_fail(e, "a line twice");
				goto bad;
			}
			if (vn > PJ_TOKEN_MAX || !(*dst = strndup(v, vn))) {
				pj_fail(e, "a value too long");
				goto bad;
			}
		} else if (num) {
			long long x = 0;
			if (*seen || vn > 18) {
				pj_fail(e, "a bad number");
				goto bad;
			}
			for (size_t i = 0; i < vn; i++) {
				if (v[i] < '0' || v[i] > '9') {
					pj_fail(e, "a bad number");
					goto bad;
				}
				x = x * 10 + (v[i] - '0');
			}
			*num = x;
			*seen = 1;
		} else {
			pj_fail(e, "an unknown line");
			goto bad;
		}
	}
	if (!t->access_token || !seen_exp) {
		pj_fail(e, "no access_token or expires_at");
		goto bad;
	}
	return 0;
bad:
	pj_tokens_free(t);
	return -1;
}

char *pj_tokens_format(const struct pj_tokens *t, size_t *n)
{
	const struct {
		const char *k;
		const char *v;
	} s[] = { { "issuer", t->issuer },
		  { "client_id", t->client_id },
		  { "scope", t->scope },
		  { "resource", t->resource },
		  { "audience", t->audience },
		  { "access_token", t->access_token },
		  { "refresh_token", t->refresh_token } };
	size_t cap = strlen(MAGIC) + 128;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].v) {
			if (!*s[i].v || !visible(s[i].v, strlen(s[i].v)))
				return NULL;
			cap += strlen(s[i].k) + strlen(s[i].v) + 2;
		}
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = (size_t)snprintf(out, cap, "%s\nobtained_at %lld\nexpires_at %lld\n", MAGIC,
				    t->obtained_at, t->expires_at);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].v)
			o += (size_t)snprintf(out + o, cap - o, "%s %s\n", s[i].k, s[i].v);
	*n = o;
	return out;
}

int pj_cache_read(struct pj_cache *c, const char *key, struct pj_tokens *t, pj_err *e)
{
	struct stat st;
	memset(t, 0, sizeof(*t));
	int fd = openat(c->dirfd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return pj_fail(e, "cannot open %s/%s: %s", c->dir, key,
			       errno == ELOOP ? "a symbolic link" : strerror(errno));
	}
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/%s", c->dir, key);
	if (fstat(fd, &st) != 0 || private_ok(&st, "the cache file", path, 0, e) != 0) {
		close(fd);
		return -1;
	}
	char *buf = NULL;
	int rc = 0;
	if (st.st_size > MAX_ENTRY) {
		pj_fail(e, "%s is too large; ignored", path);
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = pj_fail(e, "out of memory");
	} else {
		size_t have = 0;
		ssize_t got = 0;
		while (have < (size_t)st.st_size &&
		       ((got = read(fd, buf + have, (size_t)st.st_size - have)) > 0 ||
			(got < 0 && errno == EINTR)))
			if (got > 0)
				have += (size_t)got;
		pj_err why;
		if (got < 0)
			rc = pj_fail(e, "cannot read %s: %s", path, strerror(errno));
		else if (pj_tokens_parse(buf, have, t, &why) != 0)
			pj_fail(e, "%s: %s; ignored", path, why.msg);
		else
			rc = 1;
		OPENSSL_cleanse(buf, (size_t)st.st_size + 1);
	}
	free(buf);
	close(fd);
	return rc;
}

int pj_cache_write(struct pj_cache *c, const char *key, const struct pj_tokens *t, pj_err *e)
{
	size_t n = 0;
	char *text = pj_tokens_format(t, &n);
	if (!text)
		return pj_fail(e, "cannot store the tokens (a value that is not printable ASCII?)");
	unsigned char rnd[8];
	char tmp[100] = "";
	int rc = -1, fd = -1;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		pj_fail(e, "getrandom: %s", strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x", key, rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	/* Created 0600 whatever the umask: never a moment with looser bits. */
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		pj_fail(e, "cannot write in %s: %s", c->dir, strerror(errno));
		goto out;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pj_fail(e, "cannot write in %s: %s", c->dir,
				w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		pj_fail(e, "cannot write in %s: %s", c->dir, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		pj_fail(e, "cannot write in %s: %s", c->dir, strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(c->dirfd, tmp, c->dirfd, key) != 0) {
		pj_fail(e, "cannot replace %s/%s: %s", c->dir, key, strerror(errno));
		goto out;
	}
	fsync(c->dirfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp[0])
		unlinkat(c->dirfd, tmp, 0);
	OPENSSL_cleanse(text, n);
	free(text);
	return rc;
}

/* The lock file stays: removing it under a process that holds it would let
 * a third take a second lock. */
int pj_cache_remove(struct pj_cache *c, const char *key, pj_err *e)
{
	if (unlinkat(c->dirfd, key, 0) != 0 && errno != ENOENT)
		return pj_fail(e, "cannot remove %s/%s: %s", c->dir, key, strerror(errno));
	return 0;
}
