/*
 * CMake flag normalization for llama.cpp source builds (see ep/flags.h).
 *
 * Accepted forms: "-DNAME=VALUE", "-DNAME:TYPE=VALUE" and "-D" followed by
 * "NAME=VALUE" as the next element. Anything else is refused: the generator
 * has its own key (source.generator) and other CMake options would make the
 * build depend on more than its recorded flags.
 *
 * The build type is always Release and LLAMA_BUILD_SERVER always ON: a
 * user's other value is replaced (with a warning), since the store key of a
 * build must not depend on it. Renamed options follow llama.cpp's
 * llama_option_depr() list (CMakeLists.txt of the pinned commit) plus the
 * older LLAMA_* names of the 2024 rename to GGML_*.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ep/buf.h"
#include "ep/flags.h"
#include "flags_internal.h"
#include "banned.h"

/* A renamed option: old name, new name. */
struct rename {
	const char *old_name;
	const char *new_name;
};

static const struct rename renames[] = {
    {"GGML_CUBLAS", "GGML_CUDA"},
    {"LLAMA_AVX", "GGML_AVX"},
    {"LLAMA_AVX2", "GGML_AVX2"},
    {"LLAMA_AVX512", "GGML_AVX512"},
    {"LLAMA_BLAS", "GGML_BLAS"},
    {"LLAMA_BLAS_VENDOR", "GGML_BLAS_VENDOR"},
    {"LLAMA_CANN", "GGML_CANN"},
    {"LLAMA_CUBLAS", "GGML_CUDA"},
    {"LLAMA_CUDA", "GGML_CUDA"},
    {"LLAMA_CUDA_F16", "GGML_CUDA_F16"},
    {"LLAMA_CUDA_FA_ALL_QUANTS", "GGML_CUDA_FA_ALL_QUANTS"},
    {"LLAMA_CUDA_FORCE_CUBLAS", "GGML_CUDA_FORCE_CUBLAS"},
    {"LLAMA_CUDA_FORCE_MMQ", "GGML_CUDA_FORCE_MMQ"},
    {"LLAMA_CUDA_NO_VMM", "GGML_CUDA_NO_VMM"},
    {"LLAMA_F16C", "GGML_F16C"},
    {"LLAMA_FMA", "GGML_FMA"},
    {"LLAMA_HIPBLAS", "GGML_HIP"},
    {"LLAMA_HIP_UMA", "GGML_HIP_UMA"},
    {"LLAMA_METAL", "GGML_METAL"},
    {"LLAMA_METAL_EMBED_LIBRARY", "GGML_METAL_EMBED_LIBRARY"},
    {"LLAMA_NATIVE", "GGML_NATIVE"},
    {"LLAMA_OPENMP", "GGML_OPENMP"},
    {"LLAMA_RPC", "GGML_RPC"},
    {"LLAMA_SYCL", "GGML_SYCL"},
    {"LLAMA_SYCL_F16", "GGML_SYCL_F16"},
    {"LLAMA_VULKAN", "GGML_VULKAN"},
};

