/*
 * Reading the catalog: engine rows by key or prefix, the list of engines,
 * runs by key or pool, and a pool's current entry (its newest successful
 * run). Every row is copied out, so the caller owns what it gets.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_internal.h"
#include "banned.h"

#define ENGINE_COLS                                                                           \
	"key, engine, mode, engine_version, build_ref, engine_digest, location, inputs_json," \
	" created_at"
#define RUN_COLS "id, pool_id, key, digest, outcome, duration_ms, started_at"

/* A copy of column i, NULL for SQL NULL; *oom is set when the copy fails. */
static char *col(sqlite3_stmt *st, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (!t)
		return NULL;
	s = strdup((const char *)t);
	if (!s)
		*oom = true;
	return s;
}

void ep_catalog_engine_row_release(struct ep_catalog_engine_row *row)
{
	free(row->key);
	free(row->engine);
	free(row->mode);
	free(row->engine_version);
	free(row->build_ref);
	free(row->engine_digest);
	free(row->location);
	free(row->inputs_json);
	free(row->created_at);
	memset(row, 0, sizeof(*row));
}

void ep_catalog_engine_rows_release(struct ep_catalog_engine_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		ep_catalog_engine_row_release(&rows->v[i]);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

void ep_catalog_run_row_release(struct ep_catalog_run_row *row)
{
	free(row->pool_id);
	free(row->key);
	free(row->digest);
	free(row->outcome);
	free(row->started_at);
	memset(row, 0, sizeof(*row));
}

void ep_catalog_run_rows_release(struct ep_catalog_run_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		ep_catalog_run_row_release(&rows->v[i]);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

bool ep_catalog_outcome_is_success(const char *outcome)
{
	return outcome && *outcome && strncmp(outcome, "failed", 6);
}

static int engine_from(struct ep_catalog_engine_row *r, sqlite3_stmt *st)
{
	bool oom = false;

	r->key = col(st, 0, &oom);
	r->engine = col(st, 1, &oom);
	r->mode = col(st, 2, &oom);
	r->engine_version = col(st, 3, &oom);
	r->build_ref = col(st, 4, &oom);
	r->engine_digest = col(st, 5, &oom);
	r->location = col(st, 6, &oom);
	r->inputs_json = col(st, 7, &oom);
	r->created_at = col(st, 8, &oom);
	return oom ? EP_ENOMEM : 0;
}

static int run_from(struct ep_catalog_run_row *r, sqlite3_stmt *st)
{
	bool oom = false;

	r->id = sqlite3_column_int64(st, 0);
	r->pool_id = col(st, 1, &oom);
	r->key = col(st, 2, &oom);
	r->digest = col(st, 3, &oom);
	r->outcome = col(st, 4, &oom);
	r->duration_ms = sqlite3_column_int64(st, 5);
	r->started_at = col(st, 6, &oom);
	return oom ? EP_ENOMEM : 0;
}

/* Step through `st`, growing an array of `size`-byte rows filled by `fill`. */
static int collect(void **v, size_t *n, size_t size, int (*fill)(void *, sqlite3_stmt *),
		   struct ep_catalog *cat, sqlite3_stmt *st, struct ep_error *err)
{
	size_t alloc = 0;
	int rc;

	*v = NULL;
	*n = 0;
	while ((rc = ep_catalog__step(cat, st)) == SQLITE_ROW) {
		if (*n == alloc) {
			void *nv = realloc(*v, (alloc ? alloc * 2 : 8) * size);

			if (!nv)
				return ep_error_set(err, EP_ENOMEM, "out of memory");
			*v = nv;
			alloc = alloc ? alloc * 2 : 8;
		}
		memset((char *)*v + *n * size, 0, size);
		(*n)++;
		if (fill((char *)*v + (*n - 1) * size, st))
			return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return ep_catalog__fail(cat, rc, "read", err);
	return 0;
}

static int fill_engine(void *row, sqlite3_stmt *st)
{
	return engine_from(row, st);
}

static int fill_run(void *row, sqlite3_stmt *st)
{
	return run_from(row, st);
}

int ep_catalog_list_engines(struct ep_catalog_engine_rows *out, struct ep_catalog *cat,
			    struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	void *v = NULL;
	int rc = ep_catalog__prepare(
	    &st, cat, "SELECT " ENGINE_COLS " FROM engines ORDER BY created_at, key", err);

	out->v = NULL;
	out->n = 0;
	if (rc)
		return rc;
	rc = collect(&v, &out->n, sizeof(*out->v), fill_engine, cat, st, err);
	out->v = v;
	sqlite3_finalize(st);
	if (rc)
		ep_catalog_engine_rows_release(out);
	return rc;
}

int ep_catalog_get_engine(struct ep_catalog_engine_row *out, struct ep_catalog *cat,
			  const char *key, struct ep_error *err)
{
	struct ep_catalog_engine_rows rows = {NULL, 0};
	sqlite3_stmt *st = NULL;
	void *v = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ep_catalog__prepare(&st, cat,
				 "SELECT " ENGINE_COLS " FROM engines WHERE key = ?1 OR"
				 " (length(?1) >= 4 AND substr(key, 1, length(?1)) = ?1)"
				 " ORDER BY key = ?1 DESC, key LIMIT 3",
				 err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = collect(&v, &rows.n, sizeof(*rows.v), fill_engine, cat, st, err);
	rows.v = v;
	sqlite3_finalize(st);
	if (rc)
		goto out;
	if (rows.n == 0) {
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "no engine '%s' in the catalog; run 'engine-provisioner catalog "
				  "list' to see the keys",
				  key);
	} else if (rows.n > 1 && strcmp(rows.v[0].key, key)) {
		rc = ep_error_set(err, EP_EUSAGE,
				  "key prefix '%s' is ambiguous ('%s', '%s'); give more of the key",
				  key, rows.v[0].key, rows.v[1].key);
	} else {
		*out = rows.v[0];
		memset(&rows.v[0], 0, sizeof(rows.v[0]));
	}
out:
	ep_catalog_engine_rows_release(&rows);
	return rc;
}

int ep_catalog_list_runs(struct ep_catalog_run_rows *out, struct ep_catalog *cat, const char *key,
			 const char *pool_id, size_t limit, struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	void *v = NULL;
	int rc = ep_catalog__prepare(&st, cat,
				     "SELECT " RUN_COLS " FROM runs WHERE (?1 IS NULL OR key = ?1)"
				     " AND (?2 IS NULL OR pool_id = ?2) ORDER BY id DESC LIMIT ?3",
				     err);

	out->v = NULL;
	out->n = 0;
	if (rc)
		return rc;
	if (key)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (pool_id)
		sqlite3_bind_text(st, 2, pool_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	rc = collect(&v, &out->n, sizeof(*out->v), fill_run, cat, st, err);
	out->v = v;
	sqlite3_finalize(st);
	if (rc)
		ep_catalog_run_rows_release(out);
	return rc;
}

int ep_catalog_last_success(struct ep_catalog_run_row *out, struct ep_catalog *cat,
			    const char *pool_id, struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc =
	    ep_catalog__prepare(&st, cat,
				"SELECT " RUN_COLS " FROM runs WHERE pool_id = ?1 AND key IS NOT"
				" NULL AND outcome NOT LIKE 'failed%' ORDER BY id DESC LIMIT 1",
				err);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, pool_id, -1, SQLITE_STATIC);
	rc = ep_catalog__step(cat, st);
	if (rc == SQLITE_ROW) {
		rc = run_from(out, st);
		if (rc) {
			ep_catalog_run_row_release(out);
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		}
	} else if (rc == SQLITE_DONE) {
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "pool '%s' has no successful run in the catalog; run "
				  "'engine-provisioner ensure --pool %s' first",
				  pool_id, pool_id);
	} else {
		rc = ep_catalog__fail(cat, rc, "read the runs", err);
	}
	sqlite3_finalize(st);
	return rc;
}
