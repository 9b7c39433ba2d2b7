/*
 * PID files that cannot make us signal the wrong process: each records the
 * engine's start time (/proc/<pid>/stat field 22) beside its pid, so a stale
 * file whose pid was reused names a process with another start time, which
 * is never signalled. PID files that are symbolic links are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "engine_internal.h"
#include "banned.h"

#define PIDFILE_MAX 8192

void ep_pidrec__release(struct ep_pidrec *r)
{
	free(r->url);
	free(r->health_path);
	free(r->engine_version);
	free(r->engine_digest);
	free(r->log_path);
	free(r->container);
	free(r->container_engine);
	memset(r, 0, sizeof(*r));
}

int ep_runtime__path(struct ep_buf *out, const char *runtime_dir, const char *sub,
		     const char *pool_id, const char *ext)
{
	ep_buf_reset(out);
	return ep_buf_addf(out, "%s/%s/%s%s", runtime_dir, sub, pool_id, ext);
}

/* Append "key value\n" when value is set (values never hold a newline). */
static int add_field(struct ep_buf *b, const char *key, const char *value)
{
	if (!value || strchr(value, '\n'))
		return 0;
	return ep_buf_addf(b, "%s %s\n", key, value);
}

int ep_pidfile__write(const char *path, const struct ep_pidrec *r, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	int rc;

	rc = ep_buf_addf(&b, "%d\nstart_time %llu\nstarted_at %" PRId64 "\nport %u\n", (int)r->pid,
			 r->start_time, r->started_at, (unsigned)r->port);
	rc = rc ? rc : add_field(&b, "url", r->url);
	rc = rc ? rc : add_field(&b, "health_path", r->health_path);
	rc = rc ? rc : add_field(&b, "engine_version", r->engine_version);
	rc = rc ? rc : add_field(&b, "engine_digest", r->engine_digest);
	rc = rc ? rc : add_field(&b, "log", r->log_path);
	rc = rc ? rc : add_field(&b, "container", r->container);
	rc = rc ? rc : add_field(&b, "container_engine", r->container_engine);
	if (rc)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		rc = ep_fs_replace(path, b.ptr, b.len, 0644, err);
	ep_buf_release(&b);
	return rc;
}

/* Parse one "key value" line into the record. */
static int parse_line(struct ep_pidrec *r, const char *line)
{
	const char *sp = strchr(line, ' ');
	const char *v = sp ? sp + 1 : "";
	size_t klen = sp ? (size_t)(sp - line) : strlen(line);
	char **slot = NULL;

	if (klen == 10 && !strncmp(line, "start_time", klen))
		r->start_time = strtoull(v, NULL, 10);
	else if (klen == 10 && !strncmp(line, "started_at", klen))
		r->started_at = strtoll(v, NULL, 10);
	else if (klen == 4 && !strncmp(line, "port", klen))
		r->port = (uint16_t)strtoul(v, NULL, 10);
	else if (klen == 3 && !strncmp(line, "url", klen))
		slot = &r->url;
	else if (klen == 11 && !strncmp(line, "health_path", klen))
		slot = &r->health_path;
	else if (klen == 14 && !strncmp(line, "engine_version", klen))
		slot = &r->engine_version;
	else if (klen == 13 && !strncmp(line, "engine_digest", klen))
		slot = &r->engine_digest;
	else if (klen == 3 && !strncmp(line, "log", klen))
		slot = &r->log_path;
	else if (klen == 9 && !strncmp(line, "container", klen))
		slot = &r->container;
	else if (klen == 16 && !strncmp(line, "container_engine", klen))
		slot = &r->container_engine;
	if (slot) {
		free(*slot);
		*slot = strdup(v);
		if (!*slot)
			return EP_ENOMEM;
	}
	return 0;
}

int ep_pidfile__read(struct ep_pidrec *out, const char *path, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	char *line, *nl, *end;
	long pid;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		return ep_error_set(err, EP_EUNSAFE,
				    "refusing PID file '%s': it is a symbolic link; remove it",
				    path);
	if (fd < 0)
		return ep_error_sys(err, errno == ENOENT ? EP_ENOTFOUND : EP_EIO,
				    "cannot open PID file '%s'", path);
	ep_buf_init(&b, PIDFILE_MAX);
	rc = ep_buf_read_fd(&b, fd, err);
	close(fd);
	if (rc) {
		ep_buf_release(&b);
		return ep_error_prefix(err, "PID file '%s'", path);
	}
	errno = 0;
	pid = strtol(b.ptr, &end, 10);
	if (errno || end == b.ptr || *end != '\n' || pid <= 1 || pid > INT32_MAX) {
		ep_buf_release(&b);
		return ep_error_set(
		    err, EP_EUNSAFE,
		    "malformed PID file '%s': the first line is not a pid; remove it", path);
	}
	out->pid = (pid_t)pid;
	for (line = end + 1; !rc && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		rc = parse_line(out, line);
	}
	ep_buf_release(&b);
	if (rc) {
		ep_pidrec__release(out);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	return 0;
}

int ep_pidfile__remove(const char *path, struct ep_error *err)
{
	if (unlink(path) && errno != ENOENT)
		return ep_error_sys(err, EP_EIO, "cannot remove '%s'", path);
	return 0;
}

/*
 * Read /proc/<pid>/stat into buf and return its fields from field 3 (the
 * state) on, or NULL. The command name (field 2) may hold spaces and
 * parentheses: the fields start after the last ')'.
 */
static const char *stat_fields(const char *pid, char *buf, size_t len)
{
	char path[300];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

int ep_proc__start_time(unsigned long long *start, char *state, pid_t pid)
{
	char id[32], buf[1024];
	const char *p;
	int field;

	snprintf(id, sizeof(id), "%d", (int)pid);
	p = stat_fields(id, buf, sizeof(buf));
	if (!p)
		return -1;
	if (state)
		*state = *p;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	*start = strtoull(p, NULL, 10);
	return 0;
}

bool ep_pidrec__alive(const struct ep_pidrec *r)
{
	unsigned long long st;
	char state = '?';

	if (r->pid <= 1 || ep_proc__start_time(&st, &state, r->pid))
		return false;
	return st == r->start_time && state != 'Z' && state != 'X';
}

/* Field 5 (the process group) of a /proc/<pid>/stat, or -1. */
static pid_t stat_pgrp(const char *pid_dir, char *state)
{
	char buf[1024];
	const char *p = stat_fields(pid_dir, buf, sizeof(buf));

	if (!p)
		return -1;
	*state = p[0];
	p = strchr(p + 1, ' '); /* field 4, the parent */
	p = p ? strchr(p + 1, ' ') : NULL;
	return p ? (pid_t)strtol(p + 1, NULL, 10) : -1;
}

bool ep_pgrp__alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char state = '?';

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (stat_pgrp(de->d_name, &state) == pgid && state != 'Z' && state != 'X')
			found = true;
	}
	closedir(d);
	return found;
}