/* The rename of `name`, or NULL; every LLAMA_CUBLAS_* option asks for CUDA. */
static const struct rename *find_rename(const char *name)
{
	size_t i;

	if (!strncmp(name, "LLAMA_CUBLAS_", 13))
		name = "LLAMA_CUBLAS";
	for (i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (!strcmp(name, renames[i].old_name))
			return &renames[i];
	return NULL;
}

/* GPU backends: a GPU pool that turns none on gets GGML_CUDA=ON. */
static const char *const gpu_backends[] = {
    "GGML_CANN",   "GGML_CUDA", "GGML_HIP",    "GGML_METAL",  "GGML_MUSA",
    "GGML_OPENCL", "GGML_SYCL", "GGML_VULKAN", "GGML_WEBGPU", NULL,
};

/*
 * Boolean options of the pinned llama.cpp (its option() lines), whose 1/0
 * values become ON/OFF; words (on, true, yes, off, false, no) become ON/OFF
 * for every name.
 */
static const char *const bool_options[] = {
    "BUILD_SHARED_LIBS",
    "GGML_ACCELERATE",
    "GGML_AVX",
    "GGML_AVX2",
    "GGML_AVX512",
    "GGML_BACKEND_DL",
    "GGML_BLAS",
    "GGML_CCACHE",
    "GGML_CPU",
    "GGML_CPU_ALL_VARIANTS",
    "GGML_CUDA",
    "GGML_CUDA_FA",
    "GGML_CUDA_FA_ALL_QUANTS",
    "GGML_CUDA_F16",
    "GGML_CUDA_FORCE_CUBLAS",
    "GGML_CUDA_FORCE_MMQ",
    "GGML_CUDA_GRAPHS",
    "GGML_CUDA_NCCL",
    "GGML_CUDA_NO_PEER_COPY",
    "GGML_CUDA_NO_VMM",
    "GGML_F16C",
    "GGML_FMA",
    "GGML_HIP",
    "GGML_LLAMAFILE",
    "GGML_LTO",
    "GGML_METAL",
    "GGML_MUSA",
    "GGML_NATIVE",
    "GGML_OPENCL",
    "GGML_OPENMP",
    "GGML_RPC",
    "GGML_STATIC",
    "GGML_SYCL",
    "GGML_SYCL_F16",
    "GGML_VULKAN",
    "GGML_WEBGPU",
    "LLAMA_BUILD_COMMON",
    "LLAMA_BUILD_EXAMPLES",
    "LLAMA_BUILD_SERVER",
    "LLAMA_BUILD_TESTS",
    "LLAMA_BUILD_TOOLS",
    "LLAMA_FATAL_WARNINGS",
    "LLAMA_LLGUIDANCE",
    "LLAMA_OPENSSL",
    NULL,
};

/* One -D entry: NAME, optional TYPE, VALUE (all owned). */
struct def {
	char *name, *type, *value;
};

struct defs {
	struct def *v;
	size_t n, alloc;
	struct ep_strvec *warnings;
	struct ep_error *err;
};

static void defs_release(struct defs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].type);
		free(d->v[i].value);
	}
	free(d->v);
}

