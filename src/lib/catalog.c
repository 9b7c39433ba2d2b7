/*
 * The catalog: SQLite in WAL mode at <state>/catalog.db. Every statement
 * runs under a busy timeout, and a retry loop covers the SQLITE_BUSY that
 * the busy handler cannot (lock upgrades, WAL recovery). Writes take the
 * write lock up front (BEGIN IMMEDIATE) so two writers never deadlock.
 * The schema is versioned with PRAGMA user_version and created on first
 * open.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "catalog_internal.h"
#include "banned.h"

#define SCHEMA_VERSION	1
#define BUSY_TIMEOUT_MS 10000
#define BUSY_RETRIES	100

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS engines ("
				 " key TEXT PRIMARY KEY NOT NULL,"
				 " engine TEXT NOT NULL,"
				 " mode TEXT NOT NULL,"
				 " engine_version TEXT NOT NULL,"
				 " build_ref TEXT,"
				 " engine_digest TEXT NOT NULL,"
				 " location TEXT NOT NULL,"
				 " inputs_json TEXT,"
				 " created_at TEXT NOT NULL);"
				 "CREATE TABLE IF NOT EXISTS runs ("
				 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
				 " pool_id TEXT NOT NULL,"
				 " key TEXT,"
				 " digest TEXT,"
				 " outcome TEXT NOT NULL,"
				 " duration_ms INTEGER NOT NULL,"
				 " started_at TEXT NOT NULL);"
				 "CREATE INDEX IF NOT EXISTS runs_pool ON runs(pool_id, id);"
				 "CREATE INDEX IF NOT EXISTS runs_key ON runs(key, id);"
				 "PRAGMA user_version = 1;";

/* Sleep a little longer on each retry (1 ms .. 50 ms), so writers spread out. */
static void backoff(int attempt)
{
	struct timespec ts = {0, 0};
	long ms = attempt < 6 ? 1L << attempt : 50;

	ts.tv_nsec = (ms + (long)(getpid() % 7)) * 1000000L;
	nanosleep(&ts, NULL);
}

