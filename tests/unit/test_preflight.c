/*
 * Preflight of whole pools: the stand-in driver for GPU cases (0, 1 and 4
 * devices, 8.6 / 9.0 / 12.0, an old driver), a stand-in CUDA toolkit, PATHs
 * of recording stand-ins for the build tools, and the real loader without a
 * driver.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/buf.h"
#include "ep/fs.h"
#include "ep/preflight.h"
#include "ep/proc.h"
#include "test.h"

#define FAKE EP_BINARY_DIR "/tests/lib/libfakecuda.so"

static char tmp[] = "/tmp/ep-preflight.XXXXXX";

/* Write an executable script. */
static void script(const char *dir, const char *name, const char *body)
{
	struct ep_buf p = EP_BUF_INIT;
	FILE *f;

	ep_buf_addf(&p, "%s/%s", dir, name);
	f = fopen(p.ptr, "w");
	if (f) {
		fprintf(f, "#!/bin/sh\n%s\n", body);
		fclose(f);
		chmod(p.ptr, 0755);
	}
	ep_buf_release(&p);
}

/* A directory of build-tool stand-ins that log each run to <dir>/ran.log. */
static void standins(const char *dir)
{
	static const char *const tools[] = {"git", "cmake", "ninja", "pkg-config", "ccache"};
	struct ep_buf body = EP_BUF_INIT;
	size_t i;

	ep_fs_mkdirs(dir, 0755, NULL);
	for (i = 0; i < 5; i++) {
		ep_buf_reset(&body);
		ep_buf_addf(&body, "echo \"%s $*\" >> %s/ran.log\necho '%s version 1.0'", tools[i],
			    dir, tools[i]);
		script(dir, tools[i], body.ptr);
	}
	ep_buf_reset(&body);
	ep_buf_addf(&body, "echo \"cc $*\" >> %s/ran.log\necho 'cc (GCC) 14.2.1 20250207'", dir);
	script(dir, "cc", body.ptr);
	script(dir, "c++", body.ptr);
	ep_buf_release(&body);
}

/* A stand-in toolkit <tmp>/cuda-<v> whose nvcc reports `v`; its bin goes on PATH. */
static void toolkit(const char *v)
{
	struct ep_buf d = EP_BUF_INIT, body = EP_BUF_INIT, path = EP_BUF_INIT;

	ep_buf_addf(&d, "%s/cuda-%s/bin", tmp, v);
	ep_fs_mkdirs(d.ptr, 0755, NULL);
	ep_buf_addf(&body,
		    "echo 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
		    "echo 'Cuda compilation tools, release %s, V%s.88'",
		    v, v);
	script(d.ptr, "nvcc", body.ptr);
	ep_buf_addf(&path, "%s/bin:%s", tmp, d.ptr);
	setenv("PATH", path.ptr, 1);
	ep_buf_release(&d);
	ep_buf_release(&body);
	ep_buf_release(&path);
}

static void fake_driver(const char *devices, const char *driver)
{
	setenv("EP_CUDA_DRIVER_LIBRARY", FAKE, 1);
	setenv("EP_NVML_LIBRARY", FAKE, 1);
	setenv("EP_FAKECUDA_DEVICES", devices, 1);
	setenv("EP_FAKECUDA_DRIVER", driver, 1);
}

/* A llama.cpp source pool on `devices`. */
static void source_pool(struct ep_pool *p, uint32_t *devices, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->id = "gpu-pool";
	p->engine = EP_ENGINE_LLAMACPP;
	p->devices = devices;
	p->n_devices = n;
	p->provisioning.mode = EP_MODE_SOURCE;
	p->provisioning.has_source = true;
}

static bool has(const struct ep_strvec *sv, const char *s)
{
	return ep_strvec_find(sv, s) >= 0;
}

static bool ran_nothing(void)
{
	struct ep_buf p = EP_BUF_INIT;
	bool none;

	ep_buf_addf(&p, "%s/bin/ran.log", tmp);
	none = !ep_fs_exists(p.ptr);
	ep_buf_release(&p);
	return none;
}

TEST(real_no_driver_fails_before_any_tool)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	uint64_t spawned = ep_proc_spawn_count();

	unsetenv("EP_CUDA_DRIVER_LIBRARY");
	unsetenv("EP_NVML_LIBRARY");
	toolkit("13.0");
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "no NVIDIA driver found: cannot load 'libcuda.so.1'");
	CHECK_CONTAINS(err.msg, "pool 'gpu-pool' needs GPU devices [0]");
	CHECK_CONTAINS(err.msg, "install the NVIDIA driver, or give the pool `devices: []`");
	/* no process at all started: not git, not cmake, not even `--version` */
	CHECK_INT(ep_proc_spawn_count(), spawned);
	CHECK(ran_nothing());
	ep_preflight_release(&pf);
}

