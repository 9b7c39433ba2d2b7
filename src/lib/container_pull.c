/*
 * Pull and pin: resolve an image reference to the registry's manifest
 * digest once, record the resolution under <state>/images/, and answer
 * later requests from the record. A podman image recorded with its storage
 * location is checked by looking at the storage itself (containers/storage
 * keeps each image's manifests as "=<base64(manifest-<digest>)>" in
 * <graphroot>/<driver>-images/<id>/), so a no-op runs no engine at all;
 * otherwise one `image inspect` answers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_int.h"
#include "ep/container.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/log.h"
#include "ep/state.h"
#include "banned.h"

extern char **environ;

/* A recorded resolution. */
struct record {
	struct ep_buf digest, id, graphroot, driver;
};

static void record_release(struct record *r)
{
	ep_buf_release(&r->digest);
	ep_buf_release(&r->id);
	ep_buf_release(&r->graphroot);
	ep_buf_release(&r->driver);
}

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

/*
 * The record's path: keyed by the engine, the environment that picks its
 * storage, and the reference as written.
 */
static int record_path(struct ep_buf *out, const char *state_dir, const char *engine_path,
		       const char *key, struct ep_error *err)
{
	static const char *const vars[] = {"CONTAINERS_STORAGE_CONF",
					   "CONTAINER_HOST",
					   "CONTAINER_CONNECTION",
					   "DOCKER_HOST",
					   "HOME",
					   "XDG_DATA_HOME",
					   NULL};
	struct ep_buf id = EP_BUF_INIT, dir = EP_BUF_INIT;
	char digest[EP_DIGEST_LEN];
	size_t i;
	int rc = ep_buf_addf(&id, "%s\n%u\n%s\n", engine_path, (unsigned)getuid(), key);

	for (i = 0; !rc && vars[i]; i++)
		rc = ep_buf_addf(&id, "%s=%s\n", vars[i], getenv(vars[i]) ? getenv(vars[i]) : "");
	if (!rc)
		rc = ep_sha256_buf(digest, id.ptr, id.len);
	if (!rc)
		rc = ep_state_subdir(&dir, state_dir, "images", err);
	if (!rc)
		rc = ep_buf_addf(out, "%s/%.32s.rec", dir.ptr, digest + 7);
	ep_buf_release(&id);
	ep_buf_release(&dir);
	return rc == EP_ENOMEM ? ep_error_set(err, EP_ENOMEM, "out of memory") : rc;
}

/* Read "name value" lines; a missing or damaged record reads as absent (1). */
static int record_read(struct record *r, const char *path)
{
	struct ep_buf text = EP_BUF_INIT;
	char *line, *save = NULL;
	int rc = 1;

	text.cap = 64 * 1024;
	if (ep_buf_read_file(&text, path, NULL)) {
		ep_buf_release(&text);
		return 1;
	}
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		struct ep_buf *dst = NULL;

		if (!sp)
			continue;
		*sp = '\0';
		if (!strcmp(line, "digest"))
			dst = &r->digest;
		else if (!strcmp(line, "id"))
			dst = &r->id;
		else if (!strcmp(line, "graphroot"))
			dst = &r->graphroot;
		else if (!strcmp(line, "driver"))
			dst = &r->driver;
		if (dst && ep_buf_adds(dst, sp + 1))
			break;
	}
	if (ep_digest_is_valid(r->digest.ptr) && r->id.len)
		rc = 0;
	ep_buf_release(&text);
	return rc;
}

static int record_write(const struct record *r, const char *path, const char *key,
			struct ep_error *err)
{
	struct ep_buf text = EP_BUF_INIT;
	int rc = ep_buf_addf(&text, "ref %s\ndigest %s\nid %s\n", key, r->digest.ptr, r->id.ptr);

	if (!rc && r->graphroot.len && r->driver.len)
		rc = ep_buf_addf(&text, "graphroot %s\ndriver %s\n", r->graphroot.ptr,
				 r->driver.ptr);
	if (rc)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		rc = ep_fs_write_atomic(path, text.ptr, text.len, 0644, err);
	ep_buf_release(&text);
	return rc;
}

