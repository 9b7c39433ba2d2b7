/*
 * PreparedEngine: what `ensure` prepared for a pool, exactly. The same
 * inputs give the same PreparedEngine (paths aside).
 */
#ifndef EP_PREPARED_H
#define EP_PREPARED_H

#include <stdbool.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/strvec.h"

struct ep_prepared {
	char *pool_id;
	char *replica_id; /* "r0" unless the caller says otherwise */
	enum ep_engine engine;
	enum ep_mode mode;
	char *engine_version; /* what the engine reports, e.g. "b7000 (de3ff81)" */
	char *build_ref;      /* full commit SHA (source), or NULL */
	char *engine_digest;  /* "sha256:..." of the binary, or the image digest */
	char *binary_path;    /* absolute, or NULL for containers */
	char *image_ref;      /* "image@sha256:...", or NULL */
	char *store_key;      /* the store entry's key, or NULL */
	char *model_path;     /* resolved model file, or NULL */
	char *host;	      /* "127.0.0.1" unless configured */
	uint16_t port;
	char *device_mask;	/* "0,1" for CUDA_VISIBLE_DEVICES; "" for a CPU engine */
	struct ep_strvec flags; /* normalized runtime flags */
};

void ep_prepared_init(struct ep_prepared *p);
void ep_prepared_release(struct ep_prepared *p);
/* A JSON object with every field above (null where absent), keys in a fixed order. */
int ep_prepared_to_json(struct ep_buf *out, const struct ep_prepared *p);
/* Readable "key: value" lines. */
int ep_prepared_to_text(struct ep_buf *out, const struct ep_prepared *p);

#endif
