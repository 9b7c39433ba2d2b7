/*
 * engine-provisioner: the command-line tool. Global options, the command
 * table, the sink for narration and the mapping of error codes to exit
 * statuses live here; everything else is in cmd_<name>.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep/log.h"
#include "cli.h"
#include "banned.h"

const struct ep_cli_cmd ep_cli_commands[] = {
    {"help", ep_cmd_help, "show help for the tool or a command",
     "usage: engine-provisioner help [COMMAND]\n"},
    {"plan", ep_cmd_plan, "show the steps for each pool, with no side effects",
     "usage: engine-provisioner plan --config FILE [--pool ID | --all] [--json]\n"
     "\n"
     "Prints the steps ensure and up take for each pool (every pool unless --pool\n"
     "names one): tool preflight, GPU check, clone, configure, build, install, pull,\n"
     "download, verify, model fetch, run, with the normalized CMake and runtime\n"
     "flags. Nothing is written and no tool is run; the same config gives\n"
     "byte-identical output every time. FILE '-' reads the config from stdin.\n"
     "\n"
     "  --json   one JSON object per pool {\"pool_id\", \"engine\", \"mode\", \"flags\",\n"
     "           [\"cmake_flags\"], \"steps\": [{\"kind\", \"detail\"}]}; an array unless\n"
     "           --pool is given\n"},
    {"validate", ep_cmd_validate, "check a pool config and report every problem in it",
     "usage: engine-provisioner validate --config FILE [--json]\n"
     "\n"
     "Loads FILE (YAML or JSON; '-' reads stdin) and checks it against the pool schema.\n"
     "Every problem is reported, one per line, as FILE:LINE:COL: KEY: MESSAGE, where KEY\n"
     "is the key path (pools[1].provisioning.source.ref). Nothing is written.\n"
     "\n"
     "  --config FILE  the pool config\n"
     "  --json         print {\"valid\":BOOL,\"errors\":[{\"line\",\"col\",\"key\",\"message\"}]}\n"
     "\n"
     "Exit status: 0 valid, 3 the config is invalid, 1 it cannot be read, 2 bad usage.\n"},
    {"doctor", ep_cmd_doctor, "report the host: OS, tools, CUDA toolkit, driver, GPUs",
     "usage: engine-provisioner doctor [--config FILE] [--json]\n"
     "\n"
     "Reports the OS and its package manager, each tool the config's pools need (every\n"
     "known tool without --config) with path and version, the CUDA toolkit (root,\n"
     "version, how it was found), the NVIDIA driver (version, highest CUDA supported)\n"
     "and each GPU (index, name, memory, compute capability). Nothing is installed.\n"
     "\n"
     "  --config FILE  also check that each pool of FILE can be provisioned here\n"
     "  --json         one JSON object instead of text\n"
     "\n"
     "Environment: EP_CUDA_DRIVER_LIBRARY and EP_NVML_LIBRARY name the CUDA driver and\n"
     "NVML libraries to load (default libcuda.so.1, libnvidia-ml.so.1).\n"
     "\n"
     "Exit status: 0 when every pool can be provisioned here (or no --config), 5 when\n"
     "one cannot (each reason is listed), 3 when the config is invalid.\n"},
    {"ensure", ep_cmd_ensure, "prepare the engine of a pool and print what was prepared",
     "usage: engine-provisioner ensure --config FILE [--pool ID | --all] [--json]\n"
     "                                 [--offline] [--no-wait] [--locked FILE]\n"
     "\n"
     "Runs the pool's plan idempotently (preflight, git, cmake, store, model) and prints\n"
     "one PreparedEngine per pool; with --all --json a JSON array. Unchanged inputs run\n"
     "no git and no cmake.\n"
     "\n"
     "  --config FILE   the pool config (YAML or JSON)\n"
     "  --pool ID       the pool to prepare (needed when the config has several)\n"
     "  --all           every pool of the config\n"
     "  --json          PreparedEngine JSON instead of text\n"
     "  --offline       no network: no fetch (local repositories and bundles still work)\n"
     "  --no-wait       fail at once, naming the holder, when another process holds a lock\n"
     "  --locked FILE   refuse any resolution that differs from the lock file\n"},
    {"version", ep_cmd_version, "print the version",
     "usage: engine-provisioner version [--json]\n"},
    {"catalog", ep_cmd_catalog, "list prepared engines, show one, write a lock file",
     "usage: engine-provisioner catalog list [--json]\n"
     "       engine-provisioner catalog show KEY [--json]\n"
     "       engine-provisioner catalog lock --config FILE > engines.lock\n"
     "\n"
     "list   every prepared engine the catalog records\n"
     "show   one engine (KEY or a unique prefix of at least 4 characters) and its runs\n"
     "lock   write, to stdout, what every pool of FILE resolved to (engine, mode, repo,\n"
     "       ref, commit, store key, engine digest, image digest, binary checksum), from\n"
     "       each pool's newest successful run; 'ensure --locked engines.lock' refuses\n"
     "       any resolution that differs from it\n"},
    {"gc", ep_cmd_gc, "remove store entries and build trees nothing references",
     "usage: engine-provisioner gc [--config FILE] [--lock FILE] [--dry-run]\n"
     "\n"
     "Removes every store entry (<state>/store/KEY) and build tree (<state>/builds/KEY)\n"
     "that no pool of FILE (its newest successful run) and no lock file references,\n"
     "with its catalog row, and reports what went and the bytes freed. At least one\n"
     "of --config and --lock is needed. An entry in use (its lock held) is kept.\n"
     "\n"
     "  --config FILE  keep what this config's pools use\n"
     "  --lock FILE    keep what this lock file pins\n"
     "  --dry-run      report what would be removed, remove nothing\n"},
    {"up", ep_cmd_up, "ensure pools and start their engines; wait until healthy",
     "usage: engine-provisioner up --config FILE [--pool ID | --all] [--json]\n"
     "                             [--runtime-dir DIR] [--timeout SECONDS] [--replica ID]\n"
     "\n"
     "Ensures each selected pool, starts its engine in its own process group with a\n"
     "minimal environment, and waits until its health endpoint answers 200. Then writes\n"
     "the handoff file <runtime>/engines/<pool>.json. An engine that already runs is\n"
     "reported and left alone. Files: <runtime>/pids/<pool>.pid, <runtime>/logs/<pool>.log.\n"
     "A container pool runs as the container ep-<pool> from the pinned digest, with its\n"
     "GPUs by CDI (podman) or --gpus (docker), its port published, the model mounted\n"
     "read-only and env values passed through the container engine's environment.\n"
     "\n"
     "  --config FILE      the pool config\n"
     "  --pool ID          the pool to start (needed when the config has several)\n"
     "  --all              start every pool of the config\n"
     "  --runtime-dir DIR  where handoff, PID and log files go\n"
     "                     (default: $EP_RUNTIME_DIR, else ./.runtime)\n"
     "  --timeout SECONDS  health wait (default: provisioning.startup_timeout_s, else 120)\n"
     "  --replica ID       the replica id recorded in the handoff file (default r0)\n"
     "  --json             one JSON object per pool on stdout\n"},
    {"down", ep_cmd_down, "stop engines (TERM, then KILL after a grace period)",
     "usage: engine-provisioner down (--pool ID | --all) [--grace SECONDS] [--json]\n"
     "                               [--runtime-dir DIR]\n"
     "\n"
     "Sends SIGTERM (and SIGCONT) to the engine's process group, SIGKILL after the grace\n"
     "period (default 10 s), and says which it took; removes the PID and handoff files.\n"
     "A PID file whose process has another start time is never signalled. Stopping a\n"
     "pool that does not run succeeds. A container pool's container is stopped by its\n"
     "container engine with the same grace period, its output appended to the pool's\n"
     "log, and removed.\n"},
    {"status", ep_cmd_status, "show the engines this host started, checked now",
     "usage: engine-provisioner status [--pool ID] [--json] [--runtime-dir DIR]\n"
     "\n"
     "For every PID file under the runtime directory: running or not (by pid and process\n"
     "start time), pid, port, url, uptime, engine version and digest, and the HTTP\n"
     "status its health endpoint answers now. A container pool: the container and its\n"
     "state as the container engine reports it.\n"},
    {NULL, NULL, NULL, NULL},
};

int ep_cli_exit_code(int code)
{
	switch (code) {
	case EP_OK:
		return EP_EXIT_OK;
	case EP_EUSAGE:
		return EP_EXIT_USAGE;
	case EP_ECONFIG:
		return EP_EXIT_CONFIG;
	case EP_EPOLICY:
		return EP_EXIT_POLICY;
	case EP_EPREFLIGHT:
	case EP_EGPU:
		return EP_EXIT_HOST;
	case EP_EVERIFY:
	case EP_EUNSAFE:
		return EP_EXIT_VERIFY;
	case EP_EBUSY:
		return EP_EXIT_BUSY;
	default:
		return EP_EXIT_FAILURE;
	}
}

int ep_cli_fail(const struct ep_error *err)
{
	fprintf(stderr, "engine-provisioner: error: %s\n",
		err->msg[0] ? err->msg : ep_code_name(err->code));
	return ep_cli_exit_code(err->code);
}

static const struct ep_cli_cmd *find_cmd(const char *name)
{
	const struct ep_cli_cmd *c;

	for (c = ep_cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int ep_cli_usage(const char *cmd, const char *fmt, ...)
{
	const struct ep_cli_cmd *c = cmd ? find_cmd(cmd) : NULL;
	va_list ap;

	fputs("engine-provisioner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c)
		fputs(c->usage, stderr);
	else
		fputs("run 'engine-provisioner help' for the commands\n", stderr);
	return EP_EXIT_USAGE;
}

bool ep_cli_wants_help(const char *cmd, int argc, char **argv)
{
	const struct ep_cli_cmd *c = find_cmd(cmd);
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			if (c)
				fputs(c->usage, stdout);
			return true;
		}
	}
	return false;
}

static const char global_usage[] =
    "usage: engine-provisioner [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Turns a declarative pool config into a prepared, running LLM inference engine.\n"
    "\n"
    "Global options:\n"
    "  --log-format text|json  narration as readable lines (default) or JSON lines\n"
    "  --state-dir DIR         where mirrors, builds, the store and the catalog live\n"
    "                          (default: $EP_STATE_DIR, else $XDG_CACHE_HOME/engine-provisioner)\n"
    "  -v, --verbose           also narrate debug events (every process started)\n"
    "  -q, --quiet             narrate warnings and errors only\n"
    "  -h, --help              this help\n"
    "\n"
    "Commands:\n";

static const char exit_usage[] =
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  a runtime step failed (fetch, build, file system, engine start)\n"
    "  2  bad command line\n"
    "  3  the config is invalid\n"
    "  4  the config's policy forbids a needed step\n"
    "  5  the host cannot serve (missing tools, no driver or GPU, driver too old)\n"
    "  6  verification failed (checksum, digest, lock mismatch, hostile input)\n"
    "  7  a lock is held by another process and --no-wait was given\n"
    "\n"
    "'engine-provisioner help COMMAND' or 'engine-provisioner COMMAND --help' shows a command.\n";

int ep_cmd_help(struct ep_cli *cli, int argc, char **argv)
{
	const struct ep_cli_cmd *c;

	(void)cli;
	if (argc > 1) {
		c = find_cmd(argv[1]);
		if (!c)
			return ep_cli_usage(NULL, "unknown command '%s'", argv[1]);
		fputs(c->usage, stdout);
		return EP_EXIT_OK;
	}
	fputs(global_usage, stdout);
	for (c = ep_cli_commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	fputs(exit_usage, stdout);
	return EP_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ep_cli cli = {false, false, false, NULL};
	const struct ep_cli_cmd *c;
	enum ep_level level;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--log-format") && i + 1 < argc) {
			const char *v = argv[++i];

			if (strcmp(v, "json") && strcmp(v, "text"))
				return ep_cli_usage(
				    NULL, "--log-format takes 'text' or 'json', not '%s'", v);
			cli.json_log = !strcmp(v, "json");
		} else if (!strncmp(a, "--log-format=", 13)) {
			const char *v = a + 13;

			if (strcmp(v, "json") && strcmp(v, "text"))
				return ep_cli_usage(
				    NULL, "--log-format takes 'text' or 'json', not '%s'", v);
			cli.json_log = !strcmp(v, "json");
		} else if (!strcmp(a, "--state-dir") && i + 1 < argc) {
			cli.state_dir = argv[++i];
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli.verbose = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli.quiet = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return ep_cmd_help(&cli, 0, NULL);
		} else if (!strcmp(a, "--version")) {
			return ep_cmd_version(&cli, 0, NULL);
		} else {
			return ep_cli_usage(NULL, "unknown option '%s'", a);
		}
	}
	if (i >= argc) {
		fputs(global_usage, stderr);
		return EP_EXIT_USAGE;
	}
	c = find_cmd(argv[i]);
	if (!c)
		return ep_cli_usage(NULL, "unknown command '%s'", argv[i]);
	level = cli.verbose ? EP_LOG_DEBUG : cli.quiet ? EP_LOG_WARN : EP_LOG_INFO;
	ep_log_set_sink(cli.json_log ? ep_log_sink_json : ep_log_sink_text, stderr, level);
	if (ep_cli_wants_help(c->name, argc - i, argv + i))
		return EP_EXIT_OK;
	return c->run(&cli, argc - i, argv + i);
}
