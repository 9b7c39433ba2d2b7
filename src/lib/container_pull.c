/*
 * Pull and pin: resolve an image reference to the registry's manifest
 * digest once, record the resolution under <state>/images/, and answer
 * later requests from the record. A podman image recorded with its storage
 * location is checked by looking at the storage itself (containers/storage
 * keeps each image's manifests as "=<base64(manifest-<digest>)>" in
 * <graphroot>/<driver>-images/<id>/), so a no-op runs no engine at all;
 * otherwise one `image inspect` answers. The digest a pull resolved is
 * podman's `.Digest`, and what docker's pull output names (docker keeps
 * one image for all manifests of the same content).
 */
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "ep/container.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/lock.h"
#include "ep/log.h"
#include "banned.h"

extern char **environ;

void ep_container_image_init(struct ep_container_image *img)
{
	memset(img, 0, sizeof(*img));
}

void ep_container_image_release(struct ep_container_image *img)
{
	free(img->image_ref);
	free(img->digest);
	free(img->image_id);
	ep_container_image_init(img);
}

int ep_container_check_locked(const char *ref_text, const char *resolved, const char *locked,
			      struct ep_error *err)
{
	if (!locked || !strcmp(resolved, locked))
		return 0;
	return ep_error_set(err, EP_EVERIFY,
			    "image '%s' now resolves to '%s' but the lock file pins '%s'; "
			    "pin the image by digest or update the lock file on purpose",
			    ref_text, resolved, locked);
}

/* Run the engine with `args` after its path; counts the call. */
static int engine_run(struct ep_buf *out, int *status, const struct ep_container_engine *eng,
		      const char *const *args, const char *const *env,
		      struct ep_container_image *img, const char *pool_id, struct ep_error *err)
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = eng->path;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	img->engine_calls++;
	return ep_container__exec(out, status, argv, env, pool_id, err);
}

