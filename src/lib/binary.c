/*
 * Binary mode: a verified download, a safe unpack into store staging, the
 * engine binary found and run once, an atomic publish keyed by the
 * archive's checksum. See include/ep/binary.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ep/binary.h"
#include "ep/external.h"
#include "ep/fs.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/provider.h"
#include "ep/state.h"
#include "ensure_modes.h"
#include "banned.h"

void ep_binary_result_release(struct ep_binary_result *r)
{
	ep_store_entry_release(&r->entry);
	free(r->engine_version);
	memset(r, 0, sizeof(*r));
}

/*
 * Find `name` below `dir` (a regular file, not a link), preferring the
 * shallowest, then the first path in byte order. `rel` is the path below
 * the top directory so far; `best`/`best_depth` carry the current pick.
 */
static void find_binary(const char *dir, const char *rel, const char *name, int depth,
			struct ep_buf *best, int *best_depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct ep_buf p = EP_BUF_INIT, r = EP_BUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ep_buf_addf(&p, "%s/%s", dir, de->d_name);
		ep_buf_addf(&r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (!lstat(p.ptr, &st)) {
			if (S_ISDIR(st.st_mode) && depth < 16)
				find_binary(p.ptr, r.ptr, name, depth + 1, best, best_depth);
			else if (S_ISREG(st.st_mode) && !strcmp(de->d_name, name) &&
				 (*best_depth < 0 || depth < *best_depth ||
				  (depth == *best_depth && strcmp(r.ptr, best->ptr) < 0))) {
				ep_buf_reset(best);
				ep_buf_add(best, r.ptr, r.len);
				*best_depth = depth;
			}
		}
		ep_buf_release(&p);
		ep_buf_release(&r);
	}
	closedir(d);
}

/* The engine_version an entry recorded in its manifest, or NULL. */
static char *manifest_version(const char *entry_path)
{
	struct ep_buf p = EP_BUF_INIT;
	json_t *root, *v;
	char *out = NULL;

	ep_buf_addf(&p, "%s/manifest.json", entry_path);
	root = json_load_file(p.ptr, 0, NULL);
	ep_buf_release(&p);
	if (!root)
		return NULL;
	v = json_object_get(root, "engine_version");
	if (json_is_string(v))
		out = strdup(json_string_value(v));
	json_decref(root);
	return out;
}

/* Look the key up; 0 with out filled when present and intact, else EP_ENOTFOUND or an error. */
static int lookup(struct ep_binary_result *out, const char *store, const char *key,
		  struct ep_error *err)
{
	int rc = ep_store_lookup(&out->entry, store, key, err);

	if (rc)
		return rc;
	out->engine_version = manifest_version(out->entry.path);
	if (!out->engine_version &&
	    ep_engine_version_probe(&out->engine_version, out->entry.binary_path, err)) {
		ep_store_entry_release(&out->entry);
		return err ? err->code : EP_EVERIFY;
	}
	out->reused = true;
	return 0;
}

/* Download (under its own lock) into <state>/downloads/<hex>; path in `dest`. */
static int fetch(struct ep_binary_result *out, const struct ep_binary_opts *o, struct ep_buf *dest,
		 struct ep_error *err)
{
	struct ep_lock lk = EP_LOCK_INIT;
	struct ep_buf dir = EP_BUF_INIT, name = EP_BUF_INIT;
	int rc;

	rc = ep_state_subdir(&dir, o->state_dir, "downloads", err);
	if (rc)
		goto out;
	ep_buf_addf(dest, "%s/%s", dir.ptr, o->checksum + 7);
	ep_buf_addf(&name, "download-%.16s", o->checksum + 7);
	rc = ep_lock_acquire(&lk, o->state_dir, name.ptr, o->no_wait, err);
	if (!rc)
		rc = ep_download_file(o->url, dest->ptr, o->checksum, o->download, &out->download,
				      err);
	ep_lock_release(&lk);
out:
	ep_buf_release(&dir);
	ep_buf_release(&name);
	return rc;
}

/* Unpack, find and check the binary, and publish the staging directory. */
static int unpack_and_publish(struct ep_binary_result *out, const struct ep_binary_opts *o,
			      const char *store, const char *key, const char *archive,
			      struct ep_error *err)
{
	struct ep_buf staging = EP_BUF_INIT, tree = EP_BUF_INIT, rel = EP_BUF_INIT;
	struct ep_buf bin = EP_BUF_INIT, manifest = EP_BUF_INIT;
	struct ep_archive_stats ast;
	struct stat st;
	int depth = -1, rc;
	int64_t t0 = ep_now_ms();

