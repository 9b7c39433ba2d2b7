/*
 * The catalog: an embedded SQLite database (WAL, busy timeout, retries) at
 * <state>/catalog.db that records every prepared engine and every ensure
 * run. An engine row is written only after its store entry is durable.
 */
#ifndef EP_CATALOG_H
#define EP_CATALOG_H

#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"

struct ep_catalog;

struct ep_catalog_engine {
	const char *key;            /* store key, or image digest for containers */
	const char *engine;         /* "llamacpp" */
	const char *mode;           /* "source" */
	const char *engine_version;
	const char *build_ref;      /* may be NULL */
	const char *engine_digest;
	const char *location;       /* binary path or image ref */
	const char *inputs_json;    /* the resolved inputs, redacted */
};

struct ep_catalog_run {
	const char *pool_id;
	const char *key;     /* may be NULL when the run failed before a key was known */
	const char *digest;  /* may be NULL */
	const char *outcome; /* "built", "reused", "failed: <code>" */
	int64_t duration_ms;
};

int ep_catalog_open(struct ep_catalog **out, const char *state_dir, struct ep_error *err);
void ep_catalog_close(struct ep_catalog *cat);
int ep_catalog_put_engine(struct ep_catalog *cat, const struct ep_catalog_engine *e,
			  struct ep_error *err);
int ep_catalog_record_run(struct ep_catalog *cat, const struct ep_catalog_run *r,
			  struct ep_error *err);

#endif
