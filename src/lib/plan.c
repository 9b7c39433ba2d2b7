/*
 * Plans: the steps `ensure` and `up` take for a pool, derived from the config
 * alone. Nothing here touches the host (no file, no process, no clock), so
 * the same config always gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/container.h"
#include "ep/flags.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/plan.h"
#include "ep/proc.h"
#include "ep/provider.h"
#include "banned.h"

/* Append a step: its detail redacted; the step array grows by doubling, from 8. */
static int add_step(struct ep_plan *p, const char *kind, struct ep_buf *detail)
{
	size_t n = p->n_steps;
	struct ep_plan_step *v = p->steps;
	struct ep_buf red = EP_BUF_INIT;

	if (!n || (n >= 8 && !(n & (n - 1)))) {
		v = realloc(p->steps, (n ? 2 * n : 8) * sizeof(*v));
		if (!v)
			return EP_ENOMEM;
		p->steps = v;
	}
	if (ep_redact(&red, detail->ptr)) {
		ep_buf_release(&red);
		return EP_ENOMEM;
	}
	v[p->n_steps].kind = strdup(kind);
	v[p->n_steps].detail = ep_buf_detach(&red, NULL);
	if (!v[p->n_steps].kind || !v[p->n_steps].detail) {
		free(v[p->n_steps].kind);
		free(v[p->n_steps].detail);
		return EP_ENOMEM;
	}
	p->n_steps++;
	ep_buf_reset(detail);
	return 0;
}

static void add_words(struct ep_buf *b, const struct ep_strvec *sv)
{
	struct ep_buf q = EP_BUF_INIT;

	if (!sv->n)
		return;
	ep_proc_format_argv(&q, (const char *const *)sv->v);
	ep_buf_addf(b, " %s", q.ptr);
	ep_buf_release(&q);
}

static const char *host_of(const struct ep_pool *pool)
{
	return pool->provisioning.host ? pool->provisioning.host : "127.0.0.1";
}

static int port_of(const struct ep_pool *pool, const struct ep_provider *prov)
{
	if (pool->provisioning.n_ports)
		return pool->provisioning.ports[0];
	return prov ? prov->default_port : 8080;
}

static void add_devices(struct ep_buf *b, const struct ep_pool *pool)
{
	size_t i;

	ep_buf_adds(b, "devices [");
	for (i = 0; i < pool->n_devices; i++)
		ep_buf_addf(b, "%s%u", i ? "," : "", pool->devices[i]);
	ep_buf_addch(b, ']');
}

/* Env as "KEY=***" for secrets and KEY=value otherwise (the redactor masks secret keys). */
static void add_env(struct ep_buf *b, const struct ep_pool *pool)
{
	size_t i;

	if (pool->n_devices) {
		ep_buf_adds(b, "; env CUDA_VISIBLE_DEVICES=");
		for (i = 0; i < pool->n_devices; i++)
			ep_buf_addf(b, "%s%u", i ? "," : "", pool->devices[i]);
	} else {
		ep_buf_adds(b, "; CPU engine");
	}
	for (i = 0; i < pool->provisioning.n_env; i++)
		ep_buf_addf(b, "; env %s=%s", pool->provisioning.env[i].key,
			    ep_redact_key_is_secret(pool->provisioning.env[i].key)
				? "***"
				: pool->provisioning.env[i].value);
}

static int step_gpu_check(struct ep_plan *p, const struct ep_pool *pool, struct ep_buf *d)
{
	if (!pool->n_devices)
		return 0;
	add_devices(d, pool);
	ep_buf_adds(d, ": NVIDIA driver present, each index exists, driver supports the CUDA "
		       "toolkit; fail fast otherwise");
	return add_step(p, "gpu-check", d);
}

static int step_model(struct ep_plan *p, const struct ep_pool *pool, struct ep_buf *d)
{
	const struct ep_model_cfg *m = &pool->provisioning.model;

	ep_buf_addf(d, "resolve model '%s'", ep_model_ref(pool));
	if (m->cache_dir)
		ep_buf_addf(d, " (relative to %s)", m->cache_dir);
	if (m->checksum)
		ep_buf_addf(d, "; verify %s", m->checksum);
	if (ep_model_engine_name(pool))
		ep_buf_addf(d, "; when no such file is there, %s fetches it by name",
			    ep_engine_name(pool->engine));
	return add_step(p, "model-fetch", d);
}

