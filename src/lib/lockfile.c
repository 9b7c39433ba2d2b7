/*
 * Lock files: parsed with jansson into entries that point into the parsed
 * document (which the lock keeps), compared field by field, and generated
 * from a config and the catalog with keys in a fixed order, so the same
 * catalog gives a byte-identical lock.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ep/lockfile.h"
#include "banned.h"

#define LOCKFILE_MAX_BYTES (16u * 1024 * 1024)

struct ep_lockfile {
	json_t *root;
	char *name;
	struct ep_lockfile_entry *entries;
	size_t n;
};

/* The field names, in the order a lock lists them, and where each lives in an entry. */
static const struct field {
	const char *name;
	size_t offset;
	bool is_hash; /* printed bare in messages, not quoted */
} fields[] = {
    {"engine", offsetof(struct ep_lockfile_entry, engine), false},
    {"mode", offsetof(struct ep_lockfile_entry, mode), false},
    {"repo", offsetof(struct ep_lockfile_entry, repo), false},
    {"ref", offsetof(struct ep_lockfile_entry, ref), false},
    {"commit", offsetof(struct ep_lockfile_entry, commit), true},
    {"store_key", offsetof(struct ep_lockfile_entry, store_key), true},
    {"engine_digest", offsetof(struct ep_lockfile_entry, engine_digest), true},
    {"image_digest", offsetof(struct ep_lockfile_entry, image_digest), true},
    {"binary_checksum", offsetof(struct ep_lockfile_entry, binary_checksum), true},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static const char **field_in(struct ep_lockfile_entry *e, const struct field *f)
{
	return (const char **)(void *)((char *)e + f->offset);
}

void ep_lockfile_free(struct ep_lockfile *lock)
{
	if (!lock)
		return;
	json_decref(lock->root);
	free(lock->name);
	free(lock->entries);
	free(lock);
}

/* Fill entry `e` from the JSON object `o`; a message names the bad key. */
static int parse_entry(struct ep_lockfile_entry *e, json_t *o, size_t i, const char *name,
		       struct ep_error *err)
{
	json_t *id = json_object_get(o, "pool_id");
	size_t k;

	if (!json_is_object(o))
		return ep_error_set(err, EP_ECONFIG, "lock file '%s': pools[%zu] is not an object",
				    name, i);
	if (!json_is_string(id) || !json_string_length(id))
		return ep_error_set(err, EP_ECONFIG,
				    "lock file '%s': pools[%zu].pool_id must be a string", name, i);
	e->pool_id = json_string_value(id);
	for (k = 0; k < N_FIELDS; k++) {
		json_t *v = json_object_get(o, fields[k].name);

		if (v && !json_is_null(v) && !json_is_string(v))
			return ep_error_set(
			    err, EP_ECONFIG,
			    "lock file '%s': pools[%zu].%s must be a string or null", name, i,
			    fields[k].name);
		*field_in(e, &fields[k]) = json_is_string(v) ? json_string_value(v) : NULL;
	}
	return 0;
}

int ep_lockfile_parse(struct ep_lockfile **out, const char *name, const char *data, size_t len,
		      struct ep_error *err)
{
	struct ep_lockfile *lock;
	json_error_t jerr;
	json_t *pools, *version;
	const char *base = strrchr(name, '/');
	size_t i, j;
	int rc = 0;

	*out = NULL;
	lock = calloc(1, sizeof(*lock));
	if (!lock || !(lock->name = strdup(base ? base + 1 : name))) {
		free(lock);
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	lock->root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!lock->root) {
		rc = ep_error_set(err, EP_ECONFIG, "lock file '%s':%d:%d: %s", name, jerr.line,
				  jerr.column, jerr.text);
		goto fail;
	}
	version = json_object_get(lock->root, "version");
	pools = json_object_get(lock->root, "pools");
	if (!json_is_integer(version) || json_integer_value(version) != EP_LOCKFILE_VERSION) {
		rc = ep_error_set(err, EP_ECONFIG,
				  "lock file '%s': version must be %d; write it again with "
				  "'engine-provisioner catalog lock'",
				  name, EP_LOCKFILE_VERSION);
		goto fail;
	}
	if (!json_is_array(pools)) {
		rc =
		    ep_error_set(err, EP_ECONFIG, "lock file '%s': 'pools' must be an array", name);
		goto fail;
	}
	lock->n = json_array_size(pools);
	lock->entries = calloc(lock->n ? lock->n : 1, sizeof(*lock->entries));
	if (!lock->entries) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < lock->n; i++) {
		rc = parse_entry(&lock->entries[i], json_array_get(pools, i), i, name, err);
		if (rc)
			goto fail;
		for (j = 0; j < i; j++)
			if (!strcmp(lock->entries[j].pool_id, lock->entries[i].pool_id)) {
				rc = ep_error_set(err, EP_ECONFIG,
						  "lock file '%s': pool '%s' is listed twice", name,
						  lock->entries[i].pool_id);
				goto fail;
			}
	}
	*out = lock;
	return 0;
fail:
	ep_lockfile_free(lock);
	return rc;
}

