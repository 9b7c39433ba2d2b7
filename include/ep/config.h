/*
 * The pool config, in the wider system's schema (YAML or JSON, the same
 * keys). ep_config_load() reads and validates a whole file; every error it
 * finds names the file, line, column and key path and says what is allowed,
 * and all errors of a file are reported in one run. The parsed config lives
 * in one arena owned by `struct ep_config` and is freed at once.
 *
 * Optional scalars carry a `has_` flag so "absent" and "zero" differ.
 * Strings that are absent are NULL. Lists are (pointer, count).
 */
#ifndef EP_CONFIG_H
#define EP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"

enum ep_engine { EP_ENGINE_LLAMACPP, EP_ENGINE_VLLM, EP_ENGINE_TGI, EP_ENGINE_TRITON };
#define EP_ENGINE_COUNT 4

enum ep_mode {
	EP_MODE_SOURCE,
	EP_MODE_CONTAINER,
	EP_MODE_PACKAGE,
	EP_MODE_BINARY,
	EP_MODE_EXTERNAL
};
#define EP_MODE_COUNT 5

const char *ep_engine_name(enum ep_engine e);		 /* "llamacpp", "vllm", "tgi", "triton" */
const char *ep_mode_name(enum ep_mode m);		 /* "source", "container", ... */
int ep_engine_parse(enum ep_engine *out, const char *s); /* 0 or EP_ENOTFOUND */
int ep_mode_parse(enum ep_mode *out, const char *s);

/* Where a value stood in the file (1-based); 0 when it was not in the file. */
struct ep_pos {
	unsigned line;
	unsigned col;
};

struct ep_strlist {
	const char **v;
	size_t n;
};

struct ep_kv {
	const char *key;
	const char *value;
};

struct ep_source_cfg {
	const char *repo; /* URL, local path or bundle file */
	const char *ref;  /* tag, branch, short or full SHA */
	bool submodules;
	struct ep_strlist
	    cmake_flags;       /* as written; ep_flags_normalize_cmake() makes them canonical */
	const char *generator; /* NULL: Ninja when present, else Unix Makefiles */
	const char *cache_dir; /* NULL: under the state directory */
	struct ep_pos pos;
};

struct ep_container_cfg {
	const char *image;   /* e.g. "vllm/vllm-openai"; may carry "@sha256:..." */
	const char *tag;     /* NULL: the provider's pinned default */
	const char *runtime; /* "podman" | "docker" | NULL (podman, else docker) */
	struct ep_pos pos;
};

struct ep_package_cfg {
	const char *name;
	const char *version; /* optional */
	const char *repo;    /* optional */
	struct ep_pos pos;
};

struct ep_binary_cfg {
	const char *url;	 /* https, file: or a local path; http only to loopback */
	const char *checksum;	 /* "sha256:<64 hex>", required */
	const char *install_dir; /* optional */
	struct ep_pos pos;
};

struct ep_external_cfg {
	const char *path; /* an engine binary someone else manages */
	const char *url;  /* or a running engine's base URL */
	struct ep_pos pos;
};

struct ep_model_cfg {
	const char *ref;       /* local path, file: URL or hf:ORG/REPO/FILE */
	const char *cache_dir; /* base for relative paths and downloads */
	const char *checksum;  /* optional "sha256:..." */
	struct ep_pos pos;
};

struct ep_provisioning {
	enum ep_mode mode;
	bool allow_package_installs; /* default false */
	bool allow_binary_downloads; /* default false */
	bool has_source, has_container, has_package, has_binary, has_external, has_model;
	struct ep_source_cfg source;
	struct ep_container_cfg container;
	struct ep_package_cfg package;
	struct ep_binary_cfg binary;
	struct ep_external_cfg external;
	struct ep_model_cfg model;
	const char *host; /* NULL: 127.0.0.1 */
	uint16_t *ports;  /* the first is preferred; empty: the engine's default */
	size_t n_ports;
	struct ep_kv *env; /* passed to the engine only; values may be secrets */
	size_t n_env;
	struct ep_strlist flags;    /* engine runtime flags as written */
	uint32_t startup_timeout_s; /* health wait; 0: the default (120 s) */
	struct ep_pos pos;
};

