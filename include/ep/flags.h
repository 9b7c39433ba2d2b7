/*
 * Flag normalization, per engine, table-driven, in one place.
 *
 * Runtime flags: aliases become one canonical spelling (`-ngl`, `--ngl`,
 * `--gpu-layers` -> `--n-gpu-layers`), `--foo_bar` means `--foo-bar`, a
 * repeated flag keeps its last value (with a warning), a flag the engine does
 * not know is an error that suggests the nearest known one, a removed flag is
 * an error naming its replacement, boolean flags take no value and valued
 * flags require one. The pool's `ctx` and `devices` become the matching flags
 * unless the flags already set them; a CPU engine (`devices: []`) gets
 * `--n-gpu-layers 0` and no other GPU-layer flag. The result is in canonical
 * order (by canonical flag name; repeatable flags keep their relative order),
 * so the same set of flags gives the same vector whatever order it was
 * written in.
 *
 * More rules: `--flag=value` is read as `--flag value`; a valued flag whose
 * next element is a flag the engine knows is missing its value (write
 * `--reverse-prompt=-c` for a value that looks like a flag); a boolean flag
 * and its negative form (`--ui`, `--no-ui`) are one flag, the last wins.
 * Flags the config provides are refused with an error naming the config key:
 * the model (`--model`, `--hf-repo`, `--model-id`, `--model-repository`
 * ...), the listen address (`--host`, `--hostname`, `--http-address`) and the
 * port (`--port`, `--http-port`); so are secrets on the command line
 * (`--api-key`, `--hf-token`: put them in provisioning.env) and flags that
 * make the engine print and exit (`--help`, `--version`, `--list-devices`).
 * The pool's devices become --tensor-parallel-size (vLLM) or --num-shard
 * (TGI); for llama.cpp they become CUDA_VISIBLE_DEVICES when the engine is
 * started, not a flag. The pool's ctx becomes --ctx-size (llama.cpp),
 * --max-model-len (vLLM) or --max-total-tokens (TGI); Triton has no such
 * flag (the provider's ctx_note says why).
 *
 * CMake flags (llama.cpp source builds): `LLAMA_CUBLAS*`/`LLAMA_CUDA` become
 * `-DGGML_CUDA=ON`, other renamed `LLAMA_*` options their `GGML_*` names,
 * `LLAMA_CURL` is dropped with a warning, `-DLLAMA_BUILD_SERVER=ON` and a
 * Release build type are always present, duplicates collapse (last wins),
 * and the order is canonical (sorted by variable name).
 *
 * CMake details: `-DNAME=VALUE`, `-DNAME:TYPE=VALUE` and `-D` `NAME=VALUE`
 * (two elements) are accepted, nothing else (the generator is
 * source.generator, not `-G`). Boolean words (on, true, yes, off, false, no)
 * become ON/OFF, and so do 1/0 for llama.cpp's boolean options and
 * `:BOOL` entries. A user's other build type or LLAMA_BUILD_SERVER=OFF is
 * replaced with a warning: the store key of a build must not vary with it.
 * A CPU pool that asks for -DGGML_CUDA=ON is an error.
 */
#ifndef EP_FLAGS_H
#define EP_FLAGS_H

#include <stdbool.h>

#include "ep/config.h"
#include "ep/strvec.h"

/*
 * Normalize `pool`'s runtime flags (provisioning.flags) for its engine into
 * `out` (flag and value as separate elements). Warnings (human sentences)
 * are appended to `warnings` when not NULL. Returns 0 or EP_ECONFIG with a
 * message naming the flag ("unknown flag '--ngpu' for llamacpp; did you mean
 * '--n-gpu-layers'?").
 */
int ep_flags_normalize_runtime(struct ep_strvec *out, const struct ep_pool *pool,
			       struct ep_strvec *warnings, struct ep_error *err);

/* The same for an explicit engine, list and pool facts (used by tests and the pool manager). */
int ep_flags_normalize_engine(struct ep_strvec *out, enum ep_engine engine,
			      const struct ep_strlist *flags, bool cpu, size_t n_devices,
			      bool has_ctx, uint32_t ctx, struct ep_strvec *warnings,
			      struct ep_error *err);

/*
 * Normalize CMake `-D` flags for a llama.cpp build. `gpu` says the pool has
 * GPUs: a GPU pool that names no GPU backend gets -DGGML_CUDA=ON; a CPU pool
 * gets -DGGML_CUDA=OFF unless another backend is named. *mapped_deprecated is
 * set when a deprecated CUDA option was mapped (the build must clear the
 * stale CMake cache).
 */
int ep_flags_normalize_cmake(struct ep_strvec *out, const struct ep_strlist *flags, bool gpu,
			     bool *mapped_deprecated, struct ep_strvec *warnings,
			     struct ep_error *err);

/* The value of -D<name>=... in a normalized CMake vector, or NULL. */
const char *ep_flags_cmake_get(const struct ep_strvec *cmake, const char *name);
/* Does the normalized CMake vector turn CUDA on? */
bool ep_flags_cmake_cuda(const struct ep_strvec *cmake);

#endif
