/*
 * `down`: stop an engine by its process group, TERM first and KILL after a
 * grace period, but only when the PID file's pid still is the engine (same
 * start time); then forget it (PID and handoff files).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep/log.h"
#include "engine_internal.h"
#include "banned.h"

#define KILL_WAIT_MS 5000

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Is anything of the group (or the lone process) left, zombies aside? */
static bool still_there(pid_t pgid, bool group)
{
	unsigned long long st;
	char state = '?';

	if (group)
		return ep_pgrp__alive(pgid);
	return !ep_proc__start_time(&st, &state, pgid) && state != 'Z' && state != 'X';
}

/* Wait up to `ms` for the group to be gone; true when it is. */
static bool wait_gone(pid_t pgid, bool group, int64_t ms)
{
	int64_t end = ep_now_ms() + ms, step = 5;

	while (still_there(pgid, group)) {
		if (ep_now_ms() >= end)
			return false;
		sleep_ms(step);
		step = step * 2 > 100 ? 100 : step * 2;
	}
	return true;
}

void ep_engine__stop_group(enum ep_stop_how *how, pid_t pgid, unsigned grace_s)
{
	pid_t pg = getpgid(pgid);
	bool group = pg == pgid || (pg < 0 && ep_pgrp__alive(pgid));
	pid_t target = group ? -pgid : pgid;

	*how = EP_STOP_TERM;
	(void)kill(target, SIGTERM);
	(void)kill(target, SIGCONT); /* a stopped process would never see the TERM */
	if (wait_gone(pgid, group, (int64_t)grace_s * 1000))
		return;
	*how = EP_STOP_KILL;
	(void)kill(target, SIGKILL);
	(void)wait_gone(pgid, group, KILL_WAIT_MS);
}

int ep_engine_down(struct ep_down_result *out, const char *runtime_dir, const char *pool_id,
		   unsigned grace_s, struct ep_error *err)
{
	struct ep_buf pid_path = EP_BUF_INIT, handoff = EP_BUF_INIT;
	struct ep_pidrec rec;
	int64_t t0 = ep_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!ep_pool_id_is_valid(pool_id))
		return ep_error_set(err, EP_EUSAGE, "invalid pool id '%s'", pool_id);
	if (ep_runtime__path(&pid_path, runtime_dir, "pids", pool_id, ".pid") ||
	    ep_runtime__path(&handoff, runtime_dir, "engines", pool_id, ".json")) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		goto done;
	}
	rc = ep_pidfile__read(&rec, pid_path.ptr, err);
	if (rc == EP_ENOTFOUND) {
		ep_error_clear(err);
		rc = ep_pidfile__remove(handoff.ptr, err);
		ep_narrate(EP_LOG_INFO, "spawn", "down", pool_id, pool_id, -1,
			   "pool '%s' is not running; nothing to stop", pool_id);
		goto done;
	}
	if (rc)
		goto done;
	out->pid = rec.pid;
	if (rec.container) {
		rc = ep_engine__container_stop(out, &rec, pool_id, grace_s, err);
		if (rc) {
			ep_pidrec__release(&rec);
			goto done;
		}
	} else if (!ep_pidrec__alive(&rec)) {
		out->stale = true;
		ep_narrate(EP_LOG_WARN, "spawn", "stale-pid", pid_path.ptr, pool_id, -1,
			   "PID file of pool '%s' names pid %d, which is gone or is another "
			   "process (start time differs); not signalling it",
			   pool_id, (int)rec.pid);
	} else {
		out->was_running = true;
		ep_engine__stop_group(&out->how, rec.pid, grace_s);
		out->ms = ep_now_ms() - t0;
		ep_narrate(EP_LOG_INFO, "spawn", "down", pool_id, pool_id, out->ms,
			   "stopped pool '%s' (pid %d) with %s", pool_id, (int)rec.pid,
			   out->how == EP_STOP_KILL ? "SIGKILL after the grace period" : "SIGTERM");
	}
	ep_pidrec__release(&rec);
	rc = ep_pidfile__remove(handoff.ptr, err);
	rc = rc ? rc : ep_pidfile__remove(pid_path.ptr, err);
done:
	ep_buf_release(&pid_path);
	ep_buf_release(&handoff);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ep_engine_list(struct ep_strvec *out, const char *runtime_dir, struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT, id = EP_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (ep_buf_addf(&dir, "%s/pids", runtime_dir))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	d = opendir(dir.ptr);
	if (!d) {
		rc = errno == ENOENT ? 0 : ep_error_sys(err, EP_EIO, "cannot list '%s'", dir.ptr);
		ep_buf_release(&dir);
		return rc;
	}
	while (!rc && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len <= 4 || strcmp(de->d_name + len - 4, ".pid"))
			continue;
		ep_buf_reset(&id);
		ep_buf_add(&id, de->d_name, len - 4);
		if (ep_pool_id_is_valid(id.ptr) && ep_strvec_push(out, id.ptr))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	closedir(d);
	ep_buf_release(&dir);
	ep_buf_release(&id);
	if (!rc && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return rc;
}
