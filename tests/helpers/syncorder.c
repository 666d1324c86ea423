/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD shim for tests: records, in the order they happen, the calls
 * that decide what a crash or a power cut leaves on disk, for files under
 * $PJ_SYNC_DIR, one line each to $PJ_SYNC_LOG:
 *
 *   loaded PID                  (once, when the shim is loaded: it ran)
 *   write FD PATH BYTES         write, pwrite (BYTES as returned)
 *   fsync FD PATH               fsync (a directory too)
 *   fdatasync FD PATH
 *   rename FROM TO              rename, renameat, renameat2 (when it worked)
 *
 * PATH is what /proc/self/fd says the descriptor is.  The log is written
 * with the write system call itself, so the shim never records itself. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_path[4096], dir[4096];

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	char line[9000];
	va_list ap;
	if (!log_path[0])
		return;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (syscall(SYS_write, fd, line, (size_t)n) < 0)
		line[0] = 0;
	syscall(SYS_close, fd);
}

__attribute__((constructor)) static void init(void)
{
	const char *l = getenv("PJ_SYNC_LOG"), *d = getenv("PJ_SYNC_DIR");
	if (!l || strlen(l) >= sizeof(log_path) || !d || strlen(d) >= sizeof(dir))
		return;
	strcpy(log_path, l);
	strcpy(dir, d);
	emit("loaded %ld\n", (long)getpid());
}

static int watched(const char *p)
{
	return dir[0] && strncmp(p, dir, strlen(dir)) == 0;
}

/* The path of fd, or "" when it is not one of the watched files. */
static const char *fd_path(int fd, char *buf, size_t n)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, buf, n - 1);
	if (k < 0)
		k = 0;
	buf[k] = 0;
	return watched(buf) ? buf : "";
}

/* A path as the process named it, made absolute against dirfd. */
static const char *at_path(int dirfd, const char *p, char *buf, size_t n)
{
	char d[4096];
	if (p[0] == '/' || dirfd == AT_FDCWD) {
		if (p[0] == '/' || !getcwd(d, sizeof(d)))
			snprintf(buf, n, "%s", p);
		else if (snprintf(buf, n, "%s/%s", d, p) >= (int)n)
			buf[0] = 0;
		return buf;
	}
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	ssize_t k = readlink(link, d, sizeof(d) - 1);
	d[k < 0 ? 0 : k] = 0;
	if (snprintf(buf, n, "%s/%s", d, p) >= (int)n)
		buf[0] = 0;
	return buf;
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef int (*sync_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
#define REAL(name, type)                                                                           \
	static type real_##name;                                                                   \
	if (!real_##name)                                                                          \
		real_##name = (type)dlsym(RTLD_NEXT, #name);

ssize_t write(int fd, const void *p, size_t n)
{
	REAL(write, write_fn);
	ssize_t r = real_write(fd, p, n);
	char path[4096];
	if (*fd_path(fd, path, sizeof(path)))
		emit("write %d %s %zd\n", fd, path, r);
	return r;
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	REAL(pwrite, pwrite_fn);
	ssize_t r = real_pwrite(fd, p, n, off);
	char path[4096];
	if (*fd_path(fd, path, sizeof(path)))
		emit("write %d %s %zd\n", fd, path, r);
	return r;
}

int fsync(int fd)
{
	REAL(fsync, sync_fn);
	char path[4096];
	int r = real_fsync(fd);
	if (*fd_path(fd, path, sizeof(path)))
		emit("fsync %d %s\n", fd, path);
	return r;
}

int fdatasync(int fd)
{
	REAL(fdatasync, sync_fn);
	char path[4096];
	int r = real_fdatasync(fd);
	if (*fd_path(fd, path, sizeof(path)))
		emit("fdatasync %d %s\n", fd, path);
	return r;
}

static void renamed(int r, int olddir, const char *from, int newdir, const char *to)
{
	char a[4096], b[4096];
	at_path(olddir, from, a, sizeof(a));
	at_path(newdir, to, b, sizeof(b));
	if (r == 0 && (watched(a) || watched(b)))
		emit("rename %s %s\n", a, b);
}

int rename(const char *from, const char *to)
{
	REAL(rename, rename_fn);
	int r = real_rename(from, to);
	renamed(r, AT_FDCWD, from, AT_FDCWD, to);
	return r;
}

int renameat(int olddir, const char *from, int newdir, const char *to)
{
	REAL(renameat, renameat_fn);
	int r = real_renameat(olddir, from, newdir, to);
	renamed(r, olddir, from, newdir, to);
	return r;
}

int renameat2(int olddir, const char *from, int newdir, const char *to, unsigned flags)
{
	REAL(renameat2, renameat2_fn);
	int r = real_renameat2(olddir, from, newdir, to, flags);
	renamed(r, olddir, from, newdir, to);
	return r;
}
