/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool revoke, unrevoke, list, prune, check, reindex, allow, unallow:
 * every change goes through pj_revlist_update (lock, temp file, fsync,
 * rename), so the module never sees half a file and no writer loses another's
 * entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "revocation.h"
#include "token.h"
#include "tool.h"
#include "util.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] revoke --jti ID [--exp TIME]\n"
	"       pam_jwt-tool revoke --token FILE|-\n"
	"       pam_jwt-tool revoke --user NAME [--before TIME]\n"
	"       pam_jwt-tool revoke --all [--before TIME]\n"
	"       pam_jwt-tool revoke --jti-file FILE      (one \"ID [EXP]\" a line)\n"
	"       pam_jwt-tool unrevoke --jti ID | --user NAME | --all\n"
	"       pam_jwt-tool list [--json]\n"
	"       pam_jwt-tool prune       drop jti lines whose EXP + leeway has passed\n"
	"       pam_jwt-tool check       validate the file (exit 1 naming the bad line)\n"
	"       pam_jwt-tool reindex     sort the file and rebuild its index\n"
	"       pam_jwt-tool allow --jti ID [--exp TIME] | --token FILE|- | --jti-file FILE\n"
	"       pam_jwt-tool unallow --jti ID\n"
	"TIME is seconds since the epoch or ISO 8601 UTC (2026-11-29T12:00:00Z); --before\n"
	"defaults to now.  revoke/list/prune/check/reindex work on revocation_file\n"
	"(default " PJ_DEFAULT_REVOCATION_FILE "), allow/unallow on allowlist_file.\n";

struct change {
	enum pj_rev_kind kind;
	const char *text;
	long long time;
	int remove;
	FILE *jti_file; /* a batch of "ID [EXP]" lines */
	const char *jti_file_name;
	long long now, leeway;
	size_t count;
};

static int add_batch(struct pj_revlist *l, struct change *c, pj_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, c->jti_file)) >= 0) {
		lineno++;
		while (n && strchr("\n\r \t", line[n - 1]))
			line[--n] = 0;
		char *id = line + strspn(line, " \t"), *sp = strpbrk(id, " \t");
		long long exp = -1;
		if (!*id || *id == '#')
			continue;
		if (sp) {
			*sp++ = 0;
			sp += strspn(sp, " \t");
			if (tool_parse_time(sp, &exp) != 0)
				rc = pj_fail(e, "%s:%u: bad EXP", c->jti_file_name, lineno);
		}
		if (rc == 0 && !pj_name_valid(id, strlen(id)))
			rc = pj_fail(e,
				     "%s:%u: not a valid id (printable, no spaces, at most %d "
				     "bytes)",
				     c->jti_file_name, lineno, PJ_NAME_MAX);
		if (rc == 0 && pj_revlist_add(l, PJ_REV_JTI, id, strlen(id), exp) != 0)
			rc = pj_fail(e, "out of memory");
		c->count++;
	}
	free(line);
	return rc;
}

static int apply_change(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct change *c = arg;
	if (c->jti_file)
		return add_batch(l, c, e);
	if (c->remove) {
		c->count = pj_revlist_remove(l, c->kind, c->text);
		return c->count ? 0 : pj_fail(e, "no such entry: %s", c->text);
	}
	c->count = 1;
	return pj_revlist_add(l, c->kind, c->text, c->text ? strlen(c->text) : 0, c->time) == 0
		       ? 0
		       : pj_fail(e, "out of memory");
}

static int prune(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct change *c = arg;
	size_t o = 0;
	(void)e;
	for (size_t i = 0; i < l->n; i++) {
		struct pj_rev_entry *en = &l->v[i];
		if (en->kind == PJ_REV_JTI && en->time >= 0 && en->time + c->leeway < c->now) {
			free(en->text);
			c->count++;
			continue;
		}
		l->v[o++] = *en;
	}
	l->n = o;
	return 0;
}

static int keep(struct pj_revlist *l, void *arg, pj_err *e)
{
	(void)l, (void)arg, (void)e;
	return 0;
}

