/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a list file, read four ways.
 *   1. As a text list, looked up the module's way (the whole file parsed),
 *      as an allowlist and a one-time record, and loaded the tool's way.
 *      When it loads, the same list is written as a store's base, as journal
 *      records over an empty store, and compacted again: every query must
 *      get the same answer from all four.  When it does not, every lookup
 *      must refuse.
 *   2. As journal bytes after a valid base (torn records, hand lines,
 *      anything): the module's lookup and the tool's load must agree on
 *      every query, and fail together; what loads must compact to a store
 *      with the same answers.
 *   3. As a whole store image with its header's check value made right, so
 *      counts and offsets are the fuzzer's: whatever the validated load
 *      accepts, the binary search must answer as the loaded list does.
 *   4. A one-time use recorded on the journal file: used once, refused after.
 * A disagreement aborts, so the fuzzer reports it. */
#include "fuzz.h"

#include <sys/stat.h>

#include "revocation.h"
#include "store.h"

#define MAXQ 8

static char hand[512], base[512], journal[512], image[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(hand, sizeof(hand), "hand");
	fz_path(base, sizeof(base), "base");
	fz_path(journal, sizeof(journal), "journal");
	fz_path(image, sizeof(image), "image");
	return 0;
}

/* Queries from the input's own words (so lines can match) and fixed ones. */
static size_t queries(const char *text, struct pj_revquery *q, char **words)
{
	size_t nq = 0, nw = 0;
	const char *p = text;
	while (*p && nw < MAXQ) {
		size_t skip = strspn(p, " \t\r\n+-"), len;
		p += skip;
		len = strcspn(p, " \t\r\n");
		if (!len)
			break;
		if (len <= PJ_NAME_MAX && !(words[nw] = strndup(p, len)))
			abort();
		if (len <= PJ_NAME_MAX)
			nw++;
		p += len;
	}
	static const double iats[] = { 0, 1e9, 1.3e9, 2e9 };
	for (size_t i = 0; i < nw && nq < MAXQ - 2; i++)
		q[nq++] = (struct pj_revquery){ .name = words[i],
						.alt_name = i + 1 < nw ? words[i + 1] : NULL,
						.user = words[i],
						.has_iat = (int)(i % 5 != 4),
						.iat = iats[i % 4] + (double)i };
	q[nq++] = (struct pj_revquery){ .name = "x", .user = NULL, .has_iat = 1, .iat = 5e8 };
	q[nq++] =
		(struct pj_revquery){ .name = "alpha", .user = "mike", .has_iat = 1, .iat = 2999 };
	return nq;
}

static void unlink_all(const char *path)
{
	char p[600];
	unlink(path);
	snprintf(p, sizeof(p), "%s.lock", path);
	unlink(p);
}

/* 1: revoked, 0: not, -1: the lookup failed. */
static int ask(const char *path, const struct pj_revquery *q)
{
	pj_err e;
	int rc = pj_revocation_check(path, 1, getuid(), q, &e);
	/* A missing file refuses too: make a vanished directory (removed by
	 * someone else while we run) no false disagreement. */
	if (rc != 0 && access(path, F_OK) != 0) {
		fprintf(stderr, "harness: %s vanished: %s\n", path, e.msg);
		abort();
	}
	if (rc == 0)
		return 0;
	/* A failure, or a refusal?  Not from the reason's words (the fuzzer
	 * puts anything into names, this directory's name too): the lookup
	 * underneath fails only for a failure. */
	struct pj_keystate k[4] = { { .kind = PJ_REV_ALL },
				    { .kind = PJ_REV_JTI, .key = q->name } };
	size_t nk = 2;
	if (q->alt_name)
		k[nk++] = (struct pj_keystate){ .kind = PJ_REV_JTI, .key = q->alt_name };
	if (q->user)
		k[nk++] = (struct pj_keystate){ .kind = PJ_REV_USER, .key = q->user };
	return pj_list_lookup(path, getuid(), 1, k, nk, NULL, &e) == 0 ? 1 : -1;
}