/* Resolve what the engine holds for `name`: its id and the manifest digest for `repo`. */
static int inspect(struct ep_container_record *r, const struct ep_container_engine *eng,
		   const char *name, const char *repo, struct ep_container_image *img,
		   const char *pool_id, struct ep_error *err)
{
	const char *podman[] = {"image", "inspect", "--format", "{{.Id}} {{.Digest}}", name, NULL};
	const char *docker[] = {"image",    "inspect",
				"--format", "{{.Id}}{{range .RepoDigests}} {{.}}{{end}}",
				name,	    NULL};
	struct ep_buf out = EP_BUF_INIT, line = EP_BUF_INIT;
	size_t rl = strlen(repo);
	int status = 0, rc;
	char *tok, *save = NULL;

	rc = engine_run(&out, &status, eng, eng->kind == EP_CONTAINER_PODMAN ? podman : docker,
			NULL, img, pool_id, err);
	if (!rc && status)
		rc = EP_ENOTFOUND;
	if (!rc && ep_container__last_line(&line, out.ptr))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_buf_reset(&r->id);
	ep_buf_reset(&r->digest);
	for (tok = rc ? NULL : strtok_r(line.ptr, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		const char *d = tok;

		if (!r->id.len) {
			rc = ep_buf_adds(&r->id, strncmp(tok, "sha256:", 7) ? tok : tok + 7);
			continue;
		}
		if (eng->kind == EP_CONTAINER_DOCKER) {
			const char *at = strchr(tok, '@');

			if (!at || (r->digest.len && (strncmp(tok, repo, rl) || tok[rl] != '@')))
				continue;
			ep_buf_reset(&r->digest);
			d = at + 1;
		}
		if (!rc && !r->digest.len)
			rc = ep_buf_adds(&r->digest, d);
	}
	if (!rc && !ep_digest_is_valid(r->digest.ptr))
		rc = ep_error_set(err, EP_EFETCH,
				  "container engine reported no registry digest for '%s'", name);
	ep_buf_release(&out);
	ep_buf_release(&line);
	return rc;
}

/* Where podman keeps images: asked once per storage configuration and recorded. */
static int podman_storage(struct ep_container_record *r, const struct ep_container_engine *eng,
			  const char *store_rec, struct ep_container_image *img,
			  const char *pool_id)
{
	const char *args[] = {"info", "--format", "{{.Store.GraphRoot}} {{.Store.GraphDriverName}}",
			      NULL};
	struct ep_buf out = EP_BUF_INIT, line = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	char *sp;
	int status = 0;
	bool known =
	    store_rec && !ep_buf_read_file(&line, store_rec, NULL) && strchr(line.ptr, ' ');

	if (!known) {
		if (engine_run(&out, &status, eng, args, NULL, img, pool_id, &err) || status ||
		    ep_container__last_line(&line, out.ptr) || !strchr(line.ptr, ' ')) {
			ep_buf_release(&out);
			ep_buf_release(&line);
			return -1;
		}
		if (store_rec)
			(void)ep_fs_write_atomic(store_rec, line.ptr, line.len, 0644, &err);
	}
	ep_buf_rtrim(&line);
	sp = strrchr(line.ptr, ' ');
	ep_buf_reset(&r->graphroot);
	ep_buf_reset(&r->driver);
	if (sp && *line.ptr == '/') {
		(void)ep_buf_add(&r->graphroot, line.ptr, (size_t)(sp - line.ptr));
		(void)ep_buf_adds(&r->driver, sp + 1);
	}
	ep_buf_release(&out);
	ep_buf_release(&line);
	return 0;
}

/* The error for a failed pull, by what the engine said. */
static int pull_error(enum ep_container_kind kind, const char *name, const char *host,
		      const char *output, struct ep_error *err)
{
	struct ep_buf line = EP_BUF_INIT;
	int rc;

	(void)ep_container__reason(&line, output);
	switch (ep_container__classify(output)) {
	case EP_CONTAINER_FAIL_NOT_FOUND:
		rc = ep_error_set(err, EP_ENOTFOUND,
				  "image '%s' not found in registry '%s'; check the image name "
				  "and tag",
				  name, host);
		break;
	case EP_CONTAINER_FAIL_UNAUTHORIZED:
		rc = ep_error_set(err, EP_EFETCH,
				  "registry '%s' refused access to image '%s' (unauthorized); log "
				  "in with '%s login %s' or point %s at a credentials file",
				  host, name, ep_container_kind_name(kind), host,
				  kind == EP_CONTAINER_DOCKER ? "DOCKER_CONFIG at the directory of"
							      : "REGISTRY_AUTH_FILE at");
		break;
	case EP_CONTAINER_FAIL_UNREACHABLE:
		rc = ep_error_set(err, EP_EFETCH,
				  "registry '%s' unreachable while pulling '%s': %s; check the "
				  "network or the registry address",
				  host, name, line.ptr);
		break;
	default:
		rc = ep_error_set(err, EP_EFETCH, "pulling image '%s' failed: %s", name, line.ptr);
	}
	ep_buf_release(&line);
	return rc;
}

/* Is `path` a docker client configuration (".../config.json")? Any other file is podman's. */
static bool is_docker_config(const char *path)
{
	const char *slash = strrchr(path, '/');

	return !strcmp(slash ? slash + 1 : path, "config.json");
}

/*
 * The manifest digest docker's pull output names ("Digest: sha256:..."), into
 * `out`: what the reference resolved to at the registry. docker keeps one
 * image for every manifest of the same content, so its RepoDigests alone
 * cannot say which one a tag serves now.
 */
static void pulled_digest(struct ep_buf *out, const char *output)
{
	const char *p = output;

	while ((p = strstr(p, "Digest: sha256:"))) {
		if (p == output || p[-1] == '\n') {
			ep_buf_reset(out);
			if (ep_buf_add(out, p + 8, strspn(p + 8, "sha256:0123456789abcdef")) ||
			    !ep_digest_is_valid(out->ptr))
				ep_buf_reset(out);
		}
		p += 15;
	}
}

/* Pull `name` (a tag or a digest reference); for docker, `digest` gets what it resolved to. */
static int pull(const struct ep_container_engine *eng, const struct ep_container_ref *ref,
		const char *name, const struct ep_container_pull_opts *o,
		struct ep_container_image *img, struct ep_buf *digest, struct ep_error *err)
{
	const char *args[8] = {NULL};
	struct ep_buf out = EP_BUF_INIT, host = EP_BUF_INIT, cfg = EP_BUF_INIT;
	struct ep_strvec env = EP_STRVEC_INIT;
	const char *slash = strchr(ref->repo, '/');
	size_t n = 0;
	int status = 0, rc = 0;
	int64_t t0 = ep_now_ms();

	args[n++] = "pull";
	if (eng->kind == EP_CONTAINER_PODMAN)
		args[n++] = "--quiet";
	if (eng->kind == EP_CONTAINER_PODMAN && ep_container_ref_is_loopback(ref))
		args[n++] = "--tls-verify=false";
	if (o->authfile && eng->kind == EP_CONTAINER_PODMAN) {
		args[n++] = "--authfile";
		args[n++] = o->authfile;
	} else if (o->authfile && is_docker_config(o->authfile)) {
		/* docker reads credentials from $DOCKER_CONFIG/config.json only */
		rc = ep_strvec_pushv(&env, (const char *const *)environ);
		if (!rc && !ep_fs_dirname(&cfg, o->authfile))
			rc = ep_strvec_pushf(&env, "DOCKER_CONFIG=%s", cfg.ptr);
	}
	args[n++] = name;
	args[n] = NULL;
	(void)ep_buf_add(&host, ref->repo, slash ? (size_t)(slash - ref->repo) : 0);
	if (!host.len)
		(void)ep_buf_adds(&host, "docker.io");
	ep_narrate(EP_LOG_INFO, "container", "pull", name, o->pool_id, -1, "pulling '%s' with %s",
		   name, ep_container_kind_name(eng->kind));
	if (!rc)
		rc = engine_run(&out, &status, eng, args, env.n ? (const char *const *)env.v : NULL,
				img, o->pool_id, err);
	if (!rc && status)
		rc = pull_error(eng->kind, name, host.ptr, out.ptr, err);
	if (!rc && eng->kind == EP_CONTAINER_DOCKER)
		pulled_digest(digest, out.ptr);
	if (!rc) {
		img->pulled = true;
		ep_narrate(EP_LOG_INFO, "container", "pulled", name, o->pool_id, ep_now_ms() - t0,
			   "pulled '%s'", name);
	}
	ep_buf_release(&out);
	ep_buf_release(&host);
	ep_buf_release(&cfg);
	ep_strvec_release(&env);
	return rc;
}

/* Fill the answer from a record. */
static int answer(struct ep_container_image *out, const struct ep_container_ref *ref,
		  const struct ep_container_record *r, const struct ep_container_engine *eng,
		  struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT;

	out->engine = ep_container_kind_name(eng->kind);
	if (ep_buf_addf(&b, "%s@%s", ref->repo, r->digest.ptr))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	out->image_ref = ep_buf_detach(&b, NULL);
	out->digest = strdup(r->digest.ptr);
	out->image_id = strdup(r->id.ptr);
	if (!out->digest || !out->image_id)
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	return 0;
}

/* The no-op: the record names an image the engine still holds. 1 when it does not. */
static int from_record(struct ep_container_image *out, const struct ep_container_ref *ref,
		       struct ep_container_record *r, const struct ep_container_engine *eng,
		       const struct ep_container_pull_opts *o, struct ep_error *err)
{
	struct ep_buf pinned = EP_BUF_INIT;
	struct ep_container_record seen = EP_CONTAINER_RECORD_INIT;
	int rc;

	if (ref->digest && strcmp(ref->digest, r->digest.ptr))
		return 1;
	if (eng->kind == EP_CONTAINER_PODMAN && ep_container__record_in_storage(r))
		return answer(out, ref, r, eng, err);
	if (ep_buf_addf(&pinned, "%s@%s", ref->repo, r->digest.ptr))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	rc = inspect(&seen, eng, pinned.ptr, ref->repo, out, o->pool_id, err);
	if (rc == EP_ENOTFOUND)
		rc = 1;
	else if (!rc && strcmp(seen.id.ptr, r->id.ptr)) {
		ep_buf_reset(&r->id);
		rc = ep_buf_adds(&r->id, seen.id.ptr);
	}
	if (!rc)
		rc = answer(out, ref, r, eng, err);
	ep_buf_release(&pinned);
	ep_container__record_release(&seen);
	return rc;
}

/* One pull request's working state. */
struct pull_ctx {
	const struct ep_container_ref *ref;
	const struct ep_container_pull_opts *o;
	struct ep_container_engine eng;
	struct ep_buf key, rec, store;
	struct ep_container_record r;
	bool have, resolve;
	int64_t t0;
};

/* Forget a partial answer, keeping the count of engine calls. */
static void reset_answer(struct ep_container_image *out)
{
	unsigned calls = out->engine_calls;

	ep_container_image_release(out);
	out->engine_calls = calls;
}

/* Answer from the record: 0 answered, 1 when a pull is needed, or an error. */
static int try_record(struct ep_container_image *out, struct pull_ctx *pc, struct ep_error *err)
{
	int rc;

	if (!pc->have || (pc->resolve && !pc->o->offline))
		return 1;
	rc = from_record(out, pc->ref, &pc->r, &pc->eng, pc->o, err);
	if (!rc && pc->o->locked_digest)
		rc = ep_container_check_locked(pc->key.ptr, pc->r.digest.ptr, pc->o->locked_digest,
					       err);
	if (!rc)
		ep_narrate(EP_LOG_INFO, "container", "present", out->image_ref, pc->o->pool_id,
			   ep_now_ms() - pc->t0, "image '%s' present as '%s' (no pull)",
			   pc->key.ptr, out->digest);
	if (rc)
		reset_answer(out);
	return rc;
}

/* Pull, resolve the digest, check it, record it. */
static int pull_and_record(struct ep_container_image *out, struct pull_ctx *pc,
			   struct ep_error *err)
{
	const struct ep_container_ref *ref = pc->ref;
	struct ep_buf name = EP_BUF_INIT, pulled = EP_BUF_INIT;
	int rc = 0;

	if (pc->o->offline)
		return ep_error_set(err, EP_EFETCH,
				    "image '%s' is not present and pulls are off (offline); run "
				    "ensure without --offline",
				    pc->key.ptr);
	/* pull what pins best: the recorded digest for a plain re-pull, else the reference */
	if (pc->have && !pc->resolve && !ref->digest
		? ep_buf_addf(&name, "%s@%s", ref->repo, pc->r.digest.ptr)
		: ep_buf_addf(&name, "%s%s%s", ref->repo, ref->tag ? ":" : "@",
			      ref->tag ? ref->tag : ref->digest))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && pc->o->probe_engine) {
		out->engine_calls++;
		rc = ep_container__probe(&pc->eng, pc->o->pool_id, NULL, err);
	}
	if (!rc)
		rc = pull(&pc->eng, ref, name.ptr, pc->o, out, &pulled, err);
	if (!rc)
		rc = inspect(&pc->r, &pc->eng, name.ptr, ref->repo, out, pc->o->pool_id, err);
	if (!rc && pulled.len && strcmp(pulled.ptr, pc->r.digest.ptr)) {
		ep_buf_reset(&pc->r.digest);
		if (ep_buf_adds(&pc->r.digest, pulled.ptr))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	}
	if (!rc && ref->digest && strcmp(ref->digest, pc->r.digest.ptr))
		rc = ep_error_set(err, EP_EVERIFY,
				  "digest mismatch for image '%s': the registry serves '%s'; "
				  "check the pinned digest or the tag",
				  pc->key.ptr, pc->r.digest.ptr);
	if (!rc && pc->o->locked_digest)
		rc = ep_container_check_locked(pc->key.ptr, pc->r.digest.ptr, pc->o->locked_digest,
					       err);
	if (!rc && pc->eng.kind == EP_CONTAINER_PODMAN)
		(void)podman_storage(&pc->r, &pc->eng, pc->o->state_dir ? pc->store.ptr : NULL, out,
				     pc->o->pool_id);
	if (!rc && pc->o->state_dir)
		rc = ep_container__record_write(&pc->r, pc->rec.ptr, pc->key.ptr, err);
	if (!rc)
		rc = answer(out, ref, &pc->r, &pc->eng, err);
	if (rc)
		reset_answer(out);
	ep_buf_release(&name);
	ep_buf_release(&pulled);
	return rc;
}

