/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PJ_UTIL_H
#define PJ_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Strict base64url (RFC 7515 section 2): URL alphabet only, no padding, no
 * non-zero trailing bits.  *out is malloc'ed (NUL-terminated for convenience). */
int pj_b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outn, pj_err *e);
/* Returns a malloc'ed NUL-terminated string, or NULL on allocation failure. */
char *pj_b64url_encode(const unsigned char *in, size_t n);

/* Reads a whole regular file (at most max bytes) after checking that it is
 * owned by root or by allowed_uid (pass (uid_t)-1 for root only), is not
 * writable by group or others, and, when secret is set, not readable by them
 * either.  *out is malloc'ed and NUL-terminated; *mode (if non-NULL) gets the
 * permission bits, for callers that learn only from the content whether the
 * file is secret. */
int pj_read_trusted_file(const char *path, size_t max, uid_t allowed_uid, int secret, char **out,
			 size_t *outn, unsigned *mode, pj_err *e);

/* Opens path for reading after the same checks; returns the fd (st filled)
 * or -1 with e filled (errno ENOENT when the file or a directory above it is
 * missing, EACCES when something on the way is not trusted). */
struct stat;
int pj_open_trusted(const char *path, uid_t allowed_uid, int secret, struct stat *st, pj_err *e);

/* The rest of fd, a file of st (at most max bytes, refused when it grows
 * while read), as pj_read_trusted_file; errno EIO on failure. */
int pj_read_fd(int fd, const struct stat *st, size_t max, const char *path, char **out,
	       size_t *outn, pj_err *e);

/* Every directory a path passes through, as OpenSSH's StrictModes checks
 * them: owned by root or allowed_uid, not writable by group or others unless
 * owned by root and sticky (/tmp); a symlink (owned by root or allowed_uid)
 * is followed and its target checked by the same rules.  Relative paths are
 * taken from the working directory, whose parents count too.
 * pj_path_trusted opens the last component with flags (O_CLOEXEC and
 * O_NOFOLLOW added) and returns the fd, or -1 with e filled and errno set as
 * for pj_open_trusted; it does not judge the file itself.  pj_dir_trusted
 * checks a directory the same way, and that it is not writable by group or
 * others even when sticky, since its files are what is trusted (0, or -1
 * with errno ENOENT when missing). */
int pj_path_trusted(const char *path, uid_t allowed_uid, int flags, pj_err *e);
int pj_dir_trusted(const char *path, uid_t allowed_uid, pj_err *e);

/* Writes text to a temporary file beside path (PATH.tmp.XXXXXX), fsyncs it,
 * makes it mode 0644 (whatever the umask) and renames it over path, so
 * readers see the old file or the new one, never a mix, and a failure leaves
 * the old one.  Refused before anything is written when n is over
 * RLIMIT_FSIZE (which would raise SIGXFSZ in the host).  *st gets
 * the identity of what now stands at path. */
int pj_write_atomic(const char *path, const char *text, size_t n, struct stat *st, pj_err *e);

/* Case-insensitive comparison of ASCII letters only, whatever the host's
 * locale: su and sudo call setlocale() with the invoking user's, and a
 * locale's case rules (Turkish I) must not change what matches.  As
 * strncasecmp (n bytes at most, stopping at NUL). */
int pj_ascii_ncasecmp(const char *a, const char *b, size_t n);

/* Flushes the directory holding path (after a rename into it). */
void pj_fsync_dir(const char *path);

/* Writes all n bytes (retrying after EINTR and short writes): 0, or -1 with
 * errno set (ENOSPC when the file takes no more). */
int pj_write_all(int fd, const void *p, size_t n);

/* Reads until n bytes or end of file (retrying after EINTR): how many, or
 * -1 with errno set.  pj_pread_upto reads at off (pread: the descriptor's
 * offset stays), an offset past what off_t holds being EINVAL. */
ssize_t pj_read_upto(int fd, void *buf, size_t n);
ssize_t pj_pread_upto(int fd, void *buf, size_t n, unsigned long long off);

/* A descriptor 0, 1 or 2 moved to the lowest free one above them (close on
 * exec): a setuid host may be started with those closed, and what the module
 * opens must not land where the host's messages go or where a child's dup2
 * would clobber it.  fd itself when above 2 or negative; -1 (errno set) when
 * it cannot be moved. */
int pj_fd_above_stdio(int fd);

/* Frees after wiping. */
void pj_free_secret(void *p, size_t n);

/* Copies at most max printable bytes of s into dst (size dstn), escaping
 * anything else, for log lines built from untrusted input. */
void pj_sanitize(char *dst, size_t dstn, const char *s, size_t n);

#endif
