/*
 * The config loader: good configs (YAML and JSON read the same), every
 * class of bad config with its exact position, key path and message,
 * and hostile input (huge, deeply nested, aliases) refused cleanly.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "test.h"

#define FIX EP_SOURCE_DIR "/tests/fixtures/config/"
#define EX  EP_SOURCE_DIR "/examples/"

static void add_list(struct ep_buf *b, const char *name, const struct ep_strlist *l)
{
	size_t i;

	ep_buf_addf(b, "%s:", name);
	for (i = 0; i < l->n; i++)
		ep_buf_addf(b, " [%s]", l->v[i]);
	ep_buf_addch(b, '\n');
}

/* Everything a config holds, as text, to compare two loads. */
static void dump(struct ep_buf *b, const struct ep_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->n_pools; i++) {
		const struct ep_pool *p = &cfg->pools[i];
		const struct ep_provisioning *v = &p->provisioning;

		ep_buf_addf(b, "pool %s engine=%s model=%s ctx=%d/%u mode=%s\n", p->id,
			    ep_engine_name(p->engine), p->model ? p->model : "-", p->has_ctx,
			    p->ctx, ep_mode_name(v->mode));
		for (j = 0; j < p->n_devices; j++)
			ep_buf_addf(b, "dev %u\n", p->devices[j]);
		ep_buf_addf(b, "src %d %s %s %d\n", v->has_source, v->source.repo, v->source.ref,
			    v->source.submodules);
		add_list(b, "cmake", &v->source.cmake_flags);
		add_list(b, "flags", &v->flags);
		ep_buf_addf(b, "model %s\n", v->model.ref ? v->model.ref : "-");
		for (j = 0; j < v->n_ports; j++)
			ep_buf_addf(b, "port %u\n", v->ports[j]);
		for (j = 0; j < v->n_env; j++)
			ep_buf_addf(b, "env %s=%s\n", v->env[j].key, v->env[j].value);
	}
}

static struct ep_config *load_ok(const char *path)
{
	struct ep_config *cfg = NULL;
	struct ep_error err = EP_ERROR_INIT;
	int rc = ep_config_load(&cfg, path, NULL, &err);

	if (rc)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	CHECK_INT(rc, 0);
	return cfg;
}

TEST(examples_load)
{
	static const char *const names[] = {"llamacpp-source-cuda.yaml", "llamacpp-source-cpu.yaml",
					    "llamacpp-source-cpu.json",	 "llamacpp-binary.yaml",
					    "llamacpp-package.yaml",	 "llamacpp-external.yaml",
					    "vllm-container.yaml",	 "tgi-container.yaml",
					    "triton-container.yaml",	 "all-pools.yaml"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ep_buf path = EP_BUF_INIT;

		ep_buf_addf(&path, "%s%s", EX, names[i]);
		ep_config_free(load_ok(path.ptr));
		ep_buf_release(&path);
	}
}

TEST(cuda_example_fields)
{
	struct ep_config *cfg = load_ok(EX "llamacpp-source-cuda.yaml");
	const struct ep_pool *p;

	if (!cfg)
		return;
	CHECK_INT(cfg->n_pools, 1);
	p = ep_config_find_pool(cfg, "local-llamacpp-gpu");
	CHECK(p != NULL);
	CHECK(ep_config_find_pool(cfg, "nope") == NULL);
	if (!p)
		return;
	CHECK_INT(p->engine, EP_ENGINE_LLAMACPP);
	CHECK_INT(p->n_devices, 1);
	CHECK_INT(p->devices[0], 0);
	CHECK(!ep_pool_is_cpu(p));
	CHECK(p->has_ctx && p->ctx == 8192);
	CHECK_INT(p->provisioning.mode, EP_MODE_SOURCE);
	CHECK_STR(p->provisioning.source.repo, "https://github.com/ggml-org/llama.cpp.git");
	CHECK_INT(p->provisioning.source.cmake_flags.n, 2);
	CHECK_STR(p->provisioning.source.cmake_flags.v[0], "-DGGML_CUDA=ON");
	CHECK_STR(p->provisioning.source.generator, "Ninja");
	CHECK_INT(p->provisioning.n_ports, 1);
	CHECK_INT(p->provisioning.ports[0], 8080);
	CHECK_INT(p->provisioning.flags.n, 6);
	CHECK_STR(p->provisioning.flags.v[3], "1");
	CHECK_STR(p->provisioning.host, "127.0.0.1");
	CHECK_INT(p->provisioning.startup_timeout_s, 120);
	CHECK(p->queue.has_capacity && p->queue.capacity == 64);
	CHECK_STR(p->queue.full_policy, "reject");
	CHECK(p->timeouts.has_wall_ms && p->timeouts.wall_ms == 300000);
	CHECK_INT(p->pos.line, 4);
	CHECK_INT(p->pos.col, 5);
	CHECK_INT(p->provisioning.source.pos.line, 14);
	CHECK_STR(cfg->path, EX "llamacpp-source-cuda.yaml");
	ep_config_free(cfg);
}

