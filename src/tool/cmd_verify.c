/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool verify: the module's pipeline, on the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"
#include "util.h"
#include "verify.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] verify [--user NAME] [--set key=value]...\n"
	"                    [--now TIME] [TOKEN|-]\n"
	"Verifies TOKEN (or standard input) with the code the PAM module runs.\n"
	"  --user NAME       bind the token to this login name, as the module does\n"
	"                    (without it the user binding is skipped)\n"
	"  --set key=value   override one configuration option (repeatable)\n"
	"  --now TIME        check times as of TIME (epoch seconds or ISO 8601 UTC)\n"
	"Accepted: exit 0, {\"header\":...,\"claims\":...,\"signer\":...} on standard output\n"
	"(signer \"user\" when the user's own key, user_jwks_file, verified it).\n"
	"Refused: exit 1, \"rejected: REASON\" on standard error.\n";

static int apply_set(struct pj_config *cfg, const char *kv)
{
	pj_err e;
	const char *eq = strchr(kv, '=');
	if (!eq) {
		fprintf(stderr, "pam_jwt-tool: --set needs key=value\n");
		return -1;
	}
	char *key = strndup(kv, (size_t)(eq - kv));
	int rc = key ? pj_config_set(cfg, key, eq + 1, "--set", &e) : pj_fail(&e, "out of memory");
	free(key);
	if (rc != 0)
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
	return rc;
}

static int print_accepted(const struct pj_result *r)
{
	/* "user": only that user's own key vouches for these claims. */
	json_t *out = json_pack("{s:O,s:O,s:s}", "header", r->header, "claims", r->claims, "signer",
				r->signer == PJ_SIGNER_USER ? "user" : "issuer");
	/* Keys from a copy kept while the identity provider is unreachable. */
	if (out && r->keys.msg[0])
		json_object_set_new(out, "keys", json_string(r->keys.msg));
	/* Which [provider] judged it, which user_map line gave the account. */
	if (out && r->provider[0])
		json_object_set_new(out, "provider", json_string(r->provider));
	if (out && r->map_line)
		json_object_set_new(out, "user_map", json_integer(r->map_line));
	char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	if (!s) {
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
		return EXIT_USAGE;
	}
	puts(s);
	free(s);
	return 0;
}

int cmd_verify(struct tool *t, int argc, char **argv)
{
	struct pj_config cfg;
	const char *user = NULL, *token = NULL, *v;
	long long now = (long long)time(NULL);
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	cfg.no_record = 1;
	int rc = EXIT_USAGE;
	char *input = NULL;
	size_t n = 0;
	for (int i = 1; i < argc; i++) {
		int m;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			rc = 0;
			goto done;
		} else if ((m = tool_opt(argc, argv, &i, "--user", &v)) != 0) {
			if (m < 0)
				goto done;
			user = v;
		} else if ((m = tool_opt(argc, argv, &i, "--set", &v)) != 0) {
			if (m < 0 || apply_set(&cfg, v) != 0)
				goto done;
		} else if ((m = tool_opt(argc, argv, &i, "--now", &v)) != 0) {
			if (m < 0 || tool_parse_time(v, &now) != 0) {
				fprintf(stderr, "pam_jwt-tool: --now needs a time\n");
				goto done;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "pam_jwt-tool: verify: unknown option %s\n%s", argv[i],
				help);
			goto done;
		} else if (token) {
			fprintf(stderr, "pam_jwt-tool: verify takes one token\n");
			goto done;
		} else {
			token = argv[i];
		}
	}
	if (!token || strcmp(token, "-") == 0) {
		/* Anything over the limit is refused by pj_verify; read a little more. */
		input = tool_read_stdin(4 * 1024 * 1024, &n);
		if (!input) {
			fprintf(stderr, "pam_jwt-tool: out of memory\n");
			goto done;
		}
		token = input;
	} else {
		n = strlen(token);
	}
	/* --set may have made the providers inconsistent (an issuer for all). */
	pj_err e;
	if (pj_config_finish(&cfg, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		goto done;
	}
	struct pj_result r;
	if (pj_verify(&cfg, token, n, user, (time_t)now, &r) == 0) {
		rc = print_accepted(&r);
	} else {
		fprintf(stderr, "rejected: %s%s%s%s\n", r.reason.msg,
			r.provider[0] ? " (provider " : "", r.provider, r.provider[0] ? ")" : "");
		rc = EXIT_REJECTED;
	}
	pj_result_free(&r);
done:
	if (input)
		pj_free_secret(input, n);
	pj_config_free(&cfg);
	return rc;
}
