/*
 * A pool's container over its life: start it from the run spec, say what
 * state it is in, keep its output, stop it with a grace period and remove
 * it. The container is found by its name (ep-<pool>), so every call works
 * from the pool id alone.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_int.h"
#include "ep/container.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "banned.h"

void ep_container_status_release(struct ep_container_status *st)
{
	free(st->state);
	free(st->id);
	memset(st, 0, sizeof(*st));
}

/* Run `<engine> args...` for the spec's container; *status is the engine's exit status. */
static int engine_do(struct ep_buf *out, int *status, const struct ep_container_run_spec *s,
		     const char *const *args, struct ep_error *err)
{
	struct ep_container_engine eng = EP_CONTAINER_ENGINE_INIT;
	const char *argv[12];
	size_t n = 0;
	int rc = ep_container_engine_choose(&eng, ep_container_kind_name(s->kind), err);

	if (rc)
		return rc;
	argv[n++] = eng.path;
	while (*args && n < 11)
		argv[n++] = *args++;
	argv[n] = NULL;
	rc = ep_container__exec(out, status, argv, NULL, s->pool_id, err);
	ep_container_engine_release(&eng);
	return rc;
}

/* "<id> <pid> <exit code> <state>", as the inspect format below prints it. */
static int parse_inspect(struct ep_container_status *out, const char *line)
{
	char *end;
	const char *p = strchr(line, ' ');
	long v;

	if (!p)
		return -1;
	out->id = strndup(line, (size_t)(p - line));
	v = strtol(p + 1, &end, 10);
	if (*end != ' ' || v < 0 || v > INT32_MAX)
		return -1;
	out->pid = (pid_t)v;
	v = strtol(end + 1, &end, 10);
	if (*end != ' ')
		return -1;
	out->exit_code = (int)v;
	out->state = strdup(end + 1);
	out->exists = true;
	out->running = out->state && !strcmp(out->state, "running");
	return out->id && out->state ? 0 : EP_ENOMEM;
}

int ep_container_status(struct ep_container_status *out, const struct ep_container_run_spec *s,
			struct ep_error *err)
{
	struct ep_buf name = EP_BUF_INIT, o = EP_BUF_INIT, line = EP_BUF_INIT;
	const char *args[] = {
	    "container", "inspect",
	    "--format",	 "{{.Id}} {{.State.Pid}} {{.State.ExitCode}} {{.State.Status}}",
	    NULL,	 NULL};
	int status = 0, rc;

	memset(out, 0, sizeof(*out));
	if (ep_container_name(&name, s->pool_id))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	args[4] = name.ptr;
	rc = engine_do(&o, &status, s, args, err);
	if (!rc)
		rc = ep_container__last_line(&line, o.ptr) ? EP_ENOMEM : 0;
	if (!rc && status && strcasestr(o.ptr, "no such")) {
		out->state = strdup("absent");
	} else if (!rc && status) {
		rc = ep_error_set(err, EP_EENGINE, "cannot inspect container '%s': %s", name.ptr,
				  line.ptr);
	} else if (!rc && parse_inspect(out, line.ptr)) {
		ep_container_status_release(out);
		rc = ep_error_set(err, EP_EENGINE, "cannot read the state of container '%s': '%s'",
				  name.ptr, line.ptr);
	}
	if (!rc && !out->state)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_buf_release(&name);
	ep_buf_release(&o);
	ep_buf_release(&line);
	return rc;
}

int ep_container_logs(struct ep_buf *out, const struct ep_container_run_spec *s, unsigned lines,
		      struct ep_error *err)
{
	struct ep_buf name = EP_BUF_INIT, tail = EP_BUF_INIT;
	const char *args[] = {"logs", "--tail", NULL, NULL, NULL};
	int status = 0, rc;

	if (ep_container_name(&name, s->pool_id) || ep_buf_addf(&tail, "%u", lines))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else {
		args[2] = tail.ptr;
		args[3] = name.ptr;
		rc = engine_do(out, &status, s, args, err);
	}
	if (!rc && status)
		rc = ep_error_set(err, EP_EENGINE, "cannot read the output of container '%s'",
				  name.ptr);
	ep_buf_release(&name);
	ep_buf_release(&tail);
	return rc;
}

/* Remove the pool's container, whatever its state. */
static int remove_container(const struct ep_container_run_spec *s, const char *name,
			    struct ep_error *err)
{
	const char *args[] = {"rm", "-f", name, NULL};
	struct ep_buf o = EP_BUF_INIT;
	int status = 0, rc = engine_do(&o, &status, s, args, err);

	if (!rc && status && !strcasestr(o.ptr, "no such"))
		rc = ep_error_set(err, EP_EENGINE, "cannot remove container '%s'", name);
	ep_buf_release(&o);
	return rc;
}

/* Did the engine's output say that it cannot run containers here at all? */
static bool cannot_run_here(const char *out)
{
	return strstr(out, "OCI") || strstr(out, "crun") || strstr(out, "runc") ||
	       strstr(out, "setrlimit") || strstr(out, "cgroup");
}

/* Run the `run` command itself; the container's name is free when this is called. */
static int run_container(const struct ep_container_run_spec *s, const char *name,
			 struct ep_error *err)
{
	struct ep_strvec argv = EP_STRVEC_INIT, env = EP_STRVEC_INIT;
	struct ep_buf o = EP_BUF_INIT, line = EP_BUF_INIT;
	struct ep_container_engine eng = EP_CONTAINER_ENGINE_INIT;
	int status = 0, rc = ep_container_run_argv(&argv, s, err);

