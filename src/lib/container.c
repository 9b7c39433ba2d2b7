/*
 * Container engines and image references: which engine runs a pool's
 * containers, how a reference is taken apart, how an engine's complaints
 * are read, and the container preflight.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "ep/container.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/provider.h"
#include "banned.h"

#define OUTPUT_CAP (256u * 1024)

const char *ep_container_kind_name(enum ep_container_kind kind)
{
	return kind == EP_CONTAINER_DOCKER ? "docker" : "podman";
}

/* Look one engine up in PATH. */
static int find_engine(struct ep_container_engine *out, enum ep_container_kind kind)
{
	struct ep_buf path = EP_BUF_INIT;

	if (ep_proc_which(&path, ep_container_kind_name(kind), NULL)) {
		ep_buf_release(&path);
		return EP_ENOTFOUND;
	}
	out->kind = kind;
	out->path = ep_buf_detach(&path, NULL);
	return 0;
}

int ep_container_engine_choose(struct ep_container_engine *out, const char *runtime,
			       struct ep_error *err)
{
	out->path = NULL;
	if (runtime && strcmp(runtime, "podman") && strcmp(runtime, "docker"))
		return ep_error_set(err, EP_ECONFIG,
				    "unknown container runtime '%s'; use 'podman' or 'docker'",
				    runtime);
	if (runtime && !strcmp(runtime, "docker")) {
		if (find_engine(out, EP_CONTAINER_DOCKER))
			return ep_error_set(err, EP_EPREFLIGHT,
					    "container runtime 'docker' not found in PATH; "
					    "install it with: apt-get install docker.io");
		return 0;
	}
	if (!find_engine(out, EP_CONTAINER_PODMAN))
		return 0;
	if (runtime)
		return ep_error_set(err, EP_EPREFLIGHT,
				    "container runtime 'podman' not found in PATH; "
				    "install it with: apt-get install podman");
	if (!find_engine(out, EP_CONTAINER_DOCKER))
		return 0;
	return ep_error_set(err, EP_EPREFLIGHT,
			    "no container engine found (podman or docker); "
			    "install one with: apt-get install podman");
}

void ep_container_engine_release(struct ep_container_engine *e)
{
	free(e->path);
	e->path = NULL;
}

/* Characters allowed in a reference; anything else is refused before it reaches an engine. */
static bool ref_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/:@-",
			    *s))
			return false;
	return true;
}

