/*
 * The catalog: an embedded SQLite database (WAL, busy timeout, retries) at
 * <state>/catalog.db that records every prepared engine and every ensure
 * run. An engine row is written only after its store entry is durable.
 */
#ifndef EP_CATALOG_H
#define EP_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/error.h"

struct ep_catalog;

struct ep_catalog_engine {
	const char *key;    /* store key, or image digest for containers */
	const char *engine; /* "llamacpp" */
	const char *mode;   /* "source" */
	const char *engine_version;
	const char *build_ref; /* may be NULL */
	const char *engine_digest;
	const char *location;	 /* binary path or image ref */
	const char *inputs_json; /* the resolved inputs, redacted */
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

/*
 * Reading the catalog (owned copies; release them). Times are UTC,
 * "YYYY-mm-ddTHH:MM:SS.mmmZ".
 */
struct ep_catalog_engine_row {
	char *key;
	char *engine;
	char *mode;
	char *engine_version;
	char *build_ref; /* NULL when absent */
	char *engine_digest;
	char *location;
	char *inputs_json; /* NULL when absent */
	char *created_at;
};

struct ep_catalog_engine_rows {
	struct ep_catalog_engine_row *v;
	size_t n;
};

struct ep_catalog_run_row {
	int64_t id;
	char *pool_id;
	char *key;    /* NULL when absent */
	char *digest; /* NULL when absent */
	char *outcome;
	int64_t duration_ms;
	char *started_at;
};

struct ep_catalog_run_rows {
	struct ep_catalog_run_row *v;
	size_t n;
};

void ep_catalog_engine_row_release(struct ep_catalog_engine_row *row);
void ep_catalog_engine_rows_release(struct ep_catalog_engine_rows *rows);
void ep_catalog_run_row_release(struct ep_catalog_run_row *row);
void ep_catalog_run_rows_release(struct ep_catalog_run_rows *rows);

/* Is `outcome` a successful run ("built", "reused", ...: anything not "failed...")? */
bool ep_catalog_outcome_is_success(const char *outcome);

/*
 * The engine with `key`, or the only one whose key starts with `key` (at
 * least 4 characters). EP_ENOTFOUND when none; EP_EUSAGE when the prefix is
 * ambiguous.
 */
int ep_catalog_get_engine(struct ep_catalog_engine_row *out, struct ep_catalog *cat,
			  const char *key, struct ep_error *err);
/* Every engine, oldest first. */
int ep_catalog_list_engines(struct ep_catalog_engine_rows *out, struct ep_catalog *cat,
			    struct ep_error *err);
/* Remove the engine row `key` (no error when absent). */
int ep_catalog_delete_engine(struct ep_catalog *cat, const char *key, struct ep_error *err);

/*
 * Runs, newest first, filtered by `key` and/or `pool_id` when not NULL; at
 * most `limit` (0: all).
 */
int ep_catalog_list_runs(struct ep_catalog_run_rows *out, struct ep_catalog *cat, const char *key,
			 const char *pool_id, size_t limit, struct ep_error *err);
/*
 * The newest successful run of `pool_id` that recorded a key: the pool's
 * current entry. EP_ENOTFOUND when the pool never succeeded.
 */
int ep_catalog_last_success(struct ep_catalog_run_row *out, struct ep_catalog *cat,
			    const char *pool_id, struct ep_error *err);

/* PRAGMA integrity_check: 0 when "ok", else EP_ECATALOG with what it found. */
int ep_catalog_check(struct ep_catalog *cat, struct ep_error *err);

/* The database's path (<state>/catalog.db). */
const char *ep_catalog_path(const struct ep_catalog *cat);

#endif
