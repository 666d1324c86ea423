/* SPDX-License-Identifier: BSD-3-Clause */
/* QR code encoder, byte mode only (a URL needs nothing else), written from
 * ISO/IEC 18004:2015.  Small rather than fast: one code per login. */
#include "qr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Table 9 of the standard: error correction codewords per block and number
 * of blocks, by level (L, M, Q, H) and version 1-40. */
static const uint8_t ecc_per_block[4][41] = {
	{ 0,  7,  10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
	  28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 },
	{ 0,  10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
	  26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28 },
	{ 0,  13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
	  28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 },
	{ 0,  17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
	  30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30 },
};
static const uint8_t num_blocks[4][41] = {
	{ 0, 1, 1, 1,  1,  1,  2,  2,  2,  2,  4,  4,  4,  4,  4,  6,  6,  6,  6,  7, 8,
	  8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25 },
	{ 0,  1,  1,  1,  2,  2,  4,  4,  4,  5,  5,  5,  8,  9,  9,  10, 10, 11, 13, 14, 16,
	  17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49 },
	{ 0,  1,  1,  2,  2,  4,  4,  6,  6,  8,  8,  8,  10, 12, 16, 12, 17, 16, 18, 21, 20,
	  23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68 },
	{ 0,  1,  1,  2,  4,  4,  4,  5,  6,  8,  8,  11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
	  25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81 },
};

/* Annex E: the row/column coordinates of alignment pattern centres. */
static const uint8_t align_pos[41][8] = {
	{ 0 },
	{ 0 },
	{ 6, 18 },
	{ 6, 22 },
	{ 6, 26 },
	{ 6, 30 },
	{ 6, 34 },
	{ 6, 22, 38 },
	{ 6, 24, 42 },
	{ 6, 26, 46 },
	{ 6, 28, 50 },
	{ 6, 30, 54 },
	{ 6, 32, 58 },
	{ 6, 34, 62 },
	{ 6, 26, 46, 66 },
	{ 6, 26, 48, 70 },
	{ 6, 26, 50, 74 },
	{ 6, 30, 54, 78 },
	{ 6, 30, 56, 82 },
	{ 6, 30, 58, 86 },
	{ 6, 34, 62, 90 },
	{ 6, 28, 50, 72, 94 },
	{ 6, 26, 50, 74, 98 },
	{ 6, 30, 54, 78, 102 },
	{ 6, 28, 54, 80, 106 },
	{ 6, 32, 58, 84, 110 },
	{ 6, 30, 58, 86, 114 },
	{ 6, 34, 62, 90, 118 },
	{ 6, 26, 50, 74, 98, 122 },
	{ 6, 30, 54, 78, 102, 126 },
	{ 6, 26, 52, 78, 104, 130 },
	{ 6, 30, 56, 82, 108, 134 },
	{ 6, 34, 60, 86, 112, 138 },
	{ 6, 30, 58, 86, 114, 142 },
	{ 6, 34, 62, 90, 118, 146 },
	{ 6, 30, 54, 78, 102, 126, 150 },
	{ 6, 24, 50, 76, 102, 128, 154 },
	{ 6, 28, 54, 80, 106, 132, 158 },
	{ 6, 32, 58, 84, 110, 136, 162 },
	{ 6, 26, 54, 82, 110, 138, 166 },
	{ 6, 30, 58, 86, 114, 142, 170 },
};

static int align_count(int v)
{
	int n = 0;
	while (n < 8 && align_pos[v][n])
		n++;
	return n;
}

/* Modules left for data and error correction once the function patterns are
 * placed (finders with separators and format areas, timing, alignment,
 * version information). */
static int raw_modules(int v)
{
	int size = 17 + 4 * v, n = size * size;
	n -= 3 * 64;	      /* finders and separators */
	n -= 2 * 15 + 1;      /* format information, and the dark module */
	n -= 2 * (size - 16); /* timing patterns between the finders */
	int a = align_count(v), na = a ? a * a - 3 : 0;
	n -= na * 25; /* alignment patterns... */
	if (a > 2)    /* ...less what they share with the timing patterns */
		n += 2 * (a - 2) * 5;
	if (v >= 7)
		n -= 2 * 18; /* version information */
	return n;
}

static int data_codewords(int v, enum pj_qr_ecl l)
{
	return raw_modules(v) / 8 - ecc_per_block[l][v] * num_blocks[l][v];
}

/* ---- GF(256) and Reed-Solomon ---- */

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	unsigned r = 0;
	for (int i = 7; i >= 0; i--) {
		r = (r << 1) ^ ((r >> 7) * 0x11d);
		r ^= ((b >> i) & 1u) * a;
	}
	return (uint8_t)r;
}