/* What the loaded list says of q (the rules of revocation.c, written out). */
static int model(const struct pj_revlist *l, const struct pj_revquery *q)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pj_rev_entry *en = &l->v[i];
		int cut = en->kind == PJ_REV_ALL ||
			  (en->kind == PJ_REV_USER && q->user && strcmp(en->text, q->user) == 0);
		if (cut && (!q->has_iat || q->iat < (double)en->time))
			return 1;
		if (en->kind == PJ_REV_JTI && (strcmp(en->text, q->name) == 0 ||
					       (q->alt_name && strcmp(en->text, q->alt_name) == 0)))
			return 1;
	}
	return 0;
}

static void expect(const char *what, const char *path, size_t i, const struct pj_revquery *q,
		   int want)
{
	int got = ask(path, q);
	if (got != want) {
		fprintf(stderr, "%s: query %zu (%s, user %s): %d, expected %d\n", what, i, q->name,
			q->user ? q->user : "-", got, want);
		abort();
	}
}

static int copy_list(struct pj_revlist *l, void *arg, pj_err *e)
{
	const struct pj_revlist *from = arg;
	(void)e;
	for (size_t i = 0; i < from->n; i++) {
		const struct pj_rev_entry *en = &from->v[i];
		if (pj_revlist_add(l, en->kind, en->text, en->text ? strlen(en->text) : 0,
				   en->time) != 0)
			abort();
	}
	return 0;
}

/* The list as records over an empty store. */
static void as_journal(const struct pj_revlist *l, const char *path)
{
	struct pj_change c[PJ_APPEND_BATCH];
	size_t n = 0;
	pj_err e;
	unlink_all(path);
	c[n++] = (struct pj_change){ .remove = 1, .kind = PJ_REV_JTI, .text = "never-listed" };
	for (size_t i = 0; i <= l->n; i++) {
		if (n == PJ_APPEND_BATCH || (i == l->n && n)) {
			if (pj_list_append(path, getuid(), c, n, 1000, &e) != 0) {
				fprintf(stderr, "append failed: %s\n", e.msg);
				abort();
			}
			n = 0;
		}
		if (i < l->n && l->v[i].kind != PJ_REV_COMMENT)
			c[n++] = (struct pj_change){ .kind = l->v[i].kind,
						     .text = l->v[i].text,
						     .time = l->v[i].time };
	}
}

static int add_abc(struct pj_revlist *l, void *arg, pj_err *e)
{
	static const char *ids[] = { "alpha", "bravo", "charlie", "delta", "echo" };
	(void)arg, (void)e;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (pj_revlist_add(l, PJ_REV_JTI, ids[i], strlen(ids[i]), 1000 + (long long)i) != 0)
			abort();
	return pj_revlist_add(l, PJ_REV_USER, "mike", 4, 3000);
}

