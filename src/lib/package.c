/*
 * Package mode: install the engine through the system package manager
 * under the policy (ep_pkg_install), then find the binary the package
 * installed and report it with its digest and the package's version.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ep/hash.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/tools.h"
#include "ensure_modes.h"
#include "banned.h"

#define PKG_LIST_CAP (4u * 1024 * 1024)

/* The binary each engine's package provides. */
static const char *engine_binary(enum ep_engine e)
{
	switch (e) {
	case EP_ENGINE_LLAMACPP:
		return "llama-server";
	case EP_ENGINE_VLLM:
		return "vllm";
	case EP_ENGINE_TGI:
		return "text-generation-launcher";
	case EP_ENGINE_TRITON:
		return "tritonserver";
	}
	return NULL;
}

/* Run a query; 0 with its stdout when it exits 0, EP_ENOTFOUND otherwise. */
static int query(struct ep_buf *out, const char *const *argv, const char *pool_id)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	struct ep_error ignored = EP_ERROR_INIT;
	int status = 0;

	ep_buf_init(out, PKG_LIST_CAP);
	o.argv = argv;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_NULL;
	o.pool_id = pool_id;
	if (ep_proc_run(&o, out, &status, &ignored) || status != 0)
		return EP_ENOTFOUND;
	ep_buf_rtrim(out);
	return 0;
}

/* The installed version of `name`, or EP_ENOTFOUND when it is not installed. */
static int installed_version(struct ep_buf *out, enum ep_pkgmgr m, const char *name,
			     const char *pool_id)
{
	const char *pacman[] = {"pacman", "-Q", "--", name, NULL};
	const char *dpkg[] = {"dpkg-query", "-W", "-f=${Version}", "--", name, NULL};
	const char *rpm[] = {"rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", "--", name, NULL};
	struct ep_buf raw = EP_BUF_INIT;
	const char *sp;
	int rc;

	if (m == EP_PKGMGR_PACMAN) {
		rc = query(&raw, pacman, pool_id);
		sp = strrchr(raw.ptr, ' '); /* "name version" */
		if (!rc)
			rc = ep_buf_adds(out, sp ? sp + 1 : raw.ptr);
	} else {
		rc = query(&raw, m == EP_PKGMGR_APT ? dpkg : rpm, pool_id);
		if (!rc && !raw.len)
			rc = EP_ENOTFOUND; /* dpkg-query prints nothing for removed packages */
		if (!rc)
			rc = ep_buf_adds(out, raw.ptr);
	}
	ep_buf_release(&raw);
	return rc;
}

/* Is `path` a regular executable file named `base`? */
static bool is_binary(const char *path, const char *base)
{
	const char *slash = strrchr(path, '/');
	struct stat st;

	return slash && !strcmp(slash + 1, base) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_mode & 0111);
}

