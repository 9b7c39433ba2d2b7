/*
 * Container mode, the parts that need no engine: the exact run command for
 * each engine and container engine, the child environment, reference
 * parsing, loopback detection, how engine errors are read, the locked
 * check. (Pulls against a real registry are in tests/cli/container_registry.sh.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container_int.h"
#include "ep/buf.h"
#include "ep/container.h"
#include "ep/log.h"
#include "ep/model.h"
#include "ep/provider.h"
#include "ep/strvec.h"
#include "test.h"

#define DIGEST "sha256:3e89662c399a7de9c40f5a731b926a7a466758007779e66e1dc9fc0f388f0ce2"

static char model_dir[256];
static char model_file[300];

/* A scratch directory holding model.gguf. */
static void make_model(void)
{
	FILE *f;

	if (model_dir[0])
		return;
	snprintf(model_dir, sizeof(model_dir), "/tmp/ep-test-container.XXXXXX");
	if (!mkdtemp(model_dir))
		abort();
	snprintf(model_file, sizeof(model_file), "%s/model.gguf", model_dir);
	f = fopen(model_file, "w");
	if (!f)
		abort();
	fputs("GGUF", f);
	fclose(f);
}

/* The run command as one line, elements joined by single spaces. */
static char *argv_line(const struct ep_container_run_spec *s, int *rc_out)
{
	struct ep_strvec v = EP_STRVEC_INIT;
	struct ep_buf b = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	size_t i;

	*rc_out = ep_container_run_argv(&v, s, &err);
	for (i = 0; i < v.n; i++)
		ep_buf_addf(&b, "%s%s", i ? " " : "", v.v[i]);
	ep_strvec_release(&v);
	return ep_buf_detach(&b, NULL);
}

static void spec_init(struct ep_container_run_spec *s, enum ep_container_kind kind,
		      enum ep_engine engine)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->engine = engine;
	s->pool_id = "pool-a";
	s->image_ref = "127.0.0.1:5000/eng/img@" DIGEST;
}

static const uint32_t two_gpus[] = {0, 1};
static const uint32_t gpu_three[] = {3};
static const struct ep_kv envs[] = {{"HF_TOKEN", "hf_abcdefsecret"}, {"FOO", "bar"}};

TEST(llamacpp_podman_gpus_file_model)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_LLAMACPP);
	struct ep_container_run_spec s;
	struct ep_strvec flags = EP_STRVEC_INIT;
	struct ep_buf want = EP_BUF_INIT;
	char *line;
	int rc;

	make_model();
	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.host_port = 9000;
	s.model_path = model_file;
	s.devices = two_gpus;
	s.n_devices = 2;
	s.env = envs;
	s.n_env = 2;
	ep_strvec_push(&flags, "--ctx-size");
	ep_strvec_push(&flags, "4096");
	ep_strvec_push(&flags, "--n-gpu-layers");
	ep_strvec_push(&flags, "99");
	s.flags = &flags;
	line = argv_line(&s, &rc);
	CHECK_INT(rc, 0);
	ep_buf_addf(&want,
		    "podman run -d --name ep-pool-a --pull=never --device nvidia.com/gpu=0 "
		    "--device nvidia.com/gpu=1 -p 127.0.0.1:9000:%d -v %s:%s:ro --env HF_TOKEN "
		    "--env FOO 127.0.0.1:5000/eng/img@" DIGEST
		    " %s %s/model.gguf %s 0.0.0.0 %s %d --ctx-size 4096 --n-gpu-layers 99",
		    p->container_port, model_dir, p->model_mount, p->model_flag, p->model_mount,
		    p->host_flag, p->port_flag, p->container_port);
	CHECK_STR(line, want.ptr);
	CHECK(!strstr(line, "hf_abcdefsecret"));
	CHECK(!strstr(line, "bar"));
	free(line);
	ep_buf_release(&want);
	ep_strvec_release(&flags);
}

