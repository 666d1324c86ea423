/* SPDX-License-Identifier: BSD-3-Clause */
/* A QR code encoder (ISO/IEC 18004): byte mode, versions 1-40, the four error
 * correction levels, the mask with the lowest penalty.  For the device flow's
 * verification URI, drawn in the terminal so a phone can open it. */
#ifndef PJ_CLIENT_QR_H
#define PJ_CLIENT_QR_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define PJ_QR_MAX_SIZE 177 /* version 40: 17 + 4 * 40 modules a side */

enum pj_qr_ecl { PJ_QR_L, PJ_QR_M, PJ_QR_Q, PJ_QR_H };

struct pj_qr {
	int version; /* 1-40 */
	int size;    /* modules a side */
	int mask;    /* 0-7 */
	enum pj_qr_ecl ecl;
	unsigned char dark[PJ_QR_MAX_SIZE][PJ_QR_MAX_SIZE]; /* [row][column], 1 = dark */
};

/* The most bytes a version holds at a level (0 for a bad version). */
size_t pj_qr_capacity(int version, enum pj_qr_ecl ecl);

/* Encodes n bytes in the smallest version (at least min_version) that holds
 * them at level ecl.  Fails when even version 40 cannot. */
int pj_qr_encode(const unsigned char *data, size_t n, enum pj_qr_ecl ecl, int min_version,
		 struct pj_qr *qr, pj_err *e);

/* Reed-Solomon error correction codewords (GF(256), x^8+x^4+x^3+x^2+1, the
 * generator with roots 2^0..2^(necc-1)) of data, into ecc. */
void pj_qr_rs(const unsigned char *data, size_t n, unsigned char *ecc, size_t necc);

/* Draws the code with Unicode half blocks, two rows of modules a line, black
 * on white whatever the terminal's colours (ANSI SGR), with a quiet zone of
 * `quiet` modules.  Returns the columns it takes. */
int pj_qr_print_terminal(const struct pj_qr *qr, int quiet, FILE *out);

/* A plain PBM image (P1), scale pixels a module, for decoders in the tests. */
int pj_qr_write_pbm(const struct pj_qr *qr, int quiet, int scale, FILE *out);

#endif
