/*
 * `status`: what a PID file says, checked now. Running means the pid lives
 * with the recorded start time; health is asked of the engine itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "banned.h"

#define STATUS_HEALTH_TIMEOUT_MS 2000

/* Seconds since the process started, from its start time in clock ticks after boot. */
static int64_t uptime_of(unsigned long long start_ticks, int64_t started_at)
{
	FILE *f = fopen("/proc/uptime", "re");
	long ticks = sysconf(_SC_CLK_TCK);
	double up = 0;
	int n = 0;

	if (f) {
		n = fscanf(f, "%lf", &up);
		fclose(f);
	}
	if (n == 1 && ticks > 0 && start_ticks)
		return (int64_t)(up - (double)start_ticks / (double)ticks);
	return started_at ? (int64_t)time(NULL) - started_at : -1;
}

void ep_engine_status_release(struct ep_engine_status *st)
{
	free(st->pool_id);
	free(st->url);
	free(st->engine_version);
	free(st->engine_digest);
	free(st->log_path);
	free(st->container);
	free(st->container_state);
	memset(st, 0, sizeof(*st));
}

int ep_engine_status(struct ep_engine_status *out, const char *runtime_dir, const char *pool_id,
		     struct ep_error *err)
{
	struct ep_buf path = EP_BUF_INIT, probe = EP_BUF_INIT;
	struct ep_pidrec rec;
	int rc;

	memset(out, 0, sizeof(*out));
	out->uptime_s = -1;
	out->health = -1;
	if (!ep_pool_id_is_valid(pool_id))
		return ep_error_set(err, EP_EUSAGE, "invalid pool id '%s'", pool_id);
	out->pool_id = strdup(pool_id);
	if (!out->pool_id || ep_runtime__path(&path, runtime_dir, "pids", pool_id, ".pid"))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	rc = ep_pidfile__read(&rec, path.ptr, err);
	ep_buf_release(&path);
	if (rc == EP_ENOTFOUND) {
		ep_error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	out->pid = rec.pid;
	out->port = rec.port;
	if (rec.container) {
		rc = ep_engine__container_state(out, &rec, pool_id, err);
		if (rc) {
			ep_pidrec__release(&rec);
			return rc;
		}
	} else {
		out->running = ep_pidrec__alive(&rec);
	}
	out->url = rec.url;
	out->engine_version = rec.engine_version;
	out->engine_digest = rec.engine_digest;
	out->log_path = rec.log_path;
	rec.url = rec.engine_version = rec.engine_digest = rec.log_path = NULL;
	if (out->running) {
		out->uptime_s = uptime_of(rec.start_time, rec.started_at);
		if (out->url && !ep_buf_addf(&probe, "%s%s", out->url,
					     rec.health_path ? rec.health_path : "/health"))
			out->health = ep_health__probe(probe.ptr, STATUS_HEALTH_TIMEOUT_MS);
	}
	ep_buf_release(&probe);
	ep_pidrec__release(&rec);
	return 0;
}

static int add_opt_str(struct ep_buf *b, const char *key, const char *v)
{
	int rc = ep_buf_addf(b, ",\"%s\":", key);

	return rc ? rc : v ? ep_buf_add_json_str(b, v) : ep_buf_adds(b, "null");
}

int ep_engine_status_to_json(struct ep_buf *out, const struct ep_engine_status *st)
{
	int rc = ep_buf_adds(out, "{\"pool_id\":");

	rc = rc ? rc : ep_buf_add_json_str(out, st->pool_id ? st->pool_id : "");
	rc = rc ? rc : ep_buf_addf(out, ",\"running\":%s", st->running ? "true" : "false");
	if (st->pid)
		rc = rc ? rc
			: ep_buf_addf(out, ",\"pid\":%d,\"port\":%u", (int)st->pid,
				      (unsigned)st->port);
	else
		rc = rc ? rc : ep_buf_adds(out, ",\"pid\":null,\"port\":null");
	rc = rc ? rc : add_opt_str(out, "url", st->url);
	if (st->uptime_s >= 0)
		rc = rc ? rc : ep_buf_addf(out, ",\"uptime_s\":%lld", (long long)st->uptime_s);
	else
		rc = rc ? rc : ep_buf_adds(out, ",\"uptime_s\":null");
	rc = rc ? rc : add_opt_str(out, "engine_version", st->engine_version);
	rc = rc ? rc : add_opt_str(out, "engine_digest", st->engine_digest);
	rc = rc ? rc : add_opt_str(out, "log", st->log_path);
	rc = rc ? rc : add_opt_str(out, "container", st->container);
	rc = rc ? rc : add_opt_str(out, "container_state", st->container_state);
	if (st->health >= 0)
		rc = rc ? rc : ep_buf_addf(out, ",\"health\":%d", st->health);
	else
		rc = rc ? rc : ep_buf_adds(out, ",\"health\":null");
	return rc ? rc : ep_buf_addch(out, '}');
}
