/* SPDX-License-Identifier: BSD-3-Clause */
/* src/client/qr.c against the standard's published figures: the
 * Reed-Solomon example of ISO/IEC 18004 Annex I, the byte-mode capacities of
 * its Table 7, the version information of Annex D, and the structure every
 * code must have.  tests/integration/client_qr.sh decodes codes of every
 * version with zbarimg, a reader that is not ours. */
#include "unit.h"

#include "client/qr.h"

/* Annex I: "01234567" as 1-M: its 16 data codewords and 10 EC codewords. */
static void test_rs_annex_i(void **state)
{
	(void)state;
	static const unsigned char data[16] = { 0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11,
						0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11 };
	static const unsigned char want[10] = { 0xa5, 0x24, 0xd4, 0xc1, 0xed,
						0x36, 0xc7, 0x87, 0x2c, 0x55 };
	unsigned char ecc[10];
	pj_qr_rs(data, sizeof(data), ecc, sizeof(ecc));
	assert_memory_equal(ecc, want, sizeof(want));
}

static void test_capacity_table_7(void **state)
{
	(void)state;
	/* Bytes in byte mode, by version and level L, M, Q, H. */
	static const int cap[][5] = {
		{ 1, 17, 14, 11, 7 },	    { 2, 32, 26, 20, 14 },
		{ 3, 53, 42, 32, 24 },	    { 4, 78, 62, 46, 34 },
		{ 5, 106, 84, 60, 44 },	    { 6, 134, 106, 74, 58 },
		{ 7, 154, 122, 86, 64 },    { 8, 192, 152, 108, 84 },
		{ 9, 230, 180, 130, 98 },   { 10, 271, 213, 151, 119 },
		{ 20, 858, 666, 482, 382 }, { 40, 2953, 2331, 1663, 1273 },
	};
	for (size_t i = 0; i < sizeof(cap) / sizeof(cap[0]); i++)
		for (int l = 0; l < 4; l++)
			if ((int)pj_qr_capacity(cap[i][0], (enum pj_qr_ecl)l) != cap[i][l + 1])
				fail_msg("version %d level %d: %zu, not %d", cap[i][0], l,
					 pj_qr_capacity(cap[i][0], (enum pj_qr_ecl)l),
					 cap[i][l + 1]);
	assert_int_equal(pj_qr_capacity(0, PJ_QR_M), 0);
	assert_int_equal(pj_qr_capacity(41, PJ_QR_M), 0);
}

/* The format information read back from both of its places. */
static unsigned format_at(const struct pj_qr *q, int second)
{
	unsigned v = 0;
	int n = q->size;
	for (int i = 0; i < 15; i++) {
		int r, c;
		if (!second) {
			if (i < 7)
				r = 8, c = i < 6 ? i : i + 1;
			else
				c = 8, r = i == 7 ? 8 : (i == 8 ? 7 : 14 - i);
		} else {
			if (i < 7)
				r = n - 1 - i, c = 8;
			else
				r = 8, c = n - 15 + i;
		}
		v = v << 1 | q->dark[r][c];
	}
	return v;
}

