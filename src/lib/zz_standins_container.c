/*
 * STAND-INS, to be deleted at merge: weak definitions of functions that
 * other modules own (the provider table, config names), so the container
 * modules build and test on their own. The real definitions replace these.
 */
#include <stddef.h>

#include "ep/error.h"

#include "ep/config.h"
#include "ep/provider.h"
#include "banned.h"

__attribute__((weak)) const char *ep_engine_name(enum ep_engine e)
{
	static const char *const names[] = {"llamacpp", "vllm", "tgi", "triton"};

	return (unsigned)e < EP_ENGINE_COUNT ? names[e] : "unknown";
}

static const struct ep_flag_spec standin_flags[] = {{NULL, NULL, false, false, false, NULL}};

static const struct ep_provider standin_providers[] = {
    {EP_ENGINE_LLAMACPP, "llamacpp", "llama-server", standin_flags, NULL, "--ctx-size", NULL,
     "--n-gpu-layers", "--model", "--host", "--port", 8080, "/health", "/props",
     "ghcr.io/ggml-org/llama.cpp", "server-cuda-b7000", 8080, "/models"},
    {EP_ENGINE_VLLM, "vllm", NULL, standin_flags, NULL, "--max-model-len", "--tensor-parallel-size",
     NULL, "--model", "--host", "--port", 8000, "/health", "/version", "vllm/vllm-openai",
     "v0.11.0", 8000, "/models"},
    {EP_ENGINE_TGI, "tgi", NULL, standin_flags, NULL, "--max-total-tokens", "--num-shard", NULL,
     "--model-id", "--hostname", "--port", 8080, "/health", "/info",
     "ghcr.io/huggingface/text-generation-inference", "3.3.6", 80, "/data"},
    {EP_ENGINE_TRITON, "triton", "tritonserver", standin_flags, NULL, NULL, NULL, NULL,
     "--model-repository", "--http-address", "--http-port", 8000, "/v2/health/ready", "/v2",
     "nvcr.io/nvidia/tritonserver", "25.09-py3", 8000, "/models"},
};

__attribute__((weak)) const struct ep_provider *ep_provider_for(enum ep_engine engine)
{
	return (unsigned)engine < EP_ENGINE_COUNT ? &standin_providers[engine] : NULL;
}

__attribute__((weak)) int ep_engine_parse(enum ep_engine *out, const char *s)
{
	int e;

	for (e = 0; e < EP_ENGINE_COUNT; e++) {
		const char *n = ep_engine_name((enum ep_engine)e);
		size_t i;

		for (i = 0; n[i] && s[i] == n[i]; i++)
			;
		if (!n[i] && !s[i]) {
			*out = (enum ep_engine)e;
			return 0;
		}
	}
	return EP_ENOTFOUND;
}