int ep_lockfile_load(struct ep_lockfile **out, const char *path, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;
	int rc;

	*out = NULL;
	ep_buf_init(&b, LOCKFILE_MAX_BYTES);
	rc = ep_buf_read_file(&b, path, err);
	if (!rc)
		rc = ep_lockfile_parse(out, path, b.ptr, b.len, err);
	ep_buf_release(&b);
	return rc;
}

const char *ep_lockfile_name(const struct ep_lockfile *lock)
{
	return lock->name;
}

size_t ep_lockfile_count(const struct ep_lockfile *lock)
{
	return lock->n;
}

const struct ep_lockfile_entry *ep_lockfile_entry_at(const struct ep_lockfile *lock, size_t i)
{
	return i < lock->n ? &lock->entries[i] : NULL;
}

const struct ep_lockfile_entry *ep_lockfile_find(const struct ep_lockfile *lock,
						 const char *pool_id)
{
	size_t i;

	for (i = 0; i < lock->n; i++)
		if (!strcmp(lock->entries[i].pool_id, pool_id))
			return &lock->entries[i];
	return NULL;
}

int ep_lockfile_check(const struct ep_lockfile *lock, const char *pool_id, const char *field,
		      const char *actual, struct ep_error *err)
{
	const struct ep_lockfile_entry *e = ep_lockfile_find(lock, pool_id);
	const struct field *f = NULL;
	const char *pinned;
	size_t k;

	for (k = 0; k < N_FIELDS; k++)
		if (!strcmp(fields[k].name, field))
			f = &fields[k];
	if (!f)
		return ep_error_set(err, EP_EINTERNAL, "lock files have no field '%s'", field);
	if (!e)
		return ep_error_set(err, EP_EVERIFY,
				    "pool '%s' is not in %s; run 'engine-provisioner catalog lock' "
				    "to update the lock",
				    pool_id, lock->name);
	pinned = *field_in((struct ep_lockfile_entry *)e, f);
	if (!pinned || (actual && !strcmp(pinned, actual)))
		return 0;
	if (!actual)
		actual = "nothing";
	if (!strcmp(field, "commit"))
		return ep_error_set(err, EP_EVERIFY,
				    "pool '%s': ref '%s' now resolves to %s but %s pins %s; run "
				    "'engine-provisioner catalog lock' to update the lock, or pin "
				    "the ref",
				    pool_id, e->ref ? e->ref : "?", actual, lock->name, pinned);
	if (f->is_hash)
		return ep_error_set(err, EP_EVERIFY,
				    "pool '%s': %s is %s but %s pins %s; run 'engine-provisioner "
				    "catalog lock' to update the lock",
				    pool_id, field, actual, lock->name, pinned);
	return ep_error_set(err, EP_EVERIFY,
			    "pool '%s': %s is '%s' but %s pins '%s'; run 'engine-provisioner "
			    "catalog lock' to update the lock",
			    pool_id, field, actual, lock->name, pinned);
}