static bool is_busy(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int ep_catalog__fail(struct ep_catalog *cat, int rc, const char *what, struct ep_error *err)
{
	ep_error_set(err, EP_ECATALOG, "catalog '%s': cannot %s: %s", cat->path, what,
		     cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(rc));
	return EP_ECATALOG;
}

/* Run SQL text with no results, retrying while the database is busy. */
int ep_catalog__exec(struct ep_catalog *cat, const char *sql, const char *what,
		     struct ep_error *err)
{
	int rc, attempt;

	for (attempt = 0; attempt < BUSY_RETRIES; attempt++) {
		rc = sqlite3_exec(cat->db, sql, NULL, NULL, NULL);
		if (!is_busy(rc))
			break;
		backoff(attempt);
	}
	if (rc != SQLITE_OK)
		return ep_catalog__fail(cat, rc, what, err);
	return 0;
}

int ep_catalog__prepare(sqlite3_stmt **out, struct ep_catalog *cat, const char *sql,
			struct ep_error *err)
{
	int rc, attempt;

	for (attempt = 0; attempt < BUSY_RETRIES; attempt++) {
		rc = sqlite3_prepare_v2(cat->db, sql, -1, out, NULL);
		if (!is_busy(rc))
			break;
		backoff(attempt);
	}
	if (rc != SQLITE_OK)
		return ep_catalog__fail(cat, rc, "prepare a statement", err);
	return 0;
}

/* Step, retrying while busy (a reset statement may be stepped again). */
int ep_catalog__step(struct ep_catalog *cat, sqlite3_stmt *st)
{
	int rc, attempt;

	(void)cat;
	for (attempt = 0; attempt < BUSY_RETRIES; attempt++) {
		rc = sqlite3_step(st);
		if (!is_busy(rc))
			return rc;
		sqlite3_reset(st);
		backoff(attempt);
	}
	return rc;
}

/* Create or check the schema; a newer schema than ours is refused. */
static int migrate(struct ep_catalog *cat, struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, version;

	rc = ep_catalog__prepare(&st, cat, "PRAGMA user_version", err);
	if (rc)
		return rc;
	rc = ep_catalog__step(cat, st);
	version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (version < 0)
		return ep_catalog__fail(cat, rc, "read the schema version", err);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version > SCHEMA_VERSION)
		return ep_error_set(err, EP_ECATALOG,
				    "catalog '%s' has schema version %d, newer than this version "
				    "knows (%d); use a newer engine-provisioner",
				    cat->path, version, SCHEMA_VERSION);
	rc = ep_catalog__exec(cat, "BEGIN IMMEDIATE", "begin a transaction", err);
	if (rc)
		return rc;
	rc = ep_catalog__exec(cat, schema_sql, "create the schema", err);
	if (rc) {
		sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return ep_catalog__exec(cat, "COMMIT", "commit the schema", err);
}

int ep_catalog_open(struct ep_catalog **out, const char *state_dir, struct ep_error *err)
{
	struct ep_catalog *cat;
	struct ep_buf path = EP_BUF_INIT;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	*out = NULL;
	rc = ep_fs_mkdirs(state_dir, 0755, err);
	if (rc)
		return rc;
	cat = calloc(1, sizeof(*cat));
	if (!cat || ep_buf_addf(&path, "%s/catalog.db", state_dir)) {
		free(cat);
		ep_buf_release(&path);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	cat->path = ep_buf_detach(&path, NULL);
	rc = sqlite3_open_v2(cat->path, &cat->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = ep_catalog__fail(cat, rc, "open", err);
		goto fail;
	}
	/* SQLite opens the database, its WAL and shm with O_CLOEXEC (test_catalog checks) */
	sqlite3_busy_timeout(cat->db, BUSY_TIMEOUT_MS);
	/*
	 * Closing would checkpoint the WAL and fsync the database: ~20 ms that a
	 * no-op ensure cannot afford. The WAL is checkpointed as it grows instead
	 * (every 1000 pages), and the next opener recovers it after a crash.
	 */
	sqlite3_db_config(cat->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	rc = ep_catalog__exec(cat, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
			      "switch to WAL mode", err);
	if (!rc)
		rc = migrate(cat, err);
	if (rc)
		goto fail;
	*out = cat;
	return 0;
fail:
	ep_catalog_close(cat);
	return rc;
}

void ep_catalog_close(struct ep_catalog *cat)
{
	if (!cat)
		return;
	sqlite3_close_v2(cat->db);
	free(cat->path);
	free(cat);
}

const char *ep_catalog_path(const struct ep_catalog *cat)
{
	return cat->path;
}

/* "YYYY-mm-ddTHH:MM:SS.mmmZ" for a wall-clock time in milliseconds. */
void ep_catalog__format_time(char out[32], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char day[24];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", day, (int)(ms % 1000));
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Run one prepared write statement inside BEGIN IMMEDIATE ... COMMIT. */
int ep_catalog__write(struct ep_catalog *cat, sqlite3_stmt *st, const char *what,
		      struct ep_error *err)
{
	int rc = ep_catalog__exec(cat, "BEGIN IMMEDIATE", "begin a transaction", err);

	if (rc)
		return rc;
	rc = ep_catalog__step(cat, st);
	if (rc != SQLITE_DONE) {
		ep_catalog__fail(cat, rc, what, err);
		sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
		return EP_ECATALOG;
	}
	return ep_catalog__exec(cat, "COMMIT", "commit", err);
}

int ep_catalog_put_engine(struct ep_catalog *cat, const struct ep_catalog_engine *e,
			  struct ep_error *err)
{
	static const char sql[] =
	    "INSERT INTO engines (key, engine, mode, engine_version, build_ref, engine_digest,"
	    " location, inputs_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT(key) DO UPDATE SET engine = ?2, mode = ?3, engine_version = ?4,"
	    " build_ref = ?5, engine_digest = ?6, location = ?7, inputs_json = ?8";
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if (!e->key || !e->engine || !e->mode || !e->engine_digest || !e->location)
		return ep_error_set(err, EP_EINTERNAL, "catalog engine row lacks a required field");
	ep_catalog__format_time(now, wall_ms());
	rc = ep_catalog__prepare(&st, cat, sql, err);
	if (rc)
		return rc;
	bind_text(st, 1, e->key);
	bind_text(st, 2, e->engine);
	bind_text(st, 3, e->mode);
	bind_text(st, 4, e->engine_version ? e->engine_version : "");
	bind_text(st, 5, e->build_ref);
	bind_text(st, 6, e->engine_digest);
	bind_text(st, 7, e->location);
	bind_text(st, 8, e->inputs_json);
	bind_text(st, 9, now);
	rc = ep_catalog__write(cat, st, "record the engine", err);
	sqlite3_finalize(st);
	if (!rc)
		ep_narrate(EP_LOG_DEBUG, "catalog", "record-engine", e->key, NULL, -1,
			   "recorded engine '%s' in the catalog", e->key);
	return rc;
}

int ep_catalog_record_run(struct ep_catalog *cat, const struct ep_catalog_run *r,
			  struct ep_error *err)
{
	static const char sql[] = "INSERT INTO runs (pool_id, key, digest, outcome, duration_ms,"
				  " started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = NULL;
	int64_t dur = r->duration_ms < 0 ? 0 : r->duration_ms;
	char started[32];
	int rc;

	if (!r->pool_id || !r->outcome)
		return ep_error_set(err, EP_EINTERNAL, "catalog run lacks a pool or an outcome");
	ep_catalog__format_time(started, wall_ms() - dur);
	rc = ep_catalog__prepare(&st, cat, sql, err);
	if (rc)
		return rc;
	bind_text(st, 1, r->pool_id);
	bind_text(st, 2, r->key);
	bind_text(st, 3, r->digest);
	bind_text(st, 4, r->outcome);
	sqlite3_bind_int64(st, 5, dur);
	bind_text(st, 6, started);
	rc = ep_catalog__write(cat, st, "record the run", err);
	sqlite3_finalize(st);
	return rc;
}

int ep_catalog_delete_engine(struct ep_catalog *cat, const char *key, struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = ep_catalog__prepare(&st, cat, "DELETE FROM engines WHERE key = ?1", err);

	if (rc)
		return rc;
	bind_text(st, 1, key);
	rc = ep_catalog__write(cat, st, "remove the engine", err);
	sqlite3_finalize(st);
	return rc;
}

int ep_catalog_check(struct ep_catalog *cat, struct ep_error *err)
{
	sqlite3_stmt *st = NULL;
	struct ep_buf found = EP_BUF_INIT;
	int rc = ep_catalog__prepare(&st, cat, "PRAGMA integrity_check", err);

	if (rc)
		return rc;
	while ((rc = ep_catalog__step(cat, st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);

		if (line && strcmp(line, "ok"))
			ep_buf_addf(&found, "%s%s", found.len ? "; " : "", line);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		rc = ep_catalog__fail(cat, rc, "check integrity", err);
	else if (found.len)
		rc = ep_error_set(err, EP_ECATALOG, "catalog '%s' is damaged: %s", cat->path,
				  found.ptr);
	else
		rc = 0;
	ep_buf_release(&found);
	return rc;
}
