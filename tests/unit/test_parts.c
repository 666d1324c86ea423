/* SPDX-License-Identifier: BSD-3-Clause */
/* src/parts.c: a token in parts.  The split the client makes and the
 * assembly the module does must give back the token byte for byte, for every
 * length and answer size; every way a conversation can go wrong is refused
 * with its own reason, and no reason quotes what was answered. */
#include "unit.h"

#include "config.h"
#include "parts.h"

#define PART_MAX (PJ_MAX_TOKEN + PJ_PARTS_HEADER_MAX + 1)

/* A token-like text of len bytes: three segments, the URL alphabet. */
static char *make_token(size_t len, unsigned seed)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *t = malloc(len + 1);
	assert_non_null(t);
	for (size_t i = 0; i < len; i++)
		t[i] = abc[(i * 7 + seed * 13 + i / 64) % 64];
	if (len >= 8) {
		memcpy(t, "eyJ", 3);
		t[len / 3] = '.';
		t[2 * len / 3] = '.';
	}
	t[len] = 0;
	return t;
}

/* Splits tok for answers of max bytes and assembles it again, as the module
 * does, checking every prompt and every answer's size on the way. */
static void round_trip(const char *tok, size_t len, size_t max)
{
	static char part[PART_MAX];
	unsigned n = pj_parts_count(len, max);
	struct pj_parts p;
	pj_err e = { "" };
	char prompt[PJ_PARTS_PROMPT_MAX], id[PJ_PARTS_ID_LEN + 1];
	assert_true(n >= 2);
	assert_int_equal(pj_parts_id(tok, len, id), 0);
	for (unsigned k = 1; k <= n; k++) {
		long m = pj_parts_format(tok, len, k, n, part, sizeof(part));
		assert_true(m > 0);
		if ((size_t)m > max)
			fail_msg("len %zu max %zu: part %u of %u is %ld bytes", len, max, k, n, m);
		assert_int_equal(strlen(part), (size_t)m);
		if (k == 1) {
			assert_int_equal(pj_parts_begin(&p, part, (size_t)m, &e), 0);
		} else {
			unsigned pk, pn;
			char pid[PJ_PARTS_ID_LEN + 1];
			pj_parts_prompt(&p, prompt, sizeof(prompt));
			char want[PJ_PARTS_PROMPT_MAX];
			snprintf(want, sizeof(want), "JWT part %u of %u (%s): ", k, n, id);
			assert_string_equal(prompt, want);
			/* What a stateless client reads back from the prompt. */
			assert_int_equal(pj_parts_parse_prompt(prompt, &pk, &pn, pid), 0);
			assert_int_equal(pk, k);
			assert_int_equal(pn, n);
			assert_string_equal(pid, id);
			if (pj_parts_add(&p, part, (size_t)m, &e) != 0)
				fail_msg("len %zu max %zu part %u: %s", len, max, k, e.msg);
		}
		assert_int_equal(pj_parts_complete(&p), k == n);
	}
	if (pj_parts_finish(&p, &e) != 0)
		fail_msg("len %zu max %zu: %s", len, max, e.msg);
	assert_int_equal(p.len, len);
	assert_memory_equal(p.buf, tok, len);
	assert_int_equal(p.buf[len], 0);
	pj_parts_free(&p);
	assert_null(p.buf);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t lens[] = { 65,   100,  511,	 512,  1000,  1023,  1024, 3000,
				       4095, 4096, 7000, 8191, 12345, 16383, 16384 };
	static const size_t maxes[] = { 64, 100, 255, 511, 1023, 4095 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *tok = make_token(lens[i], (unsigned)i);
		for (size_t j = 0; j < sizeof(maxes) / sizeof(maxes[0]); j++)
			if (lens[i] > maxes[j] && pj_parts_count(lens[i], maxes[j]) >= 2)
				round_trip(tok, lens[i], maxes[j]);
		free(tok);
	}
}

