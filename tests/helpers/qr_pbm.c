/* SPDX-License-Identifier: BSD-3-Clause */
/* qr_pbm LEVEL VERSION FILE.pbm [TEXT]: encodes TEXT (default: as many bytes
 * as VERSION holds at LEVEL, L M Q or H) with src/client/qr.c in exactly that
 * version, writes a PBM for an independent decoder (zbarimg) and prints the
 * version, the mask and the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/qr.h"

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	enum pj_qr_ecl l = (enum pj_qr_ecl)(strchr("LMQH", argv[1][0]) - "LMQH");
	int v = atoi(argv[2]);
	static char text[3000];
	struct pj_qr *qr = malloc(sizeof(*qr));
	pj_err e;
	if (argc > 4) {
		snprintf(text, sizeof(text), "%s", argv[4]);
	} else {
		/* The longest text this version holds: printable, varied. */
		size_t n = pj_qr_capacity(v, l);
		for (size_t i = 0; i < n; i++)
			text[i] = (char)('!' + (i * 7 + i / 94) % 94);
		text[n] = 0;
	}
	if (pj_qr_encode((unsigned char *)text, strlen(text), l, v, qr, &e) != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	FILE *f = fopen(argv[3], "w");
	if (!f || pj_qr_write_pbm(qr, 4, 2, f) != 0 || fclose(f) != 0)
		return 1;
	printf("%d %d %s\n", qr->version, qr->mask, text);
	free(qr);
	return 0;
}
