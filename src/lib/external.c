/*
 * External mode: describe an engine that exists already, a binary path or a
 * running URL, and the `--version` probe shared with binary mode.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ep/download.h"
#include "ep/external.h"
#include "ep/hash.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/provider.h"
#include "ensure_modes.h"
#include "banned.h"

#define PROBE_TIMEOUT_MS 30000
#define PROBE_OUTPUT_CAP (64 * 1024)

void ep_external_info_release(struct ep_external_info *info)
{
	free(info->binary_path);
	free(info->engine_digest);
	free(info->engine_version);
	free(info->url);
	memset(info, 0, sizeof(*info));
}

/* "b7000-abc1234" (a build_info) -> "b7000 (abc1234)". */
static char *from_build_info(const char *s)
{
	struct ep_buf b = EP_BUF_INIT;
	const char *dash = strchr(s, '-');

	if (s[0] != 'b' || !dash || dash == s + 1)
		return NULL;
	ep_buf_add(&b, s, (size_t)(dash - s));
	ep_buf_addf(&b, " (%s)", dash + 1);
	return ep_buf_detach(&b, NULL);
}

int ep_engine_version_parse(char **out, const char *text)
{
	const char *v = strstr(text, "version: ");
	char line[256], commit[64], build[32];
	struct ep_buf b = EP_BUF_INIT;

	*out = NULL;
	if (!v) {
		size_t n = strcspn(text, "\n");

		if (!n)
			return EP_ENOTFOUND;
		if (text[0] == 'b' && (*out = from_build_info(text)))
			return 0;
		ep_buf_add(&b, text, n);
		ep_buf_rtrim(&b);
		*out = ep_buf_detach(&b, NULL);
		return 0;
	}
	v += strlen("version: ");
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(v, "\r\n"), v);
	if (sscanf(line, "%*s (build %31[0-9], commit %63[0-9a-fA-F])", build, commit) == 2 ||
	    sscanf(line, "%31[0-9] (%63[0-9a-fA-F])", build, commit) == 2)
		ep_buf_addf(&b, "b%s (%s)", build, commit);
	else
		ep_buf_adds(&b, line);
	ep_buf_rtrim(&b);
	*out = ep_buf_detach(&b, NULL);
	return 0;
}

/* Read the child's output until EOF or the deadline; kill it on a timeout. */
static int collect(struct ep_proc *p, struct ep_buf *outb, const char *binary, int *status,
		   struct ep_error *err)
{
	int64_t deadline = ep_now_ms() + PROBE_TIMEOUT_MS;
	struct pollfd pfd = {ep_proc_stdout_fd(p), POLLIN, 0};
	char chunk[4096];

	for (;;) {
		int64_t left = deadline - ep_now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			kill(ep_proc_pid(p), SIGKILL);
			ep_proc_wait(p, status, NULL);
			return ep_error_set(err, EP_EVERIFY,
					    "'%s --version' did not finish within %d s", binary,
					    PROBE_TIMEOUT_MS / 1000);
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue; /* the deadline is checked above; read() would block */
		n = read(pfd.fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (outb->len < PROBE_OUTPUT_CAP)
			ep_buf_add(outb, chunk, (size_t)n);
	}
	return ep_proc_wait(p, status, err);
}

int ep_engine_version_probe(char **out, const char *binary, struct ep_error *err)
{
	const char *argv[] = {binary, "--version", NULL};
	const char *path = getenv("PATH"), *ldp = getenv("LD_LIBRARY_PATH");
	struct ep_strvec env = EP_STRVEC_INIT;
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	struct ep_buf outb = EP_BUF_INIT;
	struct ep_proc *p = NULL;
	int status = -1, rc;

	*out = NULL;
	/* a minimal environment: the engine's secrets are not its business here */
	ep_strvec_pushf(&env, "PATH=%s", path ? path : "/usr/bin:/bin");
	if (ldp)
		ep_strvec_pushf(&env, "LD_LIBRARY_PATH=%s", ldp);
	ep_strvec_push(&env, "LC_ALL=C");
	o.argv = argv;
	o.env = (const char *const *)env.v;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	rc = ep_proc_start(&p, &o, err);
	if (!rc)
		rc = collect(p, &outb, binary, &status, err);
	ep_proc_free(p);
	ep_strvec_release(&env);
	if (!rc && status != 0) {
		ep_buf_rtrim(&outb);
		ep_buf_keep_last_lines(&outb, 3);
		rc = ep_error_set(err, EP_EVERIFY, "'%s --version' failed with status %d: %s",
				  binary, status, outb.ptr);
	}
	if (!rc && ep_engine_version_parse(out, outb.ptr))
		rc = ep_error_set(err, EP_EVERIFY, "'%s --version' printed no version", binary);
	ep_buf_release(&outb);
	return rc;
}

int ep_external_probe_path(struct ep_external_info *out, const char *path, struct ep_error *err)
{
	char real[PATH_MAX], digest[EP_DIGEST_LEN];
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!realpath(path, real) || stat(real, &st))
		return ep_error_sys(err, EP_ENOTFOUND, "engine binary '%s' does not exist", path);
	if (!S_ISREG(st.st_mode) || access(real, X_OK))
		return ep_error_set(err, EP_EVERIFY, "engine binary '%s' is not an executable file",
				    path);
	if ((rc = ep_sha256_file(digest, real, err)))
		return rc;
	if ((rc = ep_engine_version_probe(&out->engine_version, real, err)))
		return rc;
	out->binary_path = strdup(real);
	out->engine_digest = strdup(digest);
	if (!out->binary_path || !out->engine_digest) {
		ep_external_info_release(out);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	return 0;
}

char *ep_engine_version_from_json(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL), *v;
	char *out = NULL;

