/* SPDX-License-Identifier: BSD-3-Clause */
/* The list files: see store.h for the design, README.md ("Why this store") for the
 * reasons.  Layout of a store (integers little-endian):
 *
 *   header (128 bytes)    magic, version, counts, region offsets, the
 *                         journal's start (base_end), a check value
 *   comments              the text list's comment lines, for export
 *   user slots, jti slots 24 bytes each, sorted by name: name offset and
 *                         length in the heap, a check value, the time
 *   heap                  the names, back to back
 *   journal               from base_end to the end of the file: lines, each
 *                         "\n" OP ENTRY " " CHECK "\n" (OP + or -, ENTRY a
 *                         text-format entry, CHECK 8 hex digits), or a text
 *                         line appended by hand
 *
 * Locks (open file description locks on FILE.lock, mode 0600, so no user but
 * the owner can hold them): byte 0 is shared by every appender and taken
 * exclusively only to swap in a compacted file; byte 1 is held by the one
 * compaction running. */
#include "store.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const unsigned char store_magic[16] = "\177pam_jwt-store\n";
#define STORE_VERSION	1
#define HDR_SIZE	128
#define SLOT_SIZE	24
#define CHUNK		65536
#define LOCK_APPEND	0 /* byte of FILE.lock: appenders (shared), the swap (exclusive) */
#define LOCK_COMPACT	1 /* byte of FILE.lock: the one compaction */
#define USE_WAIT_MS	30000
#define DEFAULT_WAIT_MS 5000
#define SEED_HDR	0x68647221u
#define SEED_REC	0x72656321u

/* ---- little-endian integers and the check value ---- */

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/* Not cryptographic: it catches a torn write, a record cut short and bytes
 * changed by accident.  Trust in the file comes from its owner and mode.  A
 * word at a time, so checking a whole store costs little. */
static uint32_t check32(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull), k;
	size_t len = n;
	for (; n >= 8; p += 8, n -= 8) {
		k = get64(p) * 0x87c37b91114253d5ull;
		k = (k << 31 | k >> 33) * 0x4cf5ad432745937full;
		h ^= k;
		h = (h << 27 | h >> 37) * 5 + 0x52dce729;
	}
	if (n && len >= 8) {
		/* The last eight bytes, overlapping the word before. */
		k = get64(p + n - 8);
	} else {
		k = 0;
		for (size_t i = 0; i < n; i++)
			k |= (uint64_t)p[i] << (8 * i);
	}
	h ^= fmix64(k + 0x2545f4914f6cdd1dull);
	return (uint32_t)fmix64(h);
}

static uint32_t slot_check(enum pj_rev_kind kind, long long time, const char *name, size_t n)
{
	return check32(name, n, fmix64((uint64_t)kind << 56 ^ (uint64_t)time));
}

/* ---- small I/O helpers ---- */

