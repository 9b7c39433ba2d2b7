/*
 * GPU detection: the CUDA driver library and NVML are loaded with dlopen at
 * run time, so the library has no link-time CUDA dependency and a host
 * without a driver gets a diagnostic instead of a loader error. Both stay
 * mapped once loaded (RTLD_NODELETE): unmapping an initialized driver is
 * not something it promises to survive.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep/gpu.h"
#include "ep/log.h"
#include "banned.h"

#define CU_ATTR_CC_MAJOR   75 /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
#define CU_ATTR_CC_MINOR   76 /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR */
#define CU_ERROR_NO_DEVICE 100
#define EP_GPU_MAX_DEVICES 64

/* The driver API entry points used here (CUresult is an int, CUdevice an int). */
struct cu_api {
	int (*init)(unsigned int flags);
	int (*driver_version)(int *v);
	int (*device_count)(int *n);
	int (*device_get)(int *dev, int ordinal);
	int (*device_name)(char *name, int len, int dev);
	int (*device_mem)(size_t *bytes, int dev);
	int (*device_attr)(int *v, int attr, int dev);
	int (*error_name)(int code, const char **s);
};

void ep_gpu_info_init(struct ep_gpu_info *info)
{
	memset(info, 0, sizeof(*info));
}

void ep_gpu_info_release(struct ep_gpu_info *info)
{
	free(info->library);
	free(info->load_error);
	free(info->driver_release);
	free(info->devices);
	ep_gpu_info_init(info);
}

/* Look a symbol up, storing it through a void pointer (POSIX dlsym semantics). */
static void *sym(void *h, const char *name)
{
	return dlsym(h, name);
}

/* Fill `api` from the loaded driver; false when a required symbol is missing. */
static bool load_api(struct cu_api *api, void *h, const char **missing)
{
	static const char *const names[] = {
	    "cuInit",	       "cuDriverGetVersion",  "cuDeviceGetCount",    "cuDeviceGet",
	    "cuDeviceGetName", "cuDeviceTotalMem_v2", "cuDeviceGetAttribute"};
	void *p[7];
	size_t i;

	for (i = 0; i < 7; i++) {
		p[i] = sym(h, names[i]);
		if (!p[i]) {
			*missing = names[i];
			return false;
		}
	}
	memcpy(&api->init, &p[0], sizeof(p[0]));
	memcpy(&api->driver_version, &p[1], sizeof(p[1]));
	memcpy(&api->device_count, &p[2], sizeof(p[2]));
	memcpy(&api->device_get, &p[3], sizeof(p[3]));
	memcpy(&api->device_name, &p[4], sizeof(p[4]));
	memcpy(&api->device_mem, &p[5], sizeof(p[5]));
	memcpy(&api->device_attr, &p[6], sizeof(p[6]));
	p[0] = sym(h, "cuGetErrorName");
	memcpy(&api->error_name, &p[0], sizeof(p[0]));
	return true;
}

/* "CUDA_ERROR_NO_DEVICE (100)" or "error 100". */
static char *cu_error_str(const struct cu_api *api, int code)
{
	struct ep_buf b = EP_BUF_INIT;
	const char *name = NULL;

	if (api->error_name && api->error_name(code, &name) == 0 && name)
		ep_buf_addf(&b, "%s (%d)", name, code);
	else
		ep_buf_addf(&b, "error %d", code);
	return ep_buf_detach(&b, NULL);
}

/* Record why the driver is unusable. */
static int set_load_error(struct ep_gpu_info *out, const char *fmt, const char *a, const char *b)
{
	struct ep_buf m = EP_BUF_INIT;

	if (ep_buf_addf(&m, fmt, a, b ? b : ""))
		return EP_ENOMEM;
	out->load_error = ep_buf_detach(&m, NULL);
	return 0;
}

