/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool revoke, unrevoke, allow, unallow, list, export, import, prune,
 * check, compact (reindex): the lists through src/store.c.  A single change
 * is one journal record; a batch or a whole-list change is a new base.
 * After every change the command looks up what it changed the way a login
 * does, and fails loudly when the lookup does not show it. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "revocation.h"
#include "store.h"
#include "tool.h"
#include "util.h"
#include "verify.h"

static const char help[] =
	"usage: pam_jwt-tool [--config FILE] revoke --jti ID [--exp TIME]\n"
	"       pam_jwt-tool revoke --token FILE|-\n"
	"       pam_jwt-tool revoke --user NAME [--before TIME]\n"
	"       pam_jwt-tool revoke --all [--before TIME]\n"
	"       pam_jwt-tool revoke --jti-file FILE|-    (one \"ID [EXP]\" a line)\n"
	"       pam_jwt-tool unrevoke --jti ID | --user NAME | --all\n"
	"       pam_jwt-tool list [--json]\n"
	"       pam_jwt-tool export      the list in its text format (for import)\n"
	"       pam_jwt-tool import FILE|-   replace the whole list with a text list\n"
	"       pam_jwt-tool prune       drop jti entries whose EXP + leeway has passed\n"
	"       pam_jwt-tool check       validate every byte (exit 1 naming the fault)\n"
	"       pam_jwt-tool compact     fold the journal into the base (also reindex)\n"
	"       pam_jwt-tool repair      compact, dropping lines added by hand that are\n"
	"                                not entries (they refuse every login)\n"
	"       pam_jwt-tool allow --jti ID [--exp TIME] | --token FILE|- | --jti-file FILE\n"
	"       pam_jwt-tool unallow --jti ID\n"
	"TIME is seconds since the epoch or ISO 8601 UTC (2026-11-29T12:00:00Z); --before\n"
	"defaults to now.  revoke, unrevoke, list, export, import, prune, check and compact\n"
	"work on revocation_file (default " PJ_DEFAULT_REVOCATION_FILE "), allow and\n"
	"unallow on allowlist_file; compact also compacts allowlist_file and, with one_time,\n"
	"one_time_file.\n";

/* An administrator's command may queue behind a compaction of a big list;
 * a login waits 5 s (30 s to record a one-time use). */
#define WAIT_MS (600 * 1000)

struct ctx {
	const char *path;
	int allow; /* the allowlist */
	long long now, leeway;
};

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pam_jwt-tool: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_REJECTED;
}

/* ---- the proof: the module's own lookup after the change ---- */

/* An added entry must refuse what it names (the reason: that entry or a
 * wider one); a removed one must be gone. */
static int prove(const struct ctx *x, const struct pj_change *c, const char *alt)
{
	pj_err e;
	if (c->remove) {
		struct pj_keystate k = { .kind = c->kind, .key = c->text };
		if (pj_list_lookup(x->path, getuid(), 1, &k, 1, NULL, &e) != 0)
			return fail("%s: the change was written, but the list cannot be read "
				    "back: %s",
				    x->path, e.msg);
		if (k.present)
			return fail("%s: the entry was removed, but a lookup still finds %s "
				    "(added again meanwhile?)",
				    x->path, c->text ? c->text : "all");
		return 0;
	}
	if (x->allow) {
		if (pj_allowlist_check(x->path, getuid(), c->text, &e) != 0)
			return fail("the change was written, but a login would not find it: %s",
				    e.msg);
		return 0;
	}
	/* "#" is no name an entry can have: only the cut-off can refuse it. */
	struct pj_revquery q = { .name = "#", .has_iat = 1, .iat = 2e18 };
	if (c->kind == PJ_REV_JTI) {
		q.name = c->text;
		q.alt_name = alt && *alt ? alt : NULL;
	} else {
		q.iat = (double)c->time - 1;
		if (c->kind == PJ_REV_USER)
			q.user = c->text;
	}
	if (pj_revocation_check(x->path, 1, getuid(), &q, &e) == 0)
		return fail("%s: the change was written, but a login's lookup does not find it",
			    x->path);
	if (!strstr(e.msg, "revoked"))
		return fail("%s: the change was written, but the list cannot be read back: %s",
			    x->path, e.msg);
	return 0;
}

