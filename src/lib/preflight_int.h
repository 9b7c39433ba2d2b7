/*
 * Internal: the GPU and CUDA steps of preflight (preflight_gpu.c), shared
 * with preflight.c.
 */
#ifndef EP_PREFLIGHT_INT_H
#define EP_PREFLIGHT_INT_H

#include <stdbool.h>

#include "ep/config.h"
#include "ep/gpu.h"
#include "ep/preflight.h"

/* The value of -D<name> in the normalized flags, else in the config's list; NULL when absent. */
const char *ep_preflight__cmake_get(const struct ep_strvec *flags, const struct ep_strlist *raw,
				    const char *name);
/* The driver, the devices and the pool's indices; fills driver_version. */
int ep_preflight__check_gpu(struct ep_preflight *out, struct ep_gpu_info *gpus,
			    const struct ep_pool *pool, struct ep_error *err);
/* The toolkit, the driver's support for it, the architectures and the CMake flags. */
int ep_preflight__check_cuda(struct ep_preflight *out, const struct ep_gpu_info *gpus,
			     const struct ep_pool *pool, const struct ep_strvec *cmake_flags,
			     struct ep_error *err);
/* "gcc 12.2.0" / "clang 14.0.6" from `<path> --version`, or NULL. */
char *ep_preflight__compiler_id(const char *path);

#endif
