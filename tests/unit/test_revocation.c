/* SPDX-License-Identifier: BSD-3-Clause */
/* src/revocation.c: the line format, the name a token is listed under, the
 * lookup rules, the index against the full scan (and against hand edits),
 * normalisation, the allowlist and one-time records. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "revocation.h"

static void setpath(char *out, size_t n, const char *name)
{
	assert_true((size_t)snprintf(out, n, "%s/%s", tmpdir, name) < n);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void append_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t r = fread(buf + *n, 1, 4096, f);
		*n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[*n] = 0;
	return buf;
}

static void unlink_prefix(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			char p[PATH_MAX];
			setpath(p, sizeof(p), de->d_name);
			unlink(p);
		}
	closedir(d);
}

/* How many files in dir start with prefix (temporary files left behind). */
static int count_prefix(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int k = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		k += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return k;
}

static int lookup(const char *path, const char *name, const char *user, int has_iat, double iat,
		  pj_err *e)
{
	struct pj_revquery q = { .name = name, .user = user, .has_iat = has_iat, .iat = iat };
	e->msg[0] = 0;
	return pj_revocation_check(path, 1, getuid(), &q, e);
}

#define assert_contains(hay, needle)                                                               \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));               \
	} while (0)

/* ---- the line format ---- */

#define S(lit)                                                                                     \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}
static const struct {
	const char *text;
	size_t len;
} bad_lines[] = {
	S("frobnicate x"), /* unknown keyword */
	S("JTI abc"),	   /* keywords are lower case */
	S("jtix abc"),
	S("all"),     /* missing TIME */
	S("all 12x"), /* non-numeric TIME */
	S("all -5"),
	S("all 1 2"),
	S("all 1234567890123456789"), /* more digits than the file holds */
	S("user alice"),	      /* user without time */
	S("user alice 1.5"),
	S("user alice abc"),
	S("user alice 5 6"),
	S("user"),
	S("jti"),	/* jti without ID */
	S("jti #a"),	/* an id would read back as a comment */
	S("jti a 1 2"), /* 4 fields */
	S("jti a b"),	/* non-numeric EXP */
	S("jti a\0b"),	/* NUL byte */
	S("\0jti a"),
	S("jti a\0"),
	S("jti caf\xc3\xa9"), /* not printable ASCII */
	S("jti a\x01"
	  "b"),
	S("user al\x7fice 5"),
};

static void test_malformed_lines(void **state)
{
	(void)state;
	char path[PATH_MAX];
	setpath(path, sizeof(path), "malformed");
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		static const char head[] = "# header\njti fine 5\n", tail[] = "\njti after\n";
		char buf[256], where[PATH_MAX + 16];
		size_t n = 0;
		memcpy(buf, head, sizeof(head) - 1), n += sizeof(head) - 1;
		memcpy(buf + n, bad_lines[i].text, bad_lines[i].len), n += bad_lines[i].len;
		memcpy(buf + n, tail, sizeof(tail) - 1), n += sizeof(tail) - 1;
		write_file(path, buf, n);
		unlink_prefix("malformed.");
		snprintf(where, sizeof(where), "%s:3: ", path);
		pj_err e;
		/* An absent name and a listed one: both refused, the reason names the line. */
		if (lookup(path, "absent", "bob", 1, 100, &e) != -1)
			fail_msg("line %zu accepted: \"%s\"", i, bad_lines[i].text);
		assert_contains(e.msg, where);
		assert_int_equal(lookup(path, "fine", NULL, 1, 100, &e), -1);
		assert_contains(e.msg, where);
		/* The allowlist and the tool's loader share the rule. */
		e.msg[0] = 0;
		assert_int_equal(pj_allowlist_check(path, getuid(), "fine", &e), -1);
		assert_contains(e.msg, where);
		struct pj_revlist l;
		e.msg[0] = 0;
		assert_int_equal(pj_revlist_load(path, getuid(), 0, &l, &e), -1);
		assert_contains(e.msg, where);
	}
	/* A 1025-byte id is over PJ_NAME_MAX; 1024 bytes are fine. */
	char big[PJ_NAME_MAX + 32];
	memcpy(big, "jti ", 4);
	memset(big + 4, 'x', PJ_NAME_MAX + 1);
	big[4 + PJ_NAME_MAX + 1] = '\n';
	write_file(path, big, 4 + PJ_NAME_MAX + 2);
	pj_err e;
	assert_int_equal(lookup(path, "y", NULL, 1, 1, &e), -1);
	assert_contains(e.msg, ":1: ");
	write_file(path, big, 4 + PJ_NAME_MAX);
	assert_int_equal(lookup(path, "y", NULL, 1, 1, &e), 0);
}

