/*
 * Internal to the container modules (container.c, container_pull.c,
 * container_run.c): running the engine and reading what it says.
 */
#ifndef EP_CONTAINER_INT_H
#define EP_CONTAINER_INT_H

#include "ep/buf.h"
#include "ep/container.h"
#include "ep/error.h"

/* Why a pull failed, read from the engine's stderr. */
enum ep_container_fail {
	EP_CONTAINER_FAIL_OTHER,
	EP_CONTAINER_FAIL_NOT_FOUND,
	EP_CONTAINER_FAIL_UNAUTHORIZED,
	EP_CONTAINER_FAIL_UNREACHABLE,
};

/* Classify an engine's error output. */
enum ep_container_fail ep_container__classify(const char *output);

/*
 * Run `argv` (argv[0] the engine's path) with `env` (NULL: this process's),
 * stdout and stderr together in `out` (capped). *status is the exit status.
 * Returns 0 when the engine ran at all.
 */
int ep_container__exec(struct ep_buf *out, int *status, const char *const *argv,
		       const char *const *env, const char *pool_id, struct ep_error *err);

/* Is the engine usable (`podman info`, `docker version`)? One call; EP_EPREFLIGHT when not. */
int ep_container__probe(const struct ep_container_engine *eng, const char *pool_id,
			struct ep_buf *findings, struct ep_error *err);

/* The last non-empty line of `s` (for values printed after warnings), into out. */
int ep_container__last_line(struct ep_buf *out, const char *s);
/* The engine's reason for a failure: its last line but docker's "--help" trailer, no final '.' */
int ep_container__reason(struct ep_buf *out, const char *s);

/* A recorded resolution (container_record.c). */
struct ep_container_record {
	struct ep_buf digest, id, graphroot, driver;
};

#define EP_CONTAINER_RECORD_INIT                                   \
	{                                                          \
		EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT, EP_BUF_INIT \
	}

void ep_container__record_release(struct ep_container_record *r);
/* The record's path for `key` as written, with this engine and storage environment. */
int ep_container__record_path(struct ep_buf *out, const char *state_dir, const char *engine_path,
			      const char *key, struct ep_error *err);
/* 0, or 1 when the record is missing or damaged. */
int ep_container__record_read(struct ep_container_record *r, const char *path);
int ep_container__record_write(const struct ep_container_record *r, const char *path,
			       const char *key, struct ep_error *err);
/* Is the recorded podman image (that very manifest) in its storage? No engine call. */
bool ep_container__record_in_storage(const struct ep_container_record *r);

#endif