TEST(json_and_yaml_equal)
{
	struct ep_config *y = load_ok(EX "llamacpp-source-cpu.yaml");
	struct ep_config *j = load_ok(EX "llamacpp-source-cpu.json");
	struct ep_buf by = EP_BUF_INIT, bj = EP_BUF_INIT;

	if (y && j) {
		dump(&by, y);
		dump(&bj, j);
		CHECK_STR(by.ptr, bj.ptr);
		CHECK(ep_pool_is_cpu(&y->pools[0]));
		/* numbers in flags keep their text */
		CHECK_STR(j->pools[0].provisioning.flags.v[3], "1");
		CHECK_STR(j->pools[0].provisioning.flags.v[5], "4096");
	}
	ep_buf_release(&by);
	ep_buf_release(&bj);
	ep_config_free(y);
	ep_config_free(j);
}

TEST(all_pools_and_catalog)
{
	struct ep_config *cfg = load_ok(EX "all-pools.yaml");
	const struct ep_pool *p;

	if (!cfg)
		return;
	CHECK_INT(cfg->n_pools, 4);
	CHECK(cfg->has_trust_policy);
	CHECK_STR(cfg->trust_policy.mode, "strict");
	CHECK_INT(cfg->trust_policy.allowed_registries.n, 3);
	CHECK(cfg->trust_policy.has_require_signature && !cfg->trust_policy.require_signature);
	p = &cfg->pools[0];
	CHECK_INT(p->admission.n_priorities, 2);
	CHECK_STR(p->admission.priorities[0].name, "interactive");
	CHECK(p->admission.priorities[0].has_rate_limit_rps);
	CHECK(!p->admission.priorities[1].has_rate_limit_rps);
	CHECK_INT(p->admission.priorities[0].weight, 3);
	CHECK(p->has_preload && p->preload);
	CHECK_STR(p->sampler_profile_version, "v1");
	CHECK(ep_pool_is_cpu(&cfg->pools[1]));
	CHECK_INT(cfg->pools[2].engine, EP_ENGINE_VLLM);
	CHECK_STR(cfg->pools[2].provisioning.container.image, "vllm/vllm-openai");
	CHECK_STR(cfg->pools[3].provisioning.external.url, "http://127.0.0.1:9000");
	CHECK_INT(cfg->pools[3].index, 3);
	ep_config_free(cfg);
}

TEST(defaults_and_absent)
{
	static const char text[] = "pools:\n"
				   "  - id: a\n"
				   "    engine: tgi\n"
				   "    devices: [3]\n"
				   "    tensor_split: [1, 0.25]\n"
				   "    provisioning:\n"
				   "      mode: external\n"
				   "      external: {url: 'http://127.0.0.1:1'}\n"
				   "      model: ~\n"
				   "      env: {A: 1, B: 'two', C: true}\n";
	struct ep_config *cfg = NULL;
	struct ep_error err = EP_ERROR_INIT;
	const struct ep_pool *p;

	CHECK_INT(ep_config_load_mem(&cfg, "t", text, strlen(text), NULL, &err), 0);
	if (!cfg)
		return;
	p = &cfg->pools[0];
	CHECK(!p->has_ctx);
	CHECK(!p->has_preload);
	CHECK(p->model == NULL);
	CHECK(!p->provisioning.has_model);
	CHECK(!p->provisioning.allow_binary_downloads);
	CHECK(p->provisioning.host == NULL);
	CHECK_INT(p->provisioning.n_ports, 0);
	CHECK_INT(p->provisioning.startup_timeout_s, 0);
	CHECK_INT(p->n_tensor_split, 2);
	CHECK(p->tensor_split[1] == 0.25);
	CHECK_INT(p->provisioning.n_env, 3);
	CHECK_STR(p->provisioning.env[0].value, "1");
	CHECK_STR(p->provisioning.env[2].value, "true");
	CHECK(!cfg->has_trust_policy);
	ep_config_free(cfg);
}

