/* SPDX-License-Identifier: BSD-3-Clause */
/* A refusal reason, written once where the rule lives and carried up unchanged. */
#ifndef PJ_ERR_H
#define PJ_ERR_H

#include <stddef.h>

#define PJ_ERR_MAX 256

typedef struct pj_err {
	char msg[PJ_ERR_MAX];
} pj_err;

/* Formats the reason into e (if non-NULL) and returns -1, so callers can write
 * `return pj_fail(e, "...")`. */
int pj_fail(pj_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
