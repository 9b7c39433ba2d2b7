/*
 * Host preflight for one pool, in an order that starts no build tool
 * before the host is known to be able to serve:
 *   1. tools: PATH lookups only; every missing tool in one error (or
 *      installed under the policy on Arch-like systems);
 *   2. GPU: the driver, the devices and the pool's device indices;
 *   3. the compilers' identities and the generator;
 *   4. CUDA: the toolkit, driver compatibility, the architectures and a
 *      host compiler nvcc accepts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ep/cuda.h"
#include "ep/gpu.h"
#include "ep/log.h"
#include "ep/preflight.h"
#include "ep/tools.h"
#include "preflight_int.h"
#include "banned.h"

void ep_preflight_init(struct ep_preflight *pf)
{
	memset(pf, 0, sizeof(*pf));
	ep_strvec_init(&pf->cmake_extra);
}

void ep_preflight_release(struct ep_preflight *pf)
{
	free(pf->cuda_archs);
	free(pf->cuda_root);
	free(pf->nvcc);
	free(pf->cuda_version);
	free(pf->driver_version);
	free(pf->cc_id);
	free(pf->cxx_id);
	free(pf->generator);
	free(pf->cuda_host_compiler);
	free(pf->findings);
	ep_strvec_release(&pf->cmake_extra);
	ep_preflight_init(pf);
}

/* The value of `-D<name>=v` or `-D<name>:TYPE=v` in one flag, or NULL. */
static const char *flag_value(const char *f, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(f, "-D", 2) != 0 || strncmp(f + 2, name, n) != 0)
		return NULL;
	f += 2 + n;
	if (*f == ':')
		f = strchr(f, '=');
	return f && *f == '=' ? f + 1 : NULL;
}

const char *ep_preflight__cmake_get(const struct ep_strvec *flags, const struct ep_strlist *raw,
				    const char *name)
{
	const char *found = NULL, *v;
	size_t i;

	if (flags) {
		for (i = 0; i < flags->n; i++)
			if ((v = flag_value(flags->v[i], name)))
				found = v;
	} else if (raw) {
		for (i = 0; i < raw->n; i++)
			if ((v = flag_value(raw->v[i], name)))
				found = v;
	}
	return found;
}

/* CMake's truth: ON, 1, TRUE, YES, Y. */
static bool is_on(const char *v)
{
	static const char *const on[] = {"ON", "1", "TRUE", "YES", "Y"};
	size_t i;

	for (i = 0; v && i < 5; i++)
		if (!strcasecmp(v, on[i]))
			return true;
	return false;
}

bool ep_preflight_wants_cuda(const struct ep_pool *pool, const struct ep_strvec *cmake_flags)
{
	static const char *const others[] = {"GGML_VULKAN", "GGML_HIP",	 "GGML_METAL", "GGML_SYCL",
					     "GGML_MUSA",   "GGML_CANN", "GGML_OPENCL"};
	const struct ep_strlist *raw = &pool->provisioning.source.cmake_flags;
	const char *cuda;
	size_t i;

	if (!pool->n_devices || pool->provisioning.mode != EP_MODE_SOURCE ||
	    pool->engine != EP_ENGINE_LLAMACPP)
		return false;
	cuda = ep_preflight__cmake_get(cmake_flags, raw, "GGML_CUDA");
	if (cuda)
		return is_on(cuda);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (is_on(ep_preflight__cmake_get(cmake_flags, raw, others[i])))
			return false;
	return true; /* a GPU pool that names no backend gets CUDA */
}

/* A toolkit outside PATH (pacman's cuda lives in /opt/cuda) satisfies "nvcc". */
static int resolve_nvcc(struct ep_tools *tools)
{
	struct ep_buf root = EP_BUF_INIT;
	const char *how;
	size_t i;
	int rc = 0;

	for (i = 0; i < tools->n; i++) {
		struct ep_tool *t = &tools->v[i];

		if (strcmp(t->spec, "nvcc") != 0 || t->path || ep_cuda_locate(&root, &how, NULL))
			continue;
		rc = ep_buf_adds(&root, "/bin/nvcc");
		t->path = rc ? NULL : ep_buf_detach(&root, NULL);
	}
	ep_buf_release(&root);
	return rc;
}

/* Step 1: find the tools; install what is missing when the policy allows. */
static int check_tools(struct ep_tools *tools, const struct ep_pool *pool, bool cuda,
		       struct ep_error *err)
{
	struct ep_distro d;
	struct ep_buf root = EP_BUF_INIT;
	struct ep_strvec pkgs = EP_STRVEC_INIT;
	const char *how;
	int rc;

