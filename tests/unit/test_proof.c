#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "ep/buf.h"
#include "ep/fs.h"
#include "ep/log.h"
#include "ep/proof.h"
#include "test.h"

#define SECRET "sk-live-0123456789abcdef"

static char state[128];

/* Every regular file in `dir`; none may contain `needle`; returns how many were read. */
static int scan(const char *dir, const char *needle)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	CHECK(dp != NULL);
	while (dp && (d = readdir(dp))) {
		struct ep_buf b = EP_BUF_INIT, path = EP_BUF_INIT;

		if (d->d_name[0] == '.')
			continue;
		ep_buf_addf(&path, "%s/%s", dir, d->d_name);
		CHECK_INT(ep_buf_read_file(&b, path.ptr, NULL), 0);
		CHECK(strstr(b.ptr, needle) == NULL);
		CHECK(strstr(d->d_name, ".tmp") == NULL);
		n++;
		ep_buf_release(&b);
		ep_buf_release(&path);
	}
	if (dp)
		closedir(dp);
	return n;
}

TEST(bundle_is_redacted)
{
	struct ep_proof *pf = NULL;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf b = EP_BUF_INIT, log = EP_BUF_INIT;
	const char *dir, *base;
	char logpath[256];
	FILE *f;
	int i;

	snprintf(state, sizeof(state), "/tmp/ep-test-proof.%ld", (long)getpid());
	ep_fs_remove_tree(state, NULL);
	CHECK_INT(ep_redact_register(SECRET), 0);
	CHECK_INT(ep_proof_open(&pf, state, "pool-a", &err), 0);
	dir = ep_proof_dir(pf);
	base = strrchr(dir, '/') + 1;
	CHECK_CONTAINS(dir, "/proofs/pool-a/");
	/* YYYYmmddTHHMMSSZ-<pid> */
	CHECK(strlen(base) > 17 && base[8] == 'T' && base[15] == 'Z' && base[16] == '-');
	CHECK_INT(ep_proof_write(pf, "plan.json", "{\"env\": \"API=" SECRET "\"}\n", &err), 0);
	CHECK_INT(ep_proof_write(pf, "inputs.txt", "HF_TOKEN=abc token " SECRET, &err), 0);
	snprintf(logpath, sizeof(logpath), "%s/build.log", state);
	f = fopen(logpath, "we");
	CHECK(f != NULL);
	for (i = 0; f && i < 20000; i++)
		fprintf(f, "[%d/20000] compiling with key=%s and more text\n", i, SECRET);
	if (f) {
		fputs("last line without newline " SECRET, f);
		fclose(f);
	}
	CHECK_INT(ep_proof_copy(pf, "build.log", logpath, &err), 0);
	CHECK_INT(ep_proof_copy(pf, "missing.log", "/nonexistent/x.log", &err), EP_ENOTFOUND);
	CHECK_INT(ep_proof_write(pf, "../escape", "x", &err), EP_EUNSAFE);
	CHECK_INT(ep_proof_write(pf, ".hidden", "x", &err), EP_EUNSAFE);
	CHECK_INT(scan(dir, SECRET), 3);
	ep_buf_addf(&b, "%s/build.log", dir);
	CHECK_INT(ep_buf_read_file(&log, b.ptr, NULL), 0);
	CHECK_CONTAINS(log.ptr, "[19999/20000] compiling with key=*** and more text\n");
	CHECK_CONTAINS(log.ptr, "last line without newline ***");
	ep_buf_release(&b);
	ep_buf_release(&log);
	ep_proof_close(pf);
	ep_redact_forget_all();
}

TEST(two_bundles_differ)
{
	struct ep_proof *a = NULL, *b = NULL;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_proof_open(&a, state, "p", &err), 0);
	CHECK_INT(ep_proof_open(&b, state, "p", &err), 0);
	CHECK(a && b && strcmp(ep_proof_dir(a), ep_proof_dir(b)));
	ep_proof_close(a);
	ep_proof_close(b);
	CHECK_INT(ep_proof_open(&a, state, "../x", &err), EP_EUNSAFE);
	CHECK_INT(ep_proof_open(&a, state, "a/b", &err), EP_EUNSAFE);
	ep_fs_remove_tree(state, NULL);
}

TESTS(T(bundle_is_redacted), T(two_bundles_differ))
