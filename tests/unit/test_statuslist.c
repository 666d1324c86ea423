/* SPDX-License-Identifier: BSD-3-Clause */
/* Token Status List: the draft's own test vectors (its example lists of 1, 2,
 * 4 and 8 bits, tests/vectors/status-list/, and its example Status List
 * Token with its example key), the bounded inflation (zip bombs, broken
 * streams), the status claim and the URI rules, and the cached form as a
 * login reads it.  No fetch happens here: fetch_helper names a program that
 * does not exist, so anything that would fetch fails, and says so. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "config.h"
#include "lst/lst.h"
#include "statuslist.h"
#include "util.h"

#define DIR_V "tests/vectors/status-list/"
#define URI   "https://example.com/statuslists/1"

static char *slurp(const char *name, size_t *n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", DIR_V, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(path, sizeof(path), "../../%s%s", DIR_V, name);
		f = fopen(path, "rb");
	}
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	buf[*n] = 0;
	fclose(f);
	return buf;
}

/* One vector file: bits, lst, size, "entry IDX VALUE" lines (later ones win:
 * the 8-bit example sets random indices). */
static void check_vector(const char *name)
{
	size_t n, zn, outn;
	char *text = slurp(name, &n), *save, *line;
	int bits = 0;
	size_t size = 0;
	unsigned char *z = NULL, *out, *want = NULL;
	pj_err e;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long i, v;
		if (sscanf(line, "bits %d", &bits) == 1)
			continue;
		if (strncmp(line, "lst ", 4) == 0) {
			assert_int_equal(pj_b64url_decode(line + 4, strlen(line + 4), &z, &zn, &e),
					 0);
			continue;
		}
		if (sscanf(line, "size %zu", &size) == 1) {
			want = calloc(1, size);
			continue;
		}
		if (sscanf(line, "entry %llu %llu", &i, &v) == 2) {
			assert_non_null(want);
			want[i] = (unsigned char)v;
		}
	}
	assert_non_null(z);
	assert_int_equal(pj_lst_inflate(z, zn, PJ_STATUS_LIST_MAX, &out, &outn, &e), 0);
	assert_int_equal(outn, size * (size_t)bits / 8);
	for (size_t i = 0; i < size; i++)
		if (pj_status_entry(out, outn, bits, i) != want[i])
			fail_msg("%s: entry %zu is %d, the draft says %d", name, i,
				 pj_status_entry(out, outn, bits, i), want[i]);
	assert_int_equal(pj_status_entry(out, outn, bits, size), -1);
	free(out);
	free(z);
	free(want);
	free(text);
}

static void test_draft_vectors(void **state)
{
	(void)state;
	check_vector("draft-1bit");
	check_vector("draft-2bit");
	check_vector("draft-1bit-long");
	check_vector("draft-2bit-long");
	check_vector("draft-4bit-long");
	check_vector("draft-8bit-long");
}

static void test_draft_bytes(void **state)
{
	/* The draft's byte arrays: 0xb9 0xa3 (1 bit), 0xc9 0x44 0xf9 (2 bits). */
	static const unsigned char one[] = { 0xb9, 0xa3 }, two[] = { 0xc9, 0x44, 0xf9 };
	unsigned char *z, *out;
	size_t zn, outn;
	pj_err e;
	(void)state;
	assert_int_equal(pj_b64url_decode("eNrbuRgAAhcBXQ", 14, &z, &zn, &e), 0);
	assert_int_equal(pj_lst_inflate(z, zn, 100, &out, &outn, &e), 0);
	assert_int_equal(outn, 2);
	assert_memory_equal(out, one, 2);
	free(z);
	free(out);
	assert_int_equal(pj_b64url_decode("eNo76fITAAPfAgc", 15, &z, &zn, &e), 0);
	assert_int_equal(pj_lst_inflate(z, zn, 100, &out, &outn, &e), 0);
	assert_int_equal(outn, 3);
	assert_memory_equal(out, two, 3);
	free(z);
	free(out);
}

