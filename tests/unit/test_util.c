/* SPDX-License-Identifier: BSD-3-Clause */
/* src/util.c: strict base64url, log sanitizing and the trusted-file reader
 * every configuration and key file goes through. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* A refusal must come with the reason written where the rule lives. */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- base64url -------------------------------------------------------- */

static void test_b64_round_trip(void **state)
{
	(void)state;
	unsigned char in[64];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 0xf1); /* every high bit pattern shows up */
	for (size_t n = 0; n <= 64; n++) {
		char *enc = pj_b64url_encode(in, n);
		assert_non_null(enc);
		/* Unpadded length: 4 per 3 bytes, 2 or 3 for the remainder. */
		size_t want = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
		assert_int_equal(strlen(enc), want);
		assert_int_equal(strspn(enc, alphabet), want);
		unsigned char *dec = NULL;
		size_t decn = 99;
		pj_err e = { "" };
		if (pj_b64url_decode(enc, strlen(enc), &dec, &decn, &e) != 0)
			fail_msg("n=%zu %s: %s", n, enc, e.msg);
		assert_int_equal(decn, n);
		assert_memory_equal(dec, in, n);
		assert_int_equal(dec[n], 0); /* NUL-terminated for convenience */
		free(dec);
		free(enc);
	}
}

static void test_b64_known_values(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *out;
		size_t n;
	} v[] = {
		{ "", "", 0 },
		{ "AA", "\x00", 1 },
		{ "AQ", "\x01", 1 },
		{ "_w", "\xff", 1 },
		{ "AAE", "\x00\x01", 2 },
		{ "__8", "\xff\xff", 2 },
		{ "-_-_", "\xfb\xff\xbf", 3 },
		{ "eyJhIjoxfQ", "{\"a\":1}", 7 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned char *dec;
		size_t n;
		pj_err e = { "" };
		if (pj_b64url_decode(v[i].in, strlen(v[i].in), &dec, &n, &e) != 0)
			fail_msg("%s: %s", v[i].in, e.msg);
		assert_int_equal(n, v[i].n);
		assert_memory_equal(dec, v[i].out, n);
		free(dec);
	}
}

static void expect_b64_refused(const char *in, size_t n, const char *why)
{
	unsigned char *dec = (unsigned char *)"sentinel";
	size_t decn = 99;
	pj_err e;
	assert_fails_with(pj_b64url_decode(in, n, &dec, &decn, &e), e, why);
	/* Nothing is handed out on failure. */
	assert_null(dec);
	assert_int_equal(decn, 0);
}

static void test_b64_refusals(void **state)
{
	(void)state;
	expect_b64_refused("AA==", 4, "padding is not allowed");
	expect_b64_refused("AAA=", 4, "padding is not allowed");
	expect_b64_refused("AA=", 3, "padding is not allowed");
	expect_b64_refused("a+bc", 4, "outside the base64url alphabet");
	expect_b64_refused("a/bc", 4, "outside the base64url alphabet");
	expect_b64_refused("ab c", 4, "outside the base64url alphabet");
	expect_b64_refused("abcd\n", 5, "invalid base64url length"); /* length first */
	expect_b64_refused("abcdef\n", 7, "outside the base64url alphabet");
	expect_b64_refused("ab\tc", 4, "outside the base64url alphabet");
	expect_b64_refused("abc\r", 4, "outside the base64url alphabet");
	expect_b64_refused("ab.c", 4, "outside the base64url alphabet");
	expect_b64_refused("ab\0c", 4, "outside the base64url alphabet");
	expect_b64_refused("ab\xc3\xa9", 4, "outside the base64url alphabet");
	/* One leftover character carries only 6 bits: never a whole byte. */
	expect_b64_refused("A", 1, "invalid base64url length");
	expect_b64_refused("AAAAA", 5, "invalid base64url length");
	expect_b64_refused("AAAAAAAAA", 9, "invalid base64url length");
	/* The explicit length is what counts, not the NUL. */
	expect_b64_refused("AAAAAAAA", 5, "invalid base64url length");
}

/* RFC 7515 appendix C: the unused low bits of the last character must be
 * zero, or two different strings would decode to the same bytes. */
