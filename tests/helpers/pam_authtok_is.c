/* SPDX-License-Identifier: BSD-3-Clause */
/* Test module standing in for "pam_unix try_first_pass": succeeds when the
 * PAM_AUTHTOK item left by the modules before it equals its argument (or,
 * for "@FILE", the first line of FILE: a token longer than a PAM line), and
 * never prompts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

static int equals_file(const char *tok, const char *path)
{
	static char line[20000];
	FILE *f = fopen(path, "r");
	int same = 0;
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		same = strcmp(tok, line) == 0;
	}
	if (f)
		fclose(f);
	return same;
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *tok = NULL;
	(void)flags;
	if (argc != 1 || pam_get_item(pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS || !tok)
		return PAM_AUTH_ERR;
	if (argv[0][0] == '@')
		return equals_file(tok, argv[0] + 1) ? PAM_SUCCESS : PAM_AUTH_ERR;
	return strcmp(tok, argv[0]) == 0 ? PAM_SUCCESS : PAM_AUTH_ERR;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}