static void test_wellformed_lines(void **state)
{
	(void)state;
	char path[PATH_MAX];
	setpath(path, sizeof(path), "fine");
	static const char text[] = "# a comment\n"
				   "\n"
				   "   \n"
				   "\t# indented comment\r\n"
				   "#\n"
				   "jti a\r\n"
				   "jti\tb\t7\r\n"
				   "  user  bob  5  \n"
				   "all 0\n"
				   "# jti commented-out\n"
				   "jti x#hash\n"
				   "jti last";
	write_file(path, text, sizeof(text) - 1);
	pj_err e;
	struct pj_revlist l;
	assert_int_equal(pj_revlist_load(path, getuid(), 0, &l, &e), 0);
	size_t entries = 0, comments = 0;
	for (size_t i = 0; i < l.n; i++)
		l.v[i].kind == PJ_REV_COMMENT ? comments++ : entries++;
	assert_int_equal(entries, 6);
	assert_int_equal(comments, 4);
	pj_revlist_free(&l);
	/* CR stripped, tabs separate, the last line needs no newline. */
	assert_int_equal(lookup(path, "a", NULL, 1, 10, &e), -1);
	assert_contains(e.msg, "token a is revoked");
	assert_int_equal(lookup(path, "b", NULL, 1, 10, &e), -1);
	assert_int_equal(lookup(path, "last", NULL, 1, 10, &e), -1);
	assert_int_equal(lookup(path, "x#hash", NULL, 1, 10, &e), -1);
	assert_int_equal(lookup(path, "a\r", NULL, 1, 10, &e), 0);
	assert_int_equal(lookup(path, "commented-out", NULL, 1, 10, &e), 0);
	assert_int_equal(lookup(path, "other", "bob", 1, 5, &e), 0);
	assert_int_equal(lookup(path, "other", "bob", 1, 4, &e), -1);
	/* An empty file revokes nothing. */
	write_file(path, "", 0);
	assert_int_equal(lookup(path, "a", "bob", 0, 0, &e), 0);
}

/* ---- the name a token is listed under ---- */

static void expect_sha(const char *token, const char *name)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdn = 0;
	char want[7 + 2 * EVP_MAX_MD_SIZE + 1] = "sha256:";
	assert_int_equal(EVP_Digest(token, strlen(token), md, &mdn, EVP_sha256(), NULL), 1);
	assert_int_equal(mdn, 32);
	for (unsigned i = 0; i < mdn; i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(name, want);
}

static void name_of(const char *claims_json, const char *token, char *out, size_t outn)
{
	json_t *c = json_loads(claims_json, JSON_ALLOW_NUL, NULL);
	assert_non_null(c);
	assert_int_equal(pj_token_name(c, token, strlen(token), out, outn), 0);
	json_decref(c);
}

static void test_token_name(void **state)
{
	(void)state;
	char out[PJ_NAME_MAX + 1];
	const char *tok = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
	name_of("{\"jti\":\"abc-123_~!\"}", tok, out, sizeof(out));
	assert_string_equal(out, "abc-123_~!");
	/* A published vector: SHA-256("abc"). */
	name_of("{}", "abc", out, sizeof(out));
	assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	static const char *unusable[] = {
		"{}",
		"{\"jti\":null}",
		"{\"jti\":5}",
		"{\"jti\":[\"a\"]}",
		"{\"jti\":\"\"}",
		"{\"jti\":\"a b\"}",
		"{\"jti\":\"a\\tb\"}",
		"{\"jti\":\"a\\nb\"}",
		"{\"jti\":\"caf\\u00e9\"}",
		"{\"jti\":\"a\\u0000b\"}",
		"{\"jti\":\"#a\"}",
	};
	for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++) {
		name_of(unusable[i], tok, out, sizeof(out));
		expect_sha(tok, out);
	}
	/* The whole token is hashed: another signature, another name. */
	char other[PJ_NAME_MAX + 1];
	name_of("{}", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lo", other, sizeof(other));
	assert_string_not_equal(out, other);
	/* PJ_NAME_MAX bytes are a name; one more is hashed. */
	char js[PJ_NAME_MAX + 64];
	int k = snprintf(js, sizeof(js), "{\"jti\":\"%0*d\"}", PJ_NAME_MAX, 7);
	assert_true(k > 0 && (size_t)k < sizeof(js));
	name_of(js, tok, out, sizeof(out));
	assert_int_equal(strlen(out), PJ_NAME_MAX);
	snprintf(js, sizeof(js), "{\"jti\":\"%0*d\"}", PJ_NAME_MAX + 1, 7);
	name_of(js, tok, out, sizeof(out));
	expect_sha(tok, out);
	/* Too small an output buffer is an error, not a cut name. */
	json_t *c = json_pack("{s:s}", "jti", "abcdef");
	assert_int_equal(pj_token_name(c, tok, strlen(tok), out, 6), -1);
	json_decref(c);
	c = json_object();
	assert_int_equal(pj_token_name(c, tok, strlen(tok), out, 71), -1);
	assert_int_equal(pj_token_name(c, tok, strlen(tok), out, 72), 0);
	json_decref(c);
}

/* ---- lookup rules ---- */

