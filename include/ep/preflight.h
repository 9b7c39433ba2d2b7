/*
 * Host preflight: before anything is cloned or built, check the tools a
 * pool's plan needs, the GPU driver and devices, and the CUDA toolkit, and
 * refuse a host that cannot serve with a diagnostic a person can act on.
 */
#ifndef EP_PREFLIGHT_H
#define EP_PREFLIGHT_H

#include <stdbool.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/error.h"
#include "ep/strvec.h"

/* What a source build needs to know of the host after preflight. */
struct ep_preflight {
	bool cuda;	      /* the build turns CUDA on */
	char *cuda_archs;     /* "86;90" from the pool's GPUs, or NULL when the config names them */
	char *cuda_root;      /* toolkit root, or NULL */
	char *nvcc;	      /* nvcc path, or NULL */
	char *cuda_version;   /* "13.0", or NULL */
	char *driver_version; /* "550.54.14" / CUDA "12.4", or NULL */
	char *cc_id;	      /* C compiler identity and version, e.g. "gcc 12.2.0" */
	char *cxx_id;	      /* C++ compiler identity and version */
	char *generator;      /* "Ninja" or "Unix Makefiles" */
	char *cuda_host_compiler; /* a g++ nvcc accepts, when c++ is too new for it; else NULL */
	char *findings;		  /* a readable report for the proof bundle */
	struct ep_strvec cmake_extra; /* -D flags preflight adds (CUDAToolkit_ROOT, ...) */
};

void ep_preflight_init(struct ep_preflight *pf);
void ep_preflight_release(struct ep_preflight *pf);

/*
 * Check everything `pool` needs (given its normalized CMake flags for a
 * source build, or NULL). Fails fast with EP_EPREFLIGHT (tools missing,
 * every one listed with the install command), EP_EPOLICY, or EP_EGPU (no
 * driver, no device, a device index that does not exist, a driver older
 * than the toolkit). A CPU pool (`devices: []`) gets no GPU check.
 */
int ep_preflight_pool(struct ep_preflight *out, const struct ep_pool *pool,
		      const struct ep_strvec *cmake_flags, struct ep_error *err);

/*
 * Does `pool`'s build use CUDA? A GPU pool's llama.cpp source build does
 * when its CMake flags (normalized `cmake_flags`, else the config's) turn
 * GGML_CUDA on or name no GPU backend at all.
 */
bool ep_preflight_wants_cuda(const struct ep_pool *pool, const struct ep_strvec *cmake_flags);

#endif
