/*
 * Source mode: a pinned git ref built with CMake into a store entry.
 *
 * The fast path comes first: when the ref is a full SHA, or a tag or SHA
 * resolved before (the resolution cache), the store key is computed from
 * the plan and preflight alone and a present entry answers at once: no
 * git, no cmake, no compiler. Otherwise the ref is resolved in the mirror,
 * the entry's lock is taken, the store is checked again (another process
 * may have built it meanwhile), and only then is anything built.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ep/flags.h"
#include "ep/cuda.h"
#include "ep/external.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/gpu.h"
#include "ep/lock.h"
#include "ep/lockfile.h"
#include "ep/log.h"
#include "ep/proc.h"
#include "ep/provider.h"
#include "ep/store.h"
#include "ensure_modes.h"
#include "source.h"
#include "banned.h"

#define STORE_FORMAT "1"

struct source_job {
	struct ep_ensure_ctx *ctx;
	const struct ep_source_cfg *src;
	const char *target;    /* the provider's binary name */
	const char *generator; /* the configured one, else preflight's choice */
	char ref[256];	       /* source.ref, a full SHA in lower case */
	struct ep_buf base;    /* cache_dir or the state directory */
	struct ep_buf store;   /* <base>/store */
	struct ep_buf repo;    /* canonical */
	char sha[41];
	struct ep_buf key;
	json_t *inputs; /* what the key is made of (redacted for output) */
};

/* The inputs that make the key, as sorted "name=value" lines and as JSON. */
static int make_key(struct source_job *j)
{
	const struct ep_preflight *pf = j->ctx->preflight;
	struct ep_strvec in = EP_STRVEC_INIT;
	struct ep_buf joined = EP_BUF_INIT, extra = EP_BUF_INIT, red = EP_BUF_INIT;
	json_t *flags = json_array();
	size_t i;
	int rc;

	for (i = 0; i < j->ctx->plan->cmake_flags.n; i++) {
		ep_buf_addf(&joined, "%s%s", i ? " " : "", j->ctx->plan->cmake_flags.v[i]);
		json_array_append_new(flags, json_string(j->ctx->plan->cmake_flags.v[i]));
	}
	for (i = 0; pf && i < pf->cmake_extra.n; i++)
		ep_buf_addf(&extra, "%s%s", i ? " " : "", pf->cmake_extra.v[i]);
	ep_strvec_push(&in, "format=" STORE_FORMAT);
	ep_strvec_pushf(&in, "engine=%s", ep_engine_name(j->ctx->pool->engine));
	ep_strvec_pushf(&in, "repo=%s", j->repo.ptr);
	ep_strvec_pushf(&in, "commit=%s", j->sha);
	ep_strvec_pushf(&in, "submodules=%d", j->src->submodules ? 1 : 0);
	ep_strvec_pushf(&in, "cmake_flags=%s", joined.ptr);
	ep_strvec_pushf(&in, "cmake_extra=%s", extra.ptr);
	ep_strvec_pushf(&in, "generator=%s", j->generator);
	ep_strvec_pushf(&in, "cc=%s", pf && pf->cc_id ? pf->cc_id : "");
	ep_strvec_pushf(&in, "cxx=%s", pf && pf->cxx_id ? pf->cxx_id : "");
	ep_strvec_pushf(&in, "target=%s", j->target);
	if (pf && pf->cuda) {
		ep_strvec_pushf(&in, "cuda_version=%s", pf->cuda_version ? pf->cuda_version : "");
		ep_strvec_pushf(&in, "cuda_archs=%s", pf->cuda_archs ? pf->cuda_archs : "");
	}
	rc = ep_store_key(&j->key, &in);
	ep_redact(&red, j->repo.ptr);
	json_decref(j->inputs);
	j->inputs = json_object();
	json_object_set_new(j->inputs, "repo", json_string(red.ptr));
	json_object_set_new(j->inputs, "ref", json_string(j->ref));
	json_object_set_new(j->inputs, "commit", json_string(j->sha));
	json_object_set_new(j->inputs, "submodules", json_boolean(j->src->submodules));
	json_object_set_new(j->inputs, "cmake_flags", flags);
	json_object_set_new(j->inputs, "cmake_extra", json_string(extra.ptr));
	json_object_set_new(j->inputs, "generator", json_string(j->generator));
	json_object_set_new(j->inputs, "cc", json_string(pf && pf->cc_id ? pf->cc_id : ""));
	json_object_set_new(j->inputs, "cxx", json_string(pf && pf->cxx_id ? pf->cxx_id : ""));
	json_object_set_new(j->inputs, "target", json_string(j->target));
	if (pf && pf->cuda) {
		json_object_set_new(j->inputs, "cuda_version",
				    json_string(pf->cuda_version ? pf->cuda_version : ""));
		json_object_set_new(j->inputs, "cuda_archs",
				    json_string(pf->cuda_archs ? pf->cuda_archs : ""));
	}
	json_object_set_new(j->inputs, "key", json_string(j->key.ptr));
	ep_strvec_release(&in);
	ep_buf_release(&joined);
	ep_buf_release(&extra);
	ep_buf_release(&red);
	return rc ? EP_ENOMEM : 0;
}

