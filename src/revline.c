/* SPDX-License-Identifier: BSD-3-Clause */
#include "revline.h"

#include <stdint.h>
#include <string.h>

int pj_name_valid(const char *s, size_t n)
{
	/* A leading '#' would read back as a comment. */
	if (n == 0 || n > PJ_NAME_MAX || s[0] == '#')
		return 0;
	/* Every byte in 0x21..0x7e, eight at a time (a million names in a
	 * batch, a store validated whole). */
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w, x;
		memcpy(&w, s + i, 8);
		x = w ^ (0x7f * ones);
		/* Bytes are below 0x80 once the first test passes, so the
		 * subtractions borrow only where a byte is below 0x21 or 0. */
		if ((w & high) || ((w - 0x21 * ones) & ~w & high) || ((x - ones) & ~x & high))
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] - 0x21u > 0x7eu - 0x21u)
			return 0;
	return 1;
}

int pj_time_parse(const char *p, size_t n, long long *out)
{
	long long v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Splits at spaces and tabs into at most 4 fields (a 4th means too many). */
static size_t split(const char *p, size_t n, const char *f[4], size_t fl[4])
{
	size_t k = 0, i = 0;
	while (i < n && k < 4) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		f[k] = p + i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		fl[k] = (size_t)(p + i - f[k]);
		k++;
	}
	return k;
}

int pj_rline_parse(const char *p, size_t n, struct pj_rline *l, pj_err *e)
{
	const char *f[4];
	size_t fl[4];
	if (n && p[n - 1] == '\r')
		n--;
	memset(l, 0, sizeof(*l));
	l->time = -1;
	if (n >= PJ_LINE_LIMIT)
		return pj_fail(e, "line longer than %d bytes", PJ_LINE_LIMIT - 1);
	/* Before the comment rule: the tool could not write a NUL back. */
	if (memchr(p, 0, n))
		return pj_fail(e, "NUL byte");
	size_t k = split(p, n, f, fl);
	if (k == 0 || f[0][0] == '#') {
		l->kind = PJ_REV_COMMENT;
		return 0;
	}
	if (fl[0] == 3 && memcmp(f[0], "all", 3) == 0) {
		l->kind = PJ_REV_ALL;
		if (k != 2 || pj_time_parse(f[1], fl[1], &l->time) != 0)
			return pj_fail(e, "expected \"all TIME\" (seconds since the epoch)");
		return 0;
	}
	if (fl[0] == 4 && memcmp(f[0], "user", 4) == 0) {
		l->kind = PJ_REV_USER;
		if (k != 3 || !pj_name_valid(f[1], fl[1]) ||
		    pj_time_parse(f[2], fl[2], &l->time) != 0)
			return pj_fail(e, "expected \"user NAME TIME\"");
	} else if (fl[0] == 3 && memcmp(f[0], "jti", 3) == 0) {
		l->kind = PJ_REV_JTI;
		if (k < 2 || k > 3 || !pj_name_valid(f[1], fl[1]) ||
		    (k == 3 && pj_time_parse(f[2], fl[2], &l->time) != 0))
			return pj_fail(e, "expected \"jti ID [EXP]\"");
	} else {
		return pj_fail(e, "unknown entry (expected jti, user, all or a # comment)");
	}
	l->key = f[1];
	l->keylen = fl[1];
	return 0;
}

int pj_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

long long pj_later(long long a, long long b)
{
	if (a < 0 || b < 0)
		return -1;
	return a > b ? a : b;
}
