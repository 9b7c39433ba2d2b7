/*
 * engine-provisioner gc: remove the store entries and build trees that no
 * pool of a config and no lock file references, and say what went and how
 * many bytes that freed.
 */
#include <stdio.h>
#include <string.h>

#include "ep/config.h"
#include "ep/gc.h"
#include "ep/lockfile.h"
#include "ep/state.h"
#include "cli.h"
#include "banned.h"

/* "12.3 MiB" for a byte count. */
static void human_bytes(char *out, size_t len, uint64_t n)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, len, "%llu bytes", (unsigned long long)n);
	else
		snprintf(out, len, "%.1f %s", v, units[u]);
}

static void print_report(const struct ep_gc_report *r, bool dry_run)
{
	char size[32];
	size_t i, gone = 0, held = 0;

	for (i = 0; i < r->n; i++) {
		const struct ep_gc_item *it = &r->items[i];

		human_bytes(size, sizeof(size), it->bytes);
		if (it->held) {
			printf("kept %s entry %s: %s\n", it->kind, it->key, it->held);
			held++;
			continue;
		}
		printf("%s %s entry %s (%s)\n", dry_run ? "would remove" : "removed", it->kind,
		       it->key, size);
		gone++;
	}
	human_bytes(size, sizeof(size), r->bytes_freed);
	printf("%s %zu %s, %s %llu bytes (%s); kept %zu referenced, %zu in use\n",
	       dry_run ? "would remove" : "removed", gone, gone == 1 ? "entry" : "entries",
	       dry_run ? "would free" : "freed", (unsigned long long)r->bytes_freed, size,
	       r->n_referenced, held);
}

int ep_cmd_gc(struct ep_cli *cli, int argc, char **argv)
{
	struct ep_gc_opts o = EP_GC_OPTS_INIT;
	struct ep_gc_report r = EP_GC_REPORT_INIT;
	struct ep_buf state = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;
	struct ep_lockfile *lock = NULL;
	const char *config = NULL, *lock_path = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--lock") && i + 1 < argc)
			lock_path = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			o.dry_run = true;
		else
			return ep_cli_usage("gc", "unknown option '%s'", argv[i]);
	}
	if (!config && !lock_path)
		return ep_cli_usage("gc", "gc needs --config FILE and/or --lock FILE to know "
					  "which entries are in use");
	if (config && (rc = ep_cli_load_config(&cfg, config)))
		return rc;
	rc = ep_state_dir(&state, cli->state_dir, &err);
	if (!rc && lock_path)
		rc = ep_lockfile_load(&lock, lock_path, &err);
	if (!rc) {
		o.state_dir = state.ptr;
		o.cfg = cfg;
		o.lock = lock;
		rc = ep_gc_run(&r, &o, &err);
	}
	if (!rc || r.n) /* what was removed before a failure is still worth saying */
		print_report(&r, o.dry_run);
	ep_gc_report_release(&r);
	ep_lockfile_free(lock);
	ep_config_free(cfg);
	ep_buf_release(&state);
	return rc ? ep_cli_fail(&err) : EP_EXIT_OK;
}
