/*
 * Running engines: start a prepared engine, know when it is ready, tell the
 * rest of the system where it is, stop it, and say what runs.
 *
 * Everything about running engines lives under one runtime directory
 * (ep_runtime_dir(): --runtime-dir, else $EP_RUNTIME_DIR, else ./.runtime,
 * relative to the working directory as the wider system reads it):
 *
 *   <runtime>/engines/<pool>.json   the handoff file, written once healthy
 *   <runtime>/pids/<pool>.pid       pid, process start time, port, url ...
 *   <runtime>/logs/<pool>.log       the engine's stdout and stderr (.1: the
 *                                   previous one, rotated at start)
 *
 * The engine runs in its own process group with a minimal environment (the
 * parent's PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, USER, LOGNAME and
 * LD_LIBRARY_PATH, then the pool's `env`, then CUDA_VISIBLE_DEVICES from the
 * device mask, "" for a CPU engine so it never touches a GPU). Values of env
 * entries whose names look secret are registered with ep_redact_register():
 * they reach the engine and nothing else.
 *
 * A container pool runs as the container ep-<pool>, started by podman or
 * docker from the pinned image; its PID file records the container's main
 * process and the container's name, and `down` and `status` go through the
 * container engine (the pid is never signalled).
 *
 * The PID file records the process start time (/proc/<pid>/stat field 22);
 * a PID whose start time differs is never signalled, and a PID file that is
 * a symbolic link is refused.
 */
#ifndef EP_ENGINE_H
#define EP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/error.h"
#include "ep/prepared.h"
#include "ep/strvec.h"

#define EP_UP_DEFAULT_TIMEOUT_S 120
#define EP_UP_DEFAULT_PORT_SPAN 16		    /* ports tried after the first */
#define EP_UP_DEFAULT_LOG_MAX	(16u * 1024 * 1024) /* rotate the log past this at start */
#define EP_DOWN_DEFAULT_GRACE_S 10

struct ep_up_opts {
	const char *runtime_dir;    /* resolved (see ep_runtime_dir); required */
	const char *state_dir;	    /* for the per-pool lock and the proof bundle; NULL: neither */
	uint32_t startup_timeout_s; /* 0: the pool's provisioning.startup_timeout_s, else 120 */
	unsigned port_span;	    /* 0: EP_UP_DEFAULT_PORT_SPAN */
	size_t log_max_bytes;	    /* 0: EP_UP_DEFAULT_LOG_MAX */
	const char *health_path;    /* NULL: the provider's, else "/health" */
	const char *version_path;   /* NULL: the provider's, else "/props" */
};

#define EP_UP_OPTS_INIT                         \
	{                                       \
		NULL, NULL, 0, 0, 0, NULL, NULL \
	}

/* What ep_engine_up() started (or found running). */
struct ep_running {
	pid_t pid;
	unsigned long long start_time; /* /proc/<pid>/stat field 22, clock ticks after boot */
	bool already;		       /* it was already running: nothing was started */
	char *url;		       /* "http://127.0.0.1:8080" */
	char *log_path;
	char *pid_path;
	char *handoff_path;
	char *proof_dir;   /* the proof bundle, or NULL */
	char *container;   /* container mode: the container's name ("ep-<pool>"), else NULL */
	int64_t spawn_ms;  /* building the command and starting the process */
	int64_t health_ms; /* from the start to the first 200 from the health endpoint */
	int64_t version_ms;
	struct ep_proc *proc; /* the child, when this process started it */
};

void ep_running_init(struct ep_running *r);
/* Free what `r` holds; the engine keeps running. */
void ep_running_release(struct ep_running *r);

/*
 * Start the prepared engine `pe` of `pool` and wait until it is healthy.
 * Picks the port (pe->port, else the pool's first port, else the engine's
 * default; when taken, the next free one within the span, narrating who
 * holds it), records it in pe->port and pe->host, asks the engine for its
 * version (pe->engine_version), writes the PID file at once and the handoff
 * file once healthy. When the pool's engine already runs (PID file with a
 * matching start time), returns it with out->already set.
 *
 * Failures: EP_ESPAWN (could not start), EP_EENGINE (it exited during
 * startup: its exit status and the last lines of its log; or it never became
 * healthy within the timeout: then it is stopped, and the last log lines are
 * in the message), EP_EBUSY (no free port in the span), EP_EUNSAFE (a PID
 * file that is a symbolic link).
 */
int ep_engine_up(struct ep_running *out, struct ep_prepared *pe, const struct ep_pool *pool,
		 const struct ep_up_opts *opts, struct ep_error *err);

/* The environment ep_engine_up() gives the engine ("KEY=VALUE" entries). */
int ep_engine_env(struct ep_strvec *out, const struct ep_prepared *pe, const struct ep_pool *pool,
		  struct ep_error *err);
/* The engine's argv: binary, --model, --host, --port, then the normalized flags. */
int ep_engine_argv(struct ep_strvec *out, const struct ep_prepared *pe, struct ep_error *err);

enum ep_stop_how {
	EP_STOP_NONE, /* nothing was running */
	EP_STOP_TERM, /* it ended after SIGTERM within the grace period */
	EP_STOP_KILL, /* it was still there after the grace period: SIGKILL */
};

struct ep_down_result {
	bool was_running;
	bool stale;	/* a PID file named a process that is not the engine (not signalled) */
	bool container; /* it was the pool's container, stopped by the container engine */
	pid_t pid;
	enum ep_stop_how how;
	int64_t ms; /* time to stop */
};

/*
 * Stop the engine of `pool_id`: SIGTERM (and SIGCONT) to its process group,
 * SIGKILL after `grace_s` seconds, wait until no process of the group is
 * left, then remove the PID and handoff files. Nothing running is not an
 * error (how == EP_STOP_NONE).
 */
int ep_engine_down(struct ep_down_result *out, const char *runtime_dir, const char *pool_id,
		   unsigned grace_s, struct ep_error *err);

/* Pool ids with a PID file under `runtime_dir`, sorted. */
int ep_engine_list(struct ep_strvec *out, const char *runtime_dir, struct ep_error *err);

struct ep_engine_status {
	char *pool_id;
	bool running; /* checked: the pid lives and its start time matches */
	pid_t pid;
	uint16_t port;
	char *url;
	int64_t uptime_s; /* -1 when not running */
	char *engine_version;
	char *engine_digest;
	char *log_path;
	int health;	 /* HTTP status of the health endpoint now; 0: no answer; -1: not asked */
	char *container; /* container mode: the container's name, else NULL */
	char *container_state; /* what the container engine says now ("running", "exited"...) */
};

void ep_engine_status_release(struct ep_engine_status *st);
/* Check the pool's engine now (health asked only when it runs). */
int ep_engine_status(struct ep_engine_status *out, const char *runtime_dir, const char *pool_id,
		     struct ep_error *err);
int ep_engine_status_to_json(struct ep_buf *out, const struct ep_engine_status *st);

/* Resolve the runtime directory (explicit may be NULL) into `out`, absolute. */
int ep_runtime_dir(struct ep_buf *out, const char *explicit_dir, struct ep_error *err);

#endif
