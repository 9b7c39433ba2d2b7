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

int ep_model_resolve(struct ep_buf *path_out, const struct ep_pool *pool, const char *state_dir,
		     bool offline, struct ep_error *err);

#endif