	rc = ep_tools_needed(tools, pool, false);
	/* nvcc is needed on PATH only when no toolkit can be found elsewhere */
	if (!rc && cuda && ep_cuda_locate(&root, &how, NULL))
		rc = ep_tools_add(tools, "nvcc", "a CUDA build");
	ep_buf_release(&root);
	if (rc)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	rc = ep_tools_find(tools, NULL, false, err);
	if (rc || !ep_tools_missing(tools))
		return rc;
	ep_distro_init(&d);
	rc = ep_distro_detect(&d, err);
	if (!rc && pool->provisioning.allow_package_installs && ep_distro_is_arch(&d)) {
		rc = ep_tools_missing_packages(&pkgs, tools, d.pkgmgr);
		rc = rc ? ep_error_set(err, EP_ENOMEM, "out of memory")
			: ep_pkg_install(&d, true, &pkgs, pool->id, err);
		rc = rc ? rc : ep_tools_find(tools, NULL, false, err);
		if (!rc && resolve_nvcc(tools))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	if (!rc && ep_tools_missing(tools)) {
		rc = ep_tools_missing_error(err, tools, &d, pool->id);
		if (err && ep_distro_is_arch(&d) && !pool->provisioning.allow_package_installs) {
			char *msg = strdup(err->msg);

			if (msg)
				ep_error_set(
				    err, rc,
				    "%s; or set `allow_package_installs: true` to have them "
				    "installed with pacman",
				    msg);
			free(msg);
		}
	}
	ep_strvec_release(&pkgs);
	ep_distro_release(&d);
	return rc;
}

/* Step 3: compiler identities and the generator. */
static int check_compilers(struct ep_preflight *out, const struct ep_tools *tools,
			   const struct ep_pool *pool, struct ep_error *err)
{
	const struct ep_tool *cc = ep_tools_get(tools, "cc"), *cxx = ep_tools_get(tools, "c++");
	const char *gen = pool->provisioning.source.generator;
	const struct ep_tool *ninja = ep_tools_get(tools, "ninja|make");

	if (cc && cc->path)
		out->cc_id = ep_preflight__compiler_id(cc->path);
	if (cxx && cxx->path)
		out->cxx_id = ep_preflight__compiler_id(cxx->path);
	if (gen && *gen)
		out->generator = strdup(gen);
	else
		out->generator = strdup(ninja && ninja->name && !strcmp(ninja->name, "ninja")
					    ? "Ninja"
					    : "Unix Makefiles");
	if (!out->generator)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	return 0;
}

/* The readable report that goes into the proof bundle. */
static int write_findings(struct ep_preflight *out, const struct ep_tools *tools,
			  const struct ep_gpu_info *gpus, const struct ep_pool *pool)
{
	struct ep_buf b = EP_BUF_INIT;
	size_t i;

	ep_buf_addf(&b, "pool: %s\n", pool->id ? pool->id : "");
	for (i = 0; i < tools->n; i++)
		ep_buf_addf(&b, "tool %s: %s\n", tools->v[i].spec,
			    tools->v[i].path ? tools->v[i].path : "missing (optional)");
	if (!pool->n_devices) {
		ep_buf_adds(&b, "gpu: none (CPU engine: devices: [])\n");
	} else if (gpus->driver_loaded) {
		char v[16];

		ep_gpu_cuda_version_str(v, sizeof(v), gpus->cuda_version);
		ep_buf_addf(&b, "driver: %s (CUDA %s)\n",
			    gpus->driver_release ? gpus->driver_release : "unknown release", v);
		for (i = 0; i < gpus->n_devices; i++)
			ep_buf_addf(&b, "gpu %d: %s, %llu MiB, compute capability %d.%d\n",
				    gpus->devices[i].index, gpus->devices[i].name,
				    (unsigned long long)(gpus->devices[i].mem_bytes >> 20),
				    gpus->devices[i].cc_major, gpus->devices[i].cc_minor);
	}
	if (out->cuda)
		ep_buf_addf(&b, "cuda: %s at %s, architectures %s\n",
			    out->cuda_version ? out->cuda_version : "?",
			    out->cuda_root ? out->cuda_root : "?",
			    out->cuda_archs ? out->cuda_archs : "(from the config)");
	if (out->cc_id)
		ep_buf_addf(&b, "cc: %s\n", out->cc_id);
	if (out->cxx_id)
		ep_buf_addf(&b, "c++: %s\n", out->cxx_id);
	if (out->generator)
		ep_buf_addf(&b, "generator: %s\n", out->generator);
	for (i = 0; i < out->cmake_extra.n; i++)
		ep_buf_addf(&b, "cmake: %s\n", out->cmake_extra.v[i]);
	out->findings = ep_buf_detach(&b, NULL);
	return out->findings ? 0 : EP_ENOMEM;
}

int ep_preflight_pool(struct ep_preflight *out, const struct ep_pool *pool,
		      const struct ep_strvec *cmake_flags, struct ep_error *err)
{
	struct ep_tools tools;
	struct ep_gpu_info gpus;
	int64_t t0 = ep_now_ms();
	int rc;

	ep_preflight_release(out);
	ep_tools_init(&tools);
	ep_gpu_info_init(&gpus);
	out->cuda = ep_preflight_wants_cuda(pool, cmake_flags);
	rc = check_tools(&tools, pool, out->cuda, err);
	if (!rc && pool->n_devices && pool->provisioning.mode != EP_MODE_EXTERNAL)
		rc = ep_preflight__check_gpu(out, &gpus, pool, err);
	if (!rc && pool->provisioning.mode == EP_MODE_SOURCE)
		rc = check_compilers(out, &tools, pool, err);
	if (!rc && out->cuda)
		rc = ep_preflight__check_cuda(out, &gpus, pool, cmake_flags, err);
	if (!rc && write_findings(out, &tools, &gpus, pool))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (rc)
		ep_narrate(EP_LOG_ERROR, rc == EP_EGPU ? "gpu" : "preflight", "fail-fast", pool->id,
			   pool->id, ep_now_ms() - t0, "%s", err ? err->msg : "preflight failed");
	else
		ep_narrate(EP_LOG_INFO, "preflight", "ok", pool->id, pool->id, ep_now_ms() - t0,
			   "host can serve pool '%s'%s%s", pool->id, out->cuda ? " with CUDA " : "",
			   out->cuda && out->cuda_archs ? out->cuda_archs : "");
	ep_gpu_info_release(&gpus);
	ep_tools_release(&tools);
	return rc;
}
