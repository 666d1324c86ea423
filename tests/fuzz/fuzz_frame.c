/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is what the fetch helper wrote on its pipe, parsed by
 * pj_frame_parse as src/fetch.c does; an accepted answer must hang together,
 * must come back the same after pj_frame_write (the helper's side), and its
 * body goes where the module sends it next, pj_document_check. */
#include "fuzz.h"

#include <sys/mman.h>

#include "document.h"
#include "frame.h"

#define BODY_MAX 4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_tmpdir(); /* nothing is written there: the harness's shared set-up */
	return 0;
}

static void same(const struct pj_frame *a, const struct pj_frame *b)
{
	if (a->status != b->status || a->max_age != b->max_age || a->stored != b->stored ||
	    strcmp(a->etag, b->etag) || strcmp(a->note, b->note) ||
	    strcmp(a->failure, b->failure) || a->body_n != b->body_n ||
	    (a->body_n && memcmp(a->body, b->body, a->body_n)) || a->list_n != b->list_n ||
	    (a->list_n && memcmp(a->list, b->list, a->list_n)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fz_copy(data, size);
	struct pj_frame f, g;
	pj_err e;
	if (pj_frame_parse((const unsigned char *)copy, size, BODY_MAX, &f, &e) != 0) {
		free(copy);
		return 0;
	}
	if ((f.status != 0) == (f.failure[0] != 0) || (f.status == 200) != (f.body != NULL) ||
	    (f.list && !f.body) || f.body_n > BODY_MAX || (f.stored && f.note[0]))
		abort();
	int fd = memfd_create("frame", MFD_CLOEXEC);
	if (fd < 0 || pj_frame_write(fd, &f) != 0)
		abort();
	off_t n = lseek(fd, 0, SEEK_CUR);
	unsigned char *again = malloc((size_t)n);
	if (!again || pread(fd, again, (size_t)n, 0) != n)
		abort();
	close(fd);
	if (pj_frame_parse(again, (size_t)n, BODY_MAX, &g, &e) != 0)
		abort();
	same(&f, &g);
	if (f.body) {
		json_t *doc = pj_document_check(f.body, f.body_n, PJ_DOC_JWKS, &e);
		json_decref(doc);
		doc = pj_document_check(f.body, f.body_n, PJ_DOC_DISCOVERY, &e);
		json_decref(doc);
	}
	free(again);
	free(copy);
	return 0;
}