static bool digest_ok(const char *d)
{
	size_t i;

	if (strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	for (i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", d[i]))
			return false;
	return true;
}

/* Split "repo[:tag][@digest]" into its parts. */
int ep_container_ref_parse(struct ep_container_ref *out, const char *image, const char *tag,
			   struct ep_error *err)
{
	const char *at, *slash, *colon;
	char *name = NULL;
	bool oom = false;

	out->repo = out->tag = out->digest = NULL;
	if (!image || !*image || *image == '-' || !ref_chars_ok(image))
		return ep_error_set(err, EP_ECONFIG, "invalid image reference '%s'",
				    image ? image : "");
	if (tag && (!*tag || *tag == '-' || !ref_chars_ok(tag) || strpbrk(tag, "/:@")))
		return ep_error_set(err, EP_ECONFIG, "invalid image tag '%s'", tag);
	at = strchr(image, '@');
	if (at && !digest_ok(at + 1))
		return ep_error_set(
		    err, EP_ECONFIG,
		    "invalid digest in image '%s'; expected @sha256:<64 hex digits>", image);
	name = at ? strndup(image, (size_t)(at - image)) : strdup(image);
	if (!name)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		if (tag && strcmp(tag, colon + 1)) {
			free(name);
			return ep_error_set(err, EP_ECONFIG,
					    "image '%s' names a tag and the config names tag '%s'; "
					    "keep one",
					    image, tag);
		}
		out->tag = strdup(colon + 1);
		oom = !out->tag;
		name[colon - name] = '\0';
	} else if (tag) {
		out->tag = strdup(tag);
		oom = !out->tag;
	}
	out->repo = name;
	out->digest = at ? strdup(at + 1) : NULL;
	if (oom || (at && !out->digest)) {
		ep_container_ref_release(out);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	if (!*out->repo || (out->tag && !*out->tag)) {
		ep_container_ref_release(out);
		return ep_error_set(err, EP_ECONFIG, "invalid image reference '%s'", image);
	}
	if (!out->tag && !out->digest) {
		ep_container_ref_release(out);
		return ep_error_set(err, EP_ECONFIG,
				    "image '%s' has neither a tag nor a digest; set "
				    "provisioning.container.tag or pin it with @sha256:...",
				    image);
	}
	return 0;
}

int ep_container_ref_for_pool(struct ep_container_ref *out, const struct ep_pool *pool,
			      struct ep_error *err)
{
	const struct ep_container_cfg *c = &pool->provisioning.container;
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	const char *image = pool->provisioning.has_container ? c->image : NULL;
	const char *tag = pool->provisioning.has_container ? c->tag : NULL;

	if (!image) {
		if (!prov || !prov->default_image)
			return ep_error_set(err, EP_ECONFIG,
					    "pool '%s': no image for engine '%s'; set "
					    "provisioning.container.image",
					    pool->id, ep_engine_name(pool->engine));
		image = prov->default_image;
	}
	if (!tag && !strchr(image, '@') && prov && prov->default_image &&
	    !strcmp(image, prov->default_image))
		tag = !pool->n_devices && prov->default_cpu_tag ? prov->default_cpu_tag
								: prov->default_tag;
	return ep_container_ref_parse(out, image, tag, err);
}

void ep_container_ref_release(struct ep_container_ref *r)
{
	free(r->repo);
	free(r->tag);
	free(r->digest);
	r->repo = r->tag = r->digest = NULL;
}

int ep_container_ref_format(struct ep_buf *out, const struct ep_container_ref *r)
{
	int rc = ep_buf_adds(out, r->repo);

	if (!rc && r->tag)
		rc = ep_buf_addf(out, ":%s", r->tag);
	if (!rc && r->digest)
		rc = ep_buf_addf(out, "@%s", r->digest);
	return rc;
}

bool ep_container_ref_is_loopback(const struct ep_container_ref *r)
{
	const char *slash = strchr(r->repo, '/');
	size_t n = slash ? (size_t)(slash - r->repo) : 0;
	char host[256];
	char *colon;

	if (!slash || n >= sizeof(host))
		return false;
	memcpy(host, r->repo, n);
	host[n] = '\0';
	if (!strncmp(host, "[::1]", 5))
		return true;
	colon = strchr(host, ':');
	if (colon)
		*colon = '\0';
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4);
}

enum ep_container_fail ep_container__classify(const char *output)
{
	static const char *const unreachable[] = {"connection refused",
						  "no such host",
						  "i/o timeout",
						  "network is unreachable",
						  "connection reset",
						  "no route to host",
						  "TLS handshake timeout",
						  "server gave HTTP response to HTTPS client",
						  "dial tcp",
						  NULL};
	static const char *const unauthorized[] = {"unauthorized",
						   "authentication required",
						   "no basic auth credentials",
						   "access to the resource is denied",
						   "denied:",
						   "403 Forbidden",
						   "401 Unauthorized",
						   NULL};
	static const char *const not_found[] = {"manifest unknown", "name unknown",
						"repository does not exist", "not found", NULL};
	size_t i;

	for (i = 0; unreachable[i]; i++)
		if (strstr(output, unreachable[i]))
			return EP_CONTAINER_FAIL_UNREACHABLE;
	for (i = 0; unauthorized[i]; i++)
		if (strcasestr(output, unauthorized[i]))
			return EP_CONTAINER_FAIL_UNAUTHORIZED;
	for (i = 0; not_found[i]; i++)
		if (strcasestr(output, not_found[i]))
			return EP_CONTAINER_FAIL_NOT_FOUND;
	return EP_CONTAINER_FAIL_OTHER;
}

int ep_container__exec(struct ep_buf *out, int *status, const char *const *argv,
		       const char *const *env, const char *pool_id, struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;

	ep_buf_reset(out);
	if (!out->cap)
		out->cap = OUTPUT_CAP;
	o.argv = argv;
	o.env = env;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	o.pool_id = pool_id;
	return ep_proc_run(&o, out, status, err);
}

int ep_container__last_line(struct ep_buf *out, const char *s)
{
	const char *end = s + strlen(s), *start;

	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > s && start[-1] != '\n')
		start--;
	ep_buf_reset(out);
	return ep_buf_add(out, start, (size_t)(end - start));
}

int ep_container__reason(struct ep_buf *out, const char *s)
{
	const char *end = s + strlen(s), *start;

	for (;;) {
		while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
			end--;
		start = end;
		while (start > s && start[-1] != '\n')
			start--;
		/* docker's trailer: "Run 'docker run --help' for more information" */
		if (start == s || !(memmem(start, (size_t)(end - start), "--help'", 7) &&
				    (!strncmp(start, "Run '", 5) || !strncmp(start, "See '", 5))))
			break;
		end = start;
	}
	if (end > start && end[-1] == '.') /* it goes into a sentence of ours */
		end--;
	ep_buf_reset(out);
	return ep_buf_add(out, start, (size_t)(end - start));
}

