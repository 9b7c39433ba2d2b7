/*
 * Package mode: a recording `pacman` stand-in that keeps a tiny package
 * database in files installs "llama.cpp-cuda", and ep_package__ensure()
 * reports the binary it installed, its digest and the package's version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/tools.h"
#include "ensure_modes.h"
#include "test.h"

static char tmp[] = "/tmp/ep-package.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
		chmod(path, mode);
	}
}

static char *slurp(const char *path)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_read_file(&b, path, NULL);
	return ep_buf_detach(&b, NULL);
}

static const char pacman_body[] =
    "#!/bin/sh\n"
    "T=%s\n"
    "echo \"pacman $*\" >> $T/log\n"
    "case \"$1\" in\n"
    "-Q) [ -f $T/db ] || exit 1; echo \"llama.cpp-cuda $(/bin/cat $T/db)\" ;;\n"
    "-Ql) [ -f $T/db ] || exit 1; echo 'llama.cpp-cuda /usr/'; echo \"llama.cpp-cuda "
    "$T/usr/share/doc/llama-server\"; echo \"llama.cpp-cuda $T/usr/bin/llama-server\" ;;\n"
    "-S) echo b4567-1 > $T/db; /bin/mkdir -p $T/usr/bin $T/usr/share/doc;\n"
    "    echo doc > $T/usr/share/doc/llama-server;\n"
    "    printf '#!/bin/sh\\necho engine\\n' > $T/usr/bin/llama-server; /bin/chmod 755 "
    "$T/usr/bin/llama-server ;;\n"
    "esac\n";

static void setup_host(const char *os)
{
	char p[512], body[2048];

	snprintf(p, sizeof(p), "%s/etc", tmp);
	ep_fs_mkdirs(p, 0755, NULL);
	snprintf(p, sizeof(p), "%s/etc/os-release", tmp);
	write_file(p, os, 0644);
	setenv("EP_SYSROOT", tmp, 1);
	snprintf(p, sizeof(p), "%s/bin", tmp);
	ep_fs_mkdirs(p, 0755, NULL);
	setenv("PATH", p, 1);
	snprintf(body, sizeof(body), pacman_body, tmp);
	snprintf(p, sizeof(p), "%s/bin/pacman", tmp);
	write_file(p, body, 0755);
}

static void package_pool(struct ep_pool *pool, struct ep_ensure_ctx *ctx, bool allow)
{
	memset(pool, 0, sizeof(*pool));
	memset(ctx, 0, sizeof(*ctx));
	pool->id = "pkg";
	pool->engine = EP_ENGINE_LLAMACPP;
	pool->provisioning.mode = EP_MODE_PACKAGE;
	pool->provisioning.has_package = true;
	pool->provisioning.package.name = "llama.cpp-cuda";
	pool->provisioning.allow_package_installs = allow;
	ctx->pool = pool;
	ctx->state_dir = tmp;
}

static void release(struct ep_prepared *p)
{
	free(p->binary_path);
	free(p->engine_digest);
	free(p->engine_version);
	memset(p, 0, sizeof(*p));
}

TEST(refused_without_policy)
{
	struct ep_pool pool;
	struct ep_ensure_ctx ctx;
	struct ep_prepared out;
	struct ep_error err = EP_ERROR_INIT;

	memset(&out, 0, sizeof(out));
	setup_host("ID=arch\n");
	package_pool(&pool, &ctx, false);
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), EP_EPOLICY);
	CHECK_CONTAINS(err.msg, "set `allow_package_installs: true`, or run: ");
	CHECK_CONTAINS(err.msg, "pacman -S --needed --noconfirm -- llama.cpp-cuda");
	release(&out);
}

TEST(installs_and_reports)
{
	struct ep_pool pool;
	struct ep_ensure_ctx ctx;
	struct ep_prepared out;
	struct ep_error err = EP_ERROR_INIT;
	char want[EP_DIGEST_LEN], bin[512], logp[512];
	char *log;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root (pacman would run through sudo -n)\n");
		return;
	}
	memset(&out, 0, sizeof(out));
	setup_host("ID=arch\n");
	package_pool(&pool, &ctx, true);
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "error: %s\n", err.msg);
	snprintf(bin, sizeof(bin), "%s/usr/bin/llama-server", tmp);
	CHECK_STR(out.binary_path, bin);
	CHECK_STR(out.engine_version, "b4567-1");
	CHECK_INT(ep_sha256_file(want, bin, NULL), 0);
	CHECK_STR(out.engine_digest, want);
	CHECK_INT(out.mode, EP_MODE_PACKAGE);
	snprintf(logp, sizeof(logp), "%s/log", tmp);
	log = slurp(logp);
	CHECK_CONTAINS(log, "pacman -S --needed --noconfirm -- llama.cpp-cuda\n");
	free(log);
	unlink(logp);
	/* installed already: no second install */
	release(&out);
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), 0);
	log = slurp(logp);
	CHECK(strstr(log, " -S ") == NULL);
	free(log);
	release(&out);
}

TEST(other_distro_says_what_to_run)
{
	struct ep_pool pool;
	struct ep_ensure_ctx ctx;
	struct ep_prepared out;
	struct ep_error err = EP_ERROR_INIT;

	memset(&out, 0, sizeof(out));
	setup_host("PRETTY_NAME=\"Debian GNU/Linux 12\"\nID=debian\n");
	package_pool(&pool, &ctx, true);
	pool.provisioning.package.name = "llama-cpp";
	pool.provisioning.package.version = "1:4567-1";
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "automatic package installs run only on Arch-like systems with "
				"pacman, and this is 'Debian GNU/Linux 12'; run: ");
	CHECK_CONTAINS(err.msg, "apt-get install -y -- llama-cpp=1:4567-1");
	pool.provisioning.package.version = "-1";
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), EP_EUNSAFE);
	pool.provisioning.package.name = "--root=/";
	CHECK_INT(ep_package__ensure(&out, &ctx, &err), EP_EUNSAFE);
	CHECK_CONTAINS(err.msg, "refusing package name '--root=/'");
	release(&out);
}

__attribute__((constructor)) static void setup(void)
{
	char d[512];

	if (!mkdtemp(tmp))
		abort();
	snprintf(d, sizeof(d), "%s/state", tmp);
	setenv("EP_STATE_DIR", d, 1);
}

__attribute__((destructor)) static void teardown(void)
{
	ep_fs_remove_tree(tmp, NULL);
}

TESTS(T(refused_without_policy), T(installs_and_reports), T(other_distro_says_what_to_run))