void pj_qr_rs(const unsigned char *data, size_t n, unsigned char *ecc, size_t necc)
{
	/* The generator polynomial's coefficients, highest degree first
	 * (the leading 1 implied). */
	uint8_t gen[32] = { 0 }, root = 1;
	if (necc > sizeof(gen))
		return;
	gen[necc - 1] = 1;
	for (size_t i = 0; i < necc; i++) {
		for (size_t j = 0; j < necc; j++) {
			gen[j] = gf_mul(gen[j], root);
			if (j + 1 < necc)
				gen[j] ^= gen[j + 1];
		}
		root = gf_mul(root, 2);
	}
	memset(ecc, 0, necc);
	for (size_t i = 0; i < n; i++) {
		uint8_t f = data[i] ^ ecc[0];
		memmove(ecc, ecc + 1, necc - 1);
		ecc[necc - 1] = 0;
		for (size_t j = 0; j < necc; j++)
			ecc[j] ^= gf_mul(gen[j], f);
	}
}

/* ---- the matrix ---- */

struct grid {
	struct pj_qr *qr;
	unsigned char func[PJ_QR_MAX_SIZE][PJ_QR_MAX_SIZE]; /* function module: not data */
};

static void set_func(struct grid *g, int r, int c, int dark)
{
	g->qr->dark[r][c] = (unsigned char)(dark != 0);
	g->func[r][c] = 1;
}

static void finder(struct grid *g, int r0, int c0)
{
	int size = g->qr->size;
	for (int dr = -4; dr <= 4; dr++)
		for (int dc = -4; dc <= 4; dc++) {
			int r = r0 + dr, c = c0 + dc;
			if (r < 0 || r >= size || c < 0 || c >= size)
				continue;
			int d = dr < 0 ? -dr : dr, e = dc < 0 ? -dc : dc, m = d > e ? d : e;
			set_func(g, r, c, m != 2 && m != 4); /* rings 0-1 and 3 dark */
		}
}

static void alignment(struct grid *g, int r0, int c0)
{
	for (int dr = -2; dr <= 2; dr++)
		for (int dc = -2; dc <= 2; dc++) {
			int d = dr < 0 ? -dr : dr, e = dc < 0 ? -dc : dc, m = d > e ? d : e;
			set_func(g, r0 + dr, c0 + dc, m != 1);
		}
}

/* BCH remainder of value << (degree of poly) by poly. */
static unsigned bch(unsigned value, unsigned poly, int deg)
{
	unsigned r = value << deg;
	for (int i = 31; i >= deg; i--)
		if (r & (1u << i))
			r ^= poly << (i - deg);
	return r;
}

static void format_bits(struct grid *g, int mask)
{
	static const unsigned ecl_bits[4] = { 1, 0, 3, 2 }; /* L M Q H */
	unsigned data = ecl_bits[g->qr->ecl] << 3 | (unsigned)mask;
	unsigned bits = ((data << 10) | bch(data, 0x537, 10)) ^ 0x5412;
	int size = g->qr->size;
	/* Bit 14 (the most significant) first, around the top-left finder... */
	for (int i = 0; i < 15; i++) {
		int b = (bits >> (14 - i)) & 1;
		int r, c;
		if (i < 7) /* row 8, columns 0-5, 7, 8 */
			r = 8, c = i < 6 ? i : i + 1;
		else /* column 8, rows 7, 5-0 */
			c = 8, r = i == 7 ? 8 : (i == 8 ? 7 : 14 - i);
		set_func(g, r, c, b);
		/* ...and again beside the other two. */
		if (i < 7)
			set_func(g, size - 1 - i, 8, b);
		else
			set_func(g, 8, size - 15 + i, b);
	}
	set_func(g, size - 8, 8, 1); /* the dark module */
}

static void version_bits(struct grid *g)
{
	int v = g->qr->version, size = g->qr->size;
	if (v < 7)
		return;
	unsigned bits = (unsigned)v << 12 | bch((unsigned)v, 0x1f25, 12);
	for (int i = 0; i < 18; i++) {
		int b = (bits >> i) & 1, a = size - 11 + i % 3, c = i / 3;
		set_func(g, c, a, b); /* top right: 6 rows x 3 columns */
		set_func(g, a, c, b); /* bottom left: 3 rows x 6 columns */
	}
}

