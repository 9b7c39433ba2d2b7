/*
 * The Text Generation Inference provider: the official image
 * (ghcr.io/huggingface/text-generation-inference), whose entrypoint is
 * `text-generation-launcher`. The flags below are the launcher's common
 * options with the spellings of its own reference (`--help`).
 *
 * The device count becomes --num-shard and the pool's ctx --max-total-tokens
 * (the longest request, prompt plus generated tokens) unless the flags set
 * them; --max-input-tokens is left to the launcher's default, which derives it
 * from --max-total-tokens. The model, host and port come from the config; the
 * API key and hub token go in the environment, never on the command line.
 */
#include <stddef.h>

#include "ep/provider.h"
#include "providers.h"
#include "banned.h"

static const struct ep_flag_spec tgi_flags[] = {
    {.name = "--api-key", .takes_value = true, .refused = SECRET " as API_KEY"},
    {.name = "--cors-allow-origin", .takes_value = true, .repeatable = true},
    {.name = "--cuda-graphs", .takes_value = true},
    {.name = "--cuda-memory-fraction", .takes_value = true},
    {.name = "--disable-custom-kernels"},
    {.name = "--disable-grammar-support"},
    {.name = "--dtype", .takes_value = true, .allowed = EP_NAMES("float16", "bfloat16")},
    {.name = "--hostname", .takes_value = true, .refused = "the listen address " CONFIG},
    {.name = "--huggingface-hub-cache", .takes_value = true},
    {.name = "--json-output"},
    {.name = "--kv-cache-dtype", .takes_value = true},
    {.name = "--lora-adapters", .takes_value = true},
    {.name = "--max-batch-prefill-tokens", .takes_value = true},
    {.name = "--max-batch-size", .takes_value = true},
    {.name = "--max-batch-total-tokens", .takes_value = true},
    {.name = "--max-best-of", .takes_value = true},
    {.name = "--max-client-batch-size", .takes_value = true},
    {.name = "--max-concurrent-requests", .takes_value = true},
    {.name = "--max-input-tokens", .aliases = EP_NAMES("--max-input-length"), .takes_value = true},
    {.name = "--max-stop-sequences", .takes_value = true},
    {.name = "--max-top-n-tokens", .takes_value = true},
    {.name = "--max-total-tokens", .takes_value = true},
    {.name = "--max-waiting-tokens", .takes_value = true},
    {.name = "--model-id", .takes_value = true, .refused = "the model " CONFIG},
    {.name = "--num-shard", .takes_value = true},
    {.name = "--payload-limit", .takes_value = true},
    {.name = "--port",
     .aliases = EP_NAMES("-p"),
     .takes_value = true,
     .refused = "the port " CONFIG},
    {.name = "--quantize",
     .takes_value = true,
     .allowed = EP_NAMES("awq", "compressed-tensors", "eetq", "exl2", "gptq", "marlin",
			 "bitsandbytes", "bitsandbytes-nf4", "bitsandbytes-fp4", "fp8")},
    {.name = "--revision", .takes_value = true},
    {.name = "--rope-factor", .takes_value = true},
    {.name = "--rope-scaling", .takes_value = true, .allowed = EP_NAMES("linear", "dynamic")},
    {.name = "--sharded", .takes_value = true, .allowed = EP_NAMES("true", "false")},
    {.name = "--speculate", .takes_value = true},
    {.name = "--trust-remote-code"},
    {.name = "--validation-workers", .takes_value = true},
    {.name = "--waiting-served-ratio", .takes_value = true},
    {.name = NULL},
};

const struct ep_provider ep_provider__tgi = {
    .engine = EP_ENGINE_TGI,
    .name = "tgi",
    .binary_name = "text-generation-launcher",
    .flags = tgi_flags,
    .removed = NULL,
    .ctx_flag = "--max-total-tokens",
    .devices_flag = "--num-shard",
    .gpu_layers_flag = NULL,
    .model_flag = "--model-id",
    .host_flag = "--hostname",
    .port_flag = "--port",
    .default_port = 3000, /* the launcher's default; the image sets PORT=80 */
    .health_path = "/health",
    .version_path = "/info",
    .default_image = "ghcr.io/huggingface/text-generation-inference",
    .default_tag = "3.3.5",
    .container_port = 80,
    .model_mount = "/data",
    .model_name_flag = "--model-id",
    .ctx_note = NULL,
};