	if (!root)
		return NULL;
	v = json_object_get(root, "build_info");
	if (!json_is_string(v))
		v = json_object_get(root, "version");
	if (json_is_string(v))
		ep_engine_version_parse(&out, json_string_value(v));
	json_decref(root);
	return out;
}

int ep_external_probe_url(struct ep_external_info *out, const char *url, const char *health_path,
			  const char *version_path, struct ep_error *err)
{
	struct ep_buf u = EP_BUF_INIT, body = EP_BUF_INIT;
	size_t n = strlen(url);
	long status = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return ep_error_set(err, EP_ECONFIG, "external URL '%s' is not http or https", url);
	while (n && url[n - 1] == '/')
		n--;
	ep_buf_addf(&u, "%.*s%s", (int)n, url, health_path ? health_path : "/health");
	rc = ep_download_get(&body, &status, u.ptr, 1 << 20, 10000, err);
	if (!rc && status != 200)
		rc = ep_error_set(err, EP_EENGINE,
				  "engine at '%s' is not healthy: %s answered %ld%s", url, u.ptr,
				  status, status == 503 ? " (still loading?)" : "");
	ep_buf_reset(&u);
	ep_buf_addf(&u, "%.*s%s", (int)n, url, version_path ? version_path : "/props");
	if (!rc)
		rc = ep_download_get(&body, &status, u.ptr, 4 << 20, 10000, err);
	if (!rc && (status != 200 ||
		    !(out->engine_version = ep_engine_version_from_json(body.ptr, body.len))))
		rc =
		    ep_error_set(err, EP_EENGINE, "engine at '%s' reports no version at '%s' (%ld)",
				 url, u.ptr, status);
	if (!rc && !(out->url = strndup(url, n)))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (rc)
		ep_external_info_release(out);
	ep_buf_release(&u);
	ep_buf_release(&body);
	return rc;
}

int ep_external__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	const struct ep_pool *pool = ctx->pool;
	const struct ep_external_cfg *ext = &pool->provisioning.external;
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	struct ep_external_info info;
	int rc;

	if (!pool->provisioning.has_external || (!ext->path && !ext->url))
		return ep_error_set(err, EP_ECONFIG,
				    "pool '%s' uses external mode but sets neither "
				    "provisioning.external.path nor provisioning.external.url",
				    pool->id);
	if (ext->path)
		rc = ep_external_probe_path(&info, ext->path, err);
	else
		rc = ep_external_probe_url(&info, ext->url, prov ? prov->health_path : NULL,
					   prov ? prov->version_path : NULL, err);
	if (rc)
		return rc;
	out->engine = pool->engine;
	out->mode = EP_MODE_EXTERNAL;
	out->engine_version = info.engine_version;
	out->engine_digest = info.engine_digest;
	out->binary_path = info.binary_path;
	free(info.url);
	ep_narrate(EP_LOG_INFO, "external", "verify", ext->path ? ext->path : ext->url, pool->id,
		   -1, "using the external engine at '%s' (%s)", ext->path ? ext->path : ext->url,
		   out->engine_version);
	return 0;
}