static void test_count(void **state)
{
	(void)state;
	assert_int_equal(pj_parts_count(0, 511), 0);
	assert_int_equal(pj_parts_count(300, 511), 1); /* fits: sent whole, no header */
	assert_int_equal(pj_parts_count(511, 511), 1);
	assert_int_equal(pj_parts_count(512, 511), 2);
	/* 16 KiB: 35 answers for sudo, 17 for the OpenSSH client, 5 for a console. */
	assert_int_equal(pj_parts_count(16384, 511), 35);
	assert_int_equal(pj_parts_count(16384, 1023), 17);
	assert_int_equal(pj_parts_count(16384, 4095), 5);
	assert_int_equal(pj_parts_count(7000, 511), 15);
	assert_int_equal(pj_parts_count(7000, 1023), 8);
	assert_int_equal(pj_parts_count(16385, 4095), 0); /* over PJ_MAX_TOKEN */
	assert_int_equal(pj_parts_count(16384, 255), 0);  /* would need 74 parts */
	assert_int_equal(pj_parts_count(100, 30), 0);	  /* no room beside the header */
	/* The count is the smallest that fits: one fewer does not. */
	for (size_t len = 600; len <= 16384; len += 977) {
		unsigned n = pj_parts_count(len, 511);
		char *tok = make_token(len, 1);
		static char part[PART_MAX];
		long longest = 0;
		for (unsigned k = 1; k <= n - 1; k++) {
			long m = pj_parts_format(tok, len, k, n - 1, part, sizeof(part));
			longest = m > longest ? m : longest;
		}
		if (n > 2 && longest <= 511)
			fail_msg("len %zu: %u parts would do, %u counted", len, n - 1, n);
		free(tok);
	}
}

/* SHA-256("abc"), FIPS 180-2 appendix B.1: ba7816bf8f01cfea... */
static void test_id(void **state)
{
	(void)state;
	char id[PJ_PARTS_ID_LEN + 1];
	assert_int_equal(pj_parts_id("abc", 3, id), 0);
	assert_string_equal(id, "ba7816bf8f01");
}

static void test_format_bounds(void **state)
{
	(void)state;
	char out[PART_MAX], small[40];
	const char *tok = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.c2ln";
	size_t len = strlen(tok);
	assert_true(pj_parts_format(tok, len, 1, 2, out, sizeof(out)) > 0);
	assert_int_equal(strncmp(out, "pam_jwt:1/2:40:", 15), 0);
	assert_int_equal(pj_parts_format(tok, len, 0, 2, out, sizeof(out)), -1);
	assert_int_equal(pj_parts_format(tok, len, 3, 2, out, sizeof(out)), -1);
	assert_int_equal(pj_parts_format(tok, len, 1, 0, out, sizeof(out)), -1);
	assert_int_equal(pj_parts_format(tok, len, 1, PJ_PARTS_MAX + 1, out, sizeof(out)), -1);
	assert_int_equal(pj_parts_format(tok, 3, 1, 4, out, sizeof(out)), -1); /* len < n */
	assert_int_equal(pj_parts_format(tok, len, 1, 2, small, sizeof(small)), -1);
}

/* ---- refusals ---- */

/* A 3000-byte token in 8 parts, ready to be answered in any order. */
static char *tok3k;
static char parts8[9][PART_MAX];
static const unsigned N8 = 8;

static int parts_setup(void **state)
{
	(void)state;
	tok3k = make_token(3000, 5);
	for (unsigned k = 1; k <= N8; k++)
		if (pj_parts_format(tok3k, 3000, k, N8, parts8[k], sizeof(parts8[k])) < 0)
			return -1;
	return 0;
}

static int parts_teardown(void **state)
{
	(void)state;
	free(tok3k);
	return 0;
}

/* A part's content is a secret: no reason may quote any of it. */
static void assert_quotes_nothing(const pj_err *e, const char *answer)
{
	const char *chunk = strrchr(answer, ':');
	char bit[9];
	if (!chunk || strlen(chunk + 1) < 8)
		return;
	memcpy(bit, chunk + 1, 8);
	bit[8] = 0;
	if (strstr(e->msg, bit))
		fail_msg("reason \"%s\" quotes the answer", e->msg);
}

static void expect_begin_refused(const char *answer, const char *why)
{
	struct pj_parts p;
	pj_err e;
	assert_fails_with(pj_parts_begin(&p, answer, strlen(answer), &e), e, why);
	assert_quotes_nothing(&e, answer);
	pj_parts_free(&p);
}

