/*
 * Model resolution: turn a pool's model reference into a local file. In the
 * wider system a separate model provisioner owns this; here it is one small
 * interface. References: absolute paths, paths relative to the model cache
 * directory, `file:` URLs, and `hf:ORG/REPO/FILE` through the `hf` or
 * `huggingface-cli` tool. `model.checksum` is verified when given.
 */
#ifndef EP_MODEL_H
#define EP_MODEL_H

#include <stdbool.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/error.h"

/* The reference a pool resolves: provisioning.model.ref, else the pool's `model`. */
const char *ep_model_ref(const struct ep_pool *pool);

/*
 * Resolve the pool's model reference to an absolute local path in
 * `path_out` (a regular file or a directory):
 *
 *   /abs/path             used as is
 *   rel/path              <base>/rel/path
 *   file:///abs/path      the local file (percent-escapes decoded)
 *   hf:ORG/REPO/FILE      <base>/hf/ORG/REPO/FILE, fetched with
 *                         `hf download ORG/REPO FILE --local-dir DIR` (or
 *                         huggingface-cli) when absent; with `offline`
 *                         only a file already there is used
 *
 * where <base> is provisioning.model.cache_dir, else <state>/models. When
 * model.checksum ("sha256:<hex>") is given, the file must match it
 * (EP_EVERIFY naming the path, the expected and the actual digest; a
 * fetched file that does not match is deleted). Errors: EP_ENOTFOUND (no
 * such file), EP_ECONFIG (a malformed reference or checksum), EP_EUNSAFE
 * (a reference that would become an option or leave its directory),
 * EP_EPREFLIGHT (no hf tool installed), EP_EFETCH (the fetch failed or
 * offline forbids it).
 */
int ep_model_resolve(struct ep_buf *path_out, const struct ep_pool *pool, const char *state_dir,
		     bool offline, struct ep_error *err);

/*
 * The model name the engine fetches itself, or NULL: a container pool whose
 * engine takes a model by name (vLLM, TGI: a Hugging Face id such as
 * "Qwen/Qwen2.5-0.5B-Instruct"; Triton: a model of its repository) and whose
 * reference is a bare name (not hf:, file: or a path starting with '/' or
 * '.') without a checksum. Ensure uses a file of that name under the model
 * cache when there is one, and otherwise leaves the name to the engine.
 */
const char *ep_model_engine_name(const struct ep_pool *pool);

#endif
