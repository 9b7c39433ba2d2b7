/*
 * Flag normalization speed: normalize a typical llama.cpp pool's runtime and
 * CMake flags many times and print the time per pool (the plan of a
 * 1,000-pool config does both for each pool).
 */
#include <stdio.h>
#include <time.h>

#include "ep/flags.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const char *runtime[] = {
	    "--ngl", "35",	"-c",	"8192",	  "-fa",    "on",	   "--no_webui",
	    "-np",   "4",	"-cb",	"--lora", "a.gguf", "--threads=8", "--cache-type-k",
	    "q8_0",  "--jinja", "-ngl", "99"};
	static const char *cmake[] = {"-DLLAMA_CUBLAS=ON",
				      "-DLLAMA_CURL=OFF",
				      "-DCMAKE_CUDA_ARCHITECTURES=86;89",
				      "-DGGML_NATIVE=off",
				      "-D",
				      "GGML_CUDA_FA_ALL_QUANTS=1"};
	struct ep_strlist rl = {runtime, sizeof(runtime) / sizeof(runtime[0])};
	struct ep_strlist cl = {cmake, sizeof(cmake) / sizeof(cmake[0])};
	struct ep_error err = EP_ERROR_INIT;
	const int n = 20000;
	double t0, t1, t2;
	int i;

	t0 = now();
	for (i = 0; i < n; i++) {
		struct ep_strvec out = EP_STRVEC_INIT, warnings = EP_STRVEC_INIT;

		if (ep_flags_normalize_engine(&out, EP_ENGINE_LLAMACPP, &rl, false, 2, true, 4096,
					      &warnings, &err)) {
			fprintf(stderr, "bench_flags: %s\n", err.msg);
			return 1;
		}
		ep_strvec_release(&out);
		ep_strvec_release(&warnings);
	}
	t1 = now();
	for (i = 0; i < n; i++) {
		struct ep_strvec out = EP_STRVEC_INIT, warnings = EP_STRVEC_INIT;

		if (ep_flags_normalize_cmake(&out, &cl, true, NULL, &warnings, &err)) {
			fprintf(stderr, "bench_flags: %s\n", err.msg);
			return 1;
		}
		ep_strvec_release(&out);
		ep_strvec_release(&warnings);
	}
	t2 = now();
	printf("flags: runtime normalization (llama.cpp, %zu elements): %.1f us per pool\n", rl.n,
	       (t1 - t0) / n * 1e6);
	printf("flags: cmake normalization (%zu elements): %.1f us per pool\n", cl.n,
	       (t2 - t1) / n * 1e6);
	printf("flags: both, for 1,000 pools: %.1f ms\n", (t2 - t0) / n * 1000 * 1e3);
	return 0;
}
