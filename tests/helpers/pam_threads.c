/* SPDX-License-Identifier: BSD-3-Clause */
/* Many logins at once through the module in one process, the way a threaded
 * server (or sshd's monitor with several handles) would run it:
 *
 *   pam_threads CONFDIR SERVICE MODULE THREADS CYCLES USER:EXPECT:TOKENFILE...
 *
 * Each of THREADS threads does CYCLES pam_start_confdir / pam_authenticate /
 * pam_end cycles, walking the cases from its own starting point; EXPECT is
 * "accept" or "refuse".  MODULE is dlopen'ed once up front so that libpam's
 * per-handle dlclose does not unload it between cycles (sshd keeps it loaded
 * too).  Exits 1 when any login ends differently from its case. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

struct login_case {
	const char *user;
	int accept;
	char *token;
};

static const char *confdir, *service;
static struct login_case *cases;
static int ncases, cycles;

struct tally {
	int id;
	long accepted, refused, wrong, errors;
};

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

static void *worker(void *arg)
{
	struct tally *t = arg;
	for (int i = 0; i < cycles; i++) {
		const struct login_case *c = &cases[(t->id + i) % ncases];
		struct pam_conv pc = { conv, c->token };
		pam_handle_t *pamh = NULL;
		int rc = pam_start_confdir(service, c->user, &pc, confdir, &pamh);
		if (rc != PAM_SUCCESS) {
			t->errors++;
			continue;
		}
		rc = pam_authenticate(pamh, PAM_SILENT);
		pam_end(pamh, rc);
		if (rc == PAM_SUCCESS)
			t->accepted++;
		else if (rc == PAM_AUTH_ERR)
			t->refused++;
		else
			t->errors++;
		if ((rc == PAM_SUCCESS) != c->accept && t->wrong++ < 5)
			fprintf(stderr, "thread %d cycle %d: %s for %s, expected %s (%s)\n", t->id,
				i, rc == PAM_SUCCESS ? "accepted" : "refused", c->user,
				c->accept ? "accept" : "refuse", pam_strerror(NULL, rc));
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	if (!f || !buf || !fgets(buf, 65536, f)) {
		perror(path);
		exit(2);
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr,
			"usage: %s CONFDIR SERVICE MODULE THREADS CYCLES "
			"USER:accept|refuse:TOKENFILE...\n",
			argv[0]);
		return 2;
	}
	confdir = argv[1];
	service = argv[2];
	if (!dlopen(argv[3], RTLD_NOW | RTLD_NODELETE)) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	int nthreads = atoi(argv[4]);
	cycles = atoi(argv[5]);
	ncases = argc - 6;
	cases = calloc((size_t)ncases, sizeof(*cases));
	if (nthreads < 1 || nthreads > 256 || cycles < 1 || !cases)
		return 2;
	for (int i = 0; i < ncases; i++) {
		char *spec = argv[6 + i], *a = strchr(spec, ':');
		char *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			return 2;
		*a = *b = 0;
		cases[i] = (struct login_case){ spec, strcmp(a + 1, "accept") == 0, slurp(b + 1) };
	}
	pthread_t th[256];
	struct tally t[256] = { { 0 } };
	struct timespec s, e;
	clock_gettime(CLOCK_MONOTONIC, &s);
	for (int i = 0; i < nthreads; i++) {
		t[i].id = i;
		if (pthread_create(&th[i], NULL, worker, &t[i]) != 0)
			return 2;
	}
	long acc = 0, ref = 0, wrong = 0, err = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		acc += t[i].accepted, ref += t[i].refused, wrong += t[i].wrong, err += t[i].errors;
	}
	clock_gettime(CLOCK_MONOTONIC, &e);
	double secs = (double)(e.tv_sec - s.tv_sec) + (double)(e.tv_nsec - s.tv_nsec) / 1e9;
	printf("threads=%d cycles=%d logins=%ld accepted=%ld refused=%ld wrong=%ld errors=%ld "
	       "seconds=%.1f\n",
	       nthreads, cycles, acc + ref + err, acc, ref, wrong, err, secs);
	for (int i = 0; i < ncases; i++)
		free(cases[i].token);
	free(cases);
	return wrong || err ? 1 : 0;
}