static int append(const struct ctx *x, const struct pj_change *c, size_t n, const char *alt)
{
	pj_err e;
	if (pj_list_append(x->path, getuid(), c, n, WAIT_MS, &e) != 0)
		return fail("%s", e.msg);
	for (size_t i = 0; i < n; i++)
		if (prove(x, &c[i], alt) != 0)
			return EXIT_REJECTED;
	return 0;
}

/* ---- batches: "ID [EXP]" a line ---- */

struct batch {
	struct pj_revlist ids; /* jti entries, in the file's order */
	const char *name;
};

/* One line of a batch (no newline, n < the buffer): 0, or -1 after a
 * message. */
static int batch_line(char *line, size_t n, unsigned lineno, struct batch *b)
{
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = 0;
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	char *id = line + i, *sp = memchr(id, ' ', n - i), *tab = memchr(id, '\t', n - i);
	if (tab && (!sp || tab < sp))
		sp = tab;
	size_t idn = sp ? (size_t)(sp - id) : n - i;
	long long exp = -1;
	if (!idn || *id == '#')
		return 0;
	if (i + idn < n) {
		char *t = id + idn;
		*t++ = 0;
		t += strspn(t, " \t");
		if (tool_parse_time(t, &exp) != 0) {
			fprintf(stderr, "pam_jwt-tool: %s:%u: bad EXP\n", b->name, lineno);
			return -1;
		}
	}
	if (!pj_name_valid(id, idn)) {
		fprintf(stderr,
			"pam_jwt-tool: %s:%u: not a valid id (printable, no spaces, at most %d "
			"bytes)\n",
			b->name, lineno, PJ_NAME_MAX);
		return -1;
	}
	if (pj_revlist_add(&b->ids, PJ_REV_JTI, id, idn, exp) != 0) {
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
		return -1;
	}
	return 0;
}

/* "ID [EXP]" lines, read a megabyte at a time (a million ids). */
static int read_batch(FILE *f, const char *name, struct batch *b)
{
	const size_t cap = 1 << 20;
	char *buf = malloc(cap + 1);
	size_t have = 0;
	unsigned lineno = 0;
	int rc = 0, eof = 0;
	memset(b, 0, sizeof(*b));
	b->name = name;
	if (!buf) {
		fprintf(stderr, "pam_jwt-tool: out of memory\n");
		return -1;
	}
	while (rc == 0 && (!eof || have)) {
		if (!eof) {
			size_t r = fread(buf + have, 1, cap - have, f);
			if (r == 0) {
				if (ferror(f)) {
					fprintf(stderr, "pam_jwt-tool: cannot read %s: %s\n", name,
						strerror(errno));
					rc = -1;
					break;
				}
				eof = 1;
			}
			have += r;
		}
		char *p = buf, *end = buf + have;
		while (rc == 0 && p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl && !eof)
				break;
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			rc = batch_line(p, n, ++lineno, b);
			p += n + (nl != NULL);
		}
		size_t used = (size_t)(p - buf);
		if (used > have)
			used = have; /* cannot happen: p stops at end */
		have -= used;
		memmove(buf, buf + used, have);
		if (rc == 0 && have == cap) {
			fprintf(stderr, "pam_jwt-tool: %s:%u: line too long\n", name, lineno + 1);
			rc = -1;
		}
	}
	free(buf);
	if (rc != 0)
		pj_revlist_free(&b->ids);
	return rc;
}

/* The batch's entries (sorted) join the list: their texts stay in the
 * batch's own memory, which outlives the rewrite. */
static int add_batch(struct pj_revlist *l, void *arg, pj_err *e)
{
	const struct batch *b = arg;
	if (l->cap - l->n < b->ids.n) {
		struct pj_rev_entry *v = realloc(l->v, (l->n + b->ids.n) * sizeof(*v));
		if (!v)
			return pj_fail(e, "out of memory");
		l->v = v;
		l->cap = l->n + b->ids.n;
	}
	memcpy(l->v + l->n, b->ids.v, b->ids.n * sizeof(*b->ids.v));
	l->n += b->ids.n;
	return 0;
}

