/* SPDX-License-Identifier: BSD-3-Clause */
/* pam_jwt-tool status-list: a Token Status List (draft-ietf-oauth-status-list)
 * for those who run their own signer.  The list is kept in a file in the
 * draft's own JSON form, {"bits": B, "lst": "..."} (lst: the ZLIB-compressed
 * bit string, base64url), changed under a lock and written atomically, and
 * signed on demand as a Status List Token that any HTTPS server can serve. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "document.h"
#include "keys.h"
#include "lst/lst.h"
#include "statuslist.h"
#include "token.h"
#include "tool.h"
#include "util.h"

static const char help[] =
	"usage: pam_jwt-tool status-list create --out FILE --size N [--bits 1|2|4|8]\n"
	"       pam_jwt-tool status-list set --list FILE --idx N [--status V]\n"
	"       pam_jwt-tool status-list get (--list FILE | --token TOKEN|-) --idx N\n"
	"       pam_jwt-tool status-list sign --list FILE --key KEY --alg ALG --uri URI\n"
	"                    [--kid ID] [--iss ISS] [--ttl SECONDS] [--valid SECONDS]\n"
	"       pam_jwt-tool status-list show (--list FILE | --token TOKEN|-)\n"
	"A Token Status List (draft-ietf-oauth-status-list) for your own signer.\n"
	"  create  a list of N entries of BITS bits (default 1), all 0 (valid), in FILE\n"
	"  set     entry N to V (default 1, invalid; 2 suspended; 0 valid again), under\n"
	"          a lock, FILE replaced atomically\n"
	"  get     print entry N's value, from a list file or a Status List Token\n"
	"          (the token's signature is not checked: pam_jwt-tool verify does that)\n"
	"  sign    print a Status List Token of the list: typ statuslist+jwt, sub URI (the\n"
	"          uri tokens name), iat now, ttl SECONDS (default 300: how long hosts\n"
	"          cache it), exp now + VALID (default 86400); serve it at URI\n"
	"  show    bits, entries, how many are not 0, and a token's claims\n"
	"Tokens name an entry with pam_jwt-tool sign --status-uri URI --status-idx N.\n";

struct sl {
	int bits;
	unsigned char *b;
	size_t n;
};

static void sl_free(struct sl *l)
{
	free(l->b);
	memset(l, 0, sizeof(*l));
}

/* {"bits", "lst"} to the inflated list. */
static int sl_from_json(json_t *obj, struct sl *l, pj_err *e)
{
	json_t *b = json_object_get(obj, "bits"), *lst = json_object_get(obj, "lst");
	unsigned char *z;
	size_t zn;
	pj_err why;
	memset(l, 0, sizeof(*l));
	l->bits = json_is_integer(b) ? (int)json_integer_value(b) : 0;
	if (l->bits != 1 && l->bits != 2 && l->bits != 4 && l->bits != 8)
		return pj_fail(e, "bits is not 1, 2, 4 or 8");
	if (!json_is_string(lst))
		return pj_fail(e, "no lst string");
	if (pj_b64url_decode(json_string_value(lst), json_string_length(lst), &z, &zn, &why) != 0)
		return pj_fail(e, "lst: %s", why.msg);
	int rc = pj_lst_inflate(z, zn, PJ_STATUS_LIST_MAX, &l->b, &l->n, &why);
	free(z);
	return rc == 0 ? 0 : pj_fail(e, "%s", why.msg);
}

static json_t *sl_to_json(const struct sl *l, pj_err *e)
{
	unsigned char *z;
	size_t zn;
	if (pj_lst_deflate(l->b, l->n, &z, &zn, e) != 0)
		return NULL;
	char *s = pj_b64url_encode(z, zn);
	free(z);
	json_t *j = s ? json_pack("{s:i,s:s}", "bits", l->bits, "lst", s) : NULL;
	free(s);
	if (!j)
		pj_fail(e, "out of memory");
	return j;
}

