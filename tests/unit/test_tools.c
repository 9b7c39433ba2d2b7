/*
 * Tools, distributions, package installs under the policy and package
 * mode, with fake os-release roots (EP_SYSROOT) and recording `pacman` and
 * `sudo` stand-ins on PATH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ep/cuda.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/preflight.h"
#include "ep/proc.h"
#include "ep/tools.h"
#include "ensure_modes.h"
#include "test.h"

static char tmp[] = "/tmp/ep-tools.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
		chmod(path, mode);
	}
}

/* "<tmp>/<rel>" in a static buffer (one at a time). */
static const char *at(const char *rel)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	return p;
}

static char *slurp(const char *path)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_read_file(&b, path, NULL);
	return ep_buf_detach(&b, NULL);
}

/* A sysroot <tmp>/<name> whose etc/os-release holds `text`; made current. */
static void sysroot(const char *name, const char *text)
{
	char d[512];

	snprintf(d, sizeof(d), "%s/%s/etc", tmp, name);
	ep_fs_mkdirs(d, 0755, NULL);
	snprintf(d + strlen(d), sizeof(d) - strlen(d), "/os-release");
	write_file(d, text, 0644);
	d[strlen(d) - strlen("/etc/os-release")] = 0;
	setenv("EP_SYSROOT", d, 1);
}

static void source_pool(struct ep_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->id = "p1";
	p->engine = EP_ENGINE_LLAMACPP;
	p->provisioning.mode = EP_MODE_SOURCE;
}

