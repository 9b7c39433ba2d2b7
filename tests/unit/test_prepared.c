#include <stdlib.h>
#include <string.h>

#include "ep/prepared.h"
#include "source.h"
#include "test.h"

TEST(json_has_every_field_in_order)
{
	struct ep_prepared p;
	struct ep_buf b = EP_BUF_INIT;

	ep_prepared_init(&p);
	p.pool_id = strdup("p1");
	p.replica_id = strdup("r0");
	p.engine = EP_ENGINE_LLAMACPP;
	p.mode = EP_MODE_SOURCE;
	p.build_ref = strdup("de3ff815ea7d559ee917f063901b8986f038abc6");
	p.host = strdup("127.0.0.1");
	p.port = 8080;
	p.device_mask = strdup("");
	ep_strvec_push(&p.flags, "--metrics");
	CHECK_INT(ep_prepared_to_json(&b, &p), 0);
	CHECK_STR(b.ptr, "{\"engine\":\"llamacpp\",\"engine_version\":null,\"build_ref\":"
			 "\"de3ff815ea7d559ee917f063901b8986f038abc6\",\"engine_digest\":null,"
			 "\"provisioning_mode\":\"source\",\"flags\":[\"--metrics\"],"
			 "\"binary_path\":null,\"image_ref\":null,\"store_key\":null,"
			 "\"model_path\":null,\"host\":\"127.0.0.1\",\"port\":8080,"
			 "\"pool_id\":\"p1\",\"replica_id\":\"r0\",\"device_mask\":\"\"}");
	ep_buf_reset(&b);
	CHECK_INT(ep_prepared_to_text(&b, &p), 0);
	CHECK_CONTAINS(b.ptr, "(none: CPU)");
	ep_prepared_release(&p);
	ep_buf_release(&b);
}

TEST(refs_and_repos_that_must_not_reach_git)
{
	struct ep_buf b = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_git__check_ref("b4567", &err), 0);
	CHECK_INT(ep_git__check_ref("-c", &err), EP_ECONFIG);
	CHECK_INT(ep_git__check_ref("", &err), EP_ECONFIG);
	CHECK_INT(ep_git__check_ref("a b", &err), EP_ECONFIG);
	CHECK_INT(ep_git__check_ref("HEAD~1", &err), EP_ECONFIG);
	CHECK_INT(ep_git__canonical_repo(&b, "https://github.com/ggml-org/llama.cpp.git", &err), 0);
	CHECK_INT(ep_git__canonical_repo(&b, "git@github.com:ggml-org/llama.cpp.git", &err), 0);
	CHECK_INT(ep_git__canonical_repo(&b, "ext::sh -c id", &err), EP_EUNSAFE);
	CHECK_INT(ep_git__canonical_repo(&b, "fd::3", &err), EP_EUNSAFE);
	CHECK_INT(ep_git__canonical_repo(&b, "--upload-pack=id", &err), EP_ECONFIG);
	CHECK_INT(ep_git__canonical_repo(&b, "/no/such/repo", &err), EP_ENOTFOUND);
	CHECK_INT(ep_git__canonical_repo(&b, "/tmp", &err), 0);
	CHECK_STR(b.ptr, "/tmp");
	CHECK(ep_git__is_full_sha("de3ff815ea7d559ee917f063901b8986f038abc6"));
	CHECK(!ep_git__is_full_sha("de3ff815"));
	CHECK(!ep_git__is_full_sha("DE3FF815EA7D559EE917F063901B8986F038ABC6"));
	ep_buf_release(&b);
}

TESTS(T(json_has_every_field_in_order), T(refs_and_repos_that_must_not_reach_git))