/* Reads exactly n bytes at off; a short read means the file shrank. */
static int read_at(int fd, void *buf, size_t n, unsigned long long off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* One write(2) with SIGXFSZ held off: a host run under a file size limit
 * (ulimit -f in a setuid su) gets EFBIG here instead of being killed. */
static ssize_t write_once(int fd, const void *p, size_t n)
{
	sigset_t xfsz, old, before, after;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	sigemptyset(&before);
	sigpending(&before);
	ssize_t w = write(fd, p, n);
	int saved = errno;
	sigemptyset(&after);
	if (sigpending(&after) == 0 && sigismember(&after, SIGXFSZ) &&
	    !sigismember(&before, SIGXFSZ)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&xfsz, NULL, &zero); /* ours: take it back */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write_once(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *write_error(int err)
{
	if (err == EFBIG)
		return "File too large (the file size limit, ulimit -f, is too small)";
	return strerror(err);
}

static int suffix_path(char *out, size_t n, const char *path, const char *suffix)
{
	return snprintf(out, n, "%s%s", path, suffix) < (int)n ? 0 : -1;
}

/* ---- the header ---- */

struct hdr {
	unsigned long long n_user, n_jti, user_off, jti_off, heap_off, heap_len, com_off, com_len;
	unsigned long long base_end, written;
	long long all_time; /* -1: no "all" entry */
};

static int is_store(const unsigned char *b, size_t n)
{
	return n >= sizeof(store_magic) && memcmp(b, store_magic, sizeof(store_magic)) == 0;
}

/* [off, off + len) within [HDR_SIZE, end]. */
static int region_ok(unsigned long long off, unsigned long long len, unsigned long long end)
{
	return off >= HDR_SIZE && off <= end && len <= end - off;
}

static int hdr_parse(const unsigned char *b, size_t n, unsigned long long fsize, struct hdr *h,
		     const char *path, pj_err *e)
{
	if (n < HDR_SIZE)
		return pj_fail(e, "%s: store header cut short", path);
	if (get32(b + 16) != STORE_VERSION)
		return pj_fail(e, "%s: store version %u, this pam_jwt reads version %d", path,
			       (unsigned)get32(b + 16), STORE_VERSION);
	if (get32(b + 20) != HDR_SIZE || check32(b, 124, SEED_HDR) != get32(b + 124))
		return pj_fail(e, "%s: store header damaged (run pam_jwt-tool check)", path);
	h->n_user = get64(b + 24);
	h->n_jti = get64(b + 32);
	h->all_time = (long long)get64(b + 40);
	h->user_off = get64(b + 48);
	h->jti_off = get64(b + 56);
	h->heap_off = get64(b + 64);
	h->heap_len = get64(b + 72);
	h->com_off = get64(b + 80);
	h->com_len = get64(b + 88);
	h->base_end = get64(b + 96);
	h->written = get64(b + 104);
	unsigned long long end = h->base_end, most = end / SLOT_SIZE;
	if (end < HDR_SIZE || h->all_time < -1 || h->all_time > PJ_TIME_MAX || h->n_user > most ||
	    h->n_jti > most || !region_ok(h->user_off, h->n_user * SLOT_SIZE, end) ||
	    !region_ok(h->jti_off, h->n_jti * SLOT_SIZE, end) ||
	    !region_ok(h->heap_off, h->heap_len, end) || !region_ok(h->com_off, h->com_len, end))
		return pj_fail(e, "%s: store header inconsistent (run pam_jwt-tool check)", path);
	if (end > fsize)
		return pj_fail(e, "%s: store shorter than its header says (truncated?)", path);
	return 0;
}

void pj_store_seal(unsigned char *image, size_t n)
{
	if (n >= HDR_SIZE)
		put32(image + 124, check32(image, 124, SEED_HDR));
}

static void hdr_encode(unsigned char *b, const struct hdr *h)
{
	memset(b, 0, HDR_SIZE);
	memcpy(b, store_magic, sizeof(store_magic));
	put32(b + 16, STORE_VERSION);
	put32(b + 20, HDR_SIZE);
	put64(b + 24, h->n_user);
	put64(b + 32, h->n_jti);
	put64(b + 40, (uint64_t)h->all_time);
	put64(b + 48, h->user_off);
	put64(b + 56, h->jti_off);
	put64(b + 64, h->heap_off);
	put64(b + 72, h->heap_len);
	put64(b + 80, h->com_off);
	put64(b + 88, h->com_len);
	put64(b + 96, h->base_end);
	put64(b + 104, h->written);
	put32(b + 124, check32(b, 124, SEED_HDR));
}

/* ---- slots ---- */

/* Slot i of kind, its name (NUL-terminated) and time; every one read is
 * validated. */
static int slot_read(int fd, const struct hdr *h, enum pj_rev_kind kind, unsigned long long i,
		     char *name, size_t *len, long long *time, const char *path, pj_err *e)
{
	unsigned char s[SLOT_SIZE];
	unsigned long long base = kind == PJ_REV_USER ? h->user_off : h->jti_off;
	if (read_at(fd, s, sizeof(s), base + i * SLOT_SIZE) != 0)
		return pj_fail(e, "%s changed while being read", path);
	unsigned long long off = get64(s);
	uint32_t n = get32(s + 8), check = get32(s + 12);
	long long t = (long long)get64(s + 16);
	if (n == 0 || n > PJ_NAME_MAX || off > h->heap_len || n > h->heap_len - off)
		return pj_fail(e, "%s: store entry damaged (run pam_jwt-tool check)", path);
	if (read_at(fd, name, n, h->heap_off + off) != 0)
		return pj_fail(e, "%s changed while being read", path);
	name[n] = 0;
	if (slot_check(kind, t, name, n) != check || !pj_name_valid(name, n) || t > PJ_TIME_MAX ||
	    t < (kind == PJ_REV_JTI ? -1 : 0))
		return pj_fail(e, "%s: store entry damaged (run pam_jwt-tool check)", path);
	*len = n;
	*time = t;
	return 0;
}

/* Binary search of kind's slots for key: 1 found (time set), 0 not, -1. */
static int slot_find(int fd, const struct hdr *h, enum pj_rev_kind kind, const char *key,
		     long long *time, const char *path, pj_err *e)
{
	char name[PJ_NAME_MAX + 1];
	size_t keylen = strlen(key), len = 0;
	unsigned long long lo = 0, hi = kind == PJ_REV_USER ? h->n_user : h->n_jti;
	long long t = -1;
	while (lo < hi) {
		unsigned long long mid = lo + (hi - lo) / 2;
		if (slot_read(fd, h, kind, mid, name, &len, &t, path, e) != 0)
			return -1;
		int c = pj_key_cmp(name, len, key, keylen);
		if (c == 0) {
			*time = t;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- journal records ---- */

struct rec {
	int remove;
	enum pj_rev_kind kind;
	const char *key;
	size_t keylen;
	long long time;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A record line (without newlines): 0 when whole and intact. */
static int rec_parse(const char *p, size_t n, struct rec *r)
{
	uint32_t v = 0;
	if (n < 4 + 9 || p[n - 9] != ' ')
		return -1;
	for (size_t i = n - 8; i < n; i++) {
		int d = hexval(p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	n -= 9;
	if (check32(p, n, SEED_REC) != v)
		return -1;
	memset(r, 0, sizeof(*r));
	r->time = -1;
	if (p[0] == '+') {
		struct pj_rline l;
		pj_err ignore;
		if (pj_rline_parse(p + 1, n - 1, &l, &ignore) != 0 || l.kind == PJ_REV_COMMENT)
			return -1;
		r->kind = l.kind;
		r->key = l.key;
		r->keylen = l.keylen;
		r->time = l.time;
		return 0;
	}
	if (p[0] != '-')
		return -1;
	r->remove = 1;
	if (n == 4 && memcmp(p, "-all", 4) == 0) {
		r->kind = PJ_REV_ALL;
		return 0;
	}
	size_t skip = n > 5 && memcmp(p, "-jti ", 5) == 0    ? 5
		      : n > 6 && memcmp(p, "-user ", 6) == 0 ? 6
							     : 0;
	if (!skip || !pj_name_valid(p + skip, n - skip))
		return -1;
	r->kind = skip == 5 ? PJ_REV_JTI : PJ_REV_USER;
	r->key = p + skip;
	r->keylen = n - skip;
	return 0;
}

/* "\n" BODY " " CHECK "\n" into out; its length, or 0 when it does not fit
 * or the change is not one a line can hold. */
static size_t rec_encode(char *out, size_t cap, const struct pj_change *c)
{
	static const char *kinds[] = { "", "all", "user", "jti" };
	char body[PJ_NAME_MAX + 64];
	int n;
	if (c->kind != PJ_REV_ALL && c->kind != PJ_REV_USER && c->kind != PJ_REV_JTI)
		return 0;
	if (c->kind != PJ_REV_ALL && (!c->text || !pj_name_valid(c->text, strlen(c->text))))
		return 0;
	long long t = c->time;
	if (c->kind == PJ_REV_JTI && (t < 0 || t > PJ_TIME_MAX))
		t = -1;
	else if (c->kind != PJ_REV_JTI)
		t = t < 0 ? 0 : t > PJ_TIME_MAX ? PJ_TIME_MAX : t;
	if (c->remove && c->kind == PJ_REV_ALL)
		n = snprintf(body, sizeof(body), "-all");
	else if (c->remove)
		n = snprintf(body, sizeof(body), "-%s %s", kinds[c->kind], c->text);
	else if (c->kind == PJ_REV_ALL)
		n = snprintf(body, sizeof(body), "+all %lld", t);
	else if (t >= 0)
		n = snprintf(body, sizeof(body), "+%s %s %lld", kinds[c->kind], c->text, t);
	else
		n = snprintf(body, sizeof(body), "+%s %s", kinds[c->kind], c->text);
	if (n < 0 || (size_t)n >= sizeof(body) || (size_t)n + 12 > cap)
		return 0;
	out[0] = '\n';
	memcpy(out + 1, body, (size_t)n);
	snprintf(out + 1 + n, cap - 1 - (size_t)n, " %08x\n", check32(body, (size_t)n, SEED_REC));
	return (size_t)n + 11;
}

static void state_apply(struct pj_keystate *k, int remove, long long time)
{
	if (remove) {
		k->present = 0;
		k->time = -1;
	} else if (!k->present) {
		k->present = 1;
		k->time = time;
	} else {
		k->time = k->kind == PJ_REV_JTI ? pj_later(k->time, time)
			  : time > k->time	? time
						: k->time;
	}
}

static int all_nul(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- reading lines: the journal and text lists ---- */

/* A line handler: p, n without the newline; final set for an unterminated
 * last line.  Returns 0 or -1 (e filled). */
typedef int (*line_fn)(void *ctx, const char *p, size_t n, int final, unsigned long long off,
		       pj_err *e);

/* Every line of [from, to) (to ULLONG_MAX: up to the end as it is now), 64
 * KiB at a time, so memory stays bounded whatever the size.  *end gets the
 * offset after the last newline seen. */
static int each_line(int fd, unsigned long long from, unsigned long long to, const char *path,
		     line_fn fn, void *ctx, unsigned long long *end, pj_err *e)
{
	char *buf = malloc(PJ_LINE_LIMIT + 1);
	size_t have = 0;
	unsigned long long off = from, base = from; /* base: file offset of buf[0] */
	int rc = 0, eof = 0;
	if (!buf)
		return pj_fail(e, "out of memory");
	if (end)
		*end = from;
	while (rc == 0 && (!eof || have)) {
		if (!eof) {
			size_t want = PJ_LINE_LIMIT - have;
			if (to != ULLONG_MAX && to - off < want)
				want = (size_t)(to - off);
			ssize_t r = want ? pj_pread_upto(fd, buf + have, want, off) : 0;
			if (r < 0) {
				rc = pj_fail(e, "cannot read %s: %s", path, strerror(errno));
				break;
			}
			if (r == 0 || (to != ULLONG_MAX && off + (size_t)r >= to))
				eof = 1;
			off += (size_t)r;
			have += (size_t)r;
		}
		char *p = buf;
		while (rc == 0 && p < buf + have) {
			char *nl = memchr(p, '\n', have - (size_t)(p - buf));
			if (!nl && !eof)
				break; /* the rest of this line is still to be read */
			size_t len = nl ? (size_t)(nl - p) : have - (size_t)(p - buf);
			rc = fn(ctx, p, len, nl == NULL, base + (size_t)(p - buf), e);
			p += len + (nl != NULL);
			if (nl && end)
				*end = base + (size_t)(p - buf);
		}
		base += (size_t)(p - buf);
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (rc == 0 && have == PJ_LINE_LIMIT)
			rc = pj_fail(e, "%s: line longer than %d bytes", path, PJ_LINE_LIMIT - 1);
	}
	free(buf);
	return rc;
}

/* ---- the journal: lines classified ---- */

enum jline { J_RECORD, J_HAND, J_TORN };

/* A record comes to fn only once the next line shows that its own newline
 * ended it (the next line is empty, a hand line, or the end): a writer cut
 * short one byte before its newline leaves a record that the next record's
 * leading newline would otherwise complete.  want (may be NULL) skips,
 * unchecked, records a reader does not need. */
typedef int (*jline_fn)(void *ctx, enum jline what, const char *p, size_t n, const struct rec *r,
			const struct pj_rline *l, unsigned long long off, pj_err *e);
struct jreader {
	jline_fn fn;
	int (*want)(void *ctx, const char *p, size_t n);
	void *ctx;
	const char *path;
	size_t *drop_bad; /* count hand lines that are not entries, as torn */
	int defer_last;	  /* leave an unterminated last hand line to a later read */
	int pending;
	char line[PJ_NAME_MAX + 64];
	size_t len;
	unsigned long long off;
};

static int hand_line_error(const char *path, unsigned long long off, const char *why, pj_err *e)
{
	return pj_fail(e,
		       "%s: a line added by hand at byte %llu is not an entry (%s); "
		       "pam_jwt-tool check shows it",
		       path, off, why);
}

static int jr_flush(struct jreader *j, int whole, pj_err *e)
{
	struct rec r;
	if (!j->pending)
		return 0;
	j->pending = 0;
	if (!whole || rec_parse(j->line, j->len, &r) != 0)
		return j->fn(j->ctx, J_TORN, j->line, j->len, NULL, NULL, j->off, e);
	return j->fn(j->ctx, J_RECORD, j->line, j->len, &r, NULL, j->off, e);
}

static int jr_line(void *ctx, const char *p, size_t n, int final, unsigned long long off, pj_err *e)
{
	struct jreader *j = ctx;
	int rec = n && (p[0] == '+' || p[0] == '-');
	if (jr_flush(j, !rec, e) != 0)
		return -1;
	if (n == 0 || (!rec && all_nul(p, n)))
		return 0; /* blank, or zeros a crash left */
	if (!rec && final && j->defer_last)
		return 0; /* an echo >> FILE may still be writing it */
	if (rec) {
		/* Unterminated: still being written, or its writer died. */
		if (final || (j->want && !j->want(j->ctx, p, n)))
			return 0;
		if (n > sizeof(j->line))
			return j->fn(j->ctx, J_TORN, p, n, NULL, NULL, off, e);
		memcpy(j->line, p, n);
		j->len = n;
		j->off = off;
		j->pending = 1;
		return 0;
	}
	struct pj_rline l;
	pj_err why;
	if (pj_rline_parse(p, n, &l, &why) != 0) {
		if (!j->drop_bad)
			return hand_line_error(j->path, off, why.msg, e);
		(*j->drop_bad)++;
		return 0;
	}
	return j->fn(j->ctx, J_HAND, p, n, NULL, &l, off, e);
}

/* The journal's lines in [from, to) (to ULLONG_MAX: to the end); *end as
 * each_line's. */
static int read_journal(int fd, unsigned long long from, unsigned long long to, struct jreader *j,
			unsigned long long *end, pj_err *e)
{
	j->pending = 0;
	int rc = each_line(fd, from, to, j->path, jr_line, j, end, e);
	return rc == 0 ? jr_flush(j, 1, e) : rc;
}

/* ---- lookups ---- */

struct lookup {
	struct pj_keystate *ks;
	size_t nks;
	const char *path;
	unsigned lineno; /* text lists */
};

static void apply_line(struct lookup *lk, int remove, enum pj_rev_kind kind, const char *key,
		       size_t keylen, long long time)
{
	for (size_t i = 0; i < lk->nks; i++) {
		struct pj_keystate *k = &lk->ks[i];
		if (k->kind == kind &&
		    (kind == PJ_REV_ALL || pj_key_cmp(key, keylen, k->key, strlen(k->key)) == 0))
			state_apply(k, remove, time);
	}
}

/* Does a record line (not yet checked) concern one of the keys?  Cheap, so
 * that a login pays little for records it does not need. */
static int rec_relevant(void *ctx, const char *p, size_t n)
{
	const struct lookup *lk = ctx;
	size_t skip;
	enum pj_rev_kind kind;
	if (n > 5 && memcmp(p + 1, "jti ", 4) == 0)
		kind = PJ_REV_JTI, skip = 5;
	else if (n > 6 && memcmp(p + 1, "user ", 5) == 0)
		kind = PJ_REV_USER, skip = 6;
	else if (n >= 4 && memcmp(p + 1, "all", 3) == 0)
		kind = PJ_REV_ALL, skip = 0;
	else
		return 0; /* not a record: skipped as torn */
	for (size_t i = 0; i < lk->nks; i++) {
		const struct pj_keystate *k = &lk->ks[i];
		if (k->kind != kind)
			continue;
		if (kind == PJ_REV_ALL)
			return 1;
		size_t kl = strlen(k->key);
		if (n > skip + kl && p[skip + kl] == ' ' && memcmp(p + skip, k->key, kl) == 0)
			return 1;
	}
	return 0;
}

static int lookup_want(void *ctx, const char *p, size_t n)
{
	return rec_relevant(ctx, p, n);
}

static int lookup_line(void *ctx, enum jline what, const char *p, size_t n, const struct rec *r,
		       const struct pj_rline *l, unsigned long long off, pj_err *e)
{
	struct lookup *lk = ctx;
	(void)p, (void)n, (void)off, (void)e;
	if (what == J_RECORD)
		apply_line(lk, r->remove, r->kind, r->key, r->keylen, r->time);
	else if (what == J_HAND && l->kind != PJ_REV_COMMENT)
		apply_line(lk, 0, l->kind, l->key, l->keylen, l->time);
	return 0;
}

static int lookup_journal(int fd, struct lookup *lk, unsigned long long from, unsigned long long to,
			  unsigned long long *end, pj_err *e)
{
	struct jreader j = { .fn = lookup_line, .want = lookup_want, .ctx = lk, .path = lk->path };
	return read_journal(fd, from, to, &j, end, e);
}

static int text_line(void *ctx, const char *p, size_t n, int final, unsigned long long off,
		     pj_err *e)
{
	struct lookup *lk = ctx;
	struct pj_rline l;
	pj_err why;
	(void) final, (void)off;
	lk->lineno++;
	if (pj_rline_parse(p, n, &l, &why) != 0)
		return pj_fail(e, "%s:%u: %s", lk->path, lk->lineno, why.msg);
	if (l.kind != PJ_REV_COMMENT)
		apply_line(lk, 0, l.kind, l.key, l.keylen, l.time);
	return 0;
}

static void stamp_fill(struct pj_stamp *s, const struct stat *st)
{
	memset(s, 0, sizeof(*s));
	s->set = 1;
	s->dev = (unsigned long long)st->st_dev;
	s->ino = (unsigned long long)st->st_ino;
	s->size = (unsigned long long)st->st_size;
	s->mtime = st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
	s->ctime = st->st_ctim.tv_sec;
	s->ctime_ns = st->st_ctim.tv_nsec;
}

int pj_stamp_unchanged(const char *path, const struct pj_stamp *s)
{
	struct stat st;
	struct pj_stamp now;
	if (!s->set)
		return 0;
	if (stat(path, &st) != 0)
		return s->missing && errno == ENOENT;
	if (s->missing)
		return 0;
	stamp_fill(&now, &st);
	return memcmp(&now, s, sizeof(now)) == 0;
}

/* Opens a trusted list; -1 with e, or 0 with *fd (-1 for a missing file
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

/* The store's state for the keys, journal up to `to`. */
static int store_lookup(int fd, const struct hdr *h, struct lookup *lk, unsigned long long to,
			unsigned long long *end, pj_err *e)
{
	for (size_t i = 0; i < lk->nks; i++) {
		struct pj_keystate *k = &lk->ks[i];
		long long t;
		int rc = 0;
		if (k->kind == PJ_REV_ALL) {
			if (h->all_time >= 0)
				state_apply(k, 0, h->all_time);
			continue;
		}
		rc = slot_find(fd, h, k->kind, k->key, &t, lk->path, e);
		if (rc < 0)
			return -1;
		if (rc == 1)
			state_apply(k, 0, t);
	}
	return lookup_journal(fd, lk, h->base_end, to, end, e);
}

static void states_reset(struct pj_keystate *ks, size_t nks)
{
	for (size_t i = 0; i < nks; i++) {
		ks[i].present = 0;
		ks[i].time = -1;
	}
}

int pj_list_lookup(const char *path, uid_t allowed_uid, int must_exist, struct pj_keystate *ks,
		   size_t nks, struct pj_stamp *stamp, pj_err *e)
{
	struct stat st;
	unsigned char b[HDR_SIZE];
	int fd, rc;
	states_reset(ks, nks);
	if (stamp)
		memset(stamp, 0, sizeof(*stamp));
	if (open_list(path, allowed_uid, !must_exist, &fd, &st, e) != 0)
		return -1;
	if (fd < 0) {
		if (stamp)
			stamp->set = stamp->missing = 1;
		return 0;
	}
	if (stamp)
		stamp_fill(stamp, &st);
	struct lookup lk = { ks, nks, path, 0 };
	ssize_t got = pj_pread_upto(fd, b, sizeof(b), 0);
	if (got < 0) {
		rc = pj_fail(e, "cannot read %s: %s", path, strerror(errno));
	} else if (is_store(b, (size_t)got)) {
		struct hdr h;
		rc = hdr_parse(b, (size_t)got, (unsigned long long)st.st_size, &h, path, e);
		if (rc == 0 && (unsigned long long)st.st_size - h.base_end > PJ_JOURNAL_MAX)
			rc = pj_fail(e,
				     "%s: its journal is %llu bytes, over %llu: compaction keeps "
				     "failing (run pam_jwt-tool compact)",
				     path, (unsigned long long)st.st_size - h.base_end,
				     PJ_JOURNAL_MAX);
		if (rc == 0)
			rc = store_lookup(fd, &h, &lk, ULLONG_MAX, NULL, e);
	} else if (st.st_size > PJ_TEXT_SCAN_MAX) {
		rc = pj_fail(e,
			     "%s is a text list of %lld bytes, not a pam_jwt store: a login reads "
			     "text lists only up to %d bytes (changed by hand?); run pam_jwt-tool "
			     "compact to index it",
			     path, (long long)st.st_size, PJ_TEXT_SCAN_MAX);
	} else {
		rc = each_line(fd, 0, ULLONG_MAX, path, text_line, &lk, NULL, e);
	}
	close(fd);
	return rc;
}

/* ---- the list in memory ---- */

struct pj_arena {
	struct pj_arena *next;
	size_t used, cap;
	char data[];
};
/* Zero bytes past every arena's end: the sort reads texts eight bytes at a
 * time (key8). */
#define ARENA_PAD 8

static char *arena_dup(struct pj_arena **a, const char *s, size_t n)
{
	if (!*a || (*a)->cap - (*a)->used < n + 1) {
		/* From 4 KiB, doubling to 1 MiB: a small list touches little. */
		size_t cap = *a ? (*a)->cap * 2 : 4096;
		if (cap > (1u << 20))
			cap = 1u << 20;
		if (cap < n + 1)
			cap = n + 1;
		struct pj_arena *c = calloc(1, sizeof(*c) + cap + ARENA_PAD);
		if (!c)
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	char *p = (*a)->data + (*a)->used;
	memcpy(p, s, n);
	p[n] = 0;
	(*a)->used += n + 1;
	return p;
}

static int grow(struct pj_revlist *l, size_t more)
{
	if (l->cap - l->n >= more)
		return 0;
	size_t cap = l->cap ? l->cap : 64;
	while (cap - l->n < more)
		cap *= 2;
	struct pj_rev_entry *v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -1;
	l->v = v;
	l->cap = cap;
	return 0;
}

int pj_revlist_add(struct pj_revlist *l, enum pj_rev_kind kind, const char *text, size_t n,
		   long long time)
{
	if (grow(l, 1) != 0)
		return -1;
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
	if (text && !(en->text = arena_dup(&l->arena, text, n)))
		return -1;
	l->n++;
	return 0;
}

void pj_revlist_free(struct pj_revlist *l)
{
	while (l->arena) {
		struct pj_arena *next = l->arena->next;
		free(l->arena);
		l->arena = next;
	}
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
			gone++;
			continue;
		}
		l->v[o++] = l->v[i];
	}
	l->n = o;
	return gone;
}

/* all, user by name, jti by id (comments are kept apart). */
static int entry_cmp(const void *a, const void *b)
{
	const struct pj_rev_entry *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->kind == PJ_REV_ALL)
		return 0;
	return strcmp(x->text, y->text);
}

static void swap_entries(struct pj_rev_entry *a, struct pj_rev_entry *b)
{
	struct pj_rev_entry t = *a;
	*a = *b;
	*b = t;
}

/* Eight bytes of a text from offset d, big-endian, zeros past its end:
 * comparing these compares the texts' bytes d..d+7 as strcmp does.  done:
 * the text ends within them. */
static uint64_t key8(const char *t, size_t d, int *done)
{
	/* Texts live in arenas that are zeroed and end in ARENA_PAD more zero
	 * bytes, so eight bytes can be read from anywhere in a text. */
	uint64_t w, z;
	memcpy(&w, t + d, sizeof(w));
	w = le64toh(w); /* t[d] in the low byte */
	z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
	*done = z != 0;
	/* The lowest flagged byte is the first NUL: keep what is before it. */
	if (z)
		w &= ((z & -z) >> 7) - 1;
	return __builtin_bswap64(w);
}

struct rkey {
	uint64_t key;
	uint32_t idx, done;
};

/* Entries of one kind by text, all sharing their first d bytes: most
 * significant digit first, eight bytes at a time, each round a
 * least-significant-byte-first radix sort of the eight bytes (a pass is
 * skipped where every key has the same byte).  Names that share long
 * prefixes ("revoked-0001234-...") cost a few passes, not the dozens of
 * strcmp calls a comparison sort spends on each.  tmp, r and r2 hold n;
 * count is scratch for the byte counts (shared: a round is done with it
 * before it recurses). */
static void sort_texts(struct pj_rev_entry *a, size_t n, size_t d, struct pj_rev_entry *tmp,
		       struct rkey *r, struct rkey *r2, size_t (*count)[256])
{
	if (n < 2)
		return;
	if (n < 16) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && strcmp(a[j - 1].text + d, a[j].text + d) > 0;
			     j--)
				swap_entries(&a[j - 1], &a[j]);
		return;
	}
again:
	memset(count, 0, 8 * sizeof(*count));
	for (size_t i = 0; i < n; i++) {
		int done;
		r[i].key = key8(a[i].text, d, &done);
		r[i].idx = (uint32_t)i;
		r[i].done = (uint32_t)done;
		for (int b = 0; b < 8; b++)
			count[b][r[i].key >> (8 * b) & 255]++;
	}
	struct rkey *from = r, *to = r2;
	int passes = 0;
	for (int b = 0; b < 8; b++) {
		size_t sum = 0, *c = count[b];
		if (c[from[0].key >> (8 * b) & 255] == n)
			continue; /* every key has this byte */
		passes++;
		for (int v = 0; v < 256; v++) {
			size_t k = c[v];
			c[v] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			to[c[from[i].key >> (8 * b) & 255]++] = from[i];
		struct rkey *t = from;
		from = to;
		to = t;
	}
	if (!passes) {
		/* One key for all: a shared prefix ("revoked-"); on to the next
		 * eight bytes, unless every text ended. */
		if (from[0].done)
			return;
		d += 8;
		goto again;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = a[from[i].idx];
	memcpy(a, tmp, n * sizeof(*a));
	/* Runs of equal keys whose texts go on: the next eight bytes. */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && from[j].key == from[i].key)
			j++;
		/* The run's own slices of r and r2: what is left to scan is
		 * past it. */
		if (j - i > 1 && !from[i].done)
			sort_texts(a + i, j - i, d + 8, tmp, r + i, r2 + i, count);
		i = j;
	}
}

static int sort_kind(struct pj_rev_entry *a, size_t n)
{
	if (n < 2)
		return 0;
	struct pj_rev_entry *tmp = malloc(n * sizeof(*tmp));
	struct rkey *r = malloc(n * sizeof(*r)), *r2 = malloc(n * sizeof(*r2));
	size_t(*count)[256] = malloc(8 * sizeof(*count));
	int rc = -1;
	if (n < UINT32_MAX && tmp && r && r2 && count) {
		sort_texts(a, n, 0, tmp, r, r2, count);
		rc = 0;
	}
	free(tmp);
	free(r);
	free(r2);
	free(count);
	return rc;
}

static int text_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pj_rev_entry *)a)->text,
		      ((const struct pj_rev_entry *)b)->text);
}

/* all, then user by name, then jti by id (no comments among them). */
static void sort_entries(struct pj_rev_entry *v, size_t m)
{
	size_t k[PJ_REV_JTI + 1] = { 0 }, at[PJ_REV_JTI + 1] = { 0 };
	for (size_t i = 0; i < m; i++)
		k[v[i].kind]++;
	at[PJ_REV_USER] = k[PJ_REV_ALL];
	at[PJ_REV_JTI] = at[PJ_REV_USER] + k[PJ_REV_USER];
	/* In-place partition by kind (three buckets). */
	size_t end[PJ_REV_JTI + 1] = { 0, k[PJ_REV_ALL], at[PJ_REV_JTI], m };
	for (int b = PJ_REV_ALL; b <= PJ_REV_JTI; b++)
		while (at[b] < end[b]) {
			enum pj_rev_kind kd = v[at[b]].kind;
			if ((int)kd == b)
				at[b]++;
			else
				swap_entries(&v[at[b]], &v[at[kd]++]);
		}
	/* Short of memory for the radix sort: qsort, which needs none. */
	if (sort_kind(v + k[PJ_REV_ALL], k[PJ_REV_USER]) != 0)
		qsort(v + k[PJ_REV_ALL], k[PJ_REV_USER], sizeof(*v), text_cmp);
	if (sort_kind(v + k[PJ_REV_ALL] + k[PJ_REV_USER], k[PJ_REV_JTI]) != 0)
		qsort(v + k[PJ_REV_ALL] + k[PJ_REV_USER], k[PJ_REV_JTI], sizeof(*v), text_cmp);
}

/* Folds y into x, the same key. */
static void entry_merge(struct pj_rev_entry *x, const struct pj_rev_entry *y)
{
	if (x->kind == PJ_REV_JTI)
		x->time = pj_later(x->time, y->time);
	else if (y->time > x->time)
		x->time = y->time;
}

void pj_revlist_normalize(struct pj_revlist *l)
{
	/* An empty list has v == NULL, and NULL + 0 (or qsort of NULL) is
	 * undefined behaviour (found by fuzz_revocation). */
	if (l->n == 0)
		return;
	struct pj_rev_entry *tmp = malloc(l->n * sizeof(*tmp));
	size_t nc = 0, k = 0;
	for (size_t i = 0; i < l->n; i++)
		nc += l->v[i].kind == PJ_REV_COMMENT;
	/* Comments first, in their order. */
	if (tmp) {
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].kind == PJ_REV_COMMENT)
				tmp[k++] = l->v[i];
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].kind != PJ_REV_COMMENT)
				tmp[k++] = l->v[i];
		memcpy(l->v, tmp, l->n * sizeof(*tmp));
	} else {
		for (size_t i = 0, c = 0; i < l->n; i++)
			if (l->v[i].kind == PJ_REV_COMMENT) {
				struct pj_rev_entry x = l->v[i];
				memmove(&l->v[c + 1], &l->v[c], (i - c) * sizeof(*l->v));
				l->v[c++] = x;
			}
	}
	struct pj_rev_entry *v = l->v + nc;
	size_t m = l->n - nc, s = 1, t;
	int strict = 1, c = -1;
	/* What is already sorted (a loaded base, a sorted batch) is merged,
	 * not sorted again; a list already normalized costs one pass. */
	while (s < m && (c = entry_cmp(&v[s - 1], &v[s])) <= 0) {
		strict &= c < 0;
		s++;
	}
	if (s >= m && strict) {
		free(tmp);
		return;
	}
	for (t = s + 1; t < m && entry_cmp(&v[t - 1], &v[t]) <= 0; t++)
		;
	if (s < m && s < m / 4) {
		/* A short sorted start: sorting all is cheaper than merging. */
		sort_entries(v, m);
	} else if (s < m) {
		if (t < m || !tmp)
			sort_entries(v + s, m - s);
		if (tmp) {
			size_t i = 0, j = s, o = 0;
			while (i < s || j < m)
				tmp[o++] = j == m || (i < s && entry_cmp(&v[i], &v[j]) <= 0)
						   ? v[i++]
						   : v[j++];
			memcpy(v, tmp, m * sizeof(*v));
		} else {
			sort_entries(v, m);
		}
	}
	free(tmp);
	size_t o = 0;
	for (size_t i = 0; i < m; i++) {
		if (o > 0 && entry_cmp(&v[o - 1], &v[i]) == 0) {
			entry_merge(&v[o - 1], &v[i]);
			continue;
		}
		v[o++] = v[i];
	}
	l->n = nc + o;
}

