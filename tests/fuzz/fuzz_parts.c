/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the input is a conversation, one answer a line, as a client
 * answers the module's prompts for a token in parts.  The first line goes
 * through pj_parts_is_part and pj_parts_begin as pam_sm_authenticate hands it
 * over, every further line through pj_parts_add until the parts are
 * complete, then pj_parts_finish; every line is also read as a prompt
 * (pam_jwt-askpass's side).  And the whole input, when it holds no white
 * space (a token never does), is split for answers of a few sizes and must
 * come back whole from the assembly. */
#include "fuzz.h"

#include "config.h"
#include "parts.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv, (void)fz_tmpdir; /* reads and writes no files */
	return 0;
}

static void conversation(const char *data, size_t size)
{
	struct pj_parts p;
	pj_err e;
	const char *end = data + size, *line = data;
	int started = 0;
	memset(&p, 0, sizeof(p));
	while (line <= end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((nl ? nl : end) - line);
		char *answer = fz_copy((const uint8_t *)line, n),
		     *text = fz_cstr((const uint8_t *)line, n);
		unsigned k, parts;
		char id[PJ_PARTS_ID_LEN + 1];
		if (pj_parts_parse_prompt(text, &k, &parts, id) == 0 &&
		    (k < 1 || k > parts || parts > PJ_PARTS_MAX || strlen(id) != PJ_PARTS_ID_LEN))
			abort();
		if (!started) {
			started = 1;
			if (!pj_parts_is_part(answer, n) ||
			    pj_parts_begin(&p, answer, n, &e) != 0) {
				free(answer), free(text);
				break;
			}
		} else if (!pj_parts_complete(&p) && pj_parts_add(&p, answer, n, &e) != 0) {
			free(answer), free(text);
			break;
		}
		free(answer), free(text);
		if (!nl)
			break;
		line = nl + 1;
	}
	if (pj_parts_complete(&p) && pj_parts_finish(&p, &e) == 0 &&
	    (p.len > PJ_MAX_TOKEN || p.buf[p.len] != 0))
		abort();
	pj_parts_free(&p);
}

static void round_trip(const char *tok, size_t len, size_t max)
{
	static char part[PJ_MAX_TOKEN + PJ_PARTS_HEADER_MAX + 1];
	unsigned n = pj_parts_count(len, max);
	struct pj_parts p;
	pj_err e;
	if (n < 2)
		return;
	for (unsigned k = 1; k <= n; k++) {
		long m = pj_parts_format(tok, len, k, n, part, sizeof(part));
		if (m < 0 || (size_t)m > max)
			abort();
		if (k == 1 ? pj_parts_begin(&p, part, (size_t)m, &e) != 0
			   : pj_parts_add(&p, part, (size_t)m, &e) != 0) {
			fprintf(stderr, "part %u of %u refused: %s\n", k, n, e.msg);
			abort();
		}
	}
	if (pj_parts_finish(&p, &e) != 0 || p.len != len || memcmp(p.buf, tok, len) != 0)
		abort();
	pj_parts_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fz_copy(data, size);
	conversation(copy, size);
	if (size && size <= PJ_MAX_TOKEN && !memchr(copy, ' ', size) && !memchr(copy, '\t', size) &&
	    !memchr(copy, '\r', size) && !memchr(copy, '\n', size)) {
		round_trip(copy, size, 64);
		round_trip(copy, size, 511);
		round_trip(copy, size, 1023);
	}
	free(copy);
	return 0;
}
