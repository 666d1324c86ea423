/* SPDX-License-Identifier: BSD-3-Clause */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* ---- trusted paths: every directory on the way, as OpenSSH's StrictModes ---- */

#define PJ_MAX_SYMLINKS 40

/* May what this directory holds be trusted?  It must belong to root (or to
 * the tool's user), and nobody else may rename or replace its entries: not
 * writable by group or others, unless it is root's and sticky (/tmp), where
 * others may add entries of their own but never replace root's. */
static int dir_trusted(const struct stat *st, const char *shown, uid_t allowed_uid, pj_err *e)
{
	if (st->st_uid != 0 && st->st_uid != allowed_uid)
		return pj_fail(e, "directory %s is owned by uid %u, not root", shown,
			       (unsigned)st->st_uid);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_uid == 0 && (st->st_mode & S_ISVTX)))
		return pj_fail(e, "directory %s is writable by group or others (mode %04o)", shown,
			       (unsigned)(st->st_mode & 07777));
	return 0;
}

struct walk {
	const char *path; /* as configured, for messages */
	uid_t allowed_uid;
	int dir;	      /* O_PATH descriptor of the directory reached */
	char shown[PATH_MAX]; /* its path, for messages ("" is /) */
	pj_err *e;
};

/* errno is kept for callers that tell a missing file from an untrusted one. */
static int walk_fail_errno(struct walk *w, int err)
{
	pj_fail(w->e, "cannot open %s: %s", w->path, strerror(err));
	errno = err;
	return -1;
}

static int walk_refuse(struct walk *w, const char *why)
{
	pj_fail(w->e, "%s: %s", w->path, why);
	errno = EACCES; /* never taken for a missing file */
	return -1;
}

static int walk_root(struct walk *w)
{
	struct stat st;
	pj_err why;
	if (w->dir >= 0)
		close(w->dir);
	w->shown[0] = 0;
	w->dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dir < 0 || fstat(w->dir, &st) != 0)
		return walk_fail_errno(w, errno);
	if (dir_trusted(&st, "/", w->allowed_uid, &why) != 0)
		return walk_refuse(w, why.msg);
	return 0;
}

/* Steps into the directory comp of the current one, which must be trusted
 * too.  The descriptor's own fstat decides, not the name's, so nothing can
 * be swapped in between. */
static int walk_into(struct walk *w, const char *comp)
{
	struct stat st;
	pj_err why;
	int fd = openat(w->dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return walk_fail_errno(w, err);
	}
	size_t n = strlen(w->shown);
	if (strcmp(comp, "..") == 0) {
		char *slash = strrchr(w->shown, '/');
		if (slash)
			*slash = 0;
	} else if (n + 1 + strlen(comp) < sizeof(w->shown)) {
		w->shown[n] = '/';
		strcpy(w->shown + n + 1, comp);
	}
	close(w->dir);
	w->dir = fd;
	if (dir_trusted(&st, w->shown[0] ? w->shown : "/", w->allowed_uid, &why) != 0)
		return walk_refuse(w, why.msg);
	return 0;
}

/* The symlink comp of the current directory: trusted when its owner is (the
 * directory it sits in has been checked already); its target is then walked
 * by the same rules, from / or from here.  rest is what followed comp. */
static int walk_link(struct walk *w, const char *comp, const struct stat *st, char *buf,
		     const char **rest)
{
	char target[PATH_MAX], why[PJ_ERR_MAX];
	if (st->st_uid != 0 && st->st_uid != w->allowed_uid) {
		snprintf(why, sizeof(why), "symlink %s/%s is owned by uid %u, not root", w->shown,
			 comp, (unsigned)st->st_uid);
		return walk_refuse(w, why);
	}
	ssize_t n = readlinkat(w->dir, comp, target, sizeof(target));
	if (n < 0)
		return walk_fail_errno(w, errno);
	if (n == 0 || (size_t)n >= sizeof(target))
		return walk_fail_errno(w, ENAMETOOLONG);
	target[n] = 0;
	/* rest may point into buf: join through a copy. */
	char joined[PATH_MAX];
	if (snprintf(joined, sizeof(joined), "%s%s", target, *rest) >= (int)sizeof(joined))
		return walk_fail_errno(w, ENAMETOOLONG);
	memcpy(buf, joined, strlen(joined) + 1); /* buf is PATH_MAX too */
	*rest = buf;
	return target[0] == '/' ? walk_root(w) : 0;
}

/* Resolves path one component at a time, as the kernel would, checking every
 * directory it passes through and every symlink it follows.  On success
 * w->dir is the directory that holds the last component and *name that
 * component ("." when path names a directory); it may not exist. */