TEST(vllm_docker_gpus_dir_model)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_VLLM);
	struct ep_container_run_spec s;
	struct ep_strvec flags = EP_STRVEC_INIT;
	struct ep_buf want = EP_BUF_INIT;
	char *line;
	int rc;

	if (!p) {
		printf("skip - vllm provider left out of this build\n");
		return;
	}
	make_model();
	spec_init(&s, EP_CONTAINER_DOCKER, EP_ENGINE_VLLM);
	s.host = "0.0.0.0";
	s.host_port = 8100;
	s.model_path = model_dir;
	s.devices = two_gpus;
	s.n_devices = 2;
	s.env = envs;
	s.n_env = 1;
	ep_strvec_push(&flags, "--tensor-parallel-size");
	ep_strvec_push(&flags, "2");
	s.flags = &flags;
	line = argv_line(&s, &rc);
	CHECK_INT(rc, 0);
	ep_buf_addf(&want,
		    "docker run -d --name ep-pool-a --pull=never --gpus \"device=0,1\" "
		    "-p 0.0.0.0:8100:%d -v %s:%s:ro --env HF_TOKEN 127.0.0.1:5000/eng/img@" DIGEST
		    " %s %s %s 0.0.0.0 %s %d --tensor-parallel-size 2",
		    p->container_port, model_dir, p->model_mount, p->model_flag, p->model_mount,
		    p->host_flag, p->port_flag, p->container_port);
	CHECK_STR(line, want.ptr);
	free(line);
	ep_buf_release(&want);
	ep_strvec_release(&flags);
}

TEST(tgi_docker_one_gpu_default_port)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_TGI);
	struct ep_container_run_spec s;
	struct ep_buf want = EP_BUF_INIT;
	char *line;
	int rc;

	if (!p) {
		printf("skip - tgi provider left out of this build\n");
		return;
	}
	make_model();
	spec_init(&s, EP_CONTAINER_DOCKER, EP_ENGINE_TGI);
	s.model_path = model_dir;
	s.devices = gpu_three;
	s.n_devices = 1;
	line = argv_line(&s, &rc);
	CHECK_INT(rc, 0);
	ep_buf_addf(&want,
		    "docker run -d --name ep-pool-a --pull=never --gpus device=3 "
		    "-p 127.0.0.1:%d:%d -v %s:%s:ro 127.0.0.1:5000/eng/img@" DIGEST
		    " %s %s %s 0.0.0.0 %s %d",
		    p->default_port, p->container_port, model_dir, p->model_mount, p->model_flag,
		    p->model_mount, p->host_flag, p->port_flag, p->container_port);
	CHECK_STR(line, want.ptr);
	free(line);
	ep_buf_release(&want);
}

TEST(triton_podman_command_and_cpu)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_TRITON);
	struct ep_container_run_spec s;
	struct ep_buf want = EP_BUF_INIT;
	char *line;
	int rc;

	if (!p) {
		printf("skip - triton provider left out of this build\n");
		return;
	}
	make_model();
	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_TRITON);
	s.host_port = 8500;
	s.model_path = model_dir;
	line = argv_line(&s, &rc);
	CHECK_INT(rc, 0);
	ep_buf_addf(&want,
		    "podman run -d --name ep-pool-a --pull=never -p 127.0.0.1:8500:%d "
		    "-v %s:%s:ro 127.0.0.1:5000/eng/img@" DIGEST " tritonserver %s %s",
		    p->container_port, model_dir, p->model_mount, p->model_flag, p->model_mount);
	if (p->host_flag)
		ep_buf_addf(&want, " %s 0.0.0.0", p->host_flag);
	if (p->port_flag)
		ep_buf_addf(&want, " %s %d", p->port_flag, p->container_port);
	CHECK_STR(line, want.ptr);
	free(line);
	ep_buf_release(&want);
}

TEST(flags_already_given_are_not_repeated)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_LLAMACPP);
	struct ep_container_run_spec s;
	struct ep_strvec flags = EP_STRVEC_INIT;
	struct ep_buf want = EP_BUF_INIT;
	char *line;
	int rc;

	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.host = "::1";
	s.host_port = 7000;
	ep_strvec_push(&flags, p->port_flag);
	ep_strvec_push(&flags, "7777");
	s.flags = &flags;
	line = argv_line(&s, &rc);
	CHECK_INT(rc, 0);
	ep_buf_addf(&want,
		    "podman run -d --name ep-pool-a --pull=never -p [::1]:7000:%d "
		    "127.0.0.1:5000/eng/img@" DIGEST " %s 0.0.0.0 %s 7777",
		    p->container_port, p->host_flag, p->port_flag);
	CHECK_STR(line, want.ptr);
	free(line);
	ep_buf_release(&want);
	ep_strvec_release(&flags);
}