TEST(zero_devices)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	fake_driver("", "13000");
	toolkit("13.0");
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "no NVIDIA GPU found: the driver (580.65.06 (CUDA 13.0)) "
				"reports 0 devices");
	CHECK(ran_nothing());
	ep_preflight_release(&pf);
}

TEST(one_device_86)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf root = EP_BUF_INIT;

	fake_driver("8.6:24576:NVIDIA RTX A5000", "13000");
	toolkit("13.0");
	ep_buf_addf(&root, "-DCUDAToolkit_ROOT=%s/cuda-13.0", tmp);
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK(pf.cuda);
	CHECK_STR(pf.cuda_archs, "86");
	CHECK_STR(pf.cuda_version, "13.0");
	CHECK_STR(pf.driver_version, "580.65.06 (CUDA 13.0)");
	CHECK(has(&pf.cmake_extra, "-DCMAKE_CUDA_ARCHITECTURES=86"));
	CHECK(has(&pf.cmake_extra, root.ptr));
	CHECK(has(&pf.cmake_extra, "-DGGML_CUDA=ON"));
	CHECK_CONTAINS(pf.nvcc, "/cuda-13.0/bin/nvcc");
	CHECK_STR(pf.cc_id, "gcc 14.2.1");
	CHECK_STR(pf.generator, "Ninja");
	CHECK_CONTAINS(pf.findings, "gpu 0: NVIDIA RTX A5000, 24576 MiB, compute capability 8.6");
	/* after the GPU check, compilers were asked for their version, never git or cmake */
	ep_preflight_release(&pf);
	ep_buf_release(&root);
}

TEST(four_devices_mixed)
{
	uint32_t dev[] = {0, 1, 2, 3}, some[] = {1, 2};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	fake_driver("8.6:24576:NVIDIA RTX A5000;9.0:81559:NVIDIA H100;9.0:81559:NVIDIA H100;"
		    "12.0:32607:NVIDIA GeForce RTX 5090",
		    "13000");
	toolkit("13.0");
	source_pool(&pool, dev, 4);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK_STR(pf.cuda_archs, "86;90;120a");
	CHECK(has(&pf.cmake_extra, "-DCMAKE_CUDA_ARCHITECTURES=86;90;120a"));
	source_pool(&pool, some, 2);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK_STR(pf.cuda_archs, "90");
	ep_preflight_release(&pf);
}

TEST(missing_index)
{
	uint32_t dev[] = {0, 4};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	fake_driver("8.6:24576:NVIDIA RTX A5000", "13000");
	toolkit("13.0");
	source_pool(&pool, dev, 2);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "pool 'gpu-pool' asks for GPU device 4, which does not exist: "
				"this host has 1 GPU: 0 (NVIDIA RTX A5000)");
	ep_preflight_release(&pf);
}

TEST(old_driver_new_toolkit)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	fake_driver("9.0:81559:NVIDIA H100", "12040");
	setenv("EP_FAKECUDA_RELEASE", "550.54.14", 1);
	toolkit("13.0");
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "the NVIDIA driver 550.54.14 supports CUDA 12.4, but the CUDA "
				"toolkit at '");
	CHECK_CONTAINS(err.msg,
		       "is 13.0 and needs a driver supporting CUDA 13.0 (release 580 or "
		       "newer); upgrade the driver, or point CUDA_HOME at a CUDA 12.x toolkit");
	CHECK(pf.cmake_extra.n == 0);
	/* the same driver with a 12.8 toolkit is fine (minor version compatibility) */
	toolkit("12.8");
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK_STR(pf.cuda_version, "12.8");
	CHECK_STR(pf.cuda_archs, "90");
	unsetenv("EP_FAKECUDA_RELEASE");
	ep_preflight_release(&pf);
}

TEST(gpu_too_old_for_toolkit)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	fake_driver("6.1:11178:NVIDIA GeForce GTX 1080 Ti", "13000");
	toolkit("13.0");
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "compute capability 6.1");
	CHECK_CONTAINS(err.msg, "builds for 7.5 and newer only");
	ep_preflight_release(&pf);
}