static void test_b64_trailing_bits(void **state)
{
	(void)state;
	for (size_t v = 0; v < 64; v++) {
		char two[3] = { 'A', alphabet[v], 0 }, three[4] = { 'A', 'A', alphabet[v], 0 };
		unsigned char *dec;
		size_t n;
		pj_err e = { "" };
		/* 2 chars = 12 bits: 8 used, the low 4 bits of the 2nd must be 0. */
		int rc = pj_b64url_decode(two, 2, &dec, &n, &e);
		if (v % 16 == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, 1);
			assert_int_equal(dec[0], v >> 4);
			free(dec);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(e.msg, "non-zero trailing bits"));
		}
		/* 3 chars = 18 bits: 16 used, the low 2 bits of the 3rd must be 0. */
		rc = pj_b64url_decode(three, 3, &dec, &n, &e);
		if (v % 4 == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, 2);
			assert_int_equal(dec[1], v >> 2);
			free(dec);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(e.msg, "non-zero trailing bits"));
		}
	}
	/* The classic pair: "AA" and "AB" may not both mean 0x00. */
	pj_err e;
	expect_b64_refused("AB", 2, "non-zero trailing bits");
	expect_b64_refused("AAAAAB", 6, "non-zero trailing bits");
	expect_b64_refused("AAAAAAF", 7, "non-zero trailing bits");
	assert_fails_with(pj_b64url_decode("_x", 2, &(unsigned char *){ 0 }, &(size_t){ 0 }, &e), e,
			  "trailing bits");
}

/* ---- pj_sanitize ------------------------------------------------------ */

static void sanitize(char *dst, size_t dstn, const char *s, size_t n)
{
	memset(dst, 'Z', dstn);
	pj_sanitize(dst, dstn, s, n);
}

static void test_sanitize_escapes(void **state)
{
	(void)state;
	char out[200];
	sanitize(out, sizeof(out), "alice", 5);
	assert_string_equal(out, "alice");
	sanitize(out, sizeof(out), "", 0);
	assert_string_equal(out, "");
	sanitize(out, sizeof(out), "a\nb\tc\rd\x1b[31m\x7f", 13);
	assert_string_equal(out, "a\\x0ab\\x09c\\x0dd\\x1b[31m\\x7f");
	sanitize(out, sizeof(out), "say \"hi\"\\", 9);
	assert_string_equal(out, "say\\x20\\x22hi\\x22\\x5c");
	sanitize(out, sizeof(out), "caf\xc3\xa9\xff", 6);
	assert_string_equal(out, "caf\\xc3\\xa9\\xff");
	/* The length is explicit: a NUL is escaped, not an end. */
	sanitize(out, sizeof(out), "a\0b", 3);
	assert_string_equal(out, "a\\x00b");
	/* Only n bytes are read. */
	sanitize(out, sizeof(out), "abcdef", 3);
	assert_string_equal(out, "abc");
}

static void test_sanitize_truncates(void **state)
{
	(void)state;
	char out[16];
	/* Fits exactly as far as the 8 bytes of headroom allow. */
	sanitize(out, sizeof(out), "aaaaaaaaa", 9);
	assert_string_equal(out, "aaaaaaaaa");
	sanitize(out, sizeof(out), "aaaaaaaaaa", 10);
	assert_string_equal(out, "aaaaaaaaa...");
	sanitize(out, sizeof(out), "\n\n\n\n\n\n", 6);
	assert_string_equal(out, "\\x0a\\x0a\\x0a...");
	/* Too small to say anything useful: empty, never a partial escape. */
	sanitize(out, 7, "abc", 3);
	assert_string_equal(out, "");
	sanitize(out, 8, "a", 1);
	assert_string_equal(out, "a");
	sanitize(out, 8, "ab", 2);
	assert_string_equal(out, "a...");
}

/* Every destination size, every byte value, long inputs: the output stays
 * inside dst (valgrind sees the exact-size heap block), is NUL-terminated,
 * holds only printable ASCII, and is a faithful prefix. */