/* Every id of the batch is in the new list (read back whole, every entry
 * validated and the order checked), and a spread of them refuse through
 * the module's own lookup. */
static int prove_batch(const struct ctx *x, const struct batch *b)
{
	size_t missing;
	const char *which;
	pj_err e;
	if (pj_list_missing(x->path, getuid(), &b->ids, &missing, &which, &e) != 0)
		return fail("the change was written, but the list cannot be read back: %s", e.msg);
	if (missing)
		return fail("%s: the change was written, but %zu of the ids are not in it (the "
			    "first: %s; removed again meanwhile?)",
			    x->path, missing, which);
	int rc = 0;
	size_t step = b->ids.n / 256 + 1;
	for (size_t i = 0; rc == 0 && i < b->ids.n; i += step) {
		struct pj_change c = { .kind = PJ_REV_JTI, .text = b->ids.v[i].text };
		rc = prove(x, &c, NULL);
	}
	if (rc == 0 && b->ids.n) {
		struct pj_change c = { .kind = PJ_REV_JTI, .text = b->ids.v[b->ids.n - 1].text };
		rc = prove(x, &c, NULL);
	}
	return rc;
}

static int run_batch(const struct ctx *x, const char *file)
{
	struct batch b;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f)
		return fail("cannot open %s: %s", file, strerror(errno));
	int rc = read_batch(f, file, &b);
	if (f != stdin)
		fclose(f);
	if (rc != 0)
		return EXIT_REJECTED;
	/* Sorted once, here: the rewrite then only merges. */
	pj_revlist_normalize(&b.ids);
	if (b.ids.n == 0) {
		pj_revlist_free(&b.ids);
		return 0;
	}
	pj_err e;
	if (b.ids.n <= PJ_APPEND_BATCH) {
		struct pj_change c[PJ_APPEND_BATCH];
		for (size_t i = 0; i < b.ids.n; i++)
			c[i] = (struct pj_change){ .kind = PJ_REV_JTI,
						   .text = b.ids.v[i].text,
						   .time = b.ids.v[i].time };
		rc = append(x, c, b.ids.n, NULL);
	} else if (pj_revlist_update_wait(x->path, getuid(), WAIT_MS, add_batch, &b, &e) != 0) {
		rc = fail("%s", e.msg);
	} else {
		rc = prove_batch(x, &b);
	}
	pj_revlist_free(&b.ids);
	return rc;
}

/* ---- --token ---- */

static int token_change(const char *file, struct pj_change *c, char *name, char *alt, size_t size)
{
	size_t n;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f)
		return fail("cannot open %s: %s", file, strerror(errno));
	FILE *saved = stdin;
	stdin = f;
	/* Room for white space around the longest token; more is not one. */
	char *text = tool_read_stdin(PJ_MAX_TOKEN + 4096, &n);
	stdin = saved;
	if (f != saved)
		fclose(f);
	pj_err e;
	long long exp;
	int rc = 0;
	if (!text)
		rc = fail("out of memory");
	else if (pj_token_listing(text, n, name, alt, size, &exp, &e) != 0)
		rc = fail("%s is not a token (nothing was changed): %s",
			  strcmp(file, "-") == 0 ? "standard input" : file, e.msg);
	else
		*c = (struct pj_change){ .kind = PJ_REV_JTI, .text = name, .time = exp };
	pj_free_secret(text, n);
	return rc;
}

/* ---- whole-list commands ---- */

static int prune_fn(struct pj_revlist *l, void *arg, pj_err *e)
{
	struct ctx *x = arg;
	size_t o = 0, gone = 0;
	(void)e;
	for (size_t i = 0; i < l->n; i++) {
		struct pj_rev_entry *en = &l->v[i];
		if (en->kind == PJ_REV_JTI && en->time >= 0 && en->time + x->leeway < x->now) {
			gone++;
			continue;
		}
		l->v[o++] = *en;
	}
	l->n = o;
	x->now = (long long)gone; /* handed back */
	return 0;
}

struct import {
	struct pj_revlist from;
};

