/* SPDX-License-Identifier: BSD-3-Clause */
/* src/revocation.c, src/store.c, src/revline.c: the line format, the name a
 * token is listed under, the lookup rules, the store (base, journal, hand
 * lines, torn records, compaction, concurrent writers) against the text
 * scan, normalisation, the allowlist and one-time records. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sys/syscall.h>

#include "revline.h"
#include "revocation.h"
#include "store.h"

/* test_concurrent_writers' race: in a child that sets race_delay, a write
 * of the racing token's record waits first, so that every child has looked
 * before any has appended (the window pj_list_use must close itself). */
static int race_delay;

ssize_t write(int fd, const void *buf, size_t n)
{
	if (race_delay && memmem(buf, n, "race-token", 10)) {
		struct timespec ts = { 0, 300 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return (ssize_t)syscall(SYS_write, fd, buf, n);
}

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

static int is_store_file(const char *path)
{
	size_t n;
	char *text = slurp(path, &n);
	int yes = n >= 16 && memcmp(text, "\177pam_jwt-store\n", 16) == 0;
	free(text);
	return yes;
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
	char path[PATH_MAX];
	/* Written by hand, unsorted: the full scan. */
	setpath(path, sizeof(path), "sem-hand");
	static const char hand[] = "jti revoked-2\nuser carol 3000\nall 1000\n"
				   "user alice 2000\njti revoked-1 99999\n";
	write_file(path, hand, sizeof(hand) - 1);
	sem_checks(path);
	write_file(path, "jti revoked-2\nuser alice 2000\n", 30);
	sem_checks_no_all(path);

	/* Written by the tool's code: a store, looked up by binary search. */
	setpath(path, sizeof(path), "sem-tool");
	struct adds a = { 0 };
	pj_err e;
	assert_int_equal(pj_revlist_update(path, getuid(), add_sem, &a, &e), 0);
	assert_true(is_store_file(path));
	sem_checks(path);
	setpath(path, sizeof(path), "sem-tool2");
	a.skip_kind_all = 1;
	assert_int_equal(pj_revlist_update(path, getuid(), add_sem, &a, &e), 0);
	sem_checks_no_all(path);

	/* The same entries as journal records over an empty store. */
	setpath(path, sizeof(path), "sem-journal");
	for (size_t i = 0; i < sizeof(sem_entries) / sizeof(sem_entries[0]); i++) {
		struct pj_change c = { .kind = sem_entries[i].kind,
				       .text = sem_entries[i].text,
				       .time = sem_entries[i].time };
		assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	}
	assert_true(is_store_file(path));
	sem_checks(path);
	/* And compacted into a base. */
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	sem_checks(path);
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

/* ---- the store against the text scan ---- */

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

/* ---- a small list the tool wrote ---- */

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
	pj_err e;
	setpath(path, n, name);
	unlink(path);
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	assert_true(is_store_file(path));
}

static int copy_list(struct pj_revlist *l, void *arg, pj_err *e)
{
	const struct pj_revlist *from = arg;
	for (size_t i = 0; i < from->n; i++) {
		const struct pj_rev_entry *en = &from->v[i];
		if (pj_revlist_add(l, en->kind, en->text, en->text ? strlen(en->text) : 0,
				   en->time) != 0)
			return pj_fail(e, "out of memory");
	}
	return 0;
}

static void model_text(const struct model *m, const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# the model, by hand, unsorted\n");
	for (size_t i = NUSER; i-- > 0;)
		fprintf(f, "user %s %lld\n", m->user[i], m->cut[i]);
	for (size_t i = 0; i < NJTI; i++)
		if (m->jexp[i] >= 0)
			fprintf(f, "jti %s %lld\n", m->jti[i], m->jexp[i]);
		else
			fprintf(f, "jti %s\n", m->jti[i]);
	fprintf(f, "all %d\n", ALL_TIME);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

/* Half the model in a base, the other half appended as records, with
 * removals of entries that come back later and of names never listed. */
static void model_journal(const struct model *m, const char *path)
{
	struct pj_revlist half = { 0 };
	pj_err e;
	unlink(path);
	for (size_t i = 0; i < NJTI / 2; i++)
		assert_int_equal(
			pj_revlist_add(&half, PJ_REV_JTI, m->jti[i], strlen(m->jti[i]), m->jexp[i]),
			0);
	assert_int_equal(pj_revlist_update(path, getuid(), copy_list, &half, &e), 0);
	pj_revlist_free(&half);
	struct pj_change ch[PJ_APPEND_BATCH];
	size_t n = 0;
	for (size_t i = NJTI / 2; i < NJTI; i++) {
		size_t same = 0;
		for (size_t k = 0; k < NJTI; k++)
			same += strcmp(m->jti[k], m->jti[i]) == 0;
		/* Listed, removed, listed again (only for a name listed once:
		 * a removal drops every earlier listing). */
		if (i % 7 == 0 && same == 1) {
			ch[n++] = (struct pj_change){ .kind = PJ_REV_JTI, .text = m->jti[i] };
			ch[n++] = (struct pj_change){ .remove = 1,
						      .kind = PJ_REV_JTI,
						      .text = m->jti[i] };
		}
		ch[n++] = (struct pj_change){ .kind = PJ_REV_JTI,
					      .text = m->jti[i],
					      .time = m->jexp[i] };
		if (n >= PJ_APPEND_BATCH - 3) {
			assert_int_equal(pj_list_append(path, getuid(), ch, n, 1000, &e), 0);
			n = 0;
		}
	}
	for (size_t i = 0; i < NUSER; i++) {
		ch[n++] = (struct pj_change){ .kind = PJ_REV_USER,
					      .text = m->user[i],
					      .time = m->cut[i] };
		if (n >= PJ_APPEND_BATCH - 8) {
			assert_int_equal(pj_list_append(path, getuid(), ch, n, 1000, &e), 0);
			n = 0;
		}
	}
	ch[n++] = (struct pj_change){ .kind = PJ_REV_ALL, .time = ALL_TIME + 7 };
	ch[n++] = (struct pj_change){ .remove = 1, .kind = PJ_REV_ALL };
	ch[n++] = (struct pj_change){ .kind = PJ_REV_ALL, .time = ALL_TIME };
	ch[n++] = (struct pj_change){ .remove = 1, .kind = PJ_REV_JTI, .text = "never-listed" };
	assert_true(n <= PJ_APPEND_BATCH);
	assert_int_equal(pj_list_append(path, getuid(), ch, n, 1000, &e), 0);
}

static void test_store_agrees_with_scan(void **state)
{
	(void)state;
	char text[PATH_MAX], base[PATH_MAX], journal[PATH_MAX];
	struct model *m = calloc(1, sizeof(*m));
	struct query *q = calloc(NQ, sizeof(*q));
	assert_true(m && q);
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
	setpath(text, sizeof(text), "model.txt");
	setpath(base, sizeof(base), "model.base");
	setpath(journal, sizeof(journal), "model.journal");
	model_text(m, text);
	pj_err e;
	assert_int_equal(pj_revlist_update(base, getuid(), add_model, m, &e), 0);
	model_journal(m, journal);
	assert_false(is_store_file(text));
	assert_true(is_store_file(base) && is_store_file(journal));
	make_queries(m, q);
	size_t revoked = 0;
	const char *paths[] = { text, base, journal };
	for (size_t i = 0; i < NQ; i++)
		for (size_t p = 0; p < 3; p++) {
			int got = run_query(paths[p], &q[i]);
			revoked += p == 0 && got != 0;
			if (got != q[i].expect)
				fail_msg("%s: query %zu (%s, %s, %d, %.1f) gave %d", paths[p], i,
					 q[i].name, q[i].user, q[i].has_iat, q[i].iat, got);
		}
	/* Both outcomes are well represented. */
	assert_true(revoked > NQ / 4 && revoked < NQ * 3 / 4);
	/* The tool reads the three as the same list. */
	struct pj_revlist l[3];
	for (size_t p = 0; p < 3; p++)
		assert_int_equal(pj_revlist_load(paths[p], getuid(), 0, &l[p], &e), 0);
	for (size_t p = 1; p < 3; p++) {
		size_t a = 0, b = 0;
		for (;; a++, b++) {
			while (a < l[0].n && l[0].v[a].kind == PJ_REV_COMMENT)
				a++;
			while (b < l[p].n && l[p].v[b].kind == PJ_REV_COMMENT)
				b++;
			if (a == l[0].n || b == l[p].n)
				break;
			assert_int_equal(l[0].v[a].kind, l[p].v[b].kind);
			assert_int_equal(l[0].v[a].time, l[p].v[b].time);
			if (l[0].v[a].text)
				assert_string_equal(l[0].v[a].text, l[p].v[b].text);
		}
		assert_true(a == l[0].n && b == l[p].n);
	}
	for (size_t p = 0; p < 3; p++)
		pj_revlist_free(&l[p]);
	/* Compacted, the journal's store still answers the same. */
	assert_int_equal(pj_list_compact(journal, getuid(), -1, 1000, 0, &e), 0);
	for (size_t i = 0; i < NQ; i++)
		if (run_query(journal, &q[i]) != q[i].expect)
			fail_msg("compacted: query %zu (%s) differs", i, q[i].name);
	free(m);
	free(q);
}

/* A byte of a store changed by accident is noticed where it is read. */
static void test_store_damage(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	struct pj_list_info info;
	setpath(path, sizeof(path), "damage");
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	size_t n;
	char *img = slurp(path, &n);
	/* The name "charlie" in the heap: its slot's check no longer holds. */
	char *hit = memmem(img, n, "charlie", 7);
	assert_non_null(hit);
	off_t off = hit - img;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "C", 1, off), 1);
	assert_fails_with(lookup(path, "charlie", NULL, 1, 1, &e), e, "damaged");
	/* A search that never reads that entry cannot notice; check does. */
	assert_int_equal(lookup(path, "Charlie", NULL, 1, 1, &e), 0);
	assert_fails_with(pj_list_check(path, getuid(), &info, &e), e, "damaged");
	/* The header's check. */
	assert_int_equal(pwrite(fd, "c", 1, off), 1);
	assert_int_equal(lookup(path, "charlie", NULL, 1, 1, &e), -1);
	assert_contains(e.msg, "token charlie is revoked");
	assert_int_equal(pwrite(fd, "\x01", 1, 30), 1);
	assert_fails_with(lookup(path, "zzz", NULL, 1, 1, &e), e, "header damaged");
	/* Cut short: refused, never read past the end. */
	assert_int_equal(pwrite(fd, img + 30, 1, 30), 1);
	assert_int_equal(lookup(path, "zzz", NULL, 1, 1, &e), 0);
	assert_int_equal(ftruncate(fd, (off_t)n - 3), 0);
	assert_fails_with(lookup(path, "zzz", NULL, 1, 1, &e), e, "truncated");
	assert_int_equal(ftruncate(fd, 100), 0);
	assert_fails_with(lookup(path, "zzz", NULL, 1, 1, &e), e, "cut short");
	close(fd);
	/* Another version is refused, not guessed at. */
	img[16] = 2;
	write_file(path, img, n);
	assert_fails_with(lookup(path, "zzz", NULL, 1, 1, &e), e, "store version 2");
	free(img);
}

static void test_hand_lines(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	fresh_abc(path, sizeof(path), "append");
	assert_int_equal(lookup(path, "aaa", "zulu", 1, 5, &e), 0);
	/* Text lines appended by hand (echo ... >> FILE) count like records. */
	append_file(path, "jti zzz-appended\njti aaa\n# a note\nuser zulu 10\n\n  \n");
	assert_int_equal(lookup(path, "zzz-appended", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "aaa", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 9, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 10, &e), 0);
	assert_int_equal(lookup(path, "charlie", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "mike", 1, 2999, &e), -1);
	/* Even the last line without its newline. */
	append_file(path, "jti no-newline");
	assert_int_equal(lookup(path, "no-newline", NULL, 1, 5000, &e), -1);
	/* A record appended after it ends that line first. */
	struct pj_change c = { .kind = PJ_REV_JTI, .text = "after", .time = -1 };
	assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	assert_int_equal(lookup(path, "no-newline", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "after", NULL, 1, 5000, &e), -1);
	struct pj_list_info info;
	assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
	assert_int_equal(info.hand, 5); /* 4 entries and the comment, not blank lines */
	assert_int_equal(info.records, 1);
	/* The next compaction folds them into the base, the note kept. */
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_int_equal(lookup(path, "aaa", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "no-newline", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "ok", "zulu", 1, 9, &e), -1);
	struct pj_revlist l;
	assert_int_equal(pj_revlist_load(path, getuid(), 0, &l, &e), 0);
	int note = 0;
	for (size_t i = 0; i < l.n; i++)
		note |= l.v[i].kind == PJ_REV_COMMENT && strcmp(l.v[i].text, "# a note") == 0;
	assert_true(note);
	pj_revlist_free(&l);
	assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
	assert_int_equal(info.hand + info.records, 0);

	/* A hand line that is not an entry refuses every lookup, naming it;
	 * the tool will not compact over it, and leaves the file as it was. */
	append_file(path, "jti a b c\n");
	assert_fails_with(lookup(path, "zzz", NULL, 1, 5000, &e), e, "added by hand at byte");
	assert_fails_with(lookup(path, "alpha", NULL, 1, 5000, &e), e, "added by hand");
	assert_fails_with(pj_allowlist_check(path, getuid(), "alpha", &e), e, "added by hand");
	size_t n1, n2;
	char *b1 = slurp(path, &n1);
	assert_fails_with(pj_list_compact(path, getuid(), -1, 1000, 0, &e), e, "added by hand");
	assert_fails_with(pj_revlist_update(path, getuid(), add_abc, NULL, &e), e, "added by hand");
	/* Nor append to it: the change would be reported and do nothing. */
	struct pj_change ch = { .kind = PJ_REV_JTI, .text = "more", .time = -1 };
	assert_fails_with(pj_list_append(path, getuid(), &ch, 1, 1000, &e), e,
			  "nothing was changed");
	char *b2 = slurp(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	free(b1);
	free(b2);
	/* repair drops the line (it never took effect) and keeps the rest. */
	size_t dropped = 0;
	assert_int_equal(pj_list_repair(path, getuid(), 1000, &dropped, &e), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(lookup(path, "zzz", NULL, 1, 5000, &e), 0);
	assert_int_equal(lookup(path, "alpha", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "zzz-appended", NULL, 1, 5000, &e), -1);
	/* A last hand line without its newline survives a compaction once,
	 * whole. */
	append_file(path, "jti no-newline-2");
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_int_equal(lookup(path, "no-newline-2", NULL, 1, 5000, &e), -1);
	assert_int_equal(lookup(path, "no-newline-", NULL, 1, 5000, &e), 0);
	/* It went over as what was appended meanwhile; the next compaction
	 * folds it into the base. */
	assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
	assert_int_equal(info.hand, 1);
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
	assert_int_equal(info.hand + info.records, 0);
	assert_int_equal(lookup(path, "no-newline-2", NULL, 1, 5000, &e), -1);
}

/* A text list: read whole up to PJ_TEXT_SCAN_MAX, refused beyond with the
 * fix; the tool's first change makes it a store. */
static void test_text_limit(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	setpath(path, sizeof(path), "text-big");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	size_t n = 0;
	for (int i = 0; n + 32 <= PJ_TEXT_SCAN_MAX; i++)
		n += (size_t)fprintf(f, "jti hand-%08d 2000000000\n", i);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(lookup(path, "hand-00000007", NULL, 1, 1, &e), -1);
	assert_int_equal(lookup(path, "other", NULL, 1, 1, &e), 0);
	/* One line more and it is too long to read at login. */
	append_file(path, "jti one-too-many-for-the-limit 2000000000\n");
	assert_fails_with(lookup(path, "other", NULL, 1, 1, &e), e, "pam_jwt-tool compact");
	assert_fails_with(lookup(path, "hand-00000007", NULL, 1, 1, &e), e, "text list of");
	assert_fails_with(pj_allowlist_check(path, getuid(), "hand-00000007", &e), e,
			  "text list of");
	struct pj_list_info info;
	assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
	assert_false(info.store);
	assert_false(info.text_readable);
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_true(is_store_file(path));
	assert_int_equal(lookup(path, "hand-00000007", NULL, 1, 1, &e), -1);
	assert_int_equal(lookup(path, "one-too-many-for-the-limit", NULL, 1, 1, &e), -1);
	assert_int_equal(lookup(path, "other", NULL, 1, 1, &e), 0);
}

/* Writers that die mid-record, a full disk's short write, bytes of zeros:
 * skipped, and what comes after still counts. */
static void test_torn_records(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	struct stat st;
	setpath(path, sizeof(path), "torn");
	struct pj_change c = { .kind = PJ_REV_JTI, .text = "revoked-123", .time = 4102444800 };
	assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	assert_int_equal(lookup(path, "revoked-123", NULL, 1, 1, &e), -1);
	assert_int_equal(stat(path, &st), 0);
	/* Every cut of the record: never a different name (revoked-12),
	 * never the record itself unless whole. */
	size_t n;
	char *img = slurp(path, &n);
	char *rec = memmem(img, n, "\n+jti revoked-123", 17);
	assert_non_null(rec);
	size_t start = (size_t)(rec - img);
	for (size_t cut = start; cut < n; cut++) {
		write_file(path, img, cut);
		assert_int_equal(lookup(path, "revoked-123", NULL, 1, 1, &e), 0);
		assert_int_equal(lookup(path, "revoked-12", NULL, 1, 1, &e), 0);
		assert_int_equal(lookup(path, "revoked-1", NULL, 1, 1, &e), 0);
		/* The next writer's record starts on a line of its own. */
		struct pj_change d = { .kind = PJ_REV_JTI, .text = "next", .time = -1 };
		assert_int_equal(pj_list_append(path, getuid(), &d, 1, 1000, &e), 0);
		assert_int_equal(lookup(path, "next", NULL, 1, 1, &e), -1);
		assert_int_equal(lookup(path, "revoked-123", NULL, 1, 1, &e), 0);
		struct pj_list_info info;
		assert_int_equal(pj_list_check(path, getuid(), &info, &e), 0);
		assert_int_equal(info.records, 1);
	}
	/* A record whose check fails (a byte changed) is skipped too. */
	write_file(path, img, n);
	img[n - 3] ^= 1;
	write_file(path, img, n);
	assert_int_equal(lookup(path, "revoked-123", NULL, 1, 1, &e), 0);
	/* Zeros where a record should be (a crash on some file systems). */
	img[n - 3] ^= 1;
	memset(img + start + 1, 0, n - start - 2);
	write_file(path, img, n);
	assert_int_equal(lookup(path, "revoked-123", NULL, 1, 1, &e), 0);
	assert_int_equal(lookup(path, "x", NULL, 1, 1, &e), 0);
	free(img);
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
	char path[PATH_MAX];
	struct stat st, st2;
	pj_err e;
	setpath(path, sizeof(path), "upd");
	/* A new file: a store readable by everyone (non-root PAM
	 * applications check it too), its lock private. */
	mode_t old = umask(0);
	assert_int_equal(pj_revlist_update(path, getuid(), add_x, "first", &e), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	char lpath[PATH_MAX];
	setpath(lpath, sizeof(lpath), "upd.lock");
	assert_int_equal(stat(lpath, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_true(is_store_file(path));
	assert_int_equal(lookup(path, "first", NULL, 1, 1, &e), -1);
	/* A callback that fails changes nothing, not even the inode. */
	size_t n, n2;
	char *b1 = slurp(path, &n);
	assert_int_equal(pj_revlist_update(path, getuid(), add_fail, NULL, &e), -1);
	assert_string_equal(e.msg, "refused by the callback");
	char *b2 = slurp(path, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(b1, b2, n);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	free(b1);
	free(b2);
	assert_int_equal(count_prefix("upd.tmp"), 0);
	/* A stale temporary file of a killed compaction goes with the next. */
	char tmp[PATH_MAX];
	setpath(tmp, sizeof(tmp), "upd.tmp.AbC123");
	write_file(tmp, "left", 4);
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_int_equal(count_prefix("upd.tmp"), 0);

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
	struct pj_revlist l;
	assert_int_equal(pj_revlist_load(path, getuid(), 0, &l, &e), 0);
	static const char *want[] = { NULL, "# second", "# third", "aa", "mm", "zz" };
	assert_int_equal(l.n, 6);
	assert_int_equal(strlen(l.v[0].text), sizeof(longc) - 1);
	assert_memory_equal(l.v[0].text, longc, sizeof(longc) - 1);
	for (size_t i = 1; i < 6; i++)
		assert_string_equal(l.v[i].text, want[i]);
	pj_revlist_free(&l);
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

static int entry_order(const void *a, const void *b)
{
	const struct pj_rev_entry *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return x->text && y->text ? strcmp(x->text, y->text) : 0;
}

/* The sort a million-id batch goes through, against qsort: long shared
 * prefixes, every length around the 8-byte steps, duplicates. */
static void test_normalize_sort(void **state)
{
	(void)state;
	struct pj_revlist l = { 0 };
	struct pj_rev_entry *ref = NULL;
	rng_state = 0x243f6a8885a308d3ull;
	for (int round = 0; round < 3; round++) {
		size_t count = round == 0 ? 20 : round == 1 ? 2000 : 50000;
		for (size_t i = 0; i < count; i++) {
			char name[80];
			size_t len;
			switch (rnd(4)) {
			case 0: /* a shared prefix, then a few bytes */
				len = (size_t)snprintf(name, sizeof(name), "revoked-%07u-%x",
						       rnd(10000), rnd(16));
				break;
			case 1: /* every length from 1 to 40 */
				len = 1 + rnd(40);
				memset(name, 'a' + (int)rnd(2), len);
				name[len] = 0;
				break;
			case 2:
				rnd_name(name, 33);
				len = strlen(name);
				break;
			default: /* prefix of another */
				len = 1 + rnd(17);
				memcpy(name, "abcdefghijklmnopq", len);
				name[len] = 0;
				break;
			}
			enum pj_rev_kind k = rnd(5) ? PJ_REV_JTI : PJ_REV_USER;
			assert_int_equal(pj_revlist_add(&l, k, name, len, (long long)rnd(100)), 0);
		}
		ref = realloc(ref, l.n * sizeof(*ref));
		assert_non_null(ref);
		memcpy(ref, l.v, l.n * sizeof(*ref));
		qsort(ref, l.n, sizeof(*ref), entry_order);
		size_t m = 0;
		for (size_t i = 0; i < l.n; i++)
			if (!m || entry_order(&ref[m - 1], &ref[i]) != 0)
				ref[m++] = ref[i];
		pj_revlist_normalize(&l);
		assert_int_equal(l.n, m);
		for (size_t i = 0; i < m; i++) {
			assert_int_equal(l.v[i].kind, ref[i].kind);
			assert_string_equal(l.v[i].text, ref[i].text);
		}
	}
	free(ref);
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
	/* The same through the tool's writer (a store), and its records. */
	setpath(path, sizeof(path), "allow2");
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "charlie", &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "mike", &e), -1);
	assert_int_equal(pj_allowlist_check(path, getuid(), "zulu", &e), -1);
	struct pj_change c = { .remove = 1, .kind = PJ_REV_JTI, .text = "charlie" };
	assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "charlie", &e), -1);
	c = (struct pj_change){ .kind = PJ_REV_JTI, .text = "zulu", .time = -1 };
	assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	assert_int_equal(pj_allowlist_check(path, getuid(), "zulu", &e), 0);
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
	assert_int_equal(access(path, F_OK), -1);
	/* First use: accepted and recorded with its `until`. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 1, now, &e), 0);
	struct pj_keystate k = { .kind = PJ_REV_JTI, .key = "t1" };
	assert_int_equal(pj_list_lookup(path, getuid(), 1, &k, 1, NULL, &e), 0);
	assert_true(k.present);
	assert_int_equal(k.time, now + 300);
	/* Second use: refused, whether recording or only checking. */
	assert_fails_with(pj_onetime_use(path, getuid(), "t1", now + 300, 1, now, &e), e,
			  "one-time token t1 was already used");
	assert_fails_with(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), e,
			  "already used");
	/* Another token is independent; a token without exp is kept for good. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 1, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 1, now + 10000000, &e), -1);
	/* A compaction drops records past `until` by more than a day, never
	 * one whose token could still be accepted. */
	assert_int_equal(pj_onetime_use(path, getuid(), "t3", now + 150000, 1, now, &e), 0);
	assert_int_equal(pj_list_compact(path, getuid(), now + 200000 - PJ_USE_MARGIN, 1000, 0, &e),
			 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t1", now + 300, 0, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "t2", -1, 0, now, &e), -1);
	assert_int_equal(pj_onetime_use(path, getuid(), "t3", now + 150000, 0, now, &e), -1);
	/* An `until` the file cannot hold must not break every later use. */
	assert_int_equal(pj_onetime_use(path, getuid(), "far", 1000000000000000000ll, 1, now, &e),
			 0);
	e.msg[0] = 0;
	if (pj_onetime_use(path, getuid(), "t4", now + 300, 1, now, &e) != 0)
		fail_msg("one-time record broken by a large exp: %s", e.msg);
	assert_int_equal(pj_onetime_use(path, getuid(), "far", -1, 0, now, &e), -1);
	/* A broken record refuses (fail closed) and names the file. */
	append_file(path, "bogus\n");
	assert_fails_with(pj_onetime_use(path, getuid(), "t9", now + 300, 1, now, &e), e, path);
	assert_int_equal(pj_onetime_use(path, getuid(), "t9", now + 300, 0, now, &e), -1);
	/* A text record of an earlier version is made a store first. */
	setpath(path, sizeof(path), "used-text");
	write_file(path, "jti old-1 1800000300\n", 21);
	assert_fails_with(pj_onetime_use(path, getuid(), "old-1", now + 300, 1, now, &e), e,
			  "already used");
	assert_int_equal(pj_onetime_use(path, getuid(), "new-1", now + 300, 1, now, &e), 0);
	assert_true(is_store_file(path));
}

/* The compaction a one-time login runs when it finds the journal full (its
 * own call, not one of the tests'): it drops only records whose token can no
 * longer be accepted, a day past their `until`, and keeps every other one,
 * so no recorded token is accepted twice. */
static void test_onetime_full_journal(void **state)
{
	(void)state;
	char path[PATH_MAX], name[1100], first[1100] = "";
	pj_err e;
	struct stat st0, st;
	const time_t now = 1800000000;
	setpath(path, sizeof(path), "used-full");
	/* An empty store: its size is where the journal starts. */
	assert_int_equal(pj_list_compact(path, getuid(), -1, 1000, 0, &e), 0);
	assert_int_equal(stat(path, &st0), 0);
	const long long base_end = (long long)st0.st_size;
	assert_int_equal(pj_onetime_use(path, getuid(), "live", now + 300, 1, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "hour-ago", now - 3600, 1, now, &e), 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "days-ago", now - 2 * 86400, 1, now, &e),
			 0);
	assert_int_equal(pj_onetime_use(path, getuid(), "no-exp", -1, 1, now, &e), 0);
	/* Filler records (jti NAME TIME: the name and 27 bytes) up to a few
	 * bytes below the threshold, so that no append compacts on its own. */
	long long left = PJ_JOURNAL_COMPACT - 5;
	assert_int_equal(stat(path, &st), 0);
	left -= (long long)st.st_size - base_end;
	for (int i = 0; left > 0; i++) {
		long long len = left > 1000 + 27 + 40 ? 1000
				: left > 27 + 40      ? left - 27 - 40
						      : left - 27;
		assert_true(len >= 8);
		memset(name, 'f', (size_t)len);
		snprintf(name, sizeof(name), "%07d", i);
		name[7] = 'f';
		name[len] = 0;
		if (!first[0])
			memcpy(first, name, (size_t)len + 1);
		struct pj_change c = { .kind = PJ_REV_JTI, .text = name, .time = now + 1000 };
		assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
		left -= len + 27;
	}
	assert_int_equal(left, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_ino == st0.st_ino); /* not compacted yet */
	assert_int_equal((long long)st.st_size - base_end, PJ_JOURNAL_COMPACT - 5);
	/* This use passes the threshold: the login compacts. */
	assert_int_equal(pj_onetime_use(path, getuid(), "trigger", now + 300, 1, now, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	if (st.st_ino == st0.st_ino)
		fail_msg("the one-time use past the threshold did not compact the journal");
	assert_true((long long)st.st_size < base_end + PJ_JOURNAL_COMPACT);
	/* Every token that could still be accepted is still used up. */
	assert_fails_with(pj_onetime_use(path, getuid(), "live", now + 300, 1, now, &e), e,
			  "already used");
	assert_fails_with(pj_onetime_use(path, getuid(), "hour-ago", now - 3600, 0, now, &e), e,
			  "already used");
	assert_fails_with(pj_onetime_use(path, getuid(), "no-exp", -1, 0, now, &e), e,
			  "already used");
	assert_fails_with(pj_onetime_use(path, getuid(), "trigger", now + 300, 0, now, &e), e,
			  "already used");
	/* (Its name is too long for the reason to end in "already used".) */
	assert_int_equal(pj_onetime_use(path, getuid(), first, now + 1000, 0, now, &e), -1);
	assert_contains(e.msg, "one-time token 0000000fff");
	/* The one two days past its `until` is gone. */
	assert_int_equal(pj_onetime_use(path, getuid(), "days-ago", now - 2 * 86400, 0, now, &e),
			 0);
}

/* Writers at once: appenders lose nothing while compactions run, and of
 * many uses of one token exactly one wins, none refused for the lock. */
static void test_concurrent_writers(void **state)
{
	(void)state;
	char path[PATH_MAX], used[PATH_MAX];
	pj_err e;
	setpath(path, sizeof(path), "conc");
	setpath(used, sizeof(used), "conc-used");
	assert_int_equal(pj_revlist_update(path, getuid(), add_abc, NULL, &e), 0);
	enum { KIDS = 8, EACH = 60 };
	pid_t pid[KIDS + 1];
	for (int k = 0; k <= KIDS; k++) {
		if ((pid[k] = fork()) == 0) {
			int bad = 0;
			for (int i = 0; i < EACH && !bad; i++) {
				char name[32];
				pj_err ce;
				if (k == KIDS) { /* a compactor, over and over */
					bad = pj_list_compact(path, getuid(), -1, 5000, 0, &ce) !=
					      0;
					continue;
				}
				snprintf(name, sizeof(name), "k%d-%d", k, i);
				struct pj_change c = { .kind = PJ_REV_JTI,
						       .text = name,
						       .time = -1 };
				bad = pj_list_append(path, getuid(), &c, 1, 5000, &ce) != 0;
			}
			_exit(bad);
		}
		assert_true(pid[k] > 0);
	}
	for (int k = 0; k <= KIDS; k++) {
		int st;
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (int k = 0; k < KIDS; k++)
		for (int i = 0; i < EACH; i++) {
			char name[32];
			snprintf(name, sizeof(name), "k%d-%d", k, i);
			if (lookup(path, name, NULL, 1, 1, &e) != -1)
				fail_msg("%s was lost", name);
		}
	assert_int_equal(lookup(path, "charlie", NULL, 1, 1, &e), -1);

	/* One token, many logins at once. */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	for (int k = 0; k < KIDS; k++)
		if ((pid[k] = fork()) == 0) {
			pj_err ce;
			int rc = pj_list_use(used, getuid(), "the-token", 1900000000, 1800000000,
					     &ce);
			char r = rc == 0 ? 'w' : rc == 1 ? 'u' : 'x';
			if (write(pfd[1], &r, 1) != 1)
				_exit(3);
			_exit(0);
		}
	close(pfd[1]);
	char r[KIDS + 1];
	size_t got = 0;
	ssize_t k;
	while ((k = read(pfd[0], r + got, sizeof(r) - got)) > 0)
		got += (size_t)k;
	close(pfd[0]);
	for (int i = 0; i < KIDS; i++)
		waitpid(pid[i], NULL, 0);
	assert_int_equal(got, KIDS);
	size_t won = 0, lost = 0;
	for (size_t i = 0; i < got; i++)
		won += r[i] == 'w', lost += r[i] == 'u';
	assert_int_equal(won, 1);
	assert_int_equal(lost, KIDS - 1);

	/* The same, every child's append held back until all have looked:
	 * only the recheck after the append tells them apart. */
	assert_int_equal(pipe(pfd), 0);
	for (int kid = 0; kid < KIDS; kid++)
		if ((pid[kid] = fork()) == 0) {
			pj_err ce;
			race_delay = 1;
			int rc = pj_list_use(used, getuid(), "race-token", 1900000000, 1800000000,
					     &ce);
			char c = rc == 0 ? 'w' : rc == 1 ? 'u' : 'x';
			race_delay = 0;
			if (write(pfd[1], &c, 1) != 1)
				_exit(3);
			_exit(0);
		}
	close(pfd[1]);
	got = 0;
	while ((k = read(pfd[0], r + got, sizeof(r) - got)) > 0)
		got += (size_t)k;
	close(pfd[0]);
	for (int i = 0; i < KIDS; i++)
		waitpid(pid[i], NULL, 0);
	assert_int_equal(got, KIDS);
	won = lost = 0;
	for (size_t i = 0; i < got; i++)
		won += r[i] == 'w', lost += r[i] == 'u';
	assert_int_equal(won, 1);
	assert_int_equal(lost, KIDS - 1);
}

/* What the invoking user of a setuid host controls (a file size limit
 * with SIGXFSZ at its default, a umask) neither kills the process nor
 * widens a file. */
static void test_hostile_host(void **state)
{
	(void)state;
	char path[PATH_MAX];
	pj_err e;
	setpath(path, sizeof(path), "fsize");
	struct pj_change c = { .kind = PJ_REV_JTI, .text = "seed", .time = -1 };
	assert_int_equal(pj_list_append(path, getuid(), &c, 1, 1000, &e), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)st.st_size, RLIM_INFINITY };
		signal(SIGXFSZ, SIG_DFL);
		umask(0);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(2);
		pj_err ce;
		int rc = pj_list_use(path, getuid(), "over-the-limit", -1, 1800000000, &ce);
		/* Refused with a reason, the process alive. */
		_exit(rc == -1 && strstr(ce.msg, "ulimit -f") ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The cut record was never a use. */
	assert_int_equal(pj_onetime_use(path, getuid(), "over-the-limit", -1, 0, 1800000000, &e),
			 0);
	assert_int_equal(lookup(path, "seed", NULL, 1, 1, &e), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

/* A name is printable ASCII without spaces, whatever its length: every byte
 * outside 0x21..0x7e refused at every place of names of 1 to 24 bytes (the
 * check reads eight at a time, then the rest one by one). */
static void test_name_bytes(void **state)
{
	(void)state;
	static const unsigned char bad[] = { 0x00, 0x01, 0x20, 0x7f, 0x80, 0xc3, 0xff };
	char s[25];
	for (size_t n = 1; n <= 24; n++) {
		memset(s, 'a', n);
		s[n] = 0;
		assert_int_equal(pj_name_valid(s, n), 1);
		for (size_t at = 0; at < n; at++)
			for (size_t b = 0; b < sizeof(bad); b++) {
				s[at] = (char)bad[b];
				if (pj_name_valid(s, n))
					fail_msg("byte 0x%02x at %zu of %zu accepted", bad[b], at,
						 n);
				s[at] = 'a';
			}
		s[0] = '~';
		s[n - 1] = '!';
		assert_int_equal(pj_name_valid(s, n), 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_wellformed_lines),
		cmocka_unit_test(test_token_name),
		cmocka_unit_test(test_name_bytes),
		cmocka_unit_test(test_lookup_semantics),
		cmocka_unit_test(test_missing_and_untrusted),
		cmocka_unit_test(test_store_agrees_with_scan),
		cmocka_unit_test(test_store_damage),
		cmocka_unit_test(test_hand_lines),
		cmocka_unit_test(test_text_limit),
		cmocka_unit_test(test_torn_records),
		cmocka_unit_test(test_update_writes),
		cmocka_unit_test(test_odd_times),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_sort),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_onetime),
		cmocka_unit_test(test_onetime_full_journal),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_hostile_host),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