/* Standard base64 with padding (the encoding containers/storage names files with). */
static int base64(struct ep_buf *out, const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i;
	int rc = 0;

	for (i = 0; !rc && i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};

		rc = ep_buf_add(out, q, 4);
	}
	if (!rc && n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};

		rc = ep_buf_add(out, q, 4);
	} else if (!rc && n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};

		rc = ep_buf_add(out, q, 4);
	}
	return rc;
}

/* Is the recorded podman image (that very manifest) still in its storage? No engine call. */
static bool record_in_storage(const struct record *r)
{
	struct ep_buf path = EP_BUF_INIT, key = EP_BUF_INIT;
	struct stat st;
	bool ok = false;

	if (!r->graphroot.len || !r->driver.len || strchr(r->id.ptr, '/') ||
	    strchr(r->driver.ptr, '/'))
		return false;
	if (!ep_buf_addf(&key, "manifest-%s", r->digest.ptr) &&
	    !ep_buf_addf(&path, "%s/%s-images/%s/=", r->graphroot.ptr, r->driver.ptr, r->id.ptr) &&
	    !base64(&path, key.ptr))
		ok = stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode);
	ep_buf_release(&path);
	ep_buf_release(&key);
	return ok;
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
static int inspect(struct record *r, const struct ep_container_engine *eng, const char *name,
		   const char *repo, struct ep_container_image *img, const char *pool_id,
		   struct ep_error *err)
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

			if (!at || (r->digest.len && strncmp(tok, repo, rl)))
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
static int podman_storage(struct record *r, const struct ep_container_engine *eng,
			  const char *store_rec, struct ep_container_image *img,
			  const char *pool_id)
{
	const char *args[] = {"info", "--format", "{{.Store.GraphRoot}} {{.Store.GraphDriverName}}",
			      NULL};
	struct ep_buf out = EP_BUF_INIT, line = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	char *sp;
	int status = 0;

	if (store_rec && !ep_buf_read_file(&line, store_rec, NULL) && (sp = strrchr(line.ptr, ' ')))
		goto parse;
	if (engine_run(&out, &status, eng, args, NULL, img, pool_id, &err) || status ||
	    ep_container__last_line(&line, out.ptr) || !(sp = strrchr(line.ptr, ' '))) {
		ep_buf_release(&out);
		ep_buf_release(&line);
		return -1;
	}
	if (store_rec)
		(void)ep_fs_write_atomic(store_rec, line.ptr, line.len, 0644, &err);
parse:
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
static int pull_error(const char *name, const char *host, const char *output, struct ep_error *err)
{
	struct ep_buf line = EP_BUF_INIT;
	int rc;

	(void)ep_container__last_line(&line, output);
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
				  "in with 'podman login %s' or point REGISTRY_AUTH_FILE at a "
				  "credentials file",
				  host, name, host);
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

/* Pull `name` (a tag or a digest reference). */
static int pull(const struct ep_container_engine *eng, const struct ep_container_ref *ref,
		const char *name, const struct ep_container_pull_opts *o,
		struct ep_container_image *img, struct ep_error *err)
{
	const char *args[8];
	struct ep_buf out = EP_BUF_INIT, host = EP_BUF_INIT, cfg = EP_BUF_INIT;
	struct ep_strvec env = EP_STRVEC_INIT;
	const char *slash = strchr(ref->repo, '/');
	size_t n = 0;
	int status = 0, rc = 0;
	int64_t t0 = ep_now_ms();

	args[n++] = "pull";
	args[n++] = "--quiet";
	if (eng->kind == EP_CONTAINER_PODMAN && ep_container_ref_is_loopback(ref))
		args[n++] = "--tls-verify=false";
	if (o->authfile && eng->kind == EP_CONTAINER_PODMAN) {
		args[n++] = "--authfile";
		args[n++] = o->authfile;
	} else if (o->authfile) {
		/* docker reads credentials from $DOCKER_CONFIG/config.json */
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
		rc = pull_error(name, host.ptr, out.ptr, err);
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
		  const struct record *r, const struct ep_container_engine *eng,
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
		       struct record *r, const struct ep_container_engine *eng,
		       const struct ep_container_pull_opts *o, struct ep_error *err)
{
	struct ep_buf pinned = EP_BUF_INIT;
	struct record seen = {EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT};
	int rc;

	if (ref->digest && strcmp(ref->digest, r->digest.ptr))
		return 1;
	if (eng->kind == EP_CONTAINER_PODMAN && record_in_storage(r))
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
	record_release(&seen);
	return rc;
}

int ep_container_pull(struct ep_container_image *out, const struct ep_container_ref *ref,
		      const struct ep_container_pull_opts *o, struct ep_error *err)
{
	struct ep_container_engine eng = EP_CONTAINER_ENGINE_INIT;
	struct ep_buf key = EP_BUF_INIT, rec = EP_BUF_INIT, store = EP_BUF_INIT, name = EP_BUF_INIT;
	struct record r = {EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT};
	bool resolve = o->refresh || (o->locked_digest && ref->tag);
	bool have = false;
	int64_t t0 = ep_now_ms();
	unsigned calls;
	int rc;

	ep_container_image_init(out);
	rc = ep_container_engine_choose(&eng, o->runtime, err);
	if (!rc && ep_container_ref_format(&key, ref))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc && o->state_dir) {
		rc = record_path(&rec, o->state_dir, eng.path, key.ptr, err);
		if (!rc && ep_buf_addf(&store, "%.*s.store", (int)(rec.len - 4), rec.ptr))
			rc = ep_error_set(err, EP_ENOMEM, "out of memory");
		have = !rc && !record_read(&r, rec.ptr);
	}
	if (!rc && have && (!resolve || o->offline)) {
		rc = from_record(out, ref, &r, &eng, o, err);
		if (!rc && o->locked_digest)
			rc =
			    ep_container_check_locked(key.ptr, r.digest.ptr, o->locked_digest, err);
		if (!rc) {
			ep_narrate(EP_LOG_INFO, "container", "present", out->image_ref, o->pool_id,
				   ep_now_ms() - t0, "image '%s' present as '%s' (no pull)",
				   key.ptr, out->digest);
			goto done;
		}
		if (rc < 0)
			goto done;
		calls = out->engine_calls;
		ep_container_image_release(out);
		out->engine_calls = calls;
		rc = 0;
	}
	if (!rc && o->offline)
		rc = ep_error_set(err, EP_EFETCH,
				  "image '%s' is not present and pulls are off (offline); run "
				  "ensure without --offline",
				  key.ptr);
	/* pull what pins best: the recorded digest for a plain re-pull, else the reference */
	if (!rc && (have && !resolve && !ref->digest
			? ep_buf_addf(&name, "%s@%s", ref->repo, r.digest.ptr)
			: ep_buf_addf(&name, "%s%s%s", ref->repo, ref->tag ? ":" : "@",
				      ref->tag ? ref->tag : ref->digest)))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	if (!rc)
		rc = pull(&eng, ref, name.ptr, o, out, err);
	if (!rc)
		rc = inspect(&r, &eng, name.ptr, ref->repo, out, o->pool_id, err);
	if (!rc && ref->digest && strcmp(ref->digest, r.digest.ptr))
		rc = ep_error_set(err, EP_EVERIFY,
				  "digest mismatch for image '%s': the registry serves '%s'; "
				  "check the pinned digest or the tag",
				  key.ptr, r.digest.ptr);
	if (!rc && o->locked_digest)
		rc = ep_container_check_locked(key.ptr, r.digest.ptr, o->locked_digest, err);
	if (!rc && eng.kind == EP_CONTAINER_PODMAN)
		(void)podman_storage(&r, &eng, o->state_dir ? store.ptr : NULL, out, o->pool_id);
	if (!rc && o->state_dir)
		rc = record_write(&r, rec.ptr, key.ptr, err);
	if (!rc)
		rc = answer(out, ref, &r, &eng, err);
done:
	if (rc) {
		calls = out->engine_calls;
		ep_container_image_release(out);
		out->engine_calls = calls;
	}
	ep_buf_release(&key);
	ep_buf_release(&rec);
	ep_buf_release(&store);
	ep_buf_release(&name);
	record_release(&r);
	ep_container_engine_release(&eng);
	return rc;
}