/* The engine binary among the package's files, else in PATH. */
static int find_binary(struct ep_buf *out, enum ep_pkgmgr m, const char *name, const char *bin,
		       const char *pool_id)
{
	const char *pacman[] = {"pacman", "-Ql", "--", name, NULL};
	const char *dpkg[] = {"dpkg", "-L", "--", name, NULL};
	const char *rpm[] = {"rpm", "-ql", "--", name, NULL};
	struct ep_buf list = EP_BUF_INIT;
	char *line, *save = NULL;

	if (!query(&list,
		   m == EP_PKGMGR_PACMAN ? pacman
		   : m == EP_PKGMGR_APT	 ? dpkg
					 : rpm,
		   pool_id)) {
		for (line = strtok_r(list.ptr, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			/* pacman prints "name /path"; dpkg and rpm print the path */
			char *path = strchr(line, '/');

			if (path && is_binary(path, bin)) {
				ep_buf_adds(out, path);
				ep_buf_release(&list);
				return 0;
			}
		}
	}
	ep_buf_release(&list);
	return ep_proc_which(out, bin, NULL);
}

/* Validate the package config before anything reaches the package manager. */
static int check_config(const struct ep_package_cfg *pc, const char *pool_id, struct ep_error *err)
{
	if (!pc->name || !ep_pkg_name_is_valid(pc->name))
		return ep_error_set(
		    err, EP_EUNSAFE,
		    "pool '%s': refusing package name '%s': use letters, digits and "
		    "@._+- only, not beginning with '-'",
		    pool_id, pc->name ? pc->name : "");
	if (pc->version && !ep_pkg_version_is_valid(pc->version))
		return ep_error_set(err, EP_EUNSAFE,
				    "pool '%s': refusing package version '%s': use letters, digits "
				    "and @._+-:~ only, not beginning with '-'",
				    pool_id, pc->version);
	if (pc->repo && !ep_pkg_name_is_valid(pc->repo))
		return ep_error_set(err, EP_EUNSAFE, "pool '%s': refusing package repository '%s'",
				    pool_id, pc->repo);
	return 0;
}

/* Install the package unless the wanted version is already there. */
static int install(const struct ep_distro *d, const struct ep_pool *pool, struct ep_error *err)
{
	const struct ep_package_cfg *pc = &pool->provisioning.package;
	struct ep_strvec targets = EP_STRVEC_INIT;
	struct ep_buf have = EP_BUF_INIT, target = EP_BUF_INIT;
	int rc = 0;

	if (!installed_version(&have, d->pkgmgr, pc->name, pool->id) &&
	    (!pc->version || !strcmp(have.ptr, pc->version))) {
		ep_narrate(EP_LOG_INFO, "pkg", "present", pc->name, pool->id, -1,
			   "package '%s' %s is installed", pc->name, have.ptr);
		goto done;
	}
	if (ep_pkg_target(&target, d->pkgmgr, pc->name, pc->version, pc->repo) ||
	    ep_strvec_push(&targets, target.ptr))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		rc = ep_pkg_install(d, pool->provisioning.allow_package_installs, &targets,
				    pool->id, err);
done:
	ep_strvec_release(&targets);
	ep_buf_release(&have);
	ep_buf_release(&target);
	return rc;
}

int ep_package__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	const struct ep_pool *pool = ctx->pool;
	const struct ep_package_cfg *pc = &pool->provisioning.package;
	const char *bin = engine_binary(pool->engine);
	struct ep_buf version = EP_BUF_INIT, path = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	struct ep_distro d;
	int rc;

	ep_distro_init(&d);
	rc = check_config(pc, pool->id, err);
	rc = rc ? rc : ep_distro_detect(&d, err);
	rc = rc ? rc : install(&d, pool, err);
	if (rc)
		goto done;
	if (installed_version(&version, d.pkgmgr, pc->name, pool->id)) {
		rc = ep_error_set(err, EP_EPREFLIGHT,
				  "package '%s' is not installed after the install step; check the "
				  "output of %s",
				  pc->name, ep_pkgmgr_name(d.pkgmgr));
		goto done;
	}
	if (find_binary(&path, d.pkgmgr, pc->name, bin, pool->id)) {
		rc =
		    ep_error_set(err, EP_ENOTFOUND,
				 "package '%s' %s installed no '%s', and none is on PATH; name the "
				 "package that provides it",
				 pc->name, version.ptr, bin);
		goto done;
	}
	rc = ep_sha256_file(digest, path.ptr, err);
	if (rc)
		goto done;
	out->engine = pool->engine;
	out->mode = EP_MODE_PACKAGE;
	free(out->binary_path);
	free(out->engine_digest);
	free(out->engine_version);
	out->binary_path = ep_buf_detach(&path, NULL);
	out->engine_digest = strdup(digest);
	out->engine_version = ep_buf_detach(&version, NULL);
	if (!out->engine_digest)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		ep_narrate(EP_LOG_INFO, "pkg", "prepared", out->binary_path, pool->id, -1,
			   "package '%s' %s provides '%s' (%s)", pc->name, out->engine_version,
			   out->binary_path, out->engine_digest);
done:
	ep_buf_release(&version);
	ep_buf_release(&path);
	ep_distro_release(&d);
	return rc;
}