static int sl_load(const char *path, struct sl *l, pj_err *e)
{
	char *text;
	size_t n;
	pj_err why;
	if (pj_read_trusted_file(path, PJ_FETCH_MAX, getuid(), 0, &text, &n, NULL, &why) != 0)
		return pj_fail(e, "%s", why.msg);
	json_t *j = pj_json_object((unsigned char *)text, n, path, &why);
	free(text);
	if (!j)
		return pj_fail(e, "%s", why.msg);
	int rc = sl_from_json(j, l, &why);
	json_decref(j);
	return rc == 0 ? 0 : pj_fail(e, "%s: %s", path, why.msg);
}

static int sl_save(const char *path, const struct sl *l, pj_err *e)
{
	struct stat st;
	json_t *j = sl_to_json(l, e);
	if (!j)
		return -1;
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return pj_fail(e, "out of memory");
	size_t n = strlen(s);
	s[n] = 0;
	char *text = malloc(n + 2);
	if (!text) {
		free(s);
		return pj_fail(e, "out of memory");
	}
	memcpy(text, s, n);
	text[n] = '\n';
	free(s);
	int rc = pj_write_atomic(path, text, n + 1, &st, e);
	free(text);
	return rc;
}

/* A token's list, its signature unchecked. */
static int sl_from_token(const char *tok, size_t n, struct sl *l, json_t **claims, pj_err *e)
{
	struct pj_token t;
	pj_err why;
	memset(l, 0, sizeof(*l));
	if (pj_lst_from_token(tok, n, &l->b, &l->n, &l->bits, &why) != 0)
		return pj_fail(e, "%s", why.msg);
	if (claims && pj_token_parse_max(tok, n, PJ_FETCH_MAX, PJ_ALGS_ALL, &t, &why) == 0) {
		*claims = json_incref(t.claims);
		pj_token_free(&t);
	}
	return 0;
}

static int parse_ull(const char *s, unsigned long long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

struct args {
	const char *out, *list, *token, *idx, *size, *bits, *status, *key, *alg, *kid, *uri, *iss,
		*ttl, *valid;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const char *names[] = { "--out",	 "--list",   "--token", "--idx",  "--size",
				       "--bits", "--status", "--key",	"--alg",  "--kid",
				       "--uri",	 "--iss",    "--ttl",	"--valid" };
	const char **slots[] = { &a->out,  &a->list,   &a->token, &a->idx,  &a->size,
				 &a->bits, &a->status, &a->key,	  &a->alg,  &a->kid,
				 &a->uri,  &a->iss,    &a->ttl,	  &a->valid };
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char *v;
		int m = 0;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && m == 0; k++)
			if ((m = tool_opt(argc, argv, &i, names[k], &v)) > 0)
				*slots[k] = v;
		if (m < 0)
			return -1;
		if (m == 0) {
			fprintf(stderr, "pam_jwt-tool: status-list: unexpected argument %s\n%s",
				argv[i], help);
			return -1;
		}
	}
	return 0;
}

/* --list FILE or --token TOKEN (- for stdin). */
static int load_either(const struct args *a, struct sl *l, json_t **claims, pj_err *e)
{
	if (!a->list == !a->token)
		return pj_fail(e, "give --list FILE or --token TOKEN");
	if (a->list)
		return sl_load(a->list, l, e);
	if (strcmp(a->token, "-") != 0)
		return sl_from_token(a->token, strlen(a->token), l, claims, e);
	size_t n;
	char *tok = tool_read_stdin(PJ_FETCH_MAX, &n);
	if (!tok)
		return pj_fail(e, "out of memory");
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		n--;
	int rc = n > PJ_FETCH_MAX ? pj_fail(e, "token over %d bytes", PJ_FETCH_MAX)
				  : sl_from_token(tok, n, l, claims, e);
	free(tok);
	return rc;
}