/* Ask NVML for the driver's release string ("550.54.14"); silent when NVML is absent. */
static void read_nvml(struct ep_gpu_info *out)
{
	const char *lib = getenv("EP_NVML_LIBRARY");
	int (*init)(void);
	int (*version)(char *s, unsigned int len);
	int (*shutdown)(void);
	char rel[96] = {0};
	void *h, *p;

	h = dlopen(lib && *lib ? lib : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return;
	p = sym(h, "nvmlInit_v2");
	memcpy(&init, &p, sizeof(p));
	p = sym(h, "nvmlSystemGetDriverVersion");
	memcpy(&version, &p, sizeof(p));
	p = sym(h, "nvmlShutdown");
	memcpy(&shutdown, &p, sizeof(p));
	if (init && version && init() == 0) {
		if (version(rel, sizeof(rel) - 1) == 0 && rel[0])
			out->driver_release = strdup(rel);
		if (shutdown)
			shutdown();
	}
	dlclose(h);
}

/* Read every device's name, memory and compute capability. */
static int read_devices(struct ep_gpu_info *out, const struct cu_api *api, int count)
{
	int i;

	if (count > EP_GPU_MAX_DEVICES)
		count = EP_GPU_MAX_DEVICES;
	if (count <= 0)
		return 0;
	out->devices = calloc((size_t)count, sizeof(*out->devices));
	if (!out->devices)
		return EP_ENOMEM;
	for (i = 0; i < count; i++) {
		struct ep_gpu_device *d = &out->devices[out->n_devices];
		size_t mem = 0;
		int dev = 0;

		if (api->device_get(&dev, i) != 0)
			continue;
		d->index = i;
		if (api->device_name(d->name, (int)sizeof(d->name) - 1, dev) != 0)
			snprintf(d->name, sizeof(d->name), "CUDA device %d", i);
		if (api->device_mem(&mem, dev) == 0)
			d->mem_bytes = mem;
		api->device_attr(&d->cc_major, CU_ATTR_CC_MAJOR, dev);
		api->device_attr(&d->cc_minor, CU_ATTR_CC_MINOR, dev);
		out->n_devices++;
	}
	return 0;
}

int ep_gpu_detect(struct ep_gpu_info *out, struct ep_error *err)
{
	const char *env = getenv("EP_CUDA_DRIVER_LIBRARY");
	const char *lib = env && *env ? env : "libcuda.so.1";
	const char *missing = NULL;
	struct cu_api api = {0};
	int rc = 0, count = 0, cu;
	char *why;
	void *h;

	ep_gpu_info_release(out);
	out->library = strdup(lib);
	if (!out->library)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *e = dlerror();

		rc = set_load_error(out, "cannot load '%s' (%s)", lib, e ? e : "unknown error");
		goto done;
	}
	if (!load_api(&api, h, &missing)) {
		rc = set_load_error(out, "'%s' lacks the symbol '%s'", lib, missing);
		goto close;
	}
	api.driver_version(&out->cuda_version);
	cu = api.init(0);
	if (cu == CU_ERROR_NO_DEVICE) {
		out->driver_loaded = true;
		goto close;
	}
	if (cu != 0) {
		why = cu_error_str(&api, cu);
		rc = set_load_error(out, "cuInit failed in '%s': %s", lib, why ? why : "unknown");
		free(why);
		goto close;
	}
	out->driver_loaded = true;
	if (api.device_count(&count) == 0)
		rc = read_devices(out, &api, count);
close:
	dlclose(h);
	if (out->driver_loaded)
		read_nvml(out);
done:
	if (rc)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_narrate(EP_LOG_DEBUG, "gpu", "detect", lib, NULL, -1, "%s: %zu device(s)",
		   out->driver_loaded ? "driver loaded" : out->load_error, out->n_devices);
	return 0;
}

const struct ep_gpu_device *ep_gpu_find(const struct ep_gpu_info *info, uint32_t index)
{
	size_t i;

	for (i = 0; i < info->n_devices; i++)
		if (info->devices[i].index == (int)index)
			return &info->devices[i];
	return NULL;
}

void ep_gpu_cuda_version_str(char *out, size_t size, int v)
{
	if (v <= 0)
		snprintf(out, size, "unknown");
	else
		snprintf(out, size, "%d.%d", v / 1000, (v % 1000) / 10);
}

int ep_gpu_list_devices(struct ep_buf *out, const struct ep_gpu_info *info)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < info->n_devices && !rc; i++)
		rc = ep_buf_addf(out, "%s%d (%s)", i ? ", " : "", info->devices[i].index,
				 info->devices[i].name);
	return rc;
}

int ep_gpu_to_json(struct ep_buf *out, const struct ep_gpu_info *info)
{
	char v[16];
	size_t i;
	int rc;

	ep_gpu_cuda_version_str(v, sizeof(v), info->cuda_version);
	rc =
	    ep_buf_addf(out, "{\"driver\":%s,\"library\":", info->driver_loaded ? "true" : "false");
	rc = rc ? rc : ep_buf_add_json_str(out, info->library ? info->library : "");
	rc = rc ? rc : ep_buf_adds(out, ",\"error\":");
	if (!rc && info->load_error)
		rc = ep_buf_add_json_str(out, info->load_error);
	else if (!rc)
		rc = ep_buf_adds(out, "null");
	if (!rc && info->cuda_version)
		rc = ep_buf_addf(out, ",\"cuda_version\":\"%s\",\"release\":", v);
	else if (!rc)
		rc = ep_buf_adds(out, ",\"cuda_version\":null,\"release\":");
	if (!rc && info->driver_release)
		rc = ep_buf_add_json_str(out, info->driver_release);
	else if (!rc)
		rc = ep_buf_adds(out, "null");
	rc = rc ? rc : ep_buf_adds(out, ",\"devices\":[");
	for (i = 0; i < info->n_devices && !rc; i++) {
		const struct ep_gpu_device *d = &info->devices[i];

		rc = ep_buf_addf(out, "%s{\"index\":%d,\"name\":", i ? "," : "", d->index);
		rc = rc ? rc : ep_buf_add_json_str(out, d->name);
		rc = rc ? rc
			: ep_buf_addf(out, ",\"memory_mib\":%llu,\"compute_capability\":\"%d.%d\"}",
				      (unsigned long long)(d->mem_bytes >> 20), d->cc_major,
				      d->cc_minor);
	}
	return rc ? rc : ep_buf_adds(out, "]}");
}