/* ---- loading a whole file ---- */

struct op {
	struct pj_rev_entry en;
	int remove;
	size_t seq;
};

struct loader {
	struct pj_revlist *l;
	struct op *ops;
	size_t nops, capops;
	const char *path;
	unsigned lineno;
	size_t records, hand, torn;
	unsigned long long base_end;
	size_t *drop_bad;
	int defer_last;
};

static int add_op(struct loader *ld, int remove, enum pj_rev_kind kind, const char *key,
		  size_t keylen, long long time)
{
	if (ld->nops == ld->capops) {
		size_t cap = ld->capops ? ld->capops * 2 : 64;
		struct op *o = realloc(ld->ops, cap * sizeof(*o));
		if (!o)
			return -1;
		ld->ops = o;
		ld->capops = cap;
	}
	struct op *o = &ld->ops[ld->nops];
	o->remove = remove;
	o->seq = ld->nops;
	o->en.kind = kind;
	o->en.time = time;
	o->en.text = NULL;
	if (key && !(o->en.text = arena_dup(&ld->l->arena, key, keylen)))
		return -1;
	ld->nops++;
	return 0;
}

static int comment_add(struct pj_revlist *l, const char *p, size_t len)
{
	size_t skip = 0;
	while (skip < len && (p[skip] == ' ' || p[skip] == '\t'))
		skip++;
	if (skip < len && p[len - 1] == '\r')
		len--;
	if (skip < len && p[skip] == '#')
		return pj_revlist_add(l, PJ_REV_COMMENT, p + skip, len - skip, -1);
	return 0;
}

