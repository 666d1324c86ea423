/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD shim for tests: every block handed to free() is searched, before
 * it is released, for the byte strings listed in the file $PJ_FREECHECK (one
 * a line, in hex).  Each hit is appended to $PJ_FREECHECK_LOG as
 * "SECRET-LINE OBJECT", OBJECT being the file that called free(), so a test
 * can tell the module's own buffers from those of libcrypto or libpam.  Blocks
 * released by realloc() are not seen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __libc_free(void *p);
void free(void *p);

#define MAXSEC 16
static unsigned char store[16384];
static struct {
	const unsigned char *p;
	size_t n;
} sec[MAXSEC];
static int nsec = -1;
static __thread int busy;

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parsed without malloc: free() may run before anything else. */
static void load(void)
{
	const char *path = getenv("PJ_FREECHECK");
	char text[32768];
	ssize_t n = 0;
	int fd;
	size_t used = 0;
	nsec = 0;
	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = 0;
	for (char *l = text; *l && nsec < MAXSEC;) {
		size_t len = strcspn(l, "\n"), start = used;
		for (size_t i = 0; i + 1 < len && used < sizeof(store); i += 2) {
			int hi = hexval(l[i]), lo = hexval(l[i + 1]);
			if (hi < 0 || lo < 0)
				break;
			store[used++] = (unsigned char)(hi << 4 | lo);
		}
		if (used > start) {
			sec[nsec].p = store + start;
			sec[nsec++].n = used - start;
		}
		l += len + (l[len] == '\n');
	}
}

static void report(int which, void *caller)
{
	Dl_info info;
	char line[600];
	const char *log = getenv("PJ_FREECHECK_LOG");
	const char *obj = dladdr(caller, &info) && info.dli_fname ? info.dli_fname : "?";
	int fd, len = snprintf(line, sizeof(line), "%d %s\n", which + 1, obj);
	if (!log || (fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	if (write(fd, line, (size_t)len) < 0)
		line[0] = 0;
	close(fd);
}

void free(void *p)
{
	if (p && !busy) {
		busy = 1;
		if (nsec < 0)
			load();
		size_t n = malloc_usable_size(p);
		for (int i = 0; i < nsec; i++)
			if (sec[i].n <= n && memmem(p, n, sec[i].p, sec[i].n))
				report(i, __builtin_return_address(0));
		busy = 0;
	}
	__libc_free(p);
}