static void test_first_answer_refused(void **state)
{
	(void)state;
	expect_begin_refused("hunter2", "not a part");
	expect_begin_refused(tok3k, "not a part");
	expect_begin_refused("pam_jwt:", "malformed");
	expect_begin_refused("pam_jwt:1/2", "malformed");
	expect_begin_refused("pam_jwt:1/2:40", "malformed");
	expect_begin_refused("pam_jwt:1/2:40:ba7816bf8f01", "malformed");
	expect_begin_refused("pam_jwt:01/2:40:ba7816bf8f01:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:1/02:40:ba7816bf8f01:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:0/2:40:ba7816bf8f01:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:1/2:40:BA7816BF8F01:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:1/2:40:ba7816bf8f0:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:1/2:40:ba7816bf8f01abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:-1/2:40:ba7816bf8f01:abcdefghijklmnopqrst", "malformed");
	expect_begin_refused("pam_jwt:1/1234567890:40:ba7816bf8f01:abcdefghijklmnopqrst",
			     "malformed");
	expect_begin_refused("pam_jwt:3/2:40:ba7816bf8f01:abcdefghijklmnopqrst",
			     "says part 3 of 2");
	expect_begin_refused(parts8[2], "part 1 must come first");
	expect_begin_refused("pam_jwt:1/65:9000:ba7816bf8f01:abcdefghijklmnopqrst",
			     "announces 65 parts, more than the 64 accepted");
	expect_begin_refused("pam_jwt:1/2:16385:ba7816bf8f01:abcdefghijklmnopqrst",
			     "announces a token of 16385 bytes, over the 16384-byte limit");
	expect_begin_refused("pam_jwt:1/9:8:ba7816bf8f01:abcd", "announces 9 parts of a 8-byte");
	/* Exact lengths: a part cut by the application, or one too long. */
	char cut[PART_MAX];
	snprintf(cut, sizeof(cut), "%.*s", (int)strlen(parts8[1]) - 10, parts8[1]);
	expect_begin_refused(cut, "part 1 of 8 is 365 bytes, 375 expected (cut short");
	snprintf(cut, sizeof(cut), "%sxyz", parts8[1]);
	expect_begin_refused(cut, "part 1 of 8 is 378 bytes, longer than its 375");
}

/* Part 1 accepted, then answer for part 2. */
static void expect_add_refused(const char *answer, const char *why)
{
	struct pj_parts p;
	pj_err e;
	assert_int_equal(pj_parts_begin(&p, parts8[1], strlen(parts8[1]), &e), 0);
	assert_fails_with(pj_parts_add(&p, answer, strlen(answer), &e), e, why);
	assert_quotes_nothing(&e, answer);
	pj_parts_free(&p);
}

static void test_later_answer_refused(void **state)
{
	(void)state;
	char other[PART_MAX], *tok2 = make_token(3000, 6);
	expect_add_refused("", "the answer to part 2 of 8 is empty");
	expect_add_refused(" \r\n", "the answer to part 2 of 8 is empty");
	expect_add_refused("hunter2", "the answer to part 2 of 8 is not a part of a token");
	expect_add_refused(tok3k, "is not a part of a token");
	expect_add_refused("pam_jwt:2/8",
			   "the answer to part 2 of 8: a part's header is malformed");
	/* sshd's password method answers every prompt with the password. */
	expect_add_refused(parts8[1], "the answer to part 2 of 8 is part 1 again");
	expect_add_refused(parts8[3], "the answer to part 2 of 8 is part 3 (out of order)");
	/* Part 2 of a token refreshed since part 1 was sent. */
	assert_true(pj_parts_format(tok2, 3000, 2, N8, other, sizeof(other)) > 0);
	expect_add_refused(other, "belongs to another token than part 1");
	/* The same token split differently. */
	assert_true(pj_parts_format(tok3k, 3000, 2, 9, other, sizeof(other)) > 0);
	expect_add_refused(other, "belongs to another token than part 1");
	char cut[PART_MAX];
	snprintf(cut, sizeof(cut), "%.*s", (int)strlen(parts8[2]) - 1, parts8[2]);
	expect_add_refused(cut, "part 2 of 8 is 374 bytes, 375 expected (cut short");
	free(tok2);
}

/* A part of another token under this token's header: every part's length
 * and header agree, only the hash of the whole tells. */
