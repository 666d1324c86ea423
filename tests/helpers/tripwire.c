/* SPDX-License-Identifier: BSD-3-Clause */
/* Bait for tests/integration/fetch_env.sh: a shared object that, if any
 * process ever loads it (LD_PRELOAD, a libcurl.so.4 found through
 * LD_LIBRARY_PATH, an OpenSSL provider named by OPENSSL_CONF and
 * OPENSSL_MODULES), leaves MARKS/PID naming that process's program.  MARKS
 * is compiled in: the process that trips it may have no environment. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MARKS
#error "build with -DMARKS='\"/dir\"'"
#endif

__attribute__((constructor)) static void tripped(void)
{
	char exe[4096], path[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 2);
	n = n > 0 ? n : 0;
	exe[n] = '\n';
	exe[n + 1] = 0;
	snprintf(path, sizeof(path), "%s/%d", MARKS, (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, exe, strlen(exe)) < 0)
			exe[0] = 0;
		close(fd);
	}
}