TEST(unpinned_and_bad_input_refused)
{
	struct ep_container_run_spec s;
	struct ep_strvec v = EP_STRVEC_INIT;
	struct ep_error err = EP_ERROR_INIT;
	static const struct ep_kv bad_env[] = {{"BAD-NAME", "x"}};

	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.image_ref = "127.0.0.1:5000/eng/img:v1";
	CHECK_INT(ep_container_run_argv(&v, &s, &err), EP_EINTERNAL);
	CHECK_CONTAINS(err.msg, "not pinned by digest");
	ep_strvec_release(&v);
	s.allow_unpinned = true;
	CHECK_INT(ep_container_run_argv(&v, &s, &err), 0);
	ep_strvec_release(&v);
	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.model_path = "/models/a:b.gguf";
	CHECK_INT(ep_container_run_argv(&v, &s, &err), EP_ECONFIG);
	ep_strvec_release(&v);
	s.model_path = "relative.gguf";
	CHECK_INT(ep_container_run_argv(&v, &s, &err), EP_ECONFIG);
	ep_strvec_release(&v);
	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.env = bad_env;
	s.n_env = 1;
	CHECK_INT(ep_container_run_argv(&v, &s, &err), EP_ECONFIG);
	ep_strvec_release(&v);
}

TEST(env_values_travel_in_the_environment)
{
	struct ep_container_run_spec s;
	struct ep_strvec env = EP_STRVEC_INIT;
	struct ep_buf red = EP_BUF_INIT;

	setenv("FOO", "parent", 1);
	spec_init(&s, EP_CONTAINER_PODMAN, EP_ENGINE_LLAMACPP);
	s.env = envs;
	s.n_env = 2;
	CHECK_INT(ep_container_run_env(&env, &s), 0);
	CHECK(ep_strvec_find(&env, "HF_TOKEN=hf_abcdefsecret") >= 0);
	CHECK(ep_strvec_find(&env, "FOO=bar") >= 0);
	CHECK(ep_strvec_find(&env, "FOO=parent") < 0);
	CHECK(getenv("PATH") == NULL || env.n > 2);
	ep_redact(&red, "value hf_abcdefsecret here");
	CHECK(!strstr(red.ptr, "hf_abcdefsecret"));
	ep_buf_release(&red);
	ep_strvec_release(&env);
	unsetenv("FOO");
}

TEST(ref_parse)
{
	struct ep_container_ref r = EP_CONTAINER_REF_INIT;
	struct ep_buf b = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_container_ref_parse(&r, "127.0.0.1:5000/a/b", "v1", &err), 0);
	CHECK_STR(r.repo, "127.0.0.1:5000/a/b");
	CHECK_STR(r.tag, "v1");
	CHECK(r.digest == NULL);
	ep_container_ref_release(&r);
	CHECK_INT(ep_container_ref_parse(&r, "localhost:5000/a:v2@" DIGEST, NULL, &err), 0);
	CHECK_STR(r.repo, "localhost:5000/a");
	CHECK_STR(r.tag, "v2");
	CHECK_STR(r.digest, DIGEST);
	ep_container_ref_format(&b, &r);
	CHECK_STR(b.ptr, "localhost:5000/a:v2@" DIGEST);
	CHECK(ep_container_ref_is_loopback(&r));
	ep_container_ref_release(&r);
	CHECK_INT(ep_container_ref_parse(&r, "vllm/vllm-openai@" DIGEST, NULL, &err), 0);
	CHECK(r.tag == NULL);
	CHECK(!ep_container_ref_is_loopback(&r));
	ep_container_ref_release(&r);
	CHECK_INT(ep_container_ref_parse(&r, "quay.io/x/y:v1", "v2", &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "vllm/vllm-openai", NULL, &err), EP_ECONFIG);
	CHECK_CONTAINS(err.msg, "neither a tag nor a digest");
	CHECK_INT(ep_container_ref_parse(&r, "-rm/x:1", NULL, &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "x/y:1 --privileged", NULL, &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "x/y@sha256:abc", NULL, &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "x/y", "a/b", &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "127.0.0.1:5000/a", NULL, &err), EP_ECONFIG);
	CHECK_INT(ep_container_ref_parse(&r, "[::1]:5000/a", "t", &err), EP_ECONFIG);
	ep_buf_release(&b);
}

