/* SPDX-License-Identifier: BSD-3-Clause */
/* src/frame.c: the fetch helper's answer as the module reads it.  What the
 * helper writes parses back to the same fields; everything else (cut short,
 * padded, unknown, repeated or contradictory records, text that is not
 * printable, a body over the limit) is refused, whole. */
#include "unit.h"

#include <fcntl.h>
#include <unistd.h>

#include "frame.h"

/* A frame built by hand: "PJF1" then records written with rec(). */
struct buf {
	unsigned char p[8192];
	size_t n;
};

static void raw(struct buf *b, const void *v, size_t n)
{
	assert_true(b->n + n <= sizeof(b->p));
	if (n)
		memcpy(b->p + b->n, v, n);
	b->n += n;
}

static void rec(struct buf *b, char tag, const void *v, size_t n)
{
	unsigned char h[5] = { (unsigned char)tag, (unsigned char)(n >> 24),
			       (unsigned char)(n >> 16), (unsigned char)(n >> 8),
			       (unsigned char)n };
	raw(b, h, 5);
	raw(b, v, n);
}

static void u32(struct buf *b, char tag, unsigned long v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	rec(b, tag, x, 4);
}

static void start(struct buf *b)
{
	b->n = 0;
	raw(b, "PJF1", 4);
}

static void end(struct buf *b)
{
	rec(b, 'z', NULL, 0);
}

static int parse(const struct buf *b, struct pj_frame *f, pj_err *e)
{
	return pj_frame_parse(b->p, b->n, 1000, f, e);
}

/* What pj_frame_write puts on a descriptor, read back. */
static size_t written(const struct pj_frame *f, unsigned char *out, size_t max)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/frame", tmpdir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pj_frame_write(fd, f), 0);
	off_t n = lseek(fd, 0, SEEK_CUR);
	assert_true(n > 0 && (size_t)n <= max);
	assert_int_equal(pread(fd, out, (size_t)n, 0), n);
	close(fd);
	return (size_t)n;
}