static int load_text_line(void *ctx, const char *p, size_t n, int final, unsigned long long off,
			  pj_err *e)
{
	struct loader *ld = ctx;
	struct pj_rline r;
	pj_err why;
	(void) final, (void)off;
	ld->lineno++;
	if (pj_rline_parse(p, n, &r, &why) != 0)
		return pj_fail(e, "%s:%u: %s", ld->path, ld->lineno, why.msg);
	int rc = r.kind == PJ_REV_COMMENT ? comment_add(ld->l, p, n)
					  : pj_revlist_add(ld->l, r.kind, r.key, r.keylen, r.time);
	return rc == 0 ? 0 : pj_fail(e, "out of memory");
}

static int load_journal_line(void *ctx, enum jline what, const char *p, size_t n,
			     const struct rec *r, const struct pj_rline *l, unsigned long long off,
			     pj_err *e)
{
	struct loader *ld = ctx;
	(void)off;
	if (what == J_TORN) {
		ld->torn++;
		return 0;
	}
	if (what == J_RECORD) {
		ld->records++;
		return add_op(ld, r->remove, r->kind, r->key, r->keylen, r->time) == 0
			       ? 0
			       : pj_fail(e, "out of memory");
	}
	if (l->kind != PJ_REV_COMMENT) {
		ld->hand++;
		return add_op(ld, 0, l->kind, l->key, l->keylen, l->time) == 0
			       ? 0
			       : pj_fail(e, "out of memory");
	}
	size_t skip = 0;
	while (skip < n && (p[skip] == ' ' || p[skip] == '\t'))
		skip++;
	if (skip < n && p[n - 1] == '\r')
		n--;
	if (skip == n || p[skip] != '#')
		return 0; /* a blank line */
	ld->hand++;
	return add_op(ld, 0, PJ_REV_COMMENT, p + skip, n - skip, -1) == 0
		       ? 0
		       : pj_fail(e, "out of memory");
}