static int walk(struct walk *w, const char *path, char *name, size_t namen)
{
	char buf[PATH_MAX];
	int links = 0;
	w->path = path;
	w->dir = -1;
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(buf))
			return walk_fail_errno(w, ENAMETOOLONG);
		strcpy(buf, path);
	} else {
		/* Only the tool is given relative paths (the module's must be
		 * absolute): the directories above the working one count too. */
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return walk_fail_errno(w, errno);
		if (snprintf(buf, sizeof(buf), "%s/%s", cwd, path) >= (int)sizeof(buf))
			return walk_fail_errno(w, ENAMETOOLONG);
	}
	if (walk_root(w) != 0)
		return -1;
	const char *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		char comp[NAME_MAX + 1];
		if (n == 0) {
			snprintf(name, namen, ".");
			return 0;
		}
		if (n > NAME_MAX || n >= namen)
			return walk_fail_errno(w, ENAMETOOLONG);
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		int last = *p == 0;
		struct stat st;
		if (strcmp(comp, ".") == 0)
			continue;
		if (fstatat(w->dir, comp, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return walk_fail_errno(w, errno);
		if (S_ISLNK(st.st_mode)) {
			if (++links > PJ_MAX_SYMLINKS)
				return walk_fail_errno(w, ELOOP);
			if (walk_link(w, comp, &st, buf, &p) != 0)
				return -1;
			continue;
		}
		if (last && !S_ISDIR(st.st_mode)) {
			memcpy(name, comp, n + 1);
			return 0;
		}
		if (!S_ISDIR(st.st_mode))
			return walk_fail_errno(w, ENOTDIR);
		if (walk_into(w, comp) != 0)
			return -1;
	}
}

int pj_path_trusted(const char *path, uid_t allowed_uid, int flags, pj_err *e)
{
	struct walk w = { .allowed_uid = allowed_uid, .e = e };
	char name[NAME_MAX + 1];
	int fd = -1;
	if (walk(&w, path, name, sizeof(name)) == 0) {
		/* O_NOFOLLOW: walk() has followed every symlink there was. */
		fd = openat(w.dir, name, flags | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			walk_fail_errno(&w, errno);
	}
	int saved = errno;
	if (w.dir >= 0)
		close(w.dir);
	errno = saved;
	return fd;
}

int pj_dir_trusted(const char *path, uid_t allowed_uid, pj_err *e)
{
	struct stat st;
	int fd = pj_path_trusted(path, allowed_uid, O_PATH | O_DIRECTORY, e);
	if (fd < 0) {
		if (errno == ENOTDIR)
			pj_fail(e, "%s is not a directory", path);
		return -1;
	}
	/* Checked on the way in, as any directory above a file; but the files
	 * of this one are looked up by names others could guess, so it may not
	 * be sticky and open to others either: they could plant them. */
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = pj_fail(e, "cannot stat %s: %s", path, strerror(errno));
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		rc = pj_fail(e, "%s is writable by group or others (mode %04o)", path,
			     (unsigned)(st.st_mode & 07777));
	close(fd);
	if (rc != 0)
		errno = EACCES;
	return rc;
}

int pj_open_trusted(const char *path, uid_t allowed_uid, int secret, struct stat *st, pj_err *e)
{
	int fd = pj_path_trusted(path, allowed_uid, O_RDONLY | O_NOCTTY | O_NONBLOCK, e);
	if (fd < 0)
		return -1; /* errno: ENOENT for a missing file, EACCES for an untrusted path */
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

int pj_read_fd(int fd, const struct stat *st, size_t max, const char *path, char **out,
	       size_t *outn, pj_err *e)
{
	*out = NULL;
	*outn = 0;
	if ((unsigned long long)st->st_size > max) {
		errno = EIO;
		return pj_fail(e, "%s is larger than %zu bytes", path, max);
	}
	size_t cap = (size_t)st->st_size + 1, len = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		errno = EIO;
		return pj_fail(e, "out of memory");
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			pj_fail(e, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			/* The file grew under us: refuse rather than guess. */
			pj_fail(e, "%s changed while being read", path);
			goto fail;
		}
	}
	buf[len] = 0;
	*out = buf;
	*outn = len;
	return 0;
fail:
	pj_free_secret(buf, cap + 1);
	errno = EIO; /* the file is there: never to be taken for a missing one */
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
	int rc = pj_read_fd(fd, &st, max, path, out, outn, e);
	if (rc == 0 && mode)
		*mode = (unsigned)(st.st_mode & 07777);
	int saved = errno;
	close(fd);
	errno = saved;
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
	/* In su and sudo the invoking user sets the limits: a write past
	 * RLIMIT_FSIZE would raise SIGXFSZ and kill the host.  Refuse first. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (unsigned long long)n > (unsigned long long)rl.rlim_cur)
		return pj_fail(
			e,
			"cannot write %s: %zu bytes are over the file size limit "
			"(RLIMIT_FSIZE, ulimit -f) of %llu bytes (the old file is unchanged)",
			path, n, (unsigned long long)rl.rlim_cur);
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

static int ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int pj_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int x = ascii_lower((unsigned char)a[i]), y = ascii_lower((unsigned char)b[i]);
		if (x != y || x == 0)
			return x - y;
	}
	return 0;
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

int pj_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t read_upto(int fd, void *buf, size_t n, int at, unsigned long long off)
{
	size_t done = 0;
	if (at &&
	    (off > (unsigned long long)LLONG_MAX || n > (unsigned long long)LLONG_MAX - off)) {
		errno = EINVAL;
		return -1;
	}
	while (done < n) {
		ssize_t r = at ? pread(fd, (char *)buf + done, n - done, (off_t)(off + done))
			       : read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t pj_read_upto(int fd, void *buf, size_t n)
{
	return read_upto(fd, buf, n, 0, 0);
}

ssize_t pj_pread_upto(int fd, void *buf, size_t n, unsigned long long off)
{
	return read_upto(fd, buf, n, 1, off);
}

int pj_fd_above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int saved = errno;
	close(fd);
	errno = saved;
	return moved;
}