static const struct {
	enum pj_rev_kind kind;
	const char *text;
	long long time;
} sem_entries[] = {
	{ PJ_REV_JTI, "revoked-1", 99999 }, { PJ_REV_JTI, "revoked-2", -1 },
	{ PJ_REV_USER, "alice", 2000 },	    { PJ_REV_USER, "carol", 3000 },
	{ PJ_REV_ALL, NULL, 1000 },
};

static void sem_checks(const char *path)
{
	pj_err e;
	assert_int_equal(lookup(path, "revoked-1", "bob", 1, 5000, &e), -1);
	assert_contains(e.msg, "token revoked-1 is revoked");
	assert_int_equal(lookup(path, "revoked-2", NULL, 1, 5000, &e), -1);
	/* Only the whole id matches. */
	assert_int_equal(lookup(path, "revoked-", "bob", 1, 5000, &e), 0);
	assert_int_equal(lookup(path, "revoked-12", "bob", 1, 5000, &e), 0);
	assert_int_equal(lookup(path, "revoked", "bob", 1, 5000, &e), 0);
	/* user cut-off: iat before TIME is void, iat == TIME is fine. */
	assert_int_equal(lookup(path, "t", "alice", 1, 1999, &e), -1);
	assert_contains(e.msg, "tokens of alice issued before 2000 are revoked");
	assert_int_equal(lookup(path, "t", "alice", 1, 1999.5, &e), -1);
	assert_int_equal(lookup(path, "t", "alice", 1, 2000, &e), 0);
	assert_int_equal(lookup(path, "t", "alice", 1, 2001, &e), 0);
	assert_int_equal(lookup(path, "t", "carol", 1, 2999, &e), -1);
	assert_int_equal(lookup(path, "t", "carol", 1, 3000, &e), 0);
	/* Another user, a prefix of a user, no user: only "all" applies. */
	assert_int_equal(lookup(path, "t", "bob", 1, 1999, &e), 0);
	assert_int_equal(lookup(path, "t", "alic", 1, 1999, &e), 0);
	assert_int_equal(lookup(path, "t", "alice2", 1, 1999, &e), 0);
	assert_int_equal(lookup(path, "t", NULL, 1, 1999, &e), 0);
	/* all cut-off. */
	assert_int_equal(lookup(path, "t", "bob", 1, 999, &e), -1);
	assert_contains(e.msg, "all tokens issued before 1000 are revoked");
	assert_int_equal(lookup(path, "t", NULL, 1, 999, &e), -1);
	assert_int_equal(lookup(path, "t", "bob", 1, 1000, &e), 0);
	/* No iat while a cut-off applies: refused. */
	assert_int_equal(lookup(path, "t", "bob", 0, 0, &e), -1);
	assert_contains(e.msg, "no iat");
	assert_int_equal(lookup(path, "t", "alice", 0, 0, &e), -1);
	assert_contains(e.msg, "no iat");
}

/* The same without "all": a missing iat matters only for users with a cut-off. */
static void sem_checks_no_all(const char *path)
{
	pj_err e;
	assert_int_equal(lookup(path, "t", "alice", 0, 0, &e), -1);
	assert_contains(e.msg, "tokens of alice issued before 2000 are revoked and the token "
			       "has no iat");
	assert_int_equal(lookup(path, "t", "bob", 0, 0, &e), 0);
	assert_int_equal(lookup(path, "t", NULL, 0, 0, &e), 0);
	assert_int_equal(lookup(path, "t", "bob", 1, 1, &e), 0);
	assert_int_equal(lookup(path, "revoked-2", "bob", 0, 0, &e), -1);
}

struct adds {
	size_t skip_kind_all;
};

static int add_sem(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct adds *a = arg;
	(void)e;
	for (size_t i = 0; i < sizeof(sem_entries) / sizeof(sem_entries[0]); i++) {
		if (a->skip_kind_all && sem_entries[i].kind == PJ_REV_ALL)
			continue;
		const char *t = sem_entries[i].text;
		if (pj_revlist_add(l, sem_entries[i].kind, t, t ? strlen(t) : 0,
				   sem_entries[i].time) != 0)
			return -1;
	}
	return 0;
}

static void test_lookup_semantics(void **state)
{
	(void)state;
	char path[PATH_MAX], ipath[PATH_MAX];
	struct stat st;
	/* Written by hand, unsorted: the full scan. */
	setpath(path, sizeof(path), "sem-hand");
	static const char hand[] = "jti revoked-2\nuser carol 3000\nall 1000\n"
				   "user alice 2000\njti revoked-1 99999\n";
	write_file(path, hand, sizeof(hand) - 1);
	sem_checks(path);
	write_file(path, "jti revoked-2\nuser alice 2000\n", 30);
	sem_checks_no_all(path);

	/* Written by the tool's code: sorted and indexed. */
	setpath(path, sizeof(path), "sem-tool");
	setpath(ipath, sizeof(ipath), "sem-tool.index");
	struct adds a = { 0 };
	pj_err e;
	assert_int_equal(pj_revlist_update(path, getuid(), add_sem, &a, &e), 0);
	assert_int_equal(stat(ipath, &st), 0);
	sem_checks(path);
	setpath(path, sizeof(path), "sem-tool2");
	a.skip_kind_all = 1;
	assert_int_equal(pj_revlist_update(path, getuid(), add_sem, &a, &e), 0);
	sem_checks_no_all(path);
}