static int load_journal(int fd, struct loader *ld, unsigned long long from, unsigned long long *end,
			pj_err *e)
{
	struct jreader j = { .fn = load_journal_line,
			     .ctx = ld,
			     .path = ld->path,
			     .drop_bad = ld->drop_bad,
			     .defer_last = ld->defer_last };
	return read_journal(fd, from, ULLONG_MAX, &j, end, e);
}

static int op_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;
	/* Comments keep their order; operations on one key too. */
	int c = x->en.kind == PJ_REV_COMMENT && y->en.kind == PJ_REV_COMMENT
			? 0
			: entry_cmp(&x->en, &y->en);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The base (sorted, comments first) with the journal's operations applied
 * in their order; comments written by hand into the journal go last. */
static int apply_ops(struct pj_revlist *l, struct op *ops, size_t nops)
{
	if (nops == 0)
		return 0;
	qsort(ops, nops, sizeof(*ops), op_cmp);
	size_t nc = 0, jc = 0, cap = l->n + nops;
	while (nc < l->n && l->v[nc].kind == PJ_REV_COMMENT)
		nc++;
	while (jc < nops && ops[jc].en.kind == PJ_REV_COMMENT)
		jc++;
	struct pj_rev_entry *out = malloc(cap * sizeof(*out));
	if (!out)
		return -1;
	memcpy(out, l->v, nc * sizeof(*out));
	size_t i = nc, j = jc, o = nc;
	while (i < l->n || j < nops) {
		int c = i == l->n ? 1 : j == nops ? -1 : entry_cmp(&l->v[i], &ops[j].en);
		if (c < 0) {
			out[o++] = l->v[i++];
			continue;
		}
		struct pj_rev_entry cur = c == 0 ? l->v[i] : ops[j].en;
		int present = c == 0;
		if (c == 0)
			i++;
		const struct pj_rev_entry key = ops[j].en;
		for (; j < nops && entry_cmp(&ops[j].en, &key) == 0; j++) {
			if (ops[j].remove)
				present = 0;
			else if (!present)
				cur = ops[j].en, present = 1;
			else
				entry_merge(&cur, &ops[j].en);
		}
		if (present)
			out[o++] = cur;
	}
	for (size_t k = 0; k < jc; k++)
		out[o++] = ops[k].en;
	free(l->v);
	l->v = out;
	l->n = o;
	l->cap = cap;
	return 0;
}

/* The base of a store into l (sorted, as written). */
static int load_base(int fd, const struct hdr *h, struct pj_revlist *l, const char *path, pj_err *e)
{
	char *heap = NULL, *com = NULL;
	unsigned char *slots = NULL;
	int rc = -1;
	if (h->heap_len > SIZE_MAX - 1 || h->com_len > SIZE_MAX - 1 ||
	    grow(l, (size_t)(h->n_user + h->n_jti + 1)) != 0 ||
	    !(heap = malloc((size_t)h->heap_len + 1)) || !(com = malloc((size_t)h->com_len + 1)) ||
	    !(slots = malloc(CHUNK / SLOT_SIZE * SLOT_SIZE)))
		goto oom;
	if (read_at(fd, heap, (size_t)h->heap_len, h->heap_off) != 0 ||
	    read_at(fd, com, (size_t)h->com_len, h->com_off) != 0)
		goto changed;
	for (size_t p = 0; p < h->com_len;) {
		char *nl = memchr(com + p, '\n', (size_t)h->com_len - p);
		size_t len = nl ? (size_t)(nl - com) - p : (size_t)h->com_len - p;
		if (len && comment_add(l, com + p, len) != 0)
			goto oom;
		p += len + 1;
	}
	if (h->all_time >= 0 && pj_revlist_add(l, PJ_REV_ALL, NULL, 0, h->all_time) != 0)
		goto oom;
	for (int kind = PJ_REV_USER; kind <= PJ_REV_JTI; kind++) {
		unsigned long long n = kind == PJ_REV_USER ? h->n_user : h->n_jti;
		unsigned long long base = kind == PJ_REV_USER ? h->user_off : h->jti_off;
		const char *prev = NULL;
		size_t prevlen = 0;
		for (unsigned long long i = 0; i < n;) {
			size_t k = n - i < CHUNK / SLOT_SIZE ? (size_t)(n - i) : CHUNK / SLOT_SIZE;
			if (read_at(fd, slots, k * SLOT_SIZE, base + i * SLOT_SIZE) != 0)
				goto changed;
			for (size_t j = 0; j < k; j++, i++) {
				const unsigned char *s = slots + j * SLOT_SIZE;
				unsigned long long off = get64(s);
				uint32_t len = get32(s + 8);
				long long t = (long long)get64(s + 16);
				/* The offset is checked before it is added (a wild one
				 * would overflow the pointer: found by fuzz_revocation). */
				int inside = len > 0 && len <= PJ_NAME_MAX && off <= h->heap_len &&
					     len <= h->heap_len - off;
				const char *name = inside ? heap + off : heap;
				if (!inside ||
				    slot_check((enum pj_rev_kind)kind, t, name, len) !=
					    get32(s + 12) ||
				    !pj_name_valid(name, len) || t > PJ_TIME_MAX ||
				    t < (kind == PJ_REV_JTI ? -1 : 0) ||
				    (prev && pj_key_cmp(prev, prevlen, name, len) >= 0)) {
					pj_fail(e,
						"%s: store entry %llu damaged or out of order "
						"(restore it from a backup or an export)",
						path, i);
					goto out;
				}
				if (pj_revlist_add(l, (enum pj_rev_kind)kind, name, len, t) != 0)
					goto oom;
				prev = name;
				prevlen = len;
			}
		}
	}
	rc = 0;
	goto out;
oom:
	pj_fail(e, "out of memory");
	goto out;
changed:
	pj_fail(e, "%s changed while being read", path);
out:
	free(heap);
	free(com);
	free(slots);
	return rc;
}

/* The whole file into l: *is_store, and *end, the end of what was read (a
 * store: after its last complete journal line).  Every byte is validated. */
static int load_file(int fd, const struct stat *st, const char *path, struct pj_revlist *l,
		     int *store, unsigned long long *end, struct loader *ld, pj_err *e)
{
	unsigned char b[HDR_SIZE];
	ssize_t got = pj_pread_upto(fd, b, sizeof(b), 0);
	size_t *drop_bad = ld->drop_bad;
	int defer_last = ld->defer_last;
	memset(ld, 0, sizeof(*ld));
	ld->drop_bad = drop_bad;
	ld->defer_last = defer_last;
	ld->l = l;
	ld->path = path;
	*store = 0;
	*end = 0;
	if (got < 0)
		return pj_fail(e, "cannot read %s: %s", path, strerror(errno));
	if (!is_store(b, (size_t)got))
		return each_line(fd, 0, ULLONG_MAX, path, load_text_line, ld, end, e);
	struct hdr h;
	*store = 1;
	if (hdr_parse(b, (size_t)got, (unsigned long long)st->st_size, &h, path, e) != 0 ||
	    load_base(fd, &h, l, path, e) != 0)
		return -1;
	ld->base_end = h.base_end;
	int rc = load_journal(fd, ld, h.base_end, end, e);
	if (rc == 0 && apply_ops(l, ld->ops, ld->nops) != 0)
		rc = pj_fail(e, "out of memory");
	free(ld->ops);
	ld->ops = NULL;
	return rc;
}

