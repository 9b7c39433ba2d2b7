#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ep/buf.h"
#include "ep/fs.h"
#include "ep/hash.h"
#include "ep/model.h"
#include "test.h"

static char root[128], state[192], bin[192], empty_bin[192], argv_log[192];
static char *saved_path;

/* A stand-in `hf`: records its argv, then writes the file it was asked for. */
static const char fake_hf[] =
    "#!/bin/sh\n"
    "PATH=/usr/bin:/bin\n"
    "printf '%s\\n' \"$*\" >> \"$FAKE_HF_LOG\"\n"
    "if [ -n \"${FAKE_HF_FAIL:-}\" ]; then echo 'error: 401 unauthorized' >&2; exit 3; fi\n"
    "mkdir -p \"$5/$(dirname \"$3\")\" && printf 'weights for %s\\n' \"$1/$3\" > \"$5/$3\"\n";

static void write_file(const char *path, const char *text, mode_t mode)
{
	struct ep_buf dir = EP_BUF_INIT;

	ep_fs_dirname(&dir, path);
	ep_fs_mkdirs(dir.ptr, 0755, NULL);
	CHECK_INT(ep_fs_write_atomic(path, text, strlen(text), mode, NULL), 0);
	ep_buf_release(&dir);
}

static void setup(void)
{
	struct ep_buf p = EP_BUF_INIT;

	snprintf(root, sizeof(root), "/tmp/ep-test-model.%ld", (long)getpid());
	ep_fs_remove_tree(root, NULL);
	snprintf(state, sizeof(state), "%s/state", root);
	snprintf(bin, sizeof(bin), "%s/bin", root);
	snprintf(empty_bin, sizeof(empty_bin), "%s/empty", root);
	snprintf(argv_log, sizeof(argv_log), "%s/hf-argv.log", root);
	ep_fs_mkdirs(empty_bin, 0755, NULL);
	ep_buf_addf(&p, "%s/hf", bin);
	write_file(p.ptr, fake_hf, 0755);
	ep_buf_release(&p);
	saved_path = strdup(getenv("PATH"));
	setenv("FAKE_HF_LOG", argv_log, 1);
	setenv("PATH", bin, 1);
}

static void pool_init(struct ep_pool *pool, const char *model, const char *ref, const char *cache,
		      const char *checksum)
{
	memset(pool, 0, sizeof(*pool));
	pool->id = "p";
	pool->model = model;
	pool->provisioning.has_model = ref || cache || checksum;
	pool->provisioning.model.ref = ref;
	pool->provisioning.model.cache_dir = cache;
	pool->provisioning.model.checksum = checksum;
}

/* Resolve and expect `want_rc`, and the path `want` (or a message containing it). */
static void resolves(const struct ep_pool *pool, bool offline, int want_rc, const char *want)
{
	struct ep_buf out = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_model_resolve(&out, pool, state, offline, &err), want_rc);
	if (want_rc == 0)
		CHECK_STR(out.ptr, want);
	else
		CHECK_CONTAINS(err.msg, want);
	ep_buf_release(&out);
}

static int fetch_count(void)
{
	struct ep_buf b = EP_BUF_INIT;
	int n = 0;
	size_t i;

	if (ep_buf_read_file(&b, argv_log, NULL) == 0)
		for (i = 0; i < b.len; i++)
			n += b.ptr[i] == '\n';
	ep_buf_release(&b);
	return n;
}

TEST(local_paths)
{
	struct ep_pool pool;
	char abs[256], cache[256], rel[256], def[256];

	setup();
	snprintf(abs, sizeof(abs), "%s/abs/m.gguf", root);
	snprintf(cache, sizeof(cache), "%s/cache", root);
	snprintf(rel, sizeof(rel), "%s/cache/sub/m.gguf", root);
	snprintf(def, sizeof(def), "%s/models/d.gguf", state);
	write_file(abs, "a", 0644);
	write_file(rel, "r", 0644);
	write_file(def, "d", 0644);
	pool_init(&pool, "ignored", abs, NULL, NULL);
	CHECK_STR(ep_model_ref(&pool), abs);
	resolves(&pool, false, 0, abs);
	pool_init(&pool, "ignored", "sub/m.gguf", cache, NULL);
	resolves(&pool, false, 0, rel);
	pool_init(&pool, "sub/m.gguf", NULL, cache, NULL); /* the pool's model, relative */
	CHECK_STR(ep_model_ref(&pool), "sub/m.gguf");
	resolves(&pool, false, 0, rel);
	pool_init(&pool, "d.gguf", NULL, NULL, NULL); /* no cache_dir: <state>/models */
	resolves(&pool, false, 0, def);
	pool_init(&pool, "nope.gguf", NULL, cache, NULL);
	resolves(&pool, false, EP_ENOTFOUND, "model 'nope.gguf' not found at");
	pool_init(&pool, NULL, NULL, NULL, NULL);
	resolves(&pool, false, EP_ECONFIG, "pool 'p' names no model");
}

