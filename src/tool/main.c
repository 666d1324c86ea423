/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool: verifies, signs and lists keys with the code the module runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
	"usage: pam_jwt-tool [--config FILE] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  verify [--user NAME] [--set key=value]... [--now TIME] [TOKEN|-]\n"
	"         verify a token exactly as the PAM module does\n"
	"  sign --key FILE --alg ALG [--kid ID] [--sub USER] [--iss ISS] [--aud AUD]...\n"
	"       [--ttl SECONDS] [--claim name=value]... [--header name=value]...\n"
	"         print a signed token (iat, exp and a random jti are always set)\n"
	"  status-list create|set|get|sign|show ...\n"
	"         build, change and sign a Token Status List (status-list --help)\n"
	"  publish --key FILE [--kid ID] [--out FILE]\n"
	"         the revocation list as a signed feed for revocation_feed (publish --help)\n"
	"  keys   list the configured keys (kid, type, alg, source) and the cache's age\n"
	"  fetch [--ahead SECONDS]\n"
	"         refresh the cached keys of every jwks_url and discovery_url, the\n"
	"         status lists logins used and the revocation feed, now\n"
	"  index [--check]\n"
	"         build the key index of every large jwks_file (logins read it)\n"
	"  revoke, unrevoke, list, export, import, prune, check, compact, repair, allow,\n"
	"  unallow\n"
	"         manage the revocation list and the allowlist (revoke --help)\n"
	"\n"
	"--config FILE (before or after the command) names the configuration,\n"
	"default " PJ_DEFAULT_CONF ". `pam_jwt-tool COMMAND --help` for details.\n"
	"exit status: 0 success, 1 token rejected, 2 usage or configuration error\n";

int tool_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "pam_jwt-tool: %s needs a value\n", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

int tool_load_config(const struct tool *t, struct pj_config *cfg)
{
	pj_err e;
	if (pj_config_init(cfg, getuid()) != 0) {
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
		return -1;
	}
	const char *path = t->config_path ? t->config_path : PJ_DEFAULT_CONF;
	if (pj_config_load_file(cfg, path, t->config_path != NULL, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		pj_config_free(cfg);
		return -1;
	}
	cfg->layer = PJ_LAYER_ARGS;
	return 0;
}

char *tool_read_stdin(size_t max, size_t *n)
{
	char *buf = malloc(max + 2);
	size_t len = 0;
	if (!buf)
		return NULL;
	while (len <= max) {
		size_t r = fread(buf + len, 1, max + 1 - len, stdin);
		if (r == 0)
			break;
		len += r;
	}
	buf[len] = 0;
	*n = len;
	return buf;
}

int tool_parse_time(const char *s, long long *out)
{
	char *end;
	/* Plain digits, the common case (a million in a --jti-file), without
	 * strtoll's locale machinery. */
	size_t n = 0;
	long long d = 0;
	for (unsigned c; n < 19 && (c = (unsigned char)s[n] - '0') < 10; n++)
		d = d * 10 + c;
	if (n && n <= 18 && !s[n]) {
		*out = d;
		return 0;
	}
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (!errno && !*end) {
			*out = v;
			return 0;
		}
	}
	struct tm tm = { 0 };
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

/* --config may stand before or after the command: take it out wherever it is. */
static int take_config(int *argc, char **argv, struct tool *t)
{
	for (int i = 1; i < *argc; i++) {
		const char *v;
		int start = i, m = tool_opt(*argc, argv, &i, "--config", &v);
		if (m < 0)
			return -1;
		if (m == 0)
			continue;
		t->config_path = v;
		int gone = i - start + 1;
		memmove(&argv[start], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(*argv));
		*argc -= gone;
		i = start - 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tool t = { .prog = "pam_jwt-tool" };
	if (take_config(&argc, argv, &t) != 0)
		return EXIT_USAGE;
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("pam_jwt-tool %s\n", PJ_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "sign") == 0)
		return cmd_sign(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "fetch") == 0)
		return cmd_fetch(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "index") == 0)
		return cmd_index(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "status-list") == 0)
		return cmd_status_list(&t, argc - 1, argv + 1);
	if (strcmp(cmd, "publish") == 0)
		return cmd_publish(&t, argc - 1, argv + 1);
	static const char *rev_cmds[] = { "revoke", "unrevoke", "list",	   "prune",
					  "check",  "reindex",	"compact", "export",
					  "import", "repair",	"allow",   "unallow" };
	for (size_t i = 0; i < sizeof(rev_cmds) / sizeof(rev_cmds[0]); i++)
		if (strcmp(cmd, rev_cmds[i]) == 0)
			return cmd_revoke(&t, cmd, argc - 1, argv + 1);
	fprintf(stderr, "pam_jwt-tool: unknown command \"%s\"\n%s", cmd, usage);
	return EXIT_USAGE;
}