int pj_revlist_load(const char *path, uid_t allowed_uid, int missing_ok, struct pj_revlist *l,
		    pj_err *e)
{
	struct stat st;
	struct loader ld;
	unsigned long long end;
	int fd, store;
	memset(l, 0, sizeof(*l));
	ld.drop_bad = NULL;
	ld.defer_last = 0;
	if (open_list(path, allowed_uid, missing_ok, &fd, &st, e) != 0)
		return -1;
	if (fd < 0)
		return 0;
	int rc = load_file(fd, &st, path, l, &store, &end, &ld, e);
	close(fd);
	if (rc == 0)
		pj_revlist_normalize(l);
	else
		pj_revlist_free(l);
	return rc;
}

int pj_list_check(const char *path, uid_t allowed_uid, struct pj_list_info *info, pj_err *e)
{
	struct stat st;
	struct loader ld;
	struct pj_revlist l;
	unsigned long long end;
	int fd, store;
	memset(info, 0, sizeof(*info));
	memset(&l, 0, sizeof(l));
	ld.drop_bad = NULL;
	ld.defer_last = 0;
	if (open_list(path, allowed_uid, 0, &fd, &st, e) != 0)
		return -1;
	int rc = load_file(fd, &st, path, &l, &store, &end, &ld, e);
	close(fd);
	if (rc == 0) {
		pj_revlist_normalize(&l);
		info->store = store;
		info->size = (unsigned long long)st.st_size;
		info->text_readable = !store && st.st_size <= PJ_TEXT_SCAN_MAX;
		info->records = ld.records;
		info->hand = ld.hand;
		info->torn = ld.torn;
		for (size_t i = 0; i < l.n; i++)
			info->entries += l.v[i].kind != PJ_REV_COMMENT;
		if (store)
			info->journal_bytes = info->size - ld.base_end;
	}
	pj_revlist_free(&l);
	return rc;
}

/* ---- a batch read back ---- */

/* The slots of one kind in order, names from the heap through a window
 * (a store written by the tool lays them out in slot order), each
 * validated as a lookup validates it. */
struct cursor {
	int fd;
	const struct hdr *h;
	enum pj_rev_kind kind;
	unsigned long long i, n;
	unsigned char *slots;
	size_t nslots, at;
	char *win;
	unsigned long long woff;
	size_t wlen;
	char name[PJ_NAME_MAX + 1], prev[PJ_NAME_MAX + 1];
	size_t len, prevlen;
	const char *path;
};

static int cursor_next(struct cursor *c, pj_err *e)
{
	if (c->i == c->n)
		return 0;
	if (c->at == c->nslots) {
		unsigned long long left = c->n - c->i;
		c->nslots = left < CHUNK / SLOT_SIZE ? (size_t)left : CHUNK / SLOT_SIZE;
		c->at = 0;
		unsigned long long base = c->kind == PJ_REV_USER ? c->h->user_off : c->h->jti_off;
		if (read_at(c->fd, c->slots, c->nslots * SLOT_SIZE, base + c->i * SLOT_SIZE) != 0)
			return pj_fail(e, "%s changed while being read", c->path);
	}
	const unsigned char *s = c->slots + c->at * SLOT_SIZE;
	unsigned long long off = get64(s);
	uint32_t n = get32(s + 8);
	long long t = (long long)get64(s + 16);
	if (n == 0 || n > PJ_NAME_MAX || off > c->h->heap_len || n > c->h->heap_len - off)
		return pj_fail(e, "%s: store entry damaged (run pam_jwt-tool check)", c->path);
	if (off < c->woff || off + n > c->woff + c->wlen) {
		unsigned long long left = c->h->heap_len - off;
		c->wlen = left < CHUNK ? (size_t)left : CHUNK;
		c->woff = off;
		if (read_at(c->fd, c->win, c->wlen, c->h->heap_off + off) != 0)
			return pj_fail(e, "%s changed while being read", c->path);
	}
	memcpy(c->name, c->win + (off - c->woff), n);
	c->name[n] = 0;
	if (slot_check(c->kind, t, c->name, n) != get32(s + 12) || !pj_name_valid(c->name, n) ||
	    t > PJ_TIME_MAX || t < (c->kind == PJ_REV_JTI ? -1 : 0) ||
	    (c->i && pj_key_cmp(c->prev, c->prevlen, c->name, n) >= 0))
		return pj_fail(e, "%s: store entry %llu damaged or out of order", c->path, c->i);
	memcpy(c->prev, c->name, n + 1);
	c->prevlen = c->len = n;
	c->i++;
	c->at++;
	return 1;
}

int pj_list_missing(const char *path, uid_t allowed_uid, const struct pj_revlist *ids,
		    size_t *missing, const char **first, pj_err *e)
{
	struct stat st;
	unsigned char b[HDR_SIZE];
	struct hdr h;
	struct pj_revlist scratch;
	struct loader ld;
	int fd, rc = -1;
	*missing = 0;
	*first = NULL;
	memset(&scratch, 0, sizeof(scratch));
	memset(&ld, 0, sizeof(ld));
	if (open_list(path, allowed_uid, 0, &fd, &st, e) != 0)
		return -1;
	struct cursor c = { .fd = fd, .h = &h, .kind = PJ_REV_JTI, .path = path };
	ld.l = &scratch;
	ld.path = path;
	ssize_t got = pj_pread_upto(fd, b, sizeof(b), 0);
	if (got < 0 || !is_store(b, (size_t)got)) {
		pj_fail(e, "%s is not a store", path);
		goto out;
	}
	if (hdr_parse(b, (size_t)got, (unsigned long long)st.st_size, &h, path, e) != 0)
		goto out;
	/* What was appended since (by others) counts too: a removal there is
	 * a missing id. */
	if (load_journal(fd, &ld, h.base_end, NULL, e) != 0)
		goto out;
	qsort(ld.ops, ld.nops, sizeof(*ld.ops), op_cmp);
	c.n = h.n_jti;
	if (!(c.slots = malloc(CHUNK)) || !(c.win = malloc(CHUNK))) {
		pj_fail(e, "out of memory");
		goto out;
	}
	int more = cursor_next(&c, e);
	size_t j = 0;
	for (size_t i = 0; more >= 0 && i < ids->n; i++) {
		const char *id = ids->v[i].text;
		size_t idlen = strlen(id);
		int cmp = 1;
		if (ids->v[i].kind != PJ_REV_JTI)
			continue;
		while (more == 1 && (cmp = pj_key_cmp(c.name, c.len, id, idlen)) < 0)
			more = cursor_next(&c, e);
		int present = more == 1 && cmp == 0;
		while (j < ld.nops &&
		       (ld.ops[j].en.kind < PJ_REV_JTI ||
			(ld.ops[j].en.kind == PJ_REV_JTI && strcmp(ld.ops[j].en.text, id) < 0)))
			j++;
		for (; j < ld.nops && ld.ops[j].en.kind == PJ_REV_JTI &&
		       strcmp(ld.ops[j].en.text, id) == 0;
		     j++)
			present = !ld.ops[j].remove;
		if (!present && !(*missing)++)
			*first = id;
	}
	if (more >= 0)
		rc = 0;
out:
	free(c.slots);
	free(c.win);
	free(ld.ops);
	pj_revlist_free(&scratch);
	close(fd);
	return rc;
}

/* ---- writing a store ---- */

struct wbuf {
	int fd;
	unsigned char *b;
	size_t n, cap;
	int err;
};

static void wb_put(struct wbuf *w, const void *p, size_t n)
{
	while (n && !w->err) {
		size_t k = w->cap - w->n < n ? w->cap - w->n : n;
		memcpy(w->b + w->n, p, k);
		w->n += k;
		p = (const char *)p + k;
		n -= k;
		if (w->n == w->cap) {
			if (write_all(w->fd, w->b, w->n) != 0)
				w->err = errno;
			w->n = 0;
		}
	}
}

static int wb_flush(struct wbuf *w)
{
	if (!w->err && w->n && write_all(w->fd, w->b, w->n) != 0)
		w->err = errno;
	w->n = 0;
	return w->err ? -1 : 0;
}

