/*
 * The Triton Inference Server provider: NVIDIA's image
 * (nvcr.io/nvidia/tritonserver), run as `tritonserver`. The flags below are
 * its common options with the spellings of `tritonserver --help`; its
 * boolean options take a value (`--strict-readiness=false`).
 *
 * Triton has no context-length flag: the context is a property of each model
 * (its config.pbtxt or its backend's settings), so the pool's ctx is not
 * passed; nor does it take a device count (the model's instance_group places
 * it on the visible GPUs). The model repository, HTTP address and HTTP port
 * come from the config.
 */
#include <stddef.h>

#include "ep/provider.h"
#include "providers.h"
#include "banned.h"

#define BOOL EP_NAMES("true", "false", "1", "0", "on", "off")

static const struct ep_flag_spec triton_flags[] = {
    {.name = "--allow-gpu-metrics", .takes_value = true, .allowed = BOOL},
    {.name = "--allow-grpc", .takes_value = true, .allowed = BOOL},
    {.name = "--allow-http", .takes_value = true, .allowed = BOOL},
    {.name = "--allow-metrics", .takes_value = true, .allowed = BOOL},
    {.name = "--backend-config", .takes_value = true, .repeatable = true},
    {.name = "--backend-directory", .takes_value = true},
    {.name = "--cache-config", .takes_value = true, .repeatable = true},
    {.name = "--cuda-memory-pool-byte-size", .takes_value = true, .repeatable = true},
    {.name = "--disable-auto-complete-config"},
    {.name = "--exit-on-error", .takes_value = true, .allowed = BOOL},
    {.name = "--exit-timeout-secs", .takes_value = true},
    {.name = "--grpc-port", .takes_value = true},
    {.name = "--http-address", .takes_value = true, .refused = "the listen address " CONFIG},
    {.name = "--http-port", .takes_value = true, .refused = "the port " CONFIG},
    {.name = "--http-thread-count", .takes_value = true},
    {.name = "--id", .takes_value = true},
    {.name = "--load-model", .takes_value = true, .repeatable = true},
    {.name = "--log-error", .takes_value = true, .allowed = BOOL},
    {.name = "--log-file", .takes_value = true},
    {.name = "--log-format", .takes_value = true, .allowed = EP_NAMES("default", "ISO8601")},
    {.name = "--log-info", .takes_value = true, .allowed = BOOL},
    {.name = "--log-verbose", .takes_value = true},
    {.name = "--log-warning", .takes_value = true, .allowed = BOOL},
    {.name = "--metrics-port", .takes_value = true},
    {.name = "--min-supported-compute-capability", .takes_value = true},
    {.name = "--model-control-mode",
     .takes_value = true,
     .allowed = EP_NAMES("none", "poll", "explicit")},
    {.name = "--model-load-thread-count", .takes_value = true},
    {.name = "--model-repository",
     .aliases = EP_NAMES("--model-store"),
     .takes_value = true,
     .refused = "the model repository " CONFIG},
    {.name = "--pinned-memory-pool-byte-size", .takes_value = true},
    {.name = "--rate-limit", .takes_value = true, .allowed = EP_NAMES("off", "execution_count")},
    {.name = "--repository-poll-secs", .takes_value = true},
    {.name = "--response-cache-byte-size", .takes_value = true},
    {.name = "--strict-model-config", .takes_value = true, .allowed = BOOL},
    {.name = "--strict-readiness", .takes_value = true, .allowed = BOOL},
    {.name = "--trace-config", .takes_value = true, .repeatable = true},
    {.name = NULL},
};

const struct ep_provider ep_provider__triton = {
    .engine = EP_ENGINE_TRITON,
    .name = "triton",
    .binary_name = "tritonserver",
    .flags = triton_flags,
    .removed = NULL,
    .ctx_flag = NULL,
    .devices_flag = NULL,
    .gpu_layers_flag = NULL,
    .model_flag = "--model-repository",
    .host_flag = "--http-address",
    .port_flag = "--http-port",
    .default_port = 8000,
    .health_path = "/v2/health/ready",
    .version_path = "/v2",
    .default_image = "nvcr.io/nvidia/tritonserver",
    .default_tag = "24.08-py3",
    .container_port = 8000,
    .model_mount = "/models",
    .model_name_flag = "",
    .ctx_note = "triton has no context-length flag: the context is set per model in its "
		"config.pbtxt or backend settings",
};
