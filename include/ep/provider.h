/*
 * Providers: what the product knows of each engine, behind one table.
 * llama.cpp is always built in; vLLM, TGI and Triton can each be left out
 * with a CMake option (EP_PROVIDER_VLLM, ...), and then
 * ep_provider_for() returns NULL for them.
 */
#ifndef EP_PROVIDER_H
#define EP_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "ep/config.h"

/* One known runtime flag of an engine. */
struct ep_flag_spec {
	const char *name;	    /* canonical spelling, e.g. "--n-gpu-layers" */
	const char *const *aliases; /* NULL-terminated, may be NULL */
	bool takes_value;
	bool repeatable;	    /* may appear several times (values accumulate) */
	bool gpu_layers;	    /* a GPU-layer flag (dropped for CPU engines) */
	const char *const *allowed; /* NULL-terminated allowed values, or NULL for any */
	/* Negative spellings of a boolean flag ("--no-perf"); the first is canonical. */
	const char *const *negatives;
	/* Spellings the engine does not accept that we translate ("--ngl"). */
	const char *const *extra_aliases;
	bool two_values;     /* takes two values ("START END") */
	const char *refused; /* not allowed in a pool's flags: why, and what to do */
};

/* A flag the engine removed: an error naming what replaced it. */
struct ep_flag_removed {
	const char *name;
	const char *replacement; /* human text: "use --spec-draft-n-max" */
};

struct ep_provider {
	enum ep_engine engine;
	const char *name;		  /* "llamacpp" */
	const char *binary_name;	  /* "llama-server", or NULL when only run as a container */
	const struct ep_flag_spec *flags; /* terminated by a {NULL} entry */
	const struct ep_flag_removed *removed; /* terminated by {NULL}; may be NULL */
	const char *ctx_flag;		       /* canonical flag for the pool's ctx, or NULL */
	const char *devices_flag; /* flag that takes the device count (tensor parallel), or NULL */
	const char *gpu_layers_flag; /* canonical GPU-layers flag (llama.cpp), or NULL */
	const char *model_flag;	     /* "--model" */
	const char *host_flag;	     /* "--host" */
	const char *port_flag;	     /* "--port" */
	int default_port;	     /* the engine's own default port */
	const char *health_path;     /* "/health" */
	const char *version_path;    /* "/props", "/version", "/info" ... */
	const char *default_image;   /* container image, or NULL */
	const char *default_tag;     /* pinned default tag, or NULL */
	const char
	    *default_cpu_tag;	 /* the same for a CPU pool (devices: []), or NULL: default_tag */
	int container_port;	 /* port inside the container, or 0 */
	const char *model_mount; /* where the model directory is mounted, or NULL */
	/*
	 * A container engine that fetches a model by name (a Hugging Face id)
	 * itself: the flag that takes the name; "" when the name needs no flag
	 * (Triton: the pool's flags name the repository); NULL when the model
	 * must be a local file.
	 */
	const char *model_name_flag;
	/* What the engine does with the pool's ctx when ctx_flag is NULL (documentation). */
	const char *ctx_note;
};

/* Find a spelling in a provider's table (canonical, alias, negative or extra alias). */
const struct ep_flag_spec *ep_provider_find_flag(const struct ep_provider *p, const char *spelling,
						 bool *negative);

/* The provider for an engine, or NULL when it was left out of this build. */
const struct ep_provider *ep_provider_for(enum ep_engine engine);

#endif