/* l normalized into fd (empty, at offset 0). */
static int store_write(int fd, const struct pj_revlist *l, unsigned long long *base_end,
		       const char *path, pj_err *e)
{
	struct hdr h = { .all_time = -1, .written = (unsigned long long)time(NULL) };
	unsigned char b[HDR_SIZE];
	struct wbuf w = { .fd = fd };
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		if (en->kind == PJ_REV_COMMENT)
			h.com_len += strlen(en->text) + 1;
		else if (en->kind == PJ_REV_ALL)
			h.all_time = en->time;
		else
			h.heap_len += strlen(en->text);
		h.n_user += en->kind == PJ_REV_USER;
		h.n_jti += en->kind == PJ_REV_JTI;
	}
	h.com_off = HDR_SIZE;
	h.user_off = h.com_off + h.com_len;
	h.jti_off = h.user_off + h.n_user * SLOT_SIZE;
	h.heap_off = h.jti_off + h.n_jti * SLOT_SIZE;
	h.base_end = h.heap_off + h.heap_len;
	/* A megabyte at a time, or the whole store when it is smaller. */
	w.cap = h.base_end < CHUNK * 16 ? (size_t)h.base_end : CHUNK * 16;
	if (!(w.b = malloc(w.cap)))
		return pj_fail(e, "out of memory");
	hdr_encode(b, &h);
	wb_put(&w, b, sizeof(b));
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == PJ_REV_COMMENT) {
			wb_put(&w, l->v[i].text, strlen(l->v[i].text));
			wb_put(&w, "\n", 1);
		}
	/* Normalized: users then jtis, each sorted, so one pass each. */
	unsigned long long off = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		if (en->kind != PJ_REV_USER && en->kind != PJ_REV_JTI)
			continue;
		size_t n = strlen(en->text);
		if (w.cap - w.n < SLOT_SIZE && wb_flush(&w) != 0)
			break;
		unsigned char *s = w.b + w.n;
		put64(s, off);
		put32(s + 8, (uint32_t)n);
		put32(s + 12, slot_check(en->kind, en->time, en->text, n));
		put64(s + 16, (uint64_t)en->time);
		w.n += SLOT_SIZE;
		off += n;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == PJ_REV_USER || l->v[i].kind == PJ_REV_JTI)
			wb_put(&w, l->v[i].text, strlen(l->v[i].text));
	int rc = wb_flush(&w);
	free(w.b);
	if (rc != 0)
		return pj_fail(e, "cannot write beside %s: %s (the old file is unchanged)", path,
			       write_error(w.err));
	*base_end = h.base_end;
	return 0;
}

/* ---- locks ---- */

static int lock_open(const char *path, int *fd, pj_err *e)
{
	char lpath[PATH_MAX];
	if (suffix_path(lpath, sizeof(lpath), path, ".lock") != 0)
		return pj_fail(e, "path too long: %s", path);
	*fd = pj_fd_above_stdio(
		open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
	if (*fd < 0)
		return pj_fail(e, "cannot open lock %s: %s", lpath, strerror(errno));
	/* Only its owner may take it: a lock anyone could hold would let
	 * anyone stall every writer (the umask of a setuid host must not
	 * widen it either). */
	struct stat st;
	if (fstat(*fd, &st) == 0 && (st.st_mode & 07777) != 0600 && st.st_uid == geteuid())
		fchmod(*fd, 0600);
	return 0;
}

/* Byte `which` of the lock: 0 taken, 1 busy (wait_ms 0), -1 error or
 * timeout. */
static int lock_take(int fd, int which, short type, int wait_ms, const char *path, pj_err *e)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = which, .l_len = 1 };
	long waited = 0, step = 1;
	while (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return pj_fail(e, "cannot lock %s.lock: %s", path, strerror(errno));
		if (wait_ms == 0)
			return 1;
		if (waited >= wait_ms)
			return pj_fail(e, "cannot lock %s.lock: held by another writer for %d ms",
				       path, wait_ms);
		struct timespec ts = { 0, step * 1000 * 1000 };
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 16)
			step *= 2;
	}
	return 0;
}

static void lock_drop(int fd, int which)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = which, .l_len = 1 };
	fcntl(fd, F_OFD_SETLK, &fl);
}

/* A compaction killed before its rename leaves its temporary file (as big
 * as the list) behind.  Under the compaction lock no live writer has one, so
 * any PATH.tmp.XXXXXX found then is garbage. */
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

/* ---- compaction: a new base beside the file, swapped in ---- */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int same_content(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

struct tail {
	char *p;
	size_t n, cap;
	const char *path;
};

/* What was appended during the compaction, carried over line for line:
 * records and hand lines (validated), not what is torn. */
static int tail_line(void *ctx, enum jline what, const char *p, size_t n, const struct rec *r,
		     const struct pj_rline *l, unsigned long long off, pj_err *e)
{
	struct tail *t = ctx;
	(void)r, (void)l, (void)off;
	if (what == J_TORN)
		return 0;
	if (t->cap - t->n < n + 2) {
		size_t cap = (t->cap + n + 2) * 2;
		char *q = realloc(t->p, cap);
		if (!q)
			return pj_fail(e, "out of memory");
		t->p = q;
		t->cap = cap;
	}
	t->p[t->n++] = '\n';
	memcpy(t->p + t->n, p, n);
	t->n += n;
	t->p[t->n++] = '\n';
	return 0;
}

static void drop_expired(struct pj_revlist *l, long long before)
{
	size_t o = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		if (en->kind == PJ_REV_JTI && en->time >= 0 && en->time < before)
			continue;
		l->v[o++] = *en;
	}
	l->n = o;
}

static int rewrite_once(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx,
			long long drop_before, size_t *drop_bad, int lock, int wait_ms, int *retry,
			pj_err *e)
{
	static const char header[] = "# pam_jwt: jti ID [EXP] | user NAME TIME | all TIME "
				     "(times in seconds since the epoch)";
	char tmp[PATH_MAX];
	struct pj_revlist l;
	struct loader ld;
	struct stat st0, cur;
	struct tail t = { .path = path };
	unsigned long long end = 0, base_end;
	int fd, tfd = -1, store = 0, rc, swapping = 0;
	*retry = 0;
	memset(&l, 0, sizeof(l));
	if (suffix_path(tmp, sizeof(tmp), path, ".tmp.XXXXXX") != 0)
		return pj_fail(e, "path too long: %s", path);
	if (open_list(path, allowed_uid, 1, &fd, &st0, e) != 0)
		return -1;
	ld.drop_bad = drop_bad;
	/* A last line still without its newline is taken from the tail, read
	 * under the swap lock, so it is taken once and whole. */
	ld.defer_last = 1;
	rc = fd >= 0 ? load_file(fd, &st0, path, &l, &store, &end, &ld, e) : 0;
	if (rc == 0 && fn)
		rc = fn(&l, ctx, e);
	if (rc == 0) {
		if (drop_before >= 0)
			drop_expired(&l, drop_before);
		int has_comment = 0;
		for (size_t i = 0; i < l.n && !has_comment; i++)
			has_comment = l.v[i].kind == PJ_REV_COMMENT;
		if (!has_comment &&
		    pj_revlist_add(&l, PJ_REV_COMMENT, header, strlen(header), -1) != 0)
			rc = pj_fail(e, "out of memory");
		pj_revlist_normalize(&l);
	}
	if (rc == 0 && (tfd = pj_fd_above_stdio(mkostemp(tmp, O_CLOEXEC))) < 0)
		rc = pj_fail(e, "cannot create a temporary file beside %s: %s", path,
			     strerror(errno));
	/* Everyone may read: PAM applications that are not root check these
	 * files too (screen lockers). */
	if (rc == 0 && fchmod(tfd, 0644) != 0)
		rc = pj_fail(e, "cannot chmod %s: %s", tmp, strerror(errno));
	if (rc == 0)
		rc = store_write(tfd, &l, &base_end, path, e);
	if (rc == 0 && fsync(tfd) != 0)
		rc = pj_fail(e, "cannot write beside %s: %s (the old file is unchanged)", path,
			     strerror(errno));
	/* The swap: appenders are held off from here to the rename. */
	if (rc == 0 && (rc = lock_take(lock, LOCK_APPEND, F_WRLCK, wait_ms, path, e)) == 0)
		swapping = 1;
	if (rc == 0) {
		int gone = stat(path, &cur) != 0;
		if (gone ? fd >= 0 || errno != ENOENT
			 : fd < 0 || (store ? !same_file(&cur, &st0) : !same_content(&cur, &st0)))
			*retry = 1, rc = -1; /* replaced meanwhile (by hand): again */
	}
	if (rc == 0 && store) {
		struct jreader j = {
			.fn = tail_line, .ctx = &t, .path = path, .drop_bad = drop_bad
		};
		rc = read_journal(fd, end, ULLONG_MAX, &j, NULL, e);
	}
	if (rc == 0 && t.n && (write_all(tfd, t.p, t.n) != 0 || fdatasync(tfd) != 0))
		rc = pj_fail(e, "cannot write beside %s: %s (the old file is unchanged)", path,
			     write_error(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = pj_fail(e, "cannot rename over %s: %s (the old file is unchanged)", path,
			     strerror(errno));
	if (rc == 0)
		pj_fsync_dir(path);
	if (swapping)
		lock_drop(lock, LOCK_APPEND);
	if (rc != 0 && tfd >= 0)
		unlink(tmp);
	if (tfd >= 0)
		close(tfd);
	if (fd >= 0)
		close(fd);
	free(t.p);
	pj_revlist_free(&l);
	if (rc == 0) {
		/* FILE.index of earlier versions means nothing now. */
		char ipath[PATH_MAX];
		if (suffix_path(ipath, sizeof(ipath), path, ".index") == 0)
			unlink(ipath);
	}
	return rc;
}

static int rewrite(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx,
		   long long drop_before, size_t *drop_bad, int wait_ms, int try_only, pj_err *e)
{
	int lock, rc, retry = 0;
	if (lock_open(path, &lock, e) != 0)
		return -1;
	rc = lock_take(lock, LOCK_COMPACT, F_WRLCK, try_only ? 0 : wait_ms, path, e);
	if (rc != 0) {
		close(lock);
		return rc > 0 ? 0 : -1;
	}
	remove_stale_temps(path);
	for (int i = 0; i < 5; i++) {
		if (drop_bad)
			*drop_bad = 0;
		rc = rewrite_once(path, allowed_uid, fn, ctx, drop_before, drop_bad, lock, wait_ms,
				  &retry, e);
		if (!retry)
			break;
	}
	if (retry)
		rc = pj_fail(e, "%s keeps being replaced by another program", path);
	lock_drop(lock, LOCK_COMPACT);
	close(lock);
	return rc;
}

int pj_revlist_update_wait(const char *path, uid_t allowed_uid, int wait_ms, pj_revlist_fn fn,
			   void *ctx, pj_err *e)
{
	return rewrite(path, allowed_uid, fn, ctx, -1, NULL, wait_ms, 0, e);
}

int pj_revlist_update(const char *path, uid_t allowed_uid, pj_revlist_fn fn, void *ctx, pj_err *e)
{
	return pj_revlist_update_wait(path, allowed_uid, DEFAULT_WAIT_MS, fn, ctx, e);
}

int pj_list_compact(const char *path, uid_t allowed_uid, long long drop_before, int wait_ms,
		    int try_only, pj_err *e)
{
	return rewrite(path, allowed_uid, NULL, NULL, drop_before, NULL, wait_ms, try_only, e);
}

int pj_list_repair(const char *path, uid_t allowed_uid, int wait_ms, size_t *dropped, pj_err *e)
{
	return rewrite(path, allowed_uid, NULL, NULL, -1, dropped, wait_ms, 0, e);
}

/* ---- appending ---- */

struct appender {
	int lock, fd, rfd;
	struct hdr h;
};

static void appender_close(struct appender *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->rfd >= 0)
		close(a->rfd);
	if (a->lock >= 0) {
		lock_drop(a->lock, LOCK_APPEND);
		close(a->lock);
	}
	a->fd = a->rfd = a->lock = -1;
}

/* Opens the store to append to, under the shared lock: 0, 1 when it must
 * first be made a store (missing or a text list), -1. */
static int appender_open(const char *path, uid_t allowed_uid, int wait_ms, struct appender *a,
			 pj_err *e)
{
	struct stat st, wst;
	unsigned char b[HDR_SIZE];
	a->lock = a->fd = a->rfd = -1;
	if (lock_open(path, &a->lock, e) != 0)
		return -1;
	if (lock_take(a->lock, LOCK_APPEND, F_RDLCK, wait_ms, path, e) != 0) {
		close(a->lock);
		a->lock = -1;
		return -1;
	}
	/* The trust rules are pj_open_trusted's; the descriptor written
	 * through must be the file it checked. */
	if (open_list(path, allowed_uid, 1, &a->rfd, &st, e) != 0) {
		appender_close(a);
		return -1;
	}
	if (a->rfd < 0) {
		appender_close(a);
		return 1;
	}
	ssize_t got = pj_pread_upto(a->rfd, b, sizeof(b), 0);
	if (got >= 0 && !is_store(b, (size_t)got)) {
		appender_close(a);
		return 1;
	}
	int rc =
		got < 0 ? pj_fail(e, "cannot read %s: %s", path, strerror(errno))
			: hdr_parse(b, (size_t)got, (unsigned long long)st.st_size, &a->h, path, e);
	if (rc == 0) {
		a->fd = pj_fd_above_stdio(
			open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
		if (a->fd < 0 || fstat(a->fd, &wst) != 0 || !same_file(&st, &wst))
			rc = pj_fail(e, "cannot open %s for writing: %s", path,
				     a->fd < 0 ? strerror(errno) : "it was replaced");
	}
	if (rc != 0)
		appender_close(a);
	return rc;
}

/* appender_open for a writer: a missing list or a text list is made a store
 * first (a text list that does not parse stays as it is, and is the error).
 * 0 with a open, or -1 with e saying why. */
static int appender_acquire(const char *path, uid_t allowed_uid, int wait_ms, struct appender *a,
			    pj_err *e)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int rc = appender_open(path, allowed_uid, wait_ms, a, e);
		if (rc != 1)
			return rc;
		if (rewrite(path, allowed_uid, NULL, NULL, -1, NULL, wait_ms, 0, e) != 0)
			return -1;
	}
	return pj_fail(e, "cannot change %s: it was replaced by a text list again and again", path);
}

