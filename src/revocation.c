/* SPDX-License-Identifier: BSD-3-Clause */
#include "revocation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "util.h"

#define PJ_MAX_REVFILE	(1ull << 32)
#define PJ_INDEX_MAGIC	"pam_jwt-index 1"
#define PJ_LOCK_WAIT_MS 5000
#define PJ_TIME_MAX	999999999999999999ll /* parse_time's 18 digits */
/* Any line, comments included, fits the module's read buffer. */
#define PJ_LINE_LIMIT 65536
/* The longest entry line: "user " or "jti ", a name, a space, 18 digits. */
#define PJ_ENTRY_MAX (5 + PJ_NAME_MAX + 1 + 18)

int pj_name_valid(const char *s, size_t n)
{
	/* A leading '#' would read back as a comment. */
	if (n == 0 || n > PJ_NAME_MAX || s[0] == '#')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int pj_token_name(json_t *claims, const char *token, size_t n, char *out, size_t outn)
{
	json_t *jti = json_object_get(claims, "jti");
	if (json_is_string(jti) && pj_name_valid(json_string_value(jti), json_string_length(jti))) {
		if (json_string_length(jti) >= outn)
			return -1;
		memcpy(out, json_string_value(jti), json_string_length(jti) + 1);
		return 0;
	}
	unsigned char md[SHA256_DIGEST_LENGTH];
	if (outn < 7 + 2 * sizeof(md) + 1 || !SHA256((const unsigned char *)token, n, md))
		return -1;
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ---- one line ---- */

struct rline {
	enum pj_rev_kind kind;
	const char *key; /* user name or jti; NULL for all and comments */
	size_t keylen;
	long long time; /* -1: a jti line without EXP */
};

static int parse_time(const char *p, size_t n, long long *out)
{
	long long v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Splits at spaces and tabs into at most 4 fields (a 4th means too many). */
static size_t split(const char *p, size_t n, const char *f[4], size_t fl[4])
{
	size_t k = 0, i = 0;
	while (i < n && k < 4) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		f[k] = p + i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		fl[k] = (size_t)(p + i - f[k]);
		k++;
	}
	return k;
}

static int parse_rline(const char *p, size_t n, struct rline *l, pj_err *e)
{
	const char *f[4];
	size_t fl[4];
	if (n && p[n - 1] == '\r')
		n--;
	memset(l, 0, sizeof(*l));
	l->time = -1;
	if (n >= PJ_LINE_LIMIT)
		return pj_fail(e, "line longer than %d bytes", PJ_LINE_LIMIT - 1);
	/* Before the comment rule: the tool could not write a NUL back. */
	if (memchr(p, 0, n))
		return pj_fail(e, "NUL byte");
	size_t k = split(p, n, f, fl);
	if (k == 0 || f[0][0] == '#') {
		l->kind = PJ_REV_COMMENT;
		return 0;
	}
	if (fl[0] == 3 && memcmp(f[0], "all", 3) == 0) {
		l->kind = PJ_REV_ALL;
		if (k != 2 || parse_time(f[1], fl[1], &l->time) != 0)
			return pj_fail(e, "expected \"all TIME\" (seconds since the epoch)");
		return 0;
	}
	if (fl[0] == 4 && memcmp(f[0], "user", 4) == 0) {
		l->kind = PJ_REV_USER;
		if (k != 3 || !pj_name_valid(f[1], fl[1]) || parse_time(f[2], fl[2], &l->time) != 0)
			return pj_fail(e, "expected \"user NAME TIME\"");
	} else if (fl[0] == 3 && memcmp(f[0], "jti", 3) == 0) {
		l->kind = PJ_REV_JTI;
		if (k < 2 || k > 3 || !pj_name_valid(f[1], fl[1]) ||
		    (k == 3 && parse_time(f[2], fl[2], &l->time) != 0))
			return pj_fail(e, "expected \"jti ID [EXP]\"");
	} else {
		return pj_fail(e, "unknown entry (expected jti, user, all or a # comment)");
	}
	l->key = f[1];
	l->keylen = fl[1];
	return 0;
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* ---- lookups: read with pread, never mapped ---- */

/* A file truncated in place under a mapping would kill the PAM application
 * with SIGBUS; with reads, that is only a refusal. */

/* Lookups return 1 when a line matches the query (the reason in e), 0 when
 * none does, -1 when the file is broken. */
#define MATCH(e, ...) (pj_fail((e), __VA_ARGS__), 1)

struct verdict {
	const struct pj_revquery *q;
	const char *path;
	int jti_only; /* an allowlist: only jti lines mean anything */
	pj_err *e;
};

static int apply(const struct verdict *v, const struct rline *l)
{
	const struct pj_revquery *q = v->q;
	if (v->jti_only && l->kind != PJ_REV_JTI)
		return 0;
	switch (l->kind) {
	case PJ_REV_JTI:
		if (key_cmp(l->key, l->keylen, q->name, strlen(q->name)) == 0)
			return MATCH(v->e, "token %s is revoked", q->name);
		if (q->alt_name &&
		    key_cmp(l->key, l->keylen, q->alt_name, strlen(q->alt_name)) == 0)
			return MATCH(v->e, "token %s is revoked (as %s)", q->name, q->alt_name);
		return 0;
	case PJ_REV_USER:
		if (!q->user || key_cmp(l->key, l->keylen, q->user, strlen(q->user)) != 0)
			return 0;
		if (!q->has_iat)
			return MATCH(v->e,
				     "tokens of %s issued before %lld are revoked and the "
				     "token has no iat",
				     q->user, l->time);
		if (q->iat < (double)l->time)
			return MATCH(v->e, "tokens of %s issued before %lld are revoked", q->user,
				     l->time);
		return 0;
	case PJ_REV_ALL:
		if (!q->has_iat)
			return MATCH(v->e,
				     "all tokens issued before %lld are revoked and the "
				     "token has no iat",
				     l->time);
		if (q->iat < (double)l->time)
			return MATCH(v->e, "all tokens issued before %lld are revoked", l->time);
		return 0;
	default:
		return 0;
	}
}

/* Reads exactly n bytes at off; a short read means the file shrank. */
static int read_at(int fd, char *buf, size_t n, off_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* Every line of [0, end) of fd, parsed strictly and handed to fn with its
 * text; a bad line is an error naming the file and line.  Reads 64 KiB at a
 * time, so memory stays bounded whatever the file's size. */
typedef int (*line_fn)(void *ctx, const char *p, size_t n, const struct rline *l, pj_err *e);

static int each_line(int fd, size_t end, const char *path, line_fn fn, void *ctx, pj_err *e)
{
	char *buf = malloc(PJ_LINE_LIMIT + 1);
	size_t have = 0, off = 0;
	unsigned lineno = 0;
	int rc = 0;
	if (!buf)
		return pj_fail(e, "out of memory");
	while (rc == 0 && (off < end || have)) {
		size_t want = end - off < PJ_LINE_LIMIT - have ? end - off : PJ_LINE_LIMIT - have;
		if (want && read_at(fd, buf + have, want, (off_t)off) != 0) {
			rc = pj_fail(e, "%s changed while being read", path);
			break;
		}
		off += want;
		have += want;
		char *p = buf;
		while (rc == 0 && p < buf + have) {
			char *nl = memchr(p, '\n', have - (size_t)(p - buf));
			if (!nl && off < end)
				break; /* the rest of this line is still to be read */
			size_t len = nl ? (size_t)(nl - p) : have - (size_t)(p - buf);
			struct rline l;
			pj_err why;
			lineno++;
			if (parse_rline(p, len, &l, &why) != 0)
				rc = pj_fail(e, "%s:%u: %s", path, lineno, why.msg);
			else
				rc = fn(ctx, p, len, &l, e);
			p += len + (nl != NULL);
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (rc == 0 && have == PJ_LINE_LIMIT)
			rc = pj_fail(e, "%s:%u: line longer than %d bytes", path, lineno + 1,
				     PJ_LINE_LIMIT - 1);
	}
	free(buf);
	return rc;
}

struct scan {
	const struct verdict *v;
	int voided;
	pj_err first;
};

static int scan_line(void *ctx, const char *p, size_t n, const struct rline *l, pj_err *e)
{
	struct scan *sc = ctx;
	(void)p, (void)n;
	/* Keep scanning after a match: a malformed line anywhere refuses. */
	if (!sc->voided && apply(sc->v, l) != 0) {
		sc->voided = 1;
		sc->first = *e;
	}
	return 0;
}

/* Every line of [0, end), validated: the way for files the tool did not
 * index, and for the few lines before the sorted sections. */
static int scan_all(const struct verdict *v, int fd, size_t end)
{
	struct scan sc = { .v = v };
	if (each_line(fd, end, v->path, scan_line, &sc, v->e) != 0)
		return -1;
	if (sc.voided)
		*v->e = sc.first;
	return sc.voided;
}

struct index {
	unsigned long long dev, ino, size;
	long long mtime, mtime_ns, ctime, ctime_ns;
	unsigned long long user_off, jti_off;
};

static int index_path(const char *path, char *out, size_t n)
{
	return snprintf(out, n, "%s.index", path) < (int)n ? 0 : -1;
}

static int index_read(const char *path, uid_t allowed_uid, struct index *ix)
{
	char ipath[PATH_MAX], *text;
	size_t n;
	pj_err ignore;
	if (index_path(path, ipath, sizeof(ipath)) != 0 ||
	    pj_read_trusted_file(ipath, 4096, allowed_uid, 0, &text, &n, NULL, &ignore) != 0)
		return -1;
	int got = sscanf(text, PJ_INDEX_MAGIC " %llu %llu %llu %lld %lld %lld %lld %llu %llu",
			 &ix->dev, &ix->ino, &ix->size, &ix->mtime, &ix->mtime_ns, &ix->ctime,
			 &ix->ctime_ns, &ix->user_off, &ix->jti_off);
	free(text);
	return got == 9 ? 0 : -1;
}

static int index_matches(const struct index *ix, const struct stat *st)
{
	return ix->dev == (unsigned long long)st->st_dev &&
	       ix->ino == (unsigned long long)st->st_ino &&
	       ix->size == (unsigned long long)st->st_size && ix->mtime == st->st_mtim.tv_sec &&
	       ix->mtime_ns == st->st_mtim.tv_nsec && ix->ctime == st->st_ctim.tv_sec &&
	       ix->ctime_ns == st->st_ctim.tv_nsec && ix->user_off <= ix->jti_off &&
	       ix->jti_off <= ix->size;
}

/* The line of [lo, hi) that holds byte mid: its offset and length.  The
 * sorted sections hold entry lines only, so both ends are near. */
static int line_at(int fd, size_t lo, size_t hi, size_t mid, char *buf, size_t *start, size_t *len)
{
	size_t from = mid - lo < PJ_ENTRY_MAX ? lo : mid - PJ_ENTRY_MAX;
	size_t to = hi - mid < PJ_ENTRY_MAX + 1 ? hi : mid + PJ_ENTRY_MAX + 1;
	if (read_at(fd, buf, to - from, (off_t)from) != 0)
		return -1;
	size_t s = mid - from;
	while (s > 0 && buf[s - 1] != '\n')
		s--;
	if (s == 0 && from != lo)
		return -1;
	const char *nl = memchr(buf + s, '\n', to - from - s);
	if (!nl && to != hi)
		return -1;
	*start = from + s;
	*len = nl ? (size_t)(nl - buf) - s : to - from - s;
	memmove(buf, buf + s, *len);
	return 0;
}

/* Binary search over the sorted lines of [lo, hi) for key; applies the
 * matching line.  Every line touched is parsed strictly. */
static int search(const struct verdict *v, int fd, size_t lo, size_t hi, enum pj_rev_kind kind,
		  const char *key)
{
	char buf[2 * PJ_ENTRY_MAX + 2];
	size_t keylen = strlen(key);
	pj_err why;
	while (lo < hi) {
		size_t start, len;
		struct rline l;
		if (line_at(fd, lo, hi, lo + (hi - lo) / 2, buf, &start, &len) != 0 ||
		    parse_rline(buf, len, &l, &why) != 0 || l.kind != kind)
			return pj_fail(v->e,
				       "%s: index does not match the file, run "
				       "pam_jwt-tool check",
				       v->path);
		int c = key_cmp(l.key, l.keylen, key, keylen);
		if (c == 0)
			return apply(v, &l);
		if (c < 0)
			lo = start + len + 1;
		else
			hi = start;
	}
	return 0;
}

static int lookup_indexed(const struct verdict *v, int fd, const struct index *ix)
{
	/* Comments and "all" lines come first: few, so read them all. */
	int rc = scan_all(v, fd, ix->user_off);
	if (rc == 0 && v->q->user)
		rc = search(v, fd, ix->user_off, ix->jti_off, PJ_REV_USER, v->q->user);
	if (rc == 0)
		rc = search(v, fd, ix->jti_off, ix->size, PJ_REV_JTI, v->q->name);
	if (rc == 0 && v->q->alt_name)
		rc = search(v, fd, ix->jti_off, ix->size, PJ_REV_JTI, v->q->alt_name);
	return rc;
}

/* Opens a trusted file; -1 with e, or 0 with *fd (-1 for a missing file
 * when missing_ok). */
static int open_list(const char *path, uid_t allowed_uid, int missing_ok, int *fd, struct stat *st,
		     pj_err *e)
{
	pj_err why;
	*fd = pj_open_trusted(path, allowed_uid, 0, st, &why);
	if (*fd >= 0)
		return 0;
	if (missing_ok && errno == ENOENT)
		return 0;
	return pj_fail(e, "%s", why.msg);
}

static int check_file(const char *path, int must_exist, uid_t allowed_uid, int jti_only,
		      const struct pj_revquery *q, pj_err *e)
{
	struct stat st;
	int fd;
	if (open_list(path, allowed_uid, !must_exist, &fd, &st, e) != 0)
		return -1;
	if (fd < 0)
		return 0;
	struct verdict v = { q, path, jti_only, e };
	struct index ix;
	int rc;
	if (index_read(path, allowed_uid, &ix) == 0 && index_matches(&ix, &st))
		rc = lookup_indexed(&v, fd, &ix);
	else
		rc = scan_all(&v, fd, (size_t)st.st_size);
	close(fd);
	return rc;
}

int pj_revocation_check(const char *path, int must_exist, uid_t allowed_uid,
			const struct pj_revquery *q, pj_err *e)
{
	return check_file(path, must_exist, allowed_uid, 0, q, e) == 0 ? 0 : -1;
}

int pj_allowlist_check(const char *path, uid_t allowed_uid, const char *name, pj_err *e)
{
	struct pj_revquery q = { .name = name };
	pj_err why;
	int rc = check_file(path, 1, allowed_uid, 1, &q, &why);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return pj_fail(e, "token %s is not in the allowlist %s", name, path);
	return pj_fail(e, "allowlist: %s", why.msg);
}

/* ---- the whole list in memory (the tool, and one-time records) ---- */

int pj_revlist_add(struct pj_revlist *l, enum pj_rev_kind kind, const char *text, size_t n,
		   long long time)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct pj_rev_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	struct pj_rev_entry *en = &l->v[l->n];
	/* Only times a line can hold: anything else would make the file
	 * unreadable and refuse every login.  A jti without EXP is never
	 * pruned; a cut-off at 0 or PJ_TIME_MAX means what was asked. */
	if (kind == PJ_REV_JTI && (time < 0 || time > PJ_TIME_MAX))
		time = -1;
	else if (kind == PJ_REV_USER || kind == PJ_REV_ALL)
		time = time < 0 ? 0 : time > PJ_TIME_MAX ? PJ_TIME_MAX : time;
	en->kind = kind;
	en->time = time;
	en->text = NULL;
	if (text && !(en->text = strndup(text, n)))
		return -1;
	l->n++;
	return 0;
}

void pj_revlist_free(struct pj_revlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

size_t pj_revlist_remove(struct pj_revlist *l, enum pj_rev_kind kind, const char *text)
{
	size_t o = 0, gone = 0;
	for (size_t i = 0; i < l->n; i++) {
		/* "all" lines have no text: removing "all" removes every one. */
		if (l->v[i].kind == kind &&
		    (kind == PJ_REV_ALL || (l->v[i].text && strcmp(l->v[i].text, text) == 0))) {
			free(l->v[i].text);
			gone++;
			continue;
		}
		l->v[o++] = l->v[i];
	}
	l->n = o;
	return gone;
}

/* One parsed line into the in-memory list; comments keep their text. */
static int load_line(void *ctx, const char *p, size_t len, const struct rline *r, pj_err *e)
{
	struct pj_revlist *l = ctx;
	int rc = 0;
	if (r->kind == PJ_REV_COMMENT) {
		size_t skip = 0;
		while (skip < len && (p[skip] == ' ' || p[skip] == '\t'))
			skip++;
		if (skip < len && p[skip] == '#')
			rc = pj_revlist_add(l, r->kind, p + skip, len - skip - (p[len - 1] == '\r'),
					    -1);
	} else {
		rc = pj_revlist_add(l, r->kind, r->key, r->keylen, r->time);
	}
	return rc == 0 ? 0 : pj_fail(e, "out of memory");
}

int pj_revlist_load(const char *path, uid_t allowed_uid, int missing_ok, struct pj_revlist *l,
		    pj_err *e)
{
	struct stat st;
	int fd;
	memset(l, 0, sizeof(*l));
	if (open_list(path, allowed_uid, missing_ok, &fd, &st, e) != 0)
		return -1;
	if (fd < 0)
		return 0;
	int rc = each_line(fd, (size_t)st.st_size, path, load_line, l, e);
	close(fd);
	if (rc != 0)
		pj_revlist_free(l);
	return rc;
}

/* Comments keep their order; then all, user by name, jti by id. */
static int entry_cmp(const void *a, const void *b)
{
	const struct pj_rev_entry *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->kind == PJ_REV_COMMENT || x->kind == PJ_REV_ALL)
		return 0;
	return strcmp(x->text, y->text);
}

/* A jti line without EXP is never pruned: it outranks any EXP. */
static long long later(long long a, long long b)
{
	if (a < 0 || b < 0)
		return -1;
	return a > b ? a : b;
}

void pj_revlist_normalize(struct pj_revlist *l)
{
	/* An empty list has v == NULL, and NULL + 0 (or qsort of NULL) is
	 * undefined behaviour (found by fuzz_revocation). */
	if (l->n == 0)
		return;
	/* Comments first, in their order (qsort is not stable, so partition). */
	size_t nc = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == PJ_REV_COMMENT) {
			struct pj_rev_entry c = l->v[i];
			memmove(&l->v[nc + 1], &l->v[nc], (i - nc) * sizeof(*l->v));
			l->v[nc++] = c;
		}
	qsort(l->v + nc, l->n - nc, sizeof(*l->v), entry_cmp);
	size_t o = nc;
	for (size_t i = nc; i < l->n; i++) {
		struct pj_rev_entry *prev = o > nc ? &l->v[o - 1] : NULL, *cur = &l->v[i];
		if (prev && prev->kind == cur->kind &&
		    (cur->kind == PJ_REV_ALL || strcmp(prev->text, cur->text) == 0)) {
			if (cur->kind == PJ_REV_JTI)
				prev->time = later(prev->time, cur->time);
			else if (cur->time > prev->time)
				prev->time = cur->time;
			free(cur->text);
			continue;
		}
		l->v[o++] = *cur;
	}
	l->n = o;
}

/* ---- writing: lock, temp file, fsync, rename, index ---- */

static int lock_file(const char *path, int wait_ms, int *fd, pj_err *e)
{
	char lpath[PATH_MAX];
	if (snprintf(lpath, sizeof(lpath), "%s.lock", path) >= (int)sizeof(lpath))
		return pj_fail(e, "path too long: %s", path);
	*fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return pj_fail(e, "cannot open lock %s: %s", lpath, strerror(errno));
	/* Bounded: a stuck writer must not hang a login that records a use. */
	for (int waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; waited += 10) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			close(*fd);
			*fd = -1;
			return pj_fail(e, "cannot lock %s: %s", lpath,
				       errno == EWOULDBLOCK ? "held by another writer"
							    : strerror(errno));
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A writer killed between mkostemp and rename leaves its temporary file (as
 * big as the list) behind.  Under the lock no live writer has one, so any
 * PATH.tmp.XXXXXX or PATH.index.tmp.XXXXXX found then is garbage. */
static void remove_stale_temps(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t bl = strlen(base);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	DIR *d = opendir(slash == path ? "/" : dir);
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		const char *s = de->d_name;
		if (strncmp(s, base, bl) != 0)
			continue;
		s += bl;
		if (strncmp(s, ".index", 6) == 0)
			s += 6;
		if (strncmp(s, ".tmp.", 5) == 0 && strlen(s + 5) == 6)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	return 0;
}

static int render(const struct pj_revlist *l, struct buf *b, size_t *user_off, size_t *jti_off)
{
	static const char *kinds[] = { "", "all", "user", "jti" };
	char line[PJ_NAME_MAX + 64];
	*user_off = *jti_off = (size_t)-1;
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		int len;
		if (en->kind == PJ_REV_USER && *user_off == (size_t)-1)
			*user_off = b->n;
		if (en->kind == PJ_REV_JTI && *jti_off == (size_t)-1) {
			if (*user_off == (size_t)-1)
				*user_off = b->n;
			*jti_off = b->n;
		}
		if (en->kind == PJ_REV_COMMENT) {
			/* A hand-written comment may be longer than any entry. */
			if (buf_add(b, en->text, strlen(en->text)) != 0 || buf_add(b, "\n", 1) != 0)
				return -1;
			continue;
		}
		if (en->kind == PJ_REV_ALL)
			len = snprintf(line, sizeof(line), "all %lld\n", en->time);
		else if (en->time >= 0)
			len = snprintf(line, sizeof(line), "%s %s %lld\n", kinds[en->kind],
				       en->text, en->time);
		else
			len = snprintf(line, sizeof(line), "%s %s\n", kinds[en->kind], en->text);
		if (len < 0 || (size_t)len >= sizeof(line) || buf_add(b, line, (size_t)len) != 0)
			return -1;
	}
	if (*user_off == (size_t)-1)
		*user_off = b->n;
	if (*jti_off == (size_t)-1)
		*jti_off = b->n;
	return 0;
}

static int write_index(const char *path, const struct stat *st, size_t user_off, size_t jti_off,
		       pj_err *e)
{
	char ipath[PATH_MAX], text[512];
	struct stat ist;
	if (index_path(path, ipath, sizeof(ipath)) != 0)
		return pj_fail(e, "path too long: %s", path);
	int n = snprintf(text, sizeof(text),
			 PJ_INDEX_MAGIC " %llu %llu %llu %lld %lld %lld %lld %zu %zu\n",
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 (long long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
			 (long long)st->st_ctim.tv_nsec, user_off, jti_off);
	return pj_write_atomic(ipath, text, (size_t)n, &ist, e);
}

/* Before Linux 6.13 file times come from a clock that ticks every few
 * milliseconds: an edit in place within the tick of our rename would keep
 * size, mtime and ctime, and the index would still match.  Returning only once
 * that clock has passed the file's ctime makes any later edit show. */
static void wait_past(const struct timespec *t)
{
	for (int i = 0; i < 100; i++) {
		struct timespec now, ms = { 0, 1000 * 1000 };
		if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0 || now.tv_sec > t->tv_sec ||
		    (now.tv_sec == t->tv_sec && now.tv_nsec > t->tv_nsec))
			return;
		nanosleep(&ms, NULL);
	}
}

int pj_revlist_update(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx, pj_err *e)
{
	return pj_revlist_update_wait(path, allowed_uid, PJ_LOCK_WAIT_MS, fn, ctx, e);
}

int pj_revlist_update_wait(const char *path, uid_t allowed_uid, int wait_ms, pj_revlist_fn fn,
			   void *ctx, pj_err *e)
{
	static const char header[] = "# pam_jwt: jti ID [EXP] | user NAME TIME | all TIME "
				     "(times in seconds since the epoch)";
	int lock = -1;
	struct pj_revlist l;
	struct buf b = { 0 };
	struct stat st;
	size_t user_off = 0, jti_off = 0;
	if (lock_file(path, wait_ms, &lock, e) != 0)
		return -1;
	remove_stale_temps(path);
	int rc = pj_revlist_load(path, allowed_uid, 1, &l, e);
	if (rc == 0)
		rc = fn(&l, ctx, e);
	if (rc == 0) {
		pj_revlist_normalize(&l);
		if (l.n == 0 || l.v[0].kind != PJ_REV_COMMENT)
			rc = pj_revlist_add(&l, PJ_REV_COMMENT, header, strlen(header), -1);
		pj_revlist_normalize(&l);
		if (rc != 0 || render(&l, &b, &user_off, &jti_off) != 0)
			rc = pj_fail(e, "out of memory");
	}
	if (rc == 0)
		rc = pj_write_atomic(path, b.p ? b.p : "", b.n, &st, e);
	if (rc == 0 && write_index(path, &st, user_off, jti_off, e) != 0) {
		/* The list itself is in place: say so, not "unchanged". */
		char why[PJ_ERR_MAX];
		snprintf(why, sizeof(why), "%s", e->msg);
		rc = pj_fail(e,
			     "%s was changed, but its index was not written (%s); lookups "
			     "read the whole file until the next change",
			     path, why);
	}
	free(b.p);
	pj_revlist_free(&l);
	close(lock);
	if (rc == 0)
		wait_past(&st.st_ctim);
	return rc;
}

/* ---- one-time tokens ---- */

struct use_ctx {
	const char *name;
	long long exp;
	time_t now;
};

static int record_use(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct use_ctx *u = arg;
	size_t o = 0;
	int seen = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct pj_rev_entry *en = &l->v[i];
		if (en->kind == PJ_REV_JTI && strcmp(en->text, u->name) == 0)
			seen = 1;
		/* Expired records can go: their tokens are refused for exp anyway. */
		if (en->kind == PJ_REV_JTI && en->time >= 0 &&
		    en->time < (long long)u->now - 86400) {
			free(en->text);
			continue;
		}
		l->v[o++] = *en;
	}
	l->n = o;
	if (seen)
		return pj_fail(e, "one-time token %s was already used", u->name);
	if (pj_revlist_add(l, PJ_REV_JTI, u->name, strlen(u->name), u->exp) != 0)
		return pj_fail(e, "out of memory");
	return 0;
}

int pj_onetime_use(const char *path, uid_t allowed_uid, const char *name, long long exp, int record,
		   time_t now, pj_err *e)
{
	if (!record) {
		struct pj_revquery q = { .name = name };
		pj_err why;
		int rc = check_file(path, 0, allowed_uid, 1, &q, &why);
		if (rc == 1)
			return pj_fail(e, "one-time token %s was already used", name);
		return rc == 0 ? 0 : pj_fail(e, "%s", why.msg);
	}
	struct use_ctx u = { name, exp, now };
	return pj_revlist_update(path, allowed_uid, record_use, &u, e);
}