static int import_fn(struct pj_revlist *l, void *arg, pj_err *e)
{
	const struct pj_revlist *from = &((struct import *)arg)->from;
	l->n = 0;
	for (size_t i = 0; i < from->n; i++) {
		const struct pj_rev_entry *en = &from->v[i];
		if (pj_revlist_add(l, en->kind, en->text, en->text ? strlen(en->text) : 0,
				   en->time) != 0)
			return pj_fail(e, "out of memory");
	}
	return 0;
}

/* Every imported entry is in the list read back (both normalized: one
 * walk), and a spread of them through the module's own lookup. */
static int prove_import(const struct ctx *x, const struct pj_revlist *in)
{
	struct pj_revlist now;
	pj_err e;
	size_t n = 0, missing = 0, j = 0;
	if (pj_revlist_load(x->path, getuid(), 0, &now, &e) != 0)
		return fail("the list was written, but cannot be read back: %s", e.msg);
	for (size_t i = 0; i < in->n; i++) {
		const struct pj_rev_entry *a = &in->v[i];
		int c = 1;
		if (a->kind == PJ_REV_COMMENT)
			continue;
		n++;
		while (j < now.n) {
			const struct pj_rev_entry *b = &now.v[j];
			c = b->kind != a->kind	    ? (int)b->kind - (int)a->kind
			    : a->kind == PJ_REV_ALL ? 0
						    : strcmp(b->text, a->text);
			if (c >= 0)
				break;
			j++;
		}
		missing += j == now.n || c != 0;
	}
	size_t total = 0;
	for (size_t i = 0; i < now.n; i++)
		total += now.v[i].kind != PJ_REV_COMMENT;
	pj_revlist_free(&now);
	if (missing)
		return fail("%s: the list was written, but %zu imported entries are not in it "
			    "(removed again meanwhile?)",
			    x->path, missing);
	size_t step = n / 64 + 1, k = 0;
	for (size_t i = 0; i < in->n; i++) {
		const struct pj_rev_entry *a = &in->v[i];
		if (a->kind == PJ_REV_COMMENT || k++ % step)
			continue;
		struct pj_change c = { .kind = a->kind, .text = a->text, .time = a->time };
		if (prove(x, &c, NULL) != 0)
			return EXIT_REJECTED;
	}
	printf("%s: %zu entries imported, %zu in the list\n", x->path, n, total);
	return 0;
}

static int import(const struct ctx *x, const char *file)
{
	struct import im;
	pj_err e;
	char tmp[] = "/tmp/pam_jwt-import.XXXXXX";
	const char *from = file;
	int tfd = -1, rc;
	if (strcmp(file, "-") == 0) {
		/* The text parser reads files: standard input goes to one first. */
		char buf[65536];
		size_t r;
		if ((tfd = mkostemp(tmp, O_CLOEXEC)) < 0)
			return fail("cannot create %s: %s", tmp, strerror(errno));
		while ((r = fread(buf, 1, sizeof(buf), stdin)) > 0)
			if (write(tfd, buf, r) != (ssize_t)r) {
				close(tfd);
				unlink(tmp);
				return fail("cannot write %s: %s", tmp, strerror(errno));
			}
		from = tmp;
	}
	rc = pj_revlist_load(from, getuid(), 0, &im.from, &e);
	if (tfd >= 0) {
		close(tfd);
		unlink(tmp);
	}
	if (rc != 0)
		return fail("%s (nothing was changed)", e.msg);
	rc = pj_revlist_update_wait(x->path, getuid(), WAIT_MS, import_fn, &im, &e);
	if (rc == 0)
		rc = prove_import(x, &im.from);
	else
		rc = fail("%s", e.msg);
	pj_revlist_free(&im.from);
	return rc;
}

static int list(const char *path, int json, int text)
{
	struct pj_revlist l;
	pj_err e;
	if (pj_revlist_load(path, getuid(), 1, &l, &e) != 0)
		return fail("%s", e.msg);
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < l.n; i++) {
		const struct pj_rev_entry *en = &l.v[i];
		if (en->kind == PJ_REV_COMMENT) {
			if (text)
				printf("%s\n", en->text);
			continue;
		}
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
	if (fflush(stdout) != 0 || ferror(stdout))
		return fail("cannot write the list: %s", strerror(errno));
	return 0;
}

