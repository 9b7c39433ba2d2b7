/*
 * Container mode: choose a container engine (podman, else docker, or what
 * provisioning.container.runtime names), pull an image and pin it by digest,
 * build the exact `run` command for a pool, and start, stop and report the
 * pool's container.
 *
 * Pinning. A reference is `image:tag`, `image@sha256:...` or both. A tag is
 * resolved once, by a pull, to the registry's manifest digest; the result
 * is recorded under `<state>/images/`, and from then on the pool runs
 * `image@sha256:...`, never the tag. A later ensure finds the record and
 * checks that the image is still in the engine's storage: for podman by
 * looking at the storage directory (no engine call, no registry request),
 * otherwise with one `image inspect`. `refresh` (and a locked digest)
 * resolves the tag at the registry again.
 *
 * Registries on loopback (127.0.0.0/8, localhost, [::1]) are spoken to
 * over plain http: podman gets `--tls-verify=false` for them and only for
 * them; docker treats 127.0.0.0/8 as insecure by itself.
 *
 * Credentials: never on a command line and never logged. podman reads
 * `--authfile PATH` (or REGISTRY_AUTH_FILE from the environment), docker
 * reads `$DOCKER_CONFIG/config.json`: an authfile named config.json is
 * handed to docker as DOCKER_CONFIG (its directory); any other authfile is
 * podman's, and docker keeps its own DOCKER_CONFIG. Only the path of the
 * file is ever passed.
 *
 * Secrets in the pool's env reach the engine through the container engine's
 * own environment: the command line carries `--env NAME` only.
 */
#ifndef EP_CONTAINER_H
#define EP_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/error.h"
#include "ep/strvec.h"

enum ep_container_kind { EP_CONTAINER_PODMAN, EP_CONTAINER_DOCKER };

/* The container engine chosen for a pool. */
struct ep_container_engine {
	enum ep_container_kind kind;
	char *path; /* absolute path of the engine's command */
};

#define EP_CONTAINER_ENGINE_INIT          \
	{                                 \
		EP_CONTAINER_PODMAN, NULL \
	}

/*
 * Choose the engine: `runtime` ("podman" or "docker") when not NULL, else
 * podman when it is in PATH, else docker. EP_EPREFLIGHT names what to
 * install when none is found; EP_ECONFIG for an unknown runtime.
 */
int ep_container_engine_choose(struct ep_container_engine *out, const char *runtime,
			       struct ep_error *err);
void ep_container_engine_release(struct ep_container_engine *e);
const char *ep_container_kind_name(enum ep_container_kind kind); /* "podman" | "docker" */

/* An image reference taken apart. */
struct ep_container_ref {
	char *repo;   /* "registry/name/space" */
	char *tag;    /* or NULL */
	char *digest; /* "sha256:<64 hex>" or NULL */
};

#define EP_CONTAINER_REF_INIT    \
	{                        \
		NULL, NULL, NULL \
	}

/*
 * Parse `image` (which may carry ":tag" and/or "@sha256:...") and an
 * optional separate `tag`. A reference with neither tag nor digest is
 * EP_ECONFIG (an image is never pinned to "latest" by default). Names that
 * start with '-' or hold characters outside [A-Za-z0-9._/:@-] are refused.
 */
int ep_container_ref_parse(struct ep_container_ref *out, const char *image, const char *tag,
			   struct ep_error *err);
/* The reference a pool asks for: its container config, else the provider's default image and tag.
 */
int ep_container_ref_for_pool(struct ep_container_ref *out, const struct ep_pool *pool,
			      struct ep_error *err);
void ep_container_ref_release(struct ep_container_ref *r);
/* "repo:tag", "repo@sha256:..." or "repo:tag@sha256:..." */
int ep_container_ref_format(struct ep_buf *out, const struct ep_container_ref *r);
/* Is the registry of this reference on loopback (plain http allowed)? */
bool ep_container_ref_is_loopback(const struct ep_container_ref *r);

struct ep_container_pull_opts {
	const char *state_dir;	   /* where resolutions are recorded; NULL: nothing recorded */
	const char *runtime;	   /* provisioning.container.runtime, or NULL */
	const char *authfile;	   /* credentials (docker: a config.json); NULL: the engine's own */
	const char *locked_digest; /* ensure --locked: the digest the lock file pins, or NULL */
	bool refresh;		   /* resolve the tag at the registry again */
	bool offline;		   /* never contact a registry */
	bool no_wait;		   /* a pull lock held elsewhere is EP_EBUSY */
	bool probe_engine;   /* check the engine is usable before a pull (not before a no-op) */
	const char *pool_id; /* for narration */
};

#define EP_CONTAINER_PULL_OPTS_INIT                                      \
	{                                                                \
		NULL, NULL, NULL, NULL, false, false, false, false, NULL \
	}

/* What a pull (or a no-op) left in the engine's storage. */
struct ep_container_image {
	char *image_ref;       /* "repo@sha256:..." */
	char *digest;	       /* "sha256:..." (the registry's manifest digest) */
	char *image_id;	       /* the engine's local image id */
	const char *engine;    /* "podman" | "docker" */
	bool pulled;	       /* a pull ran */
	unsigned engine_calls; /* container-engine processes this call started */
};

void ep_container_image_init(struct ep_container_image *img);
void ep_container_image_release(struct ep_container_image *img);

/*
 * Make `ref` present and pinned. Errors: EP_ENOTFOUND (the registry has no
 * such image or tag), EP_EFETCH (unauthorized, unreachable, other pull
 * failures; each with its own message), EP_EVERIFY (the tag resolved to a
 * digest other than the one the reference or the lock file pins).
 */