/* Load a bad fixture; check its first diagnostic. */
static void expect_bad(const char *file, unsigned line, unsigned col, const char *key,
		       const char *msg)
{
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;
	struct ep_buf path = EP_BUF_INIT;
	int rc;

	ep_buf_addf(&path, "%s%s", FIX, file);
	rc = ep_config_load(&cfg, path.ptr, &d, &err);
	CHECK_INT(rc, EP_ECONFIG);
	CHECK(cfg == NULL);
	CHECK(d.n >= 1);
	if (d.n >= 1) {
		if (d.v[0].pos.line != line || d.v[0].pos.col != col)
			fprintf(stderr, "%s: ", file);
		CHECK_INT(d.v[0].pos.line, line);
		CHECK_INT(d.v[0].pos.col, col);
		CHECK_STR(d.v[0].key_path, key);
		CHECK_CONTAINS(d.v[0].message, msg);
	}
	CHECK_CONTAINS(err.msg, path.ptr);
	CHECK_CONTAINS(err.msg, msg);
	ep_buf_release(&path);
	ep_config_diags_release(&d);
}

TEST(bad_classes)
{
	expect_bad("bad-syntax.yaml", 4, 13, "pools[0]", "invalid YAML or JSON: mapping values");
	expect_bad("bad-syntax.json", 1, 46, "pools[0]", "invalid YAML or JSON");
	expect_bad("bad-unknown-key.yaml", 7, 13, "pools[0].provisioning.source",
		   "mode 'source' needs a 'source' section");
	expect_bad("bad-wrong-type.yaml", 5, 14, "pools[0].devices",
		   "expected a list, got a number");
	expect_bad("bad-port-range.yaml", 11, 21, "pools[0].provisioning.ports[1]",
		   "70000 is out of range; allowed: a number from 1 to 65535");
	expect_bad("bad-device-range.yaml", 5, 18, "pools[0].devices[1]",
		   "1024 is out of range; allowed: a number from 0 to 1023");
	expect_bad("bad-negative.yaml", 5, 10, "pools[0].ctx", "-512 is negative");
	expect_bad("bad-ctx-range.yaml", 5, 10, "pools[0].ctx", "0 is out of range");
	expect_bad(
	    "bad-engine.yaml", 3, 13, "pools[0].engine",
	    "unknown engine 'llama.cpp'; allowed: 'llamacpp', 'vllm', 'tgi' or 'triton' (did "
	    "you mean 'llamacpp'?)");
	expect_bad("bad-mode.yaml", 7, 13, "pools[0].provisioning.mode",
		   "unknown mode 'docker'; allowed: 'source', 'container', 'package', 'binary' or "
		   "'external'");
	expect_bad("bad-duplicate-id.yaml", 11, 9, "pools[1].id",
		   "duplicate pool id 'p1' (first used by pools[0] at line 2)");
	expect_bad("bad-pool-id.yaml", 2, 9, "pools[0].id", "pool id '../etc' is not allowed");
	expect_bad("bad-dash-ref.yaml", 10, 14, "pools[0].provisioning.source.ref",
		   "begins with '-'");
	expect_bad("bad-dash-repo.yaml", 9, 15, "pools[0].provisioning.source.repo",
		   "begins with '-'");
	expect_bad("bad-dash-url.yaml", 9, 14, "pools[0].provisioning.binary.url",
		   "begins with '-'");
	expect_bad("bad-dash-image.yaml", 8, 16, "pools[0].provisioning.container.image",
		   "begins with '-'");
	expect_bad("bad-source-missing.yaml", 6, 13, "pools[0].provisioning.source",
		   "mode 'source' needs a 'source' section with 'repo'");
	expect_bad("bad-source-ref.yaml", 9, 9, "pools[0].provisioning.source.ref",
		   "missing required key 'ref'");
	expect_bad("bad-binary-checksum.yaml", 9, 9, "pools[0].provisioning.binary.checksum",
		   "missing required key 'checksum'");
	expect_bad("bad-binary-checksum-format.yaml", 10, 19,
		   "pools[0].provisioning.binary.checksum",
		   "is not a checksum; allowed: 'sha256:' and 64 hex digits");
	expect_bad("bad-package-name.yaml", 7, 16, "pools[0].provisioning.package.name",
		   "missing required key 'name'");
	expect_bad("bad-external.yaml", 7, 17, "pools[0].provisioning.external",
		   "mode 'external' needs 'path' (an engine binary) or 'url'");
	expect_bad("bad-duplicate-key.yaml", 4, 5, "pools[0].engine",
		   "duplicate key 'engine' (first at line 3, column 5)");
	expect_bad("bad-devices-missing.yaml", 2, 5, "pools[0].devices",
		   "missing required key 'devices'");
	expect_bad("bad-alias.yaml", 7, 5, "pools[1]", "aliases ('*name') are not allowed");
	expect_bad("bad-env-key.yaml", 11, 26, "pools[0].provisioning.env.9LIVES",
		   "is not an environment variable name");
	expect_bad("bad-quoted-number.yaml", 11, 15, "pools[0].provisioning.ports[0]",
		   "got the quoted string \"8080\"; write it without quotes");
	expect_bad("bad-empty.yaml", 1, 1, "", "the config is empty");
}