/* The engine version the manifest recorded ("b7000 (de3ff81)"), or NULL. */
static char *manifest_version(const char *entry_path)
{
	struct ep_buf path = EP_BUF_INIT, text = EP_BUF_INIT;
	json_t *m;
	char *v = NULL;

	ep_buf_addf(&path, "%s/manifest.json", entry_path);
	ep_buf_init(&text, 1u << 20);
	if (!ep_buf_read_file(&text, path.ptr, NULL)) {
		m = json_loadb(text.ptr, text.len, 0, NULL);
		if (json_string_value(json_object_get(m, "engine_version")))
			v = strdup(json_string_value(json_object_get(m, "engine_version")));
		json_decref(m);
	}
	ep_buf_release(&path);
	ep_buf_release(&text);
	return v;
}

/* Describe entry `e` in the PreparedEngine and record it in the catalog. */
static int answer(struct ep_prepared *out, struct source_job *j, const struct ep_store_entry *e,
		  struct ep_error *err)
{
	struct ep_catalog_engine ce;
	char *text = json_dumps(j->inputs, JSON_SORT_KEYS | JSON_COMPACT);
	int rc = 0;

	out->build_ref = strdup(j->sha);
	out->engine_digest = strdup(e->digest);
	out->binary_path = strdup(e->binary_path);
	out->store_key = strdup(e->key);
	out->engine_version = manifest_version(e->path);
	if (!out->build_ref || !out->engine_digest || !out->binary_path || !out->store_key)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && j->ctx->proof && text)
		rc = ep_proof_write(j->ctx->proof, "inputs.json", text, err);
	if (!rc)
		ep_ensure__checkpoint("catalog");
	if (!rc && j->ctx->catalog) {
		memset(&ce, 0, sizeof(ce));
		ce.key = e->key;
		ce.engine = ep_engine_name(j->ctx->pool->engine);
		ce.mode = ep_mode_name(EP_MODE_SOURCE);
		ce.engine_version = out->engine_version ? out->engine_version : "";
		ce.build_ref = j->sha;
		ce.engine_digest = e->digest;
		ce.location = e->binary_path;
		ce.inputs_json = text;
		rc = ep_catalog_put_engine(j->ctx->catalog, &ce, err);
	}
	free(text);
	return rc;
}

/*
 * Run the built binary's --version, normalized as every mode reports it
 * ("b7000 (de3ff81)"; ep_engine_version_probe): a binary that does not run
 * is a failed build.
 */
static int engine_version(struct ep_buf *out, const char *binary, struct ep_error *err)
{
	char *v = NULL;
	int rc = ep_engine_version_probe(&v, binary, err);

	if (rc) {
		ep_error_prefix(err, "the built engine does not run");
		err->code = EP_EBUILD;
		return EP_EBUILD;
	}
	rc = ep_buf_adds(out, v) ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
	free(v);
	return rc;
}

/*
 * Stage the build's bin/ (the server and its shared libraries, which find
 * each other through RUNPATH $ORIGIN), run the server's --version there,
 * and publish the staging directory as the entry.
 */
static int install(struct ep_store_entry *e, struct source_job *j, const char *bdir,
		   struct ep_error *err)
{
	struct ep_buf stage = EP_BUF_INIT, p = EP_BUF_INIT, ver = EP_BUF_INIT, rel = EP_BUF_INIT,
		      mark = EP_BUF_INIT;
	char *manifest = NULL;
	int rc;