	if ((rc = ep_store_stage(&staging, store, err)))
		return rc;
	ep_buf_addf(&tree, "%s/tree", staging.ptr);
	if (mkdir(tree.ptr, 0755)) {
		rc = ep_error_sys(err, EP_EIO, "cannot create '%s'", tree.ptr);
		goto out;
	}
	if ((rc = ep_archive_extract_safe(archive, tree.ptr, o->limits, &ast, err)))
		goto out;
	ep_narrate(EP_LOG_INFO, "binary", "unpack", key, o->download ? o->download->pool_id : NULL,
		   ep_now_ms() - t0, "unpacked %llu entries (%llu bytes)",
		   (unsigned long long)ast.entries, (unsigned long long)ast.bytes);
	find_binary(tree.ptr, "", o->binary_name, 0, &rel, &depth);
	if (depth < 0) {
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "the archive from '%s' has no file named '%s'; check binary.url",
				  o->url, o->binary_name);
		goto out;
	}
	ep_buf_addf(&bin, "%s/%s", tree.ptr, rel.ptr);
	if (!stat(bin.ptr, &st) && (st.st_mode & 0111) != 0111)
		chmod(bin.ptr, (st.st_mode & 0777) | 0555);
	if ((rc = ep_engine_version_probe(&out->engine_version, bin.ptr, err)))
		goto out;
	ep_buf_reset(&bin);
	ep_buf_addf(&bin, "tree/%s", rel.ptr);
	ep_buf_adds(&manifest, "{\"mode\":\"binary\",\"engine\":");
	ep_buf_add_json_str(&manifest, o->engine_name);
	ep_buf_adds(&manifest, ",\"url\":");
	ep_buf_reset(&rel);
	ep_redact(&rel, o->url);
	ep_buf_add_json_str(&manifest, rel.ptr);
	ep_buf_adds(&manifest, ",\"checksum\":");
	ep_buf_add_json_str(&manifest, o->checksum);
	ep_buf_adds(&manifest, ",\"engine_version\":");
	ep_buf_add_json_str(&manifest, out->engine_version);
	ep_buf_adds(&manifest, "}");
	rc = ep_store_commit(&out->entry, store, key, staging.ptr, bin.ptr, manifest.ptr, err);
out:
	if (ep_fs_exists(staging.ptr))
		ep_fs_remove_tree(staging.ptr, NULL);
	ep_buf_release(&staging);
	ep_buf_release(&tree);
	ep_buf_release(&rel);
	ep_buf_release(&bin);
	ep_buf_release(&manifest);
	return rc;
}

int ep_binary_install(struct ep_binary_result *out, const struct ep_binary_opts *o,
		      struct ep_error *err)
{
	struct ep_strvec inputs = EP_STRVEC_INIT;
	struct ep_buf key = EP_BUF_INIT, store = EP_BUF_INIT, archive = EP_BUF_INIT;
	struct ep_buf lname = EP_BUF_INIT;
	struct ep_lock lk = EP_LOCK_INIT;
	enum ep_download_kind kind = EP_DOWNLOAD_HTTPS;
	int64_t t0 = ep_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!o->checksum || !ep_digest_is_valid(o->checksum))
		return ep_error_set(err, EP_ECONFIG,
				    "binary.checksum '%s' is not sha256:<64 lower-case hex>; it is "
				    "required to download '%s'",
				    o->checksum ? o->checksum : "", o->url ? o->url : "");
	if ((rc = ep_download_check_url(&kind, NULL, o->url, err)))
		return rc;
	ep_strvec_push(&inputs, "mode=binary");
	ep_strvec_pushf(&inputs, "engine=%s", o->engine_name);
	ep_strvec_pushf(&inputs, "checksum=%s", o->checksum);
	ep_strvec_pushf(&inputs, "binary=%s", o->binary_name);
	if ((rc = ep_store_key(&key, &inputs))) {
		rc = ep_error_set(err, rc, "cannot compute the store key");
		goto out;
	}
	if (o->store_dir)
		rc = ep_fs_mkdirs(o->store_dir, 0755, err), ep_buf_adds(&store, o->store_dir);
	else
		rc = ep_state_subdir(&store, o->state_dir, "store", err);
	if (rc || (rc = lookup(out, store.ptr, key.ptr, err)) != EP_ENOTFOUND)
		goto out;
	ep_error_clear(err);
	ep_buf_addf(&lname, "binary-%s", key.ptr);
	if ((rc = ep_lock_acquire(&lk, o->state_dir, lname.ptr, o->no_wait, err)))
		goto out;
	/* another process may have installed it while we waited */
	if ((rc = lookup(out, store.ptr, key.ptr, err)) != EP_ENOTFOUND)
		goto out;
	ep_error_clear(err);
	if (!(rc = fetch(out, o, &archive, err)))
		rc = unpack_and_publish(out, o, store.ptr, key.ptr, archive.ptr, err);
