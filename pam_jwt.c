/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt: the PAM entry points only.  Options, user, authtok, one decision,
 * one log line; everything else is in src/ and shared with pam_jwt-tool. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "config.h"
#include "log.h"
#include "parts.h"
#include "session.h"
#include "util.h"
#include "verify.h"

/* The module data a successful authentication leaves on the handle. */
#define PJ_GRANT_DATA "pam_jwt.grant"

#define PJ_EXPORT __attribute__((visibility("default")))

static int load_config(pam_handle_t *pamh, int argc, const char **argv, struct pj_config *cfg)
{
	pj_err e;
	if (pj_config_init(cfg, (uid_t)-1) != 0) {
		pam_syslog(pamh, LOG_CRIT, "out of memory");
		return -1;
	}
	if (pj_config_from_args(cfg, argc, argv, &e) != 0) {
		pam_syslog(pamh, LOG_ERR, "refusing every login, configuration error: %s", e.msg);
		return -1;
	}
	return 0;
}

static void grant_cleanup(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh, (void)status;
	pj_grant_free(data);
}

static const struct pj_grant *get_grant(pam_handle_t *pamh)
{
	const void *g = NULL;
	return pam_get_data(pamh, PJ_GRANT_DATA, &g) == PAM_SUCCESS ? g : NULL;
}

static int put_var(const char *var, const char *value, const char *claim, const char *why,
		   void *ctx)
{
	pam_handle_t *pamh = ctx;
	char line[PJ_CLAIM_NAME_MAX + PJ_EXPORT_VALUE_MAX + 16];
	if (why)
		pam_syslog(pamh, LOG_NOTICE, "export_claims: claim %s is not exported: %s", claim,
			   why);
	/* Unsetting a variable that is not there is no error (and libpam
	 * would log one). */
	if (!value && !pam_getenv(pamh, var))
		return 0;
	snprintf(line, sizeof(line), value ? "%s=%s" : "%s", var, value);
	return pam_putenv(pamh, line) == PAM_SUCCESS ? 0 : PAM_BUF_ERR;
}

/* export_claims into the PAM environment (claims NULL: out of it). */
static int export_claims(pam_handle_t *pamh, const struct pj_config *cfg, json_t *claims,
			 int user_key)
{
	int rc = pj_export_each(cfg, claims, user_key, put_var, pamh);
	if (rc != 0)
		pam_syslog(pamh, LOG_ERR, "export_claims: %s", pam_strerror(pamh, rc));
	return rc == 0 ? PAM_SUCCESS : PAM_SESSION_ERR;
}

/* An accepted token leaves a grant for acct_mgmt and open_session, and its
 * claims in the environment already: sshd runs keyboard-interactive
 * authentication in a child process whose module data is lost, but whose PAM
 * environment it carries into the session.  A refusal leaves neither. */