TEST(file_urls)
{
	struct ep_pool pool;
	char path[256], url[300];

	snprintf(path, sizeof(path), "%s/with space/m.gguf", root);
	write_file(path, "f", 0644);
	snprintf(url, sizeof(url), "file://%s/with%%20space/m.gguf", root);
	pool_init(&pool, NULL, url, NULL, NULL);
	resolves(&pool, false, 0, path);
	snprintf(url, sizeof(url), "file://localhost%s/with%%20space/m.gguf", root);
	pool_init(&pool, NULL, url, NULL, NULL);
	resolves(&pool, false, 0, path);
	pool_init(&pool, NULL, "file://example.com/m.gguf", NULL, NULL);
	resolves(&pool, false, EP_ECONFIG, "only local file: URLs");
	pool_init(&pool, NULL, "file:///x%00y", NULL, NULL);
	resolves(&pool, false, EP_ECONFIG, "bad %-escape");
}

TEST(hf_fetch)
{
	struct ep_pool pool;
	struct ep_buf log = EP_BUF_INIT;
	char want[512], dir[256];

	snprintf(dir, sizeof(dir), "%s/models/hf/Org/Repo-GGUF", state);
	snprintf(want, sizeof(want), "%s/sub/m-q4.gguf", dir);
	pool_init(&pool, NULL, "hf:Org/Repo-GGUF/sub/m-q4.gguf", NULL, NULL);
	/* offline and absent: refused without running the tool */
	resolves(&pool, true, EP_EFETCH, "--offline forbids fetching it");
	CHECK_INT(fetch_count(), 0);
	resolves(&pool, false, 0, want);
	CHECK_INT(fetch_count(), 1);
	CHECK_INT(ep_buf_read_file(&log, argv_log, NULL), 0);
	CHECK_CONTAINS(log.ptr, "download Org/Repo-GGUF sub/m-q4.gguf --local-dir ");
	CHECK_CONTAINS(log.ptr, dir);
	ep_buf_release(&log);
	/* present: no second fetch, offline or not */
	resolves(&pool, false, 0, want);
	resolves(&pool, true, 0, want);
	CHECK_INT(fetch_count(), 1);
}

TEST(hf_refusals)
{
	struct ep_pool pool;

	pool_init(&pool, NULL, "hf:-evil/repo/file", NULL, NULL);
	resolves(&pool, false, EP_EUNSAFE, "start with '-'");
	pool_init(&pool, NULL, "hf:org/repo/--local-dir=/etc", NULL, NULL);
	resolves(&pool, false, EP_EUNSAFE, "hf: reference");
	pool_init(&pool, NULL, "hf:org/../../file", NULL, NULL);
	resolves(&pool, false, EP_EUNSAFE, "'..'");
	pool_init(&pool, NULL, "hf:org/repo", NULL, NULL);
	resolves(&pool, false, EP_ECONFIG, "hf:ORG/REPO/FILE");
	pool_init(&pool, NULL, "hf:org/repo/dir/", NULL, NULL);
	resolves(&pool, false, EP_ECONFIG, "hf:ORG/REPO/FILE");
	CHECK_INT(fetch_count(), 1);
	setenv("FAKE_HF_FAIL", "1", 1);
	pool_init(&pool, NULL, "hf:org/repo/f.gguf", NULL, NULL);
	resolves(&pool, false, EP_EFETCH, "exited with status 3:\nerror: 401 unauthorized");
	unsetenv("FAKE_HF_FAIL");
	setenv("PATH", empty_bin, 1);
	resolves(&pool, false, EP_EPREFLIGHT,
		 "neither 'hf' nor 'huggingface-cli' is installed; install it with: pip install -U "
		 "huggingface_hub");
	setenv("PATH", bin, 1);
}

TEST(checksums)
{
	struct ep_pool pool;
	char path[256], good[EP_DIGEST_LEN], msg[512], upper[EP_DIGEST_LEN];
	size_t i;

	snprintf(path, sizeof(path), "%s/sum/m.gguf", root);
	write_file(path, "model bytes", 0644);
	ep_sha256_buf(good, "model bytes", 11);
	pool_init(&pool, NULL, path, NULL, good);
	resolves(&pool, false, 0, path);
	for (i = 0; i < sizeof(good); i++)
		upper[i] = i < 7 ? good[i] : (char)(good[i] >= 'a' ? good[i] - 32 : good[i]);
	pool_init(&pool, NULL, path, NULL, upper);
	resolves(&pool, false, 0, path);
	pool_init(&pool, NULL, path, NULL,
		  "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	snprintf(msg, sizeof(msg),
		 "model '%s' does not match its checksum: expected "
		 "sha256:0000000000000000000000000000000000000000000000000000000000000000, got %s",
		 path, good);
	resolves(&pool, false, EP_EVERIFY, msg);
	CHECK(ep_fs_exists(path)); /* a local file is never deleted */
	pool_init(&pool, NULL, path, NULL, "md5:abc");
	resolves(&pool, false, EP_ECONFIG, "not 'sha256:' followed by 64 hex digits");
	/* a fetched file that fails its check is removed */
	pool_init(&pool, NULL, "hf:org/repo/bad.gguf", NULL,
		  "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	resolves(&pool, false, EP_EVERIFY, "does not match its checksum");
	snprintf(path, sizeof(path), "%s/models/hf/org/repo/bad.gguf", state);
	CHECK(!ep_fs_exists(path));
	setenv("PATH", saved_path, 1);
	free(saved_path);
	ep_fs_remove_tree(root, NULL);
}

TESTS(T(local_paths), T(file_urls), T(hf_fetch), T(hf_refusals), T(checksums))