struct ep_queue_cfg {
	bool has_capacity;
	uint32_t capacity;
	const char *full_policy; /* "reject" | "drop-lru" | "shed-low-priority" */
};

struct ep_priority_cfg {
	const char *name;
	bool has_queue_capacity, has_rate_limit_rps, has_weight;
	uint32_t queue_capacity, rate_limit_rps, weight;
};

struct ep_admission_cfg {
	struct ep_priority_cfg *priorities;
	size_t n_priorities;
};

struct ep_timeouts_cfg {
	bool has_wall_ms, has_idle_ms;
	uint64_t wall_ms, idle_ms;
};

struct ep_pool {
	const char *id; /* [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
	enum ep_engine engine;
	const char *model; /* the model id */
	const char *quant;
	bool has_ctx;
	uint32_t ctx;
	uint32_t *devices; /* GPU indices; n_devices == 0 means a CPU engine */
	size_t n_devices;
	double *tensor_split;
	size_t n_tensor_split;
	bool has_preload, preload;
	bool has_require_same_engine_version, require_same_engine_version;
	const char *sampler_profile_version;
	struct ep_provisioning provisioning;
	struct ep_queue_cfg queue;
	struct ep_admission_cfg admission;
	struct ep_timeouts_cfg timeouts;
	struct ep_pos pos;
	size_t index; /* position in pools[] */
};

struct ep_trust_policy_cfg {
	const char *mode; /* "strict" | "permissive" */
	struct ep_strlist allowed_registries;
	bool has_require_signature, require_signature;
	bool has_require_sbom, require_sbom;
	struct ep_strlist ca_roots;
};

struct ep_config {
	const char *path; /* as given ("-" for stdin) */
	struct ep_pool *pools;
	size_t n_pools;
	bool has_trust_policy;
	struct ep_trust_policy_cfg trust_policy; /* catalog.trust_policy */
	struct ep_config_arena *arena;		 /* owns every pointer above */
};

/* One problem found in a config. */
struct ep_config_diag {
	struct ep_pos pos;
	char *key_path; /* "pools[1].provisioning.source.ref" ("" for the document) */
	char *message;	/* what is wrong and what is allowed */
};

struct ep_config_diags {
	struct ep_config_diag *v;
	size_t n;
	size_t alloc;
};

#define EP_CONFIG_DIAGS_INIT \
	{                    \
		NULL, 0, 0   \
	}
void ep_config_diags_release(struct ep_config_diags *d);
/* "FILE:LINE:COL: KEY: MESSAGE" lines, one per diagnostic. */
int ep_config_diags_format(struct ep_buf *out, const char *path, const struct ep_config_diags *d);

/* Limits that bound memory on hostile input. */
#define EP_CONFIG_MAX_BYTES (16u * 1024 * 1024) /* 16 MiB */
#define EP_CONFIG_MAX_DEPTH 64
#define EP_CONFIG_MAX_POOLS 100000
#define EP_CONFIG_MAX_DIAGS 100

/*
 * Load and validate `path` ("-" reads stdin). On success *out holds the
 * config (free with ep_config_free). On failure returns EP_ECONFIG (or
 * EP_EIO / EP_ENOTFOUND / EP_ENOMEM), fills `diags` when given with every
 * problem found, and sets err's message to all of them, one per line.
 */
int ep_config_load(struct ep_config **out, const char *path, struct ep_config_diags *diags,
		   struct ep_error *err);
/* The same, from memory; `name` is used in messages. */
int ep_config_load_mem(struct ep_config **out, const char *name, const char *data, size_t len,
		       struct ep_config_diags *diags, struct ep_error *err);
void ep_config_free(struct ep_config *cfg);

/* The pool with this id, or NULL. */
const struct ep_pool *ep_config_find_pool(const struct ep_config *cfg, const char *id);
/* Is `id` a valid pool id ([A-Za-z0-9][A-Za-z0-9._-]{0,63})? */
bool ep_pool_id_is_valid(const char *id);
/* A CPU engine is asked for only with `devices: []`. */
bool ep_pool_is_cpu(const struct ep_pool *pool);

#endif