static int step_run(struct ep_plan *p, const struct ep_pool *pool, const struct ep_provider *prov,
		    const char *binary, struct ep_buf *d)
{
	ep_buf_addf(d, "%s --model <model> --host %s --port %d", binary, host_of(pool),
		    port_of(pool, prov));
	add_words(d, &p->runtime_flags);
	add_env(d, pool);
	if (prov && prov->health_path)
		ep_buf_addf(d, "; ready when GET %s answers 200", prov->health_path);
	return add_step(p, "run", d);
}

static void add_tools(struct ep_buf *d, const char *const *tools)
{
	size_t i;

	for (i = 0; tools[i]; i++)
		ep_buf_addf(d, "%s%s", i ? ", " : "", tools[i]);
}

static int plan_source(struct ep_plan *p, const struct ep_pool *pool,
		       const struct ep_provider *prov, struct ep_buf *d, struct ep_error *err)
{
	static const char *const base[] = {"git",	 "cmake", "ninja or make", "cc", "c++",
					   "pkg-config", NULL};
	const struct ep_source_cfg *s = &pool->provisioning.source;
	bool mapped = false;
	const char *arch;
	int rc;

	if (pool->engine != EP_ENGINE_LLAMACPP)
		return ep_error_set(
		    err, EP_ECONFIG,
		    "pool '%s': source builds exist for engine 'llamacpp' only; use "
		    "mode 'container' for '%s'",
		    pool->id, ep_engine_name(pool->engine));
	rc = ep_flags_normalize_cmake(&p->cmake_flags, &s->cmake_flags, pool->n_devices > 0,
				      &mapped, &p->warnings, err);
	if (rc)
		return ep_error_prefix(err, "pool '%s': provisioning.source.build.cmake_flags",
				       pool->id);
	add_tools(d, base);
	if (ep_flags_cmake_cuda(&p->cmake_flags))
		ep_buf_adds(d, ", nvcc (CUDA toolkit)");
	ep_buf_adds(d, "; ccache when installed");
	if ((rc = add_step(p, "preflight-tools", d)) || (rc = step_gpu_check(p, pool, d)))
		return rc;
	ep_buf_addf(d, "mirror %s; resolve ref '%s' to a full commit%s", s->repo, s->ref,
		    s->submodules ? "; with submodules" : "");
	if ((rc = add_step(p, "git-clone", d)))
		return rc;
	ep_buf_addf(d, "cmake -G %s",
		    s->generator ? s->generator : "Ninja (Unix Makefiles without ninja)");
	add_words(d, &p->cmake_flags);
	ep_buf_adds(d, " -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF");
	arch = ep_flags_cmake_get(&p->cmake_flags, "CMAKE_CUDA_ARCHITECTURES");
	if (ep_flags_cmake_cuda(&p->cmake_flags) && !arch)
		ep_buf_adds(d,
			    " -DCMAKE_CUDA_ARCHITECTURES=<compute capability of the pool's GPUs>");
	if (mapped)
		ep_buf_adds(d, "; deprecated CUDA options mapped: stale CMake cache cleared");
	if ((rc = add_step(p, "cmake-configure", d)))
		return rc;
	ep_buf_addf(d, "cmake --build --target %s --parallel <cores>", prov->binary_name);
	if ((rc = add_step(p, "cmake-build", d)))
		return rc;
	ep_buf_addf(d,
		    "%s and its shared libraries into the store, keyed by repo, commit, CMake "
		    "flags, generator, compiler%s",
		    prov->binary_name,
		    ep_flags_cmake_cuda(&p->cmake_flags) ? ", CUDA toolkit and architectures" : "");
	if ((rc = add_step(p, "install", d)) || (rc = step_model(p, pool, d)))
		return rc;
	return step_run(p, pool, prov, prov->binary_name, d);
}

static int plan_container(struct ep_plan *p, const struct ep_pool *pool, struct ep_buf *d,
			  struct ep_error *err)
{
	const struct ep_container_cfg *c = &pool->provisioning.container;
	const char *rt = pool->provisioning.has_container && c->runtime
			     ? c->runtime
			     : "podman (docker when podman is absent)";
	struct ep_container_ref ref = EP_CONTAINER_REF_INIT;
	struct ep_buf image = EP_BUF_INIT;
	const char *model;
	int rc;

