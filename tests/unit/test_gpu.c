/*
 * GPU detection and CUDA facts: the real loader with no driver on this
 * host, and the stand-in driver (tests/lib/fakecuda.c) loaded through
 * EP_CUDA_DRIVER_LIBRARY.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/cuda.h"
#include "ep/gpu.h"
#include "test.h"

#define FAKE EP_BINARY_DIR "/tests/lib/libfakecuda.so"

static void use_fake(const char *devices, const char *driver)
{
	setenv("EP_CUDA_DRIVER_LIBRARY", FAKE, 1);
	setenv("EP_NVML_LIBRARY", FAKE, 1);
	setenv("EP_FAKECUDA_DEVICES", devices, 1);
	setenv("EP_FAKECUDA_DRIVER", driver, 1);
	unsetenv("EP_FAKECUDA_INIT_ERROR");
}

TEST(real_loader_without_driver)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;

	unsetenv("EP_CUDA_DRIVER_LIBRARY");
	unsetenv("EP_NVML_LIBRARY");
	ep_gpu_info_init(&g);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	if (!g.driver_loaded) {
		CHECK_STR(g.library, "libcuda.so.1");
		CHECK_CONTAINS(g.load_error, "cannot load 'libcuda.so.1'");
		CHECK_INT(g.n_devices, 0);
	} else {
		fprintf(stderr, "note: this host has a CUDA driver (%zu devices)\n", g.n_devices);
	}
	ep_gpu_info_release(&g);
}

TEST(fake_two_devices)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf b = EP_BUF_INIT;
	char v[16];

	use_fake("8.6:24576:NVIDIA RTX A5000;9.0:81559:NVIDIA H100", "12040");
	setenv("EP_FAKECUDA_RELEASE", "550.54.14", 1);
	ep_gpu_info_init(&g);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	CHECK(g.driver_loaded);
	CHECK_INT(g.cuda_version, 12040);
	CHECK_STR(g.driver_release, "550.54.14");
	CHECK_INT(g.n_devices, 2);
	if (g.n_devices == 2) {
		CHECK_STR(g.devices[0].name, "NVIDIA RTX A5000");
		CHECK_INT(g.devices[0].mem_bytes >> 20, 24576);
		CHECK_INT(g.devices[0].cc_major, 8);
		CHECK_INT(g.devices[0].cc_minor, 6);
		CHECK_STR(g.devices[1].name, "NVIDIA H100");
		CHECK_INT(g.devices[1].cc_major, 9);
	}
	ep_gpu_cuda_version_str(v, sizeof(v), g.cuda_version);
	CHECK_STR(v, "12.4");
	ep_gpu_list_devices(&b, &g);
	CHECK_STR(b.ptr, "0 (NVIDIA RTX A5000), 1 (NVIDIA H100)");
	ep_buf_reset(&b);
	ep_gpu_to_json(&b, &g);
	CHECK_CONTAINS(b.ptr, "\"cuda_version\":\"12.4\"");
	CHECK_CONTAINS(b.ptr, "\"compute_capability\":\"9.0\"");
	CHECK_CONTAINS(b.ptr, "\"memory_mib\":81559");
	ep_buf_release(&b);
	ep_gpu_info_release(&g);
	unsetenv("EP_FAKECUDA_RELEASE");
}

TEST(fake_no_device_and_init_error)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;

	use_fake("", "13000");
	ep_gpu_info_init(&g);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	CHECK(g.driver_loaded);
	CHECK_INT(g.n_devices, 0);
	setenv("EP_FAKECUDA_INIT_ERROR", "999", 1);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	CHECK(!g.driver_loaded);
	CHECK_CONTAINS(g.load_error, "cuInit failed");
	CHECK_CONTAINS(g.load_error, "CUDA_ERROR_UNKNOWN (999)");
	ep_gpu_info_release(&g);
	unsetenv("EP_FAKECUDA_INIT_ERROR");
}

TEST(library_without_symbols)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;

	/* libcrypto is loaded but is not a CUDA driver */
	setenv("EP_CUDA_DRIVER_LIBRARY", "libcrypto.so.3", 1);
	ep_gpu_info_init(&g);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	CHECK(!g.driver_loaded);
	CHECK_CONTAINS(g.load_error, "lacks the symbol 'cuInit'");
	ep_gpu_info_release(&g);
}