TEST(loopback)
{
	static const struct {
		const char *image;
		bool loopback;
	} cases[] = {{"127.0.0.1:5000/a", true},     {"127.1.2.3/a", true},
		     {"localhost/a/b", true},	     {"localhost:80/a", true},
		     {"docker.io/library/a", false}, {"a/b", false},
		     {"127example.com/a", false},    {"localhost.evil.com/a", false}};
	struct ep_container_ref r = EP_CONTAINER_REF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(ep_container_ref_parse(&r, cases[i].image, "t", &err), 0);
		if (ep_container_ref_is_loopback(&r) != cases[i].loopback)
			CHECK(!cases[i].image);
		ep_container_ref_release(&r);
	}
}

TEST(classify_engine_errors)
{
	CHECK_INT(ep_container__classify(
		      "Error: initializing source docker://127.0.0.1:5055/t/a:nope: reading "
		      "manifest nope in 127.0.0.1:5055/t/a: manifest unknown: manifest unknown"),
		  EP_CONTAINER_FAIL_NOT_FOUND);
	CHECK_INT(ep_container__classify(
		      "Error: initializing source docker://127.0.0.1:5099/t/a:v1: pinging "
		      "container registry 127.0.0.1:5099: Get \"http://127.0.0.1:5099/v2/\": dial "
		      "tcp 127.0.0.1:5099: connect: connection refused"),
		  EP_CONTAINER_FAIL_UNREACHABLE);
	CHECK_INT(ep_container__classify("Error: initializing source docker://r/a:v1: reading "
					 "manifest v1 in r/a: unauthorized: authentication "
					 "required"),
		  EP_CONTAINER_FAIL_UNAUTHORIZED);
	CHECK_INT(ep_container__classify("Error response from daemon: pull access denied for "
					 "x, repository does not exist or may require 'docker "
					 "login': denied: requested access to the resource is "
					 "denied"),
		  EP_CONTAINER_FAIL_UNAUTHORIZED);
	/* docker 20.10 against a registry on loopback, as it says it */
	CHECK_INT(ep_container__classify("Error response from daemon: Head "
					 "\"http://127.0.0.1:43605/v2/t/app/manifests/v1\": no "
					 "basic auth credentials"),
		  EP_CONTAINER_FAIL_UNAUTHORIZED);
	CHECK_INT(ep_container__classify("Error response from daemon: manifest for "
					 "127.0.0.1:5055/ep/missing:1 not found: manifest unknown: "
					 "manifest unknown"),
		  EP_CONTAINER_FAIL_NOT_FOUND);
	CHECK_INT(ep_container__classify("Error response from daemon: Get "
					 "\"http://127.0.0.1:5099/v2/\": dial tcp 127.0.0.1:5099: "
					 "connect: connection refused"),
		  EP_CONTAINER_FAIL_UNREACHABLE);
	CHECK_INT(ep_container__classify("Error: something else broke"), EP_CONTAINER_FAIL_OTHER);
}

TEST(reason_skips_docker_help_trailer)
{
	struct ep_buf b = EP_BUF_INIT;

	CHECK_INT(ep_container__reason(&b, "docker: Error response from daemon: could not select "
					   "device driver \"\" with capabilities: [[gpu]].\n\n"
					   "Run 'docker run --help' for more information\n"),
		  0);
	CHECK_STR(b.ptr, "docker: Error response from daemon: could not select device driver "
			 "\"\" with capabilities: [[gpu]]");
	CHECK_INT(ep_container__reason(&b, "docker: invalid reference format.\nSee 'docker run "
					   "--help'.\n"),
		  0);
	CHECK_STR(b.ptr, "docker: invalid reference format");
	CHECK_INT(ep_container__reason(&b, "Error: no such image\n"), 0);
	CHECK_STR(b.ptr, "Error: no such image");
	CHECK_INT(ep_container__reason(&b, ""), 0);
	CHECK_STR(b.ptr, "");
	ep_buf_release(&b);
}

