/* SPDX-License-Identifier: BSD-3-Clause */
/* A token too long for one answer, sent in parts: the wire format, the split
 * rule, the prompts, and the module's assembly.  One owner of the format for
 * the module, pam_jwt-askpass and the fuzzer (man pam_jwt(8), "TOKENS IN
 * PARTS", is its description):
 *
 *   part    = "pam_jwt:" K "/" N ":" LEN ":" ID ":" CHUNK
 *   prompt  = "JWT part " K " of " N " (" ID "): "
 *
 * K (1..N), N (1..PJ_PARTS_MAX) and LEN (1..PJ_MAX_TOKEN) are decimal without
 * leading zeros; ID is the first PJ_PARTS_ID_LEN hex digits (lower case) of
 * the SHA-256 of the whole token; CHUNK is bytes [(K-1)*LEN/N, K*LEN/N) of the
 * token (integer division), so every part's length is fixed by LEN and N. */
#ifndef PJ_PARTS_H
#define PJ_PARTS_H

#include <stddef.h>

#include "err.h"

#define PJ_PARTS_TAG	"pam_jwt:"
#define PJ_PARTS_MAX	64 /* 16 KiB in answers of 511 bytes needs 35 */
#define PJ_PARTS_ID_LEN 12
/* The longest header: "pam_jwt:64/64:16384:" + ID + ":". */
#define PJ_PARTS_HEADER_MAX (sizeof(PJ_PARTS_TAG) - 1 + 2 + 1 + 2 + 1 + 5 + 1 + PJ_PARTS_ID_LEN + 1)
#define PJ_PARTS_PROMPT_MAX 64

/* One assembly, on the caller's stack: no state outside it. */
struct pj_parts {
	unsigned n;    /* parts announced by part 1 */
	unsigned have; /* parts received and checked */
	size_t len;    /* the token's length, announced by part 1 */
	size_t got;    /* bytes of the token received */
	char id[PJ_PARTS_ID_LEN + 1];
	char *buf; /* len + 1 bytes, the token as it is joined; wiped by pj_parts_free */
};

/* Is this answer (surrounding white space aside) a part, i.e. does it start
 * with PJ_PARTS_TAG?  Neither a JWT nor a password plausibly does. */
int pj_parts_is_part(const char *s, size_t n);

/* Starts an assembly with the first answer, which must be part 1: 0, or -1
 * with the reason (nothing of the answer is quoted).  p needs pj_parts_free
 * in both cases. */
int pj_parts_begin(struct pj_parts *p, const char *answer, size_t n, pj_err *e);
/* All parts received? */
int pj_parts_complete(const struct pj_parts *p);
/* The prompt that asks for the next part. */
void pj_parts_prompt(const struct pj_parts *p, char *buf, size_t bufn);
/* Adds the answer to that prompt: 0, or -1 with the reason. */
int pj_parts_add(struct pj_parts *p, const char *answer, size_t n, pj_err *e);
/* After the last part: 0 when the joined text is the token part 1 announced
 * (its length and ID); it is then p->buf, p->len bytes, NUL-terminated. */
int pj_parts_finish(struct pj_parts *p, pj_err *e);
/* Wipes and frees what the assembly holds. */
void pj_parts_free(struct pj_parts *p);

/* ---- the client side (pam_jwt-askpass) ---- */

/* The ID of a token (PJ_PARTS_ID_LEN hex digits and a NUL): 0, or -1 when
 * the hash cannot be computed. */
int pj_parts_id(const char *tok, size_t len, char id[PJ_PARTS_ID_LEN + 1]);
/* How many answers of at most max bytes a token of len bytes takes: 1 when
 * it fits in one (sent as it is, without a header), else the smallest N whose
 * parts all fit; 0 when it is longer than PJ_MAX_TOKEN or would need more
 * than PJ_PARTS_MAX parts. */
unsigned pj_parts_count(size_t len, size_t max);
/* Part k of n of the token into out (outn bytes, NUL-terminated): its length,
 * or -1 when k, n or len are out of bounds or out is too small. */
long pj_parts_format(const char *tok, size_t len, unsigned k, unsigned n, char *out, size_t outn);
/* Finds the module's prompt for a part in text (an application may add to
 * it: the OpenSSH client puts "(user@host) " before it): 0 with k, n and id
 * set, -1 when there is none. */
int pj_parts_parse_prompt(const char *text, unsigned *k, unsigned *n, char id[PJ_PARTS_ID_LEN + 1]);

#endif
