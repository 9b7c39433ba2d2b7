/*
 * GPU smoke check for hosts with an NVIDIA driver: prints what ep_gpu_detect()
 * finds (as JSON) and the architectures a build would target. Built and run
 * by tests/gpu/smoke.sh, which needs only a C compiler on the GPU host.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ep/cuda.h"
#include "ep/gpu.h"

int main(void)
{
	struct ep_gpu_info g;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf b = EP_BUF_INIT;
	uint32_t all[64];
	size_t i;

	ep_gpu_info_init(&g);
	if (ep_gpu_detect(&g, &err)) {
		fprintf(stderr, "detect: %s\n", err.msg);
		return 1;
	}
	ep_gpu_to_json(&b, &g);
	printf("%s\n", b.ptr);
#ifndef EP_SMOKE_NO_CUDA
	ep_buf_reset(&b);
	for (i = 0; i < g.n_devices && i < 64; i++)
		all[i] = (uint32_t)g.devices[i].index;
	ep_cuda_archs_for(&b, &g, all, i);
	printf("architectures: %s\n", b.ptr);
#endif
	ep_buf_release(&b);
	i = g.n_devices;
	ep_gpu_info_release(&g);
	return i ? 0 : 2;
}