TEST(config_names_architectures)
{
	uint32_t dev[] = {0};
	const char *flags[] = {"-DGGML_CUDA=ON", "-DCMAKE_CUDA_ARCHITECTURES=89"};
	struct ep_strvec norm = EP_STRVEC_INIT;
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	size_t i;

	fake_driver("8.6:24576:NVIDIA RTX A5000", "13000");
	toolkit("13.0");
	source_pool(&pool, dev, 1);
	pool.provisioning.source.cmake_flags.v = flags;
	pool.provisioning.source.cmake_flags.n = 2;
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK(pf.cuda_archs == NULL);
	for (i = 0; i < pf.cmake_extra.n; i++)
		CHECK(strncmp(pf.cmake_extra.v[i], "-DCMAKE_CUDA_ARCHITECTURES", 26) != 0);
	CHECK(!has(&pf.cmake_extra, "-DGGML_CUDA=ON"));
	/* normalized flags turning CUDA off: no toolkit, but the GPU is still checked */
	ep_strvec_push(&norm, "-DGGML_CUDA=OFF");
	ep_strvec_push(&norm, "-DGGML_VULKAN=ON");
	CHECK_INT(ep_preflight_pool(&pf, &pool, &norm, &err), 0);
	CHECK(!pf.cuda);
	CHECK_INT(pf.cmake_extra.n, 0);
	ep_strvec_release(&norm);
	ep_preflight_release(&pf);
}

TEST(host_compiler_too_new_for_nvcc)
{
	uint32_t dev[] = {0};
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf p = EP_BUF_INIT, want = EP_BUF_INIT;

	fake_driver("8.9:24564:NVIDIA L4", "12080");
	toolkit("12.8");
	/* this toolkit's nvcc takes gcc 13 at most; the stand-in c++ is gcc 14.2.1 */
	ep_buf_addf(&p, "%s/cuda-12.8/include/crt", tmp);
	ep_fs_mkdirs(p.ptr, 0755, NULL);
	ep_buf_adds(&p, "/host_config.h");
	ep_fs_write_atomic(p.ptr, "#if __GNUC__ > 13\n#error -- unsupported GNU version!\n#endif\n",
			   60, 0644, NULL);
	source_pool(&pool, dev, 1);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "the C++ compiler is gcc 14.2.1, and the nvcc of CUDA 12.8");
	CHECK_CONTAINS(err.msg, "accepts gcc 13 at most; install g++-13 (or older)");
	ep_buf_reset(&p);
	ep_buf_addf(&p, "%s/bin", tmp);
	script(p.ptr, "g++-12", "echo 'g++-12 (GCC) 12.4.0'");
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	ep_buf_addf(&want, "%s/bin/g++-12", tmp);
	CHECK_STR(pf.cuda_host_compiler, want.ptr);
	ep_buf_reset(&want);
	ep_buf_addf(&want, "-DCMAKE_CUDA_HOST_COMPILER=%s/bin/g++-12", tmp);
	CHECK(has(&pf.cmake_extra, want.ptr));
	CHECK_STR(pf.cuda_archs, "89");
	ep_buf_reset(&p);
	ep_buf_addf(&p, "%s/bin/g++-12", tmp);
	unlink(p.ptr);
	ep_buf_release(&p);
	ep_buf_release(&want);
	ep_preflight_release(&pf);
}

TEST(cpu_pool_gets_no_gpu_check)
{
	struct ep_pool pool;
	struct ep_preflight pf;
	struct ep_error err = EP_ERROR_INIT;

	setenv("EP_CUDA_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1", 1);
	toolkit("13.0");
	source_pool(&pool, NULL, 0);
	ep_preflight_init(&pf);
	CHECK_INT(ep_preflight_pool(&pf, &pool, NULL, &err), 0);
	CHECK(!pf.cuda);
	CHECK(pf.driver_version == NULL);
	CHECK_INT(pf.cmake_extra.n, 0);
	CHECK_CONTAINS(pf.findings, "gpu: none (CPU engine: devices: [])");
	ep_preflight_release(&pf);
}

/* Runs before main: the scratch directory, stand-ins and a private state directory. */
__attribute__((constructor)) static void setup(void)
{
	struct ep_buf d = EP_BUF_INIT;

	if (!mkdtemp(tmp))
		abort();
	ep_buf_addf(&d, "%s/bin", tmp);
	standins(d.ptr);
	ep_buf_reset(&d);
	ep_buf_addf(&d, "%s/state", tmp);
	setenv("EP_STATE_DIR", d.ptr, 1);
	unsetenv("CUDA_HOME");
	unsetenv("CUDA_PATH");
	setenv("EP_SYSROOT", tmp, 1); /* no /usr/local/cuda* here: only the stand-in toolkits */
	ep_buf_release(&d);
}

__attribute__((destructor)) static void teardown(void)
{
	ep_fs_remove_tree(tmp, NULL);
}

TESTS(T(real_no_driver_fails_before_any_tool), T(zero_devices), T(one_device_86),
      T(four_devices_mixed), T(missing_index), T(old_driver_new_toolkit),
      T(gpu_too_old_for_toolkit), T(config_names_architectures), T(host_compiler_too_new_for_nvcc),
      T(cpu_pool_gets_no_gpu_check))