	/* the image as ensure will pull it: the config's, else the provider's pinned default */
	rc = ep_container_ref_for_pool(&ref, pool, err);
	if (!rc && ep_container_ref_format(&image, &ref))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc) {
		ep_buf_addf(d, "%s", rt);
		if (pool->n_devices)
			ep_buf_adds(d, "; NVIDIA container toolkit (CDI spec for podman)");
		rc = add_step(p, "preflight-tools", d);
	}
	rc = rc ? rc : step_gpu_check(p, pool, d);
	if (!rc) {
		ep_buf_addf(d,
			    ref.digest ? "pull %s (pinned by digest)"
				       : "pull %s; pin by digest (image@sha256:...)",
			    image.ptr);
		rc = add_step(p, "pull-image", d);
	}
	ep_container_ref_release(&ref);
	ep_buf_release(&image);
	rc = rc ? rc : step_model(p, pool, d);
	if (rc)
		return rc;
	model = ep_model_ref(pool);
	if (model && !strncmp(model, "file:", 5))
		model += 5;
	/* a local model is mounted as it is; a fetched one is known only after ensure */
	if (ep_container_plan_command(d, pool, &p->runtime_flags,
				      model && *model == '/' ? model : NULL, err))
		return err->code;
	return add_step(p, "run", d);
}

static int plan_package(struct ep_plan *p, const struct ep_pool *pool,
			const struct ep_provider *prov, struct ep_buf *d)
{
	const struct ep_package_cfg *k = &pool->provisioning.package;
	int rc;

	ep_buf_adds(d, "system package manager (pacman, apt-get, dnf or zypper)");
	if ((rc = add_step(p, "preflight-tools", d)) || (rc = step_gpu_check(p, pool, d)))
		return rc;
	if (!pool->provisioning.allow_package_installs) {
		ep_buf_addf(d,
			    "installing package '%s' needs provisioning.allow_package_installs: "
			    "true; install it yourself or set the key",
			    k->name);
		return add_step(p, "policy-violation", d);
	}
	ep_buf_addf(d,
		    "install '%s'%s%s%s%s through the system package manager (automatic on "
		    "pacman hosts only)",
		    k->name, k->version ? " version " : "", k->version ? k->version : "",
		    k->repo ? " from " : "", k->repo ? k->repo : "");
	if ((rc = add_step(p, "package-install", d)) || (rc = step_model(p, pool, d)))
		return rc;
	return step_run(p, pool, prov, prov && prov->binary_name ? prov->binary_name : "<engine>",
			d);
}

static int plan_binary(struct ep_plan *p, const struct ep_pool *pool,
		       const struct ep_provider *prov, struct ep_buf *d)
{
	const struct ep_binary_cfg *b = &pool->provisioning.binary;
	int rc;

	if ((rc = step_gpu_check(p, pool, d)))
		return rc;
	if (!pool->provisioning.allow_binary_downloads) {
		ep_buf_addf(d, "downloading '%s' needs provisioning.allow_binary_downloads: true",
			    b->url);
		return add_step(p, "policy-violation", d);
	}
	ep_buf_addf(d, "download %s (bounded retries, resume)", b->url);
	if ((rc = add_step(p, "download", d)))
		return rc;
	ep_buf_addf(d, "%s before anything is unpacked", b->checksum);
	if ((rc = add_step(p, "verify", d)))
		return rc;
	ep_buf_adds(d, "unpack into a staging directory (no links out, no devices, size caps)");
	if ((rc = add_step(p, "unpack", d)))
		return rc;
	ep_buf_addf(d, "%s into the store, keyed by the checksum",
		    prov && prov->binary_name ? prov->binary_name : "the engine binary");
	if ((rc = add_step(p, "install", d)) || (rc = step_model(p, pool, d)))
		return rc;
	return step_run(p, pool, prov, prov && prov->binary_name ? prov->binary_name : "<engine>",
			d);
}

static int plan_external(struct ep_plan *p, const struct ep_pool *pool,
			 const struct ep_provider *prov, struct ep_buf *d)
{
	const struct ep_external_cfg *x = &pool->provisioning.external;
	int rc;

	if (x->url) {
		ep_buf_addf(d, "probe %s: health and version", x->url);
		return add_step(p, "verify-external", d);
	}
	ep_buf_addf(d, "%s: exists, is executable, reports a version; digest computed", x->path);
	if ((rc = add_step(p, "verify-external", d)) || (rc = step_model(p, pool, d)))
		return rc;
	return step_run(p, pool, prov, x->path, d);
}