/* The name and exp a token is listed under; the token need not verify. */
static int token_entry(const char *file, struct change *c, char *name, size_t namen)
{
	size_t n;
	char *text = NULL;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f) {
		fprintf(stderr, "pam_jwt-tool: cannot open %s: %s\n", file, strerror(errno));
		return -1;
	}
	FILE *saved = stdin;
	stdin = f;
	text = tool_read_stdin(PJ_MAX_TOKEN, &n);
	stdin = saved;
	if (f != saved)
		fclose(f);
	while (text && n && strchr(" \t\r\n", text[n - 1]))
		text[--n] = 0;
	struct pj_token t;
	pj_err e;
	int rc = -1;
	if (!text)
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
	else if (pj_token_parse(text, n, PJ_ALGS_ALL, &t, &e) != 0 && !t.claims)
		fprintf(stderr, "pam_jwt-tool: %s is not a token: %s\n", file, e.msg);
	else if (pj_token_name(t.claims, text, n, name, namen) != 0)
		fprintf(stderr, "pam_jwt-tool: cannot name the token\n");
	else {
		json_t *exp = json_object_get(t.claims, "exp");
		/* Casting a double beyond long long is undefined: no bound, no EXP. */
		double x = json_number_value(exp);
		c->time = json_is_number(exp) && x >= 0 && x < 1e18 ? (long long)x : -1;
		c->text = name;
		rc = 0;
	}
	pj_token_free(&t);
	pj_free_secret(text, n);
	return rc;
}

static const char *revocation_path(const struct pj_config *cfg)
{
	return cfg->revocation_file ? cfg->revocation_file : PJ_DEFAULT_REVOCATION_FILE;
}

