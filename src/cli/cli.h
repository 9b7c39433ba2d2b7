/*
 * The command-line tool: main.c parses the global options, finds the
 * subcommand in one table and calls it. Each subcommand lives in its own
 * cmd_<name>.c and uses only the library's public API.
 */
#ifndef EP_CLI_H
#define EP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ep/error.h"

/* Exit statuses, documented in --help and the man page. */
enum ep_exit {
	EP_EXIT_OK = 0,
	EP_EXIT_FAILURE = 1, /* a runtime step failed (fetch, build, io, engine) */
	EP_EXIT_USAGE = 2,   /* bad command line */
	EP_EXIT_CONFIG = 3,  /* the config is invalid */
	EP_EXIT_POLICY = 4,  /* the config's policy forbids a step */
	EP_EXIT_HOST = 5,    /* the host cannot serve: tools, driver, GPU */
	EP_EXIT_VERIFY = 6,  /* checksum, digest, lock mismatch or hostile input */
	EP_EXIT_BUSY = 7,    /* a lock is held and --no-wait was given */
};

struct ep_cli {
	bool json_log;	       /* --log-format json */
	bool verbose;	       /* -v: debug narration */
	bool quiet;	       /* -q: warnings and errors only */
	const char *state_dir; /* --state-dir, or NULL */
};

struct ep_cli_cmd {
	const char *name;
	int (*run)(struct ep_cli *cli, int argc, char **argv);
	const char *summary;
	const char *usage; /* full --help text of the command */
};

extern const struct ep_cli_cmd ep_cli_commands[];

/* Map a library code to the documented exit status. */
int ep_cli_exit_code(int code);
/* Print "engine-provisioner: error: <msg>" to stderr; returns the exit status for err->code. */
int ep_cli_fail(const struct ep_error *err);
/* Print a usage error and the command's synopsis; returns EP_EXIT_USAGE. */
int ep_cli_usage(const char *cmd, const char *fmt, ...) EP_PRINTF(2, 3);
/* Is argv[i] "-h" or "--help"? Then print the command's help. */
bool ep_cli_wants_help(const char *cmd, int argc, char **argv);

struct ep_config;
struct ep_pool;

/*
 * Load a config; the one way every command reports a bad one: each problem
 * on its own line, "FILE:LINE:COL: KEY: MESSAGE", then one summary line,
 * all on stderr, and EP_EXIT_CONFIG. Returns an exit status.
 */
int ep_cli_load_config(struct ep_config **out, const char *path);
/* EP_EXIT_OK when pool_id is NULL or names a pool; else prints the pools and returns EP_EXIT_USAGE.
 */
int ep_cli_check_pool(const struct ep_config *cfg, const char *pool_id);
/* Does the command act on `pool` (pool_id NULL means every pool)? */
bool ep_cli_pool_selected(const struct ep_pool *pool, const char *pool_id);
/*
 * Match option `name` at argv[*i] in the forms "NAME VALUE" and "NAME=VALUE".
 * On a match *value is the value (NULL when it is missing) and *i is advanced
 * past it.
 */
bool ep_cli_value_opt(const char *name, int argc, char **argv, int *i, const char **value);

int ep_cmd_help(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_version(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_plan(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_catalog(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_gc(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_validate(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_doctor(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_ensure(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_up(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_down(struct ep_cli *cli, int argc, char **argv);
int ep_cmd_status(struct ep_cli *cli, int argc, char **argv);

#endif