static void test_splice_refused(void **state)
{
	(void)state;
	char *tok2 = make_token(3000, 7), forged[PART_MAX], other[PART_MAX];
	struct pj_parts p;
	pj_err e;
	assert_true(pj_parts_format(tok2, 3000, 5, N8, other, sizeof(other)) > 0);
	/* This token's header, the other token's chunk. */
	size_t h = (size_t)(strrchr(parts8[5], ':') - parts8[5]) + 1;
	snprintf(forged, sizeof(forged), "%.*s%s", (int)h, parts8[5], strrchr(other, ':') + 1);
	assert_int_equal(pj_parts_begin(&p, parts8[1], strlen(parts8[1]), &e), 0);
	for (unsigned k = 2; k <= N8; k++) {
		const char *a = k == 5 ? forged : parts8[k];
		assert_int_equal(pj_parts_add(&p, a, strlen(a), &e), 0);
	}
	assert_fails_with(pj_parts_finish(&p, &e), e,
			  "the 8 parts do not make up the token part 1 announced");
	assert_fails_with(pj_parts_add(&p, parts8[2], strlen(parts8[2]), &e), e,
			  "no part is expected");
	pj_parts_free(&p);
	free(tok2);
}

/* What a person pastes may carry white space around it. */
static void test_white_space(void **state)
{
	(void)state;
	struct pj_parts p;
	pj_err e;
	char a[PART_MAX + 8];
	snprintf(a, sizeof(a), "  %s\r\n", parts8[1]);
	assert_true(pj_parts_is_part(a, strlen(a)));
	assert_int_equal(pj_parts_begin(&p, a, strlen(a), &e), 0);
	for (unsigned k = 2; k <= N8; k++) {
		snprintf(a, sizeof(a), "\t%s\n", parts8[k]);
		assert_int_equal(pj_parts_add(&p, a, strlen(a), &e), 0);
	}
	assert_int_equal(pj_parts_finish(&p, &e), 0);
	assert_memory_equal(p.buf, tok3k, 3000);
	pj_parts_free(&p);
	/* A framed token of one part is a token too. */
	assert_true(pj_parts_format(tok3k, 3000, 1, 1, a, sizeof(a)) > 0);
	assert_int_equal(pj_parts_begin(&p, a, strlen(a), &e), 0);
	assert_true(pj_parts_complete(&p));
	assert_int_equal(pj_parts_finish(&p, &e), 0);
	pj_parts_free(&p);
	assert_false(pj_parts_is_part("eyJhbGciOiJIUzI1NiJ9.e30.x", 26));
	assert_false(pj_parts_is_part("pam_jwt", 7));
}

static void test_prompt_parse(void **state)
{
	(void)state;
	unsigned k = 0, n = 0;
	char id[PJ_PARTS_ID_LEN + 1];
	assert_int_equal(pj_parts_parse_prompt("JWT part 2 of 5 (0123456789ab): ", &k, &n, id), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 5);
	assert_string_equal(id, "0123456789ab");
	/* The OpenSSH client prefixes keyboard-interactive prompts. */
	assert_int_equal(pj_parts_parse_prompt(
				 "(alice@host) JWT part 64 of 64 (0123456789ab): ", &k, &n, id),
			 0);
	assert_int_equal(k, 64);
	static const char *bad[] = {
		"JWT: ",
		"[sudo] password for alice: ",
		"JWT part 0 of 5 (0123456789ab): ",
		"JWT part 6 of 5 (0123456789ab): ",
		"JWT part 2 of 65 (0123456789ab): ",
		"JWT part 02 of 5 (0123456789ab): ",
		"JWT part 2 of 5 (0123456789AB): ",
		"JWT part 2 of 5 (0123456789a): ",
		"JWT part 2 of 5 0123456789ab: ",
		"JWT part 2 of 5 (0123456789abc): ",
		"JWT part 2 of  5 (0123456789ab): ",
		"JWT part 2 of 5 (",
		"JWT part ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_parts_parse_prompt(bad[i], &k, &n, id) == 0)
			fail_msg("\"%s\" was taken for a part's prompt", bad[i]);
}

int main(void)
{
	const struct CMUnitTest split[] = {
		cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_count),
		cmocka_unit_test(test_id),	     cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_prompt_parse),
	};
	const struct CMUnitTest refuse[] = {
		cmocka_unit_test(test_first_answer_refused),
		cmocka_unit_test(test_later_answer_refused),
		cmocka_unit_test(test_splice_refused),
		cmocka_unit_test(test_white_space),
	};
	int rc = cmocka_run_group_tests_name("parts_split", split, NULL, NULL);
	rc += cmocka_run_group_tests_name("parts_refusals", refuse, parts_setup, parts_teardown);
	return rc ? 1 : 0;
}