	if (!rc)
		rc = ep_container_engine_choose(&eng, ep_container_kind_name(s->kind), err);
	if (!rc && ep_container_run_env(&env, s))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc) {
		free(argv.v[0]);
		argv.v[0] = eng.path;
		eng.path = NULL;
		rc = ep_container__exec(&o, &status, (const char *const *)argv.v,
					(const char *const *)env.v, s->pool_id, err);
	}
	if (!rc && status && strstr(o.ptr, "already in use")) {
		/* a container of that name exists: the caller decides, nothing is removed */
		rc = EP_EBUSY;
	} else if (!rc && status) {
		(void)ep_container__reason(&line, o.ptr);
		if (strstr(o.ptr, "could not select device driver"))
			rc = ep_error_set(err, EP_EGPU,
					  "docker cannot hand GPUs to container '%s': %s; install "
					  "nvidia-container-toolkit, then run: nvidia-ctk runtime "
					  "configure --runtime=docker && systemctl restart docker",
					  name, line.ptr);
		else if (cannot_run_here(o.ptr))
			rc = ep_error_set(err, EP_EPREFLIGHT,
					  "container engine '%s' cannot start containers on this "
					  "host: %s",
					  ep_container_kind_name(s->kind), line.ptr);
		else
			rc = ep_error_set(err, EP_EENGINE, "starting container '%s' failed: %s",
					  name, line.ptr);
		(void)remove_container(s, name, NULL);
	}
	ep_strvec_release(&argv);
	ep_strvec_release(&env);
	ep_buf_release(&o);
	ep_buf_release(&line);
	ep_container_engine_release(&eng);
	return rc;
}

int ep_container_up(struct ep_container_status *out, const struct ep_container_run_spec *s,
		    struct ep_error *err)
{
	struct ep_buf name = EP_BUF_INIT;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (ep_container_name(&name, s->pool_id))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	/* run at once (one engine call fewer); the name taken means one exists already */
	rc = rc ? rc : run_container(s, name.ptr, err);
	if (rc == EP_EBUSY) {
		rc = ep_container_status(out, s, err);
		if (!rc && out->running) {
			out->was_running = true;
			ep_narrate(EP_LOG_INFO, "container", "up", out->id, s->pool_id, -1,
				   "container '%s' already running", name.ptr);
			ep_buf_release(&name);
			return 0;
		}
		/* a stopped one of the same name: removed, then run again */
		rc = rc ? rc : remove_container(s, name.ptr, err);
		rc = rc ? rc : run_container(s, name.ptr, err);
		if (rc == EP_EBUSY)
			rc = ep_error_set(err, EP_EENGINE,
					  "container name '%s' is still taken after removing it",
					  name.ptr);
	}
	ep_container_status_release(out);
	rc = rc ? rc : ep_container_status(out, s, err);
	if (!rc)
		ep_narrate(EP_LOG_INFO, "container", "up", out->id, s->pool_id, -1,
			   "started container '%s' from '%s'", name.ptr, s->image_ref);
	ep_buf_release(&name);
	return rc;
}

/* Append the container's output to `path` (best effort: the container is going away). */
static void keep_output(const struct ep_container_run_spec *s, const char *path)
{
	struct ep_buf o = EP_BUF_INIT;
	int fd;

	o.cap = 4u * 1024 * 1024;
	if (ep_container_logs(&o, s, 10000, NULL) || !o.len) {
		ep_buf_release(&o);
		return;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		if (write(fd, o.ptr, o.len) < 0)
			ep_narrate(EP_LOG_WARN, "container", "log", path, s->pool_id, -1,
				   "cannot keep the container's output in '%s'", path);
		close(fd);
	}
	ep_buf_release(&o);
}

int ep_container_down(struct ep_container_down_result *out, const struct ep_container_run_spec *s,
		      const char *keep_log, struct ep_error *err)
{
	struct ep_container_status st;
	struct ep_buf name = EP_BUF_INIT, grace = EP_BUF_INIT, o = EP_BUF_INIT;
	const char *args[] = {"stop", "-t", NULL, NULL, NULL};
	unsigned grace_s = s->stop_grace_s;
	int64_t t0 = ep_now_ms();
	int status = 0, rc;

	memset(out, 0, sizeof(*out));
	rc = ep_container_status(&st, s, err);
	if (rc || !st.exists) {
		ep_container_status_release(&st);
		return rc;
	}
	out->existed = true;
	out->was_running = st.running;
	if (ep_container_name(&name, s->pool_id) || ep_buf_addf(&grace, "%u", grace_s))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	args[2] = grace.ptr;
	args[3] = name.ptr;
	/*
	 * stop sends TERM, waits the grace period, then KILL; a stopped one needs only rm.
	 * `-t` is the one spelling of the grace period that podman and every docker
	 * client take (docker 25 and later deprecate `--time` for `--timeout`).
	 */
	if (!rc && st.running) {
		rc = engine_do(&o, &status, s, args, err);
		/* podman says when it resorted to KILL; docker does not, the time does */
		out->killed = !rc && (strstr(o.ptr, "SIGKILL") ||
				      ep_now_ms() - t0 >= (int64_t)grace_s * 1000);
	}
	if (!rc && keep_log)
		keep_output(s, keep_log);
	rc = rc ? rc : remove_container(s, name.ptr, err);
	out->ms = ep_now_ms() - t0;
	if (!rc)
		ep_narrate(EP_LOG_INFO, "container", "down", name.ptr, s->pool_id, out->ms,
			   "stopped and removed container '%s'%s", name.ptr,
			   out->killed ? " (KILL after the grace period)" : "");
	ep_container_status_release(&st);
	ep_buf_release(&name);
	ep_buf_release(&grace);
	ep_buf_release(&o);
	return rc;
}