	rc = ep_store_stage(&stage, j->store.ptr, err);
	if (rc)
		goto out;
	ep_buf_addf(&p, "%s/bin", stage.ptr);
	ep_buf_addf(&mark, "%s/bin", bdir);
	rc = ep_fs_copy_tree(mark.ptr, p.ptr, err);
	ep_buf_addf(&rel, "bin/%s", j->target);
	ep_buf_addf(&p, "/%s", j->target);
	if (!rc && !ep_fs_exists(p.ptr))
		rc = ep_error_set(err, EP_EBUILD, "the build made no '%s' in '%s'", j->target,
				  mark.ptr);
	rc = rc ? rc : engine_version(&ver, p.ptr, err);
	if (!rc) {
		json_t *m = json_object();

		json_object_set(m, "inputs", j->inputs);
		json_object_set_new(m, "engine_version", json_string(ver.ptr));
		json_object_set_new(m, "build_ref", json_string(j->sha));
		manifest = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(m);
		rc =
		    ep_store_commit(e, j->store.ptr, j->key.ptr, stage.ptr, rel.ptr, manifest, err);
	}
	if (rc)
		ep_fs_remove_tree(stage.ptr, NULL);
out:
	free(manifest);
	ep_buf_release(&stage);
	ep_buf_release(&p);
	ep_buf_release(&ver);
	ep_buf_release(&rel);
	ep_buf_release(&mark);
	return rc;
}

/* Check out (when not done before), build, and install. */
/*
 * A CUDA configure that failed is tried once more with a host compiler nvcc
 * supports (the newest g++-N it accepts) and a clean CMake cache; when there
 * is none, or that fails too, the first error stands.
 */
static int retry_with_host_compiler(struct ep_build_req *req, struct ep_strvec *flags, int rc,
				    struct ep_error *err)
{
	struct ep_cuda_toolkit tk;
	struct ep_buf host = EP_BUF_INIT;
	struct ep_error first = *err, again = EP_ERROR_INIT;

	memset(&tk, 0, sizeof(tk));
	if (ep_cuda_find_toolkit(&tk, NULL, &again) ||
	    ep_cuda_find_host_compiler(&host, &tk, NULL)) {
		ep_cuda_toolkit_release(&tk);
		ep_buf_release(&host);
		return rc;
	}
	ep_narrate(EP_LOG_WARN, "cmake", "retry", host.ptr, req->pool_id, -1,
		   "CUDA configure failed; retrying once with host compiler '%s'", host.ptr);
	ep_strvec_pushf(flags, "-DCMAKE_CUDA_HOST_COMPILER=%s", host.ptr);
	req->clear_cache = true;
	rc = ep_build__run(req, &again);
	if (rc)
		*err = first;
	ep_cuda_toolkit_release(&tk);
	ep_buf_release(&host);
	return rc;
}

/*
 * A CUDA build must prove it uses the GPU before it is published: the
 * built server's --list-devices must name a CUDA device. A build that came
 * out CPU-only is the failure users of other tools meet most; here it is an
 * error, and nothing reaches the store.
 */
static int prove_cuda(struct source_job *j, const char *bdir, struct ep_error *err)
{
	struct ep_buf bin = EP_BUF_INIT, devices = EP_BUF_INIT;
	int rc;

	ep_buf_addf(&bin, "%s/bin/%s", bdir, j->target);
	rc = ep_gpu_engine_cuda_devices(&devices, bin.ptr, NULL, err);
	if (!rc)
		ep_narrate(EP_LOG_INFO, "gpu", "proof", j->target, j->ctx->pool->id, -1,
			   "the built engine lists its CUDA devices: %s", devices.ptr);
	else
		ep_error_prefix(err, "step 'cmake-build'");
	ep_buf_release(&bin);
	ep_buf_release(&devices);
	return rc;
}