int ep_plan_build(struct ep_plan *out, const struct ep_pool *pool, struct ep_error *err)
{
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	struct ep_buf d = EP_BUF_INIT;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	ep_strvec_init(&out->runtime_flags);
	ep_strvec_init(&out->cmake_flags);
	ep_strvec_init(&out->warnings);
	out->engine = pool->engine;
	out->mode = pool->provisioning.mode;
	out->pool_id = strdup(pool->id);
	if (!out->pool_id)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!prov)
		return ep_error_set(
		    err, EP_ECONFIG,
		    "pool '%s': engine '%s' was left out of this build; rebuild with "
		    "-DEP_PROVIDER_%s=ON",
		    pool->id, ep_engine_name(pool->engine),
		    pool->engine == EP_ENGINE_VLLM  ? "VLLM"
		    : pool->engine == EP_ENGINE_TGI ? "TGI"
						    : "TRITON");
	rc = ep_flags_normalize_runtime(&out->runtime_flags, pool, &out->warnings, err);
	if (rc)
		return ep_error_prefix(err, "pool '%s': provisioning.flags", pool->id);
	switch (pool->provisioning.mode) {
	case EP_MODE_SOURCE:
		rc = plan_source(out, pool, prov, &d, err);
		break;
	case EP_MODE_CONTAINER:
		rc = plan_container(out, pool, &d, err);
		break;
	case EP_MODE_PACKAGE:
		rc = plan_package(out, pool, prov, &d);
		break;
	case EP_MODE_BINARY:
		rc = plan_binary(out, pool, prov, &d);
		break;
	case EP_MODE_EXTERNAL:
		rc = plan_external(out, pool, prov, &d);
		break;
	}
	ep_buf_release(&d);
	if (rc == EP_ENOMEM)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	for (i = 0; !rc && i < out->warnings.n; i++)
		ep_narrate(EP_LOG_WARN, "flags", "normalize", NULL, pool->id, -1, "pool '%s': %s",
			   pool->id, out->warnings.v[i]);
	return rc;
}

void ep_plan_release(struct ep_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n_steps; i++) {
		free(plan->steps[i].kind);
		free(plan->steps[i].detail);
	}
	free(plan->steps);
	free(plan->pool_id);
	ep_strvec_release(&plan->runtime_flags);
	ep_strvec_release(&plan->cmake_flags);
	ep_strvec_release(&plan->warnings);
	memset(plan, 0, sizeof(*plan));
}

static int add_json_strvec(struct ep_buf *out, const struct ep_strvec *sv)
{
	size_t i;
	int rc = ep_buf_addch(out, '[');

	for (i = 0; !rc && i < sv->n; i++) {
		if (i)
			rc = ep_buf_addch(out, ',');
		rc = rc ? rc : ep_buf_add_json_str(out, sv->v[i]);
	}
	return rc ? rc : ep_buf_addch(out, ']');
}

int ep_plan_to_json(struct ep_buf *out, const struct ep_plan *plan)
{
	size_t i;
	int rc = ep_buf_adds(out, "{\"pool_id\":");

	rc = rc ? rc : ep_buf_add_json_str(out, plan->pool_id);
	rc = rc ? rc
		: ep_buf_addf(out, ",\"engine\":\"%s\",\"mode\":\"%s\",\"flags\":",
			      ep_engine_name(plan->engine), ep_mode_name(plan->mode));
	rc = rc ? rc : add_json_strvec(out, &plan->runtime_flags);
	if (!rc && plan->mode == EP_MODE_SOURCE) {
		rc = ep_buf_adds(out, ",\"cmake_flags\":");
		rc = rc ? rc : add_json_strvec(out, &plan->cmake_flags);
	}
	rc = rc ? rc : ep_buf_adds(out, ",\"steps\":[");
	for (i = 0; !rc && i < plan->n_steps; i++) {
		rc = ep_buf_adds(out, i ? ",{\"kind\":" : "{\"kind\":");
		rc = rc ? rc : ep_buf_add_json_str(out, plan->steps[i].kind);
		rc = rc ? rc : ep_buf_adds(out, ",\"detail\":");
		rc = rc ? rc : ep_buf_add_json_str(out, plan->steps[i].detail);
		rc = rc ? rc : ep_buf_addch(out, '}');
	}
	return rc ? rc : ep_buf_adds(out, "]}");
}

int ep_plan_to_text(struct ep_buf *out, const struct ep_plan *plan)
{
	size_t i;
	int rc = ep_buf_addf(out, "pool %s (%s, %s mode)\n", plan->pool_id,
			     ep_engine_name(plan->engine), ep_mode_name(plan->mode));

	for (i = 0; !rc && i < plan->n_steps; i++)
		rc = ep_buf_addf(out, "  %zu. %-16s %s\n", i + 1, plan->steps[i].kind,
				 plan->steps[i].detail);
	return rc;
}