static int keep_grant(pam_handle_t *pamh, const struct pj_config *cfg, const char *tok, size_t len,
		      const char *user, const struct pj_result *r)
{
	if (r->stage != PJ_STAGE_OK) {
		export_claims(pamh, cfg, NULL, 0);
		return PAM_AUTH_ERR;
	}
	struct pj_grant *g = pj_grant_new(tok, len, user, r);
	if (!g || pam_set_data(pamh, PJ_GRANT_DATA, g, grant_cleanup) != PAM_SUCCESS) {
		pj_grant_free(g);
		pam_syslog(pamh, LOG_CRIT, "cannot keep the login's state: refused");
		return PAM_BUF_ERR;
	}
	if (export_claims(pamh, cfg, g->claims, g->signer == PJ_SIGNER_USER) != PAM_SUCCESS) {
		pam_set_data(pamh, PJ_GRANT_DATA, NULL, NULL);
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

/* The rest of a token whose first answer is part 1 (pj_parts_begin): asks
 * for each further part by name, then puts the joined token into PAM_AUTHTOK,
 * so that a later module with use_first_pass sees the whole token, as if it
 * had come in one answer.  *received counts the answers that were parts.
 * PAM_SUCCESS, or a refusal with its reason in e (the conversation's own
 * error when it failed).  Every answer is wiped before it is freed. */
static int collect_parts(pam_handle_t *pamh, const char *first, size_t n, struct pj_parts *p,
			 unsigned *received, pj_err *e)
{
	*received = 1;
	if (pj_parts_begin(p, first, n, e) != 0)
		return PAM_AUTH_ERR;
	while (!pj_parts_complete(p)) {
		char prompt[PJ_PARTS_PROMPT_MAX], *resp = NULL;
		pj_parts_prompt(p, prompt, sizeof(prompt));
		int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);
		if (rc != PAM_SUCCESS || !resp) {
			pj_free_secret(resp, resp ? strlen(resp) : 0);
			pj_fail(e, "the conversation ended before part %u of %u (%s)", p->have + 1,
				p->n, rc == PAM_SUCCESS ? "no answer" : pam_strerror(pamh, rc));
			return rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
		}
		(*received)++;
		rc = pj_parts_add(p, resp, strlen(resp), e);
		pj_free_secret(resp, strlen(resp));
		if (rc != 0)
			return PAM_AUTH_ERR;
	}
	if (pj_parts_finish(p, e) != 0)
		return PAM_AUTH_ERR;
	/* libpam copies it, and wipes the first answer it replaces. */
	if (pam_set_item(pamh, PAM_AUTHTOK, p->buf) != PAM_SUCCESS) {
		pj_fail(e, "cannot keep the joined token");
		return PAM_BUF_ERR;
	}
	return PAM_SUCCESS;
}

/* collect_parts, and the decision line when it refuses (the token never
 * became one to judge). */
static int take_parts(pam_handle_t *pamh, const struct pj_config *cfg, const char *user,
		      const char *first, size_t n, struct pj_parts *p, unsigned *received)
{
	struct pj_result r = { .stage = PJ_STAGE_PARSE };
	char line[1024];
	int rc = collect_parts(pamh, first, n, p, received, &r.reason);
	if (rc == PAM_SUCCESS)
		return rc;
	pj_log_decision(line, sizeof(line), user, n, *received, &r);
	pam_syslog(pamh, LOG_NOTICE, "%s", line);
	export_claims(pamh, cfg, NULL, 0);
	return rc;
}

PJ_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pj_config cfg;
	struct pj_parts parts = { 0 };
	struct pj_result r;
	const char *user = NULL, *tok = NULL;
	char line[1024];
	unsigned nparts = 0;
	int rc;
	(void)flags;
	/* Whatever an earlier call on this handle accepted no longer counts. */
	pam_set_data(pamh, PJ_GRANT_DATA, NULL, NULL);
	if (load_config(pamh, argc, argv, &cfg) != 0) {
		pj_config_free(&cfg);
		return PAM_SERVICE_ERR;
	}
	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_NOTICE, "outcome=refused reason=\"cannot get the user name\"");
		export_claims(pamh, &cfg, NULL, 0);
		pj_config_free(&cfg);
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	}
	/* Leaves the input in PAM_AUTHTOK, so a following pam_unix try_first_pass
	 * can try what was not a token. */
	rc = pam_get_authtok(pamh, PAM_AUTHTOK, &tok, cfg.prompt ? cfg.prompt : PJ_DEFAULT_PROMPT);
	if (rc != PAM_SUCCESS || !tok) {
		pam_syslog(pamh, LOG_NOTICE, "outcome=refused reason=\"no token entered\"");
		/* Nor its claims, exported by an earlier call that accepted. */
		export_claims(pamh, &cfg, NULL, 0);
		pj_config_free(&cfg);
		return rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
	}
	size_t len = strlen(tok);
	/* A token too long for one answer comes in parts; even with
	 * use_first_pass (part 1 came from an earlier module's prompt) the rest
	 * is asked for here.  Anything else is judged as it is. */
	if (pj_parts_is_part(tok, len)) {
		rc = take_parts(pamh, &cfg, user, tok, len, &parts, &nparts);
		if (rc != PAM_SUCCESS) {
			pj_parts_free(&parts);
			pj_config_free(&cfg);
			return rc;
		}
		tok = parts.buf;
		len = parts.len;
	}
	pj_verify(&cfg, tok, len, user, time(NULL), &r);
	/* The length of what was typed says something about a password: only a
	 * JWT's (or the start of one) is logged. */
	if (cfg.debug && r.stage != PJ_STAGE_NOT_TOKEN)
		pam_syslog(pamh, LOG_DEBUG,
			   "debug: configuration %s, %zu providers, %zu key_file, %zu jwks_file, "
			   "input %zu bytes%s",
			   cfg.path ? cfg.path : "(none)", cfg.nproviders ? cfg.nproviders : 1,
			   cfg.key_file.n, cfg.jwks_file.n, len, nparts ? " in parts" : "");
	else if (cfg.debug)
		pam_syslog(pamh, LOG_DEBUG,
			   "debug: configuration %s, %zu providers, %zu key_file, %zu jwks_file, "
			   "input not a JWT",
			   cfg.path ? cfg.path : "(none)", cfg.nproviders ? cfg.nproviders : 1,
			   cfg.key_file.n, cfg.jwks_file.n);
	pj_log_decision(line, sizeof(line), user, len, nparts, &r);
	pam_syslog(pamh, r.stage == PJ_STAGE_OK ? LOG_INFO : LOG_NOTICE, "%s", line);
	rc = keep_grant(pamh, &cfg, tok, len, user, &r);
	pj_result_free(&r);
	pj_parts_free(&parts);
	pj_config_free(&cfg);
	return rc;
}

