/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a revocation file.  It is looked up the module's way
 * (full scan; then again with an index of fuzzed offsets that matches the file's
 * identity, so the binary search runs over arbitrary text), as an allowlist and
 * a one-time record, and loaded the tool's way.  When it loads, the tool
 * rewrites it (sorted, indexed) and three answers must agree for every query:
 * the hand-written file, the tool's file through its index, and the tool's file
 * scanned in full.  A disagreement aborts, so the fuzzer reports it. */
#include "fuzz.h"

#include <sys/stat.h>

#include "revocation.h"

#define MAXQ 8

static char hand[512], tool[512], tool_index[512], hand_index[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir();
	fz_path(hand, sizeof(hand), "hand");
	fz_path(hand_index, sizeof(hand_index), "hand.index");
	fz_path(tool, sizeof(tool), "tool");
	fz_path(tool_index, sizeof(tool_index), "tool.index");
	return 0;
}

/* Queries from the input's own words (so lines can match) and fixed ones. */
static size_t queries(const char *text, struct pj_revquery *q, char **words)
{
	size_t nq = 0, nw = 0;
	const char *p = text;
	while (*p && nw < MAXQ) {
		size_t skip = strspn(p, " \t\r\n"), len;
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
	for (size_t i = 0; i < nw && nq < MAXQ - 1; i++)
		q[nq++] = (struct pj_revquery){ .name = words[i],
						.alt_name = i + 1 < nw ? words[i + 1] : NULL,
						.user = words[i],
						.has_iat = (int)(i % 5 != 4),
						.iat = iats[i % 4] + (double)i };
	q[nq++] = (struct pj_revquery){ .name = "x", .user = NULL, .has_iat = 1, .iat = 5e8 };
	return nq;
}

/* An index that matches the file's identity but not (necessarily) its
 * layout: offsets taken from the input. */
static void fuzzed_index(const uint8_t *data, size_t size)
{
	struct stat st;
	char text[512];
	if (size < 4 || stat(hand, &st) != 0)
		return;
	size_t u = ((size_t)data[size - 1] << 8 | data[size - 2]) % (size + 1);
	size_t j = u + ((size_t)data[size - 3] << 8 | data[size - 4]) % (size - u + 1);
	int n = snprintf(text, sizeof(text),
			 "pam_jwt-index 1 %llu %llu %llu %lld %lld %lld %lld %zu %zu\n",
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 (long long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
			 (long long)st.st_ctim.tv_nsec, u, j);
	fz_write(hand_index, text, (size_t)n, 0644);
}

struct copy {
	const struct pj_revlist *from;
};

static int copy_list(struct pj_revlist *l, void *arg, pj_err *e)
{
	const struct pj_revlist *from = ((struct copy *)arg)->from;
	(void)e;
	for (size_t i = 0; i < from->n; i++) {
		const struct pj_rev_entry *en = &from->v[i];
		if (pj_revlist_add(l, en->kind, en->text, en->text ? strlen(en->text) : 0,
				   en->time) != 0)
			abort();
	}
	return 0;
}

static int revoked(const char *path, const struct pj_revquery *q)
{
	pj_err e;
	int rc = pj_revocation_check(path, 1, getuid(), q, &e);
	/* A missing file refuses too: make a vanished directory (removed by
	 * someone else while we run) no false disagreement. */
	if (rc != 0 && access(path, F_OK) != 0) {
		fprintf(stderr, "harness: %s vanished: %s\n", path, e.msg);
		abort();
	}
	return rc != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pj_revquery q[MAXQ];
	char *words[MAXQ] = { 0 }, *text = fz_cstr(data, size);
	int scan[MAXQ];
	struct pj_revlist l;
	pj_err e;
	size_t nq = queries(text, q, words);

	unlink(hand_index);
	fz_write(hand, data, size, 0644);
	for (size_t i = 0; i < nq; i++) {
		scan[i] = revoked(hand, &q[i]);
		pj_allowlist_check(hand, getuid(), q[i].name, &e);
		pj_onetime_use(hand, getuid(), q[i].name, -1, 0, 0, &e);
	}
	fuzzed_index(data, size);
	for (size_t i = 0; i < nq; i++)
		revoked(hand, &q[i]);

	if (pj_revlist_load(hand, getuid(), 0, &l, &e) != 0) {
		/* A file the tool cannot read must refuse every login. */
		for (size_t i = 0; size && i < nq; i++)
			if (!scan[i]) {
				fprintf(stderr, "unparsable file accepted query %zu: %s\n", i,
					e.msg);
				abort();
			}
	} else {
		struct copy c = { &l };
		unlink(tool);
		unlink(tool_index);
		if (pj_revlist_update(tool, getuid(), copy_list, &c, &e) != 0) {
			fprintf(stderr, "the tool cannot rewrite a file it loaded: %s\n", e.msg);
			abort();
		}
		int indexed[MAXQ];
		for (size_t i = 0; i < nq; i++)
			indexed[i] = revoked(tool, &q[i]);
		unlink(tool_index);
		for (size_t i = 0; i < nq; i++) {
			int full = revoked(tool, &q[i]);
			if (indexed[i] != full || full != scan[i]) {
				fprintf(stderr,
					"query %zu (%s, user %s): hand-written %d, "
					"tool's file indexed %d, scanned %d\n",
					i, q[i].name, q[i].user ? q[i].user : "-", scan[i],
					indexed[i], full);
				abort();
			}
		}
		pj_revlist_free(&l);
	}
	for (size_t i = 0; i < MAXQ; i++)
		free(words[i]);
	free(text);
	return 0;
}
