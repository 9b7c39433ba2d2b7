/*
 * The GPU probe, remembered: loading the CUDA driver and initialising it
 * costs 100 ms and more on a real GPU host, on every ensure and up. A
 * successful probe (driver loaded, at least one device) is kept in
 * <state>/gpu-cache.json under a key made of everything that can change
 * what the driver reports without this process noticing:
 *
 *   the boot (/proc/sys/kernel/random/boot_id), the loaded kernel driver
 *   (<nvidia proc>/version), the GPUs the kernel driver knows (the entries
 *   of <nvidia proc>/gpus), the device nodes (/dev/nvidia[0-9]*), the
 *   library asked for and its overrides, and CUDA_VISIBLE_DEVICES and
 *   CUDA_DEVICE_ORDER (which renumber the devices).
 *
 * Without the kernel driver's proc directory there is no key and nothing is
 * cached, nor with EP_CUDA_DRIVER_LIBRARY unless EP_NVIDIA_PROC_DIR
 * describes that library's devices too; failed probes are never cached, so every fail-fast error
 * comes from a fresh probe. <nvidia proc> is /proc/driver/nvidia, or EP_NVIDIA_PROC_DIR (tests).
 * doctor always probes afresh and stores.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ep/fs.h"
#include "ep/gpu.h"
#include "ep/log.h"
#include "ep/state.h"
#include "banned.h"

#define GPU_CACHE_VERSION 1

/* Sorted entries of `dir` whose names start with `prefix` (all when ""), joined by ','. */
static int add_entries(struct ep_buf *key, const char *dir, const char *prefix)
{
	struct dirent **names = NULL;
	size_t plen = strlen(prefix);
	int n, i, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (!rc && s[0] != '.' && !strncmp(s, prefix, plen))
			rc = ep_buf_addf(key, "%s,", s);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Append "name=value;" for an environment variable (unset and empty differ). */
static int add_env(struct ep_buf *key, const char *name)
{
	const char *v = getenv(name);

	return v ? ep_buf_addf(key, "%s=%s;", name, v) : ep_buf_addf(key, "%s-;", name);
}

/* The key of this host's GPU state now; -1 when it cannot be made (no kernel driver). */
static int cache_key(struct ep_buf *key)
{
	const char *proc = getenv("EP_NVIDIA_PROC_DIR");
	const char *lib = getenv("EP_CUDA_DRIVER_LIBRARY");
	struct ep_buf path = EP_BUF_INIT, text = EP_BUF_INIT;
	int rc;

	/* a library other than the kernel driver's own is not described by its proc files */
	if ((!proc || !*proc) && lib && *lib)
		return -1;
	if (!proc || !*proc)
		proc = "/proc/driver/nvidia";
	text.cap = 64u * 1024;
	rc = ep_buf_read_file(&text, "/proc/sys/kernel/random/boot_id", NULL) ? -1 : 0;
	rc = rc ? rc : ep_buf_addf(key, "v%d;boot=%s;", GPU_CACHE_VERSION, text.ptr);
	ep_buf_reset(&text);
	rc = rc ? rc : ep_buf_addf(&path, "%s/version", proc);
	rc = rc ? rc : ep_buf_read_file(&text, path.ptr, NULL) ? -1 : 0;
	rc = rc ? rc : ep_buf_addf(key, "driver=%s;gpus=", text.ptr);
	ep_buf_reset(&path);
	rc = rc ? rc : ep_buf_addf(&path, "%s/gpus", proc);
	rc = rc ? rc : add_entries(key, path.ptr, "");
	rc = rc ? rc : ep_buf_adds(key, ";dev=");
	rc = rc ? rc : add_entries(key, "/dev", "nvidia");
	rc = rc ? rc : ep_buf_adds(key, ";");
	rc = rc ? rc : add_env(key, "EP_CUDA_DRIVER_LIBRARY");
	rc = rc ? rc : add_env(key, "EP_NVML_LIBRARY");
	rc = rc ? rc : add_env(key, "CUDA_VISIBLE_DEVICES");
	rc = rc ? rc : add_env(key, "CUDA_DEVICE_ORDER");
	ep_buf_release(&path);
	ep_buf_release(&text);
	return rc ? -1 : 0;
}

/* "<state>/gpu-cache.json", or -1 when no state directory can be chosen. */
static int cache_path(struct ep_buf *out)
{
	struct ep_buf dir = EP_BUF_INIT;
	int rc = ep_state_dir(&dir, NULL, NULL) || ep_buf_addf(out, "%s/gpu-cache.json", dir.ptr);

	ep_buf_release(&dir);
	return rc ? -1 : 0;
}

static char *dup_json_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? strdup(s) : NULL;
}