TEST(distros)
{
	struct ep_distro d;

	ep_distro_init(&d);
	sysroot("arch", "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\n");
	CHECK_INT(ep_distro_detect(&d, NULL), 0);
	CHECK_STR(d.id, "arch");
	CHECK_INT(d.pkgmgr, EP_PKGMGR_PACMAN);
	CHECK(ep_distro_is_arch(&d));
	sysroot("endeavour", "ID=endeavouros\nID_LIKE=arch\n");
	ep_distro_detect(&d, NULL);
	CHECK(ep_distro_is_arch(&d));
	sysroot("ubuntu", "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nID=ubuntu\nID_LIKE=debian\n");
	ep_distro_detect(&d, NULL);
	CHECK_INT(d.pkgmgr, EP_PKGMGR_APT);
	CHECK_STR(d.name, "Ubuntu 24.04 LTS");
	CHECK(!ep_distro_is_arch(&d));
	sysroot("rocky", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n");
	ep_distro_detect(&d, NULL);
	CHECK_INT(d.pkgmgr, EP_PKGMGR_DNF);
	sysroot("leap", "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n");
	ep_distro_detect(&d, NULL);
	CHECK_INT(d.pkgmgr, EP_PKGMGR_ZYPPER);
	setenv("EP_SYSROOT", at("nothing-here"), 1);
	CHECK_INT(ep_distro_detect(&d, NULL), 0);
	CHECK_INT(d.pkgmgr, EP_PKGMGR_NONE);
	CHECK_STR(d.name, "unknown");
	ep_distro_release(&d);
}

TEST(package_names_and_argv)
{
	struct ep_strvec t = EP_STRVEC_INIT, argv = EP_STRVEC_INIT;
	struct ep_buf b = EP_BUF_INIT;

	CHECK(ep_pkg_name_is_valid("llama.cpp-cuda"));
	CHECK(ep_pkg_name_is_valid("gcc-c++"));
	CHECK(ep_pkg_name_is_valid("python@3.12"));
	CHECK(!ep_pkg_name_is_valid("-rf"));
	CHECK(!ep_pkg_name_is_valid(""));
	CHECK(!ep_pkg_name_is_valid("a b"));
	CHECK(!ep_pkg_name_is_valid("x;rm"));
	CHECK(!ep_pkg_name_is_valid("../x"));
	CHECK(ep_pkg_version_is_valid("1:2.3-1"));
	CHECK(ep_pkg_version_is_valid("1.0~rc1"));
	CHECK(!ep_pkg_version_is_valid("--force"));
	ep_pkg_target(&b, EP_PKGMGR_PACMAN, "llama.cpp-cuda", "b4567-1", "extra");
	CHECK_STR(b.ptr, "extra/llama.cpp-cuda=b4567-1");
	ep_buf_reset(&b);
	ep_pkg_target(&b, EP_PKGMGR_DNF, "llama-cpp", "b4567", NULL);
	CHECK_STR(b.ptr, "llama-cpp-b4567");
	ep_buf_reset(&b);
	ep_pkg_target(&b, EP_PKGMGR_APT, "llama.cpp", NULL, "bookworm-backports");
	CHECK_STR(b.ptr, "llama.cpp/bookworm-backports");
	ep_strvec_push(&t, "git");
	ep_strvec_push(&t, "cmake");
	ep_pkg_install_argv(&argv, EP_PKGMGR_PACMAN, false, &t);
	ep_buf_reset(&b);
	ep_proc_format_argv(&b, (const char *const *)argv.v);
	CHECK_STR(b.ptr, "sudo -n -- pacman -S --needed --noconfirm -- git cmake");
	ep_strvec_release(&argv);
	ep_pkg_install_argv(&argv, EP_PKGMGR_APT, true, &t);
	ep_buf_reset(&b);
	ep_proc_format_argv(&b, (const char *const *)argv.v);
	CHECK_STR(b.ptr, "apt-get install -y -- git cmake");
	ep_strvec_release(&argv);
	ep_pkg_install_argv(&argv, EP_PKGMGR_ZYPPER, true, &t);
	CHECK_STR(argv.v[1], "--non-interactive");
	ep_strvec_release(&argv);
	ep_strvec_release(&t);
	ep_buf_release(&b);
	CHECK_STR(ep_tool_package("ninja", EP_PKGMGR_APT), "ninja-build");
	CHECK_STR(ep_tool_package("c++", EP_PKGMGR_DNF), "gcc-c++");
	CHECK_STR(ep_tool_package("pkg-config", EP_PKGMGR_PACMAN), "pkgconf");
	CHECK_STR(ep_tool_package("nvcc", EP_PKGMGR_PACMAN), "cuda");
}

TEST(missing_tools_one_error)
{
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	source_pool(&pool);
	setenv("PATH", at("empty"), 1);
	sysroot("arch", "ID=arch\n");
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg,
		       "pool 'p1' needs tools this host lacks: 'git' (for a source "
		       "build), 'cmake' (for a source build), 'ninja' or 'make' (for a "
		       "source build), 'cc' (for a source build), 'c++' (for a source build), "
		       "'pkg-config' (for a source build)");
	CHECK_CONTAINS(err.msg, "install them with: pacman -S --needed --noconfirm -- git cmake "
				"ninja gcc pkgconf");
	sysroot("debian", "ID=debian\n");
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "install them with: apt-get install -y -- git cmake ninja-build "
				"gcc g++ pkg-config");
	ep_preflight_release(&pf);
}

TEST(missing_cuda_toolkit_listed_with_the_rest)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	char *cuda_home = getenv("CUDA_HOME") ? strdup(getenv("CUDA_HOME")) : NULL;

	unsetenv("CUDA_HOME");
	unsetenv("CUDA_PATH");
	source_pool(&pool);
	pool.devices = dev;
	pool.n_devices = 1;
	setenv("PATH", at("empty"), 1);
	sysroot("arch", "ID=arch\n"); /* holds no /usr/local/cuda */
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "'pkg-config' (for a source build), 'nvcc' (for a CUDA build)");
	CHECK_CONTAINS(err.msg,
		       "pacman -S --needed --noconfirm -- git cmake ninja gcc pkgconf cuda");
	ep_preflight_release(&pf);
	if (cuda_home)
		setenv("CUDA_HOME", cuda_home, 1);
	free(cuda_home);
}