/* The unknown key is reported as well, with its suggestion. */
TEST(unknown_key_suggests)
{
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;

	CHECK_INT(ep_config_load(&cfg, FIX "bad-unknown-key.yaml", &d, NULL), EP_ECONFIG);
	CHECK_INT(d.n, 2);
	if (d.n == 2) {
		CHECK_INT(d.v[1].pos.line, 8);
		CHECK_INT(d.v[1].pos.col, 7);
		CHECK_STR(d.v[1].key_path, "pools[0].provisioning.sourse");
		CHECK_CONTAINS(d.v[1].message, "unknown key 'sourse' (did you mean 'source'?)");
	}
	ep_config_diags_release(&d);
	ep_config_diags_release(&d); /* twice is harmless */
}

TEST(all_errors_in_one_run_sorted)
{
	static const char *const keys[] = {"pools[0].provisioning.source.ref",
					   "pools[1].id",
					   "pools[1].engine",
					   "pools[1].devices[1]",
					   "pools[1].provisioning.ports[0]",
					   "pools[2].provisioning.binary.checksum",
					   "pools[2].provisioning.flags[1]"};
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;
	struct ep_buf out = EP_BUF_INIT;
	size_t i;

	CHECK_INT(ep_config_load(&cfg, FIX "bad-many.yaml", &d, NULL), EP_ECONFIG);
	CHECK_INT(d.n, 7);
	for (i = 0; i < d.n && i < 7; i++)
		CHECK_STR(d.v[i].key_path, keys[i]);
	for (i = 1; i < d.n; i++)
		CHECK(d.v[i - 1].pos.line <= d.v[i].pos.line);
	CHECK_INT(ep_config_diags_format(&out, "f.yaml", &d), 0);
	CHECK_CONTAINS(out.ptr, "f.yaml:9:13: pools[1].engine: unknown engine 'vlm'");
	CHECK_CONTAINS(out.ptr, "(did you mean 'vllm'?)");
	ep_buf_release(&out);
	ep_config_diags_release(&d);
}

TEST(diags_capped)
{
	struct ep_buf text = EP_BUF_INIT;
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;
	int i;

	ep_buf_adds(&text, "pools:\n");
	for (i = 0; i < 300; i++)
		ep_buf_addf(&text,
			    "  - {id: p%d, engine: nope, devices: [0], provisioning: {mode: "
			    "external, external: {path: /x}}}\n",
			    i);
	CHECK_INT(ep_config_load_mem(&cfg, "many", text.ptr, text.len, &d, NULL), EP_ECONFIG);
	CHECK_INT(d.n, EP_CONFIG_MAX_DIAGS);
	CHECK_CONTAINS(d.v[d.n - 1].message, "too many errors");
	CHECK_INT(d.v[0].pos.line, 2);
	ep_config_diags_release(&d);
	ep_buf_release(&text);
}

