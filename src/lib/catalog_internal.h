/*
 * Shared between catalog.c (opening, schema, writes) and catalog_query.c
 * (reads): the handle and the busy-retrying statement helpers.
 */
#ifndef EP_CATALOG_INTERNAL_H
#define EP_CATALOG_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "ep/catalog.h"

struct ep_catalog {
	sqlite3 *db;
	char *path;
};

/* Set EP_ECATALOG "catalog '<path>': cannot <what>: <sqlite message>". */
int ep_catalog__fail(struct ep_catalog *cat, int rc, const char *what, struct ep_error *err);
int ep_catalog__exec(struct ep_catalog *cat, const char *sql, const char *what,
		     struct ep_error *err);
int ep_catalog__prepare(sqlite3_stmt **out, struct ep_catalog *cat, const char *sql,
			struct ep_error *err);
/* sqlite3_step, retried while the database is busy. */
int ep_catalog__step(struct ep_catalog *cat, sqlite3_stmt *st);
int ep_catalog__write(struct ep_catalog *cat, sqlite3_stmt *st, const char *what,
		      struct ep_error *err);
void ep_catalog__format_time(char out[32], int64_t ms);

#endif