static void test_sanitize_bounds(void **state)
{
	(void)state;
	char in[600];
	for (size_t i = 0; i < sizeof(in); i++) {
		in[i] = (char)(i * 7);
		if (in[i] == '.') /* keep "..." meaning only the cut */
			in[i] = '/';
	}
	for (size_t dstn = 0; dstn <= 80; dstn++) {
		for (size_t n = 0; n <= sizeof(in); n += (n < 40 ? 1 : 97)) {
			char *dst = malloc(dstn ? dstn : 1);
			assert_non_null(dst);
			pj_sanitize(dst, dstn, in, n);
			if (dstn == 0) {
				free(dst);
				continue;
			}
			size_t len = strnlen(dst, dstn);
			assert_true(len < dstn);
			if (dstn < 8) { /* no room for an escape and the marker */
				assert_int_equal(len, 0);
				free(dst);
				continue;
			}
			for (size_t k = 0; k < len; k++)
				assert_true(dst[k] >= 0x21 && dst[k] < 0x7f);
			/* Decode the escapes back and compare with the input prefix. */
			size_t k = 0, j = 0;
			while (k < len && !(len - k == 3 && strcmp(dst + k, "...") == 0)) {
				char c = dst[k];
				if (c == '\\') {
					assert_true(k + 4 <= len && dst[k + 1] == 'x');
					char hx[3] = { dst[k + 2], dst[k + 3], 0 };
					c = (char)strtol(hx, NULL, 16);
					k += 4;
				} else {
					k++;
				}
				assert_true(j < n);
				assert_int_equal((unsigned char)c, (unsigned char)in[j]);
				j++;
			}
			/* The marker is there exactly when the input was cut. */
			if (j < n)
				assert_true(len >= 3 && strcmp(dst + len - 3, "...") == 0);
			free(dst);
		}
	}
}

/* ---- pj_read_trusted_file --------------------------------------------- */

