/*
 * ep-catalog-fixture: sets up what `ensure` would leave behind, through the
 * library, so the catalog and gc commands can be tested on their own.
 *
 *   ep-catalog-fixture STATE entry KEY MODE BUILD_REF DIGEST BYTES
 *       a store entry with a BYTES-byte bin/llama-server, a build tree, and
 *       its catalog engine row
 *   ep-catalog-fixture STATE run POOL KEY OUTCOME
 *       a run row ("-" for no key)
 *   ep-catalog-fixture STATE hold NAME READY RELEASE
 *       take lock NAME, create the file READY, hold until RELEASE exists (120 s at most)
 *   ep-catalog-fixture STATE check
 *       PRAGMA integrity_check; prints "ok"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/lock.h"
#include "banned.h"

static int fail(const struct ep_error *err)
{
	fprintf(stderr, "ep-catalog-fixture: %s\n", err->msg);
	return 1;
}

static int entry(struct ep_catalog *cat, const char *state, char **a, struct ep_error *err)
{
	struct ep_buf dir = EP_BUF_INIT, bin = EP_BUF_INIT, inputs = EP_BUF_INIT;
	size_t n = strtoul(a[4], NULL, 10);
	char *data = calloc(1, n + 1);
	struct ep_catalog_engine e = {a[0], "llamacpp", a[1], "b1 (fixture)",
				      NULL, a[3],	NULL, NULL};
	int rc;

	ep_buf_addf(&dir, "%s/store/%s/bin", state, a[0]);
	ep_buf_addf(&bin, "%s/llama-server", dir.ptr);
	ep_buf_addf(&inputs, "{\"repo\":\"/src/fixture\",\"ref\":\"v1\",\"key\":\"%s\"}", a[0]);
	e.build_ref = strcmp(a[2], "-") ? a[2] : NULL;
	e.location = bin.ptr;
	e.inputs_json = inputs.ptr;
	rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	if (!rc)
		rc = ep_fs_write_atomic(bin.ptr, data, n, 0755, err);
	ep_buf_reset(&dir);
	ep_buf_addf(&dir, "%s/builds/%s/bin", state, a[0]);
	if (!rc)
		rc = ep_fs_mkdirs(dir.ptr, 0755, err);
	if (!rc)
		rc = ep_catalog_put_engine(cat, &e, err);
	free(data);
	ep_buf_release(&dir);
	ep_buf_release(&bin);
	ep_buf_release(&inputs);
	return rc;
}

static int hold(const char *state, char **a, struct ep_error *err)
{
	struct ep_lock lk = EP_LOCK_INIT;
	struct timespec ts = {0, 20 * 1000000L};
	int i, rc = ep_lock_acquire(&lk, state, a[0], true, err);

	if (rc)
		return rc;
	rc = ep_fs_write_atomic(a[1], "held\n", 5, 0644, err);
	for (i = 0; !rc && i < 6000 && !ep_fs_exists(a[2]); i++)
		nanosleep(&ts, NULL);
	ep_lock_release(&lk);
	return rc;
}

int main(int argc, char **argv)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_catalog *cat = NULL;
	int rc;

	if (argc < 3) {
		fputs("usage: ep-catalog-fixture STATE entry|run|hold|check ARGS...\n", stderr);
		return 2;
	}
	if (!strcmp(argv[2], "hold") && argc == 6)
		return hold(argv[1], argv + 3, &err) ? fail(&err) : 0;
	if (ep_catalog_open(&cat, argv[1], &err))
		return fail(&err);
	if (!strcmp(argv[2], "entry") && argc == 8) {
		rc = entry(cat, argv[1], argv + 3, &err);
	} else if (!strcmp(argv[2], "run") && argc == 6) {
		struct ep_catalog_run r = {argv[3], strcmp(argv[4], "-") ? argv[4] : NULL,
					   "sha256:fixture", argv[5], 7};

		rc = ep_catalog_record_run(cat, &r, &err);
	} else if (!strcmp(argv[2], "check") && argc == 3) {
		rc = ep_catalog_check(cat, &err);
		if (!rc)
			puts("ok");
	} else {
		fputs("ep-catalog-fixture: bad arguments\n", stderr);
		ep_catalog_close(cat);
		return 2;
	}
	ep_catalog_close(cat);
	return rc ? fail(&err) : 0;
}