/* A PATH holding only recording pacman and sudo stand-ins; pacman "installs" the tools. */
static void recording_path(void)
{
	char body[2048];

	ep_fs_mkdirs(at("rec"), 0777, NULL);
	chmod(at("rec"), 0777);
	snprintf(body, sizeof(body),
		 "#!/bin/sh\necho \"pacman $*\" >> %s/rec/log\n"
		 "for t in git cmake ninja cc c++ pkg-config; do\n"
		 "  printf '#!/bin/sh\\necho \"%%s (GCC) 14.2.1\"\\n' $t > %s/rec/$t; /bin/chmod "
		 "755 %s/rec/$t\n"
		 "done\n"
		 "case \"$*\" in *' cuda'*) /bin/mkdir -p $EP_SYSROOT/opt/cuda/bin;\n"
		 "  printf '#!/bin/sh\\necho \"release 13.0, V13.0.88\"\\n' > "
		 "$EP_SYSROOT/opt/cuda/bin/nvcc;\n"
		 "  /bin/chmod 755 $EP_SYSROOT/opt/cuda/bin/nvcc ;; esac\n",
		 tmp, tmp, tmp);
	write_file(at("rec/pacman"), body, 0755);
	snprintf(body, sizeof(body),
		 "#!/bin/sh\necho \"sudo $*\" >> %s/rec/log\n"
		 "[ \"$1\" = -n ] || { echo 'sudo was called without -n' >> %s/rec/log; exit 3; }\n"
		 "echo 'sudo: a password is required' >&2\nexit 1\n",
		 tmp, tmp);
	write_file(at("rec/sudo"), body, 0755);
	setenv("PATH", at("rec"), 1);
}

TEST(installs_refused_without_policy)
{
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	recording_path();
	sysroot("arch", "ID=arch\n");
	source_pool(&pool);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "pacman -S --needed --noconfirm -- git cmake ninja gcc pkgconf; or "
				"set `allow_package_installs: true` to have them installed");
	CHECK(!ep_fs_exists(at("rec/log")));
	ep_preflight_release(&pf);
}

TEST(installs_with_pacman_as_root)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	char *log;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root\n");
		return;
	}
	recording_path();
	sysroot("arch", "ID=arch\n");
	source_pool(&pool);
	pool.provisioning.allow_package_installs = true;
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "error: %s\n", err.msg);
	log = slurp(at("rec/log"));
	CHECK_STR(log, "pacman -S --needed --noconfirm -- git cmake ninja gcc pkgconf\n");
	free(log);
	CHECK_STR(pf.cc_id, "gcc 14.2.1");
	/* a GPU pool also gets the toolkit, found in /opt/cuda after the install */
	unlink(at("rec/log"));
	pool.devices = dev;
	pool.n_devices = 1;
	unsetenv("CUDA_HOME");
	unsetenv("CUDA_PATH");
	setenv("EP_CUDA_DRIVER_LIBRARY", at("no-driver.so"), 1);
	sysroot("arch2", "ID=arch\n");
	setenv("PATH", at("empty"), 1);
	recording_path();
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "no NVIDIA driver found");
	log = slurp(at("rec/log"));
	CHECK_STR(log, "pacman -S --needed --noconfirm -- cuda\n");
	free(log);
	pool.devices = NULL;
	pool.n_devices = 0;
	/* elsewhere, allowed or not, the error says what to run */
	sysroot("debian", "ID=debian\n");
	setenv("PATH", at("empty"), 1);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "apt-get install -y -- git cmake ninja-build gcc g++ pkg-config");
	ep_preflight_release(&pf);
	unlink(at("rec/log"));
}

