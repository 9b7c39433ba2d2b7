/*
 * Container pools in up, down and status. The container is started from
 * the pinned image by the container engine; its main process, as this host
 * sees it, goes into the PID file like any engine's pid (with its start
 * time), together with the container's name and engine. `down` and
 * `status` then ask the container engine, never signal the pid: the
 * container engine stops the container (TERM, then KILL after the grace
 * period) and removes it, keeping its output in the pool's log first.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep/container.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/proc.h"
#include "engine_internal.h"
#include "banned.h"

/* The container engine a PID file names ("docker"; anything else, or none: podman). */
static enum ep_container_kind kind_of(const char *name)
{
	return name && !strcmp(name, "docker") ? EP_CONTAINER_DOCKER : EP_CONTAINER_PODMAN;
}

/* The run spec of a prepared container pool. */
static void spec_for(struct ep_container_run_spec *s, const struct ep_prepared *pe,
		     const struct ep_pool *pool)
{
	ep_container_run_spec_from_pool(s, pool);
	s->pool_id = pe->pool_id ? pe->pool_id : pool->id;
	s->image_ref = pe->image_ref;
	s->host = pe->host;
	s->host_port = pe->port;
	s->model_path = pe->model_path;
	s->model_name = pe->model_path ? NULL : ep_model_engine_name(pool);
	s->flags = &pe->flags;
}

/* The spec `down` and `status` need, from what the PID file recorded. */
static void spec_from_record(struct ep_container_run_spec *s, const struct ep_pidrec *rec,
			     const char *pool_id)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind_of(rec->container_engine);
	s->pool_id = pool_id;
}

int ep_engine__container_command(struct ep_buf *cmdline, struct ep_strvec *env,
				 const struct ep_prepared *pe, const struct ep_pool *pool,
				 struct ep_error *err)
{
	const struct ep_provisioning *p = &pool->provisioning;
	struct ep_container_run_spec s;
	struct ep_strvec argv = EP_STRVEC_INIT;
	size_t i;
	int rc;

	/* the container sees the pool's env only (values through the engine's environment) */
	for (i = 0; i < p->n_env; i++)
		if (ep_strvec_pushf(env, "%s=%s", p->env[i].key,
				    p->env[i].value ? p->env[i].value : ""))
			return ep_error_set(err, EP_ENOMEM, "out of memory");

	spec_for(&s, pe, pool);
	rc = ep_container_run_argv(&argv, &s, err);
	if (!rc && ep_proc_format_argv(cmdline, (const char *const *)argv.v))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_strvec_release(&argv);
	return rc;
}

/* A container that ended during its start: its exit code and last lines, into the log. */
static int exited_at_start(const struct ep_container_run_spec *s,
			   const struct ep_container_status *st, const char *log_path,
			   struct ep_error *err)
{
	struct ep_container_down_result d;
	struct ep_buf tail = EP_BUF_INIT;

	(void)ep_container_down(&d, s, log_path, NULL);
	ep_spawn__log_tail(&tail, log_path, 20);
	ep_error_set(err, EP_EENGINE,
		     "container 'ep-%s' of pool '%s' exited with status %d during startup; last "
		     "lines of '%s':\n%s",
		     s->pool_id, s->pool_id, st->exit_code, log_path, tail.ptr);
	ep_buf_release(&tail);
	return EP_EENGINE;
}

int ep_engine__container_start(pid_t *pid, unsigned long long *start_time, const char **engine,
			       const struct ep_prepared *pe, const struct ep_pool *pool,
			       const char *log_path, struct ep_error *err)
{
	struct ep_container_run_spec s;
	struct ep_container_status st;
	int rc;

	spec_for(&s, pe, pool);
	*engine = ep_container_kind_name(s.kind);
	rc = ep_container_up(&st, &s, err);
	/* up found it through its PID file otherwise: this one is someone else's, or orphaned */
	if (!rc && st.was_running)
		rc = ep_error_set(
		    err, EP_EENGINE,
		    "container 'ep-%s' already runs, but no PID file of this runtime "
		    "directory records it (it was started from another one, or its PID "
		    "file was removed); stop it with: %s rm -f ep-%s",
		    s.pool_id, ep_container_kind_name(s.kind), s.pool_id);
	else if (!rc && (!st.running || st.pid <= 1))
		rc = exited_at_start(&s, &st, log_path, err);
	if (!rc) {
		*pid = st.pid;
		if (ep_proc__start_time(start_time, NULL, st.pid))
			*start_time = 0;
	}
	ep_container_status_release(&st);
	return rc;
}

const char *ep_engine__container_engine(const char *recorded)
{
	return ep_container_kind_name(kind_of(recorded));
}

int ep_engine__container_discard(const char *engine, const char *pool_id, const char *log_path,
				 unsigned grace_s)
{
	struct ep_container_run_spec s;
	struct ep_container_status last;
	struct ep_container_down_result d;
	int code = -1;

	memset(&s, 0, sizeof(s));
	s.kind = kind_of(engine);
	s.pool_id = pool_id;
	s.stop_grace_s = grace_s;
	if (!ep_container_status(&last, &s, NULL)) {
		code = last.exit_code;
		ep_container_status_release(&last);
	}
	(void)ep_container_down(&d, &s, log_path, NULL);
	return code;
}

int ep_engine__container_stop(struct ep_down_result *out, const struct ep_pidrec *rec,
			      const char *pool_id, unsigned grace_s, struct ep_error *err)
{
	struct ep_container_run_spec s;
	struct ep_container_down_result d;
	int rc;

	spec_from_record(&s, rec, pool_id);
	s.stop_grace_s = grace_s;
	rc = ep_container_down(&d, &s, rec->log_path, err);
	if (rc)
		return rc;
	out->pid = rec->pid;
	out->container = true;
	out->was_running = d.was_running;
	out->stale = !d.existed;
	out->how = !d.was_running ? EP_STOP_NONE : d.killed ? EP_STOP_KILL : EP_STOP_TERM;
	out->ms = d.ms;
	return 0;
}

int ep_engine__container_state(struct ep_engine_status *out, const struct ep_pidrec *rec,
			       const char *pool_id, struct ep_error *err)
{
	struct ep_container_run_spec s;
	struct ep_container_status st;
	int rc;

	spec_from_record(&s, rec, pool_id);
	rc = ep_container_status(&st, &s, err);
	if (rc)
		return rc;
	out->running = st.running;
	if (st.running && st.pid)
		out->pid = st.pid;
	out->container = rec->container ? strdup(rec->container) : NULL;
	out->container_state = st.state;
	st.state = NULL;
	ep_container_status_release(&st);
	return 0;
}
