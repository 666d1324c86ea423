/* SPDX-License-Identifier: BSD-3-Clause */
/* LD_PRELOAD shim for tests: syslog() lines go to $PJ_LOG_FILE, so a test can
 * read what the module logged without a syslog daemon. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

void openlog(const char *ident, int option, int facility);
void closelog(void);
void syslog(int priority, const char *fmt, ...);
void vsyslog(int priority, const char *fmt, va_list ap);
void __syslog_chk(int priority, int flag, const char *fmt, ...);
void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap);

void openlog(const char *ident, int option, int facility)
{
	(void)ident, (void)option, (void)facility;
}

void closelog(void)
{
}

/* sshd empties environ in the child that runs keyboard-interactive PAM
 * authentication: the path is remembered when the shim is loaded. */
static char saved_path[4096];

__attribute__((constructor)) static void save_path(void)
{
	const char *p = getenv("PJ_LOG_FILE");
	if (p && strlen(p) < sizeof(saved_path))
		strcpy(saved_path, p);
}

void vsyslog(int priority, const char *fmt, va_list ap)
{
	const char *path = getenv("PJ_LOG_FILE");
	if (!path && saved_path[0])
		path = saved_path;
	char line[4096];
	int n = snprintf(line, sizeof(line), "<%d> ", priority);
	if (!path || n < 0)
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	strcat(line, "\n");
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		line[0] = 0;
	close(fd);
}

void syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int priority, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int priority, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(priority, fmt, ap);
}
