/*
 * Host tools: which a pool needs, where they are, which version, and which
 * package provides each under each package manager.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/log.h"
#include "ep/proc.h"
#include "ep/tools.h"
#include "banned.h"

const char *const ep_tools_known[] = {
    "git",	  "cmake",   "ninja", "make",	 "cc",	    "c++",
    "pkg-config", "ccache?", "nvcc?", "podman?", "docker?", "hf|huggingface-cli?",
    NULL,
};

/* Package names per tool: apt, dnf, zypper, pacman. */
static const struct {
	const char *tool;
	const char *pkg[4];
} packages[] = {
    {"git", {"git", "git", "git", "git"}},
    {"cmake", {"cmake", "cmake", "cmake", "cmake"}},
    {"ninja", {"ninja-build", "ninja-build", "ninja", "ninja"}},
    {"make", {"make", "make", "make", "make"}},
    {"cc", {"gcc", "gcc", "gcc", "gcc"}},
    {"c++", {"g++", "gcc-c++", "gcc-c++", "gcc"}},
    {"pkg-config", {"pkg-config", "pkgconf-pkg-config", "pkg-config", "pkgconf"}},
    {"ccache", {"ccache", "ccache", "ccache", "ccache"}},
    {"nvcc", {"nvidia-cuda-toolkit", "cuda-toolkit", "cuda-toolkit", "cuda"}},
    {"podman", {"podman", "podman", "podman", "podman"}},
    {"docker", {"docker.io", "moby-engine", "docker", "docker"}},
    {"hf",
     {"python3-huggingface-hub", "python3-huggingface-hub", "python3-huggingface_hub",
      "python-huggingface-hub"}},
    {"huggingface-cli",
     {"python3-huggingface-hub", "python3-huggingface-hub", "python3-huggingface_hub",
      "python-huggingface-hub"}},
};

void ep_tools_init(struct ep_tools *t)
{
	t->v = NULL;
	t->n = 0;
}

void ep_tools_release(struct ep_tools *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].spec);
		free(t->v[i].name);
		free(t->v[i].path);
		free(t->v[i].version);
	}
	free(t->v);
	ep_tools_init(t);
}

const char *ep_tool_package(const char *tool, enum ep_pkgmgr m)
{
	size_t i;

	if (m == EP_PKGMGR_NONE)
		return NULL;
	for (i = 0; i < sizeof(packages) / sizeof(packages[0]); i++)
		if (!strcmp(packages[i].tool, tool))
			return packages[i].pkg[m - 1];
	return NULL;
}

int ep_tools_add(struct ep_tools *t, const char *spec, const char *why)
{
	struct ep_tool *v, *e;
	size_t len = strlen(spec);

	if (ep_tools_get(t, spec))
		return 0;
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (!v)
		return EP_ENOMEM;
	t->v = v;
	e = &v[t->n];
	memset(e, 0, sizeof(*e));
	e->optional = len && spec[len - 1] == '?';
	e->spec = strdup(spec);
	if (!e->spec)
		return EP_ENOMEM;
	if (e->optional)
		e->spec[len - 1] = 0;
	e->why = why;
	t->n++;
	return 0;
}

const struct ep_tool *ep_tools_get(const struct ep_tools *t, const char *spec)
{
	size_t i, len = strlen(spec);

	if (len && spec[len - 1] == '?')
		len--;
	for (i = 0; i < t->n; i++)
		if (strlen(t->v[i].spec) == len && !strncmp(t->v[i].spec, spec, len))
			return &t->v[i];
	return NULL;
}

/* The tools a source build of `pool` needs. */
static int needed_for_source(struct ep_tools *out, const struct ep_pool *pool)
{
	const char *gen = pool->provisioning.source.generator;
	const char *build = "a source build";
	const char *make = "ninja|make";
	int rc = 0;

	if (gen && !strcmp(gen, "Ninja"))
		make = "ninja";
	else if (gen && !strcmp(gen, "Unix Makefiles"))
		make = "make";
	rc = rc ? rc : ep_tools_add(out, "git", build);
	rc = rc ? rc : ep_tools_add(out, "cmake", build);
	rc = rc ? rc : ep_tools_add(out, make, build);
	rc = rc ? rc : ep_tools_add(out, "cc", build);
	rc = rc ? rc : ep_tools_add(out, "c++", build);
	rc = rc ? rc : ep_tools_add(out, "pkg-config", build);
	rc = rc ? rc : ep_tools_add(out, "ccache?", "build caching");
	return rc;
}