TEST(sudo_only_with_n_as_non_root)
{
	struct ep_strvec t = EP_STRVEC_INIT;
	struct ep_distro d = {(char *)"arch", (char *)"", (char *)"Arch Linux", EP_PKGMGR_PACMAN};
	int status = 0;
	pid_t pid;
	char *log;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root to become an unprivileged user\n");
		return;
	}
	recording_path();
	chmod(tmp, 0755);
	ep_strvec_push(&t, "llama.cpp-cuda=b4567-1");
	pid = fork();
	if (pid == 0) {
		struct ep_error err = EP_ERROR_INIT;
		int rc;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		rc = ep_pkg_install(&d, true, &t, "p1", &err);
		_exit(rc == EP_EPREFLIGHT && strstr(err.msg, "never asks for a password") &&
			      strstr(err.msg, "sudo: a password is required")
			  ? 0
			  : 11);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	log = slurp(at("rec/log"));
	CHECK_STR(log, "sudo -n -- pacman -S --needed --noconfirm -- llama.cpp-cuda=b4567-1\n");
	free(log);
	unlink(at("rec/log"));
	ep_strvec_release(&t);
}

TEST(hostile_targets_refused)
{
	struct ep_strvec t = EP_STRVEC_INIT;
	struct ep_distro d = {(char *)"arch", (char *)"", (char *)"Arch Linux", EP_PKGMGR_PACMAN};
	struct ep_error err = EP_ERROR_INIT;

	ep_strvec_push(&t, "--overwrite=*");
	CHECK_INT(ep_pkg_install(&d, true, &t, "p1", &err), EP_EUNSAFE);
	CHECK_CONTAINS(err.msg, "refusing package '--overwrite=*'");
	ep_strvec_release(&t);
}

TEST(version_probe_cache)
{
	struct ep_buf v = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	uint64_t n0;

	write_file(at("tool"), "#!/bin/sh\necho 'tool 1.0'\n", 0755);
	CHECK_INT(ep_probe_version(&v, at("tool"), &err), 0);
	CHECK_STR(v.ptr, "tool 1.0");
	n0 = ep_proc_spawn_count();
	ep_buf_reset(&v);
	CHECK_INT(ep_probe_version(&v, at("tool"), &err), 0);
	CHECK_STR(v.ptr, "tool 1.0");
	CHECK_INT(ep_proc_spawn_count(), n0); /* cached: no process */
	write_file(at("tool"), "#!/bin/sh\necho 'tool 2.0.1'\n", 0755);
	ep_buf_reset(&v);
	CHECK_INT(ep_probe_version(&v, at("tool"), &err), 0);
	CHECK_STR(v.ptr, "tool 2.0.1");
	CHECK_INT(ep_proc_spawn_count(), n0 + 1); /* the file changed: probed again */
	ep_buf_release(&v);
}

TEST(real_toolkit_if_present)
{
	struct ep_cuda_toolkit tk;
	struct ep_error err = EP_ERROR_INIT;

	unsetenv("EP_SYSROOT");
	ep_cuda_toolkit_init(&tk);
	if (ep_cuda_find_toolkit(&tk, "/nonexistent", &err)) {
		fprintf(stderr, "skip: no CUDA toolkit here (%s)\n", err.msg);
		return;
	}
	CHECK(tk.major >= 11);
	CHECK(tk.found_by != NULL);
	CHECK(ep_fs_exists(tk.nvcc));
	fprintf(stderr, "toolkit: CUDA %s at %s\n", tk.version, tk.root);
	ep_cuda_toolkit_release(&tk);
}

__attribute__((constructor)) static void setup(void)
{
	char d[512];

	if (!mkdtemp(tmp))
		abort();
	snprintf(d, sizeof(d), "%s/state", tmp);
	setenv("EP_STATE_DIR", d, 1);
	snprintf(d, sizeof(d), "%s/empty", tmp);
	ep_fs_mkdirs(d, 0755, NULL);
}

__attribute__((destructor)) static void teardown(void)
{
	ep_fs_remove_tree(tmp, NULL);
}

TESTS(T(distros), T(package_names_and_argv), T(missing_tools_one_error),
      T(missing_cuda_toolkit_listed_with_the_rest), T(installs_refused_without_policy),
      T(installs_with_pacman_as_root), T(sudo_only_with_n_as_non_root), T(hostile_targets_refused),
      T(version_probe_cache), T(real_toolkit_if_present))
