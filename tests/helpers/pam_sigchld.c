/* SPDX-License-Identifier: BSD-3-Clause */
/* A PAM application that watches its own signal handling while the module
 * logs in (and fetches keys through its helper):
 *
 *   pam_sigchld CONFDIR SERVICE USER TOKENFILE count|ignore
 *
 * "count" installs a SIGCHLD handler that counts, "ignore" sets SIGCHLD to
 * SIG_IGN; SIGPIPE keeps its default (death), so a write to a closed pipe by
 * the module would kill us.  After pam_authenticate and pam_end it prints
 *
 *   rc=PAM-CODE sigchld=N children=none|LEFT elapsed_ms=N curl=yes|no
 *
 * where children says whether any child (zombie or not, clone children
 * included) is left, and curl whether libcurl was ever mapped here (and on
 * stderr, who sent the last SIGCHLD, if any did). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <security/pam_appl.h>

static volatile sig_atomic_t sigchld, from_pid, code;

static void on_sigchld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	sigchld++;
	from_pid = si->si_pid;
	code = si->si_code;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(data);
	*resp = r;
	return PAM_SUCCESS;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Was libcurl mapped into this process at any point still visible? */
static int curl_mapped(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "libcurl") != NULL;
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	char token[16384];
	if (argc != 6) {
		fprintf(stderr, "usage: pam_sigchld CONFDIR SERVICE USER TOKENFILE count|ignore\n");
		return 2;
	}
	FILE *tf = fopen(argv[4], "r");
	size_t n = tf ? fread(token, 1, sizeof(token) - 1, tf) : 0;
	if (tf)
		fclose(tf);
	while (n && (token[n - 1] == '\n' || token[n - 1] == '\r'))
		n--;
	token[n] = 0;
	if (strcmp(argv[5], "ignore") == 0) {
		signal(SIGCHLD, SIG_IGN);
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigchld;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGCHLD, &sa, NULL);
	}
	struct pam_conv pc = { conv, token };
	pam_handle_t *pamh = NULL;
	long long t0 = now_ms();
	int rc = pam_start_confdir(argv[2], argv[3], &pc, argv[1], &pamh);
	if (rc == PAM_SUCCESS) {
		rc = pam_authenticate(pamh, 0);
		int curl = curl_mapped();
		pam_end(pamh, rc);
		long long el = now_ms() - t0;
		int st;
		pid_t left = waitpid(-1, &st, WNOHANG | __WALL);
		if (sigchld)
			fprintf(stderr, "SIGCHLD from pid %d, si_code %d\n", (int)from_pid,
				(int)code);
		printf("rc=%d sigchld=%d children=%s elapsed_ms=%lld curl=%s\n", rc, (int)sigchld,
		       left < 0 && errno == ECHILD ? "none" : "LEFT", el,
		       curl || curl_mapped() ? "yes" : "no");
	}
	return rc == PAM_SUCCESS ? 0 : 1;
}