/* Does a CDI spec directory hold a spec for nvidia.com/gpu? */
static bool cdi_dir_has_gpu(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		struct ep_buf path = EP_BUF_INIT, text = EP_BUF_INIT;
		size_t len = strlen(de->d_name);

		if (len < 6 || (strcmp(de->d_name + len - 5, ".yaml") &&
				strcmp(de->d_name + len - 5, ".json")))
			continue;
		text.cap = 16u * 1024 * 1024;
		if (!ep_buf_addf(&path, "%s/%s", dir, de->d_name) &&
		    !ep_buf_read_file(&text, path.ptr, NULL))
			found = strstr(text.ptr, "nvidia.com/gpu") != NULL;
		ep_buf_release(&path);
		ep_buf_release(&text);
	}
	closedir(d);
	return found;
}

/* The GPU half of the preflight: CDI for podman, the toolkit's nvidia-ctk for docker. */
static int preflight_gpu(const struct ep_container_engine *eng, const char *const *cdi_dirs,
			 struct ep_buf *findings, struct ep_error *err)
{
	static const char *const default_dirs[] = {"/etc/cdi", "/var/run/cdi", NULL};
	struct ep_buf path = EP_BUF_INIT;
	size_t i;

	if (eng->kind == EP_CONTAINER_DOCKER) {
		int missing = ep_proc_which(&path, "nvidia-ctk", NULL);

		ep_buf_release(&path);
		if (missing)
			return ep_error_set(
			    err, EP_EGPU,
			    "GPUs requested but the NVIDIA container toolkit "
			    "('nvidia-ctk') is not installed; install "
			    "nvidia-container-toolkit, then run: nvidia-ctk runtime "
			    "configure --runtime=docker && systemctl restart docker");
		if (findings)
			(void)ep_buf_adds(findings, "nvidia container toolkit: nvidia-ctk found\n");
		return 0;
	}
	if (!cdi_dirs)
		cdi_dirs = default_dirs;
	for (i = 0; cdi_dirs[i]; i++) {
		if (cdi_dir_has_gpu(cdi_dirs[i])) {
			if (findings)
				(void)ep_buf_addf(findings, "cdi: nvidia.com/gpu in %s\n",
						  cdi_dirs[i]);
			return 0;
		}
	}
	return ep_error_set(err, EP_EGPU,
			    "GPUs requested but no CDI spec lists 'nvidia.com/gpu' (looked in "
			    "%s%s%s); install nvidia-container-toolkit, then run: nvidia-ctk cdi "
			    "generate --output=/etc/cdi/nvidia.yaml",
			    cdi_dirs[0], cdi_dirs[1] ? " and " : "",
			    cdi_dirs[1] ? cdi_dirs[1] : "");
}

int ep_container__probe(const struct ep_container_engine *eng, const char *pool_id,
			struct ep_buf *findings, struct ep_error *err)
{
	struct ep_buf out = EP_BUF_INIT, line = EP_BUF_INIT;
	const char *argv[5];
	int rc, status = 0;

	/* docker 20.10's `info --format` hides why the daemon cannot be reached; `version` says it
	 */
	argv[0] = eng->path;
	argv[1] = eng->kind == EP_CONTAINER_PODMAN ? "info" : "version";
	argv[2] = "--format";
	argv[3] =
	    eng->kind == EP_CONTAINER_PODMAN ? "{{.Host.OCIRuntime.Name}}" : "{{.Server.Version}}";
	argv[4] = NULL;
	rc = ep_container__exec(&out, &status, argv, NULL, pool_id, err);
	if (!rc)
		(void)ep_container__last_line(&line, out.ptr);
	if (!rc && status)
		rc = ep_error_set(err, EP_EPREFLIGHT,
				  "container engine '%s' is not usable ('%s %s' failed: %s); "
				  "check its installation and configuration",
				  eng->path, ep_container_kind_name(eng->kind), argv[1], line.ptr);
	if (!rc && findings)
		(void)ep_buf_addf(findings, "container engine: %s (%s)\n", eng->path, line.ptr);
	if (!rc)
		ep_narrate(EP_LOG_INFO, "container", "preflight", eng->path, pool_id, -1,
			   "container engine '%s' is usable (runtime %s)", eng->path, line.ptr);
	ep_buf_release(&out);
	ep_buf_release(&line);
	return rc;
}

int ep_container_preflight(const struct ep_pool *pool, const char *const *cdi_dirs, bool probe,
			   struct ep_buf *findings, struct ep_error *err)
{
	struct ep_container_engine eng = EP_CONTAINER_ENGINE_INIT;
	const char *runtime =
	    pool->provisioning.has_container ? pool->provisioning.container.runtime : NULL;
	int rc;

	rc = ep_container_engine_choose(&eng, runtime, err);
	if (!rc && probe)
		rc = ep_container__probe(&eng, pool->id, findings, err);
	else if (!rc && findings)
		(void)ep_buf_addf(findings, "container engine: %s\n", eng.path);
	if (!rc && pool->n_devices)
		rc = preflight_gpu(&eng, cdi_dirs, findings, err);
	ep_container_engine_release(&eng);
	return rc;
}
