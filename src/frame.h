/* SPDX-License-Identifier: BSD-3-Clause */
/* The answer of the fetch helper (src/fetchhelper/, pam_jwt-fetch), read back
 * by the module from a pipe.  An internal protocol between two programs of
 * the same build: it may change with any release.
 *
 *   "PJF1"                               magic
 *   records: TAG (1 byte), LENGTH (4 bytes, big-endian), LENGTH bytes
 *     's'  the HTTP status: 4 bytes, big-endian, 200 or 304   } exactly
 *     'f'  no answer: why (the failure), text                  } one of these
 *     'a'  Cache-Control max-age: 4 bytes, big-endian seconds  (with 's')
 *     'e'  the ETag, 1..PJ_ETAG_MAX bytes of visible ASCII    (with 's')
 *     'b'  the body, 1..body_max bytes                         (with 's' 200 only,
 *                                                              and then required)
 *     'l'  a status list's bit string, inflated from the body's "lst" by the
 *          helper: 1..PJ_STATUS_LIST_MAX bytes               (with 'b' only)
 *     'w'  the helper stored it in cache_dir: empty            } at most one,
 *     'n'  why it did not: text                                } with 's'
 *     'z'  the end: empty, last; nothing may follow
 *   each tag at most once, in any order; text is 1..PJ_ERR_MAX-1 bytes of
 *   printable ASCII.  Anything else is not an answer.
 *
 * The parser is fuzzed (tests/fuzz/fuzz_frame.c): whatever arrives on the
 * pipe, the module takes only what these rules allow. */
#ifndef PJ_FRAME_H
#define PJ_FRAME_H

#include <stddef.h>

#include "document.h"
#include "err.h"

#define PJ_ETAG_MAX 256
/* Everything but the body. */
#define PJ_FRAME_OVERHEAD (4 + 9 * 5 + 4 + 4 + PJ_ETAG_MAX + 2 * PJ_ERR_MAX)

struct pj_frame {
	long status; /* 200 or 304; 0: no answer (failure says why) */
	char failure[PJ_ERR_MAX];
	long max_age; /* -1: none sent */
	char etag[PJ_ETAG_MAX + 1];
	int stored; /* the helper wrote the cache */
	char note[PJ_ERR_MAX];
	const char *body; /* into the parsed buffer; NULL without one */
	size_t body_n;
	const unsigned char *list; /* likewise: an inflated status list, or NULL */
	size_t list_n;
};

/* Parses n bytes; body_max bounds the body.  0 with f filled, or -1 with e
 * saying what is wrong. */
int pj_frame_parse(const unsigned char *p, size_t n, size_t body_max, struct pj_frame *f,
		   pj_err *e);

/* Writes f as a frame to fd (the helper's stdout).  Text that would not parse
 * (too long, not printable) is cut and escaped first. */
int pj_frame_write(int fd, const struct pj_frame *f);

#endif