TEST(huge_input_refused)
{
	size_t len = EP_CONFIG_MAX_BYTES + 1;
	char *big = malloc(len);
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;

	if (!big)
		return;
	memset(big, ' ', len);
	CHECK_INT(ep_config_load_mem(&cfg, "big", big, len, &d, &err), EP_ECONFIG);
	CHECK_INT(d.n, 1);
	CHECK_CONTAINS(err.msg, "larger than 16 MiB");
	ep_config_diags_release(&d);
	free(big);
}

TEST(deep_nesting_refused)
{
	size_t len = 100000;
	char *deep = malloc(len);
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;

	if (!deep)
		return;
	memset(deep, '[', len);
	CHECK_INT(ep_config_load_mem(&cfg, "deep", deep, len, &d, NULL), EP_ECONFIG);
	CHECK_INT(d.n, 1);
	if (d.n) {
		CHECK_CONTAINS(d.v[0].message, "nesting deeper than 64 levels");
		CHECK_INT(d.v[0].pos.col, EP_CONFIG_MAX_DEPTH + 1);
	}
	ep_config_diags_release(&d);
	memset(deep, '{', len);
	CHECK_INT(ep_config_load_mem(&cfg, "deep", deep, len, NULL, NULL), EP_ECONFIG);
	free(deep);
}

/* One pool with `prov` as its provisioning section: the first diagnostic. */
static void expect_prov(const char *prov, const char *key, const char *msg)
{
	struct ep_buf text = EP_BUF_INIT;
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;

	ep_buf_addf(&text,
		    "pools:\n- id: a\n  engine: llamacpp\n  devices: []\n  provisioning: %s\n",
		    prov);
	CHECK_INT(ep_config_load_mem(&cfg, "t", text.ptr, text.len, &d, NULL), EP_ECONFIG);
	CHECK_INT(d.n, 1);
	if (d.n) {
		CHECK(!strncmp(d.v[0].key_path, "pools[0].", 9));
		CHECK_STR(d.v[0].key_path + 9, key);
		CHECK_CONTAINS(d.v[0].message, msg);
		CHECK_INT(d.v[0].pos.line, 5);
	}
	ep_config_diags_release(&d);
	ep_buf_release(&text);
}

/* A container pool may leave out its image (and its whole section): the engine's own. */
static void expect_container_ok(const char *prov, const char *image, const char *tag)
{
	struct ep_buf text = EP_BUF_INIT;
	struct ep_config_diags d = EP_CONFIG_DIAGS_INIT;
	struct ep_config *cfg = NULL;

	ep_buf_addf(&text, "pools:\n- id: a\n  engine: vllm\n  devices: [0]\n  provisioning: %s\n",
		    prov);
	CHECK_INT(ep_config_load_mem(&cfg, "t", text.ptr, text.len, &d, NULL), 0);
	CHECK_INT(d.n, 0);
	if (cfg) {
		const struct ep_provisioning *p = &cfg->pools[0].provisioning;

		CHECK_INT(p->mode, EP_MODE_CONTAINER);
		CHECK(!image ? !p->has_container || !p->container.image
			     : p->container.image && !strcmp(p->container.image, image));
		CHECK(!tag ? !p->has_container || !p->container.tag
			   : p->container.tag && !strcmp(p->container.tag, tag));
	}
	ep_config_free(cfg);
	ep_config_diags_release(&d);
	ep_buf_release(&text);
}