static int ignore_line(void *ctx, enum jline what, const char *p, size_t n, const struct rec *r,
		       const struct pj_rline *l, unsigned long long off, pj_err *e)
{
	(void)ctx, (void)what, (void)p, (void)n, (void)r, (void)l, (void)off, (void)e;
	return 0;
}

/* Refuses to add to a list that logins refuse already (a hand line that is
 * not an entry): the change would be reported made and do nothing. */
static int journal_valid(int fd, const struct hdr *h, const char *path, pj_err *e)
{
	struct jreader j = { .fn = ignore_line, .path = path };
	pj_err why;
	if (read_journal(fd, h->base_end, ULLONG_MAX, &j, NULL, &why) == 0)
		return 0;
	return pj_fail(e, "%s (nothing was changed; pam_jwt-tool repair drops such lines)",
		       why.msg);
}

static unsigned long long journal_length(int fd, const struct hdr *h)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || (unsigned long long)st.st_size < h->base_end)
		return 0;
	return (unsigned long long)st.st_size - h->base_end;
}

int pj_list_append(const char *path, uid_t allowed_uid, const struct pj_change *c, size_t n,
		   int wait_ms, pj_err *e)
{
	char *buf;
	size_t len = 0, cap = n * (PJ_NAME_MAX + 64);
	struct appender a;
	int rc = -1;
	if (n == 0 || n > PJ_APPEND_BATCH)
		return pj_fail(e, "%zu changes in one append", n);
	if (!(buf = malloc(cap)))
		return pj_fail(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t k = rec_encode(buf + len, cap - len, &c[i]);
		if (!k) {
			free(buf);
			return pj_fail(e, "not an entry a list can hold");
		}
		len += k;
	}
	do {
		rc = appender_acquire(path, allowed_uid, wait_ms, &a, e);
		if (rc != 0)
			break;
		if (journal_valid(a.rfd, &a.h, path, e) != 0) {
			appender_close(&a);
			rc = -1;
			break;
		}
		ssize_t w = write_once(a.fd, buf, len);
		int err = w < 0 ? errno : ENOSPC;
		if (w != (ssize_t)len)
			rc = pj_fail(e, "cannot write %s: %s (%s)", path, write_error(err),
				     n == 1 ? "the change was not made"
					    : "some of the changes may have been made");
		else if (fdatasync(a.fd) != 0)
			rc = pj_fail(e, "cannot flush %s to disk: %s", path, strerror(errno));
		unsigned long long jl = journal_length(a.fd, &a.h);
		appender_close(&a);
		if (rc == 0 && jl > PJ_JOURNAL_COMPACT) {
			pj_err ignore; /* the change is made; the next writer retries */
			pj_list_compact(path, allowed_uid, -1, wait_ms, 1, &ignore);
		}
	} while (0);
	free(buf);
	return rc;
}

int pj_list_use(const char *path, uid_t allowed_uid, const char *name, long long until, time_t now,
		pj_err *e)
{
	char buf[PJ_NAME_MAX + 64];
	struct pj_change c = { .kind = PJ_REV_JTI, .text = name, .time = until };
	size_t len = rec_encode(buf, sizeof(buf), &c);
	struct appender a;
	int rc = -1;
	if (!len)
		return pj_fail(e, "one-time token %s has a name no list can hold", name);
	if (appender_acquire(path, allowed_uid, USE_WAIT_MS, &a, e) != 0)
		return -1;
	struct pj_keystate k = { .kind = PJ_REV_JTI, .key = name };
	struct lookup lk = { &k, 1, path, 0 };
	unsigned long long seen = 0;
	states_reset(&k, 1);
	rc = store_lookup(a.rfd, &a.h, &lk, ULLONG_MAX, &seen, e);
	if (rc == 0 && k.present)
		rc = 1;
	if (rc == 0) {
		ssize_t w = write_once(a.fd, buf, len);
		int err = w < 0 ? errno : ENOSPC;
		off_t at = lseek(a.fd, 0, SEEK_CUR);
		if (w != (ssize_t)len)
			rc = pj_fail(e, "cannot record the use in %s: %s", path, write_error(err));
		else if (fdatasync(a.fd) != 0)
			rc = pj_fail(e, "cannot flush %s to disk: %s", path, strerror(errno));
		else if (at < (off_t)len || (unsigned long long)at - len < seen)
			rc = pj_fail(e, "cannot tell where the use was recorded in %s", path);
		/* Whoever's record of the name came first won: look
		 * at what others appended between our look and ours. */
		else if (lookup_journal(a.rfd, &lk, seen, (unsigned long long)at - len, NULL, e) !=
			 0)
			rc = -1;
		else if (k.present)
			rc = 1;
	}
	unsigned long long jl = journal_length(a.rfd, &a.h);
	appender_close(&a);
	if (rc == 1)
		pj_fail(e, "one-time token %s was already used", name);
	else if (rc == 0 && jl > PJ_JOURNAL_COMPACT) {
		pj_err ignore; /* the use is recorded; the next one retries */
		pj_list_compact(path, allowed_uid, (long long)now - PJ_USE_MARGIN, USE_WAIT_MS, 1,
				&ignore);
	}
	return rc;
}