static int parse_change(int argc, char **argv, int allow, struct change *c, char *name,
			size_t namen)
{
	const char *v, *before = NULL, *exp = NULL, *token = NULL, *batch = NULL;
	int all = 0;
	c->kind = PJ_REV_JTI;
	for (int i = 1; i < argc; i++) {
		int m = 0;
		if (!allow && strcmp(argv[i], "--all") == 0) {
			all = 1, m = 1;
		} else if ((m = tool_opt(argc, argv, &i, "--jti", &v)) > 0) {
			c->text = v;
		} else if (m == 0 && (m = tool_opt(argc, argv, &i, "--exp", &v)) > 0) {
			exp = v;
		} else if (m == 0 && (m = tool_opt(argc, argv, &i, "--token", &v)) > 0) {
			token = v;
		} else if (m == 0 && (m = tool_opt(argc, argv, &i, "--jti-file", &v)) > 0) {
			batch = v;
		} else if (m == 0 && !allow && (m = tool_opt(argc, argv, &i, "--user", &v)) > 0) {
			c->kind = PJ_REV_USER, c->text = v;
		} else if (m == 0 && !allow && (m = tool_opt(argc, argv, &i, "--before", &v)) > 0) {
			before = v;
		}
		if (m < 0)
			return -1;
		if (m == 0) {
			fprintf(stderr, "pam_jwt-tool: unexpected argument %s\n%s", argv[i], help);
			return -1;
		}
	}
	if ((c->text != NULL) + (token != NULL) + (batch != NULL) + all != 1) {
		fprintf(stderr,
			"pam_jwt-tool: name exactly one of --jti, --token, --jti-file%s\n%s",
			allow ? "" : ", --user, --all", help);
		return -1;
	}
	if (all)
		c->kind = PJ_REV_ALL;
	c->time = c->kind == PJ_REV_JTI ? -1 : c->now;
	const char *t = c->kind == PJ_REV_JTI ? exp : before;
	if (t && tool_parse_time(t, &c->time) != 0) {
		fprintf(stderr, "pam_jwt-tool: bad time \"%s\"\n", t);
		return -1;
	}
	if (c->text && !pj_name_valid(c->text, strlen(c->text))) {
		fprintf(stderr,
			"pam_jwt-tool: \"%s\" is not a valid name (printable ASCII, no "
			"spaces, at most %d bytes)\n",
			c->text, PJ_NAME_MAX);
		return -1;
	}
	if (token)
		return token_entry(token, c, name, namen);
	if (batch) {
		c->jti_file_name = batch;
		c->jti_file = strcmp(batch, "-") == 0 ? stdin : fopen(batch, "r");
		if (!c->jti_file) {
			fprintf(stderr, "pam_jwt-tool: cannot open %s: %s\n", batch,
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int run_update(const char *path, pj_revlist_fn fn, struct change *c)
{
	pj_err e;
	/* Many administrators' commands on a big list queue up behind each
	 * other; a login waits 5 s at most, a command up to 10 minutes. */
	int rc = pj_revlist_update_wait(path, getuid(), 600 * 1000, fn, c, &e);
	if (c->jti_file && c->jti_file != stdin)
		fclose(c->jti_file);
	if (rc != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		return EXIT_REJECTED;
	}
	return 0;
}

static int list(const char *path, int json)
{
	struct pj_revlist l;
	pj_err e;
	if (pj_revlist_load(path, getuid(), 1, &l, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		return EXIT_REJECTED;
	}
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < l.n; i++) {
		const struct pj_rev_entry *en = &l.v[i];
		if (en->kind == PJ_REV_COMMENT)
			continue;
		if (!json) {
			if (en->kind == PJ_REV_ALL)
				printf("all %lld\n", en->time);
			else if (en->time >= 0)
				printf("%s %s %lld\n", en->kind == PJ_REV_USER ? "user" : "jti",
				       en->text, en->time);
			else
				printf("jti %s\n", en->text);
			continue;
		}
		json_t *o = en->kind == PJ_REV_ALL ? json_pack("{s:s,s:I}", "type", "all", "before",
							       (json_int_t)en->time)
			    : en->kind == PJ_REV_USER
				    ? json_pack("{s:s,s:s,s:I}", "type", "user", "user", en->text,
						"before", (json_int_t)en->time)
				    : json_pack("{s:s,s:s}", "type", "jti", "id", en->text);
		if (o && en->kind == PJ_REV_JTI && en->time >= 0)
			json_object_set_new(o, "exp", json_integer(en->time));
		json_array_append_new(arr, o);
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
		json_decref(arr);
	}
	pj_revlist_free(&l);
	return 0;
}

static int check(const char *path)
{
	struct pj_revlist l;
	pj_err e;
	if (pj_revlist_load(path, getuid(), 0, &l, &e) != 0) {
		fprintf(stderr, "pam_jwt-tool: %s\n", e.msg);
		return EXIT_REJECTED;
	}
	size_t n = 0;
	for (size_t i = 0; i < l.n; i++)
		n += l.v[i].kind != PJ_REV_COMMENT;
	printf("%s: ok, %zu entries\n", path, n);
	pj_revlist_free(&l);
	return 0;
}

int cmd_revoke(struct tool *t, const char *cmd, int argc, char **argv)
{
	struct pj_config cfg;
	struct change c = { .now = (long long)time(NULL) };
	char name[PJ_NAME_MAX + 1];
	int allow = strncmp(cmd, "allow", 5) == 0 || strcmp(cmd, "unallow") == 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	const char *path = allow ? cfg.allowlist_file : revocation_path(&cfg);
	c.leeway = cfg.leeway;
	int rc = EXIT_USAGE;
	if (!path) {
		fprintf(stderr, "pam_jwt-tool: allowlist_file is not configured\n");
	} else if (strcmp(cmd, "list") == 0) {
		rc = argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)
			     ? list(path, argc == 2)
			     : (fputs(help, stderr), EXIT_USAGE);
	} else if (argc != 1 && (strcmp(cmd, "check") == 0 || strcmp(cmd, "prune") == 0 ||
				 strcmp(cmd, "reindex") == 0)) {
		fprintf(stderr, "pam_jwt-tool: %s takes no arguments\n", cmd);
	} else if (strcmp(cmd, "check") == 0) {
		rc = check(path);
	} else if (strcmp(cmd, "prune") == 0) {
		rc = run_update(path, prune, &c);
		if (rc == 0)
			printf("pruned %zu expired entries\n", c.count);
	} else if (strcmp(cmd, "reindex") == 0) {
		rc = run_update(path, keep, &c);
	} else if (strcmp(cmd, "unrevoke") == 0 || strcmp(cmd, "unallow") == 0) {
		const char *v;
		for (int i = 1; i < argc; i++) {
			if (!allow && strcmp(argv[i], "--all") == 0 && argc == 2) {
				c.kind = PJ_REV_ALL;
				c.text = "all";
				break;
			}
			int m = tool_opt(argc, argv, &i, "--jti", &v);
			if (m == 0 && !allow && (m = tool_opt(argc, argv, &i, "--user", &v)) > 0)
				c.kind = PJ_REV_USER;
			else if (m > 0)
				c.kind = PJ_REV_JTI;
			if (m <= 0 || c.text) {
				c.text = NULL;
				break;
			}
			c.text = v;
		}
		c.remove = 1;
		if (c.text)
			rc = run_update(path, apply_change, &c);
		else
			fprintf(stderr, "pam_jwt-tool: %s needs --jti ID%s\n", cmd,
				allow ? "" : ", --user NAME or --all");
	} else if (parse_change(argc, argv, allow, &c, name, sizeof(name)) == 0) {
		rc = run_update(path, apply_change, &c);
	}
	pj_config_free(&cfg);
	return rc;
}
