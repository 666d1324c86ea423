/* SPDX-License-Identifier: BSD-3-Clause */
#include "frame.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "PJF1"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Text fields: printable ASCII (spaces allowed), 1..PJ_ERR_MAX-1 bytes. */
static int text_ok(const unsigned char *v, size_t n)
{
	if (n == 0 || n >= PJ_ERR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return 0;
	return 1;
}

static int etag_ok(const unsigned char *v, size_t n)
{
	if (n == 0 || n > PJ_ETAG_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] > 0x7e)
			return 0;
	return 1;
}

static int one_record(struct pj_frame *f, unsigned char tag, const unsigned char *v, size_t n,
		      size_t body_max, pj_err *e)
{
	switch (tag) {
	case 's':
		if (n != 4 || (be32(v) != 200 && be32(v) != 304))
			return pj_fail(e, "bad status record");
		f->status = (long)be32(v);
		return 0;
	case 'a':
		/* A long holds any 32-bit value where it matters (LP64); cap it
		 * anyway, the ttl options clamp it further. */
		if (n != 4 || be32(v) > 0x7fffffffu)
			return pj_fail(e, "bad max-age record");
		f->max_age = (long)be32(v);
		return 0;
	case 'f':
	case 'n':
		if (!text_ok(v, n))
			return pj_fail(e, "bad text record '%c'", tag);
		memcpy(tag == 'f' ? f->failure : f->note, v, n);
		(tag == 'f' ? f->failure : f->note)[n] = 0;
		return 0;
	case 'e':
		if (!etag_ok(v, n))
			return pj_fail(e, "bad etag record");
		memcpy(f->etag, v, n);
		f->etag[n] = 0;
		return 0;
	case 'b':
		if (n == 0 || n > body_max)
			return pj_fail(e, "body of %zu bytes (1 to %zu allowed)", n, body_max);
		f->body = (const char *)v;
		f->body_n = n;
		return 0;
	case 'l':
		if (n == 0 || n > PJ_STATUS_LIST_MAX)
			return pj_fail(e, "status list of %zu bytes (1 to %d allowed)", n,
				       PJ_STATUS_LIST_MAX);
		f->list = v;
		f->list_n = n;
		return 0;
	case 'w':
		if (n != 0)
			return pj_fail(e, "bad stored record");
		f->stored = 1;
		return 0;
	}
	return pj_fail(e, "unknown record 0x%02x", tag);
}

int pj_frame_parse(const unsigned char *p, size_t n, size_t body_max, struct pj_frame *f, pj_err *e)
{
	static const char tags[] = "sfaeblwnz";
	unsigned seen = 0;
	size_t off = 4;
	memset(f, 0, sizeof(*f));
	f->max_age = -1;
	if (n < 4 || memcmp(p, MAGIC, 4) != 0)
		return pj_fail(e, "not a pam_jwt-fetch answer");
	for (;;) {
		if (n - off < 5)
			return pj_fail(e, "answer cut short");
		unsigned char tag = p[off];
		size_t len = be32(p + off + 1);
		off += 5;
		if (len > n - off)
			return pj_fail(e, "record longer than the answer");
		const char *slot = tag ? memchr(tags, tag, sizeof(tags) - 1) : NULL;
		if (!slot)
			return pj_fail(e, "unknown record 0x%02x", tag);
		unsigned bit = 1u << (slot - tags);
		if (seen & bit)
			return pj_fail(e, "record '%c' twice", tag);
		seen |= bit;
		if (tag == 'z') {
			if (len != 0 || off != n)
				return pj_fail(e, "bytes after the end record");
			break;
		}
		if (one_record(f, tag, p + off, len, body_max, e) != 0)
			return -1;
		off += len;
	}
	/* What the records say must hang together. */
	int answered = f->status != 0, failed = f->failure[0] != 0;
	if (answered == failed)
		return pj_fail(e, "neither an HTTP status nor a failure, or both");
	if (failed &&
	    (f->max_age >= 0 || f->etag[0] || f->body || f->list || f->stored || f->note[0]))
		return pj_fail(e, "a failure with an answer's records");
	if (f->status == 200 && !f->body)
		return pj_fail(e, "HTTP 200 without a body");
	if (f->status == 304 && f->body)
		return pj_fail(e, "HTTP 304 with a body");
	if (f->list && !f->body)
		return pj_fail(e, "a status list without its token");
	if (f->stored && f->note[0])
		return pj_fail(e, "both stored and not stored");
	return 0;
}

/* ---- the helper's side ---- */

static int put(int fd, char tag, const void *v, size_t n)
{
	unsigned char h[5] = { (unsigned char)tag, (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16), (unsigned char)(n >> 8),
			       (unsigned char)n };
	if (pj_write_all(fd, h, 5) != 0)
		return -1;
	return n ? pj_write_all(fd, v, n) : 0;
}

static int put_u32(int fd, char tag, unsigned long v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	return put(fd, tag, b, 4);
}

/* Text as the parser takes it: printable, cut to fit, never empty. */
static int put_text(int fd, char tag, const char *s)
{
	char t[PJ_ERR_MAX];
	size_t n = 0;
	for (; s[n] && n < sizeof(t) - 1; n++)
		t[n] = (unsigned char)s[n] >= 0x20 && (unsigned char)s[n] <= 0x7e ? s[n] : '?';
	if (n == 0)
		t[n++] = '?';
	return put(fd, tag, t, n);
}

int pj_frame_write(int fd, const struct pj_frame *f)
{
	if (pj_write_all(fd, MAGIC, 4) != 0)
		return -1;
	if (!f->status)
		return put_text(fd, 'f', f->failure[0] ? f->failure : "no answer") != 0 ||
				       put(fd, 'z', NULL, 0) != 0
			       ? -1
			       : 0;
	size_t en = strnlen(f->etag, sizeof(f->etag));
	if (put_u32(fd, 's', (unsigned long)f->status) != 0 ||
	    (f->max_age >= 0 &&
	     put_u32(fd, 'a',
		     (unsigned long)(f->max_age > 0x7fffffffL ? 0x7fffffffL : f->max_age))) ||
	    (en && etag_ok((const unsigned char *)f->etag, en) && put(fd, 'e', f->etag, en)) ||
	    (f->body && f->body_n && put(fd, 'b', f->body, f->body_n)) ||
	    (f->body && f->list && f->list_n && put(fd, 'l', f->list, f->list_n)) ||
	    (f->stored && put(fd, 'w', NULL, 0)) ||
	    (!f->stored && f->note[0] && put_text(fd, 'n', f->note)))
		return -1;
	return put(fd, 'z', NULL, 0);
}
