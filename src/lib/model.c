/*
 * Model resolution: local paths, file: URLs and hf: references, with an
 * optional sha256 check. hf: references are fetched through the `hf` (or
 * `huggingface-cli`) tool, argv only, every component checked so that none
 * can become an option or climb out of its directory; the fetch runs under
 * a per-model lock, so two processes never fetch the same file at once.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/provider.h"
#include "ep/proc.h"
#include "banned.h"

#define FETCH_OUTPUT_CAP (64u * 1024)
#define FETCH_TAIL_LINES 5

const char *ep_model_ref(const struct ep_pool *pool)
{
	const struct ep_provisioning *pv = &pool->provisioning;

	if (pv->has_model && pv->model.ref && *pv->model.ref)
		return pv->model.ref;
	return pool->model;
}

/* Where relative references and fetched models live: cache_dir, else <state>/models. */
static int model_base(struct ep_buf *out, const struct ep_pool *pool, const char *state_dir)
{
	const char *cache =
	    pool->provisioning.has_model ? pool->provisioning.model.cache_dir : NULL;

	if (cache && *cache)
		return ep_buf_adds(out, cache);
	return ep_buf_addf(out, "%s/models", state_dir);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* file:///abs/path, file://localhost/abs/path or file:/abs/path, %XX decoded. */
static int from_file_url(struct ep_buf *out, const char *ref, struct ep_error *err)
{
	const char *p = ref + 5;

	if (!strncmp(p, "//localhost/", 12))
		p += 11;
	else if (!strncmp(p, "//", 2))
		p += 2;
	if (*p != '/')
		return ep_error_set(err, EP_ECONFIG,
				    "model '%s': only local file: URLs are supported "
				    "(file:///absolute/path)",
				    ref);
	for (; *p; p++) {
		int hi, lo;

		if (*p != '%') {
			ep_buf_addch(out, *p);
			continue;
		}
		hi = hexval(p[1]);
		lo = hi < 0 ? -1 : hexval(p[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return ep_error_set(err, EP_ECONFIG, "model '%s': bad %%-escape in the URL",
					    ref);
		ep_buf_addch(out, (char)(hi * 16 + lo));
		p += 2;
	}
	return 0;
}

/* One path segment of an hf: reference: [A-Za-z0-9._-]+, no leading '-', not "." or "..". */
static bool is_safe_segment(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] == '-' || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

/* Split "hf:ORG/REPO/FILE" into "ORG/REPO" and "FILE" (which may hold '/'), checking each part. */
static int parse_hf(struct ep_buf *repo, struct ep_buf *file, const char *ref, struct ep_error *err)
{
	const char *p = ref + 3, *slash;
	int part = 0;

	while (*p) {
		slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (!is_safe_segment(p, len))
			return ep_error_set(
			    err, EP_EUNSAFE,
			    "model '%s': each part of an hf: reference must be "
			    "[A-Za-z0-9._-], not empty, '.', '..' or start with '-'",
			    ref);
		if (part < 2)
			ep_buf_addf(repo, "%s%.*s", part ? "/" : "", (int)len, p);
		else
			ep_buf_addf(file, "%s%.*s", part > 2 ? "/" : "", (int)len, p);
		part++;
		p += len + (slash ? 1 : 0);
		if (slash && !*p)
			part = -100; /* a trailing slash */
	}
	if (part < 3)
		return ep_error_set(err, EP_ECONFIG,
				    "model '%s': an hf: reference is hf:ORG/REPO/FILE", ref);
	return 0;
}

/* Compare the file's sha256 with `checksum`; EP_EVERIFY names both. */
static int verify(const char *path, const char *checksum, struct ep_error *err)
{
	char want[EP_DIGEST_LEN], got[EP_DIGEST_LEN];
	size_t i;
	int rc;

	if (strlen(checksum) != EP_DIGEST_LEN - 1)
		goto bad;
	for (i = 0; i < EP_DIGEST_LEN - 1; i++)
		want[i] = (char)tolower((unsigned char)checksum[i]);
	want[i] = '\0';
	if (!ep_digest_is_valid(want))
		goto bad;
	if (!ep_fs_exists(path) || ep_fs_is_dir(path))
		return ep_error_set(err, EP_EVERIFY,
				    "model '%s' is not a file, so its checksum cannot be verified",
				    path);
	rc = ep_sha256_file(got, path, err);
	if (rc)
		return rc;
	if (strcmp(want, got))
		return ep_error_set(err, EP_EVERIFY,
				    "model '%s' does not match its checksum: expected %s, got %s",
				    path, want, got);
	return 0;
bad:
	return ep_error_set(err, EP_ECONFIG,
			    "model checksum '%s' is not 'sha256:' followed by 64 hex digits",
			    checksum);
}

/* Run `tool download REPO FILE --local-dir DIR`; EP_EFETCH with its last lines on failure. */
static int run_fetch(const char *tool, const char *repo, const char *file, const char *dir,
		     const char *ref, const char *pool_id, struct ep_error *err)
{
	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
	const char *argv[] = {tool, "download", repo, file, "--local-dir", dir, NULL};
	struct ep_buf out = EP_BUF_INIT;
	int64_t start = ep_now_ms();
	int status = 0, rc;

	ep_buf_init(&out, FETCH_OUTPUT_CAP);
	o.argv = argv;
	o.out = EP_PROC_PIPE;
	o.err = EP_PROC_TO_OUT;
	o.pool_id = pool_id;
	ep_narrate(EP_LOG_INFO, "model", "fetch", ref, pool_id, -1, "fetching model '%s' with %s",
		   ref, tool);
	rc = ep_proc_run(&o, &out, &status, err);
	if (!rc && status) {
		ep_buf_rtrim(&out);
		ep_buf_keep_last_lines(&out, FETCH_TAIL_LINES);
		rc = ep_error_set(err, EP_EFETCH,
				  "cannot fetch model '%s': '%s download' exited "
				  "with status %d:\n%s",
				  ref, tool, status, out.ptr);
	}
	if (!rc)
		ep_narrate(EP_LOG_INFO, "model", "fetched", ref, pool_id, ep_now_ms() - start,
			   "fetched model '%s'", ref);
	ep_buf_release(&out);
	return rc;
}

/* Resolve an hf: reference into `path`, fetching it unless it is there already. */
static int resolve_hf(struct ep_buf *path, const struct ep_pool *pool, const char *ref,
		      const char *base, const char *state_dir, bool offline, struct ep_error *err)
{
	struct ep_buf repo = EP_BUF_INIT, file = EP_BUF_INIT, dir = EP_BUF_INIT, tool = EP_BUF_INIT,
		      name = EP_BUF_INIT;
	struct ep_lock lk = EP_LOCK_INIT;
	const char *tool_name = "hf";
	char digest[EP_DIGEST_LEN];
	int rc = parse_hf(&repo, &file, ref, err);

	if (rc)
		goto out;
	ep_buf_addf(&dir, "%s/hf/%s", base, repo.ptr);
	ep_buf_addf(path, "%s/%s", dir.ptr, file.ptr);
	if (ep_fs_exists(path->ptr))
		goto out;
	if (offline) {
		rc = ep_error_set(err, EP_EFETCH,
				  "model '%s' is not in the cache ('%s') and --offline forbids "
				  "fetching it; run once without --offline, or put the file there",
				  ref, path->ptr);
		goto out;
	}
	if (ep_proc_which(&tool, "hf", NULL)) {
		tool_name = "huggingface-cli";
		if (ep_proc_which(&tool, "huggingface-cli", NULL)) {
			rc = ep_error_set(err, EP_EPREFLIGHT,
					  "cannot fetch model '%s': neither 'hf' nor "
					  "'huggingface-cli' is installed; install it with: pip "
					  "install -U huggingface_hub",
					  ref);
			goto out;
		}
	}
	if ((rc = ep_sha256_ready(err)))
		goto out;
	if ((rc = ep_sha256_buf(digest, ref, strlen(ref)))) {
		rc = ep_error_set(err, rc, "cannot compute the digest of model '%s'", ref);
		goto out;
	}
	ep_buf_addf(&name, "model-%.16s", digest + 7);
	rc = ep_lock_acquire(&lk, state_dir, name.ptr, false, err);
	if (rc)
		goto out;
	if (ep_fs_exists(path->ptr)) /* fetched by whoever held the lock */
		goto out;
	rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	if (!rc)
		rc = run_fetch(tool_name, repo.ptr, file.ptr, dir.ptr, ref, pool->id, err);
	if (!rc && !ep_fs_exists(path->ptr))
		rc = ep_error_set(err, EP_EFETCH,
				  "cannot fetch model '%s': '%s download' succeeded but '%s' is "
				  "missing",
				  ref, tool_name, path->ptr);
out:
	ep_lock_release(&lk);
	ep_buf_release(&repo);
	ep_buf_release(&file);
	ep_buf_release(&dir);
	ep_buf_release(&tool);
	ep_buf_release(&name);
	return rc;
}

int ep_model_resolve(struct ep_buf *path_out, const struct ep_pool *pool, const char *state_dir,
		     bool offline, struct ep_error *err)
{
	const char *ref = ep_model_ref(pool);
	const char *checksum =
	    pool->provisioning.has_model ? pool->provisioning.model.checksum : NULL;
	struct ep_buf base = EP_BUF_INIT, path = EP_BUF_INIT;
	bool fetched = false;
	int rc = 0;

	if (!ref || !*ref)
		return ep_error_set(err, EP_ECONFIG,
				    "pool '%s' names no model; set 'model' or "
				    "provisioning.model.ref",
				    pool->id);
	if (model_base(&base, pool, state_dir))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!strncmp(ref, "hf:", 3)) {
		rc = resolve_hf(&path, pool, ref, base.ptr, state_dir, offline, err);
		fetched = true;
	} else if (!strncmp(ref, "file:", 5)) {
		rc = from_file_url(&path, ref, err);
	} else if (ref[0] == '/') {
		ep_buf_adds(&path, ref);
	} else {
		ep_buf_addf(&path, "%s/%s", base.ptr, ref);
	}
	if (!rc && !ep_fs_exists(path.ptr))
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "model '%s' not found at '%s'; put the file there or change the "
				  "pool's model reference",
				  ref, path.ptr);
	if (!rc && checksum && *checksum) {
		rc = verify(path.ptr, checksum, err);
		if (rc == EP_EVERIFY && fetched)
			unlink(path.ptr); /* a fetched file that fails its check is not kept */
	}
	if (!rc) {
		ep_buf_reset(path_out);
		rc = ep_fs_absolute(path_out, path.ptr)
			 ? ep_error_set(err, EP_ENOMEM, "out of memory")
			 : 0;
	}
	ep_buf_release(&base);
	ep_buf_release(&path);
	return rc;
}

const char *ep_model_engine_name(const struct ep_pool *pool)
{
	const struct ep_provider *prov = ep_provider_for(pool->engine);
	const char *ref = ep_model_ref(pool);

	if (pool->provisioning.mode != EP_MODE_CONTAINER || !prov || !prov->model_name_flag ||
	    !ref || !*ref || ref[0] == '/' || ref[0] == '.' || ref[0] == '-' ||
	    !strncmp(ref, "hf:", 3) || !strncmp(ref, "file:", 5) || strstr(ref, "..") ||
	    (pool->provisioning.has_model && pool->provisioning.model.checksum &&
	     *pool->provisioning.model.checksum))
		return NULL;
	return ref;
}
