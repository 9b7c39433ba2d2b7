/*
 * The CUDA toolkit: discovery, version, the architecture names nvcc wants
 * and the driver a toolkit needs.
 */
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/cuda.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/tools.h"
#include "banned.h"

void ep_cuda_toolkit_init(struct ep_cuda_toolkit *tk)
{
	memset(tk, 0, sizeof(*tk));
}

void ep_cuda_toolkit_release(struct ep_cuda_toolkit *tk)
{
	free(tk->root);
	free(tk->nvcc);
	free(tk->version);
	free(tk->found_by);
	ep_cuda_toolkit_init(tk);
}

/* Parse "X.Y[.Z]" into major and minor; false when it does not start so. */
static bool parse_version(const char *s, int *major, int *minor)
{
	char *end;
	long a, b;

	a = strtol(s, &end, 10);
	if (end == s || *end != '.')
		return false;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (end == s || a < 0 || a > 1000 || b < 0 || b > 1000)
		return false;
	*major = (int)a;
	*minor = (int)b;
	return true;
}

/* The version from <root>/version.json ({"cuda": {"version": "12.4.1"}}). */
static bool version_from_json(const char *root, int *major, int *minor)
{
	struct ep_buf path = EP_BUF_INIT;
	json_t *j, *v;
	bool ok = false;

	if (ep_buf_addf(&path, "%s/version.json", root))
		return false;
	j = json_load_file(path.ptr, 0, NULL);
	ep_buf_release(&path);
	if (!j)
		return false;
	v = json_object_get(json_object_get(j, "cuda"), "version");
	if (json_is_string(v))
		ok = parse_version(json_string_value(v), major, minor);
	json_decref(j);
	return ok;
}

/* The version from `nvcc --version` ("... release 13.0, V13.0.88"). */
static int version_from_nvcc(const char *nvcc, int *major, int *minor, struct ep_error *err)
{
	struct ep_buf out = EP_BUF_INIT;
	const char *r;
	int rc;

	rc = ep_probe_version_full(&out, nvcc, err);
	if (!rc) {
		r = strstr(out.ptr, "release ");
		if (!r || !parse_version(r + 8, major, minor))
			rc = ep_error_set(err, EP_EGPU,
					  "cannot read the CUDA version from '%s --version'; "
					  "reinstall the CUDA toolkit",
					  nvcc);
	}
	ep_buf_release(&out);
	return rc;
}

/* Is <root>/bin/nvcc an executable? */
static bool has_nvcc(const char *root)
{
	struct ep_buf p = EP_BUF_INIT;
	bool ok;

	if (ep_buf_addf(&p, "%s/bin/nvcc", root))
		return false;
	ok = access(p.ptr, X_OK) == 0;
	ep_buf_release(&p);
	return ok;
}

/* The newest toolkit root matching `pattern` (under $EP_SYSROOT), into out. */
static bool newest_match(struct ep_buf *out, const char *pattern)
{
	const char *sysroot = getenv("EP_SYSROOT");
	struct ep_buf pat = EP_BUF_INIT;
	int best_major = -1, best_minor = -1;
	glob_t g;
	size_t i;

	if (ep_buf_addf(&pat, "%s%s", sysroot ? sysroot : "", pattern))
		return false;
	if (glob(pat.ptr, 0, NULL, &g) != 0) {
		ep_buf_release(&pat);
		return false;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];
		const char *dash = strrchr(p, '-');
		int ma = 0, mi = 0;

		if (!has_nvcc(p))
			continue;
		if (dash)
			parse_version(dash + 1, &ma, &mi);
		if (ma > best_major || (ma == best_major && mi > best_minor)) {
			best_major = ma;
			best_minor = mi;
			ep_buf_reset(out);
			ep_buf_adds(out, p);
		}
	}
	globfree(&g);
	ep_buf_release(&pat);
	return best_major >= 0;
}

/* Choose the toolkit root; `how` says which rule found it. */
static bool locate(struct ep_buf *root, const char **how, const char *path_env)
{
	static const char *const envs[] = {"CUDA_HOME", "CUDA_PATH"};
	struct ep_buf nvcc = EP_BUF_INIT;
	size_t i;

	if (!ep_proc_which(&nvcc, "nvcc", path_env)) {
		ep_fs_dirname(root, nvcc.ptr);
		ep_buf_reset(&nvcc);
		ep_fs_dirname(&nvcc, root->ptr);
		ep_buf_reset(root);
		ep_buf_adds(root, nvcc.ptr);
		ep_buf_release(&nvcc);
		*how = "PATH";
		return true;
	}
	ep_buf_release(&nvcc);
	for (i = 0; i < 2; i++) {
		const char *v = getenv(envs[i]);

		if (v && *v && has_nvcc(v)) {
			ep_buf_adds(root, v);
			*how = envs[i];
			return true;
		}
	}
	*how = "search";
	return newest_match(root, "/usr/local/cuda") || newest_match(root, "/usr/local/cuda-*") ||
	       newest_match(root, "/opt/cuda*");
}

int ep_cuda_locate(struct ep_buf *root, const char **found_by, const char *path_env)
{
	return locate(root, found_by, path_env) ? 0 : EP_ENOTFOUND;
}

