/*
 * Host tools: which a pool needs, where they are and which version, the
 * distribution and its package manager, the command that installs what is
 * missing, and installs under the config's policy.
 *
 * A tool spec names one tool or alternatives in order of preference,
 * "ninja|make"; a trailing '?' marks it optional ("ccache?").
 *
 * Test overrides: EP_SYSROOT=/dir reads /dir/etc/os-release instead of
 * /etc/os-release.
 */
#ifndef EP_TOOLS_H
#define EP_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/error.h"
#include "ep/strvec.h"

enum ep_pkgmgr { EP_PKGMGR_NONE, EP_PKGMGR_APT, EP_PKGMGR_DNF, EP_PKGMGR_ZYPPER, EP_PKGMGR_PACMAN };

struct ep_distro {
	char *id;      /* os-release ID: "arch", "debian", ... ("" when unknown) */
	char *id_like; /* os-release ID_LIKE ("" when absent) */
	char *name;    /* PRETTY_NAME, else NAME, else ID */
	enum ep_pkgmgr pkgmgr;
};

void ep_distro_init(struct ep_distro *d);
void ep_distro_release(struct ep_distro *d);
/* Read os-release ($EP_SYSROOT/etc/os-release, then usr/lib/os-release); unknown is not an error.
 */
int ep_distro_detect(struct ep_distro *out, struct ep_error *err);
/* "apt-get", "dnf", "zypper", "pacman", or "none". */
const char *ep_pkgmgr_name(enum ep_pkgmgr m);
/* Is this an Arch-like system (ID or ID_LIKE "arch") with pacman as its manager? */
bool ep_distro_is_arch(const struct ep_distro *d);

/* One tool spec and what was found for it. */
struct ep_tool {
	char *spec;	 /* "ninja|make" */
	char *name;	 /* the alternative found ("make"), or the first one when missing */
	char *path;	 /* absolute, or NULL when missing */
	char *version;	 /* first line of `--version`, or NULL (not asked, or it failed) */
	const char *why; /* what needs it: "source build", "CUDA build", ... (static) */
	bool optional;
};

struct ep_tools {
	struct ep_tool *v;
	size_t n;
};

void ep_tools_init(struct ep_tools *t);
void ep_tools_release(struct ep_tools *t);

/* Every tool spec the product knows of (for `doctor` without a config), NULL-terminated. */
extern const char *const ep_tools_known[];

/* Add a spec ("ninja|make", "ccache?") needed for `why` (a static string); unresolved. */
int ep_tools_add(struct ep_tools *t, const char *spec, const char *why);

/*
 * Add the specs `pool` needs: git, cmake, ninja|make (or the generator the
 * config names), cc, c++, pkg-config, ccache? for a source build; nvcc when
 * `cuda`; podman|docker (or the runtime named) for a container; the package
 * manager for package mode; hf|huggingface-cli for an `hf:` model.
 */
int ep_tools_needed(struct ep_tools *out, const struct ep_pool *pool, bool cuda);

/*
 * Look every tool of `t` up in PATH (or `path_env`), filling name and path.
 * No process is started unless `versions` is true; then each found tool's
 * `--version` is read (cached, see ep_probe_version()).
 */
int ep_tools_find(struct ep_tools *t, const char *path_env, bool versions, struct ep_error *err);

/* The entry for `spec`, or NULL. */
const struct ep_tool *ep_tools_get(const struct ep_tools *t, const char *spec);

/* The number of required tools that are missing. */
size_t ep_tools_missing(const struct ep_tools *t);

/* The package that provides `tool` under `m`, or NULL when there is none. */
const char *ep_tool_package(const char *tool, enum ep_pkgmgr m);

/*
 * EP_EPREFLIGHT naming every missing required tool of `t` in one message,
 * with the command that installs them on `d`.
 */
int ep_tools_missing_error(struct ep_error *err, const struct ep_tools *t,
			   const struct ep_distro *d, const char *pool_id);

/* Packages for the missing required tools of `t` under `m` (each once). */
int ep_tools_missing_packages(struct ep_strvec *out, const struct ep_tools *t, enum ep_pkgmgr m);

/*
 * The first line of `exe --version` (or `-version`/`version` as the tool
 * wants), cached in <state>/probe-cache.json keyed by the executable's
 * device, inode, size and modification time, so a changed file is probed
 * again. The cache is skipped when no state directory can be chosen.
 */
int ep_probe_version(struct ep_buf *out, const char *exe, struct ep_error *err);
/* The whole output of `exe --version`, cached like ep_probe_version(). */
int ep_probe_version_full(struct ep_buf *out, const char *exe, struct ep_error *err);

/* Package installs (pkg.c). */

/* Is `s` a safe package name or version ([A-Za-z0-9@._+-], versions also ':' '~'; no leading '-')?
 */
bool ep_pkg_name_is_valid(const char *s);
bool ep_pkg_version_is_valid(const char *s);

/*
 * "repo/name=version" (pacman), "name=version" or "name/release" (apt),
 * "name=version" (zypper), "name-version" (dnf). dnf and zypper ignore `repo`.
 */
int ep_pkg_target(struct ep_buf *out, enum ep_pkgmgr m, const char *name, const char *version,
		  const char *repo);

/*
 * The install argv for `m`: `pacman -S --needed --noconfirm -- T...`,
 * `apt-get install -y -- T...`, `dnf install -y -- T...`,
 * `zypper --non-interactive install -- T...`; prefixed with `sudo -n --`
 * unless `as_root`.
 */
int ep_pkg_install_argv(struct ep_strvec *out, enum ep_pkgmgr m, bool as_root,
			const struct ep_strvec *targets);

/*
 * Install `targets` under the policy: refused (EP_EPOLICY, with the command
 * to run) unless `allowed`; run automatically only on an Arch-like system
 * with pacman, as root or through `sudo -n` (never a password prompt);
 * elsewhere EP_EPREFLIGHT with the exact command to run.
 */
int ep_pkg_install(const struct ep_distro *d, bool allowed, const struct ep_strvec *targets,
		   const char *pool_id, struct ep_error *err);

#endif