int ep_tools_needed(struct ep_tools *out, const struct ep_pool *pool, bool cuda)
{
	const struct ep_provisioning *p = &pool->provisioning;
	const char *rt = p->container.runtime;
	int rc = 0;

	switch (p->mode) {
	case EP_MODE_SOURCE:
		rc = needed_for_source(out, pool);
		break;
	case EP_MODE_CONTAINER:
		rc = ep_tools_add(out, rt && *rt ? rt : "podman|docker", "a container engine");
		break;
	case EP_MODE_PACKAGE:
		rc = ep_tools_add(out, "pacman|apt-get|dnf|zypper", "package mode");
		break;
	default:
		break;
	}
	if (!rc && cuda)
		rc = ep_tools_add(out, "nvcc", "a CUDA build");
	if (!rc && p->has_model && p->model.ref && !strncmp(p->model.ref, "hf:", 3))
		rc = ep_tools_add(out, "hf|huggingface-cli", "an hf: model");
	return rc;
}

/* Resolve one tool: the first alternative found in PATH. */
static int find_one(struct ep_tool *t, const char *path_env, bool versions)
{
	struct ep_buf path = EP_BUF_INIT, alt = EP_BUF_INIT;
	const char *p = t->spec;
	int rc = 0;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		ep_buf_reset(&alt);
		ep_buf_reset(&path);
		if (ep_buf_add(&alt, p, n))
			return EP_ENOMEM;
		if (!t->name)
			t->name = strdup(alt.ptr);
		if (!ep_proc_which(&path, alt.ptr, path_env)) {
			free(t->name);
			t->name = ep_buf_detach(&alt, NULL);
			t->path = ep_buf_detach(&path, NULL);
			break;
		}
		p = bar ? bar + 1 : p + n;
	}
	if (t->path && versions) {
		struct ep_error ignored = EP_ERROR_INIT;

		if (!ep_probe_version(&alt, t->path, &ignored))
			t->version = ep_buf_detach(&alt, NULL);
	}
	ep_buf_release(&alt);
	ep_buf_release(&path);
	if (!t->name)
		rc = EP_ENOMEM;
	return rc;
}

int ep_tools_find(struct ep_tools *t, const char *path_env, bool versions, struct ep_error *err)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].path);
		free(t->v[i].version);
		t->v[i].name = t->v[i].path = t->v[i].version = NULL;
		if (find_one(&t->v[i], path_env, versions))
			return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	return 0;
}

size_t ep_tools_missing(const struct ep_tools *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += !t->v[i].path && !t->v[i].optional;
	return n;
}

int ep_tools_missing_packages(struct ep_strvec *out, const struct ep_tools *t, enum ep_pkgmgr m)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const char *pkg;

		if (t->v[i].path || t->v[i].optional)
			continue;
		pkg = ep_tool_package(t->v[i].name, m);
		if (pkg && ep_strvec_find(out, pkg) < 0 && ep_strvec_push(out, pkg))
			return EP_ENOMEM;
	}
	return 0;
}

/* "'ninja' or 'make'" for a spec. */
static void describe_spec(struct ep_buf *b, const char *spec)
{
	const char *p = spec;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		ep_buf_addf(b, "%s'%.*s'", p == spec ? "" : " or ", (int)n, p);
		p = bar ? bar + 1 : p + n;
	}
}

int ep_tools_missing_error(struct ep_error *err, const struct ep_tools *t,
			   const struct ep_distro *d, const char *pool_id)
{
	struct ep_strvec pkgs = EP_STRVEC_INIT, argv = EP_STRVEC_INIT;
	struct ep_buf m = EP_BUF_INIT;
	size_t i, k = 0;

	ep_buf_addf(&m, "pool '%s' needs tools this host lacks: ", pool_id ? pool_id : "");
	for (i = 0; i < t->n; i++) {
		if (t->v[i].path || t->v[i].optional)
			continue;
		ep_buf_adds(&m, k++ ? ", " : "");
		describe_spec(&m, t->v[i].spec);
		ep_buf_addf(&m, " (for %s)", t->v[i].why ? t->v[i].why : "the plan");
	}
	ep_tools_missing_packages(&pkgs, t, d->pkgmgr);
	if (pkgs.n && !ep_pkg_install_argv(&argv, d->pkgmgr, true, &pkgs)) {
		ep_buf_addf(&m, "; install them with: %s", geteuid() == 0 ? "" : "sudo ");
		ep_proc_format_argv(&m, (const char *const *)argv.v);
	} else {
		ep_buf_addf(&m, "; install them with the package manager of '%s'", d->name);
	}
	ep_error_set(err, EP_EPREFLIGHT, "%s", m.ptr);
	ep_strvec_release(&pkgs);
	ep_strvec_release(&argv);
	ep_buf_release(&m);
	return EP_EPREFLIGHT;
}
