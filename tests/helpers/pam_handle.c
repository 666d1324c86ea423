/* SPDX-License-Identifier: BSD-3-Clause */
/* A PAM application that drives one handle through a sequence of calls, as
 * an application may (a screen locker authenticates again and again on one
 * handle; sshd and login call account and session after it):
 *
 *   pam_handle CONFDIR SERVICE USER STEP...
 *
 * STEP is one of
 *   auth:FILE   pam_authenticate, every prompt answered with FILE's first line
 *   auth:-      pam_authenticate, the conversation failing (no answer)
 *   acct        pam_acct_mgmt
 *   open        pam_open_session
 *   close       pam_close_session
 *   env:NAME    the PAM environment's NAME
 *   user:NAME   pam_set_item(PAM_USER, NAME)
 *   run:CMD     CMD through /bin/sh between two calls (a list changing meanwhile)
 * and each prints one line: "auth rc=N", "acct rc=N", ..., "env NAME=VALUE"
 * or "env NAME unset"; N is the PAM return code (0 is PAM_SUCCESS).  Exit 0
 * when every step ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

struct answer {
	char text[16384];
	int fail; /* the conversation fails */
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct answer *a = data;
	if (a->fail)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(a->text);
	*resp = r;
	return PAM_SUCCESS;
}

static int load(struct answer *a, const char *path)
{
	a->fail = strcmp(path, "-") == 0;
	a->text[0] = 0;
	if (a->fail)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f || !fgets(a->text, sizeof(a->text), f)) {
		if (f)
			fclose(f);
		fprintf(stderr, "pam_handle: cannot read %s\n", path);
		return -1;
	}
	fclose(f);
	a->text[strcspn(a->text, "\r\n")] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	static struct answer a;
	if (argc < 5) {
		fprintf(stderr, "usage: pam_handle CONFDIR SERVICE USER STEP...\n");
		return 2;
	}
	struct pam_conv pc = { conv, &a };
	pam_handle_t *pamh = NULL;
	int rc = pam_start_confdir(argv[2], argv[3], &pc, argv[1], &pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "pam_handle: pam_start: %d\n", rc);
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		const char *s = argv[i];
		if (strncmp(s, "auth:", 5) == 0) {
			if (load(&a, s + 5) != 0)
				return 2;
			printf("auth rc=%d\n", rc = pam_authenticate(pamh, 0));
		} else if (strcmp(s, "acct") == 0) {
			printf("acct rc=%d\n", rc = pam_acct_mgmt(pamh, 0));
		} else if (strcmp(s, "open") == 0) {
			printf("open rc=%d\n", rc = pam_open_session(pamh, 0));
		} else if (strcmp(s, "close") == 0) {
			printf("close rc=%d\n", rc = pam_close_session(pamh, 0));
		} else if (strncmp(s, "env:", 4) == 0) {
			const char *v = pam_getenv(pamh, s + 4);
			if (v)
				printf("env %s=%s\n", s + 4, v);
			else
				printf("env %s unset\n", s + 4);
		} else if (strncmp(s, "run:", 4) == 0) {
			fflush(stdout);
			printf("run rc=%d\n", system(s + 4));
		} else if (strncmp(s, "user:", 5) == 0) {
			printf("user rc=%d\n", rc = pam_set_item(pamh, PAM_USER, s + 5));
		} else {
			fprintf(stderr, "pam_handle: unknown step %s\n", s);
			return 2;
		}
	}
	pam_end(pamh, rc);
	return 0;
}
