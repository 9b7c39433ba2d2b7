/*
 * Starting an engine process: its argv (never a shell), its environment
 * (an allowlist of ours, the pool's env, the device mask), its log file
 * (rotated at start) and the start itself, in a process group of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/log.h"
#include "ep/provider.h"
#include "engine_internal.h"
#include "banned.h"

/*
 * What the engine inherits from us. LD_LIBRARY_PATH is kept because CUDA
 * installs outside the linker's paths need it and it is the operator's own
 * setting; nothing else of ours (proxies, credentials, EP_*) reaches it.
 */
static const char *const env_allow[] = {
    "PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "LD_LIBRARY_PATH", NULL,
};

/* Set KEY=VALUE in `env`, replacing an earlier entry of the same key. */
static int env_set(struct ep_strvec *env, const char *key, const char *value)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < env->n; i++) {
		if (!strncmp(env->v[i], key, klen) && env->v[i][klen] == '=') {
			ep_strvec_remove(env, i);
			break;
		}
	}
	return ep_strvec_pushf(env, "%s=%s", key, value);
}

/* The device mask for CUDA_VISIBLE_DEVICES: the prepared one, else the pool's devices. */
static int device_mask(struct ep_buf *out, const struct ep_prepared *pe, const struct ep_pool *pool)
{
	size_t i;
	int rc = 0;

	if (pe->device_mask)
		return ep_buf_adds(out, pe->device_mask);
	for (i = 0; pool && !rc && i < pool->n_devices; i++)
		rc = ep_buf_addf(out, "%s%u", i ? "," : "", (unsigned)pool->devices[i]);
	return rc;
}

int ep_engine_env(struct ep_strvec *out, const struct ep_prepared *pe, const struct ep_pool *pool,
		  struct ep_error *err)
{
	const struct ep_provisioning *pv = pool ? &pool->provisioning : NULL;
	struct ep_buf mask = EP_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && env_allow[i]; i++) {
		const char *v = getenv(env_allow[i]);

		if (v)
			rc = env_set(out, env_allow[i], v);
	}
	for (i = 0; !rc && pv && i < pv->n_env; i++) {
		const char *k = pv->env[i].key, *v = pv->env[i].value ? pv->env[i].value : "";

		if (!*k || strchr(k, '='))
			return ep_error_set(err, EP_ECONFIG,
					    "env name '%s' of pool '%s' is not a variable name", k,
					    pool->id);
		if (ep_redact_key_is_secret(k) && ep_redact_register(v))
			return ep_error_set(err, EP_ENOMEM, "out of memory");
		if (!strcmp(k, "CUDA_VISIBLE_DEVICES")) {
			ep_narrate(EP_LOG_WARN, "spawn", "env", k, pool->id, -1,
				   "env CUDA_VISIBLE_DEVICES of pool '%s' is ignored: the pool's "
				   "devices set it",
				   pool->id);
			continue;
		}
		rc = env_set(out, k, v);
	}
	rc = rc ? rc : device_mask(&mask, pe, pool);
	/* A CPU engine gets "" so it never touches a GPU. */
	rc = rc ? rc : env_set(out, "CUDA_VISIBLE_DEVICES", mask.ptr);
	ep_buf_release(&mask);
	return rc ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
}

/* Is flags[i] one we set ourselves (model, host, port)? */
static bool is_ours(const char *flag, const struct ep_provider *pv)
{
	return !strcmp(flag, pv && pv->model_flag ? pv->model_flag : "--model") ||
	       !strcmp(flag, pv && pv->host_flag ? pv->host_flag : "--host") ||
	       !strcmp(flag, pv && pv->port_flag ? pv->port_flag : "--port");
}

int ep_engine_argv(struct ep_strvec *out, const struct ep_prepared *pe, struct ep_error *err)
{
	const struct ep_provider *pv = ep_provider_for(pe->engine);
	size_t i;
	int rc;

	if (!pe->binary_path)
		return ep_error_set(err, EP_ESPAWN,
				    "pool '%s' has no engine binary to start (container engines "
				    "are started by their runtime); run its binary, source or "
				    "external mode",
				    pe->pool_id ? pe->pool_id : "?");
	rc = ep_strvec_push(out, pe->binary_path);
	if (!rc && pe->model_path) {
		rc = ep_strvec_push(out, pv && pv->model_flag ? pv->model_flag : "--model");
		rc = rc ? rc : ep_strvec_push(out, pe->model_path);
	}
	rc = rc ? rc : ep_strvec_push(out, pv && pv->host_flag ? pv->host_flag : "--host");
	rc = rc ? rc : ep_strvec_push(out, pe->host ? pe->host : "127.0.0.1");
	rc = rc ? rc : ep_strvec_push(out, pv && pv->port_flag ? pv->port_flag : "--port");
	rc = rc ? rc : ep_strvec_pushf(out, "%u", (unsigned)pe->port);
	for (i = 0; !rc && i < pe->flags.n; i++) {
		if (is_ours(pe->flags.v[i], pv)) {
			ep_narrate(EP_LOG_WARN, "spawn", "flags", pe->flags.v[i], pe->pool_id, -1,
				   "flag '%s' in the pool's flags is ignored: model, host and port "
				   "are set from the config",
				   pe->flags.v[i]);
			if (i + 1 < pe->flags.n && pe->flags.v[i + 1][0] != '-')
				i++;
			continue;
		}
		rc = ep_strvec_push(out, pe->flags.v[i]);
	}
	return rc ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
}

int ep_spawn__open_log(int *fd_out, const char *path, size_t max, struct ep_error *err)
{
	struct ep_buf old = EP_BUF_INIT;
	struct stat st;
	int fd;

	*fd_out = -1;
	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode))
			return ep_error_set(
			    err, EP_EUNSAFE,
			    "refusing engine log '%s': not a regular file; remove it", path);
		if ((size_t)st.st_size > max) {
			if (ep_buf_addf(&old, "%s.1", path))
				return ep_error_set(err, EP_ENOMEM, "out of memory");
			if (rename(path, old.ptr)) {
				ep_buf_release(&old);
				return ep_error_sys(err, EP_EIO, "cannot rotate engine log '%s'",
						    path);
			}
			ep_buf_release(&old);
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return ep_error_sys(err, EP_EIO, "cannot open engine log '%s'", path);
	*fd_out = fd;
	return 0;
}

void ep_spawn__log_tail(struct ep_buf *out, const char *path, size_t n)
{
	struct ep_buf raw = EP_BUF_INIT;
	char chunk[16384];
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	ep_buf_reset(out);
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && st.st_size > (off_t)sizeof(chunk))
		(void)lseek(fd, st.st_size - (off_t)sizeof(chunk), SEEK_SET);
	got = read(fd, chunk, sizeof(chunk));
	close(fd);
	/* The engine wrote it: redact before it reaches an error message. */
	if (got > 0 && !ep_buf_add(&raw, chunk, (size_t)got))
		ep_redact(out, raw.ptr);
	ep_buf_release(&raw);
	ep_buf_rtrim(out);
	ep_buf_keep_last_lines(out, n);
}
