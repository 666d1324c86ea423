/* SPDX-License-Identifier: BSD-3-Clause */
/* src/client/cache.c: the token cache is private like an SSH key (0700
 * directory, 0600 files, the user's, or refused), written atomically,
 * locked per entry, and its entries cannot be forged through a value. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/cache.h"

#include <sys/syscall.h>

/* The order of the cache's writes (test_durable): each fsync and renameat
 * the client makes, counted here before the kernel's. */
static int fsyncs, fsyncs_at_rename = -1;

int fsync(int fd)
{
	fsyncs++;
	return (int)syscall(SYS_fsync, fd);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	fsyncs_at_rename = fsyncs;
	return (int)syscall(SYS_renameat, olddirfd, oldpath, newdirfd, newpath);
}

static char dir[128];

static void tokens(struct pj_tokens *t, const char *at, const char *rt)
{
	memset(t, 0, sizeof(*t));
	t->access_token = strdup(at);
	t->refresh_token = rt ? strdup(rt) : NULL;
	t->expires_at = 1800000000;
	t->obtained_at = 1799999000;
	t->issuer = strdup("https://idp.example");
	t->resource = strdup("ssh://db.prod");
}

static const char key[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void open_cache(struct pj_cache *c)
{
	pj_err e = { "" };
	snprintf(dir, sizeof(dir), "%s/home/.cache/pam_jwt", tmpdir);
	if (pj_cache_open(c, dir, 1, &e) != 0)
		fail_msg("open: %s", e.msg);
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_created_private(void **state)
{
	(void)state;
	char home[160], parent[160];
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	mkdir(home, 0755);
	/* Whatever the umask, nothing is ever looser. */
	mode_t old = umask(0);
	struct pj_cache c;
	open_cache(&c);
	struct pj_tokens t;
	tokens(&t, "aaa.bbb.ccc", "refresh-1");
	pj_err e = { "" };
	assert_int_equal(pj_cache_write(&c, key, &t, &e), 0);
	umask(old);
	snprintf(parent, sizeof(parent), "%s/home/.cache", tmpdir);
	assert_int_equal(mode_of(parent), 0700);
	assert_int_equal(mode_of(dir), 0700);
	char f[256];
	snprintf(f, sizeof(f), "%s/%s", dir, key);
	assert_int_equal(mode_of(f), 0600);
	/* No temporary file left behind. */
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++, assert_null(strstr(de->d_name, ".tmp."));
	closedir(d);
	assert_int_equal(n, 1);
	struct pj_tokens r;
	assert_int_equal(pj_cache_read(&c, key, &r, &e), 1);
	assert_string_equal(r.access_token, "aaa.bbb.ccc");
	assert_string_equal(r.refresh_token, "refresh-1");
	assert_string_equal(r.resource, "ssh://db.prod");
	assert_true(r.expires_at == 1800000000);
	pj_tokens_free(&r);
	/* Replaced whole. */
	pj_tokens_free(&t);
	tokens(&t, "ddd.eee.fff", NULL);
	assert_int_equal(pj_cache_write(&c, key, &t, &e), 0);
	assert_int_equal(pj_cache_read(&c, key, &r, &e), 1);
	assert_string_equal(r.access_token, "ddd.eee.fff");
	assert_null(r.refresh_token);
	pj_tokens_free(&r);
	pj_tokens_free(&t);
	assert_int_equal(pj_cache_remove(&c, key, &e), 0);
	assert_int_equal(pj_cache_read(&c, key, &r, &e), 0);
	assert_int_equal(pj_cache_remove(&c, key, &e), 0);
	pj_cache_close(&c);
}

static void test_refused_like_ssh_keys(void **state)
{
	(void)state;
	struct pj_cache c;
	struct pj_tokens t, r;
	pj_err e;
	open_cache(&c);
	tokens(&t, "aaa.bbb.ccc", NULL);
	assert_int_equal(pj_cache_write(&c, key, &t, &e), 0);
	char f[256];
	snprintf(f, sizeof(f), "%s/%s", dir, key);
	chmod(f, 0640);
	assert_fails_with(pj_cache_read(&c, key, &r, &e), e,
			  "is accessible by group or others (mode 640): not used; chmod 600");
	chmod(f, 0600);
	if (getuid() == 0) {
		assert_int_equal(chown(f, 1, 1), 0);
		assert_fails_with(pj_cache_read(&c, key, &r, &e), e,
				  "belongs to uid 1, not to you");
		assert_int_equal(chown(f, 0, 0), 0);
	}
	/* A symbolic link in the entry's place is not followed. */
	char other[256];
	snprintf(other, sizeof(other), "%s/elsewhere", tmpdir);
	rename(f, other);
	assert_int_equal(symlink(other, f), 0);
	assert_fails_with(pj_cache_read(&c, key, &r, &e), e, "a symbolic link");
	unlink(f);
	rename(other, f);
	pj_cache_close(&c);
	chmod(dir, 0750);
	assert_fails_with(pj_cache_open(&c, dir, 1, &e), e,
			  "is accessible by group or others (mode 750): not used; chmod 700");
	chmod(dir, 0700);
	/* The directory itself a symbolic link: refused. */
	char link[200];
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(symlink(dir, link), 0);
	assert_fails_with(pj_cache_open(&c, link, 0, &e), e, "not a directory");
	pj_tokens_free(&t);
}

/* An entry is replaced atomically, and durably: the new file is flushed
 * before it is renamed over the old one (a power cut leaves one or the
 * other, never an empty file). */
static void test_durable(void **state)
{
	(void)state;
	struct pj_cache c;
	struct pj_tokens t;
	pj_err e = { "" };
	open_cache(&c);
	tokens(&t, "aaa.bbb.ccc", "refresh-1");
	fsyncs = 0;
	fsyncs_at_rename = -1;
	assert_int_equal(pj_cache_write(&c, key, &t, &e), 0);
	assert_true(fsyncs_at_rename >= 1);
	pj_tokens_free(&t);
	pj_cache_close(&c);
}

static void test_entry_format(void **state)
{
	(void)state;
	struct pj_tokens t, r;
	pj_err e;
	size_t n;
	/* A value with a newline would forge a line: never written. */
	tokens(&t, "aaa.bbb.ccc\nrefresh_token evil", NULL);
	assert_null(pj_tokens_format(&t, &n));
	pj_tokens_free(&t);
	tokens(&t, "a b", "r");
	char *s = pj_tokens_format(&t, &n);
	assert_non_null(s);
	assert_int_equal(pj_tokens_parse(s, n, &r, &e), 0);
	assert_string_equal(r.access_token, "a b"); /* RFC 6749 VSCHAR has spaces */
	pj_tokens_free(&r);
	/* Cut short: the last line has no newline. */
	assert_fails_with(pj_tokens_parse(s, n - 1, &r, &e), e, "cut short");
	free(s);
	pj_tokens_free(&t);
	const char *bad[][2] = {
		{ "pam_jwt cache 1\n", "not a pam_jwt-login cache entry" },
		{ "pam_jwt-login cache 1\nexpires_at 1\n", "no access_token" },
		{ "pam_jwt-login cache 1\naccess_token a\n", "no access_token or expires_at" },
		{ "pam_jwt-login cache 1\naccess_token a\naccess_token b\nexpires_at 1\n",
		  "twice" },
		{ "pam_jwt-login cache 1\naccess_token a\nexpires_at 1x\n", "bad number" },
		{ "pam_jwt-login cache 1\naccess_token a\nexpires_at 1\nowner me\n",
		  "unknown line" },
		{ "pam_jwt-login cache 1\naccess_token a\x7f\nexpires_at 1\n", "malformed line" },
		{ "pam_jwt-login cache 1\naccess_token\nexpires_at 1\n", "malformed line" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_fails_with(pj_tokens_parse(bad[i][0], strlen(bad[i][0]), &r, &e), e,
				  bad[i][1]);
}

/* A broken entry is reported and treated as none (the next login replaces
 * it); only a file that must not be trusted is an error. */
static void test_broken_entry(void **state)
{
	(void)state;
	struct pj_cache c;
	struct pj_tokens r;
	pj_err e = { "" };
	open_cache(&c);
	char f[256];
	snprintf(f, sizeof(f), "%s/%s", dir, key);
	int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(write(fd, "garbage\n", 8) == 8);
	close(fd);
	assert_int_equal(pj_cache_read(&c, key, &r, &e), 0);
	assert_non_null(strstr(e.msg, "not a pam_jwt-login cache entry; ignored"));
	pj_cache_close(&c);
}

static void test_lock(void **state)
{
	(void)state;
	struct pj_cache c;
	pj_err e;
	open_cache(&c);
	int fd = pj_cache_lock(&c, key, &e);
	assert_true(fd >= 0);
	char lock[256];
	snprintf(lock, sizeof(lock), "%s/%s.lock", dir, key);
	assert_int_equal(mode_of(lock), 0600);
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(lock, O_RDWR);
		_exit(flock(o, LOCK_EX | LOCK_NB) == 0 ? 1 : errno == EWOULDBLOCK ? 0 : 2);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_int_equal(WEXITSTATUS(st), 0); /* another process waits */
	close(fd);
	pid = fork();
	if (pid == 0) {
		int o = open(lock, O_RDWR);
		_exit(flock(o, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	assert_int_equal(WEXITSTATUS(st), 0); /* released with the descriptor */
	pj_cache_close(&c);
}

static void test_key(void **state)
{
	(void)state;
	struct pj_ccfg a, b;
	char ka[65], kb[65];
	pj_ccfg_init(&a);
	a.discovery_url = "https://idp/.well-known/openid-configuration";
	a.client_id = "cli";
	a.scope = "openid";
	a.resource = "ssh://db.prod";
	b = a;
	assert_int_equal(pj_cache_key(&a, ka), 0);
	assert_int_equal(pj_cache_key(&b, kb), 0);
	assert_string_equal(ka, kb);
	assert_int_equal(strlen(ka), 64);
	b.resource = "sudo://laptop"; /* db1.prod's token is not sudo's */
	pj_cache_key(&b, kb);
	assert_string_not_equal(ka, kb);
	b = a;
	b.grant = PJ_GRANT_CLIENT_CREDENTIALS;
	pj_cache_key(&b, kb);
	assert_string_not_equal(ka, kb);
	/* Parts cannot run into each other. */
	b = a;
	b.client_id = "clio";
	b.scope = "penid";
	pj_cache_key(&b, kb);
	assert_string_not_equal(ka, kb);
	b = a;
	b.audience = "";
	pj_cache_key(&b, kb);
	assert_string_not_equal(ka, kb);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_created_private),
		cmocka_unit_test(test_refused_like_ssh_keys),
		cmocka_unit_test(test_entry_format),
		cmocka_unit_test(test_durable),
		cmocka_unit_test(test_broken_entry),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests_name("client_cache", t, dir_setup, dir_teardown);
}
