/*
 * The vLLM provider: the official OpenAI-compatible server image
 * (vllm/vllm-openai), whose entrypoint is the API server and takes the
 * engine arguments of `vllm serve`. The flags below are the common ones, with
 * the spellings and short aliases of vLLM's own engine-argument reference.
 *
 * The device count becomes --tensor-parallel-size and the pool's ctx
 * --max-model-len unless the flags set them. The model, host and port come
 * from the config; the API key goes in the environment (VLLM_API_KEY), never
 * on the command line.
 */
#include <stddef.h>

#include "ep/provider.h"
#include "providers.h"
#include "banned.h"

static const struct ep_flag_spec vllm_flags[] = {
    {.name = "--api-key", .takes_value = true, .refused = SECRET " as VLLM_API_KEY"},
    {.name = "--block-size", .takes_value = true},
    {.name = "--chat-template", .takes_value = true},
    {.name = "--cpu-offload-gb", .takes_value = true},
    {.name = "--data-parallel-size", .aliases = EP_NAMES("-dp"), .takes_value = true},
    {.name = "--disable-log-requests"},
    {.name = "--disable-log-stats"},
    {.name = "--distributed-executor-backend",
     .takes_value = true,
     .allowed = EP_NAMES("ray", "mp", "uni", "external_launcher")},
    {.name = "--download-dir", .takes_value = true},
    {.name = "--dtype",
     .takes_value = true,
     .allowed = EP_NAMES("auto", "half", "float16", "bfloat16", "float", "float32")},
    {.name = "--enable-auto-tool-choice"},
    {.name = "--enable-chunked-prefill"},
    {.name = "--enable-lora"},
    {.name = "--enable-prefix-caching", .negatives = EP_NAMES("--no-enable-prefix-caching")},
    {.name = "--enforce-eager"},
    {.name = "--generation-config", .takes_value = true},
    {.name = "--gpu-memory-utilization", .takes_value = true},
    {.name = "--host", .takes_value = true, .refused = "the listen address " CONFIG},
    {.name = "--kv-cache-dtype", .takes_value = true},
    {.name = "--limit-mm-per-prompt", .takes_value = true},
    {.name = "--load-format", .takes_value = true},
    {.name = "--lora-modules", .takes_value = true, .repeatable = true},
    {.name = "--max-logprobs", .takes_value = true},
    {.name = "--max-lora-rank", .takes_value = true},
    {.name = "--max-loras", .takes_value = true},
    {.name = "--max-model-len", .takes_value = true},
    {.name = "--max-num-batched-tokens", .takes_value = true},
    {.name = "--max-num-seqs", .takes_value = true},
    {.name = "--model", .takes_value = true, .refused = "the model " CONFIG},
    {.name = "--pipeline-parallel-size", .aliases = EP_NAMES("-pp"), .takes_value = true},
    {.name = "--port", .takes_value = true, .refused = "the port " CONFIG},
    {.name = "--quantization", .aliases = EP_NAMES("-q"), .takes_value = true},
    {.name = "--reasoning-parser", .takes_value = true},
    {.name = "--revision", .takes_value = true},
    {.name = "--seed", .takes_value = true},
    {.name = "--served-model-name", .takes_value = true},
    {.name = "--swap-space", .takes_value = true},
    {.name = "--tensor-parallel-size", .aliases = EP_NAMES("-tp"), .takes_value = true},
    {.name = "--tokenizer", .takes_value = true},
    {.name = "--tokenizer-mode", .takes_value = true},
    {.name = "--tool-call-parser", .takes_value = true},
    {.name = "--trust-remote-code"},
    {.name = "--uvicorn-log-level",
     .takes_value = true,
     .allowed = EP_NAMES("debug", "info", "warning", "error", "critical", "trace")},
    {.name = NULL},
};

const struct ep_provider ep_provider__vllm = {
    .engine = EP_ENGINE_VLLM,
    .name = "vllm",
    .binary_name = NULL, /* run as the image's entrypoint (`vllm serve`) */
    .flags = vllm_flags,
    .removed = NULL,
    .ctx_flag = "--max-model-len",
    .devices_flag = "--tensor-parallel-size",
    .gpu_layers_flag = NULL,
    .model_flag = "--model",
    .host_flag = "--host",
    .port_flag = "--port",
    .default_port = 8000,
    .health_path = "/health",
    .version_path = "/version",
    .default_image = "docker.io/vllm/vllm-openai",
    .default_tag = "v0.8.5",
    .container_port = 8000,
    .model_mount = "/models",
    .model_name_flag = "--model",
    .ctx_note = NULL,
};
