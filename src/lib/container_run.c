/*
 * The run spec: the exact command that starts a pool's container, and
 * up/down/status on it. The command runs the pinned digest (never a tag),
 * publishes the provider's container port on the pool's host and port,
 * mounts the model read-only at the provider's mount point, hands GPUs
 * over by CDI (podman) or --gpus (docker), and names env entries only: their
 * values travel in the container engine's own environment.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container_int.h"
#include "ep/container.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/proc.h"
#include "ep/provider.h"
#include "banned.h"

extern char **environ;

/*
 * The engine kind as ep_container_engine_choose() picks it, podman when it
 * finds none. A runtime the pool names decides alone (docker for "docker",
 * podman otherwise, found or not); without one the kind depends on PATH
 * only, so the search is made once per value of PATH and remembered for the
 * life of the process: a plan of a thousand pools searches once.
 */
static enum ep_container_kind pool_kind(const struct ep_provisioning *p)
{
	static char *seen_path;
	static bool seen;
	static enum ep_container_kind seen_kind;
	struct ep_container_engine eng = EP_CONTAINER_ENGINE_INIT;
	const char *path = getenv("PATH");
	enum ep_container_kind kind = EP_CONTAINER_PODMAN;

	if (p->has_container && p->container.runtime)
		return strcmp(p->container.runtime, "docker") ? EP_CONTAINER_PODMAN
							      : EP_CONTAINER_DOCKER;
	if (seen && (path ? seen_path && !strcmp(seen_path, path) : !seen_path))
		return seen_kind;
	if (!ep_container_engine_choose(&eng, NULL, NULL))
		kind = eng.kind;
	ep_container_engine_release(&eng);
	free(seen_path);
	seen_path = path ? strdup(path) : NULL;
	seen = !path || seen_path;
	seen_kind = kind;
	return kind;
}

void ep_container_run_spec_from_pool(struct ep_container_run_spec *spec, const struct ep_pool *pool)
{
	const struct ep_provisioning *p = &pool->provisioning;

	memset(spec, 0, sizeof(*spec));
	spec->kind = pool_kind(p);
	spec->engine = pool->engine;
	spec->pool_id = pool->id;
	spec->host = p->host;
	spec->host_port = p->n_ports ? p->ports[0] : 0;
	spec->devices = pool->devices;
	spec->n_devices = pool->n_devices;
	spec->env = p->env;
	spec->n_env = p->n_env;
	spec->stop_grace_s = 10;
}

int ep_container_name(struct ep_buf *out, const char *pool_id)
{
	return ep_buf_addf(out, "ep-%s", pool_id);
}

/* The command the image needs before the engine's flags (Triton's entrypoint is a wrapper). */
static const char *container_command(enum ep_engine engine)
{
	return engine == EP_ENGINE_TRITON ? "tritonserver" : NULL;
}

static bool env_name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", *s))
			return false;
	return true;
}

/* GPUs: one CDI device per index (podman), one --gpus list (docker). */
static int push_gpus(struct ep_strvec *out, const struct ep_container_run_spec *s)
{
	struct ep_buf list = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	if (!s->n_devices)
		return 0;
	if (s->kind == EP_CONTAINER_PODMAN) {
		for (i = 0; !rc && i < s->n_devices; i++)
			rc = ep_strvec_push(out, "--device") ||
			     ep_strvec_pushf(out, "nvidia.com/gpu=%u", (unsigned)s->devices[i]);
		return rc ? EP_ENOMEM : 0;
	}
	for (i = 0; !rc && i < s->n_devices; i++)
		rc = ep_buf_addf(&list, "%s%u", i ? "," : "", (unsigned)s->devices[i]);
	/* docker splits --gpus on commas: a list of devices must be quoted inside the value */
	if (!rc)
		rc = ep_strvec_push(out, "--gpus") ||
		     (s->n_devices == 1 ? ep_strvec_pushf(out, "device=%s", list.ptr)
					: ep_strvec_pushf(out, "\"device=%s\"", list.ptr));
	ep_buf_release(&list);
	return rc ? EP_ENOMEM : 0;
}