/* ---- missing and untrusted files ---- */

static void test_missing_and_untrusted(void **state)
{
	(void)state;
	char path[PATH_MAX];
	struct pj_revquery q = { .name = "x", .user = "bob", .has_iat = 1, .iat = 5 };
	pj_err e;
	setpath(path, sizeof(path), "does-not-exist");
	/* The default file is used only if it exists; a configured one must. */
	assert_int_equal(pj_revocation_check(path, 0, getuid(), &q, &e), 0);
	assert_int_equal(pj_revocation_check(path, 1, getuid(), &q, &e), -1);
	assert_contains(e.msg, path);
	assert_int_equal(pj_allowlist_check(path, getuid(), "x", &e), -1);
	assert_contains(e.msg, path);

	/* Group-writable: refused even where a missing file would be fine, and
	 * whatever errno an earlier call left behind. */
	setpath(path, sizeof(path), "group-writable");
	write_file(path, "jti other\n", 10);
	assert_int_equal(chmod(path, 0664), 0);
	for (int pre = 0; pre < 2; pre++) {
		errno = pre ? ENOENT : 0;
		assert_int_equal(pj_revocation_check(path, 0, getuid(), &q, &e), -1);
		assert_contains(e.msg, "writable by group or others");
		errno = pre ? ENOENT : 0;
		assert_int_equal(pj_revocation_check(path, 1, getuid(), &q, &e), -1);
		struct pj_revlist l;
		errno = pre ? ENOENT : 0;
		assert_int_equal(pj_revlist_load(path, getuid(), 1, &l, &e), -1);
		errno = pre ? ENOENT : 0;
		assert_int_equal(pj_onetime_use(path, getuid(), "x", -1, 0, 1000, &e), -1);
	}
	/* Owned by someone else (only root can give a file away). */
	setpath(path, sizeof(path), "foreign");
	write_file(path, "jti other\n", 10);
	if (chown(path, 4242, 4242) == 0) {
		errno = ENOENT;
		assert_int_equal(pj_revocation_check(path, 0, (uid_t)-1, &q, &e), -1);
		assert_contains(e.msg, "owned by uid 4242");
	}
	/* A directory is not a list. */
	setpath(path, sizeof(path), "a-dir");
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(pj_revocation_check(path, 0, getuid(), &q, &e), -1);
}

/* ---- the index against the full scan ---- */

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static void rnd_name(char *out, size_t max)
{
	size_t len = 1 + rnd((unsigned)max);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(0x21 + rnd(0x7f - 0x21)); /* any printable but space */
	if (out[0] == '#')
		out[0] = '$';
	out[len] = 0;
}

#define NJTI	 5000
#define NUSER	 200
#define ALL_TIME 500

struct model {
	char jti[NJTI][25];
	long long jexp[NJTI];
	char user[NUSER][17];
	long long cut[NUSER];
};

static int add_model(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct model *m = arg;
	(void)e;
	for (size_t i = 0; i < NJTI; i++)
		if (pj_revlist_add(l, PJ_REV_JTI, m->jti[i], strlen(m->jti[i]), m->jexp[i]) != 0)
			return -1;
	for (size_t i = 0; i < NUSER; i++)
		if (pj_revlist_add(l, PJ_REV_USER, m->user[i], strlen(m->user[i]), m->cut[i]) != 0)
			return -1;
	return pj_revlist_add(l, PJ_REV_ALL, NULL, 0, ALL_TIME);
}

static int model_has_jti(const struct model *m, const char *name)
{
	for (size_t i = 0; i < NJTI; i++)
		if (strcmp(m->jti[i], name) == 0)
			return 1;
	return 0;
}

/* The latest cut-off for user, or -1. */
static long long model_cut(const struct model *m, const char *user)
{
	long long c = -1;
	for (size_t i = 0; i < NUSER; i++)
		if (strcmp(m->user[i], user) == 0 && m->cut[i] > c)
			c = m->cut[i];
	return c;
}

#define NQ 6000

struct query {
	char name[40], user[40];
	int has_user, has_iat;
	double iat;
	int expect;
};

