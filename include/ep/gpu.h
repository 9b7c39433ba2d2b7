/*
 * GPU detection without a link-time CUDA dependency: the CUDA driver
 * library (libcuda.so.1) is loaded at run time for the driver's CUDA
 * version and the devices (name, memory, compute capability); NVML
 * (libnvidia-ml.so.1), when present, adds the driver's release string.
 *
 * Overrides (documented; the test suite loads a stand-in driver this way):
 *   EP_CUDA_DRIVER_LIBRARY=/path/libcuda.so.1   the CUDA driver library to load
 *   EP_NVML_LIBRARY=/path/libnvidia-ml.so.1     the NVML library to load
 *
 * A host without a driver is not an error of ep_gpu_detect(): the result
 * says "no driver" and why, and the caller decides (preflight fails fast).
 */
#ifndef EP_GPU_H
#define EP_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"

struct ep_gpu_device {
	int index;	    /* the CUDA ordinal */
	char name[256];	    /* "NVIDIA H100 80GB HBM3" */
	uint64_t mem_bytes; /* total memory */
	int cc_major;	    /* compute capability, e.g. 8 */
	int cc_minor;	    /* e.g. 6 */
};

struct ep_gpu_info {
	bool driver_loaded; /* the driver library loaded and cuInit succeeded (or said "no device")
			     */
	char *library;	    /* the library asked for ("libcuda.so.1" or the override) */
	char *load_error;   /* why the driver is unusable, when !driver_loaded */
	int cuda_version;   /* cuDriverGetVersion: 12040 for CUDA 12.4; 0 when unknown */
	char *driver_release; /* "550.54.14" from NVML, or NULL */
	struct ep_gpu_device *devices;
	size_t n_devices;
};

void ep_gpu_info_init(struct ep_gpu_info *info);
void ep_gpu_info_release(struct ep_gpu_info *info);

/*
 * Load the driver and list the devices. Returns 0 whether or not a driver
 * was found (see driver_loaded / load_error); EP_ENOMEM otherwise.
 */
int ep_gpu_detect(struct ep_gpu_info *out, struct ep_error *err);

/*
 * ep_gpu_detect(), answered from <state>/gpu-cache.json when the host's
 * GPU state is unchanged since the last successful probe (same boot, kernel
 * driver, GPUs, device nodes, library and CUDA_VISIBLE_DEVICES /
 * CUDA_DEVICE_ORDER; see gpu_cache.c); otherwise a fresh probe, stored when
 * it found a driver and devices. Failed probes are never cached.
 * EP_NVIDIA_PROC_DIR replaces /proc/driver/nvidia (tests).
 */
int ep_gpu_detect_cached(struct ep_gpu_info *out, struct ep_error *err);
/* Store a successful probe for ep_gpu_detect_cached(); -1 when it was not stored. */
int ep_gpu_cache_store(const struct ep_gpu_info *info);

/* The device with CUDA ordinal `index`, or NULL. */
const struct ep_gpu_device *ep_gpu_find(const struct ep_gpu_info *info, uint32_t index);

/* "12.4" for 12040 into out (at least 16 bytes); "unknown" for 0. */
void ep_gpu_cuda_version_str(char *out, size_t size, int cuda_version);

/* Append "0 (NVIDIA RTX A5000), 1 (NVIDIA H100)" to out. */
int ep_gpu_list_devices(struct ep_buf *out, const struct ep_gpu_info *info);

/* A JSON object: driver, cuda_version, release, devices [{index, name, memory_mib,
 * compute_capability}]. */
int ep_gpu_to_json(struct ep_buf *out, const struct ep_gpu_info *info);

/*
 * Ask a llama.cpp engine binary which devices it can use (`--list-devices`)
 * and require at least one CUDA device: a build that came out CPU-only, or
 * that cannot load its CUDA backend, is EP_EGPU with the engine's output.
 * The CUDA lines ("CUDA0: NVIDIA H100 (81559 MiB, 80000 MiB free)") are
 * appended to `out`, one per line. `env` is the child's environment (NULL:
 * this process's).
 */
int ep_gpu_engine_cuda_devices(struct ep_buf *out, const char *binary, const char *const *env,
			       struct ep_error *err);

#endif
