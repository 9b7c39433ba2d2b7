#include <stdio.h>
#include <unistd.h>

#include "ep/catalog.h"
#include "ep/fs.h"
#include "ep/lockfile.h"
#include "test.h"

#define SHA1 "1111111111111111111111111111111111111111"
#define SHA2 "2222222222222222222222222222222222222222"

static const char good[] =
    "{\"version\": 1, \"pools\": ["
    " {\"pool_id\": \"a\", \"engine\": \"llamacpp\", \"mode\": \"source\", \"repo\": \"/r\","
    "  \"ref\": \"v1\", \"commit\": \"" SHA1 "\", \"store_key\": \"k1\","
    "  \"engine_digest\": \"sha256:aa\", \"image_digest\": null},"
    " {\"pool_id\": \"b\", \"mode\": \"binary\", \"binary_checksum\": \"sha256:bb\"}]}";

static struct ep_lockfile *parse(const char *text, int want, const char *msg)
{
	struct ep_lockfile *lock = NULL;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_lockfile_parse(&lock, "dir/engines.lock", text, strlen(text), &err), want);
	if (msg)
		CHECK_CONTAINS(err.msg, msg);
	return lock;
}

TEST(parse)
{
	struct ep_lockfile *lock = parse(good, 0, NULL);
	const struct ep_lockfile_entry *e;

	CHECK_STR(ep_lockfile_name(lock), "engines.lock");
	CHECK_INT(ep_lockfile_count(lock), 2);
	e = ep_lockfile_find(lock, "a");
	CHECK(e != NULL);
	CHECK_STR(e->commit, SHA1);
	CHECK_STR(e->ref, "v1");
	CHECK(e->image_digest == NULL);
	e = ep_lockfile_entry_at(lock, 1);
	CHECK_STR(e->binary_checksum, "sha256:bb");
	CHECK(e->commit == NULL);
	CHECK(ep_lockfile_find(lock, "c") == NULL);
	ep_lockfile_free(lock);
}

TEST(parse_errors)
{
	parse("{", EP_ECONFIG, "engines.lock':1:");
	parse("{\"version\": 2, \"pools\": []}", EP_ECONFIG, "version must be 1");
	parse("{\"version\": 1}", EP_ECONFIG, "'pools' must be an array");
	parse("{\"version\": 1, \"pools\": [{\"engine\": \"x\"}]}", EP_ECONFIG,
	      "pools[0].pool_id must be a string");
	parse("{\"version\": 1, \"pools\": [{\"pool_id\": \"a\", \"commit\": 3}]}", EP_ECONFIG,
	      "pools[0].commit must be a string or null");
	parse("{\"version\": 1, \"pools\": [{\"pool_id\": \"a\"}, {\"pool_id\": \"a\"}]}",
	      EP_ECONFIG, "pool 'a' is listed twice");
}

TEST(check)
{
	struct ep_lockfile *lock = parse(good, 0, NULL);
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_lockfile_check(lock, "a", "commit", SHA1, &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "a", "commit", SHA2, &err), EP_EVERIFY);
	CHECK_STR(err.msg, "pool 'a': ref 'v1' now resolves to " SHA2 " but engines.lock pins " SHA1
			   "; run 'engine-provisioner catalog lock' to update the lock, or pin "
			   "the ref");
	CHECK_INT(ep_lockfile_check(lock, "a", "engine_digest", "sha256:cc", &err), EP_EVERIFY);
	CHECK_STR(err.msg, "pool 'a': engine_digest is sha256:cc but engines.lock pins sha256:aa; "
			   "run 'engine-provisioner catalog lock' to update the lock");
	CHECK_INT(ep_lockfile_check(lock, "a", "repo", "/other", &err), EP_EVERIFY);
	CHECK_CONTAINS(err.msg, "repo is '/other' but engines.lock pins '/r'");
	/* not pinned: anything goes */
	CHECK_INT(ep_lockfile_check(lock, "a", "image_digest", "sha256:dd", &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "b", "commit", SHA2, &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "c", "commit", SHA2, &err), EP_EVERIFY);
	CHECK_CONTAINS(err.msg, "pool 'c' is not in engines.lock");
	CHECK_INT(ep_lockfile_check(lock, "a", "colour", "x", &err), EP_EINTERNAL);
	ep_lockfile_free(lock);
}

TEST(generate_round_trip)
{
	struct ep_pool pools[2];
	struct ep_config cfg;
	struct ep_catalog *cat = NULL;
	struct ep_catalog_engine eng = {
	    "k1", "llamacpp", "source", "b1", SHA1, "sha256:aa", "/s/k1/bin/llama-server", NULL};
	struct ep_catalog_run run = {"a", "k1", "sha256:aa", "built", 5};
	struct ep_lockfile *lock = NULL;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf out = EP_BUF_INIT;
	char state[128];

	snprintf(state, sizeof(state), "/tmp/ep-test-lockfile.%ld", (long)getpid());
	ep_fs_remove_tree(state, NULL);
	memset(pools, 0, sizeof(pools));
	memset(&cfg, 0, sizeof(cfg));
	pools[0].id = "a";
	pools[0].provisioning.mode = EP_MODE_SOURCE;
	pools[0].provisioning.source.repo = "/r";
	pools[0].provisioning.source.ref = "v1";
	pools[1].id = "b";
	pools[1].provisioning.mode = EP_MODE_BINARY;
	cfg.pools = pools;
	cfg.n_pools = 2;
	CHECK_INT(ep_catalog_open(&cat, state, &err), 0);
	CHECK_INT(ep_catalog_put_engine(cat, &eng, &err), 0);
	CHECK_INT(ep_catalog_record_run(cat, &run, &err), 0);
	CHECK_INT(ep_lockfile_generate(&out, &cfg, cat, &err), EP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "pool 'b' not prepared");
	CHECK_INT(out.len, 0);
	cfg.n_pools = 1;
	CHECK_INT(ep_lockfile_generate(&out, &cfg, cat, &err), 0);
	CHECK_CONTAINS(out.ptr, "\"commit\": \"" SHA1 "\"");
	CHECK_INT(ep_lockfile_parse(&lock, "engines.lock", out.ptr, out.len, &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "a", "commit", SHA1, &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "a", "store_key", "k1", &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "a", "engine_digest", "sha256:aa", &err), 0);
	CHECK_INT(ep_lockfile_check(lock, "a", "engine", "llamacpp", &err), 0);
	ep_lockfile_free(lock);
	ep_buf_release(&out);
	ep_catalog_close(cat);
	ep_fs_remove_tree(state, NULL);
}

TESTS(T(parse), T(parse_errors), T(check), T(generate_round_trip))