static int cmd_create(const struct args *a, pj_err *e)
{
	unsigned long long size, bits = 1;
	if (!a->out || parse_ull(a->size, &size) != 0 || size == 0)
		return pj_fail(e, "create needs --out FILE and --size N (1 or more)");
	if (a->bits &&
	    (parse_ull(a->bits, &bits) != 0 || (bits != 1 && bits != 2 && bits != 4 && bits != 8)))
		return pj_fail(e, "--bits must be 1, 2, 4 or 8");
	if (size > (unsigned long long)PJ_STATUS_LIST_MAX * 8 / bits)
		return pj_fail(e,
			       "a list of %llu entries of %llu bits is over the %d bytes hosts "
			       "accept",
			       size, bits, PJ_STATUS_LIST_MAX);
	struct sl l = { (int)bits, NULL, (size_t)((size * bits + 7) / 8) };
	if (access(a->out, F_OK) == 0)
		return pj_fail(e, "%s exists: create makes a new list only", a->out);
	if (!(l.b = calloc(1, l.n)))
		return pj_fail(e, "out of memory");
	int rc = sl_save(a->out, &l, e);
	if (rc == 0)
		printf("%s: %llu entries of %d bit%s, all 0 (valid)\n", a->out,
		       (unsigned long long)(l.n * 8 / (size_t)l.bits), l.bits,
		       l.bits > 1 ? "s" : "");
	sl_free(&l);
	return rc;
}

static int lock_list(const char *path, pj_err *e)
{
	char lpath[4096];
	if (snprintf(lpath, sizeof(lpath), "%s.lock", path) >= (int)sizeof(lpath))
		return pj_fail(e, "path too long");
	int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return pj_fail(e, "cannot open %s: %s", lpath, strerror(errno));
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return pj_fail(e, "cannot lock %s: %s", lpath, strerror(errno));
	}
	return fd;
}

static int cmd_set(const struct args *a, pj_err *e)
{
	unsigned long long idx, val = 1;
	struct sl l;
	if (!a->list || parse_ull(a->idx, &idx) != 0)
		return pj_fail(e, "set needs --list FILE and --idx N");
	if (a->status && parse_ull(a->status, &val) != 0)
		return pj_fail(e, "--status must be a number");
	/* Two signers' sets at once must both land. */
	int lock = lock_list(a->list, e);
	if (lock < 0)
		return -1;
	int rc = sl_load(a->list, &l, e);
	if (rc == 0 && val >= (1ull << l.bits))
		rc = pj_fail(e, "status %llu does not fit in %d bit%s", val, l.bits,
			     l.bits > 1 ? "s" : "");
	if (rc == 0 && pj_status_entry(l.b, l.n, l.bits, idx) < 0)
		rc = pj_fail(e, "index %llu is past the end of the list (%zu entries)", idx,
			     l.n * 8 / (size_t)l.bits);
	if (rc == 0) {
		unsigned long long bit = idx * (unsigned)l.bits;
		unsigned mask = ((1u << l.bits) - 1) << (bit % 8);
		l.b[bit / 8] = (unsigned char)((l.b[bit / 8] & ~mask) | (val << (bit % 8)));
		rc = sl_save(a->list, &l, e);
	}
	if (rc == 0)
		printf("%s: entry %llu is now %llu\n", a->list, idx, val);
	sl_free(&l);
	close(lock);
	return rc;
}

static int cmd_get(const struct args *a, pj_err *e)
{
	unsigned long long idx;
	struct sl l;
	if (parse_ull(a->idx, &idx) != 0)
		return pj_fail(e, "get needs --idx N");
	if (load_either(a, &l, NULL, e) != 0)
		return -1;
	int v = pj_status_entry(l.b, l.n, l.bits, idx);
	if (v < 0)
		pj_fail(e, "index %llu is past the end of the list (%zu entries)", idx,
			l.n * 8 / (size_t)l.bits);
	else
		printf("%d\n", v);
	sl_free(&l);
	return v < 0 ? -1 : 0;
}

