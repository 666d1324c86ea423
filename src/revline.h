/* SPDX-License-Identifier: BSD-3-Clause */
/* The text format of revocation, allowlist and one-time lists, one entry a
 * line (what administrators write, import and export):
 *
 *   jti ID [EXP]     the token with this id (or sha256:HEX) is void
 *   user NAME TIME   tokens for NAME with iat before TIME are void
 *   all TIME         every token with iat before TIME is void
 *   # comment, blank lines
 *
 * Shared by the text-list scan, the store's journal (whose records are these
 * lines with an operation and a check value) and the tool. */
#ifndef PJ_REVLINE_H
#define PJ_REVLINE_H

#include <stddef.h>

#include "err.h"

#define PJ_NAME_MAX 1024
#define PJ_TIME_MAX 999999999999999999ll /* 18 digits */
/* Any line, comments included, fits a reader's buffer. */
#define PJ_LINE_LIMIT 65536

enum pj_rev_kind { PJ_REV_COMMENT, PJ_REV_ALL, PJ_REV_USER, PJ_REV_JTI };

struct pj_rline {
	enum pj_rev_kind kind;
	const char *key; /* user name or jti; NULL for all and comments */
	size_t keylen;
	long long time; /* -1: a jti line without EXP */
};

/* A name fit for a line: printable ASCII, no spaces, 1..PJ_NAME_MAX bytes,
 * not starting with '#'. */
int pj_name_valid(const char *s, size_t n);

/* One line (without its newline; a trailing CR is allowed), strictly. */
int pj_rline_parse(const char *p, size_t n, struct pj_rline *l, pj_err *e);

/* 1..18 decimal digits. */
int pj_time_parse(const char *p, size_t n, long long *out);

/* Byte order of names, the order of every sorted list (memcmp, then the
 * shorter first). */
int pj_key_cmp(const char *a, size_t an, const char *b, size_t bn);

/* A jti line without EXP is never pruned: it outranks any EXP. */
long long pj_later(long long a, long long b);

#endif