static void make_queries(const struct model *m, struct query *q)
{
	for (size_t i = 0; i < NQ; i++) {
		struct query *x = &q[i];
		const char *j = m->jti[rnd(NJTI)], *u = m->user[rnd(NUSER)];
		memset(x, 0, sizeof(*x));
		x->has_iat = 1;
		x->iat = ALL_TIME + 1 + rnd(5000);
		switch (rnd(8)) {
		case 0: /* a listed jti */
			snprintf(x->name, sizeof(x->name), "%s", j);
			break;
		case 1: /* next to a listed jti */
			snprintf(x->name, sizeof(x->name), "%s%c", j, 0x21 + rnd(0x5e));
			break;
		case 2:
			snprintf(x->name, sizeof(x->name), "%.*s", (int)strlen(j) - 1, j);
			if (!x->name[0])
				strcpy(x->name, "~");
			break;
		case 3: /* anything */
			rnd_name(x->name, 24);
			break;
		case 4: /* a listed user around the cut-off */
			rnd_name(x->name, 24);
			snprintf(x->user, sizeof(x->user), "%s", u);
			x->has_user = 1;
			x->iat = (double)model_cut(m, u) + (double)rnd(3) - 1;
			break;
		case 5: /* a listed user without iat */
			rnd_name(x->name, 24);
			snprintf(x->user, sizeof(x->user), "%s", u);
			x->has_user = 1;
			x->has_iat = 0;
			break;
		case 6: /* an unlisted user, or a listed jti under a listed user */
			snprintf(x->name, sizeof(x->name), "%s", j);
			snprintf(x->user, sizeof(x->user), "%s%s", u, rnd(2) ? "x" : "");
			x->has_user = 1;
			break;
		default: /* before "all" */
			rnd_name(x->name, 24);
			x->iat = ALL_TIME - rnd(2);
			break;
		}
		long long cut = x->has_user ? model_cut(m, x->user) : -1;
		x->expect = model_has_jti(m, x->name) || !x->has_iat || x->iat < ALL_TIME ||
					    (cut >= 0 && x->iat < (double)cut)
				    ? -1
				    : 0;
	}
}

static int run_query(const char *path, const struct query *x)
{
	pj_err e;
	return lookup(path, x->name, x->has_user ? x->user : NULL, x->has_iat, x->iat, &e);
}