static int check(const char *path)
{
	struct pj_list_info info;
	pj_err e;
	if (pj_list_check(path, getuid(), &info, &e) != 0)
		return fail("%s", e.msg);
	if (!info.store) {
		printf("%s: ok, %zu entries (a text list%s)\n", path, info.entries,
		       info.text_readable ? ""
					  : ", too long for logins to read: pam_jwt-tool "
					    "compact makes it a store");
		return info.text_readable ? 0 : EXIT_REJECTED;
	}
	printf("%s: ok, %zu entries (a store of %llu bytes; journal %llu bytes: %zu records, "
	       "%zu lines added by hand, %zu incomplete records skipped)\n",
	       path, info.entries, info.size, info.journal_bytes, info.records, info.hand,
	       info.torn);
	return 0;
}

static int compact_one(const char *path, long long drop_before, int missing_ok)
{
	pj_err e;
	if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (pj_list_compact(path, getuid(), drop_before, WAIT_MS, 0, &e) != 0)
		return fail("%s", e.msg);
	return check(path);
}

/* ---- arguments ---- */

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pam_jwt-tool: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n%s", help);
	va_end(ap);
	return EXIT_USAGE;
}

static int valid_name(const char *s)
{
	if (pj_name_valid(s, strlen(s)))
		return 1;
	fprintf(stderr,
		"pam_jwt-tool: \"%s\" is not a valid name (printable ASCII, no spaces, at "
		"most %d bytes)\n",
		s, PJ_NAME_MAX);
	return 0;
}

/* revoke / allow / unrevoke / unallow */
static int change(const struct ctx *x, int remove, int argc, char **argv)
{
	const char *v, *jti = NULL, *user = NULL, *token = NULL, *batch = NULL, *exp = NULL,
		       *before = NULL;
	int all = 0;
	for (int i = 1; i < argc; i++) {
		int m = 0;
		if (!x->allow && strcmp(argv[i], "--all") == 0)
			all = 1, m = 1;
		else if ((m = tool_opt(argc, argv, &i, "--jti", &v)) > 0)
			jti = v;
		else if (m == 0 && !x->allow && (m = tool_opt(argc, argv, &i, "--user", &v)) > 0)
			user = v;
		else if (m == 0 && !remove && (m = tool_opt(argc, argv, &i, "--exp", &v)) > 0)
			exp = v;
		else if (m == 0 && !remove && (m = tool_opt(argc, argv, &i, "--token", &v)) > 0)
			token = v;
		else if (m == 0 && !remove && (m = tool_opt(argc, argv, &i, "--jti-file", &v)) > 0)
			batch = v;
		else if (m == 0 && !remove && !x->allow &&
			 (m = tool_opt(argc, argv, &i, "--before", &v)) > 0)
			before = v;
		if (m < 0)
			return EXIT_USAGE;
		if (m == 0)
			return usage("unexpected argument %s", argv[i]);
	}
	if ((jti != NULL) + (user != NULL) + (token != NULL) + (batch != NULL) + all != 1)
		return usage("name exactly one of %s",
			     remove	? x->allow ? "--jti" : "--jti, --user, --all"
			     : x->allow ? "--jti, --token, --jti-file"
					: "--jti, --token, --user, --all, --jti-file");
	if ((exp && !jti) || (before && !user && !all))
		return usage("%s goes with --jti, --before with --user or --all",
			     exp ? "--exp" : "--before");
	if (batch)
		return run_batch(x, batch);
	struct pj_change c = { .remove = remove, .kind = PJ_REV_JTI, .text = jti, .time = -1 };
	char name[PJ_NAME_MAX + 1], alt[PJ_NAME_MAX + 1] = "";
	if (token) {
		int rc = token_change(token, &c, name, alt, sizeof(name));
		if (rc != 0)
			return rc;
	} else if (user || all) {
		c.kind = user ? PJ_REV_USER : PJ_REV_ALL;
		c.text = user;
		c.time = x->now;
		if (before && tool_parse_time(before, &c.time) != 0)
			return usage("bad time \"%s\"", before);
	} else if (exp && tool_parse_time(exp, &c.time) != 0) {
		return usage("bad time \"%s\"", exp);
	}
	if (c.text && !valid_name(c.text))
		return EXIT_USAGE;
	if (remove) {
		struct pj_keystate k = { .kind = c.kind, .key = c.text };
		pj_err e;
		if (pj_list_lookup(x->path, getuid(), 0, &k, 1, NULL, &e) != 0)
			return fail("%s", e.msg);
		if (!k.present)
			return fail("no such entry: %s", c.text ? c.text : "all");
	}
	return append(x, &c, 1, alt);
}