/* The model: its directory mounted read-only; the flag value is the path inside. */
static int push_model(struct ep_strvec *out, struct ep_buf *inside,
		      const struct ep_container_run_spec *s, const struct ep_provider *prov,
		      struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT;
	struct stat st;
	const char *base;
	int rc;

	if (!s->model_path)
		return 0;
	if (!prov->model_mount)
		return ep_error_set(err, EP_ECONFIG, "engine '%s' has no model mount point",
				    prov->name);
	if (*s->model_path != '/' || strpbrk(s->model_path, ":,"))
		return ep_error_set(err, EP_ECONFIG,
				    "cannot mount model '%s' into a container: the path must be "
				    "absolute and hold no ':' or ','",
				    s->model_path);
	if (stat(s->model_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = ep_buf_adds(&dir, s->model_path) || ep_buf_adds(inside, prov->model_mount);
	} else {
		base = strrchr(s->model_path, '/') + 1;
		rc = ep_fs_dirname(&dir, s->model_path) ||
		     ep_buf_addf(inside, "%s/%s", prov->model_mount, base);
	}
	if (!rc)
		rc = ep_strvec_push(out, "-v") ||
		     ep_strvec_pushf(out, "%s:%s:ro", dir.ptr, prov->model_mount);
	ep_buf_release(&dir);
	return rc ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
}

/* A flag the command adds unless the normalized flags already carry it. */
static int push_flag(struct ep_strvec *out, const struct ep_strvec *flags, const char *flag,
		     const char *value)
{
	if (!flag || !value || (flags && ep_strvec_find(flags, flag) >= 0))
		return 0;
	return ep_strvec_push(out, flag) || ep_strvec_push(out, value) ? EP_ENOMEM : 0;
}

int ep_container_run_argv(struct ep_strvec *out, const struct ep_container_run_spec *s,
			  struct ep_error *err)
{
	const struct ep_provider *prov = ep_provider_for(s->engine);
	const char *host = s->host ? s->host : "127.0.0.1";
	struct ep_buf inside = EP_BUF_INIT, port = EP_BUF_INIT;
	size_t i;
	int rc;

	if (!prov || !prov->container_port)
		return ep_error_set(err, EP_ECONFIG, "engine '%s' cannot run as a container",
				    ep_engine_name(s->engine));
	if (!s->image_ref || (!strstr(s->image_ref, "@sha256:") && !s->allow_unpinned))
		return ep_error_set(err, EP_EINTERNAL,
				    "refusing to run image '%s': not pinned by digest",
				    s->image_ref ? s->image_ref : "");
	for (i = 0; i < s->n_env; i++)
		if (!env_name_ok(s->env[i].key))
			return ep_error_set(err, EP_ECONFIG, "invalid env name '%s'",
					    s->env[i].key);
	rc = ep_strvec_push(out, ep_container_kind_name(s->kind)) || ep_strvec_push(out, "run") ||
	     ep_strvec_push(out, "-d") || ep_strvec_push(out, "--name") ||
	     ep_strvec_pushf(out, "ep-%s", s->pool_id) || ep_strvec_push(out, "--pull=never");
	if (!rc)
		rc = push_gpus(out, s);
	if (!rc)
		rc = ep_strvec_push(out, "-p") ||
		     ep_strvec_pushf(out, strchr(host, ':') ? "[%s]:%u:%d" : "%s:%u:%d", host,
				     (unsigned)(s->host_port ? s->host_port : prov->default_port),
				     prov->container_port);
	if (rc)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	rc = push_model(out, &inside, s, prov, err);
	for (i = 0; !rc && i < s->n_env; i++)
		if (ep_strvec_push(out, "--env") || ep_strvec_push(out, s->env[i].key))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc &&
	    (ep_strvec_push(out, s->image_ref) ||
	     (container_command(s->engine) && ep_strvec_push(out, container_command(s->engine))) ||
	     ep_buf_addf(&port, "%d", prov->container_port) ||
	     push_flag(out, s->flags, prov->model_flag, inside.len ? inside.ptr : NULL) ||
	     (!s->model_path && prov->model_name_flag && *prov->model_name_flag &&
	      push_flag(out, s->flags, prov->model_name_flag, s->model_name)) ||
	     push_flag(out, s->flags, prov->host_flag, "0.0.0.0") ||
	     push_flag(out, s->flags, prov->port_flag, port.ptr) ||
	     (s->flags && ep_strvec_copy(out, s->flags))))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_buf_release(&inside);
	ep_buf_release(&port);
	return rc;
}

int ep_container_plan_command(struct ep_buf *out, const struct ep_pool *pool,
			      const struct ep_strvec *flags, const char *model_path,
			      struct ep_error *err)
{
	struct ep_container_run_spec s;
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_buf image = EP_BUF_INIT;
	struct ep_strvec argv = EP_STRVEC_INIT;
	int rc = ep_container_ref_for_pool(&ref, pool, err);

	if (!rc && ep_container_ref_format(&image, &ref))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_container_run_spec_from_pool(&s, pool);
	s.image_ref = image.ptr;
	s.allow_unpinned = true;
	s.flags = flags;
	s.model_path = model_path;
	s.model_name = model_path ? NULL : ep_model_engine_name(pool);
	if (!rc)
		rc = ep_container_run_argv(&argv, &s, err);
	if (!rc && ep_proc_format_argv(out, (const char *const *)argv.v))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_strvec_release(&argv);
	ep_buf_release(&image);
	ep_container_ref_release(&ref);
	return rc;
}

int ep_container_run_env(struct ep_strvec *out, const struct ep_container_run_spec *s)
{
	size_t i, j, klen;

	if (ep_strvec_pushv(out, (const char *const *)environ))
		return EP_ENOMEM;
	for (i = 0; i < s->n_env; i++) {
		klen = strlen(s->env[i].key);
		for (j = out->n; j-- > 0;)
			if (!strncmp(out->v[j], s->env[i].key, klen) && out->v[j][klen] == '=')
				ep_strvec_remove(out, j);
		if (ep_strvec_pushf(out, "%s=%s", s->env[i].key,
				    s->env[i].value ? s->env[i].value : ""))
			return EP_ENOMEM;
		if (s->env[i].value && *s->env[i].value && ep_redact_key_is_secret(s->env[i].key) &&
		    ep_redact_register(s->env[i].value))
			return EP_ENOMEM;
	}
	return 0;
}