static struct def *find_def(struct defs *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

/* "ON"/"OFF" for a boolean word (or 1/0 when `numeric`), else NULL. */
static const char *bool_word(const char *v, bool numeric)
{
	static const char *const on[] = {"on", "true", "yes", "y", NULL};
	static const char *const off[] = {"off", "false", "no", "n", NULL};
	const char *const *w;

	for (w = on; *w; w++)
		if (!strcasecmp(v, *w))
			return "ON";
	for (w = off; *w; w++)
		if (!strcasecmp(v, *w))
			return "OFF";
	if (numeric && !strcmp(v, "1"))
		return "ON";
	if (numeric && !strcmp(v, "0"))
		return "OFF";
	return NULL;
}

/* Set NAME (last wins, with a warning when the value changes). Takes ownership. */
static int set_def(struct defs *d, char *name, char *type, char *value)
{
	struct def *old = find_def(d, name);
	int rc = 0;

	if (old) {
		if (strcmp(old->value, value) != 0)
			rc = ep_flags__warn(
			    d->warnings, d->err,
			    "cmake flag '%s' given twice ('%s', then '%s'); the last one is kept",
			    name, old->value, value);
		free(old->name);
		free(old->type);
		free(old->value);
		*old = (struct def){name, type, value};
		return rc;
	}
	if (d->n == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 16;
		struct def *v = realloc(d->v, n * sizeof(*v));

		if (!v) {
			free(name);
			free(type);
			free(value);
			return ep_error_set(d->err, EP_ENOMEM, "out of memory");
		}
		d->v = v;
		d->alloc = n;
	}
	d->v[d->n++] = (struct def){name, type, value};
	return 0;
}

/* Is `name` a CMake variable name? */
static bool valid_name(const char *name, size_t len)
{
	size_t i;

	if (!len || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
			return false;
	return true;
}

/* Parse "NAME[:TYPE]=VALUE" (from flag `flag`), map renames and record it. */
static int add_assignment(struct defs *d, const char *flag, const char *a, bool *mapped_deprecated)
{
	const char *eq = strchr(a, '='), *colon;
	size_t nlen;
	char *name, *type = NULL, *value;
	const struct rename *r;
	const char *b;
	size_t i;

	if (!eq)
		return ep_error_set(d->err, EP_ECONFIG,
				    "cmake flag '%s' has no value; write -DNAME=VALUE", flag);
	colon = memchr(a, ':', (size_t)(eq - a));
	nlen = (size_t)((colon ? colon : eq) - a);
	if (!valid_name(a, nlen))
		return ep_error_set(d->err, EP_ECONFIG,
				    "cmake flag '%s' does not name a variable; write -DNAME=VALUE",
				    flag);
	name = strndup(a, nlen);
	if (colon)
		type = strndup(colon + 1, (size_t)(eq - colon - 1));
	value = strdup(eq + 1);
	if (!name || !value || (colon && !type)) {
		free(name);
		free(type);
		free(value);
		return ep_error_set(d->err, EP_ENOMEM, "out of memory");
	}
	for (i = 0; type && type[i]; i++)
		type[i] = (char)toupper((unsigned char)type[i]);
	b = bool_word(value, (type && !strcmp(type, "BOOL")));
	r = find_rename(name);
	if (r) {
		const char *to = r->new_name;
		int rc;

		if (!strcmp(to, "GGML_CUDA") || !strncmp(to, "GGML_CUDA_", 10))
			*mapped_deprecated = true;
		rc = ep_flags__warn(d->warnings, d->err,
				    "cmake flag '%s' is a deprecated name; using -D%s", name, to);
		free(name);
		name = strdup(to);
		if (rc || !name) {
			free(name);
			free(type);
			free(value);
			return rc ? rc : ep_error_set(d->err, EP_ENOMEM, "out of memory");
		}
	}
	if (!b)
		b = bool_word(value, ep_flags__in(bool_options, name));
	if (b) {
		free(value);
		value = strdup(b);
		if (!value) {
			free(name);
			free(type);
			return ep_error_set(d->err, EP_ENOMEM, "out of memory");
		}
	}
	if (!strcmp(name, "LLAMA_CURL")) {
		free(name);
		free(type);
		free(value);
		return ep_flags__warn(
		    d->warnings, d->err,
		    "cmake flag 'LLAMA_CURL' has no effect (llama.cpp no longer uses "
		    "libcurl); dropped");
	}
	return set_def(d, name, type, value);
}

/* Read every element of `flags` into `d`. */
static int read_flags(struct defs *d, const struct ep_strlist *flags, bool *mapped_deprecated)
{
	size_t i;
	int rc = 0;

	for (i = 0; flags && i < flags->n && !rc; i++) {
		const char *f = flags->v[i];

		if (!strcmp(f, "-D")) {
			if (i + 1 >= flags->n)
				return ep_error_set(d->err, EP_ECONFIG,
						    "cmake flag '-D' needs NAME=VALUE after it");
			rc = add_assignment(d, flags->v[i + 1], flags->v[i + 1], mapped_deprecated);
			i++;
		} else if (!strncmp(f, "-D", 2)) {
			rc = add_assignment(d, f, f + 2, mapped_deprecated);
		} else if (!strncmp(f, "-G", 2)) {
			rc = ep_error_set(
			    d->err, EP_ECONFIG,
			    "cmake flag '%s' is not allowed in source.cmake_flags; set "
			    "the generator with source.generator",
			    f);
		} else {
			rc = ep_error_set(
			    d->err, EP_ECONFIG,
			    "cmake flag '%s' is not a -D option; source.cmake_flags take "
			    "only -DNAME=VALUE",
			    f);
		}
	}
	return rc;
}

/* Force NAME=VALUE (a value the build needs), warning when the user set another. */
static int force(struct defs *d, const char *name, const char *value, const char *why)
{
	struct def *old = find_def(d, name);
	char *n, *v;

	if (old && !strcmp(old->value, value))
		return 0;
	if (old) {
		int rc = ep_flags__warn(d->warnings, d->err,
					"cmake flag '-D%s=%s' replaced by -D%s=%s: %s", name,
					old->value, name, value, why);

		if (rc)
			return rc;
	}
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return ep_error_set(d->err, EP_ENOMEM, "out of memory");
	}
	if (old) {
		free(old->name);
		free(old->type);
		free(old->value);
		*old = (struct def){n, NULL, v};
		return 0;
	}
	return set_def(d, n, NULL, v);
}

/* Apply the pool's GPU fact: which backend the build must have. */
static int backend(struct defs *d, bool gpu)
{
	const struct def *cuda = find_def(d, "GGML_CUDA");
	const char *const *b;
	bool any = false;

	for (b = gpu_backends; *b; b++) {
		const struct def *x = find_def(d, *b);

		if (x && !strcmp(x->value, "ON"))
			any = true;
	}
	if (!gpu) {
		if (cuda && !strcmp(cuda->value, "ON"))
			return ep_error_set(
			    d->err, EP_ECONFIG,
			    "cmake flag '-DGGML_CUDA=ON' asks for CUDA but the pool "
			    "has no devices (a cpu pool); remove the flag or give "
			    "the pool devices");
		return any || cuda ? 0 : force(d, "GGML_CUDA", "OFF", "");
	}
	if (any)
		return 0;
	if (cuda)
		return ep_flags__warn(d->warnings, d->err,
				      "the pool has devices but the build turns on no GPU backend "
				      "(-DGGML_CUDA=%s); it will run on the cpu",
				      cuda->value);
	return force(d, "GGML_CUDA", "ON", "");
}

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const struct def *)a)->name, ((const struct def *)b)->name);
}

