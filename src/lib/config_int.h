/*
 * Internals of the config loader, shared by config*.c only:
 *
 *  config_arena.c  the arena that owns a loaded config
 *  config_tree.c   YAML/JSON text -> a tree of nodes with positions
 *  config_diag.c   diagnostics: add, sort, format, nearest-key suggestions
 *  config_walk.c   typed reads of tree nodes (strings, numbers, lists)
 *  config_pool.c   the schema of one pool
 *  config_prov.c   the schema of a pool's provisioning section
 *  config.c        load, free and look-ups
 */
#ifndef EP_CONFIG_INT_H
#define EP_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/config.h"

/* More nodes than this in one document is refused (about 24 bytes each). */
#define EP_CONFIG__MAX_NODES 2000000u

/* The arena: bump allocation in chunks, everything freed at once. */
struct ep_config_arena *ep_config_arena__new(void);
void ep_config_arena__free(struct ep_config_arena *a);
/* Zeroed memory, or NULL when out of memory. */
void *ep_config_arena__alloc(struct ep_config_arena *a, size_t size);
/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *ep_config_arena__strndup(struct ep_config_arena *a, const char *s, size_t n);

enum ep_cnode_kind { EP_CNODE_SCALAR, EP_CNODE_MAP, EP_CNODE_SEQ };

/*
 * A node of the document. Scalars keep their text (NUL-terminated; `n` is
 * its length, which may include NUL bytes written as escapes) and whether
 * they were plain (unquoted: numbers, booleans and null are plain).
 * A map holds n pairs: items[2i] is a key, items[2i+1] its value.
 */
struct ep_cnode {
	uint8_t kind;
	bool plain;
	struct ep_pos pos;
	uint32_t n;
	union {
		const char *str;
		struct ep_cnode **items;
	} u;
};

/* The state of one load: where diagnostics go and the key path being walked. */
struct ep_config_ctx {
	const char *name;
	struct ep_config_arena *arena;
	struct ep_config_diags *diags;
	struct ep_buf path;
	bool nomem;	/* an allocation failed: the load fails with EP_ENOMEM */
	bool truncated; /* EP_CONFIG_MAX_DIAGS were reached */
};

/* Parse `data` into a tree; NULL (with a diagnostic) when it cannot be read. */
struct ep_cnode *ep_config_tree__parse(struct ep_config_ctx *c, const char *data, size_t len);

/* Record a problem at `pos` under the current key path. */
void ep_config__diag(struct ep_config_ctx *c, struct ep_pos pos, const char *fmt, ...)
    EP_PRINTF(3, 4);
/* The same with an explicit key path. */
void ep_config__diag_key(struct ep_config_ctx *c, struct ep_pos pos, const char *key,
			 const char *fmt, ...) EP_PRINTF(4, 5);
/* Sort by position (document-level problems last). */
void ep_config__diags_sort(struct ep_config_diags *d);
/* The choice nearest to `s` by edit distance, or NULL when none is close. */
const char *ep_config__nearest(const char *s, const char *const *choices);
/* "a, b or c" for the diagnostics. */
void ep_config__join_choices(struct ep_buf *out, const char *const *choices);

/* Key path helpers: push returns a mark that pop restores. */
size_t ep_config__push_key(struct ep_config_ctx *c, const char *key);
size_t ep_config__push_index(struct ep_config_ctx *c, size_t i);
void ep_config__pop(struct ep_config_ctx *c, size_t mark);

/* Flags of typed reads. */
#define EP_CFG_REQUIRED 1u /* absent is an error */
#define EP_CFG_NO_DASH	2u /* a value beginning with '-' is refused */

bool ep_config__is_null(const struct ep_cnode *n);
/* "a mapping", "a list", "a number", "true/false", "null", "a string" */
const char *ep_config__kind_name(const struct ep_cnode *n);
/* The value under `key` in `map` (the first one), or NULL. Null values count as absent. */
const struct ep_cnode *ep_config__field(const struct ep_cnode *map, const char *key);
/*
 * Check that `n` is a mapping whose keys are among `keys` and unique;
 * diagnoses each unknown or repeated key. False when `n` is not a mapping.
 */
bool ep_config__check_map(struct ep_config_ctx *c, const struct ep_cnode *n,
			  const char *const *keys);
/* Is `map` present (non-NULL) but missing required `key`? Diagnoses it. */
void ep_config__missing(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
			const char *what);

/* Typed reads of the node itself, under the current key path. */
bool ep_config__as_str(struct ep_config_ctx *c, const struct ep_cnode *n, unsigned flags,
		       const char **out);
bool ep_config__as_uint(struct ep_config_ctx *c, const struct ep_cnode *n, uint64_t min,
			uint64_t max, uint64_t *out);
/* Typed reads of map[key]; false when absent (diagnosed if required) or wrong. */
bool ep_config__str(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		    unsigned flags, const char **out);
bool ep_config__enum(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     const char *const *choices, const char **out);
bool ep_config__bool(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     bool *out);
bool ep_config__uint(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     uint64_t min, uint64_t max, uint64_t *out);
bool ep_config__strlist(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
			unsigned flags, struct ep_strlist *out);
/* map[key] must be a list: returns it (diagnosed and NULL when it is something else). */
const struct ep_cnode *ep_config__list(struct ep_config_ctx *c, const struct ep_cnode *map,
				       const char *key);
/* Is `s` "sha256:" and 64 hex digits? */
bool ep_config__is_sha256(const char *s);

/* Walk one pool / its provisioning section (the current key path names the node). */
void ep_config_pool__walk(struct ep_config_ctx *c, const struct ep_cnode *n, struct ep_pool *p);
void ep_config_prov__walk(struct ep_config_ctx *c, const struct ep_cnode *n,
			  struct ep_provisioning *p);

#endif