out:
	if (!rc)
		ep_narrate(EP_LOG_INFO, "binary", out->reused ? "reuse" : "install", key.ptr,
			   o->download ? o->download->pool_id : NULL, ep_now_ms() - t0,
			   "%s %s %s at '%s'", out->reused ? "reusing" : "installed",
			   o->binary_name, out->engine_version, out->entry.binary_path);
	ep_lock_release(&lk);
	ep_strvec_release(&inputs);
	ep_buf_release(&key);
	ep_buf_release(&store);
	ep_buf_release(&archive);
	ep_buf_release(&lname);
	if (rc) {
		free(out->engine_version);
		out->engine_version = NULL;
		out->reused = false;
	}
	return rc;
}

/* The policy and config checks of binary mode, before anything is fetched. */
static int check_pool(const struct ep_pool *pool, const struct ep_provider *prov,
		      struct ep_error *err)
{
	const struct ep_provisioning *pv = &pool->provisioning;

	if (!pv->allow_binary_downloads)
		return ep_error_set(err, EP_EPOLICY,
				    "pool '%s' uses binary mode but binary downloads are not "
				    "allowed; set provisioning.allow_binary_downloads: true to "
				    "permit them",
				    pool->id);
	if (!pv->has_binary || !pv->binary.url)
		return ep_error_set(err, EP_ECONFIG,
				    "pool '%s' uses binary mode but sets no "
				    "provisioning.binary.url",
				    pool->id);
	if (!pv->binary.checksum)
		return ep_error_set(err, EP_ECONFIG,
				    "pool '%s': provisioning.binary.checksum (sha256:<64 hex>) is "
				    "required for binary mode",
				    pool->id);
	if (!prov || !prov->binary_name)
		return ep_error_set(err, EP_ECONFIG,
				    "engine '%s' has no release binary; use container or source "
				    "mode for pool '%s'",
				    ep_engine_name(pool->engine), pool->id);
	return 0;
}

int ep_binary__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	const struct ep_pool *pool = ctx->pool;
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	struct ep_download_opts dl = EP_DOWNLOAD_OPTS_INIT;
	struct ep_binary_opts o = EP_BINARY_OPTS_INIT;
	struct ep_binary_result res;
	int rc;

	if ((rc = check_pool(pool, prov, err)))
		return rc;
	dl.offline = ctx->opts && ctx->opts->offline;
	dl.progress = ctx->opts && ctx->opts->progress;
	dl.pool_id = pool->id;
	o.state_dir = ctx->state_dir;
	o.store_dir = pool->provisioning.binary.install_dir;
	o.url = pool->provisioning.binary.url;
	o.checksum = pool->provisioning.binary.checksum;
	o.binary_name = prov->binary_name;
	o.engine_name = ep_engine_name(pool->engine);
	o.download = &dl;
	o.no_wait = ctx->opts && ctx->opts->no_wait;
	if ((rc = ep_binary_install(&res, &o, err)))
		return rc;
	out->engine = pool->engine;
	out->mode = EP_MODE_BINARY;
	out->engine_version = res.engine_version;
	res.engine_version = NULL;
	out->engine_digest = strdup(res.entry.digest);
	out->binary_path = res.entry.binary_path;
	out->store_key = res.entry.key;
	res.entry.binary_path = NULL;
	res.entry.key = NULL;
	if (ctx->catalog) {
		struct ep_catalog_engine ce = {
		    out->store_key, o.engine_name,	"binary",	  out->engine_version,
		    NULL,	    out->engine_digest, out->binary_path, NULL};
		struct ep_buf inputs = EP_BUF_INIT, url = EP_BUF_INIT;

		ep_redact(&url, o.url);
		ep_buf_adds(&inputs, "{\"url\":");
		ep_buf_add_json_str(&inputs, url.ptr);
		ep_buf_release(&url);
		ep_buf_adds(&inputs, ",\"checksum\":");
		ep_buf_add_json_str(&inputs, o.checksum);
		ep_buf_adds(&inputs, "}");
		ce.inputs_json = inputs.ptr;
		rc = ep_catalog_put_engine(ctx->catalog, &ce, err);
		ep_buf_release(&inputs);
	}
	ep_binary_result_release(&res);
	if (!rc && !out->engine_digest)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	return rc;
}