static void test_index_agrees_with_scan(void **state)
{
	(void)state;
	char path[PATH_MAX], ipath[PATH_MAX];
	struct stat st;
	struct model *m = calloc(1, sizeof(*m));
	struct query *q = calloc(NQ, sizeof(*q));
	int *indexed = calloc(NQ, sizeof(int));
	assert_true(m && q && indexed);
	rng_state = 0x9e3779b97f4a7c15ull ^ (unsigned long long)time(NULL);
	print_message("# seed %llx\n", rng_state);
	for (size_t i = 0; i < NJTI; i++) {
		rnd_name(m->jti[i], 24);
		m->jexp[i] = rnd(3) ? (long long)rnd(100000) : -1;
	}
	for (size_t i = 0; i < NUSER; i++) {
		rnd_name(m->user[i], 16);
		m->cut[i] = 1000 + rnd(4000);
	}
	setpath(path, sizeof(path), "big");
	setpath(ipath, sizeof(ipath), "big.index");
	pj_err e;
	assert_int_equal(pj_revlist_update(path, getuid(), add_model, m, &e), 0);
	assert_int_equal(stat(ipath, &st), 0);
	make_queries(m, q);
	size_t revoked = 0;
	for (size_t i = 0; i < NQ; i++) {
		indexed[i] = run_query(path, &q[i]);
		revoked += indexed[i] != 0;
		if (indexed[i] != q[i].expect)
			fail_msg("indexed: query %zu (%s, %s, %d, %.1f) gave %d", i, q[i].name,
				 q[i].user, q[i].has_iat, q[i].iat, indexed[i]);
	}
	/* Both outcomes are well represented. */
	assert_true(revoked > NQ / 4 && revoked < NQ * 3 / 4);

	/* The index is trusted while the file is as the tool wrote it: make
	 * it say the jti lines are user lines, and a user lookup notices. */
	size_t n;
	char *itext = slurp(ipath, &n), forged[512];
	unsigned long long v[9];
	assert_int_equal(sscanf(itext,
				"pam_jwt-index 1 %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]),
			 9);
	snprintf(forged, sizeof(forged),
		 "pam_jwt-index 1 %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", v[0], v[1], v[2],
		 v[3], v[4], v[5], v[6], v[8], v[2]);
	write_file(ipath, forged, strlen(forged));
	assert_int_equal(lookup(path, "nobody-listed", "nobody", 1, 4000, &e), -1);
	assert_contains(e.msg, "index does not match");
	write_file(ipath, itext, n);
	free(itext);
	assert_int_equal(run_query(path, &q[0]), indexed[0]);

	/* Without the index: the full scan, the same answers. */
	assert_int_equal(unlink(ipath), 0);
	for (size_t i = 0; i < NQ; i++)
		if (run_query(path, &q[i]) != indexed[i])
			fail_msg("scan and index disagree on query %zu (%s, %s)", i, q[i].name,
				 q[i].user);
	free(m);
	free(q);
	free(indexed);
}

/* ---- hand edits over a file the tool wrote ---- */

static int add_abc(struct pj_revlist *l, void *arg, pj_err *e)
{
	static const char *ids[] = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot" };
	(void)arg, (void)e;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (pj_revlist_add(l, PJ_REV_JTI, ids[i], strlen(ids[i]), 1000 + (long long)i) != 0)
			return -1;
	return pj_revlist_add(l, PJ_REV_USER, "mike", 4, 3000);
}

static void fresh_abc(char *path, size_t n, const char *name)
{
	char ipath[PATH_MAX];
	struct stat st;
	pj_err e;
	setpath(path, n, name);
	unlink(path);
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	snprintf(ipath, sizeof(ipath), "%s.index", path);
	assert_int_equal(stat(ipath, &st), 0);
}

static off_t offset_of(const char *path, const char *needle)
{
	size_t n;
	char *text = slurp(path, &n), *p = strstr(text, needle);
	assert_non_null(p);
	off_t off = p - text;
	free(text);
	return off;
}

static void test_hand_append(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	fresh_abc(path, sizeof(path), "append");
	assert_int_equal(lookup(path, "aaa", "zulu", 1, 5, &e), 0);
	/* Out of order for a binary search: before and after the sorted ids. */
	append_file(path, "jti zzz-appended\njti aaa\nuser zulu 10\n");
	assert_int_equal(lookup(path, "zzz-appended", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "aaa", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 9, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 10, &e), 0);
	assert_int_equal(lookup(path, "charlie", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "mike", 1, 2999, &e), -1);
	/* The next change through the tool sorts the hand edit in. */
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	assert_int_equal(lookup(path, "aaa", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "zzz-appended", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 9, &e), -1);
}

static void test_hand_edit_same_size(void **state)
{
	(void)state;
	char path[PATH_MAX];
	struct stat before, after;
	pj_err e;
	/* Straight after the tool's write, as a script would: no sleep. */
	fresh_abc(path, sizeof(path), "inplace");
	assert_int_equal(stat(path, &before), 0);
	off_t off = offset_of(path, "jti bravo ");
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, off + 4), 1);
	close(fd);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(lookup(path, "Xravo", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "bravo", NULL, 1, 5000, &e), 0);

	/* Even with the old mtime put back (cp -p, rsync -t): ctime still moves. */
	fresh_abc(path, sizeof(path), "inplace2");
	assert_int_equal(stat(path, &before), 0);
	off = offset_of(path, "jti echo ");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "zcho", 4, off + 4), 4);
	struct timespec ts[2] = { before.st_atim, before.st_mtim };
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(lookup(path, "zcho", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "echo", NULL, 1, 5000, &e), 0);

	/* One byte that breaks a line: every lookup is refused, naming it. */
	fresh_abc(path, sizeof(path), "inplace3");
	off = offset_of(path, "jti foxtrot ");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, off + 2), 1);
	close(fd);
	char where[PATH_MAX + 8];
	snprintf(where, sizeof(where), "%s:8: ", path); /* header, user, 6 jti */
	assert_int_equal(lookup(path, "nothing", NULL, 1, 5000, &e), -1);
	assert_contains(e.msg, where);
}

static void test_hand_malformed_line(void **state)
{
	(void)state;
	char path[PATH_MAX], where[PATH_MAX + 8];
	pj_err e;
	fresh_abc(path, sizeof(path), "handbad");
	append_file(path, "jti a b c\n");
	snprintf(where, sizeof(where), "%s:9: ", path);
	assert_int_equal(lookup(path, "zzz", NULL, 1, 5000, &e), -1);
	assert_contains(e.msg, where);
	assert_int_equal(lookup(path, "alpha", NULL, 1, 5000, &e), -1);
	assert_contains(e.msg, where);
	assert_int_equal(lookup(path, "ok", "mike", 1, 5000, &e), -1);
	assert_contains(e.msg, where);
	/* The tool refuses to rewrite it, and leaves it exactly as it was. */
	size_t n1, n2;
	char *b1 = slurp(path, &n1);
	e.msg[0] = 0;
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), -1);
	assert_contains(e.msg, where);
	char *b2 = slurp(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
}

/* ---- writing ---- */

static int add_fail(struct pj_revlist *l, void *arg, pj_err *e)
{
	(void)arg;
	pj_revlist_add(l, PJ_REV_JTI, "never", 5, -1);
	return pj_fail(e, "refused by the callback");
}

static int add_x(struct pj_revlist *l, void *arg, pj_err *e)
{
	(void)e;
	const char *name = arg;
	return pj_revlist_add(l, PJ_REV_JTI, name, strlen(name), -1);
}