TEST(arch_names)
{
	char n[16];

	ep_cuda_arch_name(n, sizeof(n), 8, 6);
	CHECK_STR(n, "86");
	ep_cuda_arch_name(n, sizeof(n), 9, 0);
	CHECK_STR(n, "90");
	ep_cuda_arch_name(n, sizeof(n), 12, 0);
	CHECK_STR(n, "120a");
	ep_cuda_arch_name(n, sizeof(n), 12, 1);
	CHECK_STR(n, "121a");
}

TEST(archs_sorted_unique)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf b = EP_BUF_INIT;
	uint32_t all[] = {3, 2, 1, 0}, two[] = {1, 2};

	use_fake("12.0:32607:NVIDIA RTX 5090;9.0:81559:NVIDIA H100;9.0:81559:NVIDIA H100;"
		 "8.6:24576:NVIDIA RTX A5000",
		 "13000");
	ep_gpu_info_init(&g);
	CHECK_INT(ep_gpu_detect(&g, &err), 0);
	CHECK_INT(g.n_devices, 4);
	ep_cuda_archs_for(&b, &g, all, 4);
	CHECK_STR(b.ptr, "86;90;120a");
	ep_buf_reset(&b);
	ep_cuda_archs_for(&b, &g, two, 2);
	CHECK_STR(b.ptr, "90");
	ep_buf_release(&b);
	ep_gpu_info_release(&g);
}

TEST(driver_compat)
{
	CHECK(ep_cuda_driver_supports(13000, 13, 0));
	CHECK(ep_cuda_driver_supports(13020, 13, 1));
	CHECK(ep_cuda_driver_supports(13000, 13, 2)); /* minor version compatibility */
	CHECK(!ep_cuda_driver_supports(12090, 13, 0));
	CHECK(ep_cuda_driver_supports(12020, 12, 8));
	CHECK(ep_cuda_driver_supports(13000, 12, 4));
	CHECK_STR(ep_cuda_min_driver_release(13), "580");
	CHECK_STR(ep_cuda_min_driver_release(12), "525");
	CHECK_INT(ep_cuda_min_cc(13), 75);
}

/* A stand-in engine whose --list-devices prints `body`. */
static void engine(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "#!/bin/sh\n[ \"$1\" = --list-devices ] || exit 9\n%s\n", body);
		fclose(f);
	}
	chmod(path, 0755);
}

TEST(engine_must_list_cuda)
{
	char dir[] = "/tmp/ep-engine.XXXXXX", path[256];
	struct ep_buf out = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/llama-server", dir);
	engine(path, "echo 'Available devices:'\necho '  (none)'");
	CHECK_INT(ep_gpu_engine_cuda_devices(&out, path, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "lists no CUDA device, so it would run on the CPU");
	CHECK_CONTAINS(err.msg, "(none)");
	engine(path, "echo 'ggml_cuda_init: found 1 CUDA devices:'\necho 'Available devices:'\n"
		     "echo '  CUDA0: NVIDIA H100 80GB HBM3 (81559 MiB, 80761 MiB free)'");
	CHECK_INT(ep_gpu_engine_cuda_devices(&out, path, NULL, &err), 0);
	CHECK_STR(out.ptr, "CUDA0: NVIDIA H100 80GB HBM3 (81559 MiB, 80761 MiB free)\n");
	engine(path, "echo 'error while loading shared libraries: libcudart.so.13' >&2\nexit 127");
	CHECK_INT(ep_gpu_engine_cuda_devices(&out, path, NULL, &err), EP_EGPU);
	CHECK_CONTAINS(err.msg, "exited with status 127:\nerror while loading shared libraries");
	unlink(path);
	rmdir(dir);
	ep_buf_release(&out);
}

TESTS(T(real_loader_without_driver), T(engine_must_list_cuda), T(fake_two_devices),
      T(fake_no_device_and_init_error), T(library_without_symbols), T(arch_names),
      T(archs_sorted_unique), T(driver_compat))
