/* The pipeline, one call for the module and the tool. */
#ifndef PJ_VERIFY_H
#define PJ_VERIFY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

struct pj_config;

enum pj_stage {
	PJ_STAGE_NOT_TOKEN, /* input not shaped like a JWT: never logged */
	PJ_STAGE_PARSE,     /* shaped like one but broken: maybe truncated */
	PJ_STAGE_SIGNATURE, /* no key verified it */
	PJ_STAGE_CLAIMS,    /* signature good, claims refused */
	PJ_STAGE_REVOKED,   /* revoked, not allowlisted, or a one-time token reused */
	PJ_STAGE_OK
};

struct pj_result {
	enum pj_stage stage;
	pj_err reason;
	json_t *header; /* set when decoded (verified or not) */
	json_t *claims;
	int verified; /* the signature checked out */
};

/* 0 and stage PJ_STAGE_OK only for a fully verified token for user (user NULL:
 * no binding).  The result must be freed with pj_result_free. */
int pj_verify(const struct pj_config *cfg, const char *token, size_t n, const char *user,
	      time_t now, struct pj_result *r);
void pj_result_free(struct pj_result *r);

#endif