static void function_patterns(struct grid *g)
{
	int size = g->qr->size, v = g->qr->version, na = align_count(v);
	for (int i = 0; i < size; i++) {
		set_func(g, 6, i, i % 2 == 0);
		set_func(g, i, 6, i % 2 == 0);
	}
	finder(g, 3, 3);
	finder(g, 3, size - 4);
	finder(g, size - 4, 3);
	for (int i = 0; i < na; i++)
		for (int j = 0; j < na; j++) {
			if ((i == 0 && j == 0) || (i == 0 && j == na - 1) ||
			    (i == na - 1 && j == 0))
				continue; /* under a finder */
			alignment(g, align_pos[v][i], align_pos[v][j]);
		}
	format_bits(g, 0); /* reserves the areas; drawn for real after masking */
	version_bits(g);
}

/* Data bits in the two-column zigzag from the bottom right corner, skipping
 * the vertical timing pattern. */
static void place_data(struct grid *g, const uint8_t *cw, size_t ncw)
{
	int size = g->qr->size;
	size_t bit = 0, nbits = ncw * 8;
	int upward = 1;
	for (int right = size - 1; right >= 1; right -= 2) {
		if (right == 6)
			right = 5;
		for (int k = 0; k < size; k++) {
			int r = upward ? size - 1 - k : k;
			for (int j = 0; j < 2; j++) {
				int c = right - j;
				if (g->func[r][c])
					continue;
				int b = 0; /* remainder bits are light */
				if (bit < nbits)
					b = (cw[bit / 8] >> (7 - bit % 8)) & 1;
				bit++;
				g->qr->dark[r][c] = (unsigned char)b;
			}
		}
		upward = !upward;
	}
}

static int mask_bit(int mask, int r, int c)
{
	switch (mask) {
	case 0:
		return (r + c) % 2 == 0;
	case 1:
		return r % 2 == 0;
	case 2:
		return c % 3 == 0;
	case 3:
		return (r + c) % 3 == 0;
	case 4:
		return (r / 2 + c / 3) % 2 == 0;
	case 5:
		return (r * c) % 2 + (r * c) % 3 == 0;
	case 6:
		return ((r * c) % 2 + (r * c) % 3) % 2 == 0;
	default:
		return ((r + c) % 2 + (r * c) % 3) % 2 == 0;
	}
}

static void apply_mask(struct grid *g, int mask)
{
	int size = g->qr->size;
	for (int r = 0; r < size; r++)
		for (int c = 0; c < size; c++)
			if (!g->func[r][c] && mask_bit(mask, r, c))
				g->qr->dark[r][c] ^= 1;
}

/* The module at (r, c) of a row (horizontal) or column; light outside. */
static int at(const struct pj_qr *qr, int line, int i, int horizontal)
{
	if (i < 0 || i >= qr->size)
		return 0;
	return horizontal ? qr->dark[line][i] : qr->dark[i][line];
}

/* Section 7.8.3: runs of five or more, 2x2 blocks, finder-like patterns
 * with four light modules beside them, and the balance of dark and light. */
static long penalty(const struct pj_qr *qr)
{
	static const int pat[11] = { 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0 };
	int size = qr->size;
	long p = 0, dark = 0;
	for (int hz = 0; hz < 2; hz++)
		for (int line = 0; line < size; line++) {
			int run = 0, prev = -1;
			for (int i = 0; i < size; i++) {
				int m = at(qr, line, i, hz);
				if (m == prev) {
					run++;
				} else {
					if (run >= 5)
						p += 3 + run - 5;
					run = 1;
					prev = m;
				}
			}
			if (run >= 5)
				p += 3 + run - 5;
			for (int i = -4; i < size; i++) {
				int fwd = 1, back = 1;
				for (int k = 0; k < 11; k++) {
					fwd &= at(qr, line, i + k, hz) == pat[k];
					back &= at(qr, line, i + k, hz) == pat[10 - k];
				}
				p += 40 * (fwd + back);
			}
		}
	for (int r = 0; r < size; r++)
		for (int c = 0; c < size; c++) {
			dark += qr->dark[r][c];
			if (r + 1 < size && c + 1 < size) {
				int m = qr->dark[r][c];
				if (qr->dark[r][c + 1] == m && qr->dark[r + 1][c] == m &&
				    qr->dark[r + 1][c + 1] == m)
					p += 3;
			}
		}
	long total = (long)size * size, pct = dark * 100 / total;
	p += 10 * ((pct > 50 ? pct - 50 : 50 - pct) / 5);
	return p;
}

size_t pj_qr_capacity(int version, enum pj_qr_ecl ecl)
{
	if (version < 1 || version > 40 || (unsigned)ecl > PJ_QR_H)
		return 0;
	/* Mode indicator and character count, then 8 bits a byte. */
	size_t n = ((size_t)data_codewords(version, ecl) * 8 - 4 - (version < 10 ? 8 : 16)) / 8;
	return version < 10 && n > 255 ? 255 : n;
}