TEST(locked_check_and_name)
{
	struct ep_error err = EP_ERROR_INIT;
	struct ep_buf b = EP_BUF_INIT;

	CHECK_INT(ep_container_check_locked("r/a:v1", DIGEST, DIGEST, &err), 0);
	CHECK_INT(ep_container_check_locked("r/a:v1", DIGEST, NULL, &err), 0);
	CHECK_INT(ep_container_check_locked("r/a:v1", "sha256:aa", DIGEST, &err), EP_EVERIFY);
	CHECK_CONTAINS(err.msg,
		       "image 'r/a:v1' now resolves to 'sha256:aa' but the lock file pins");
	ep_container_name(&b, "pool-1");
	CHECK_STR(b.ptr, "ep-pool-1");
	ep_buf_release(&b);
}

TEST(engine_choice)
{
	struct ep_container_engine e = EP_CONTAINER_ENGINE_INIT;
	struct ep_error err = EP_ERROR_INIT;
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	CHECK_INT(ep_container_engine_choose(&e, "lxc", &err), EP_ECONFIG);
	setenv("PATH", "/nonexistent", 1);
	CHECK_INT(ep_container_engine_choose(&e, NULL, &err), EP_EPREFLIGHT);
	CHECK_CONTAINS(err.msg, "apt-get install podman");
	CHECK_INT(ep_container_engine_choose(&e, "docker", &err), EP_EPREFLIGHT);
	if (path) {
		setenv("PATH", path, 1);
		free(path);
	}
}

TEST(plan_command)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_LLAMACPP);
	struct ep_pool pool;
	struct ep_strvec flags = EP_STRVEC_INIT;
	struct ep_buf line = EP_BUF_INIT, want = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	uint32_t dev[] = {1};
	struct ep_kv env[] = {{"HF_TOKEN", "hf_plansecretvalue"}};

	memset(&pool, 0, sizeof(pool));
	pool.id = "plan-pool";
	pool.engine = EP_ENGINE_LLAMACPP;
	pool.devices = dev;
	pool.n_devices = 1;
	pool.provisioning.mode = EP_MODE_CONTAINER;
	pool.provisioning.has_container = true;
	pool.provisioning.container.image = "127.0.0.1:5000/x/y";
	pool.provisioning.container.tag = "v1";
	pool.provisioning.container.runtime = "podman";
	pool.provisioning.env = env;
	pool.provisioning.n_env = 1;
	ep_strvec_push(&flags, "--ctx-size");
	ep_strvec_push(&flags, "8192");
	CHECK_INT(ep_container_plan_command(&line, &pool, &flags, NULL, &err), 0);
	ep_buf_addf(&want,
		    "podman run -d --name ep-plan-pool --pull=never --device nvidia.com/gpu=1 -p "
		    "127.0.0.1:%d:%d --env HF_TOKEN 127.0.0.1:5000/x/y:v1 %s 0.0.0.0 %s %d "
		    "--ctx-size 8192",
		    p->default_port, p->container_port, p->host_flag, p->port_flag,
		    p->container_port);
	CHECK_STR(line.ptr, want.ptr);
	ep_buf_reset(&line);
	pool.provisioning.container.image = "127.0.0.1:5000/x/y";
	pool.provisioning.container.tag = NULL;
	CHECK_INT(ep_container_plan_command(&line, &pool, &flags, NULL, &err), EP_ECONFIG);
	pool.provisioning.has_container = false;
	ep_buf_reset(&line);
	CHECK_INT(ep_container_plan_command(&line, &pool, NULL, NULL, &err), 0);
	CHECK_CONTAINS(line.ptr, p->default_image);
	CHECK_CONTAINS(line.ptr, p->default_tag);
	/* a CPU pool gets the engine's CPU image */
	pool.n_devices = 0;
	ep_buf_reset(&line);
	CHECK_INT(ep_container_plan_command(&line, &pool, NULL, NULL, &err), 0);
	CHECK_CONTAINS(line.ptr, p->default_cpu_tag ? p->default_cpu_tag : p->default_tag);
	CHECK(!p->default_cpu_tag || !strstr(line.ptr, p->default_tag));
	ep_buf_release(&line);
	ep_buf_release(&want);
	ep_strvec_release(&flags);
}

/*
 * Without a runtime in the pool, the engine follows PATH: the search is
 * remembered per value of PATH, so a new PATH is searched again, and an
 * explicit runtime never depends on it.
 */
