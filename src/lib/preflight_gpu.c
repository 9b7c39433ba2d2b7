/*
 * The GPU and CUDA steps of preflight: each failure says what was found,
 * what was needed and what to do, before any clone or build starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/cuda.h"
#include "ep/log.h"
#include "ep/tools.h"
#include "preflight_int.h"
#include "banned.h"

/* "[0, 1]" for the pool's devices. */
static void device_list(struct ep_buf *b, const struct ep_pool *pool)
{
	size_t i;

	ep_buf_addch(b, '[');
	for (i = 0; i < pool->n_devices; i++)
		ep_buf_addf(b, "%s%u", i ? ", " : "", pool->devices[i]);
	ep_buf_addch(b, ']');
}

int ep_preflight__check_gpu(struct ep_preflight *out, struct ep_gpu_info *gpus,
			    const struct ep_pool *pool, struct ep_error *err)
{
	struct ep_buf want = EP_BUF_INIT, have = EP_BUF_INIT, ver = EP_BUF_INIT;
	char cuda[16];
	size_t i;
	int rc;

	rc = ep_gpu_detect_cached(gpus, err);
	if (rc)
		return rc;
	device_list(&want, pool);
	ep_gpu_cuda_version_str(cuda, sizeof(cuda), gpus->cuda_version);
	if (gpus->driver_release)
		ep_buf_addf(&ver, "%s (CUDA %s)", gpus->driver_release, cuda);
	else
		ep_buf_addf(&ver, "CUDA %s", cuda);
	if (!gpus->driver_loaded) {
		rc = ep_error_set(
		    err, EP_EGPU,
		    "no NVIDIA driver found: %s; pool '%s' needs GPU devices %s; install "
		    "the NVIDIA driver, or give the pool `devices: []` for a CPU engine",
		    gpus->load_error ? gpus->load_error : "the driver did not load", pool->id,
		    want.ptr);
		goto done;
	}
	if (!gpus->n_devices) {
		rc = ep_error_set(
		    err, EP_EGPU,
		    "no NVIDIA GPU found: the driver (%s) reports 0 devices; pool '%s' "
		    "needs GPU devices %s; check `nvidia-smi`, the /dev/nvidia* "
		    "permissions and CUDA_VISIBLE_DEVICES, or give the pool `devices: []` "
		    "for a CPU engine",
		    ver.ptr, pool->id, want.ptr);
		goto done;
	}
	for (i = 0; i < pool->n_devices; i++) {
		if (ep_gpu_find(gpus, pool->devices[i]))
			continue;
		ep_gpu_list_devices(&have, gpus);
		rc = ep_error_set(
		    err, EP_EGPU,
		    "pool '%s' asks for GPU device %u, which does not exist: this host has "
		    "%zu GPU%s: %s; use indices from that list in the pool's `devices`",
		    pool->id, pool->devices[i], gpus->n_devices, gpus->n_devices == 1 ? "" : "s",
		    have.ptr);
		goto done;
	}
	out->driver_version = ep_buf_detach(&ver, NULL);
done:
	ep_buf_release(&want);
	ep_buf_release(&have);
	ep_buf_release(&ver);
	return rc;
}

/* The driver must support the toolkit's CUDA major; every GPU must be one the toolkit targets. */
static int check_compat(const struct ep_cuda_toolkit *tk, const struct ep_gpu_info *gpus,
			const struct ep_pool *pool, struct ep_error *err)
{
	const char *min_rel = ep_cuda_min_driver_release(tk->major);
	int min_cc = ep_cuda_min_cc(tk->major);
	char have[16];
	size_t i;

	ep_gpu_cuda_version_str(have, sizeof(have), gpus->cuda_version);
	if (!ep_cuda_driver_supports(gpus->cuda_version, tk->major, tk->minor))
		return ep_error_set(
		    err, EP_EGPU,
		    "the NVIDIA driver%s%s supports CUDA %s, but the CUDA toolkit at '%s' "
		    "is %s and needs a driver supporting CUDA %d.0%s%s%s; upgrade the "
		    "driver, or point CUDA_HOME at a CUDA %d.x toolkit",
		    gpus->driver_release ? " " : "",
		    gpus->driver_release ? gpus->driver_release : "", have, tk->root, tk->version,
		    tk->major, min_rel ? " (release " : "", min_rel ? min_rel : "",
		    min_rel ? " or newer)" : "", gpus->cuda_version / 1000);
	for (i = 0; i < pool->n_devices; i++) {
		const struct ep_gpu_device *d = ep_gpu_find(gpus, pool->devices[i]);

		if (d && d->cc_major * 10 + d->cc_minor < min_cc)
			return ep_error_set(
			    err, EP_EGPU,
			    "GPU %d (%s) has compute capability %d.%d, and the CUDA %s "
			    "toolkit at '%s' builds for %d.%d and newer only; use an "
			    "older CUDA toolkit (CUDA_HOME) for this GPU",
			    d->index, d->name, d->cc_major, d->cc_minor, tk->version, tk->root,
			    min_cc / 10, min_cc % 10);
	}
	return 0;
}