static void test_inflate_bounds(void **state)
{
	size_t big = PJ_STATUS_LIST_MAX + 1, zn, outn;
	unsigned char *zeros = calloc(1, big), *z, *out;
	pj_err e;
	(void)state;
	/* 16 MiB + 1 of zeros: a 16 kB stream that must not inflate. */
	assert_int_equal(pj_lst_deflate(zeros, big, &z, &zn, &e), 0);
	assert_true(zn < 20000);
	assert_fails_with(pj_lst_inflate(z, zn, PJ_STATUS_LIST_MAX, &out, &outn, &e), e,
			  "inflates to more than 16777216 bytes");
	free(z);
	/* Exactly the bound is fine. */
	assert_int_equal(pj_lst_deflate(zeros, big - 1, &z, &zn, &e), 0);
	assert_int_equal(pj_lst_inflate(z, zn, PJ_STATUS_LIST_MAX, &out, &outn, &e), 0);
	assert_int_equal(outn, PJ_STATUS_LIST_MAX);
	free(out);
	/* Cut short, trailing bytes, a bit flipped (Adler-32), raw DEFLATE. */
	assert_fails_with(pj_lst_inflate(z, zn - 5, PJ_STATUS_LIST_MAX, &out, &outn, &e), e,
			  "cut short");
	unsigned char *more = malloc(zn + 1);
	memcpy(more, z, zn);
	more[zn] = 0;
	assert_fails_with(pj_lst_inflate(more, zn + 1, PJ_STATUS_LIST_MAX, &out, &outn, &e), e,
			  "after the end");
	more[zn - 1] ^= 1;
	assert_fails_with(pj_lst_inflate(more, zn, PJ_STATUS_LIST_MAX, &out, &outn, &e), e,
			  "not a ZLIB stream");
	assert_fails_with(pj_lst_inflate(z + 2, zn - 2, PJ_STATUS_LIST_MAX, &out, &outn, &e), e,
			  "not a ZLIB stream");
	free(more);
	free(z);
	/* An empty list. */
	assert_int_equal(pj_lst_deflate(zeros, 0, &z, &zn, &e), 0);
	assert_fails_with(pj_lst_inflate(z, zn, 100, &out, &outn, &e), e, "inflates to nothing");
	free(z);
	free(zeros);
}

static void config(struct pj_config *c, const char *jwks)
{
	char dir[128], path[512];
	pj_err e;
	assert_int_equal(pj_config_init(c, getuid()), 0);
	snprintf(dir, sizeof(dir), "%s/cache", tmpdir);
	mkdir(dir, 0755);
	chmod(dir, 0755);
	assert_int_equal(pj_config_set(c, "cache_dir", dir, "test", &e), 0);
	assert_int_equal(pj_config_set(c, "fetch_helper", "/nonexistent/pam_jwt-fetch", "test", &e),
			 0);
	assert_int_equal(
		pj_config_set(c, "status_list_url", "https://example.com/statuslists/", "test", &e),
		0);
	if (jwks) {
		snprintf(path, sizeof(path), "%s/key.jwks", tmpdir);
		FILE *f = fopen(path, "w");
		fputs(jwks, f);
		fclose(f);
		chmod(path, 0644);
		assert_int_equal(pj_config_set(c, "jwks_file", path, "test", &e), 0);
	}
}

static void test_draft_token(void **state)
{
	size_t kn, tn;
	char *jwks = slurp("draft-key.jwks", &kn), *tok = slurp("draft-token", &tn);
	struct pj_config c;
	struct pj_status_info info;
	unsigned char *out;
	size_t outn;
	int bits;
	pj_err e;
	(void)state;
	config(&c, jwks);
	/* The draft's example: iat 1686920170, exp 2291720170, ttl 43200. */
	time_t now = 1686920170 + 100;
	assert_int_equal(pj_status_token_verify(&c, tok, tn, URI, now, &info, &e), 0);
	assert_int_equal(info.bits, 1);
	assert_int_equal(info.exp, 2291720170LL);
	assert_int_equal(info.ttl, PJ_DEFAULT_STATUS_LIST_TTL_MAX); /* 43200 clamped */
	/* Clamped up to status_list_ttl_min as well. */
	c.status_list_ttl_min = 50000;
	c.status_list_ttl_max = 86400;
	assert_int_equal(pj_status_token_verify(&c, tok, tn, URI, now, &info, &e), 0);
	assert_int_equal(info.ttl, 50000);
	c.status_list_ttl_min = 60;
	assert_int_equal(pj_status_token_verify(&c, tok, tn, URI, now, &info, &e), 0);
	assert_int_equal(info.ttl, 43200);
	c.status_list_ttl_min = PJ_DEFAULT_STATUS_LIST_TTL_MIN;
	c.status_list_ttl_max = PJ_DEFAULT_STATUS_LIST_TTL_MAX;
	assert_int_equal(pj_lst_from_token(tok, tn, &out, &outn, &bits, &e), 0);
	assert_int_equal(outn, 2);
	assert_int_equal(out[0], 0xb9);
	assert_int_equal(out[1], 0xa3);
	free(out);
	assert_fails_with(pj_status_token_verify(&c, tok, tn, URI "0", now, &info, &e), e,
			  "sub is not its URI");
	assert_fails_with(pj_status_token_verify(&c, tok, tn, URI, 2291720170 + 61, &info, &e), e,
			  "it expired");
	assert_int_equal(pj_status_token_verify(&c, tok, tn, URI, 2291720170 + 59, &info, &e), 0);
	assert_fails_with(pj_status_token_verify(&c, tok, tn, URI, 1686920170 - 3600, &info, &e), e,
			  "issued in the future");
	/* One changed byte of the payload breaks the signature. */
	char *dot = strchr(tok, '.'), orig = dot[5];
	dot[5] = orig == 'A' ? 'B' : 'A';
	assert_int_equal(pj_status_token_verify(&c, tok, tn, URI, now, &info, &e), -1);
	pj_config_free(&c);
	/* Another key (the module's own test key would do): not the provider's. */
	config(&c, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"12\","
		   "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		   "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}");
	dot[5] = orig;
	assert_fails_with(pj_status_token_verify(&c, tok, tn, URI, now, &info, &e), e,
			  "signature does not verify");
	pj_config_free(&c);
	free(jwks);
	free(tok);
}

