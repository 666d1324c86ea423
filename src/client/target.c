/* SPDX-License-Identifier: BSD-3-Clause */
#include "client/target.h"

#include <stdio.h>
#include <string.h>

int pj_target_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > PJ_TARGET_MAX || s[0] == '!' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '*' || c == '?' || c == '\'' ||
		    c == '"' || c == '\\' || c == ',')
			return 0;
	}
	return 1;
}

/* The host of "USER@HOST" (the last '@': user names may hold one). */
static int host_of(const char *s, size_t len, char *name, size_t n)
{
	const char *at = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at || at == s)
		return -1;
	size_t hn = len - (size_t)(at + 1 - s);
	if (hn == 0 || hn >= n)
		return -1;
	memcpy(name, at + 1, hn);
	name[hn] = 0;
	return pj_target_name_ok(name) ? 0 : -1;
}

int pj_target_from_prompt(const char *prompt, const char *caller, char *name, size_t n,
			  int *service, pj_err *e)
{
	const char *close, *suffix = "'s password: ";
	size_t pl = strlen(prompt), sl = strlen(suffix);
	int sudo = (caller && strcmp(caller, "sudo") == 0) || strncmp(prompt, "[sudo] ", 7) == 0;
	if (sudo && !(caller && strcmp(caller, "ssh") == 0)) {
		*service = 1;
		snprintf(name, n, "sudo");
		return 0;
	}
	*service = 0;
	/* keyboard-interactive: "(USER@HOST) " then the server's text. */
	if (prompt[0] == '(' && (close = strstr(prompt, ") ")) &&
	    host_of(prompt + 1, (size_t)(close - prompt - 1), name, n) == 0)
		return 0;
	/* password: "USER@HOST's password: ", all of it the client's. */
	if (pl > sl && strcmp(prompt + pl - sl, suffix) == 0 &&
	    host_of(prompt, pl - sl, name, n) == 0)
		return 0;
	char shown[80];
	size_t k = 0;
	for (; prompt[k] && k + 1 < sizeof(shown); k++)
		shown[k] = prompt[k] >= 0x20 && prompt[k] < 0x7f ? prompt[k] : '?';
	shown[k] = 0;
	return pj_fail(e,
		       "cannot tell which host or service asks (prompt \"%s\"%s%s): set "
		       "PAM_JWT_TARGET=host:NAME or service:NAME",
		       shown, caller ? ", from " : "", caller ? caller : "");
}