/* Writes path (under tmpdir) with exactly this mode, whatever the umask. */
static const char *put_file(const char *name, const char *text, size_t n, mode_t mode)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_read_ok(void **state)
{
	(void)state;
	uid_t me = geteuid();
	char *out;
	size_t n;
	unsigned mode = 0;
	pj_err e = { "" };
	const char *p = put_file("secret", "k=v\n", 4, 0600);
	if (pj_read_trusted_file(p, 100, me, 1, &out, &n, &mode, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 4);
	assert_string_equal(out, "k=v\n");
	assert_int_equal(mode, 0600);
	free(out);

	/* 0400 and 0644 (not secret) are fine too; mode reports the bits. */
	p = put_file("ro", "x", 1, 0400);
	assert_int_equal(pj_read_trusted_file(p, 100, me, 1, &out, &n, &mode, &e), 0);
	assert_int_equal(mode, 0400);
	free(out);
	p = put_file("public", "abc", 3, 0644);
	assert_int_equal(pj_read_trusted_file(p, 100, me, 0, &out, &n, NULL, &e), 0);
	assert_string_equal(out, "abc");
	free(out);

	/* Empty file: an empty NUL-terminated string, not NULL. */
	p = put_file("empty", "", 0, 0644);
	assert_int_equal(pj_read_trusted_file(p, 100, me, 0, &out, &n, NULL, &e), 0);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	free(out);

	/* Content is binary-safe: NUL bytes are kept and counted. */
	p = put_file("nul", "a\0b", 3, 0644);
	assert_int_equal(pj_read_trusted_file(p, 100, me, 0, &out, &n, NULL, &e), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "a\0b", 4);
	free(out);
}

static void expect_read_refused(const char *p, size_t max, uid_t uid, int secret, const char *why)
{
	char *out = (char *)"sentinel";
	size_t n = 99;
	pj_err e;
	assert_fails_with(pj_read_trusted_file(p, max, uid, secret, &out, &n, NULL, &e), e, why);
	assert_null(out);
	assert_int_equal(n, 0);
}

static void test_read_modes(void **state)
{
	(void)state;
	uid_t me = geteuid();
	const char *p = put_file("gw", "x", 1, 0664);
	expect_read_refused(p, 100, me, 0, "writable by group or others (mode 0664)");
	p = put_file("gw2", "x", 1, 0620);
	expect_read_refused(p, 100, me, 0, "writable by group or others (mode 0620)");
	p = put_file("ow", "x", 1, 0646);
	expect_read_refused(p, 100, me, 0, "writable by group or others (mode 0646)");
	p = put_file("ow2", "x", 1, 0602);
	expect_read_refused(p, 100, me, 0, "writable by group or others (mode 0602)");
	/* Secret files may not be readable by anyone else either. */
	p = put_file("s644", "x", 1, 0644);
	expect_read_refused(p, 100, me, 1, "readable by group or others (mode 0644)");
	p = put_file("s640", "x", 1, 0640);
	expect_read_refused(p, 100, me, 1, "readable by group or others (mode 0640)");
	p = put_file("s604", "x", 1, 0604);
	expect_read_refused(p, 100, me, 1, "readable by group or others (mode 0604)");
	/* Writable wins over readable: the more dangerous reason is given. */
	p = put_file("s666", "x", 1, 0666);
	expect_read_refused(p, 100, me, 1, "writable by group or others");
}

static void test_read_owner(void **state)
{
	(void)state;
	const char *p = put_file("owned", "x", 1, 0644);
	/* As root, hand the file to nobody; otherwise it is ours, not root's. */
	if (geteuid() == 0)
		assert_int_equal(chown(p, 65534, 65534), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	char want[64];
	snprintf(want, sizeof(want), "is owned by uid %u, not root", (unsigned)st.st_uid);
	expect_read_refused(p, 100, (uid_t)-1, 0, want);
	expect_read_refused(p, 100, st.st_uid + 1, 0, want);
	/* The one extra owner allowed (the tool's invoking user). */
	char *out;
	size_t n;
	pj_err e;
	assert_int_equal(pj_read_trusted_file(p, 100, st.st_uid, 0, &out, &n, NULL, &e), 0);
	free(out);
}

static void test_read_kinds(void **state)
{
	(void)state;
	uid_t me = geteuid();
	char path[128];
	expect_read_refused(tmpdir, 100, me, 0, "is not a regular file");
	/* A FIFO must be refused, not block the login waiting for a writer. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_read_refused(path, 100, me, 0, "is not a regular file");
	expect_read_refused("/dev/null", 100, me, 0, "is not a regular file");

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	char want[200];
	snprintf(want, sizeof(want), "cannot open %s: No such file or directory", path);
	expect_read_refused(path, 100, me, 0, want);
}

static void test_read_size_limit(void **state)
{
	(void)state;
	uid_t me = geteuid();
	char big[101];
	memset(big, 'q', sizeof(big));
	const char *p = put_file("big", big, 100, 0644);
	expect_read_refused(p, 99, me, 0, "is larger than 99 bytes");
	expect_read_refused(p, 0, me, 0, "is larger than 0 bytes");
	char *out;
	size_t n;
	pj_err e;
	assert_int_equal(pj_read_trusted_file(p, 100, me, 0, &out, &n, NULL, &e), 0);
	assert_int_equal(n, 100);
	free(out);
}

/* ---- ASCII case rules, whatever the locale ------------------------------ */

static void test_ascii_ncasecmp(void **state)
{
	(void)state;
	assert_int_equal(pj_ascii_ncasecmp("APPLICATION/jwt", "application/JWT", 15), 0);
	assert_int_equal(pj_ascii_ncasecmp("HTTPS://x", "https://", 8), 0);
	assert_true(pj_ascii_ncasecmp("http://x", "https://", 8) != 0);
	assert_true(pj_ascii_ncasecmp("abc", "abd", 3) < 0);
	assert_true(pj_ascii_ncasecmp("abd", "abc", 3) > 0);
	/* Stops at NUL and at n. */
	assert_true(pj_ascii_ncasecmp("ab", "abc", 3) < 0);
	assert_int_equal(pj_ascii_ncasecmp("abX", "abY", 2), 0);
	assert_int_equal(pj_ascii_ncasecmp("none", "NONE", SIZE_MAX), 0);
	/* Letters only: bytes outside A-Z are compared as they are (no dotless
	 * i, no Latin-1 case pairs, whatever setlocale() the host called). */
	assert_true(pj_ascii_ncasecmp("\xc9", "\xe9", 1) != 0);
	assert_true(pj_ascii_ncasecmp("\xdd", "i", 1) != 0);
	assert_true(pj_ascii_ncasecmp("@", "`", 1) != 0);
	assert_true(pj_ascii_ncasecmp("[", "{", 1) != 0);
}

/* ---- the directories above a trusted file (StrictModes) ---------------- */

static char *at(const char *rel)
{
	static char bufs[4][256];
	static int i;
	char *b = bufs[i++ % 4];
	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, rel);
	return b;
}

static int opens(const char *path, uid_t uid, pj_err *e)
{
	struct stat st;
	int fd = pj_open_trusted(path, uid, 0, &st, e);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void expect_opens(const char *path, uid_t uid)
{
	pj_err e = { "" };
	if (opens(path, uid, &e) != 0)
		fail_msg("%s: %s", path, e.msg);
}

/* Refused with errno EACCES (never taken for a missing file), naming the
 * path asked for and the reason. */
static void expect_dir_refused(const char *path, uid_t uid, const char *why)
{
	pj_err e;
	assert_fails_with(opens(path, uid, &e), e, why);
	assert_int_equal(errno, EACCES);
	if (strncmp(e.msg, path, strlen(path)) != 0)
		fail_msg("reason \"%s\" does not start with the path %s", e.msg, path);
}

static void test_dirs_modes(void **state)
{
	(void)state;
	uid_t me = geteuid();
	char want[300];
	assert_int_equal(mkdir(at("d"), 0755), 0);
	assert_int_equal(mkdir(at("d/sub"), 0755), 0);
	put_file("d/sub/f", "x", 1, 0644);
	expect_opens(at("d/sub/f"), me);
	/* Any directory on the way, not only the last one. */
	assert_int_equal(chmod(at("d"), 0775), 0);
	snprintf(want, sizeof(want), "directory %s is writable by group or others (mode 0775)",
		 at("d"));
	expect_dir_refused(at("d/sub/f"), me, want);
	assert_int_equal(chmod(at("d"), 0757), 0);
	expect_dir_refused(at("d/sub/f"), me, "(mode 0757)");
	assert_int_equal(chmod(at("d"), 0755), 0);
	assert_int_equal(chmod(at("d/sub"), 0777), 0);
	expect_dir_refused(at("d/sub/f"), me, "writable by group or others (mode 0777)");
	/* A missing file in an untrusted directory is refused, not missing:
	 * whoever can write there could have removed it. */
	expect_dir_refused(at("d/sub/missing"), me, "writable by group or others");
	/* Sticky and root's, as /tmp: others cannot replace root's entries. */
	assert_int_equal(chmod(at("d/sub"), 01777), 0);
	if (me == 0)
		expect_opens(at("d/sub/f"), me);
	assert_int_equal(chmod(at("d/sub"), 0755), 0);
	/* A missing file in trusted directories: ENOENT, as before. */
	pj_err e;
	assert_fails_with(opens(at("d/sub/missing"), me, &e), e, "No such file or directory");
	assert_int_equal(errno, ENOENT);
	assert_fails_with(opens(at("d/nodir/f"), me, &e), e, "No such file or directory");
	assert_int_equal(errno, ENOENT);
	/* A file on the way is no directory. */
	assert_fails_with(opens(at("d/sub/f/x"), me, &e), e, "Not a directory");
	/* Relative paths (the tool's) count the directories above the working one. */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(at("d/sub")), 0);
	expect_opens("f", me);
	expect_opens("./../sub/f", me);
	assert_int_equal(chmod(at("d"), 0777), 0);
	expect_dir_refused("f", me, "writable by group or others");
	assert_int_equal(chmod(at("d"), 0755), 0);
	assert_int_equal(chdir(cwd), 0);
}

static void test_dirs_owner(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip(); /* handing directories to another user needs root */
		return;
	}
	char want[300];
	assert_int_equal(mkdir(at("u"), 0755), 0);
	put_file("u/f", "x", 1, 0644);
	expect_opens(at("u/f"), (uid_t)-1);
	assert_int_equal(chown(at("u"), 65534, 65534), 0);
	snprintf(want, sizeof(want), "directory %s is owned by uid 65534, not root", at("u"));
	expect_dir_refused(at("u/f"), (uid_t)-1, want);
	/* The tool's invoking user may own directories as it may own files. */
	expect_opens(at("u/f"), 65534);
	/* Sticky helps only root's directories. */
	assert_int_equal(chmod(at("u"), 01777), 0);
	expect_dir_refused(at("u/f"), 65534, "writable by group or others (mode 1777)");
}

static void test_dirs_symlinks(void **state)
{
	(void)state;
	uid_t me = geteuid();
	pj_err e;
	assert_int_equal(mkdir(at("ok"), 0755), 0);
	assert_int_equal(mkdir(at("ww"), 0755), 0);
	put_file("ok/f", "x", 1, 0644);
	put_file("ww/f", "x", 1, 0644);
	assert_int_equal(chmod(at("ww"), 0777), 0);
	/* A symlink is followed, and its target judged by the same rules. */
	assert_int_equal(symlink(at("ok/f"), at("abs")), 0);
	assert_int_equal(symlink("ok/f", at("rel")), 0);
	assert_int_equal(symlink("ok", at("dirlink")), 0);
	assert_int_equal(symlink("../ok/f", at("ok/up")), 0);
	expect_opens(at("abs"), me);
	expect_opens(at("rel"), me);
	expect_opens(at("dirlink/f"), me);
	expect_opens(at("ok/up"), me);
	expect_opens(at("dirlink/../ok/f"), me);
	/* A trusted symlink to a file in an untrusted directory. */
	assert_int_equal(symlink(at("ww/f"), at("into-ww")), 0);
	expect_dir_refused(at("into-ww"), me, "writable by group or others (mode 0777)");
	assert_int_equal(symlink("ww", at("ww-dir")), 0);
	expect_dir_refused(at("ww-dir/f"), me, "writable by group or others");
	/* A symlink that sits in an untrusted directory, pointing anywhere: whoever
	 * can write there can point it elsewhere. */
	assert_int_equal(symlink(at("ok/f"), at("ww/link")), 0);
	expect_dir_refused(at("ww/link"), me, "writable by group or others");
	/* Loops end. */
	assert_int_equal(symlink("loop2", at("loop1")), 0);
	assert_int_equal(symlink("loop1", at("loop2")), 0);
	assert_fails_with(opens(at("loop1"), me, &e), e, "Too many levels of symbolic links");
	if (me == 0) {
		/* A symlink someone else owns (in a sticky /tmp it would be theirs). */
		assert_int_equal(symlink(at("ok/f"), at("theirs")), 0);
		assert_int_equal(lchown(at("theirs"), 65534, 65534), 0);
		expect_dir_refused(at("theirs"), (uid_t)-1, "is owned by uid 65534, not root");
	}
}

static void test_dir_trusted(void **state)
{
	(void)state;
	uid_t me = geteuid();
	pj_err e;
	assert_int_equal(mkdir(at("cd"), 0755), 0);
	assert_int_equal(mkdir(at("cd/c"), 0755), 0);
	assert_int_equal(pj_dir_trusted(at("cd/c"), me, &e), 0);
	assert_int_equal(symlink("cd/c", at("cdlink")), 0);
	assert_int_equal(pj_dir_trusted(at("cdlink"), me, &e), 0);
	/* The directory whose files are trusted may not be open to others even
	 * when sticky: they could plant the files it is looked up for. */
	assert_int_equal(chmod(at("cd/c"), 01777), 0);
	assert_fails_with(pj_dir_trusted(at("cd/c"), me, &e), e,
			  "writable by group or others (mode 1777)");
	assert_int_equal(errno, EACCES);
	assert_int_equal(chmod(at("cd/c"), 0755), 0);
	assert_int_equal(chmod(at("cd"), 0775), 0);
	assert_fails_with(pj_dir_trusted(at("cd/c"), me, &e), e, "writable by group or others");
	assert_int_equal(chmod(at("cd"), 0755), 0);
	assert_fails_with(pj_dir_trusted(at("cd/none"), me, &e), e, "No such file");
	assert_int_equal(errno, ENOENT);
	put_file("cd/file", "x", 1, 0644);
	assert_fails_with(pj_dir_trusted(at("cd/file"), me, &e), e, "is not a directory");
}

int main(void)
{
	const struct CMUnitTest b64[] = {
		cmocka_unit_test(test_b64_round_trip),	 cmocka_unit_test(test_b64_known_values),
		cmocka_unit_test(test_b64_refusals),	 cmocka_unit_test(test_b64_trailing_bits),
		cmocka_unit_test(test_sanitize_escapes), cmocka_unit_test(test_sanitize_truncates),
		cmocka_unit_test(test_sanitize_bounds),	 cmocka_unit_test(test_ascii_ncasecmp),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_read_ok),		cmocka_unit_test(test_read_modes),
		cmocka_unit_test(test_read_owner),	cmocka_unit_test(test_read_kinds),
		cmocka_unit_test(test_read_size_limit), cmocka_unit_test(test_dirs_modes),
		cmocka_unit_test(test_dirs_owner),	cmocka_unit_test(test_dirs_symlinks),
		cmocka_unit_test(test_dir_trusted),
	};
	int rc = cmocka_run_group_tests_name("util", b64, NULL, NULL);
	rc += cmocka_run_group_tests_name("util_files", files, dir_setup, dir_teardown);
	return rc ? 1 : 0;
}