static int build_and_install(struct ep_store_entry *e, struct source_job *j, struct ep_error *err)
{
	struct ep_ensure_ctx *ctx = j->ctx;
	struct ep_buf tree = EP_BUF_INIT, srcdir = EP_BUF_INIT, bdir = EP_BUF_INIT,
		      mark = EP_BUF_INIT, mirror = EP_BUF_INIT, p = EP_BUF_INIT,
		      nvcc_dir = EP_BUF_INIT;
	struct ep_strvec flags = EP_STRVEC_INIT, scratch = EP_STRVEC_INIT;
	struct ep_build_req req;
	bool mapped = false;
	int rc;

	ep_buf_addf(&tree, "%s/builds/%s", j->base.ptr, j->key.ptr);
	ep_buf_addf(&srcdir, "%s/src", tree.ptr);
	ep_buf_addf(&bdir, "%s/build", tree.ptr);
	ep_buf_addf(&mark, "%s/checkout.done", tree.ptr);
	ep_git__mirror_path(&mirror, j->base.ptr, j->repo.ptr);
	rc = ep_fs_mkdirs(tree.ptr, 0755, err);
	if (!rc && !ep_fs_exists(mark.ptr)) {
		rc = ep_fs_remove_tree(srcdir.ptr, err);
		rc = rc ? rc
			: ep_git__checkout(mirror.ptr, j->sha, j->src->submodules, srcdir.ptr,
					   ctx->pool->id, err);
		rc = rc ? rc : ep_fs_write_atomic(mark.ptr, j->sha, 40, 0644, err);
	}
	/* The plan's flags are normalized; normalizing the raw ones again says whether a renamed
	 * CUDA option was mapped. */
	if (!rc && ep_flags_normalize_cmake(&scratch, &j->src->cmake_flags,
					    !ep_pool_is_cpu(ctx->pool), &mapped, NULL, NULL))
		mapped = false;
	ep_strvec_copy(&flags, &ctx->plan->cmake_flags);
	if (ctx->preflight)
		ep_strvec_copy(&flags, &ctx->preflight->cmake_extra);
	memset(&req, 0, sizeof(req));
	req.src_dir = srcdir.ptr;
	req.build_dir = bdir.ptr;
	req.log_dir = tree.ptr;
	req.generator = j->generator;
	req.target = j->target;
	ep_buf_addf(&p, "%s/builds", j->base.ptr);
	req.ccache_basedir = p.ptr;
	req.cmake_flags = &flags;
	req.clear_cache = mapped;
	req.progress = ctx->opts->progress;
	req.pool_id = ctx->pool->id;
	if (ctx->preflight && ctx->preflight->nvcc) {
		ep_fs_dirname(&nvcc_dir, ctx->preflight->nvcc);
		req.path_prepend = nvcc_dir.ptr;
	}
	rc = rc ? rc : ep_build__run(&req, err);
	if (rc == EP_EBUILD && ctx->preflight && ctx->preflight->cuda)
		rc = retry_with_host_compiler(&req, &flags, rc, err);
	ep_buf_reset(&p);
	if (ctx->proof) {
		ep_buf_reset(&p);
		ep_buf_addf(&p, "%s/configure.log", tree.ptr);
		if (ep_fs_exists(p.ptr))
			ep_proof_copy(ctx->proof, "configure.log", p.ptr, NULL);
		ep_buf_reset(&p);
		ep_buf_addf(&p, "%s/build.log", tree.ptr);
		if (ep_fs_exists(p.ptr))
			ep_proof_copy(ctx->proof, "build.log", p.ptr, NULL);
	}
	if (!rc && ctx->preflight && ctx->preflight->cuda)
		rc = prove_cuda(j, bdir.ptr, err);
	rc = rc ? rc : install(e, j, bdir.ptr, err);
	ep_buf_release(&nvcc_dir);
	ep_strvec_release(&flags);
	ep_strvec_release(&scratch);
	ep_buf_release(&tree);
	ep_buf_release(&srcdir);
	ep_buf_release(&bdir);
	ep_buf_release(&mark);
	ep_buf_release(&mirror);
	ep_buf_release(&p);
	return rc;
}