static void test_structure(void **state)
{
	(void)state;
	static struct pj_qr q;
	pj_err e;
	const char *url = "https://idp.example.com/realms/ops/device?user_code=WDJB-MJHT";
	assert_int_equal(pj_qr_encode((const unsigned char *)url, strlen(url), PJ_QR_M, 1, &q, &e),
			 0);
	assert_int_equal(q.version, 4); /* 62 bytes: 4-M holds 62 */
	assert_int_equal(q.size, 33);
	/* Finders: a dark 7x7 ring around a 3x3 core, light separators. */
	const int corner[3][2] = { { 0, 0 }, { 0, 26 }, { 26, 0 } };
	for (int k = 0; k < 3; k++)
		for (int r = 0; r < 7; r++)
			for (int c = 0; c < 7; c++) {
				int ring = r == 0 || r == 6 || c == 0 || c == 6;
				int core = r >= 2 && r <= 4 && c >= 2 && c <= 4;
				assert_int_equal(q.dark[corner[k][0] + r][corner[k][1] + c],
						 ring || core);
			}
	for (int i = 0; i < 8; i++)
		assert_int_equal(q.dark[7][i] | q.dark[i][7], 0);
	/* Timing patterns alternate; the dark module is dark. */
	for (int i = 8; i < q.size - 8; i++)
		assert_int_equal(q.dark[6][i], i % 2 == 0),
			assert_int_equal(q.dark[i][6], i % 2 == 0);
	assert_int_equal(q.dark[q.size - 8][8], 1);
	/* Both copies of the format information agree, name level M and the
	 * mask chosen, and are a BCH(15,5) code word. */
	unsigned f = format_at(&q, 0);
	assert_int_equal(f, format_at(&q, 1));
	unsigned d = (f ^ 0x5412) >> 10;
	assert_int_equal(d >> 3, 0); /* M is 00 */
	assert_int_equal(d & 7, (unsigned)q.mask);
	unsigned r = (f ^ 0x5412);
	for (int i = 14; i >= 10; i--)
		if (r & (1u << i))
			r ^= 0x537u << (i - 10);
	assert_int_equal(r, 0);
}

/* Annex D: version 7's information is 000111 110010010100 (0x07C94),
 * bottom left as 6 columns of 3 bits, least significant first. */
static void test_version_information(void **state)
{
	(void)state;
	static struct pj_qr q;
	pj_err e;
	unsigned char data[100];
	memset(data, 'x', sizeof(data));
	assert_int_equal(pj_qr_encode(data, sizeof(data), PJ_QR_M, 7, &q, &e), 0);
	assert_int_equal(q.version, 7);
	unsigned bl = 0, tr = 0;
	for (int i = 17; i >= 0; i--) {
		bl = bl << 1 | q.dark[q.size - 11 + i % 3][i / 3];
		tr = tr << 1 | q.dark[i / 3][q.size - 11 + i % 3];
	}
	assert_int_equal(bl, 0x07c94);
	assert_int_equal(tr, 0x07c94);
}

static void test_limits_and_rendering(void **state)
{
	(void)state;
	static struct pj_qr q;
	static unsigned char big[2954];
	pj_err e;
	memset(big, 'a', sizeof(big));
	assert_int_equal(pj_qr_encode(big, 2953, PJ_QR_L, 1, &q, &e), 0);
	assert_int_equal(q.version, 40);
	assert_fails_with(pj_qr_encode(big, 2954, PJ_QR_L, 1, &q, &e), e,
			  "2954 bytes do not fit in version 40");
	assert_fails_with(pj_qr_encode(big, 10, (enum pj_qr_ecl)7, 1, &q, &e), e, "level");
	/* 255 bytes is the most versions 1-9 can count; 256 needs version 10. */
	assert_int_equal(pj_qr_encode(big, 256, PJ_QR_L, 1, &q, &e), 0);
	assert_int_equal(q.version, 10);
	/* The terminal: one line per two rows, black on white, reset after. */
	assert_int_equal(pj_qr_encode((const unsigned char *)"hello", 5, PJ_QR_M, 1, &q, &e), 0);
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_int_equal(pj_qr_print_terminal(&q, 4, f), 29);
	fclose(f);
	int lines = 0;
	for (char *l = out; (l = strstr(l, "\033[30;107m")); l++)
		lines++;
	assert_int_equal(lines, 15); /* (21 + 8 + 1) / 2 */
	assert_non_null(strstr(out, "\033[0m\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_rs_annex_i),
		cmocka_unit_test(test_capacity_table_7),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_version_information),
		cmocka_unit_test(test_limits_and_rendering),
	};
	return cmocka_run_group_tests_name("client_qr", t, NULL, NULL);
}
