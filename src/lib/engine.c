/*
 * `up`: start a prepared engine and wait until it is healthy. The order is
 * what makes it safe: the per-pool lock first (two `up`s of one pool do not
 * race), then the PID file of an earlier run (a live engine is reused, a
 * stale file is dropped without signalling anyone), the port, the process
 * (its PID file at once, so `down` can stop an engine that is still
 * loading), the health wait, the version, and only then the handoff file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/proof.h"
#include "ep/provider.h"
#include "dynlib.h"
#include "engine_internal.h"
#include "banned.h"

#define LOG_TAIL_LINES	    20
#define FAILED_STOP_GRACE_S 5

void ep_running_init(struct ep_running *r)
{
	memset(r, 0, sizeof(*r));
}

void ep_running_release(struct ep_running *r)
{
	free(r->url);
	free(r->log_path);
	free(r->pid_path);
	free(r->handoff_path);
	free(r->proof_dir);
	free(r->container);
	ep_proc_free(r->proc);
	memset(r, 0, sizeof(*r));
}

/* Everything one `up` works with. */
struct up {
	struct ep_running *out;
	struct ep_prepared *pe;
	const struct ep_pool *pool;
	const struct ep_up_opts *opts;
	const char *id;
	const char *health_path, *version_path;
	struct ep_buf pid_path, log_path, handoff_path, url;
	struct ep_strvec argv, env;
	struct ep_proof *proof;
	const char *container_engine; /* container mode: "podman" | "docker", once started */
	struct ep_buf container;      /* its name */
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Replace *slot with a copy of `s`. */
static int set_str(char **slot, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return EP_ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

/* An earlier run's PID file: reuse a live engine, drop a stale file. 1 when reused. */
static int check_previous(struct up *u, struct ep_error *err)
{
	struct ep_pidrec rec;
	int rc = ep_pidfile__read(&rec, u->pid_path.ptr, err);

	if (rc == EP_ENOTFOUND) {
		ep_error_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	if (!ep_pidrec__alive(&rec)) {
		ep_narrate(EP_LOG_WARN, "spawn", "stale-pid", u->pid_path.ptr, u->id, -1,
			   "PID file '%s' names pid %d, which is gone or is another process "
			   "(start time differs); not signalling it, removing the file",
			   u->pid_path.ptr, (int)rec.pid);
		ep_pidrec__release(&rec);
		return ep_pidfile__remove(u->pid_path.ptr, err);
	}
	u->out->already = true;
	u->out->pid = rec.pid;
	if (rec.container &&
	    (ep_buf_adds(&u->container, rec.container) ||
	     !(u->container_engine = ep_engine__container_engine(rec.container_engine)))) {
		ep_pidrec__release(&rec);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	u->out->start_time = rec.start_time;
	u->pe->port = rec.port;
	if ((rec.url && set_str(&u->out->url, rec.url)) ||
	    (rec.engine_version && set_str(&u->pe->engine_version, rec.engine_version))) {
		ep_pidrec__release(&rec);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	ep_narrate(EP_LOG_INFO, "spawn", "already-running", u->id, u->id, -1,
		   "pool '%s' already runs (pid %d, %s); nothing started", u->id, (int)rec.pid,
		   rec.url ? rec.url : "?");
	ep_pidrec__release(&rec);
	return 1;
}

/* The pool's first port when free, else the next free one within the span. */
static int pick_port(struct up *u, struct ep_error *err)
{
	const struct ep_provider *pv = ep_provider_for(u->pe->engine);
	const struct ep_provisioning *pr = &u->pool->provisioning;
	unsigned span = u->opts->port_span ? u->opts->port_span : EP_UP_DEFAULT_PORT_SPAN;
	unsigned base, p;
	struct ep_buf who = EP_BUF_INIT;
	const char *host = u->pe->host ? u->pe->host : "127.0.0.1";

	base = u->pe->port		    ? u->pe->port
	       : pr->n_ports		    ? pr->ports[0]
	       : pv && pv->default_port > 0 ? (unsigned)pv->default_port
					    : 8080;
	for (p = base; p <= base + span && p <= 65535; p++) {
		if (ep_port__is_free(host, (uint16_t)p)) {
			u->pe->port = (uint16_t)p;
			ep_buf_release(&who);
			return 0;
		}
		ep_port__holder(&who, (uint16_t)p);
		ep_narrate(EP_LOG_WARN, "spawn", "port-taken", u->id, u->id, -1,
			   "port %u on %s is taken%s%s; trying the next", p, host,
			   who.len ? " by " : "", who.ptr);
	}
	ep_buf_release(&who);
	return ep_error_set(err, EP_EBUSY,
			    "no free port for pool '%s' on %s in %u-%u; free one or set "
			    "provisioning.ports",
			    u->id, host, base, base + span);
}

/* The redacted command line and environment, into the proof bundle. */
static void record_spawn(struct up *u, const char *cmdline)
{
	struct ep_error perr = EP_ERROR_INIT;
	struct ep_buf text = EP_BUF_INIT;
	size_t i;

	if (!u->opts->state_dir)
		return;
	if (ep_proof_open(&u->proof, u->opts->state_dir, u->id, &perr)) {
		ep_narrate(EP_LOG_WARN, "proof", "open", u->id, u->id, -1,
			   "no proof bundle for this start: %s", perr.msg);
		return;
	}
	ep_buf_addf(&text, "%s\n\n# environment\n", cmdline);
	for (i = 0; i < u->env.n; i++) {
		const char *eq = strchr(u->env.v[i], '=');
		struct ep_buf key = EP_BUF_INIT;

		ep_buf_add(&key, u->env.v[i], eq ? (size_t)(eq - u->env.v[i]) : 0);
		if (ep_redact_key_is_secret(key.ptr))
			ep_buf_addf(&text, "%s=***\n", key.ptr);
		else
			ep_buf_addf(&text, "%s\n", u->env.v[i]);
		ep_buf_release(&key);
	}
	if (ep_proof_write(u->proof, "spawn-command.txt", text.ptr, &perr))
		ep_narrate(EP_LOG_WARN, "proof", "write", u->id, u->id, -1, "%s", perr.msg);
	ep_buf_release(&text);
}

/* The engine's process: started with its output into the log, its pid into rec. */
static int start_process(struct up *u, struct ep_pidrec *rec, int log_fd, struct ep_error *err)
{
	struct ep_proc_opts po = EP_PROC_OPTS_INIT;
	int rc;

	po.argv = (const char *const *)u->argv.v;
	po.env = (const char *const *)u->env.v;
	po.out = EP_PROC_FD;
	po.out_fd = log_fd;
	po.err = EP_PROC_TO_OUT;
	po.own_pgrp = true;
	po.close_other_fds = true;
	po.pool_id = u->id;
	rc = ep_proc_start(&u->out->proc, &po, err);
	if (!rc) {
		rec->pid = ep_proc_pid(u->out->proc);
		(void)ep_proc__start_time(&rec->start_time, NULL, rec->pid);
	}
	return rc;
}

/* The command line and environment: the engine's own, or the container engine's. */
static int command(struct up *u, struct ep_buf *cmdline, struct ep_error *err)
{
	int rc;

	if (u->pe->mode != EP_MODE_CONTAINER) {
		rc = ep_engine_argv(&u->argv, u->pe, err);
		rc = rc ? rc : ep_engine_env(&u->env, u->pe, u->pool, err);
		if (!rc && ep_proc_format_argv(cmdline, (const char *const *)u->argv.v))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		return rc;
	}
	return ep_engine__container_command(cmdline, &u->env, u->pe, u->pool, err);
}

/* Start the engine (a process, or the pool's container) with its log and write its PID file. */
static int start(struct up *u, struct ep_error *err)
{
	struct ep_buf cmdline = EP_BUF_INIT, head = EP_BUF_INIT;
	struct ep_pidrec rec;
	int64_t t0 = ep_now_ms();
	size_t max = u->opts->log_max_bytes ? u->opts->log_max_bytes : EP_UP_DEFAULT_LOG_MAX;
	int log_fd, rc;

	memset(&rec, 0, sizeof(rec));
	rc = command(u, &cmdline, err);
	rc = rc ? rc : ep_spawn__open_log(&log_fd, u->log_path.ptr, max, err);
	if (rc) {
		ep_buf_release(&cmdline);
		return rc;
	}
	ep_buf_addf(&head, "=== engine-provisioner: %lld: starting pool '%s': %s\n",
		    (long long)time(NULL), u->id, cmdline.ptr);
	if (write(log_fd, head.ptr, head.len) < 0)
		ep_narrate(EP_LOG_WARN, "spawn", "log", u->log_path.ptr, u->id, -1,
			   "cannot write to engine log '%s'", u->log_path.ptr);
	if (u->pe->mode == EP_MODE_CONTAINER) {
		close(log_fd);
		rc = ep_engine__container_start(&rec.pid, &rec.start_time, &u->container_engine,
						u->pe, u->pool, u->log_path.ptr, err);
		if (!rc && ep_container_name(&u->container, u->id))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	} else {
		rc = start_process(u, &rec, log_fd, err);
		close(log_fd);
	}
	if (!rc) {
		rec.started_at = (int64_t)time(NULL);
		rec.container = u->container.ptr;
		rec.container_engine = (char *)u->container_engine;
		rec.port = u->pe->port;
		rec.url = u->url.ptr;
		rec.health_path = (char *)u->health_path;
		rec.engine_digest = u->pe->engine_digest;
		rec.log_path = u->log_path.ptr;
		u->out->pid = rec.pid;
		u->out->start_time = rec.start_time;
		rc = ep_pidfile__write(u->pid_path.ptr, &rec, err);
		u->out->spawn_ms = ep_now_ms() - t0;
		/* While the engine loads: the proof bundle's writes are durable, so slow. */
		record_spawn(u, cmdline.ptr);
		ep_narrate(EP_LOG_INFO, "spawn", "spawn", u->id, u->id, u->out->spawn_ms,
			   "started pool '%s' as %s%s%spid %d: %s", u->id,
			   u->container.len ? "container " : "",
			   u->container.len ? u->container.ptr : "", u->container.len ? ", " : "",
			   (int)rec.pid, cmdline.ptr);
	}
	ep_buf_release(&cmdline);
	ep_buf_release(&head);
	return rc;
}

/* The engine did not come up: stop what is left, say why with its last log lines. */
static int startup_failed(struct up *u, const struct ep_health_result *h, struct ep_error *err)
{
	struct ep_buf tail = EP_BUF_INIT;
	enum ep_stop_how how = EP_STOP_NONE;
	int status = h->exit_status;
	char last[32] = "none";

	if (h->last_status)
		snprintf(last, sizeof(last), "HTTP %d", h->last_status);
	if (u->out->already)
		return ep_error_set(
		    err, EP_EENGINE,
		    "pool '%s' was started before (pid %d) but is not healthy after "
		    "%lld s (last answer: %s); see '%s', or stop it with: "
		    "engine-provisioner down --pool %s",
		    u->id, (int)u->out->pid, (long long)(h->ms / 1000), last, u->log_path.ptr,
		    u->id);
	if (u->container.len) {
		how = h->outcome == EP_HEALTH_TIMEOUT ? EP_STOP_TERM : EP_STOP_NONE;
		status = ep_engine__container_discard(u->container_engine, u->id, u->log_path.ptr,
						      FAILED_STOP_GRACE_S);
		ep_buf_reset(&u->container);
	} else if (h->outcome == EP_HEALTH_TIMEOUT) {
		ep_engine__stop_group(&how, u->out->pid, FAILED_STOP_GRACE_S);
		(void)ep_proc_wait(u->out->proc, &status, NULL);
	}
	(void)ep_pidfile__remove(u->pid_path.ptr, NULL);
	ep_spawn__log_tail(&tail, u->log_path.ptr, LOG_TAIL_LINES);
	if (h->outcome == EP_HEALTH_EXITED)
		ep_error_set(err, EP_EENGINE,
			     "engine of pool '%s' exited with status %d during startup; last lines "
			     "of '%s':\n%s",
			     u->id, status, u->log_path.ptr, tail.ptr);
	else
		ep_error_set(err, EP_EENGINE,
			     "engine of pool '%s' not healthy after %lld s (last answer: %s); "
			     "stopped it (%s); raise provisioning.startup_timeout_s if the model "
			     "is large; last lines of '%s':\n%s",
			     u->id, (long long)(h->ms / 1000), last,
			     how == EP_STOP_KILL ? "SIGKILL" : "SIGTERM", u->log_path.ptr,
			     tail.ptr);
	ep_buf_release(&tail);
	return err ? err->code : EP_EENGINE;
}

/* Wait for health, ask the version, record it, write the handoff file. */
static int become_ready(struct up *u, struct ep_error *err)
{
	struct ep_health_result h;
	struct ep_buf probe = EP_BUF_INIT;
	uint32_t tmo = u->opts->startup_timeout_s ? u->opts->startup_timeout_s
		       : u->pool->provisioning.startup_timeout_s
			   ? u->pool->provisioning.startup_timeout_s
			   : EP_UP_DEFAULT_TIMEOUT_S;
	char *version = NULL;
	struct ep_pidrec rec;
	int64_t t0;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.pid = u->out->pid;
	rec.start_time = u->out->start_time;
	ep_buf_addf(&probe, "%s%s", u->url.ptr, u->health_path);
	ep_health__wait(&h, probe.ptr, (int64_t)tmo * 1000, u->out->proc, &rec);
	if (h.outcome != EP_HEALTH_OK) {
		ep_buf_release(&probe);
		return startup_failed(u, &h, err);
	}
	u->out->health_ms = h.ms;
	ep_narrate(EP_LOG_INFO, "health", "healthy", probe.ptr, u->id, h.ms,
		   "pool '%s' is healthy at %s after %u polls", u->id, u->url.ptr, h.polls);
	t0 = ep_now_ms();
	ep_buf_reset(&probe);
	ep_buf_addf(&probe, "%s%s", u->url.ptr, u->version_path);
	if (!ep_health__version(&version, probe.ptr)) {
		free(u->pe->engine_version);
		u->pe->engine_version = version;
	}
	u->out->version_ms = ep_now_ms() - t0;
	ep_narrate(EP_LOG_INFO, "version", "version", u->id, u->id, u->out->version_ms,
		   "pool '%s' runs engine version %s%s", u->id,
		   u->pe->engine_version ? u->pe->engine_version : "unknown",
		   version ? "" : " (the engine did not report one)");
	ep_buf_release(&probe);
	memset(&rec, 0, sizeof(rec));
	rec.pid = u->out->pid;
	rec.start_time = u->out->start_time;
	rec.started_at = (int64_t)time(NULL) - (h.ms + u->out->spawn_ms) / 1000;
	rec.port = u->pe->port;
	rec.url = u->url.ptr;
	rec.health_path = (char *)u->health_path;
	rec.engine_version = u->pe->engine_version;
	rec.engine_digest = u->pe->engine_digest;
	rec.log_path = u->log_path.ptr;
	rec.container = u->container.len ? u->container.ptr : NULL;
	rec.container_engine = (char *)u->container_engine;
	rc = ep_pidfile__write(u->pid_path.ptr, &rec, err);
	rc = rc ? rc : ep_handoff__write(u->handoff_path.ptr, u->pe, u->pool, u->url.ptr, err);
	if (!rc && u->proof) {
		struct ep_buf json = EP_BUF_INIT;

		if (!ep_prepared_to_json(&json, u->pe))
			(void)ep_proof_write(u->proof, "prepared.json", json.ptr, NULL);
		ep_buf_release(&json);
	}
	return rc;
}

/* Paths, directories and the endpoints of this pool's engine. */
static int prepare(struct up *u, struct ep_error *err)
{
	const struct ep_provider *pv = ep_provider_for(u->pe->engine);
	const char *rt = u->opts->runtime_dir;
	static const char *const subs[] = {"engines", "pids", "logs"};
	const struct ep_curl_api *cu;
	struct ep_buf dir = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	if (!rt)
		return ep_error_set(err, EP_EINTERNAL, "no runtime directory given");
	if (!ep_pool_id_is_valid(u->id))
		return ep_error_set(err, EP_ECONFIG, "invalid pool id '%s'", u->id);
	/* Health checks go through libcurl: a host without it hears so before a start. */
	if ((rc = ep_dynlib__curl(&cu, err)))
		return rc;
	u->health_path = u->opts->health_path	 ? u->opts->health_path
			 : pv && pv->health_path ? pv->health_path
						 : "/health";
	u->version_path = u->opts->version_path	   ? u->opts->version_path
			  : pv && pv->version_path ? pv->version_path
						   : "/props";
	for (i = 0; !rc && i < 3; i++) {
		ep_buf_reset(&dir);
		rc = ep_buf_addf(&dir, "%s/%s", rt, subs[i]);
		rc = rc ? ep_error_set(err, EP_ENOMEM, "out of memory")
			: ep_fs_mkdirs(dir.ptr, 0755, err);
	}
	ep_buf_release(&dir);
	if (!rc && (ep_runtime__path(&u->pid_path, rt, "pids", u->id, ".pid") ||
		    ep_runtime__path(&u->log_path, rt, "logs", u->id, ".log") ||
		    ep_runtime__path(&u->handoff_path, rt, "engines", u->id, ".json")))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	return rc;
}

int ep_engine_up(struct ep_running *out, struct ep_prepared *pe, const struct ep_pool *pool,
		 const struct ep_up_opts *opts, struct ep_error *err)
{
	struct up u = {out,
		       pe,
		       pool,
		       opts,
		       NULL,
		       NULL,
		       NULL,
		       EP_BUF_INIT,
		       EP_BUF_INIT,
		       EP_BUF_INIT,
		       EP_BUF_INIT,
		       EP_STRVEC_INIT,
		       EP_STRVEC_INIT,
		       NULL,
		       NULL,
		       EP_BUF_INIT};
	struct ep_lock lk = EP_LOCK_INIT;
	struct ep_buf lock_name = EP_BUF_INIT;
	int rc;

	ep_running_init(out);
	u.id = pe->pool_id ? pe->pool_id : pool->id;
	rc = prepare(&u, err);
	if (!rc && opts->state_dir) {
		ep_buf_addf(&lock_name, "run-%s", u.id);
		rc = ep_lock_acquire(&lk, opts->state_dir, lock_name.ptr, false, err);
	}
	rc = rc ? rc : check_previous(&u, err);
	if (rc == 1) {
		/* Started by an earlier `up` that did not see it healthy: finish its job. */
		rc = 0;
		if (!ep_fs_exists(u.handoff_path.ptr)) {
			rc = ep_buf_adds(&u.url, out->url ? out->url : "");
			rc = rc ? ep_error_set(err, EP_ENOMEM, "out of memory")
				: become_ready(&u, err);
		}
	} else if (!rc) {
		rc = pick_port(&u, err);
		rc = rc ? rc : ep_http__base_url(&u.url, pe->host, pe->port);
		if (!rc && !pe->host)
			rc = set_str(&pe->host, "127.0.0.1");
		rc = rc ? rc : start(&u, err);
		rc = rc ? rc : become_ready(&u, err);
		if (rc && u.container.len) {
			/* Started, then something of ours failed: leave no container behind. */
			(void)ep_engine__container_discard(u.container_engine, u.id, u.log_path.ptr,
							   FAILED_STOP_GRACE_S);
			(void)ep_pidfile__remove(u.pid_path.ptr, NULL);
		} else if (rc && out->proc && ep_proc_poll(out->proc, NULL, NULL) == 0) {
			enum ep_stop_how how;

			/* Started, then something of ours failed: leave nothing behind. */
			ep_engine__stop_group(&how, out->pid, FAILED_STOP_GRACE_S);
			(void)ep_proc_wait(out->proc, NULL, NULL);
			(void)ep_pidfile__remove(u.pid_path.ptr, NULL);
		}
		if (!rc && set_str(&out->url, u.url.ptr))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	out->pid_path = dup_or_null(u.pid_path.ptr);
	out->log_path = dup_or_null(u.log_path.ptr);
	out->handoff_path = dup_or_null(u.handoff_path.ptr);
	if (u.proof)
		out->proof_dir = dup_or_null(ep_proof_dir(u.proof));
	if (!rc && u.container.len)
		out->container = dup_or_null(u.container.ptr);
	ep_proof_close(u.proof);
	ep_lock_release(&lk);
	ep_buf_release(&lock_name);
	ep_buf_release(&u.pid_path);
	ep_buf_release(&u.log_path);
	ep_buf_release(&u.handoff_path);
	ep_buf_release(&u.url);
	ep_buf_release(&u.container);
	ep_strvec_release(&u.argv);
	ep_strvec_release(&u.env);
	return rc;
}
