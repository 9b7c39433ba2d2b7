/*
 * Internal: the pieces ep_engine_up/down/status are made of. PID records
 * (pidfile.c), ports (port.c), HTTP probes (health.c), the handoff file and
 * the runtime directory (handoff.c), and starting the process (spawn.c).
 */
#ifndef EP_ENGINE_INTERNAL_H
#define EP_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "ep/container.h"
#include "ep/engine.h"
#include "ep/error.h"
#include "ep/prepared.h"
#include "ep/proc.h"

/* What a PID file records. */
struct ep_pidrec {
	pid_t pid;
	unsigned long long start_time;
	int64_t started_at; /* wall clock, seconds since the epoch */
	uint16_t port;
	char *url;
	char *health_path;
	char *engine_version;
	char *engine_digest;
	char *log_path;
	char *container;	/* container mode: the container's name, else NULL */
	char *container_engine; /* "podman" | "docker" */
};

void ep_pidrec__release(struct ep_pidrec *r);
/* "<runtime>/<sub>/<pool_id><ext>" */
int ep_runtime__path(struct ep_buf *out, const char *runtime_dir, const char *sub,
		     const char *pool_id, const char *ext);
/* Write atomically (the first line is the pid alone, for `kill $(head -1 FILE)`). */
int ep_pidfile__write(const char *path, const struct ep_pidrec *r, struct ep_error *err);
/* Read; EP_ENOTFOUND when absent, EP_EUNSAFE when a symbolic link or malformed. */
int ep_pidfile__read(struct ep_pidrec *out, const char *path, struct ep_error *err);
/* Remove; refuses (EP_EUNSAFE) nothing: a symlink is removed, never followed. */
int ep_pidfile__remove(const char *path, struct ep_error *err);
/* Field 22 of /proc/<pid>/stat and the state letter; -1 when there is no such process. */
int ep_proc__start_time(unsigned long long *start, char *state, pid_t pid);
/* Does the process of the record live (not a zombie) with the recorded start time? */
bool ep_pidrec__alive(const struct ep_pidrec *r);
/* Does any process (zombies aside) belong to process group `pgid`? */
bool ep_pgrp__alive(pid_t pgid);

/*
 * SIGTERM and SIGCONT to process group `pgid` (to `pgid` alone when it is
 * not a group leader), SIGKILL after `grace_s` seconds, then wait (bounded)
 * until no process of the group is left. *how says which it took.
 */
void ep_engine__stop_group(enum ep_stop_how *how, pid_t pgid, unsigned grace_s);

/* Can `host:port` be bound now? */
bool ep_port__is_free(const char *host, uint16_t port);
/* "pid 4242 (python3)" for the process listening on `port`, or "" when unknown. */
int ep_port__holder(struct ep_buf *out, uint16_t port);

/* One GET of a health endpoint: the HTTP status, or 0 when nothing answered. */
int ep_health__probe(const char *url, long timeout_ms);
/* "http://HOST:PORT" with a loopback address for wildcard hosts, brackets for IPv6. */
int ep_http__base_url(struct ep_buf *out, const char *host, uint16_t port);

enum ep_health_outcome { EP_HEALTH_OK, EP_HEALTH_EXITED, EP_HEALTH_TIMEOUT };

struct ep_health_result {
	enum ep_health_outcome outcome;
	int exit_status; /* EP_HEALTH_EXITED: as ep_proc_wait reports it */
	int last_status; /* the last HTTP status seen (503 while loading), 0: none */
	unsigned polls;
	int64_t ms;
};

/*
 * Poll `url` until 200, the child `proc` ends, the process `watch` records
 * is gone (either may be NULL), or `timeout_ms` passes.
 */
int ep_health__wait(struct ep_health_result *out, const char *url, int64_t timeout_ms,
		    struct ep_proc *proc, const struct ep_pidrec *watch);
/* The engine's version from its properties endpoint (build_info or version). */
int ep_health__version(char **out, const char *url);

/* Write the handoff file for a healthy engine, atomically. */
int ep_handoff__write(const char *path, const struct ep_prepared *pe, const struct ep_pool *pool,
		      const char *url, struct ep_error *err);

/* Open the pool's log for appending, rotating it to .1 when over `max`. */
int ep_spawn__open_log(int *fd_out, const char *path, size_t max, struct ep_error *err);
/* The last `n` lines of a log file (empty when unreadable). */
void ep_spawn__log_tail(struct ep_buf *out, const char *path, size_t n);

/*
 * Container pools (engine_container.c). Start: run the pool's container and
 * give its main process (pid, start time) and the container engine's name;
 * a container that ends at once is EP_EENGINE with its exit status and last
 * lines (kept in `log_path`).
 */
int ep_engine__container_start(pid_t *pid, unsigned long long *start_time, const char **engine,
			       const struct ep_prepared *pe, const struct ep_pool *pool,
			       const char *log_path, struct ep_error *err);
/*
 * The exact run command, shell-quoted (nothing in it is secret), and the
 * environment entries for the container (KEY=VALUE), appended to the env vector.
 */
int ep_engine__container_command(struct ep_buf *cmdline, struct ep_strvec *env,
				 const struct ep_prepared *pe, const struct ep_pool *pool,
				 struct ep_error *err);
/*
 * After a failed start: stop (within grace_s) and remove the pool's
 * container, keeping its output in `log_path`; returns its exit code.
 */
int ep_engine__container_discard(const char *engine, const char *pool_id, const char *log_path,
				 unsigned grace_s);
/* "docker" or "podman" as a PID file's container_engine names it (NULL: podman). */
const char *ep_engine__container_engine(const char *recorded);
/* `down` of a container pool. */
int ep_engine__container_stop(struct ep_down_result *out, const struct ep_pidrec *rec,
			      const char *pool_id, unsigned grace_s, struct ep_error *err);
/* `status` of a container pool: running, pid and state as the container engine says. */
int ep_engine__container_state(struct ep_engine_status *out, const struct ep_pidrec *rec,
			       const char *pool_id, struct ep_error *err);

#endif