PJ_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}

/* Only for a handle this module authenticated: is the token still good (not
 * expired, not revoked since)?  Any other login (a Unix password, an SSH
 * key, another module) is none of its business: PAM_IGNORE lets the rest of
 * the account stack decide and can never grant anything by itself. */
PJ_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const struct pj_grant *g = get_grant(pamh);
	const void *user = NULL;
	struct pj_config cfg;
	char line[1024];
	pj_err e;
	(void)flags;
	if (!g)
		return PAM_IGNORE;
	if (load_config(pamh, argc, argv, &cfg) != 0) {
		pj_config_free(&cfg);
		return PAM_SERVICE_ERR;
	}
	pam_get_item(pamh, PAM_USER, &user);
	int rc = pj_grant_check(&cfg, g, user, time(NULL), &e) == 0 ? PAM_SUCCESS : PAM_PERM_DENIED;
	if (rc != PAM_SUCCESS || cfg.debug) {
		pj_log_phase(line, sizeof(line), user, "account",
			     rc == PAM_SUCCESS ? "accepted" : "refused",
			     rc == PAM_SUCCESS ? "ok" : e.msg);
		pam_syslog(pamh, rc == PAM_SUCCESS ? LOG_DEBUG : LOG_NOTICE, "%s", line);
	}
	pj_config_free(&cfg);
	return rc;
}

/* export_claims for a handle this module authenticated, with this line's
 * configuration; PAM_IGNORE for any other. */
PJ_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const struct pj_grant *g = get_grant(pamh);
	struct pj_config cfg;
	(void)flags;
	if (!g)
		return PAM_IGNORE;
	int rc = PAM_SESSION_ERR;
	if (load_config(pamh, argc, argv, &cfg) == 0)
		rc = export_claims(pamh, &cfg, g->claims, g->signer == PJ_SIGNER_USER);
	pj_config_free(&cfg);
	return rc;
}

PJ_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return get_grant(pamh) ? PAM_SUCCESS : PAM_IGNORE;
}
