/*
 * The CUDA toolkit: where it is, which version, which GPU architectures to
 * build for and whether the driver can run what it builds.
 *
 * Discovery order: nvcc on PATH; $CUDA_HOME; $CUDA_PATH; /usr/local/cuda;
 * the newest /usr/local/cuda-X.Y; the newest /opt/cuda*. The version comes
 * from the toolkit's version.json, else `nvcc --version` (cached, see
 * ep_probe_version()).
 *
 * Driver compatibility (CUDA minor version compatibility): a toolkit X.Y
 * needs a driver whose CUDA version has major >= X (cuDriverGetVersion() >=
 * X*1000): release 580 or newer for 13.x, 525 for 12.x, 450 for 11.x.
 */
#ifndef EP_CUDA_H
#define EP_CUDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"
#include "ep/gpu.h"

struct ep_cuda_toolkit {
	char *root;	/* "/usr/local/cuda-13.0" */
	char *nvcc;	/* "<root>/bin/nvcc" */
	char *version;	/* "13.0" (major.minor) */
	char *found_by; /* "PATH", "CUDA_HOME", "CUDA_PATH", "/usr/local/cuda", "search" */
	int major, minor;
};

void ep_cuda_toolkit_init(struct ep_cuda_toolkit *tk);
void ep_cuda_toolkit_release(struct ep_cuda_toolkit *tk);

/*
 * Find a toolkit (PATH from `path_env`, or the process's PATH when NULL).
 * EP_ENOTFOUND when there is none, with a message listing where it looked.
 */
int ep_cuda_find_toolkit(struct ep_cuda_toolkit *out, const char *path_env, struct ep_error *err);

/*
 * Only locate a toolkit root (no process is started): 0 with the root in
 * `root` and the rule in *found_by, or EP_ENOTFOUND.
 */
int ep_cuda_locate(struct ep_buf *root, const char **found_by, const char *path_env);

/*
 * The architecture name nvcc wants for a compute capability: "86" for 8.6,
 * "90" for 9.0, "120a" for 12.0 (12.x needs the arch-specific `a` suffix).
 * Never "native". `out` holds at least 8 bytes.
 */
void ep_cuda_arch_name(char *out, size_t size, int cc_major, int cc_minor);

/*
 * "86;90": the architectures of the pool's devices (`devices`, n), sorted,
 * without repeats. Devices the host lacks are skipped (preflight reports
 * them first).
 */
int ep_cuda_archs_for(struct ep_buf *out, const struct ep_gpu_info *gpus, const uint32_t *devices,
		      size_t n);

/*
 * The newest GCC major the toolkit's nvcc accepts as host compiler, read
 * from its include/crt/host_config.h ("#if __GNUC__ > 15"); 0 when unknown.
 */
int ep_cuda_max_gcc(const struct ep_cuda_toolkit *tk);

/*
 * A C++ host compiler nvcc accepts: the newest g++-N on PATH (or `path_env`)
 * with N <= ep_cuda_max_gcc(). 0 with its path in `out`, or EP_ENOTFOUND.
 */
int ep_cuda_find_host_compiler(struct ep_buf *out, const struct ep_cuda_toolkit *tk,
			       const char *path_env);

/* The driver CUDA version a toolkit needs: 13000 for 13.x, 12000 for 12.x. */
int ep_cuda_min_driver_cuda(int toolkit_major);
/* The oldest driver release for a toolkit major ("580" for 13), or NULL when unknown. */
const char *ep_cuda_min_driver_release(int toolkit_major);
/* Can a driver reporting `driver_cuda` (12040) run what toolkit major.minor builds? */
bool ep_cuda_driver_supports(int driver_cuda, int toolkit_major, int toolkit_minor);
/* The lowest compute capability (as 10*major+minor) a toolkit major builds for: 75 for 13. */
int ep_cuda_min_cc(int toolkit_major);

#endif