static void test_update_writes(void **state)
{
	(void)state;
	char path[PATH_MAX], ipath[PATH_MAX];
	struct stat st, st2;
	pj_err e;
	setpath(path, sizeof(path), "upd");
	setpath(ipath, sizeof(ipath), "upd.index");
	/* A new file: a header comment, readable by everyone (non-root PAM
	 * applications check it too), an index. */
	assert_int_equal(pj_revlist_update(path, getuid(), add_x, "first", &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(ipath, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0644);
	size_t n;
	char *text = slurp(path, &n);
	assert_true(text[0] == '#');
	assert_non_null(strstr(text, "\njti first\n"));
	free(text);
	/* A callback that fails changes nothing, not even the inode. */
	char *b1 = slurp(path, &n);
	assert_int_equal(pj_revlist_update(path, getuid(), add_fail, NULL, &e), -1);
	assert_string_equal(e.msg, "refused by the callback");
	size_t n2;
	char *b2 = slurp(path, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(b1, b2, n);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	free(b1);
	free(b2);
	assert_int_equal(count_prefix("upd.tmp"), 0);
	assert_int_equal(count_prefix("upd.index.tmp"), 0);

	/* Hand-written comments keep their place and text, however long. */
	char longc[3000];
	memset(longc, 'c', sizeof(longc));
	memcpy(longc, "# ", 2);
	memcpy(longc + sizeof(longc) - 1, "\n", 1);
	setpath(path, sizeof(path), "comments");
	write_file(path, longc, sizeof(longc));
	append_file(path, "jti zz\n# second\njti aa\n  # third\n");
	e.msg[0] = 0;
	if (pj_revlist_update(path, getuid(), add_x, "mm", &e) != 0)
		fail_msg("a long comment breaks updates: %s", e.msg);
	text = slurp(path, &n);
	assert_int_equal(n, sizeof(longc) + strlen("# second\n# third\njti aa\njti mm\njti zz\n"));
	assert_memory_equal(text, longc, sizeof(longc));
	assert_string_equal(text + sizeof(longc), "# second\n# third\njti aa\njti mm\njti zz\n");
	free(text);
}

/* Entries with times outside what a line holds (18 digits, no sign). */
static int add_odd_times(struct pj_revlist *l, void *arg, pj_err *e)
{
	(void)arg, (void)e;
	return pj_revlist_add(l, PJ_REV_JTI, "huge", 4, 1000000000000000000ll) ||
	       pj_revlist_add(l, PJ_REV_JTI, "neg", 3, -5) ||
	       pj_revlist_add(l, PJ_REV_JTI, "min", 3, LLONG_MIN) ||
	       pj_revlist_add(l, PJ_REV_USER, "u", 1, -86400) ||
	       pj_revlist_add(l, PJ_REV_ALL, NULL, 0, LLONG_MAX);
}

static void test_odd_times(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	setpath(path, sizeof(path), "odd-times");
	assert_int_equal(pj_revlist_update(path, getuid(), add_odd_times, NULL, &e), 0);
	struct pj_revlist l;
	e.msg[0] = 0;
	if (pj_revlist_load(path, getuid(), 0, &l, &e) != 0)
		fail_msg("the tool wrote a file it cannot read: %s", e.msg);
	pj_revlist_free(&l);
	/* The ids are still revoked, and "all" still covers every token. */
	assert_int_equal(lookup(path, "huge", NULL, 1, 1e12, &e), -1);
	assert_int_equal(lookup(path, "neg", NULL, 1, 1e12, &e), -1);
	assert_int_equal(lookup(path, "min", NULL, 1, 1e12, &e), -1);
	assert_int_equal(lookup(path, "other", NULL, 1, 1e12, &e), -1);
}

/* ---- normalisation ---- */

static void add_entry(struct pj_revlist *l, enum pj_rev_kind k, const char *s, long long t)
{
	assert_int_equal(pj_revlist_add(l, k, s, s ? strlen(s) : 0, t), 0);
}

static void test_normalize(void **state)
{
	(void)state;
	struct pj_revlist l = { 0 };
#define ADD(k, s, t) add_entry(&l, k, s, t)
	ADD(PJ_REV_COMMENT, "# b first", -1);
	ADD(PJ_REV_JTI, "x", 100);
	ADD(PJ_REV_USER, "u", 5);
	ADD(PJ_REV_JTI, "x", 200);
	ADD(PJ_REV_COMMENT, "# a second", -1);
	ADD(PJ_REV_USER, "u", 9);
	ADD(PJ_REV_JTI, "y", 50);
	ADD(PJ_REV_JTI, "y", -1);
	ADD(PJ_REV_ALL, NULL, 3);
	ADD(PJ_REV_JTI, "w", 7);
	ADD(PJ_REV_ALL, NULL, 7);
	ADD(PJ_REV_ALL, NULL, 5);
	ADD(PJ_REV_USER, "u", 7);
	ADD(PJ_REV_USER, "t", 1);
	ADD(PJ_REV_JTI, "z", -1);
	ADD(PJ_REV_COMMENT, "# c third", -1);
	ADD(PJ_REV_JTI, "z", 10);
	ADD(PJ_REV_JTI, "X", 1);
#undef ADD
	pj_revlist_normalize(&l);
	static const struct {
		enum pj_rev_kind kind;
		const char *text;
		long long time;
	} want[] = {
		{ PJ_REV_COMMENT, "# b first", -1 },
		{ PJ_REV_COMMENT, "# a second", -1 },
		{ PJ_REV_COMMENT, "# c third", -1 },
		{ PJ_REV_ALL, NULL, 7 },
		{ PJ_REV_USER, "t", 1 },
		{ PJ_REV_USER, "u", 9 },
		{ PJ_REV_JTI, "X", 1 },
		{ PJ_REV_JTI, "w", 7 },
		{ PJ_REV_JTI, "x", 200 },
		{ PJ_REV_JTI, "y", -1 },
		{ PJ_REV_JTI, "z", -1 },
	};
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].kind, want[i].kind);
		if (want[i].text)
			assert_string_equal(l.v[i].text, want[i].text);
		else
			assert_null(l.v[i].text);
		if (want[i].kind != PJ_REV_COMMENT)
			assert_int_equal(l.v[i].time, want[i].time);
	}
	/* Removal takes every entry of that kind and name, nothing else. */
	assert_int_equal(pj_revlist_remove(&l, PJ_REV_JTI, "x"), 1);
	assert_int_equal(pj_revlist_remove(&l, PJ_REV_JTI, "x"), 0);
	assert_int_equal(pj_revlist_remove(&l, PJ_REV_JTI, "u"), 0);
	assert_int_equal(pj_revlist_remove(&l, PJ_REV_USER, "u"), 1);
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]) - 2);
	pj_revlist_free(&l);
}