static int cmd_show(const struct args *a, pj_err *e)
{
	struct sl l;
	json_t *claims = NULL;
	if (load_either(a, &l, &claims, e) != 0)
		return -1;
	size_t entries = l.n * 8 / (size_t)l.bits, set = 0;
	for (size_t i = 0; i < entries; i++)
		set += pj_status_entry(l.b, l.n, l.bits, i) != 0;
	printf("bits %d\nentries %zu\nnot valid %zu\nbytes %zu\n", l.bits, entries, set, l.n);
	static const char *names[] = { "sub", "iss", "iat", "exp", "ttl" };
	for (size_t i = 0; claims && i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *v = json_object_get(claims, names[i]);
		if (json_is_string(v))
			printf("%s %s\n", names[i], json_string_value(v));
		else if (json_is_number(v))
			printf("%s %.0f\n", names[i], json_number_value(v));
	}
	json_decref(claims);
	sl_free(&l);
	return 0;
}

static int seconds(const char *s, long long dflt, long long *out)
{
	unsigned long long v;
	if (!s) {
		*out = dflt;
		return 0;
	}
	if (parse_ull(s, &v) != 0 || v == 0 || v > 10ull * 366 * 86400)
		return -1;
	*out = (long long)v;
	return 0;
}

static int cmd_sign_list(const struct args *a, pj_err *e)
{
	struct sl l;
	struct pj_key key;
	long long ttl, valid;
	pj_err why;
	int alg;
	if (!a->list || !a->key || !a->alg || !a->uri)
		return pj_fail(e, "sign needs --list FILE --key KEY --alg ALG --uri URI");
	if ((alg = pj_alg_from_name(a->alg)) < 0)
		return pj_fail(e, "unknown algorithm \"%s\"", a->alg);
	if (pj_url_check(a->uri, &why) != 0)
		return pj_fail(e, "--uri: %s", why.msg);
	if (seconds(a->ttl, 300, &ttl) != 0 || seconds(a->valid, 86400, &valid) != 0)
		return pj_fail(e, "--ttl and --valid take a positive number of seconds");
	if (sl_load(a->list, &l, e) != 0)
		return -1;
	json_t *list = sl_to_json(&l, e);
	sl_free(&l);
	if (!list)
		return -1;
	if (pj_load_signing_key(a->key, getuid(), &key, e) != 0) {
		json_decref(list);
		return -1;
	}
	long long now = (long long)time(NULL);
	const char *kid = a->kid ? a->kid : key.kid;
	json_t *header = json_pack("{s:s,s:s}", "alg", a->alg, "typ", "statuslist+jwt");
	json_t *claims =
		json_pack("{s:s,s:I,s:I,s:I,s:o}", "sub", a->uri, "iat", (json_int_t)now, "exp",
			  (json_int_t)(now + valid), "ttl", (json_int_t)ttl, "status_list", list);
	int rc = -1;
	if (header && kid)
		json_object_set_new(header, "kid", json_string(kid));
	if (claims && a->iss)
		json_object_set_new(claims, "iss", json_string(a->iss));
	char *tok = header && claims ? tool_make_token(&key, (enum pj_alg)alg, header, claims, e)
				     : NULL;
	if (tok) {
		puts(tok);
		free(tok);
		rc = 0;
	} else if (!header || !claims) {
		pj_fail(e, "out of memory");
	}
	json_decref(header);
	json_decref(claims);
	pj_key_clear(&key);
	return rc;
}

int cmd_status_list(struct tool *t, int argc, char **argv)
{
	struct args a;
	pj_err e = { "" };
	(void)t;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (parse_args(argc, argv, &a) != 0)
		return EXIT_USAGE;
	const char *sub = argv[1];
	int rc;
	if (strcmp(sub, "create") == 0)
		rc = cmd_create(&a, &e);
	else if (strcmp(sub, "set") == 0)
		rc = cmd_set(&a, &e);
	else if (strcmp(sub, "get") == 0)
		rc = cmd_get(&a, &e);
	else if (strcmp(sub, "show") == 0)
		rc = cmd_show(&a, &e);
	else if (strcmp(sub, "sign") == 0)
		rc = cmd_sign_list(&a, &e);
	else {
		fprintf(stderr, "pam_jwt-tool: status-list: unknown command \"%s\"\n%s", sub, help);
		return EXIT_USAGE;
	}
	if (rc != 0) {
		fprintf(stderr, "pam_jwt-tool: status-list %s: %s\n", sub, e.msg);
		return EXIT_REJECTED;
	}
	return 0;
}
