/*
 * Subprocesses (git's run-command). argv vectors only: no shell ever parses
 * anything. Children are started with posix_spawn, so "cannot run 'cmake':
 * not found" is an error of its own; the child's environment is either the
 * parent's or exactly the vector given; every launch is narrated at debug
 * level with secrets redacted.
 *
 *	struct ep_proc_opts o = EP_PROC_OPTS_INIT;
 *	const char *argv[] = {"git", "--version", NULL};
 *	o.argv = argv;
 *	o.out = EP_PROC_PIPE;
 *	o.err = EP_PROC_TO_OUT;
 *	rc = ep_proc_run(&o, &captured, &status, &err);
 */
#ifndef EP_PROC_H
#define EP_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ep/buf.h"
#include "ep/error.h"

enum ep_proc_stdio {
	EP_PROC_INHERIT, /* the parent's descriptor */
	EP_PROC_NULL,	 /* /dev/null */
	EP_PROC_PIPE,	 /* a pipe the parent reads (stdout/stderr) or writes (stdin) */
	EP_PROC_FD,	 /* the descriptor in in_fd/out_fd/err_fd */
	EP_PROC_TO_OUT,	 /* stderr only: wherever stdout goes */
};

struct ep_proc_opts {
	const char *const *argv; /* argv[0] is looked up in PATH unless it has a '/' */
	const char *const *env;	 /* the child's whole environment; NULL = the parent's */
	const char *cwd;	 /* NULL = the parent's */
	enum ep_proc_stdio in, out, err;
	int in_fd, out_fd, err_fd;
	bool own_pgrp;	      /* start a new process group led by the child */
	const char *pool_id;  /* for narration only */
	bool close_other_fds; /* close every descriptor above 2 in the child, inherited ones too */
};

#define EP_PROC_OPTS_INIT                                                                     \
	{                                                                                     \
		NULL, NULL, NULL, EP_PROC_NULL, EP_PROC_INHERIT, EP_PROC_INHERIT, -1, -1, -1, \
		    false, NULL, false                                                        \
	}

struct ep_proc;

/* Start a child; on success *out is a handle to wait on and free. */
int ep_proc_start(struct ep_proc **out, const struct ep_proc_opts *o, struct ep_error *err);
pid_t ep_proc_pid(const struct ep_proc *p);
/* The parent's end of a pipe requested with EP_PROC_PIPE, or -1. */
int ep_proc_stdin_fd(const struct ep_proc *p);
int ep_proc_stdout_fd(const struct ep_proc *p);
int ep_proc_stderr_fd(const struct ep_proc *p);
/*
 * Wait for the child to end. *status_out is its exit code, or 128+N when it
 * was killed by signal N.
 */
int ep_proc_wait(struct ep_proc *p, int *status_out, struct ep_error *err);
/* Non-blocking: 1 when it has ended (status set), 0 while it runs. */
int ep_proc_poll(struct ep_proc *p, int *status_out, struct ep_error *err);
/* Close pipes and free the handle; does not wait or kill. */
void ep_proc_free(struct ep_proc *p);

/*
 * Run to completion. When o->out is EP_PROC_PIPE, stdout (and stderr when
 * o->err is EP_PROC_TO_OUT) is collected into `captured` (which may carry a
 * cap; the excess is drained and dropped). Returns 0 when the child ran,
 * whatever its exit status; a child that could not start is an error.
 */
int ep_proc_run(const struct ep_proc_opts *o, struct ep_buf *captured, int *status_out,
		struct ep_error *err);

/* Quote argv for a log line or a proof bundle (redacted, shell-like, never executed). */
int ep_proc_format_argv(struct ep_buf *out, const char *const *argv);

/* Find `name` in PATH (or `path_env` when not NULL); 0 and the full path, or EP_ENOTFOUND. */
int ep_proc_which(struct ep_buf *out, const char *name, const char *path_env);

/* Count of children started by this process (for tests and benchmarks). */
uint64_t ep_proc_spawn_count(void);

#endif