static int set_str(json_t *o, const char *key, const char *value)
{
	return json_object_set_new(o, key, value ? json_string(value) : json_null());
}

/* The lock entry of one prepared pool: its config, its run and its engine row. */
static json_t *entry_json(const struct ep_pool *pool, const struct ep_catalog_run_row *run,
			  const struct ep_catalog_engine_row *eng)
{
	const struct ep_provisioning *pv = &pool->provisioning;
	bool source = pv->mode == EP_MODE_SOURCE;
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (set_str(o, "pool_id", pool->id) || set_str(o, "engine", ep_engine_name(pool->engine)) ||
	    set_str(o, "mode", ep_mode_name(pv->mode)) ||
	    set_str(o, "repo", source ? pv->source.repo : NULL) ||
	    set_str(o, "ref", source ? pv->source.ref : NULL) ||
	    set_str(o, "commit", source ? eng->build_ref : NULL) ||
	    set_str(o, "store_key", run->key) || set_str(o, "engine_digest", eng->engine_digest) ||
	    set_str(o, "image_digest", pv->mode == EP_MODE_CONTAINER ? eng->engine_digest : NULL) ||
	    set_str(o, "binary_checksum",
		    pv->mode == EP_MODE_BINARY ? pv->binary.checksum : NULL)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Append the lock entry of `pool` to `pools`; 1 when the pool was never prepared. */
static int add_pool(json_t *pools, const struct ep_pool *pool, struct ep_catalog *cat,
		    struct ep_error *err)
{
	struct ep_catalog_run_row run;
	struct ep_catalog_engine_row eng;
	struct ep_error quiet = EP_ERROR_INIT;
	json_t *o;
	int rc;

	rc = ep_catalog_last_success(&run, cat, pool->id, &quiet);
	if (rc == EP_ENOTFOUND)
		return 1;
	if (rc) {
		*err = quiet;
		return rc;
	}
	rc = ep_catalog_get_engine(&eng, cat, run.key, &quiet);
	if (rc) {
		ep_catalog_run_row_release(&run);
		if (rc == EP_ENOTFOUND)
			return 1;
		*err = quiet;
		return rc;
	}
	o = entry_json(pool, &run, &eng);
	rc = o && !json_array_append_new(pools, o) ? 0
						   : ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_catalog_run_row_release(&run);
	ep_catalog_engine_row_release(&eng);
	return rc;
}

int ep_lockfile_generate(struct ep_buf *out, const struct ep_config *cfg, struct ep_catalog *cat,
			 struct ep_error *err)
{
	struct ep_buf missing = EP_BUF_INIT;
	json_t *root = json_object(), *pools = json_array();
	char *text = NULL;
	size_t i;
	int rc = 0;

	if (!root || !pools ||
	    json_object_set_new(root, "version", json_integer(EP_LOCKFILE_VERSION)) ||
	    json_object_set(root, "pools", pools)) {
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->n_pools; i++) {
		rc = add_pool(pools, &cfg->pools[i], cat, err);
		if (rc < 0)
			goto out;
		if (rc > 0)
			ep_buf_addf(&missing, "%s'%s'", missing.len ? ", " : "", cfg->pools[i].id);
		rc = 0;
	}
	if (missing.len) {
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "cannot write the lock: pool %s not prepared (no successful run "
				  "in the catalog); run 'engine-provisioner ensure --all' first",
				  missing.ptr);
		goto out;
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text || ep_buf_adds(out, text) || ep_buf_addch(out, '\n'))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(pools);
	json_decref(root);
	ep_buf_release(&missing);
	return rc;
}
