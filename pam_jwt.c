/* pam_jwt: the PAM entry points only.  Options, user, authtok, one decision,
 * one log line; everything else is in src/ and shared with pam_jwt-tool. */
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "config.h"
#include "log.h"
#include "verify.h"

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

PJ_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pj_config cfg;
	const char *user = NULL, *tok = NULL;
	int rc;
	(void)flags;
	if (load_config(pamh, argc, argv, &cfg) != 0) {
		pj_config_free(&cfg);
		return PAM_SERVICE_ERR;
	}
	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_NOTICE, "outcome=refused reason=\"cannot get the user name\"");
		pj_config_free(&cfg);
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	}
	/* Leaves the input in PAM_AUTHTOK, so a following pam_unix try_first_pass
	 * can try what was not a token. */
	rc = pam_get_authtok(pamh, PAM_AUTHTOK, &tok, cfg.prompt ? cfg.prompt : PJ_DEFAULT_PROMPT);
	if (rc != PAM_SUCCESS || !tok) {
		pam_syslog(pamh, LOG_NOTICE, "outcome=refused reason=\"no token entered\"");
		pj_config_free(&cfg);
		return rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
	}
	struct pj_result r;
	size_t len = strlen(tok);
	if (cfg.debug)
		pam_syslog(pamh, LOG_DEBUG,
			   "debug: configuration %s, %zu key_file, %zu jwks_file, input %zu bytes",
			   cfg.path ? cfg.path : "(none)", cfg.key_file.n, cfg.jwks_file.n, len);
	pj_verify(&cfg, tok, len, user, time(NULL), &r);
	char line[1024];
	pj_log_decision(line, sizeof(line), user, len, &r);
	pam_syslog(pamh, r.stage == PJ_STAGE_OK ? LOG_INFO : LOG_NOTICE, "%s", line);
	rc = r.stage == PJ_STAGE_OK ? PAM_SUCCESS : PAM_AUTH_ERR;
	pj_result_free(&r);
	pj_config_free(&cfg);
	return rc;
}

PJ_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}