/* nvcc refuses a GCC newer than its host_config.h allows: pick an older g++ or fail now. */
static int check_host_compiler(struct ep_preflight *out, const struct ep_cuda_toolkit *tk,
			       const struct ep_pool *pool, struct ep_error *err)
{
	struct ep_buf hc = EP_BUF_INIT;
	int major, max = ep_cuda_max_gcc(tk);
	int rc = 0;

	if (!max || !out->cxx_id || strncmp(out->cxx_id, "gcc ", 4) != 0)
		return 0;
	major = (int)strtol(out->cxx_id + 4, NULL, 10);
	if (major <= max)
		return 0;
	if (ep_cuda_find_host_compiler(&hc, tk, NULL)) {
		rc = ep_error_set(
		    err, EP_EPREFLIGHT,
		    "pool '%s': the C++ compiler is %s, and the nvcc of CUDA %s at '%s' "
		    "accepts gcc %d at most; install g++-%d (or older) beside it, or a "
		    "newer CUDA toolkit",
		    pool->id, out->cxx_id, tk->version, tk->root, max, max);
	} else {
		out->cuda_host_compiler = ep_buf_detach(&hc, NULL);
		rc = ep_strvec_pushf(&out->cmake_extra, "-DCMAKE_CUDA_HOST_COMPILER=%s",
				     out->cuda_host_compiler);
		if (rc)
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		else
			ep_narrate(EP_LOG_INFO, "cuda", "host-compiler", out->cuda_host_compiler,
				   pool->id, -1,
				   "%s is too new for nvcc %s (gcc <= %d): using '%s'", out->cxx_id,
				   tk->version, max, out->cuda_host_compiler);
	}
	ep_buf_release(&hc);
	return rc;
}

int ep_preflight__check_cuda(struct ep_preflight *out, const struct ep_gpu_info *gpus,
			     const struct ep_pool *pool, const struct ep_strvec *cmake_flags,
			     struct ep_error *err)
{
	const struct ep_strlist *raw = &pool->provisioning.source.cmake_flags;
	struct ep_cuda_toolkit tk;
	struct ep_buf archs = EP_BUF_INIT;
	int rc;

	ep_cuda_toolkit_init(&tk);
	rc = ep_cuda_find_toolkit(&tk, NULL, err);
	if (rc == EP_ENOTFOUND) {
		ep_error_prefix(err, "pool '%s' needs a CUDA build", pool->id);
		rc = EP_EPREFLIGHT;
		if (err)
			err->code = rc;
	}
	if (rc)
		goto done;
	rc = check_compat(&tk, gpus, pool, err);
	rc = rc ? rc : check_host_compiler(out, &tk, pool, err);
	if (rc)
		goto done;
	out->cuda_root = strdup(tk.root);
	out->nvcc = strdup(tk.nvcc);
	out->cuda_version = strdup(tk.version);
	rc = ep_strvec_pushf(&out->cmake_extra, "-DCUDAToolkit_ROOT=%s", tk.root);
	rc = rc ? rc : ep_strvec_pushf(&out->cmake_extra, "-DCMAKE_CUDA_COMPILER=%s", tk.nvcc);
	if (!rc && !ep_preflight__cmake_get(cmake_flags, raw, "CMAKE_CUDA_ARCHITECTURES")) {
		/* the pool's GPUs only; never `native`, which fails where no GPU is visible */
		rc = ep_cuda_archs_for(&archs, gpus, pool->devices, pool->n_devices);
		rc = rc ? rc
			: ep_strvec_pushf(&out->cmake_extra, "-DCMAKE_CUDA_ARCHITECTURES=%s",
					  archs.ptr);
		out->cuda_archs = ep_buf_detach(&archs, NULL);
	}
	if (!rc && !ep_preflight__cmake_get(cmake_flags, raw, "GGML_CUDA"))
		rc = ep_strvec_push(&out->cmake_extra, "-DGGML_CUDA=ON");
	if (rc || !out->cuda_root || !out->nvcc || !out->cuda_version)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		ep_narrate(EP_LOG_INFO, "cuda", "select", tk.root, pool->id, -1,
			   "CUDA %s at '%s' (found by %s), architectures %s", tk.version, tk.root,
			   tk.found_by, out->cuda_archs ? out->cuda_archs : "from the config");
done:
	ep_buf_release(&archs);
	ep_cuda_toolkit_release(&tk);
	return rc;
}

char *ep_preflight__compiler_id(const char *path)
{
	struct ep_error ignored = EP_ERROR_INIT;
	struct ep_buf line = EP_BUF_INIT, id = EP_BUF_INIT;
	const char *v, *last;

	if (ep_probe_version(&line, path, &ignored)) {
		ep_buf_release(&line);
		return NULL;
	}
	if ((v = strstr(line.ptr, "clang version "))) {
		ep_buf_addf(&id, "clang %.*s", (int)strcspn(v + 14, " "), v + 14);
	} else if ((last = strrchr(line.ptr, ')')) && last[1] == ' ') {
		/* "cc (Debian 12.2.0-14) 12.2.0", "gcc (GCC) 14.2.1 20250207": GCC's form */
		ep_buf_addf(&id, "gcc %.*s", (int)strcspn(last + 2, " "), last + 2);
	} else {
		ep_buf_adds(&id, line.ptr);
	}
	ep_buf_release(&line);
	return ep_buf_detach(&id, NULL);
}
