/* SPDX-License-Identifier: BSD-3-Clause */
#include "parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config.h"
#include "util.h"

#define TAG_LEN (sizeof(PJ_PARTS_TAG) - 1)

struct header {
	unsigned long k, n, len;
	char id[PJ_PARTS_ID_LEN + 1];
	size_t size; /* bytes of the header, the chunk follows */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Answers are trimmed like a single answer is (a pasted newline). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space((*s)[0]))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

int pj_parts_is_part(const char *s, size_t n)
{
	trim(&s, &n);
	return n >= TAG_LEN && memcmp(s, PJ_PARTS_TAG, TAG_LEN) == 0;
}

/* A decimal number at s[*i] (1 to 9 digits, no leading zero) ended by stop;
 * advances *i past stop. */
static int number(const char *s, size_t n, size_t *i, char stop, unsigned long *out)
{
	size_t start = *i;
	unsigned long v = 0;
	while (*i < n && *i - start < 10 && s[*i] >= '0' && s[*i] <= '9')
		v = v * 10 + (unsigned long)(s[(*i)++] - '0');
	if (*i == start || *i - start > 9 || s[start] == '0' || *i >= n || s[*i] != stop)
		return -1;
	(*i)++;
	*out = v;
	return 0;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The header of a trimmed answer that starts with the tag.  Nothing of the
 * answer goes into the reason. */
static int parse_header(const char *s, size_t n, struct header *h, pj_err *e)
{
	size_t i = TAG_LEN;
	if (number(s, n, &i, '/', &h->k) != 0 || number(s, n, &i, ':', &h->n) != 0 ||
	    number(s, n, &i, ':', &h->len) != 0 || n - i < PJ_PARTS_ID_LEN + 1)
		goto bad;
	for (size_t j = 0; j < PJ_PARTS_ID_LEN; j++)
		if (!is_hex(s[i + j]))
			goto bad;
	if (s[i + PJ_PARTS_ID_LEN] != ':')
		goto bad;
	memcpy(h->id, s + i, PJ_PARTS_ID_LEN);
	h->id[PJ_PARTS_ID_LEN] = 0;
	h->size = i + PJ_PARTS_ID_LEN + 1;
	if (h->k > h->n)
		return pj_fail(e, "a part's header says part %lu of %lu", h->k, h->n);
	return 0;
bad:
	return pj_fail(e, "a part's header is malformed (expected " PJ_PARTS_TAG
			  "PART/PARTS:LENGTH:ID:)");
}

/* Part k's share of the token: fixed by the length and the count. */
static size_t share(size_t len, unsigned long n, unsigned long k)
{
	return (size_t)(k * len / n - (k - 1) * len / n);
}

static int take(struct pj_parts *p, const char *chunk, size_t n, pj_err *e)
{
	unsigned k = p->have + 1;
	size_t want = share(p->len, p->n, k);
	if (n < want)
		return pj_fail(e,
			       "part %u of %u is %zu bytes, %zu expected (cut short by the "
			       "application?)",
			       k, p->n, n, want);
	if (n > want)
		return pj_fail(e, "part %u of %u is %zu bytes, longer than its %zu", k, p->n, n,
			       want);
	memcpy(p->buf + p->got, chunk, n);
	p->got += n;
	p->have = k;
	return 0;
}

int pj_parts_begin(struct pj_parts *p, const char *answer, size_t n, pj_err *e)
{
	struct header h;
	memset(p, 0, sizeof(*p));
	trim(&answer, &n);
	if (!pj_parts_is_part(answer, n))
		return pj_fail(e, "the answer is not a part of a token");
	if (parse_header(answer, n, &h, e) != 0)
		return -1;
	if (h.k != 1)
		return pj_fail(e, "the first answer is part %lu of %lu: part 1 must come first",
			       h.k, h.n);
	if (h.n > PJ_PARTS_MAX)
		return pj_fail(e, "part 1 announces %lu parts, more than the %d accepted", h.n,
			       PJ_PARTS_MAX);
	if (h.len > PJ_MAX_TOKEN)
		return pj_fail(e, "part 1 announces a token of %lu bytes, over the %d-byte limit",
			       h.len, PJ_MAX_TOKEN);
	if (h.n > h.len)
		return pj_fail(e, "part 1 announces %lu parts of a %lu-byte token", h.n, h.len);
	p->n = (unsigned)h.n;
	p->len = h.len;
	memcpy(p->id, h.id, sizeof(p->id));
	if (!(p->buf = malloc(p->len + 1)))
		return pj_fail(e, "out of memory");
	p->buf[p->len] = 0;
	return take(p, answer + h.size, n - h.size, e);
}

int pj_parts_complete(const struct pj_parts *p)
{
	return p->buf && p->have == p->n;
}

void pj_parts_prompt(const struct pj_parts *p, char *buf, size_t bufn)
{
	snprintf(buf, bufn, "JWT part %u of %u (%s): ", p->have + 1, p->n, p->id);
}

int pj_parts_add(struct pj_parts *p, const char *answer, size_t n, pj_err *e)
{
	struct header h;
	unsigned k = p->have + 1;
	if (!p->buf || pj_parts_complete(p))
		return pj_fail(e, "no part is expected");
	trim(&answer, &n);
	if (n == 0)
		return pj_fail(e, "the answer to part %u of %u is empty (did the client stop?)", k,
			       p->n);
	if (!pj_parts_is_part(answer, n))
		return pj_fail(e,
			       "the answer to part %u of %u is not a part of a token (it lacks "
			       "the " PJ_PARTS_TAG " header)",
			       k, p->n);
	pj_err why;
	if (parse_header(answer, n, &h, &why) != 0)
		return pj_fail(e, "the answer to part %u of %u: %s", k, p->n, why.msg);
	if (h.n != p->n || h.len != p->len || strcmp(h.id, p->id) != 0)
		return pj_fail(e,
			       "the answer to part %u of %u belongs to another token than part 1 "
			       "(did the token change between prompts?)",
			       k, p->n);
	if (h.k == 1)
		return pj_fail(e,
			       "the answer to part %u of %u is part 1 again (the application "
			       "answers every prompt alike; sshd's password method does: use "
			       "keyboard-interactive)",
			       k, p->n);
	if (h.k != k)
		return pj_fail(e, "the answer to part %u of %u is part %lu (out of order)", k, p->n,
			       h.k);
	return take(p, answer + h.size, n - h.size, e);
}

int pj_parts_id(const char *tok, size_t len, char id[PJ_PARTS_ID_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdn = 0;
	if (!EVP_Digest(tok, len, md, &mdn, EVP_sha256(), NULL) || mdn < PJ_PARTS_ID_LEN / 2)
		return -1;
	for (size_t i = 0; i < PJ_PARTS_ID_LEN / 2; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int pj_parts_finish(struct pj_parts *p, pj_err *e)
{
	char id[PJ_PARTS_ID_LEN + 1];
	if (!pj_parts_complete(p))
		return pj_fail(e, "only %u of %u parts arrived", p->have, p->n);
	if (pj_parts_id(p->buf, p->len, id) != 0)
		return pj_fail(e, "cannot hash the joined parts");
	if (strcmp(id, p->id) != 0)
		return pj_fail(e,
			       "the %u parts do not make up the token part 1 announced (spliced "
			       "from two tokens?)",
			       p->n);
	return 0;
}

void pj_parts_free(struct pj_parts *p)
{
	if (p->buf)
		pj_free_secret(p->buf, p->len + 1);
	memset(p, 0, sizeof(*p));
}

/* ---- the client side ---- */

static size_t digits(unsigned long v)
{
	size_t d = 1;
	while (v >= 10)
		v /= 10, d++;
	return d;
}

static size_t header_len(unsigned long k, unsigned long n, size_t len)
{
	return TAG_LEN + digits(k) + 1 + digits(n) + 1 + digits(len) + 1 + PJ_PARTS_ID_LEN + 1;
}

unsigned pj_parts_count(size_t len, size_t max)
{
	if (len == 0 || len > PJ_MAX_TOKEN)
		return 0;
	if (len <= max)
		return 1;
	/* The largest share is ceil(len / n), with the longest header (k = n). */
	for (unsigned n = 2; n <= PJ_PARTS_MAX && n <= len; n++)
		if (header_len(n, n, len) + (len + n - 1) / n <= max)
			return n;
	return 0;
}

long pj_parts_format(const char *tok, size_t len, unsigned k, unsigned n, char *out, size_t outn)
{
	char id[PJ_PARTS_ID_LEN + 1];
	if (n < 1 || n > PJ_PARTS_MAX || k < 1 || k > n || len < n || len > PJ_MAX_TOKEN ||
	    pj_parts_id(tok, len, id) != 0)
		return -1;
	size_t from = (k - 1) * len / n, size = share(len, n, k), h = header_len(k, n, len);
	if (outn < h + size + 1)
		return -1;
	snprintf(out, outn, PJ_PARTS_TAG "%u/%u:%zu:%s:", k, n, len, id);
	memcpy(out + h, tok + from, size);
	out[h + size] = 0;
	return (long)(h + size);
}

/* "K of N (ID)" at s, as the module writes it. */
static int prompt_at(const char *s, unsigned *k, unsigned *n, char id[PJ_PARTS_ID_LEN + 1])
{
	unsigned long vk, vn;
	size_t len = strlen(s), i = 0;
	if (number(s, len, &i, ' ', &vk) != 0 || strncmp(s + i, "of ", 3) != 0)
		return -1;
	i += 3;
	if (number(s, len, &i, ' ', &vn) != 0 || s[i] != '(' || len - i < PJ_PARTS_ID_LEN + 2)
		return -1;
	for (size_t j = 0; j < PJ_PARTS_ID_LEN; j++)
		if (!is_hex(s[i + 1 + j]))
			return -1;
	if (s[i + 1 + PJ_PARTS_ID_LEN] != ')' || vk < 1 || vk > vn || vn > PJ_PARTS_MAX)
		return -1;
	memcpy(id, s + i + 1, PJ_PARTS_ID_LEN);
	id[PJ_PARTS_ID_LEN] = 0;
	*k = (unsigned)vk;
	*n = (unsigned)vn;
	return 0;
}

int pj_parts_parse_prompt(const char *text, unsigned *k, unsigned *n, char id[PJ_PARTS_ID_LEN + 1])
{
	static const char lead[] = "JWT part ";
	for (const char *s = strstr(text, lead); s; s = strstr(s + 1, lead))
		if (prompt_at(s + sizeof(lead) - 1, k, n, id) == 0)
			return 0;
	return -1;
}