static void ref_case(const char *claims, int want, const char *sub)
{
	struct pj_status_ref ref;
	pj_err e = { "" };
	json_t *j = json_loads(claims, 0, NULL);
	assert_non_null(j);
	int rc = pj_status_ref(j, &ref, &e);
	json_decref(j);
	if (rc != want)
		fail_msg("%s: %d, not %d (%s)", claims, rc, want, e.msg);
	if (sub && !strstr(e.msg, sub))
		fail_msg("%s: \"%s\" lacks \"%s\"", claims, e.msg, sub);
}

static void test_status_claim(void **state)
{
	(void)state;
	ref_case("{}", 0, NULL);
	ref_case("{\"status\":{\"status_list\":{\"idx\":0,\"uri\":\"" URI "\"}}}", 1, NULL);
	ref_case("{\"status\":{\"status_list\":{\"idx\":9007199254740992,\"uri\":\"" URI "\"}}}", 1,
		 NULL);
	ref_case("{\"status\":1}", -1, "not an object");
	ref_case("{\"status\":{}}", -1, "names no status_list");
	ref_case("{\"status\":{\"status_list\":{\"idx\":-1,\"uri\":\"" URI "\"}}}", -1, "idx");
	ref_case("{\"status\":{\"status_list\":{\"idx\":1.0,\"uri\":\"" URI "\"}}}", -1, "idx");
	ref_case("{\"status\":{\"status_list\":{\"idx\":\"1\",\"uri\":\"" URI "\"}}}", -1, "idx");
	ref_case("{\"status\":{\"status_list\":{\"uri\":\"" URI "\"}}}", -1, "idx");
	ref_case("{\"status\":{\"status_list\":{\"idx\":0}}}", -1, "uri");
	ref_case("{\"status\":{\"status_list\":{\"idx\":0,\"uri\":\"http://example.com/1\"}}}", -1,
		 "only https://");
	ref_case("{\"status\":{\"status_list\":{\"idx\":0,\"uri\":\"https://u:p@example.com/\"}}}",
		 -1, "user name");
}

static void test_uri_prefixes(void **state)
{
	struct pj_config c;
	pj_err e;
	(void)state;
	config(&c, NULL);
	assert_int_equal(pj_status_uri_allowed(&c, URI, &e), 0);
	assert_fails_with(pj_status_uri_allowed(&c, "https://example.com/other/1", &e), e,
			  "outside every status_list_url");
	assert_fails_with(pj_status_uri_allowed(&c, "https://example.com/statuslists/../x", &e), e,
			  "path segment");
	assert_fails_with(pj_status_uri_allowed(&c, "https://example.com/statuslists/./1", &e), e,
			  "path segment");
	assert_fails_with(pj_status_uri_allowed(&c, "https://example.com/statuslists/%2e%2e/x", &e),
			  e, "path segment");
	pj_config_free(&c);
	/* A prefix without a trailing slash ends at a path boundary. */
	assert_int_equal(pj_config_init(&c, getuid()), 0);
	assert_int_equal(pj_config_set(&c, "status_list_url", "https://idp.test/lists", "t", &e),
			 0);
	assert_int_equal(pj_status_uri_allowed(&c, "https://idp.test/lists/1", &e), 0);
	assert_int_equal(pj_status_uri_allowed(&c, "https://idp.test/lists?n=1", &e), 0);
	assert_fails_with(pj_status_uri_allowed(&c, "https://idp.test/listsevil/1", &e), e,
			  "outside");
	assert_fails_with(pj_status_uri_allowed(&c, "https://idp.test.evil/lists/1", &e), e,
			  "outside");
	assert_fails_with(pj_config_set(&c, "status_list_url", "http://idp.test/", "t", &e), e,
			  "only https://");
	assert_fails_with(pj_config_set(&c, "status_list", "maybe", "t", &e), e,
			  "off, check or require");
	pj_config_free(&c);
	assert_int_equal(pj_config_init(&c, getuid()), 0);
	assert_fails_with(pj_status_uri_allowed(&c, URI, &e), e, "no status_list_url");
	pj_config_free(&c);
}

