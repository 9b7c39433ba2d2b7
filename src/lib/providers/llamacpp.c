/*
 * The llama.cpp provider: `llama-server` built from source, downloaded or
 * installed. Its flag table is generated from the pinned `llama-server --help`
 * (tests/fixtures/llama-server-help.txt) by scripts/gen-llamacpp-flags.py, and
 * tests/unit/test_flags.c checks that the two agree.
 *
 * The pool's model, host and port come from the config (model, provisioning.host,
 * provisioning.ports), so --model, --host, --port and the other ways of naming a
 * model (--hf-repo, --model-url, ...) are refused in provisioning.flags; so are
 * secrets on the command line (--api-key, --hf-token) and flags that make the
 * server print and exit (--help, --version, --list-devices, ...).
 */
#include <stddef.h>

#include "ep/provider.h"
#include "providers.h"

#include "llamacpp_flags.inc"
#include "banned.h"

const struct ep_provider ep_provider__llamacpp = {
    .engine = EP_ENGINE_LLAMACPP,
    .name = "llamacpp",
    .binary_name = "llama-server",
    .flags = llamacpp_flags,
    .removed = llamacpp_removed,
    .ctx_flag = "--ctx-size",
    .devices_flag = NULL, /* devices become CUDA_VISIBLE_DEVICES at spawn */
    .gpu_layers_flag = "--n-gpu-layers",
    .model_flag = "--model",
    .host_flag = "--host",
    .port_flag = "--port",
    .default_port = 8080,
    .health_path = "/health",
    .version_path = "/props",
    .default_image = "ghcr.io/ggml-org/llama.cpp", /* the project's own server images */
    .default_tag = "server-cuda-b7000",
    .default_cpu_tag = "server-b7000",
    .container_port = 8080,
    .model_mount = "/models",
    .model_name_flag = NULL,
    .ctx_note = NULL,
};