static void test_round_trip(void **state)
{
	(void)state;
	unsigned char out[4096];
	struct pj_frame f, g;
	pj_err e = { "" };
	memset(&f, 0, sizeof(f));
	f.status = 200;
	f.max_age = 600;
	strcpy(f.etag, "\"abc123\"");
	f.body = "{\"keys\":[]}";
	f.body_n = 11;
	f.stored = 1;
	size_t n = written(&f, out, sizeof(out));
	if (pj_frame_parse(out, n, 1000, &g, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(g.status, 200);
	assert_int_equal(g.max_age, 600);
	assert_string_equal(g.etag, "\"abc123\"");
	assert_int_equal(g.body_n, 11);
	assert_memory_equal(g.body, "{\"keys\":[]}", 11);
	assert_int_equal(g.stored, 1);
	assert_string_equal(g.note, "");
	assert_string_equal(g.failure, "");
	/* 304, no max-age, not stored and why. */
	memset(&f, 0, sizeof(f));
	f.status = 304;
	f.max_age = -1;
	strcpy(f.note, "not cached: cannot write /var/cache/pam_jwt/x: Permission denied");
	n = written(&f, out, sizeof(out));
	assert_int_equal(pj_frame_parse(out, n, 1000, &g, &e), 0);
	assert_int_equal(g.status, 304);
	assert_int_equal(g.max_age, -1);
	assert_null(g.body);
	assert_int_equal(g.stored, 0);
	assert_string_equal(g.note, f.note);
	/* A failure; text that would not parse is made printable. */
	memset(&f, 0, sizeof(f));
	strcpy(f.failure, "SSL: no alternative certificate subject name\n\x01matches");
	n = written(&f, out, sizeof(out));
	assert_int_equal(pj_frame_parse(out, n, 1000, &g, &e), 0);
	assert_int_equal(g.status, 0);
	assert_string_equal(g.failure, "SSL: no alternative certificate subject name??matches");
	/* A body of exactly the limit, and one byte over. */
	static char big[1001];
	memset(big, 'x', sizeof(big));
	memset(&f, 0, sizeof(f));
	f.status = 200;
	f.max_age = -1;
	f.body = big;
	f.body_n = 1000;
	n = written(&f, out, sizeof(out) < 2000 ? sizeof(out) : 2000);
	assert_int_equal(pj_frame_parse(out, n, 1000, &g, &e), 0);
	f.body_n = 1001;
	n = written(&f, out, sizeof(out));
	assert_fails_with(pj_frame_parse(out, n, 1000, &g, &e), e, "1 to 1000 allowed");
}

/* A status list's answer: the token and its inflated list ('l'), which
 * belongs only beside a body. */
static void test_status_list(void **state)
{
	(void)state;
	static const unsigned char bits[] = { 0xb9, 0xa3 },
				   bad[] = { 'P',  'J', 'F', '1', 's', 0, 0, 0,	  4, 0, 0, 1,
					     0x30, 'l', 0,   0,	  0,   1, 0, 'z', 0, 0, 0, 0 };
	unsigned char out[4096];
	struct pj_frame f, g;
	pj_err e = { "" };
	memset(&f, 0, sizeof(f));
	f.status = 200;
	f.max_age = -1;
	f.body = "eyJ.e30.sig";
	f.body_n = 11;
	f.list = bits;
	f.list_n = 2;
	size_t n = written(&f, out, sizeof(out));
	assert_int_equal(pj_frame_parse(out, n, 1000, &g, &e), 0);
	assert_int_equal(g.list_n, 2);
	assert_memory_equal(g.list, bits, 2);
	/* 304 with a list: refused (no body). */
	assert_fails_with(pj_frame_parse(bad, sizeof(bad), 1000, &g, &e), e, "without its token");
}

static void test_refused(void **state)
{
	(void)state;
	struct buf b;
	struct pj_frame f;
	pj_err e;
	/* The reference: a good 200. */
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'b', "{}", 2);
	end(&b);
	assert_int_equal(parse(&b, &f, &e), 0);

	b.n = 0;
	raw(&b, "PJF2", 4);
	assert_fails_with(parse(&b, &f, &e), e, "not a pam_jwt-fetch answer");
	assert_fails_with(pj_frame_parse((const unsigned char *)"PJ", 2, 10, &f, &e), e,
			  "not a pam_jwt-fetch answer");
	start(&b);
	assert_fails_with(parse(&b, &f, &e), e, "cut short");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'b', "{}", 2);
	assert_fails_with(parse(&b, &f, &e), e, "cut short"); /* no end record */
	end(&b);
	raw(&b, "x", 1);
	assert_fails_with(parse(&b, &f, &e), e, "bytes after the end");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'b', "{}", 2);
	rec(&b, 'z', "x", 1);
	assert_fails_with(parse(&b, &f, &e), e, "bytes after the end");
	/* A length that points past the end (and one that would wrap). */
	start(&b);
	raw(&b, "b\x00\x00\x10\x00{}", 7);
	assert_fails_with(parse(&b, &f, &e), e, "longer than the answer");
	start(&b);
	raw(&b, "b\xff\xff\xff\xff{}", 7);
	assert_fails_with(parse(&b, &f, &e), e, "longer than the answer");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'q', "", 0);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "unknown record 0x71");
	start(&b);
	rec(&b, '\0', "", 0);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "unknown record 0x00");
	start(&b);
	u32(&b, 's', 200);
	u32(&b, 's', 200);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "record 's' twice");
	start(&b);
	u32(&b, 's', 201);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad status");
	start(&b);
	rec(&b, 's', "\0\0\0\xc8\0", 5);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad status");
	start(&b);
	u32(&b, 's', 304);
	u32(&b, 'a', 0x80000000ul);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad max-age");
	start(&b);
	u32(&b, 's', 304);
	rec(&b, 'e', "\"a b\"", 5);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad etag");
	char etag[PJ_ETAG_MAX + 1];
	memset(etag, 'e', sizeof(etag));
	start(&b);
	u32(&b, 's', 304);
	rec(&b, 'e', etag, sizeof(etag));
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad etag");
	start(&b);
	rec(&b, 'f', "line\nbreak", 10);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad text record 'f'");
	start(&b);
	rec(&b, 'f', "", 0);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad text record 'f'");
	char longtext[PJ_ERR_MAX];
	memset(longtext, 'a', sizeof(longtext));
	start(&b);
	rec(&b, 'f', longtext, sizeof(longtext));
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad text record 'f'");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'b', "", 0);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "body of 0 bytes");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'w', "x", 1);
	rec(&b, 'b', "{}", 2);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "bad stored record");
	/* Records that do not hang together. */
	start(&b);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "neither an HTTP status nor a failure");
	start(&b);
	u32(&b, 's', 200);
	rec(&b, 'f', "oops", 4);
	rec(&b, 'b', "{}", 2);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "or both");
	start(&b);
	rec(&b, 'f', "oops", 4);
	rec(&b, 'b', "{}", 2);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "a failure with an answer's records");
	start(&b);
	rec(&b, 'f', "oops", 4);
	rec(&b, 'w', NULL, 0);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "a failure with an answer's records");
	start(&b);
	u32(&b, 's', 200);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "HTTP 200 without a body");
	start(&b);
	u32(&b, 's', 304);
	rec(&b, 'b', "{}", 2);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "HTTP 304 with a body");
	start(&b);
	u32(&b, 's', 304);
	rec(&b, 'w', NULL, 0);
	rec(&b, 'n', "not cached", 10);
	end(&b);
	assert_fails_with(parse(&b, &f, &e), e, "both stored and not stored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_status_list),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
