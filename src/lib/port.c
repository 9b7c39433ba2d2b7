/*
 * Ports: is one free to bind, and when it is not, who holds it. The holder
 * is found the way ss(8) does: the listening socket's inode in
 * /proc/net/tcp{,6}, then the process with a descriptor on that socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_internal.h"
#include "banned.h"

bool ep_port__is_free(const char *host, uint16_t port)
{
	struct addrinfo hints, *res = NULL, *ai;
	char serv[8];
	bool free_all = true;
	int one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%u", (unsigned)port);
	if (getaddrinfo(host, serv, &hints, &res))
		return false;
	for (ai = res; ai && free_all; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (fd < 0)
			continue;
		/* As servers do, so a socket in TIME_WAIT does not count as taken. */
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen))
			free_all = false;
		close(fd);
	}
	freeaddrinfo(res);
	return free_all;
}

/* The inode of a socket listening on `port` in a /proc/net/tcp-style table, or 0. */
static unsigned long listening_inode(const char *table, uint16_t port)
{
	FILE *f = fopen(table, "re");
	char line[512];
	unsigned long inode = 0;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return 0;
	}
	while (!inode && fgets(line, sizeof(line), f)) {
		char local[64], remote[64], st[8];
		unsigned long ino;
		const char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %63s %7s %*s %*s %*s %*s %*s %lu", local, remote, st,
			   &ino) != 4)
			continue;
		colon = strrchr(local, ':');
		if (!colon || strcmp(st, "0A"))
			continue;
		if (strtoul(colon + 1, NULL, 16) == port)
			inode = ino;
	}
	fclose(f);
	return inode;
}

/* The pid of a process holding socket `inode` open, or 0. */
static pid_t socket_owner(unsigned long inode)
{
	char want[64];
	DIR *proc = opendir("/proc");
	struct dirent *pe;
	pid_t found = 0;

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (pe = readdir(proc))) {
		char dir[300];
		DIR *fds;
		struct dirent *fe;

		if (pe->d_name[0] < '0' || pe->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/fd", pe->d_name);
		fds = opendir(dir);
		if (!fds)
			continue;
		while (!found && (fe = readdir(fds))) {
			char link[600], target[128];
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, want))
				found = (pid_t)strtol(pe->d_name, NULL, 10);
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

int ep_port__holder(struct ep_buf *out, uint16_t port)
{
	unsigned long inode = listening_inode("/proc/net/tcp", port);
	char path[64], comm[64] = "";
	pid_t pid;
	FILE *f;

	ep_buf_reset(out);
	if (!inode)
		inode = listening_inode("/proc/net/tcp6", port);
	if (!inode)
		return 0;
	pid = socket_owner(inode);
	if (!pid)
		return ep_buf_adds(out, "a process this user cannot see");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	return ep_buf_addf(out, "pid %d (%s)", (int)pid, comm[0] ? comm : "?");
}