/* Read the record afresh (after taking the lock, another process may have written it). */
static void reread(struct pull_ctx *pc)
{
	ep_container__record_release(&pc->r);
	pc->have = !ep_container__record_read(&pc->r, pc->rec.ptr);
}

int ep_container_pull(struct ep_container_image *out, const struct ep_container_ref *ref,
		      const struct ep_container_pull_opts *o, struct ep_error *err)
{
	struct pull_ctx pc = {ref,	   o,		EP_CONTAINER_ENGINE_INIT, EP_BUF_INIT,
			      EP_BUF_INIT, EP_BUF_INIT, EP_CONTAINER_RECORD_INIT, false,
			      false,	   ep_now_ms()};
	struct ep_lock lk = EP_LOCK_INIT;
	const char *slash;
	int rc;

	ep_container_image_init(out);
	pc.resolve = o->refresh || (o->locked_digest && ref->tag);
	rc = ep_container_engine_choose(&pc.eng, o->runtime, err);
	if (!rc && ep_container_ref_format(&pc.key, ref))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && o->state_dir) {
		rc = ep_container__record_path(&pc.rec, o->state_dir, pc.eng.path, pc.key.ptr, err);
		if (!rc && ep_buf_addf(&pc.store, "%.*s.store", (int)(pc.rec.len - 4), pc.rec.ptr))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		if (!rc)
			reread(&pc);
	}
	if (!rc)
		rc = try_record(out, &pc, err);
	/* one pull per image at a time: check again under the lock */
	if (rc == 1 && o->state_dir && (slash = strrchr(pc.rec.ptr, '/'))) {
		struct ep_buf lname = EP_BUF_INIT;

		rc =
		    ep_buf_addf(&lname, "image-%.*s",
				(int)(pc.rec.len - 4 - (size_t)(slash + 1 - pc.rec.ptr)), slash + 1)
			? ep_error_set(err, EP_ENOMEM, "out of memory")
			: ep_lock_acquire(&lk, o->state_dir, lname.ptr, o->no_wait, err);
		ep_buf_release(&lname);
		if (!rc) {
			reread(&pc);
			rc = o->refresh ? 1 : try_record(out, &pc, err);
		}
	}
	if (rc == 1)
		rc = pull_and_record(out, &pc, err);
	ep_lock_release(&lk);
	ep_buf_release(&pc.key);
	ep_buf_release(&pc.rec);
	ep_buf_release(&pc.store);
	ep_container__record_release(&pc.r);
	ep_container_engine_release(&pc.eng);
	return rc;
}