/* The module's lookup and the tool's load of one file agree. */
static void agree(const char *what, const char *path, const struct pj_revquery *q, size_t nq,
		  int must_load)
{
	struct pj_revlist l;
	struct pj_list_info info;
	pj_err e;
	int loads = pj_revlist_load(path, getuid(), 0, &l, &e) == 0;
	if (!loads && must_load > 0) {
		fprintf(stderr, "%s: the tool cannot read what it wrote: %s\n", what, e.msg);
		abort();
	}
	if (loads != (pj_list_check(path, getuid(), &info, &e) == 0)) {
		fprintf(stderr, "%s: load and check disagree\n", what);
		abort();
	}
	for (size_t i = 0; i < nq; i++) {
		int got = ask(path, &q[i]);
		if (loads)
			expect(what, path, i, &q[i], model(&l, &q[i]));
		else if (got != -1 && must_load >= 0) {
			fprintf(stderr, "%s: an unreadable file answered query %zu\n", what, i);
			abort();
		}
	}
	if (loads)
		pj_revlist_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pj_revquery q[MAXQ];
	char *words[MAXQ] = { 0 }, *text = fz_cstr(data, size);
	struct pj_revlist l;
	pj_err e;
	size_t nq = queries(text, q, words);

	/* 1. A text list. */
	unlink_all(hand);
	fz_write(hand, data, size, 0644);
	for (size_t i = 0; i < nq; i++) {
		ask(hand, &q[i]);
		pj_allowlist_check(hand, getuid(), q[i].name, &e);
		pj_onetime_use(hand, getuid(), q[i].name, -1, 0, 0, &e);
	}
	int is_store = size >= 16 && memcmp(data, "\177pam_jwt-store\n", 16) == 0;
	if (pj_revlist_load(hand, getuid(), 0, &l, &e) != 0) {
		/* A text list the tool cannot read must refuse every login.  (A
		 * damaged store is noticed where a lookup reads it: step 3.) */
		for (size_t i = 0; size && !is_store && i < nq; i++)
			if (ask(hand, &q[i]) != -1) {
				fprintf(stderr, "unparsable file answered query %zu: %s\n", i,
					e.msg);
				abort();
			}
	} else {
		unlink_all(base);
		if (pj_revlist_update(base, getuid(), copy_list, &l, &e) != 0) {
			fprintf(stderr, "the tool cannot rewrite a file it loaded: %s\n", e.msg);
			abort();
		}
		as_journal(&l, journal);
		for (size_t i = 0; i < nq; i++) {
			int want = model(&l, &q[i]);
			expect("text", hand, i, &q[i], want);
			expect("base", base, i, &q[i], want);
			expect("journal", journal, i, &q[i], want);
		}
		if (pj_list_compact(journal, getuid(), -1, 1000, 0, &e) != 0) {
			fprintf(stderr, "cannot compact: %s\n", e.msg);
			abort();
		}
		for (size_t i = 0; i < nq; i++)
			expect("compacted", journal, i, &q[i], model(&l, &q[i]));
		pj_revlist_free(&l);
	}

	/* 2. The input as a journal after a valid base. */
	unlink_all(journal);
	if (pj_revlist_update(journal, getuid(), add_abc, NULL, &e) != 0)
		abort();
	int fd = open(journal, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	agree("journal bytes", journal, q, nq, 0);
	if (pj_revlist_load(journal, getuid(), 0, &l, &e) == 0) {
		pj_revlist_free(&l);
		if (pj_list_compact(journal, getuid(), -1, 1000, 0, &e) != 0) {
			fprintf(stderr, "cannot compact a journal that loads: %s\n", e.msg);
			abort();
		}
		agree("journal compacted", journal, q, nq, 1);
		/* 4. One use of a name. */
		if (nq && pj_name_valid(q[0].name, strlen(q[0].name))) {
			int first = pj_list_use(journal, getuid(), q[0].name, -1, 1800000000, &e);
			int again = pj_list_use(journal, getuid(), q[0].name, -1, 1800000000, &e);
			if (first == -1 || again != 1) {
				fprintf(stderr, "one-time use of %s: %d then %d\n", q[0].name,
					first, again);
				abort();
			}
		}
	}

	/* 3. A whole store image, its header sealed. */
	if (size >= 128 && size <= 16384) {
		unsigned char *img = (unsigned char *)fz_copy(data, size);
		/* Magic, version 1, a 128-byte header: the rest is the fuzzer's. */
		memcpy(img, "\177pam_jwt-store\n\1\0\0\0\200\0\0\0", 24);
		pj_store_seal(img, size);
		unlink_all(image);
		fz_write(image, img, size, 0644);
		agree("image", image, q, nq, -1);
		free(img);
	}

	for (size_t i = 0; i < MAXQ; i++)
		free(words[i]);
	free(text);
	return 0;
}