/* ---- allowlist ---- */

static void test_allowlist(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	setpath(path, sizeof(path), "allow");
	static const char text[] = "# allowed\njti good 99999\njti also\nall 99999999\n"
				   "user alice 99999999\n";
	write_file(path, text, sizeof(text) - 1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "good", &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "also", &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "bad", &e), -1);
	assert_contains(e.msg, "token bad is not in the allowlist");
	/* Names in "user" and "all" lines are not listed tokens. */
	assert_int_equal(pj_allowlist_check(path, getuid(), "alice", &e), -1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "all", &e), -1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "99999999", &e), -1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "goo", &e), -1);
	/* The same through the tool's writer (sorted, indexed). */
	setpath(path, sizeof(path), "allow2");
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "charlie", &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "mike", &e), -1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "zulu", &e), -1);
	/* An empty allowlist lets nothing through. */
	write_file(path, "", 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "charlie", &e), -1);
}

/* ---- one-time tokens ---- */

static void test_onetime(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	time_t now = 1800000000;
	setpath(path, sizeof(path), "used");
	/* Checking only: nothing recorded, however often. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), 0);
	/* First use: accepted and recorded with its exp. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 1, now, &e), 0);
	size_t n;
	char *text = slurp(path, &n);
	char line[64];
	snprintf(line, sizeof(line), "\njti t1 %lld\n", (long long)now + 300);
	assert_non_null(strstr(text, line));
	free(text);
	/* Second use: refused, whether recording or only checking. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 1, now, &e), -1);
	assert_contains(e.msg, "one-time token t1 was already used");
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), -1);
	assert_contains(e.msg, "already used");
	/* Another token is independent; a token without exp is kept for good. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 1, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 1, now + 10000000, &e), -1);
	/* Records long past their exp are dropped when the next use is recorded. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t3", now + 300, 1, now + 200000, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 0, now, &e), -1);
	/* An exp the file cannot hold must not break every later use. */
	assert_int_equal(pj_onetime_use(path, getuid(), "far", 1000000000000000000ll, 1, now, &e),
			 0);
	e.msg[0] = 0;
	if (pj_onetime_use(path, getuid(), "t4", now + 300, 1, now, &e) != 0)
		fail_msg("one-time record broken by a large exp: %s", e.msg);
	assert_int_equal(pj_onetime_use(path, getuid(), "far", -1, 0, now, &e), -1);
	/* A broken record refuses (fail closed) and names the line. */
	append_file(path, "bogus\n");
	assert_int_equal(pj_onetime_use(path, getuid(), "t9", now + 300, 1, now, &e), -1);
	assert_contains(e.msg, path);
	assert_int_equal(pj_onetime_use(path, getuid(), "t9", now + 300, 0, now, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_wellformed_lines),
		cmocka_unit_test(test_token_name),
		cmocka_unit_test(test_lookup_semantics),
		cmocka_unit_test(test_missing_and_untrusted),
		cmocka_unit_test(test_index_agrees_with_scan),
		cmocka_unit_test(test_hand_append),
		cmocka_unit_test(test_hand_edit_same_size),
		cmocka_unit_test(test_hand_malformed_line),
		cmocka_unit_test(test_update_writes),
		cmocka_unit_test(test_odd_times),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_onetime),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