/* Fill `out` from a cached entry whose key matches; -1 when there is none. */
static int load(struct ep_gpu_info *out, const char *path, const char *key)
{
	json_t *j = json_load_file(path, 0, NULL), *devs, *d;
	const char *k = json_string_value(json_object_get(j, "key"));
	size_t i;
	int rc = -1;

	devs = json_object_get(j, "devices");
	if (!k || strcmp(k, key) || !json_is_array(devs) || !json_array_size(devs) ||
	    json_array_size(devs) > 64)
		goto done;
	out->devices = calloc(json_array_size(devs), sizeof(*out->devices));
	out->library = dup_json_str(j, "library");
	out->driver_release = dup_json_str(j, "driver_release");
	if (!out->devices || !out->library)
		goto done;
	out->driver_loaded = true;
	out->cuda_version = (int)json_integer_value(json_object_get(j, "cuda_version"));
	json_array_foreach(devs, i, d)
	{
		struct ep_gpu_device *g = &out->devices[out->n_devices++];
		const char *name = json_string_value(json_object_get(d, "name"));

		g->index = (int)json_integer_value(json_object_get(d, "index"));
		snprintf(g->name, sizeof(g->name), "%s", name ? name : "");
		g->mem_bytes = (uint64_t)json_integer_value(json_object_get(d, "mem_bytes"));
		g->cc_major = (int)json_integer_value(json_object_get(d, "cc_major"));
		g->cc_minor = (int)json_integer_value(json_object_get(d, "cc_minor"));
	}
	rc = 0;
done:
	json_decref(j);
	if (rc)
		ep_gpu_info_release(out);
	return rc;
}

int ep_gpu_cache_store(const struct ep_gpu_info *info)
{
	struct ep_buf key = EP_BUF_INIT, path = EP_BUF_INIT;
	json_t *j, *devs;
	char *text = NULL;
	size_t i;
	int rc = -1;

	if (!info->driver_loaded || !info->n_devices || cache_key(&key) || cache_path(&path)) {
		ep_buf_release(&key);
		ep_buf_release(&path);
		return -1;
	}
	devs = json_array();
	j = json_pack("{s:s, s:s?, s:s?, s:i, s:o}", "key", key.ptr, "library", info->library,
		      "driver_release", info->driver_release, "cuda_version", info->cuda_version,
		      "devices", devs);
	for (i = 0; j && i < info->n_devices; i++) {
		const struct ep_gpu_device *g = &info->devices[i];

		json_array_append_new(devs, json_pack("{s:i, s:s, s:I, s:i, s:i}", "index",
						      g->index, "name", g->name, "mem_bytes",
						      (json_int_t)g->mem_bytes, "cc_major",
						      g->cc_major, "cc_minor", g->cc_minor));
	}
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (text)
		rc = ep_fs_replace(path.ptr, text, strlen(text), 0644, NULL) ? -1 : 0;
	free(text);
	json_decref(j);
	ep_buf_release(&key);
	ep_buf_release(&path);
	return rc;
}

int ep_gpu_detect_cached(struct ep_gpu_info *out, struct ep_error *err)
{
	struct ep_buf key = EP_BUF_INIT, path = EP_BUF_INIT;
	int64_t t0 = ep_now_ms();
	int rc;

	ep_gpu_info_release(out);
	if (!cache_key(&key) && !cache_path(&path) && !load(out, path.ptr, key.ptr)) {
		ep_narrate(EP_LOG_DEBUG, "gpu", "detect-cached", path.ptr, NULL, ep_now_ms() - t0,
			   "GPU probe from the cache: %zu device(s), the host's driver and GPUs "
			   "are unchanged",
			   out->n_devices);
		ep_buf_release(&key);
		ep_buf_release(&path);
		return 0;
	}
	ep_buf_release(&key);
	ep_buf_release(&path);
	rc = ep_gpu_detect(out, err);
	if (!rc)
		(void)ep_gpu_cache_store(out);
	return rc;
}
