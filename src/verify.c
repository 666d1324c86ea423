#include "verify.h"

#include <string.h>

#include "claims.h"
#include "config.h"
#include "keys.h"
#include "token.h"
#include "util.h"

struct sig_ctx {
	const struct pj_token *t;
	pj_err last; /* why the last candidate key did not verify */
};

static int try_key(const struct pj_key *key, void *arg, pj_err *e)
{
	struct sig_ctx *c = arg;
	(void)e;
	if (pj_sig_verify(c->t->alg, key, (const unsigned char *)c->t->signing_input,
			  c->t->signing_input_len, c->t->sig, c->t->sig_len, &c->last) == 0)
		return 1;
	return 0;
}

static int check_signature(const struct pj_config *cfg, const struct pj_token *t, pj_err *e)
{
	struct sig_ctx c = { .t = t };
	unsigned tried = 0;
	int rc = pj_keys_each(cfg, t->alg, t->kid, try_key, &c, &tried, e);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return -1;
	if (tried == 1)
		return pj_fail(e, "%s", c.last.msg);
	if (tried > 1)
		return pj_fail(e, "signature does not verify with any of %u candidate keys", tried);
	if (t->kid) {
		char kid[80];
		pj_sanitize(kid, sizeof(kid), t->kid, strlen(t->kid));
		return pj_fail(e, "no configured key has kid \"%s\" for %s", kid,
			       pj_alg_name(t->alg));
	}
	return pj_fail(e, "no configured key fits %s", pj_alg_name(t->alg));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int refuse(struct pj_result *r, enum pj_stage stage)
{
	r->stage = stage;
	return -1;
}

int pj_verify(const struct pj_config *cfg, const char *token, size_t n, const char *user,
	      time_t now, struct pj_result *r)
{
	memset(r, 0, sizeof(*r));
	/* Pasted tokens often carry a newline or spaces; a JWT never has them. */
	while (n && is_space(token[0]))
		token++, n--;
	while (n && is_space(token[n - 1]))
		n--;
	if (n > PJ_MAX_TOKEN) {
		pj_fail(&r->reason, "input is %zu bytes, over the %d-byte limit", n, PJ_MAX_TOKEN);
		return refuse(r, PJ_STAGE_PARSE);
	}
	if (!pj_token_shaped(token, n)) {
		pj_fail(&r->reason, "input is not a JWT");
		return refuse(r, PJ_STAGE_NOT_TOKEN);
	}
	struct pj_token t;
	int rc = pj_token_parse(token, n, cfg->algorithms, &t, &r->reason);
	r->header = json_incref(t.header);
	r->claims = json_incref(t.claims);
	if (rc != 0) {
		pj_token_free(&t);
		return refuse(r, PJ_STAGE_PARSE);
	}
	rc = check_signature(cfg, &t, &r->reason);
	pj_token_free(&t);
	if (rc != 0)
		return refuse(r, PJ_STAGE_SIGNATURE);
	r->verified = 1;
	if (pj_claims_check(cfg, r->header, r->claims, user, now, &r->reason) != 0)
		return refuse(r, PJ_STAGE_CLAIMS);
	r->stage = PJ_STAGE_OK;
	return 0;
}

void pj_result_free(struct pj_result *r)
{
	json_decref(r->header);
	json_decref(r->claims);
	memset(r, 0, sizeof(*r));
}