int ep_container_pull(struct ep_container_image *out, const struct ep_container_ref *ref,
		      const struct ep_container_pull_opts *o, struct ep_error *err);

/*
 * ensure --locked: 0 when `resolved` equals `locked`, else EP_EVERIFY
 * naming the reference and both digests.
 */
int ep_container_check_locked(const char *ref_text, const char *resolved, const char *locked,
			      struct ep_error *err);

/*
 * Preflight: the engine present (in PATH) and, when `probe`, usable (`podman
 * info` / `docker version`: one engine call); for a GPU pool
 * the NVIDIA container toolkit: a CDI spec listing nvidia.com/gpu (podman;
 * `cdi_dirs` NULL means /etc/cdi and /var/run/cdi) or nvidia-ctk (docker).
 * Fails fast with EP_EPREFLIGHT or EP_EGPU saying what to install. Findings
 * are appended to `findings` when it is not NULL. Ensure runs it without
 * the probe, and probes only before a pull (so a no-op ensure starts no
 * engine); doctor probes.
 */
int ep_container_preflight(const struct ep_pool *pool, const char *const *cdi_dirs, bool probe,
			   struct ep_buf *findings, struct ep_error *err);

/* Everything `run` needs; see ep_container_run_spec_from_pool(). */
struct ep_container_run_spec {
	enum ep_container_kind kind;
	enum ep_engine engine;
	const char *pool_id;
	const char *image_ref;	/* "repo@sha256:..."; a tag is refused unless allow_unpinned */
	bool allow_unpinned;	/* plan only: show a tag before it is resolved */
	const char *host;	/* host address the port is published on; NULL: 127.0.0.1 */
	uint16_t host_port;	/* 0: the provider's default port */
	const char *model_path; /* host file or directory, mounted read-only; may be NULL */
	const char *model_name; /* without model_path: a name the engine fetches itself */
	const uint32_t *devices;
	size_t n_devices;
	const struct ep_kv *env; /* names on the command line, values in the engine's env */
	size_t n_env;
	const struct ep_strvec *flags; /* normalized engine flags, or NULL */
	unsigned stop_grace_s;	       /* down: seconds between TERM and KILL (from_pool: 10) */
};

/*
 * Fill a spec from a pool: the container engine as ep_container_engine_choose()
 * picks it (podman when none is installed), everything else from the pool.
 * Without a runtime in the pool, the PATH search behind that choice is made
 * once per value of PATH in a process and its answer reused.
 */
void ep_container_run_spec_from_pool(struct ep_container_run_spec *spec,
				     const struct ep_pool *pool);

/* "ep-<pool_id>" */
int ep_container_name(struct ep_buf *out, const char *pool_id);

/*
 * The exact run command: `<engine> run -d --name ep-<pool> --pull=never
 * <gpus> -p host:port:container_port -v model_dir:mount:ro --env NAME...
 * image@digest [command] <model, host, port flags> <normalized flags>`.
 * GPUs: `--device nvidia.com/gpu=<i>` each (podman, CDI) or `--gpus
 * device=<i,...>` (docker). The container port and model mount come from
 * the provider. Nothing in it is secret; format it with ep_proc_format_argv.
 */
int ep_container_run_argv(struct ep_strvec *out, const struct ep_container_run_spec *spec,
			  struct ep_error *err);

/*
 * For `plan`: the run command of `pool` as one redacted, shell-quoted line
 * (never executed). The image is the pool's reference as configured (a tag
 * is shown as it will be pinned at pull time); `flags` are the normalized
 * runtime flags and `model_path` the resolved model, each may be NULL.
 */
int ep_container_plan_command(struct ep_buf *out, const struct ep_pool *pool,
			      const struct ep_strvec *flags, const char *model_path,
			      struct ep_error *err);

/*
 * The environment for the engine process: this process's environment with
 * the pool's env entries set (secret-looking values are registered for
 * redaction).
 */
int ep_container_run_env(struct ep_strvec *out, const struct ep_container_run_spec *spec);

struct ep_container_status {
	bool exists;
	bool running;
	char *state;	  /* "running", "exited", "created"...; "absent" when none */
	char *id;	  /* the container id, or NULL */
	pid_t pid;	  /* its main process as this host sees it; 0 when not running */
	int exit_code;	  /* when it has exited */
	bool was_running; /* ep_container_up: it ran already, nothing was started */
};

void ep_container_status_release(struct ep_container_status *st);

/*
 * Start the pool's container (a running one is left alone and reported; a
 * stopped one of the same name is removed first). EP_EPREFLIGHT when the
 * engine cannot start containers on this host at all, with the engine's own
 * reason; EP_EENGINE when this container failed to start.
 */
int ep_container_up(struct ep_container_status *out, const struct ep_container_run_spec *spec,
		    struct ep_error *err);

/* What ep_container_down() did. */
struct ep_container_down_result {
	bool existed;	  /* there was a container of that name */
	bool was_running; /* and it ran */
	bool killed;	  /* it outlived the grace period: the engine sent KILL */
	int64_t ms;	  /* time to stop and remove */
};

/*
 * Stop with a grace period (TERM, then KILL) and remove; an absent
 * container is not an error. When `keep_log` is not NULL, the container's
 * output is appended to that file before the container is removed.
 */
int ep_container_down(struct ep_container_down_result *out,
		      const struct ep_container_run_spec *spec, const char *keep_log,
		      struct ep_error *err);
/* Report the pool's container. */
int ep_container_status(struct ep_container_status *out, const struct ep_container_run_spec *spec,
			struct ep_error *err);
/* The last `lines` lines of the container's output (stdout and stderr), into `out`. */
int ep_container_logs(struct ep_buf *out, const struct ep_container_run_spec *spec, unsigned lines,
		      struct ep_error *err);

#endif