int cmd_revoke(struct tool *t, const char *cmd, int argc, char **argv)
{
	struct pj_config cfg;
	struct ctx x = { .now = (long long)time(NULL) };
	int rc = EXIT_USAGE;
	x.allow = strcmp(cmd, "allow") == 0 || strcmp(cmd, "unallow") == 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
	if (tool_load_config(t, &cfg) != 0)
		return EXIT_USAGE;
	x.path = x.allow	       ? cfg.allowlist_file
		 : cfg.revocation_file ? cfg.revocation_file
				       : PJ_DEFAULT_REVOCATION_FILE;
	x.leeway = cfg.leeway;
	int noargs = strcmp(cmd, "check") == 0 || strcmp(cmd, "prune") == 0 ||
		     strcmp(cmd, "reindex") == 0 || strcmp(cmd, "compact") == 0 ||
		     strcmp(cmd, "export") == 0 || strcmp(cmd, "repair") == 0;
	if (!x.path) {
		fprintf(stderr, "pam_jwt-tool: allowlist_file is not configured\n");
	} else if (strcmp(cmd, "list") == 0) {
		rc = argc == 1 || (argc == 2 && strcmp(argv[1], "--json") == 0)
			     ? list(x.path, argc == 2, 0)
			     : usage("list takes only --json");
	} else if (noargs && argc != 1) {
		fprintf(stderr, "pam_jwt-tool: %s takes no arguments\n", cmd);
	} else if (strcmp(cmd, "export") == 0) {
		rc = list(x.path, 0, 1);
	} else if (strcmp(cmd, "check") == 0) {
		rc = check(x.path);
	} else if (strcmp(cmd, "compact") == 0 || strcmp(cmd, "reindex") == 0) {
		rc = compact_one(x.path, -1, 0);
		if (rc == 0 && cfg.allowlist_file)
			rc = compact_one(cfg.allowlist_file, -1, 1);
		if (rc == 0 && (cfg.one_time || cfg.one_time_file))
			rc = compact_one(cfg.one_time_file ? cfg.one_time_file
							   : PJ_DEFAULT_ONE_TIME_FILE,
					 x.now - PJ_USE_MARGIN, 1);
	} else if (strcmp(cmd, "repair") == 0) {
		pj_err e;
		size_t dropped = 0;
		if (pj_list_repair(x.path, getuid(), WAIT_MS, &dropped, &e) != 0) {
			rc = fail("%s", e.msg);
		} else {
			printf("%s: %zu lines added by hand that were not entries dropped (they "
			       "never "
			       "took effect: add what they meant with pam_jwt-tool revoke)\n",
			       x.path, dropped);
			rc = check(x.path);
		}
	} else if (strcmp(cmd, "prune") == 0) {
		pj_err e;
		if (pj_revlist_update_wait(x.path, getuid(), WAIT_MS, prune_fn, &x, &e) != 0) {
			rc = fail("%s", e.msg);
		} else {
			printf("pruned %lld expired entries\n", x.now);
			rc = 0;
		}
	} else if (strcmp(cmd, "import") == 0) {
		rc = argc == 2 ? import(&x, argv[1]) : usage("import takes one FILE or -");
	} else if (strcmp(cmd, "unrevoke") == 0 || strcmp(cmd, "unallow") == 0) {
		rc = change(&x, 1, argc, argv);
	} else {
		rc = change(&x, 0, argc, argv);
	}
	pj_config_free(&cfg);
	return rc;
}
