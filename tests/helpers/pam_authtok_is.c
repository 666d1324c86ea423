/* SPDX-License-Identifier: BSD-3-Clause */
/* Test module standing in for "pam_unix try_first_pass": succeeds when the
 * PAM_AUTHTOK item left by the modules before it equals its argument, and
 * never prompts. */
#include <string.h>

#include <security/pam_modules.h>

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *tok = NULL;
	(void)flags;
	if (argc != 1 || pam_get_item(pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS || !tok)
		return PAM_AUTH_ERR;
	return strcmp(tok, argv[0]) == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}