int pj_qr_encode(const unsigned char *data, size_t n, enum pj_qr_ecl ecl, int min_version,
		 struct pj_qr *qr, pj_err *e)
{
	int v;
	if ((unsigned)ecl > PJ_QR_H)
		return pj_fail(e, "QR code: bad error correction level");
	for (v = min_version < 1 ? 1 : min_version; v <= 40; v++)
		if (n <= pj_qr_capacity(v, ecl))
			break;
	if (v > 40)
		return pj_fail(e, "QR code: %zu bytes do not fit in version 40", n);
	memset(qr, 0, sizeof(*qr));
	qr->version = v;
	qr->size = 17 + 4 * v;
	qr->ecl = ecl;

	/* The data codewords: mode 0100, count, bytes, terminator, padding. */
	int ndata = data_codewords(v, ecl), total = raw_modules(v) / 8;
	uint8_t cw[3706] = { 0 }, out[3706];
	size_t bit = 0;
#define PUT(val, nb)                                                                               \
	for (int k_ = (nb)-1; k_ >= 0; k_--, bit++)                                                \
		if (((val) >> k_) & 1)                                                             \
			cw[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	PUT(4u, 4);
	PUT((unsigned)n, v < 10 ? 8 : 16);
	for (size_t i = 0; i < n; i++)
		PUT(data[i], 8);
#undef PUT
	bit += 4; /* terminator (fits or is cut: the capacity check allows it) */
	size_t used = (bit + 7) / 8;
	if (used > (size_t)ndata)
		used = (size_t)ndata;
	for (size_t i = used, k = 0; i < (size_t)ndata; i++, k++)
		cw[i] = k % 2 ? 0x11 : 0xec;

	/* Blocks: the short ones first, each long one a data codeword more;
	 * codewords interleaved block by block. */
	int nb = num_blocks[ecl][v], necc = ecc_per_block[ecl][v];
	int nlong = total % nb, nshort = nb - nlong, slen = total / nb - necc;
	uint8_t ecc[81][30];
	size_t off = 0;
	for (int b = 0; b < nb; b++) {
		int len = slen + (b >= nshort);
		pj_qr_rs(cw + off, (size_t)len, ecc[b], (size_t)necc);
		off += (size_t)len;
	}
	size_t o = 0;
	for (int i = 0; i <= slen; i++) {
		off = 0;
		for (int b = 0; b < nb; b++) {
			int len = slen + (b >= nshort);
			if (i < len)
				out[o++] = cw[off + (size_t)i];
			off += (size_t)len;
		}
	}
	for (int i = 0; i < necc; i++)
		for (int b = 0; b < nb; b++)
			out[o++] = ecc[b][i];

	struct grid *g = calloc(1, sizeof(*g));
	if (!g)
		return pj_fail(e, "out of memory");
	g->qr = qr;
	function_patterns(g);
	place_data(g, out, o);
	long best = -1;
	for (int m = 0; m < 8; m++) {
		apply_mask(g, m);
		format_bits(g, m);
		long p = penalty(qr);
		if (best < 0 || p < best) {
			best = p;
			qr->mask = m;
		}
		apply_mask(g, m); /* undo: XOR twice */
	}
	apply_mask(g, qr->mask);
	format_bits(g, qr->mask);
	free(g);
	return 0;
}

int pj_qr_print_terminal(const struct pj_qr *qr, int quiet, FILE *out)
{
	/* Upper half block, lower half block, full block, in black on white. */
	static const char *const glyph[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88" };
	int n = qr->size + 2 * quiet;
	for (int r = 0; r < n; r += 2) {
		fputs("\033[30;107m", out);
		for (int c = 0; c < n; c++) {
			int top = 0, bottom = 0, mr = r - quiet, mc = c - quiet;
			if (mc >= 0 && mc < qr->size) {
				if (mr >= 0 && mr < qr->size)
					top = qr->dark[mr][mc];
				if (mr + 1 >= 0 && mr + 1 < qr->size)
					bottom = qr->dark[mr + 1][mc];
			}
			fputs(glyph[top * 2 + bottom], out);
		}
		fputs("\033[0m\n", out);
	}
	return n;
}

int pj_qr_write_pbm(const struct pj_qr *qr, int quiet, int scale, FILE *out)
{
	int n = (qr->size + 2 * quiet) * scale;
	fprintf(out, "P1\n%d %d\n", n, n);
	for (int y = 0; y < n; y++) {
		for (int x = 0; x < n; x++) {
			int r = y / scale - quiet, c = x / scale - quiet;
			int d = r >= 0 && r < qr->size && c >= 0 && c < qr->size && qr->dark[r][c];
			fputc(d ? '1' : '0', out);
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