int ep_flags_normalize_cmake(struct ep_strvec *out, const struct ep_strlist *flags, bool gpu,
			     bool *mapped_deprecated, struct ep_strvec *warnings,
			     struct ep_error *err)
{
	struct defs d = {NULL, 0, 0, warnings, err};
	struct ep_strvec res = EP_STRVEC_INIT;
	bool mapped = false;
	size_t i;
	int rc;

	rc = read_flags(&d, flags, &mapped);
	if (!rc)
		rc = force(&d, "CMAKE_BUILD_TYPE", "Release",
			   "prepared builds are Release builds so that their store key is stable");
	if (!rc)
		rc = force(&d, "LLAMA_BUILD_SERVER", "ON", "the engine is llama-server");
	if (!rc)
		rc = backend(&d, gpu);
	if (!rc && d.n)
		qsort(d.v, d.n, sizeof(*d.v), cmp_def);
	for (i = 0; !rc && i < d.n; i++)
		rc = d.v[i].type ? ep_strvec_pushf(&res, "-D%s:%s=%s", d.v[i].name, d.v[i].type,
						   d.v[i].value)
				 : ep_strvec_pushf(&res, "-D%s=%s", d.v[i].name, d.v[i].value);
	if (!rc && ep_strvec_copy(out, &res))
		rc = EP_ENOMEM;
	if (rc == EP_ENOMEM && (!err || err->code != EP_ENOMEM))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && mapped_deprecated)
		*mapped_deprecated = mapped;
	ep_strvec_release(&res);
	defs_release(&d);
	return rc;
}

const char *ep_flags_cmake_get(const struct ep_strvec *cmake, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < cmake->n; i++) {
		const char *s = cmake->v[i];

		if (strncmp(s, "-D", 2) != 0 || strncmp(s + 2, name, len) != 0)
			continue;
		s += 2 + len;
		if (*s == ':')
			s = strchr(s, '=');
		if (s && *s == '=')
			return s + 1;
	}
	return NULL;
}

bool ep_flags_cmake_cuda(const struct ep_strvec *cmake)
{
	const char *v = ep_flags_cmake_get(cmake, "GGML_CUDA");

	return v && !strcmp(v, "ON");
}