TEST(provisioning_cases)
{
	expect_container_ok("{mode: container}", NULL, NULL);
	expect_container_ok("{mode: container, container: {tag: v0.9.0}}", NULL, "v0.9.0");
	expect_container_ok("{mode: container, container: {image: x/y, tag: '1'}}", "x/y", "1");
	expect_prov("{mode: package, package: {name: llama.cpp, version: -1}}",
		    "provisioning.package.version", "begins with '-'");
	expect_prov("{mode: package, package: {name: --all}}", "provisioning.package.name",
		    "begins with '-'");
	expect_prov("{mode: container, container: {image: vllm/vllm-openai, tag: --rm}}",
		    "provisioning.container.tag", "begins with '-'");
	expect_prov("{mode: container, container: {image: x, runtime: lxc}}",
		    "provisioning.container.runtime", "allowed: 'podman' or 'docker'");
	expect_prov("{mode: external, external: {path: /x}, model: {ref: -m}}",
		    "provisioning.model.ref", "begins with '-'");
	expect_prov("{mode: external, external: {path: /x}, model: {ref: m, checksum: abc}}",
		    "provisioning.model.checksum", "'sha256:' and 64 hex digits");
	expect_prov("{mode: binary, binary: {checksum: \"sha256:"
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}",
		    "provisioning.binary.url", "missing required key 'url'");
	expect_prov("{mode: binary}", "provisioning.binary",
		    "mode 'binary' needs a 'binary' section");
	expect_prov("{mode: external, external: {url: ''}}", "provisioning.external.url",
		    "must not be empty");
	expect_prov("{external: {path: /x}}", "provisioning.mode", "missing required key 'mode'");
	expect_prov("{mode: external, external: {path: /x}, startup_timeout_s: 0}",
		    "provisioning.startup_timeout_s", "0 is out of range");
	expect_prov("{mode: external, external: {path: /x}, allow_binary_downloads: 1}",
		    "provisioning.allow_binary_downloads", "expected true or false");
	expect_prov("{mode: external, external: {path: /x}, flags: [--a, true]}",
		    "provisioning.flags[1]", "quote it");
	expect_prov("{mode: external, external: {path: /x}, source: {repo: r, ref: f, build: "
		    "{cmake_flag: []}}}",
		    "provisioning.source.build.cmake_flag", "did you mean 'cmake_flags'?");
	expect_prov("[]", "provisioning", "expected a mapping, got a list");
}

TEST(names_and_ids)
{
	enum ep_engine e;
	enum ep_mode m;

	CHECK_STR(ep_engine_name(EP_ENGINE_TRITON), "triton");
	CHECK_STR(ep_mode_name(EP_MODE_EXTERNAL), "external");
	CHECK_INT(ep_engine_parse(&e, "tgi"), 0);
	CHECK_INT(e, EP_ENGINE_TGI);
	CHECK_INT(ep_engine_parse(&e, "llama.cpp"), EP_ENOTFOUND);
	CHECK_INT(ep_mode_parse(&m, "binary"), 0);
	CHECK_INT(m, EP_MODE_BINARY);
	CHECK_INT(ep_mode_parse(&m, "Binary"), EP_ENOTFOUND);
	CHECK(ep_pool_id_is_valid("a"));
	CHECK(ep_pool_id_is_valid("0.gpu_pool-1"));
	CHECK(!ep_pool_id_is_valid(""));
	CHECK(!ep_pool_id_is_valid(".hidden"));
	CHECK(!ep_pool_id_is_valid("-x"));
	CHECK(!ep_pool_id_is_valid("a/b"));
	CHECK(!ep_pool_id_is_valid("a b"));
	CHECK(ep_pool_id_is_valid(
	    "a123456789012345678901234567890123456789012345678901234567890123"));
	CHECK(!ep_pool_id_is_valid(
	    "a1234567890123456789012345678901234567890123456789012345678901234"));
	CHECK(!ep_pool_id_is_valid(NULL));
}

TEST(missing_file)
{
	struct ep_config *cfg = NULL;
	struct ep_error err = EP_ERROR_INIT;

	CHECK_INT(ep_config_load(&cfg, FIX "no-such.yaml", NULL, &err), EP_ENOTFOUND);
	CHECK_CONTAINS(err.msg, "cannot open config");
	CHECK_INT(ep_config_load(&cfg, FIX, NULL, &err), EP_EIO);
	CHECK_CONTAINS(err.msg, "is a directory");
}

TESTS(T(examples_load), T(cuda_example_fields), T(json_and_yaml_equal), T(all_pools_and_catalog),
      T(defaults_and_absent), T(bad_classes), T(unknown_key_suggests),
      T(all_errors_in_one_run_sorted), T(diags_capped), T(huge_input_refused),
      T(deep_nesting_refused), T(provisioning_cases), T(names_and_ids), T(missing_file))