int ep_cuda_find_toolkit(struct ep_cuda_toolkit *out, const char *path_env, struct ep_error *err)
{
	struct ep_buf root = EP_BUF_INIT;
	const char *how = NULL;
	int rc = 0;

	ep_cuda_toolkit_release(out);
	if (!locate(&root, &how, path_env)) {
		ep_buf_release(&root);
		return ep_error_set(err, EP_ENOTFOUND,
				    "no CUDA toolkit found: 'nvcc' is not on PATH and none of "
				    "$CUDA_HOME, $CUDA_PATH, /usr/local/cuda, /usr/local/cuda-*, "
				    "/opt/cuda* holds bin/nvcc");
	}
	out->root = ep_buf_detach(&root, NULL);
	out->found_by = strdup(how);
	if (ep_buf_addf(&root, "%s/bin/nvcc", out->root) || !out->found_by)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	out->nvcc = ep_buf_detach(&root, NULL);
	if (!rc && !version_from_json(out->root, &out->major, &out->minor))
		rc = version_from_nvcc(out->nvcc, &out->major, &out->minor, err);
	if (!rc && ep_buf_addf(&root, "%d.%d", out->major, out->minor))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	out->version = ep_buf_detach(&root, NULL);
	if (rc) {
		ep_cuda_toolkit_release(out);
		return rc;
	}
	ep_narrate(EP_LOG_DEBUG, "cuda", "toolkit", out->root, NULL, -1,
		   "CUDA %s at '%s' (found by %s)", out->version, out->root, out->found_by);
	return 0;
}

void ep_cuda_arch_name(char *out, size_t size, int cc_major, int cc_minor)
{
	/* compute capability 12.x (and later) only builds as the arch-specific target */
	snprintf(out, size, "%d%d%s", cc_major, cc_minor, cc_major >= 12 ? "a" : "");
}

/* Compare architecture names numerically ("90" < "120a"). */
static int arch_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	long nx = strtol(x, NULL, 10), ny = strtol(y, NULL, 10);

	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

int ep_cuda_archs_for(struct ep_buf *out, const struct ep_gpu_info *gpus, const uint32_t *devices,
		      size_t n)
{
	struct ep_strvec archs = EP_STRVEC_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const struct ep_gpu_device *d = ep_gpu_find(gpus, devices[i]);
		char name[16];

		if (!d)
			continue;
		ep_cuda_arch_name(name, sizeof(name), d->cc_major, d->cc_minor);
		if (ep_strvec_find(&archs, name) < 0)
			rc = ep_strvec_push(&archs, name);
	}
	if (archs.n)
		qsort(archs.v, archs.n, sizeof(*archs.v), arch_cmp);
	for (i = 0; i < archs.n && !rc; i++)
		rc = ep_buf_addf(out, "%s%s", i ? ";" : "", archs.v[i]);
	ep_strvec_release(&archs);
	return rc;
}

int ep_cuda_min_driver_cuda(int toolkit_major)
{
	return toolkit_major * 1000;
}

const char *ep_cuda_min_driver_release(int toolkit_major)
{
	switch (toolkit_major) {
	case 13:
		return "580";
	case 12:
		return "525";
	case 11:
		return "450";
	default:
		return NULL;
	}
}

bool ep_cuda_driver_supports(int driver_cuda, int toolkit_major, int toolkit_minor)
{
	(void)toolkit_minor; /* minor version compatibility: same major suffices */
	return driver_cuda >= ep_cuda_min_driver_cuda(toolkit_major);
}

int ep_cuda_min_cc(int toolkit_major)
{
	if (toolkit_major >= 13)
		return 75;
	if (toolkit_major == 12)
		return 50;
	if (toolkit_major == 11)
		return 35;
	return 30;
}

int ep_cuda_max_gcc(const struct ep_cuda_toolkit *tk)
{
	static const char *const rel[] = {"include/crt/host_config.h",
					  "targets/x86_64-linux/include/crt/host_config.h",
					  "targets/sbsa-linux/include/crt/host_config.h"};
	struct ep_buf path = EP_BUF_INIT, text;
	const char *p;
	size_t i;
	int max = 0;

	ep_buf_init(&text, 1024 * 1024);
	for (i = 0; i < 3 && !max && tk->root; i++) {
		struct ep_error ignored = EP_ERROR_INIT;

		ep_buf_reset(&path);
		ep_buf_reset(&text);
		if (ep_buf_addf(&path, "%s/%s", tk->root, rel[i]) ||
		    ep_buf_read_file(&text, path.ptr, &ignored))
			continue;
		p = strstr(text.ptr, "#if __GNUC__ > ");
		if (p)
			max = (int)strtol(p + 15, NULL, 10);
	}
	ep_buf_release(&path);
	ep_buf_release(&text);
	return max;
}

int ep_cuda_find_host_compiler(struct ep_buf *out, const struct ep_cuda_toolkit *tk,
			       const char *path_env)
{
	int n, max = ep_cuda_max_gcc(tk);
	char name[16];

	for (n = max; n > 0 && n > max - 8; n--) {
		snprintf(name, sizeof(name), "g++-%d", n);
		ep_buf_reset(out);
		if (!ep_proc_which(out, name, path_env))
			return 0;
	}
	ep_buf_reset(out);
	return EP_ENOTFOUND;
}
