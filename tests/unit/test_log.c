#include "ep/log.h"
#include "test.h"

static void redacted(const char *in, const char *want)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_redact(&b, in);
	CHECK_STR(b.ptr, want);
	ep_buf_release(&b);
}

TEST(redaction)
{
	redacted("HF_TOKEN=abc123 PATH=/bin", "HF_TOKEN=*** PATH=/bin");
	redacted("{\"API_KEY\": \"xyz\"}", "{\"API_KEY\": \"***\"}");
	redacted("https://user:pw@example.com/x.git", "https://***@example.com/x.git");
	redacted("token hf_abcdefghijklmnop here", "token *** here");
	redacted("--model /m/a.gguf --port 8080", "--model /m/a.gguf --port 8080");
	ep_redact_register("s3cr3t-value");
	redacted("echo s3cr3t-value done", "echo *** done");
	ep_redact_forget_all();
	redacted("echo s3cr3t-value done", "echo s3cr3t-value done");
}

TEST(secret_keys)
{
	CHECK(ep_redact_key_is_secret("HF_TOKEN"));
	CHECK(ep_redact_key_is_secret("db_password"));
	CHECK(ep_redact_key_is_secret("Authorization"));
	CHECK(!ep_redact_key_is_secret("PATH"));
	CHECK(!ep_redact_key_is_secret("CUDA_VISIBLE_DEVICES"));
}

static struct ep_buf captured = EP_BUF_INIT;

static void capture_sink(const struct ep_event *ev, void *ctx)
{
	(void)ctx;
	ep_log_format_json(&captured, ev);
	ep_buf_addch(&captured, '\n');
}

TEST(json_event)
{
	ep_log_set_sink(capture_sink, NULL, EP_LOG_INFO);
	ep_narrate(EP_LOG_INFO, "git", "clone", "repo", "pool-a", 12, "cloned with TOKEN=zz9");
	ep_narrate(EP_LOG_DEBUG, "git", "noise", NULL, NULL, -1, "dropped");
	CHECK_STR(captured.ptr, "{\"level\":\"info\",\"actor\":\"git\",\"action\":\"clone\","
				"\"target\":\"repo\",\"human\":\"cloned with TOKEN=***\","
				"\"pool_id\":\"pool-a\",\"duration_ms\":12}\n");
	ep_log_set_sink(NULL, NULL, EP_LOG_INFO);
	ep_buf_release(&captured);
}

TESTS(T(redaction), T(secret_keys), T(json_event))