TEST(engine_kind_follows_path)
{
	char dir[] = "/tmp/ep-test-kind.XXXXXX", docker[64];
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct ep_container_run_spec s;
	struct ep_pool pool;
	FILE *f;

	memset(&pool, 0, sizeof(pool));
	pool.id = "kind";
	pool.engine = EP_ENGINE_VLLM;
	pool.provisioning.mode = EP_MODE_CONTAINER;
	CHECK(mkdtemp(dir) != NULL);
	snprintf(docker, sizeof(docker), "%s/docker", dir);
	f = fopen(docker, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("#!/bin/sh\n", f);
	fclose(f);
	CHECK_INT(chmod(docker, 0755), 0);
	setenv("PATH", dir, 1);
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_DOCKER);
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_DOCKER);
	setenv("PATH", "/nonexistent", 1);
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_PODMAN); /* none found: podman */
	pool.provisioning.has_container = true;
	pool.provisioning.container.runtime = "docker";
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_DOCKER); /* named, found or not */
	setenv("PATH", dir, 1);
	pool.provisioning.container.runtime = "podman";
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_PODMAN);
	pool.provisioning.container.runtime = NULL;
	ep_container_run_spec_from_pool(&s, &pool);
	CHECK_INT(s.kind, EP_CONTAINER_DOCKER);
	if (path) {
		setenv("PATH", path, 1);
		free(path);
	}
	CHECK_INT(unlink(docker), 0);
	CHECK_INT(rmdir(dir), 0);
}

/* vLLM and TGI take a bare model name themselves; llama.cpp needs a file; Triton no flag. */
TEST(model_by_name)
{
	static const enum ep_engine engines[] = {EP_ENGINE_VLLM, EP_ENGINE_TGI, EP_ENGINE_TRITON,
						 EP_ENGINE_LLAMACPP};
	struct ep_pool pool;
	struct ep_buf line = EP_BUF_INIT;
	struct ep_error err = EP_ERROR_INIT;
	size_t i;

	memset(&pool, 0, sizeof(pool));
	pool.id = "named";
	pool.model = "Qwen/Qwen2.5-0.5B-Instruct";
	pool.provisioning.mode = EP_MODE_CONTAINER;
	pool.provisioning.has_container = true;
	pool.provisioning.container.image = "127.0.0.1:5000/x/y";
	pool.provisioning.container.tag = "v1";
	pool.provisioning.container.runtime = "podman";
	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		const struct ep_provider *p = ep_provider_for(engines[i]);

		if (!p)
			continue;
		pool.engine = engines[i];
		ep_buf_reset(&line);
		CHECK_INT(ep_container_plan_command(&line, &pool, NULL, NULL, &err), 0);
		CHECK(!strstr(line.ptr, " -v "));
		if (p->model_name_flag && *p->model_name_flag) {
			CHECK(ep_model_engine_name(&pool) != NULL);
			CHECK_CONTAINS(line.ptr, " Qwen/Qwen2.5-0.5B-Instruct ");
		} else {
			CHECK(!strstr(line.ptr, "Qwen/"));
			CHECK(!ep_model_engine_name(&pool) == !p->model_name_flag);
		}
	}
	/* paths, hf: refs and checksummed models are never left to the engine */
	pool.engine = EP_ENGINE_VLLM;
	pool.model = "/models/x";
	CHECK(!ep_model_engine_name(&pool));
	pool.model = "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/q.gguf";
	CHECK(!ep_model_engine_name(&pool));
	pool.model = "-oops";
	CHECK(!ep_model_engine_name(&pool));
	pool.model = "Qwen/Qwen2.5-0.5B-Instruct";
	pool.provisioning.mode = EP_MODE_SOURCE;
	CHECK(!ep_model_engine_name(&pool));
	ep_buf_release(&line);
}

/* Last: remove the scratch model. */
TEST(cleanup)
{
	if (model_dir[0]) {
		CHECK_INT(unlink(model_file), 0);
		CHECK_INT(rmdir(model_dir), 0);
	}
}

TESTS(T(llamacpp_podman_gpus_file_model), T(vllm_docker_gpus_dir_model),
      T(tgi_docker_one_gpu_default_port), T(triton_podman_command_and_cpu),
      T(flags_already_given_are_not_repeated), T(unpinned_and_bad_input_refused),
      T(env_values_travel_in_the_environment), T(ref_parse), T(loopback), T(classify_engine_errors),
      T(reason_skips_docker_help_trailer), T(locked_check_and_name), T(engine_choice),
      T(plan_command), T(engine_kind_follows_path), T(model_by_name), T(cleanup))
