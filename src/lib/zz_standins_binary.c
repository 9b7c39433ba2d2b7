/*
 * STAND-INS, NOT PART OF THE PRODUCT: minimal weak definitions of the
 * store, provider table, engine names and catalog that binary.c and
 * external.c call, so that this module links and its tests run before the
 * real implementations are merged. Every definition is weak; the real
 * modules replace them. Delete this file when merging.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ep/catalog.h"
#include "ep/config.h"
#include "ep/fs.h"
#include "ep/provider.h"
#include "ep/store.h"
#include "banned.h"

#define WEAK __attribute__((weak))

WEAK void ep_store_entry_release(struct ep_store_entry *e)
{
	free(e->key);
	free(e->path);
	free(e->binary_path);
	memset(e, 0, sizeof(*e));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

WEAK int ep_store_key(struct ep_buf *out, const struct ep_strvec *inputs)
{
	struct ep_strvec sorted = EP_STRVEC_INIT;
	struct ep_buf all = EP_BUF_INIT;
	char d[EP_DIGEST_LEN];
	size_t i;

	ep_strvec_copy(&sorted, inputs);
	qsort(sorted.v, sorted.n, sizeof(char *), cmp_str);
	for (i = 0; i < sorted.n; i++)
		ep_buf_addf(&all, "%s\n", sorted.v[i]);
	ep_sha256_buf(d, all.ptr, all.len);
	ep_buf_reset(out);
	ep_buf_add(out, d + 7, 32);
	ep_strvec_release(&sorted);
	ep_buf_release(&all);
	return 0;
}

WEAK int ep_store_lookup(struct ep_store_entry *out, const char *store_dir, const char *key,
			 struct ep_error *err)
{
	struct ep_buf p = EP_BUF_INIT, b = EP_BUF_INIT;
	char got[EP_DIGEST_LEN];
	json_t *m;
	const char *rel, *digest;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	ep_buf_addf(&p, "%s/%s/manifest.json", store_dir, key);
	if (!ep_fs_exists(p.ptr)) {
		ep_buf_release(&p);
		return EP_ENOTFOUND;
	}
	m = json_load_file(p.ptr, 0, NULL);
	rel = json_string_value(json_object_get(m, "binary"));
	digest = json_string_value(json_object_get(m, "digest"));
	ep_buf_addf(&b, "%s/%s/%s", store_dir, key, rel ? rel : "");
	if (!rel || !digest || ep_sha256_file(got, b.ptr, NULL) || strcmp(got, digest)) {
		rc =
		    ep_error_set(err, EP_EVERIFY, "store entry '%s/%s' is damaged", store_dir, key);
	} else {
		out->key = strdup(key);
		ep_buf_reset(&p);
		ep_buf_addf(&p, "%s/%s", store_dir, key);
		out->path = ep_buf_detach(&p, NULL);
		out->binary_path = ep_buf_detach(&b, NULL);
		memcpy(out->digest, got, sizeof(got));
	}
	json_decref(m);
	ep_buf_release(&p);
	ep_buf_release(&b);
	return rc;
}

WEAK int ep_store_stage(struct ep_buf *out, const char *store_dir, struct ep_error *err)
{
	ep_buf_reset(out);
	ep_buf_addf(out, "%s/.tmp-%ld-XXXXXX", store_dir, (long)getpid());
	if (!mkdtemp(out->ptr))
		return ep_error_sys(err, EP_EIO, "cannot create a staging directory in '%s'",
				    store_dir);
	return 0;
}

WEAK int ep_store_commit(struct ep_store_entry *out, const char *store_dir, const char *key,
			 const char *staging, const char *binary_rel, const char *manifest_json,
			 struct ep_error *err)
{
	struct ep_buf p = EP_BUF_INIT, dst = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	json_t *m = json_loads(manifest_json, 0, NULL);
	char *text;
	int rc;

	ep_buf_addf(&p, "%s/%s", staging, binary_rel);
	rc = ep_sha256_file(digest, p.ptr, err);
	if (!rc) {
		if (!m)
			m = json_object();
		json_object_set_new(m, "key", json_string(key));
		json_object_set_new(m, "binary", json_string(binary_rel));
		json_object_set_new(m, "digest", json_string(digest));
		json_object_set_new(m, "created_at", json_integer((json_int_t)time(NULL)));
		text = json_dumps(m, JSON_SORT_KEYS | JSON_INDENT(2));
		ep_buf_reset(&p);
		ep_buf_addf(&p, "%s/manifest.json", staging);
		rc = ep_fs_write_atomic(p.ptr, text, strlen(text), 0644, err);
		free(text);
	}
	json_decref(m);
	if (!rc)
		rc = ep_fs_fsync_tree(staging, err);
	ep_buf_addf(&dst, "%s/%s", store_dir, key);
	if (!rc && renameat2(AT_FDCWD, staging, AT_FDCWD, dst.ptr, RENAME_NOREPLACE)) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			rc = ep_error_sys(err, EP_EIO, "cannot publish '%s'", dst.ptr);
		ep_fs_remove_tree(staging, NULL);
	}
	if (!rc)
		rc = ep_fs_fsync_dir(store_dir, err);
	if (!rc)
		rc = ep_store_lookup(out, store_dir, key, err);
	ep_buf_release(&p);
	ep_buf_release(&dst);
	return rc;
}

WEAK int ep_store_clean_stale(const char *store_dir, struct ep_error *err)
{
	(void)store_dir;
	(void)err;
	return 0;
}

static const struct ep_provider standin_llamacpp = {EP_ENGINE_LLAMACPP,
						    "llamacpp",
						    "llama-server",
						    NULL,
						    NULL,
						    "--ctx-size",
						    NULL,
						    "--n-gpu-layers",
						    "--model",
						    "--host",
						    "--port",
						    8080,
						    "/health",
						    "/props",
						    NULL,
						    NULL,
						    0,
						    NULL};

WEAK const struct ep_provider *ep_provider_for(enum ep_engine engine)
{
	return engine == EP_ENGINE_LLAMACPP ? &standin_llamacpp : NULL;
}

WEAK const char *ep_engine_name(enum ep_engine e)
{
	static const char *const names[] = {"llamacpp", "vllm", "tgi", "triton"};

	return (unsigned)e < 4 ? names[e] : "unknown";
}

WEAK int ep_catalog_put_engine(struct ep_catalog *cat, const struct ep_catalog_engine *e,
			       struct ep_error *err)
{
	(void)cat;
	(void)e;
	(void)err;
	return 0;
}