/* Set up the job: where things live, the canonical repo, the target. */
static int job_init(struct source_job *j, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	const struct ep_provider *prov = ep_provider_for(ctx->pool->engine);
	size_t i;
	int rc;

	j->ctx = ctx;
	j->src = &ctx->pool->provisioning.source;
	if (!ctx->pool->provisioning.has_source || !j->src->repo || !j->src->ref)
		return ep_error_set(
		    err, EP_ECONFIG,
		    "pool '%s': source mode needs provisioning.source.repo and .ref",
		    ctx->pool->id);
	if (!prov || !prov->binary_name)
		return ep_error_set(err, EP_ECONFIG, "engine '%s' cannot be built from source",
				    ep_engine_name(ctx->pool->engine));
	j->target = prov->binary_name;
	if (j->src->cache_dir)
		rc = ep_fs_absolute(&j->base, j->src->cache_dir) ? EP_ENOMEM : 0;
	else
		rc = ep_buf_adds(&j->base, ctx->state_dir);
	rc = rc ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
	rc = rc ? rc : ep_fs_mkdirs(j->base.ptr, 0755, err);
	ep_buf_addf(&j->store, "%s/store", j->base.ptr);
	rc = rc ? rc : ep_git__canonical_repo(&j->repo, j->src->repo, err);
	rc = rc ? rc : ep_git__check_ref(j->src->ref, err);
	snprintf(j->ref, sizeof(j->ref), "%s", j->src->ref);
	if (strlen(j->ref) == 40 && strspn(j->ref, "0123456789abcdefABCDEF") == 40)
		for (i = 0; i < 40; i++)
			j->ref[i] = (char)tolower((unsigned char)j->ref[i]);
	j->generator = j->src->generator			     ? j->src->generator
		       : ctx->preflight && ctx->preflight->generator ? ctx->preflight->generator
								     : "Unix Makefiles";
	return rc;
}

int ep_source__ensure(struct ep_prepared *out, struct ep_ensure_ctx *ctx, struct ep_error *err)
{
	struct source_job j = {0};
	struct ep_store_entry e = {0};
	struct ep_lock lk = EP_LOCK_INIT;
	struct ep_buf lockname = EP_BUF_INIT;
	enum ep_git_ref_kind kind;
	const char *id = ctx->pool->id;
	int rc;

	ctx->outcome = "reused";
	rc = job_init(&j, ctx, err);
	if (!rc)
		rc = ep_sha256_ready(err); /* mirror, ref cache and store key are digests */
	if (rc)
		goto out;
	ep_store_clean_stale(j.store.ptr, NULL); /* a readdir: cheap enough for the fast path */
	if (ep_git__is_full_sha(j.ref))
		memcpy(j.sha, j.ref, 41);
	else if (ep_git__cached_ref(j.sha, j.base.ptr, j.repo.ptr, j.ref))
		j.sha[0] = '\0';
	if (j.sha[0] && ctx->lock) {
		rc = ep_lockfile_check(ctx->lock, id, "commit", j.sha, err);
		if (rc)
			goto out;
	}
	if (j.sha[0]) {
		rc = make_key(&j);
		rc = rc ? rc : ep_store_lookup(&e, j.store.ptr, j.key.ptr, err);
		if (rc != EP_ENOTFOUND)
			goto done;
	}
	rc = ep_git__resolve(j.sha, &kind, j.base.ptr, j.repo.ptr, j.ref, ctx->opts->offline,
			     ctx->opts->no_wait, id, err);
	if (!rc && ctx->lock)
		rc = ep_lockfile_check(ctx->lock, id, "commit", j.sha, err);
	rc = rc ? rc : make_key(&j);
	if (rc)
		goto out;
	rc = ep_store_lookup(&e, j.store.ptr, j.key.ptr, err);
	if (rc != EP_ENOTFOUND)
		goto done;
	ep_buf_addf(&lockname, "store-%s", j.key.ptr);
	rc = ep_lock_acquire(&lk, j.base.ptr, lockname.ptr, ctx->opts->no_wait, err);
	if (rc)
		goto out;
	rc = ep_store_lookup(&e, j.store.ptr, j.key.ptr, err);
	if (rc == EP_ENOTFOUND) {
		ctx->outcome = "built";
		ep_narrate(EP_LOG_INFO, "store", "build", j.key.ptr, id, -1,
			   "building '%s' at %s into store entry '%s'", j.target, j.sha, j.key.ptr);
		rc = build_and_install(&e, &j, err);
	}
done:
	if (!rc)
		rc = answer(out, &j, &e, err);
out:
	ep_lock_release(&lk);
	ep_store_entry_release(&e);
	json_decref(j.inputs);
	ep_buf_release(&j.base);
	ep_buf_release(&j.store);
	ep_buf_release(&j.repo);
	ep_buf_release(&j.key);
	ep_buf_release(&lockname);
	return rc;
}
