/*
 * Package installs through the system package manager, under the config's
 * policy: only when allowed, automatically only on Arch-like systems with
 * pacman, as root or through `sudo -n` (which fails instead of asking for a
 * password). Names and versions are validated and passed after `--`.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/log.h"
#include "ep/proc.h"
#include "ep/tools.h"
#include "banned.h"

#define PKG_OUTPUT_CAP (256u * 1024)
#define PKG_NAME_MAX   255

/* Every byte of `s` in [A-Za-z0-9@._+-] or `extra`; not empty, no leading '-'. */
static bool valid_chars(const char *s, const char *extra)
{
	size_t n;

	if (!s || !*s || *s == '-' || strlen(s) > PKG_NAME_MAX)
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("@._+-", c) || (extra && strchr(extra, c))))
			return false;
	}
	return true;
}

bool ep_pkg_name_is_valid(const char *s)
{
	return valid_chars(s, NULL);
}

bool ep_pkg_version_is_valid(const char *s)
{
	/* versions may carry an epoch ("1:2.3-1") or a tilde ("1.0~rc1") */
	return valid_chars(s, ":~");
}

int ep_pkg_target(struct ep_buf *out, enum ep_pkgmgr m, const char *name, const char *version,
		  const char *repo)
{
	if (repo && *repo && m == EP_PKGMGR_PACMAN && ep_buf_addf(out, "%s/", repo))
		return EP_ENOMEM;
	if (ep_buf_adds(out, name))
		return EP_ENOMEM;
	if (version && *version)
		return ep_buf_addf(out, "%c%s", m == EP_PKGMGR_DNF ? '-' : '=', version) ? EP_ENOMEM
											 : 0;
	/* apt takes a target release as "name/release" */
	if (repo && *repo && m == EP_PKGMGR_APT && ep_buf_addf(out, "/%s", repo))
		return EP_ENOMEM;
	return 0;
}

int ep_pkg_install_argv(struct ep_strvec *out, enum ep_pkgmgr m, bool as_root,
			const struct ep_strvec *targets)
{
	static const char *const pacman[] = {"pacman", "-S", "--needed", "--noconfirm", NULL};
	static const char *const apt[] = {"apt-get", "install", "-y", NULL};
	static const char *const dnf[] = {"dnf", "install", "-y", NULL};
	static const char *const zypper[] = {"zypper", "--non-interactive", "install", NULL};
	static const char *const sudo[] = {"sudo", "-n", "--", NULL};
	const char *const *base = m == EP_PKGMGR_PACMAN	  ? pacman
				  : m == EP_PKGMGR_APT	  ? apt
				  : m == EP_PKGMGR_DNF	  ? dnf
				  : m == EP_PKGMGR_ZYPPER ? zypper
							  : NULL;
	int rc = 0;

	if (!base)
		return EP_ENOTFOUND;
	if (!as_root)
		rc = ep_strvec_pushv(out, sudo);
	rc = rc ? rc : ep_strvec_pushv(out, base);
	rc = rc ? rc : ep_strvec_push(out, "--");
	rc = rc ? rc : ep_strvec_copy(out, targets);
	return rc;
}

/* Refuse targets that could be read as options or carry odd bytes. */
static int check_targets(const struct ep_strvec *targets, struct ep_error *err)
{
	size_t i;

	for (i = 0; i < targets->n; i++) {
		const char *t = targets->v[i];

		/* a target is [repo/]name[=|-version]: the whole is checked with the version set */
		if (!valid_chars(t, ":~=/") || strstr(t, "//") || t[strlen(t) - 1] == '/')
			return ep_error_set(
			    err, EP_EUNSAFE,
			    "refusing package '%s': names and versions may use only "
			    "letters, digits and @._+-, and may not begin with '-'",
			    t);
	}
	return 0;
}

/* The command a person would run, for messages. */
static void human_command(struct ep_buf *out, enum ep_pkgmgr m, const struct ep_strvec *targets)
{
	struct ep_strvec argv = EP_STRVEC_INIT;

	if (ep_pkg_install_argv(&argv, m, true, targets)) {
		ep_buf_adds(out, "(no known package manager)");
		return;
	}
	if (geteuid() != 0)
		ep_buf_adds(out, "sudo ");
	ep_proc_format_argv(out, (const char *const *)argv.v);
	ep_strvec_release(&argv);
}

/* Run the install; its output is kept for the error message. */
static int run_install(const struct ep_strvec *argv, const char *pool_id, struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	struct ep_buf out;
	int status = 0, rc;
	int64_t t0 = ep_now_ms();

	ep_buf_init(&out, PKG_OUTPUT_CAP);
	o.argv = (const char *const *)argv->v;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	o.pool_id = pool_id;
	rc = ep_proc_run(&o, &out, &status, err);
	if (!rc && status != 0) {
		struct ep_buf cmd = EP_BUF_INIT;

		ep_proc_format_argv(&cmd, o.argv);
		ep_buf_rtrim(&out);
		ep_buf_keep_last_lines(&out, 8);
		rc = ep_error_set(
		    err, EP_EPREFLIGHT, "package install failed: '%s' exited with status %d%s%s%s",
		    cmd.ptr, status, out.len ? ":\n" : "", out.ptr,
		    strcmp(argv->v[0], "sudo") ? ""
					       : "\n(sudo runs with -n and never asks for "
						 "a password: run as root or allow the "
						 "package manager in sudoers)");
		ep_buf_release(&cmd);
	}
	if (!rc)
		ep_narrate(EP_LOG_INFO, "pkg", "install", argv->v[argv->n - 1], pool_id,
			   ep_now_ms() - t0, "ran %s", argv->v[0]);
	ep_buf_release(&out);
	return rc;
}

int ep_pkg_install(const struct ep_distro *d, bool allowed, const struct ep_strvec *targets,
		   const char *pool_id, struct ep_error *err)
{
	struct ep_strvec argv = EP_STRVEC_INIT;
	struct ep_buf cmd = EP_BUF_INIT;
	int rc;

	if (!targets->n)
		return 0;
	rc = check_targets(targets, err);
	if (rc)
		return rc;
	human_command(&cmd, d->pkgmgr, targets);
	if (!allowed) {
		rc = ep_error_set(
		    err, EP_EPOLICY,
		    "pool '%s' needs packages installed, and its config does not allow "
		    "it; set `allow_package_installs: true`, or run: %s",
		    pool_id ? pool_id : "", cmd.ptr);
	} else if (!ep_distro_is_arch(d)) {
		rc = ep_error_set(err, EP_EPREFLIGHT,
				  "automatic package installs run only on Arch-like systems with "
				  "pacman, and this is '%s'; run: %s",
				  d->name, cmd.ptr);
	} else if (ep_pkg_install_argv(&argv, d->pkgmgr, geteuid() == 0, targets)) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	} else {
		rc = run_install(&argv, pool_id, err);
	}
	ep_strvec_release(&argv);
	ep_buf_release(&cmd);
	return rc;
}