/* The cached form, written by hand: header, then the bits. */
static void put_list(const char *iss, long age, const char *exp, const unsigned char *bits,
		     size_t n, const char *size_override)
{
	char key[512], hex[65], path[512], head[1024], size[32];
	unsigned char md[32];
	unsigned mdn;
	snprintf(key, sizeof(key), "status_list\n%s\n%s", iss, URI);
	EVP_Digest(key, strlen(key), md, &mdn, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(path, sizeof(path), "%s/cache/%s.sl", tmpdir, hex);
	snprintf(size, sizeof(size), "%zu", n);
	int hn = snprintf(head, sizeof(head),
			  "pam_jwt status list 1\nuri " URI
			  "\nfetched %lld\niat 1\nexp %s\nttl 600\n"
			  "bits 1\nsize %s\n\n",
			  (long long)time(NULL) - age, exp, size_override ? size_override : size);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, head, (size_t)hn), hn);
	assert_int_equal(write(fd, bits, n), (ssize_t)n);
	fchmod(fd, 0644);
	close(fd);
}

static void check_claims(struct pj_config *c, unsigned long long idx, int want, const char *sub)
{
	char text[512];
	pj_err e = { "" };
	snprintf(text, sizeof(text),
		 "{\"iss\":\"https://idp.test\",\"status\":{\"status_list\":{\"idx\":%llu,"
		 "\"uri\":\"" URI "\"}}}",
		 idx);
	json_t *j = json_loads(text, 0, NULL);
	int rc = pj_status_check(c, j, time(NULL), &e);
	json_decref(j);
	if (rc != want || (sub && !strstr(e.msg, sub)))
		fail_msg("idx %llu: %d \"%s\", wanted %d \"%s\"", idx, rc, e.msg, want,
			 sub ? sub : "");
}

static void test_cached_list(void **state)
{
	/* 0xb9 0xa3: the draft's 16 entries. */
	static const unsigned char bits[] = { 0xb9, 0xa3 };
	struct pj_config c;
	(void)state;
	config(&c, NULL);
	put_list("https://idp.test", 10, "-", bits, 2, NULL);
	check_claims(&c, 1, 0, NULL);
	check_claims(&c, 0, -1, "status is 1 (invalid)");
	check_claims(&c, 15, -1, "status is 1 (invalid)");
	check_claims(&c, 16, -1, "past the end");
	/* A list cached for another issuer is not this one's. */
	put_list("https://other.test", 10, "-", bits, 2, NULL);
	check_claims(&c, 1, 0, NULL);
	/* Stale (over the 600 s ttl): a fetch, which fails, then the copy
	 * within status_list_max_stale; over it, refused. */
	put_list("https://idp.test", 3600, "-", bits, 2, NULL);
	check_claims(&c, 1, 0, NULL);
	put_list("https://idp.test", 90000, "-", bits, 2, NULL);
	check_claims(&c, 1, -1, "over status_list_max_stale");
	/* Expired (exp passed), however fresh. */
	put_list("https://idp.test", 10, "1000", bits, 2, NULL);
	check_claims(&c, 1, -1, "expired");
	/* A header that does not match the file: no copy. */
	put_list("https://idp.test", 10, "-", bits, 2, "3");
	check_claims(&c, 1, -1, "does not match");
	/* The status_list modes. */
	c.status_list = PJ_STATUS_OFF;
	check_claims(&c, 0, 0, NULL);
	json_t *none = json_loads("{}", 0, NULL);
	pj_err e;
	c.status_list = PJ_STATUS_CHECK;
	assert_int_equal(pj_status_check(&c, none, time(NULL), &e), 0);
	c.status_list = PJ_STATUS_REQUIRE;
	assert_fails_with(pj_status_check(&c, none, time(NULL), &e), e, "require");
	json_decref(none);
	pj_config_free(&c);
}

int main(int argc, char **argv)
{
	(void)argc;
	/* Vectors are found from the repository root, or from build/tests. */
	if (access(DIR_V, R_OK) != 0 && argv[0] && strrchr(argv[0], '/')) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(argv[0], '/') - argv[0]), argv[0]);
		if (chdir(dir) != 0)
			return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft_bytes),    cmocka_unit_test(test_draft_vectors),
		cmocka_unit_test(test_inflate_bounds), cmocka_unit_test(test_draft_token),
		cmocka_unit_test(test_status_claim),   cmocka_unit_test(test_uri_prefixes),
		cmocka_unit_test(test_cached_list),
	};
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
