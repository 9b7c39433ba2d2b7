#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/flags.h"
#include "ep/provider.h"
#include "test.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct ep_strvec warnings = EP_STRVEC_INIT;
static struct ep_error err = EP_ERROR_INIT;

/* A strlist over a NULL-terminated array. */
static struct ep_strlist list(const char *const *v)
{
	struct ep_strlist l = {(const char **)v, 0};

	while (v[l.n])
		l.n++;
	return l;
}

/* Space-joined vector (owned). */
static char *join(const struct ep_strvec *sv)
{
	struct ep_buf b = EP_BUF_INIT;
	size_t i;

	for (i = 0; i < sv->n; i++)
		ep_buf_addf(&b, "%s%s", i ? " " : "", sv->v[i]);
	return ep_buf_detach(&b, NULL);
}

/*
 * Normalize `flags` for `engine` with `n_devices` GPUs (0: a CPU engine) and
 * `ctx` (0: none); returns the joined result or "error: <message>" (owned).
 * Warnings are left in the file's `warnings`.
 */
static char *norm(enum ep_engine engine, size_t n_devices, uint32_t ctx, const char *const *flags)
{
	struct ep_strvec out = EP_STRVEC_INIT;
	struct ep_strlist l = list(flags);
	char *s;

	ep_strvec_release(&warnings);
	ep_error_clear(&err);
	if (ep_flags_normalize_engine(&out, engine, &l, n_devices == 0, n_devices, ctx != 0, ctx,
				      &warnings, &err)) {
		struct ep_buf b = EP_BUF_INIT;

		CHECK_INT(out.n, 0);
		ep_buf_addf(&b, "error: %s", err.msg);
		ep_strvec_release(&out);
		return ep_buf_detach(&b, NULL);
	}
	s = join(&out);
	ep_strvec_release(&out);
	return s;
}

static char *cmake(bool gpu, const char *const *flags, bool *mapped)
{
	struct ep_strvec out = EP_STRVEC_INIT;
	struct ep_strlist l = list(flags);
	char *s;

	ep_strvec_release(&warnings);
	ep_error_clear(&err);
	if (ep_flags_normalize_cmake(&out, &l, gpu, mapped, &warnings, &err)) {
		struct ep_buf b = EP_BUF_INIT;

		ep_buf_addf(&b, "error: %s", err.msg);
		ep_strvec_release(&out);
		return ep_buf_detach(&b, NULL);
	}
	s = join(&out);
	ep_strvec_release(&out);
	return s;
}

#define EXPECT(expr, want)             \
	do {                           \
		char *got_ = (expr);   \
		CHECK_STR(got_, want); \
		free(got_);            \
	} while (0)

#define EXPECT_ERR(expr, needle)                     \
	do {                                         \
		char *got_ = (expr);                 \
		CHECK(!strncmp(got_, "error: ", 7)); \
		CHECK_CONTAINS(got_, needle);        \
		free(got_);                          \
	} while (0)

static bool warned(const char *needle)
{
	size_t i;

	for (i = 0; i < warnings.n; i++)
		if (strstr(warnings.v[i], needle))
			return true;
	return false;
}

/* vLLM, TGI and Triton can be left out of the build; then normalizing for them fails. */
static bool built_in(enum ep_engine e)
{
	if (ep_provider_for(e))
		return true;
	EXPECT_ERR(norm(e, 1, 0, L("--x")), "is not in this build; rebuild with -DEP_PROVIDER_");
	return false;
}

TEST(repeated_gpu_layers_keep_the_last)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--ngl", "35", "-ngl", "12", "--gpu-layers", "7")),
	       "--n-gpu-layers 7");
	CHECK_INT(warnings.n, 1);
	CHECK(warned("given 3 times"));
	CHECK(warned("'--ngl 35', '-ngl 12', '--gpu-layers 7'"));
}

TEST(dangling_value_is_an_error)
{
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--gpu-layers")),
		   "flag '--gpu-layers' for llamacpp needs a value");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--gpu-layers", "--ctx-size", "4096")),
		   "it is followed by flag '--ctx-size'");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-ngl", "5", "6")), "unexpected value '6'");
}

TEST(cpu_engine_drops_gpu_layers)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 0, 0,
		    L("-ngl", "99", "--spec-draft-ngl", "5", "--gpu-layers", "3", "-c", "4096")),
	       "--ctx-size 4096 --n-gpu-layers 0");
	CHECK(warned("dropped '--gpu-layers 3'"));
	CHECK(warned("dropped '--spec-draft-ngl 5'"));
	EXPECT(norm(EP_ENGINE_LLAMACPP, 0, 0, L("--threads", "4")), "--n-gpu-layers 0 --threads 4");
	/* a GPU engine gets no GPU-layer flag it did not ask for */
	EXPECT(norm(EP_ENGINE_LLAMACPP, 2, 0, L("--threads", "4")), "--threads 4");
}

TEST(flash_attn_needs_its_value)
{
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-fa")), "needs a value (on|off|auto)");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-fa", "-c", "4096")),
		   "flag '-fa' for llamacpp needs a value (on|off|auto); it is followed by flag "
		   "'-c'");
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-fa", "on")), "--flash-attn on");
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--flash-attn=auto")), "--flash-attn auto");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-fa", "yes")),
		   "takes one of on|off|auto, not 'yes'");
}

TEST(removed_flags_name_the_replacement)
{
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--draft", "5")),
		   "flag '--draft' was removed from llamacpp; use --spec-draft-n-max");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--draft_min", "1")), "use --spec-draft-n-min");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--draft-max=4")), "--spec-draft-n-max");
}

TEST(underscores_and_inline_values)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--ctx_size", "2048", "--n_gpu_layers=3")),
	       "--ctx-size 2048 --n-gpu-layers 3");
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--cont_batching", "--no_webui")),
	       "--cont-batching --no-ui");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--cont-batching=1")),
		   "flag '--cont-batching' for llamacpp takes no value");
	/* a short flag keeps its underscores: -ngl_x is not -ngl-x */
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-ngl_x", "1")), "unknown flag '-ngl_x'");
}

TEST(unknown_flag_suggests_the_nearest)
{
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--ngpu", "3")),
		   "unknown flag '--ngpu' for llamacpp; did you mean '--n-gpu-layers'?");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--cont-batchin")),
		   "did you mean '--cont-batching'?");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--no-webu")), "did you mean '--no-ui'?");
	if (built_in(EP_ENGINE_VLLM))
		EXPECT_ERR(norm(EP_ENGINE_VLLM, 1, 0, L("--tensor-paralel-size", "2")),
			   "did you mean '--tensor-parallel-size'?");
}

TEST(aliases_become_canonical)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--context", "1", "-np", "2", "-nocb", "--webui")),
	       "--no-cont-batching --ctx-size 1 --parallel 2 --ui");
	/* the positive and negative form are one flag: the last wins */
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--ui", "--no-webui")), "--no-ui");
	CHECK(warned("flag '--ui' for llamacpp given 2 times"));
}

TEST(order_does_not_matter)
{
	char *a = norm(EP_ENGINE_LLAMACPP, 1, 0,
		       L("-c", "4096", "-ngl", "20", "-fa", "on", "--no-webui", "-np", "4", "-cb",
			 "--lora", "a.gguf", "--lora", "b.gguf"));
	char *b = norm(EP_ENGINE_LLAMACPP, 1, 0,
		       L("--lora", "a.gguf", "-cb", "-np", "4", "--no-webui", "--lora", "b.gguf",
			 "-fa", "on", "--n-gpu-layers", "20", "--ctx-size", "4096"));

	CHECK_STR(a, b);
	CHECK_STR(a, "--cont-batching --ctx-size 4096 --flash-attn on --lora a.gguf --lora b.gguf "
		     "--n-gpu-layers 20 --parallel 4 --no-ui");
	CHECK_INT(warnings.n, 0); /* a repeatable flag is not "given twice" */
	free(a);
	free(b);
}

TEST(pool_ctx_becomes_the_ctx_flag)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 4096, L("-fa", "on")),
	       "--ctx-size 4096 --flash-attn on");
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 4096, L("-c", "8192")), "--ctx-size 8192");
	CHECK(warned("the pool's ctx (4096) is not used"));
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 4096, L("-c", "4096")), "--ctx-size 4096");
	CHECK_INT(warnings.n, 0);
}

TEST(vllm_devices_and_ctx)
{
	if (!built_in(EP_ENGINE_VLLM))
		return;
	EXPECT(norm(EP_ENGINE_VLLM, 2, 8192, L("--gpu_memory_utilization", "0.9")),
	       "--gpu-memory-utilization 0.9 --max-model-len 8192 --tensor-parallel-size 2");
	EXPECT(norm(EP_ENGINE_VLLM, 2, 0, L("-tp", "4")), "--tensor-parallel-size 4");
	CHECK(warned("the pool's device count (2) is not used"));
	EXPECT(
	    norm(EP_ENGINE_VLLM, 1, 0, L("--enable-prefix-caching", "--no-enable-prefix-caching")),
	    "--no-enable-prefix-caching --tensor-parallel-size 1");
	EXPECT_ERR(norm(EP_ENGINE_VLLM, 1, 0, L("--api-key", "s3cret")), "VLLM_API_KEY");
	CHECK(!strstr(err.msg, "s3cret"));
	EXPECT_ERR(norm(EP_ENGINE_VLLM, 1, 0, L("--model", "x")), "not allowed");
}

TEST(tgi)
{
	if (!built_in(EP_ENGINE_TGI))
		return;
	EXPECT(norm(EP_ENGINE_TGI, 2, 4096, L("--max-input-length", "3000")),
	       "--max-input-tokens 3000 --max-total-tokens 4096 --num-shard 2");
	EXPECT_ERR(norm(EP_ENGINE_TGI, 1, 0, L("--port", "80")), "the port comes from the pool's");
	EXPECT_ERR(norm(EP_ENGINE_TGI, 1, 0, L("--quantize", "int3")), "takes one of");
}

TEST(triton)
{
	if (!built_in(EP_ENGINE_TRITON))
		return;
	/* triton has no ctx or device-count flag */
	EXPECT(norm(EP_ENGINE_TRITON, 2, 4096, L("--log-verbose=1", "--strict-readiness", "false")),
	       "--log-verbose 1 --strict-readiness false");
	EXPECT(norm(EP_ENGINE_TRITON, 1, 0, L("--load-model", "b", "--load-model", "a")),
	       "--load-model b --load-model a");
	EXPECT_ERR(norm(EP_ENGINE_TRITON, 1, 0, L("--model-store=/m")), "model repository");
}

TEST(refused_flags)
{
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-m", "x.gguf")),
		   "flag '-m' is not allowed in the flags for llamacpp: the model comes from");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--port", "9000")), "provisioning.ports");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--host", "0.0.0.0")), "provisioning.host");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--api-key", "hunter2")), "LLAMA_API_KEY");
	CHECK(!strstr(err.msg, "hunter2"));
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--help")), "print and exit");
}

TEST(two_values_and_repeatable)
{
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--control-vector-layer-range", "1", "5")),
	       "--control-vector-layer-range 1 5");
	EXPECT_ERR(norm(EP_ENGINE_LLAMACPP, 1, 0, L("--control-vector-layer-range", "1")),
		   "needs a value");
	EXPECT(norm(EP_ENGINE_LLAMACPP, 1, 0, L("-r", "User:", "--reverse-prompt", "-x-")),
	       "--reverse-prompt User: --reverse-prompt -x-");
}

TEST(pool_entry_point)
{
	static const char *flags[] = {"-ngl", "99"};
	uint32_t devices[] = {0, 1};
	struct ep_pool pool;
	struct ep_strvec out = EP_STRVEC_INIT;
	char *s;

	memset(&pool, 0, sizeof(pool));
	pool.id = "p";
	pool.engine = EP_ENGINE_LLAMACPP;
	pool.has_ctx = true;
	pool.ctx = 2048;
	pool.provisioning.flags.v = flags;
	pool.provisioning.flags.n = 2;
	CHECK_INT(ep_flags_normalize_runtime(&out, &pool, NULL, &err), 0);
	s = join(&out);
	CHECK_STR(s, "--ctx-size 2048 --n-gpu-layers 0");
	free(s);
	ep_strvec_release(&out);
	pool.devices = devices;
	pool.n_devices = 2;
	CHECK_INT(ep_flags_normalize_runtime(&out, &pool, NULL, &err), 0);
	s = join(&out);
	CHECK_STR(s, "--ctx-size 2048 --n-gpu-layers 99");
	free(s);
	ep_strvec_release(&out);
}

TEST(provider_facts)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_LLAMACPP);

	CHECK(p != NULL);
	CHECK_STR(p->name, "llamacpp");
	CHECK_STR(p->binary_name, "llama-server");
	CHECK_STR(p->health_path, "/health");
	CHECK_STR(p->version_path, "/props");
	CHECK_INT(p->default_port, 8080);
	p = ep_provider_for(EP_ENGINE_VLLM);
	if (p) {
		CHECK_STR(p->health_path, "/health");
		CHECK_STR(p->version_path, "/version");
		CHECK_STR(p->default_image, "docker.io/vllm/vllm-openai");
		CHECK(p->default_tag != NULL && p->container_port == 8000);
	}
	p = ep_provider_for(EP_ENGINE_TGI);
	if (p) {
		CHECK_STR(p->health_path, "/health");
		CHECK_STR(p->version_path, "/info");
		CHECK_STR(p->default_image, "ghcr.io/huggingface/text-generation-inference");
		CHECK_STR(p->model_flag, "--model-id");
	}
	p = ep_provider_for(EP_ENGINE_TRITON);
	if (p) {
		CHECK_STR(p->health_path, "/v2/health/ready");
		CHECK_STR(p->version_path, "/v2");
		CHECK_STR(p->default_image, "nvcr.io/nvidia/tritonserver");
		CHECK(p->ctx_flag == NULL && p->ctx_note != NULL);
	}
}

/* Every flag table: well formed (no spelling twice, negatives only on booleans). */
TEST(tables_are_well_formed)
{
	enum ep_engine e;

	for (e = 0; e < EP_ENGINE_COUNT; e++) {
		const struct ep_provider *p = ep_provider_for(e);
		const struct ep_flag_spec *f;

		if (!p)
			continue;
		for (f = p->flags; f->name; f++) {
			const struct ep_flag_spec *g;
			bool neg;

			const char *const *a;

			g = ep_provider_find_flag(p, f->name, &neg);
			CHECK(g == f && !neg);
			/* every spelling leads back to its own entry: none is used twice */
			for (a = f->aliases; a && *a; a++)
				CHECK(ep_provider_find_flag(p, *a, &neg) == f && !neg);
			for (a = f->extra_aliases; a && *a; a++)
				CHECK(ep_provider_find_flag(p, *a, &neg) == f && !neg);
			for (a = f->negatives; a && *a; a++)
				CHECK(ep_provider_find_flag(p, *a, &neg) == f && neg);
			CHECK(!(f->negatives && f->takes_value));
			CHECK(!(f->two_values && !f->takes_value));
			/* hand-written tables are kept sorted */
			if (p->engine != EP_ENGINE_LLAMACPP && f[1].name)
				CHECK(strcmp(f->name, f[1].name) < 0);
		}
		if (p->ctx_flag)
			CHECK(ep_provider_find_flag(p, p->ctx_flag, NULL) != NULL);
		if (p->devices_flag)
			CHECK(ep_provider_find_flag(p, p->devices_flag, NULL) != NULL);
	}
}

/* The spellings of one option line of `llama-server --help`, and whether it takes a value. */
static size_t help_line(char *line, char **names, size_t max, bool *takes_value)
{
	size_t len = strlen(line), n = 0;
	char *p, *sp;

	if (len >= 40 && !strncmp(line + 37, "   ", 3))
		line[37] = '\0';
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	*takes_value = false;
	for (p = line; p && n < max;) {
		char *comma = strstr(p, ", ");

		if (comma) {
			*comma = '\0';
			names[n++] = p;
			p = comma + 2;
			while (*p == ' ')
				p++;
			continue;
		}
		sp = strchr(p, ' ');
		if (sp) {
			*sp = '\0';
			*takes_value = true;
		}
		names[n++] = p;
		p = NULL;
	}
	return n;
}

static bool removed_in_table(const struct ep_provider *p, const char *name)
{
	const struct ep_flag_removed *r;

	for (r = p->removed; r && r->name; r++)
		if (!strcmp(r->name, name))
			return true;
	return false;
}

static bool is_extra(const struct ep_flag_spec *f, const char *name)
{
	const char *const *a;

	for (a = f->extra_aliases; a && *a; a++)
		if (!strcmp(*a, name))
			return true;
	return false;
}

static bool in_help(const struct ep_strvec *spellings, const char *s)
{
	return ep_strvec_find(spellings, s) >= 0;
}

/* The llama.cpp table agrees with the pinned `llama-server --help`, both ways. */
TEST(llamacpp_table_matches_pinned_help)
{
	const struct ep_provider *p = ep_provider_for(EP_ENGINE_LLAMACPP);
	const struct ep_flag_spec *f;
	const struct ep_flag_removed *r;
	struct ep_buf text = EP_BUF_INIT;
	struct ep_strvec spellings = EP_STRVEC_INIT;
	struct ep_error e = EP_ERROR_INIT;
	char *line, *save = NULL;
	size_t lines = 0;

	CHECK_INT(
	    ep_buf_read_file(&text, EP_SOURCE_DIR "/tests/fixtures/llama-server-help.txt", &e), 0);
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *names[16];
		bool takes_value;
		size_t n, i;

		if (line[0] != '-' || !strncmp(line, "-----", 5))
			continue;
		lines++;
		n = help_line(line, names, 16, &takes_value);
		for (i = 0; i < n; i++) {
			bool neg = false;
			const struct ep_flag_spec *g = ep_provider_find_flag(p, names[i], &neg);

			ep_strvec_push(&spellings, names[i]);
			if (!g) {
				if (!removed_in_table(p, names[i])) {
					fprintf(stderr, "help flag '%s' is not in the table\n",
						names[i]);
					CHECK(0);
				}
				continue;
			}
			CHECK(!is_extra(g, names[i]));
			if ((neg ? false : g->takes_value) != takes_value) {
				fprintf(stderr, "'%s': takes_value differs from the help\n",
					names[i]);
				CHECK(0);
			}
		}
	}
	CHECK(lines > 200);
	for (f = p->flags; f->name; f++) {
		const char *const *a;

		CHECK(in_help(&spellings, f->name));
		if (!in_help(&spellings, f->name))
			fprintf(stderr, "table flag '%s' is not in the help\n", f->name);
		for (a = f->aliases; a && *a; a++)
			CHECK(in_help(&spellings, *a));
		for (a = f->negatives; a && *a; a++)
			CHECK(in_help(&spellings, *a));
		for (a = f->extra_aliases; a && *a; a++)
			CHECK(!in_help(&spellings, *a)); /* ours, not upstream's */
	}
	for (r = p->removed; r->name; r++)
		CHECK(in_help(&spellings, r->name));
	ep_strvec_release(&spellings);
	ep_buf_release(&text);
}

TEST(cmake_cuda_aliases_collapse)
{
	bool mapped = false;
	struct ep_strvec v = EP_STRVEC_INIT;
	struct ep_strlist l = list(L("-DLLAMA_CUBLAS=ON", "-DLLAMA_CUDA=ON"));

	EXPECT(cmake(true, L("-DLLAMA_CUBLAS=ON", "-DLLAMA_CUDA=ON"), &mapped),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DLLAMA_BUILD_SERVER=ON");
	CHECK(mapped);
	CHECK(warned("'LLAMA_CUBLAS' is a deprecated name"));
	mapped = true;
	EXPECT(
	    cmake(true, L("-DLLAMA_NATIVE=off"), &mapped),
	    "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DGGML_NATIVE=OFF -DLLAMA_BUILD_SERVER=ON");
	CHECK(!mapped);
	EXPECT(cmake(true, L("-DLLAMA_CUBLAS_F16=1", "-DGGML_CUBLAS=TRUE"), &mapped),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DLLAMA_BUILD_SERVER=ON");
	CHECK(mapped);
	CHECK_INT(ep_flags_normalize_cmake(&v, &l, true, NULL, NULL, &err), 0);
	CHECK_STR(ep_flags_cmake_get(&v, "GGML_CUDA"), "ON");
	CHECK(ep_flags_cmake_get(&v, "GGML") == NULL);
	CHECK(ep_flags_cmake_cuda(&v));
	ep_strvec_release(&v);
}

TEST(cmake_curl_dropped_and_duplicates)
{
	EXPECT(
	    cmake(true, L("-DLLAMA_CURL=ON", "-DGGML_NATIVE=OFF", "-DGGML_NATIVE=on"), NULL),
	    "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DGGML_NATIVE=ON -DLLAMA_BUILD_SERVER=ON");
	CHECK(warned("'LLAMA_CURL' has no effect"));
	CHECK(warned("'GGML_NATIVE' given twice"));
	EXPECT(cmake(true, L("-DCMAKE_BUILD_TYPE=Debug", "-DLLAMA_BUILD_SERVER=OFF"), NULL),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON -DLLAMA_BUILD_SERVER=ON");
	CHECK(warned("'-DCMAKE_BUILD_TYPE=Debug' replaced by -DCMAKE_BUILD_TYPE=Release"));
}

TEST(cmake_forms_and_order)
{
	char *a = cmake(true,
			L("-D", "CMAKE_CUDA_ARCHITECTURES=86", "-DGGML_CUDA_F16:bool=1",
			  "-DGGML_CUDA=ON", "-DGGML_CUDA_PEER_MAX_BATCH_SIZE=1"),
			NULL);
	char *b = cmake(true,
			L("-DGGML_CUDA_PEER_MAX_BATCH_SIZE=1", "-DGGML_CUDA=1",
			  "-DGGML_CUDA_F16:BOOL=on", "-DCMAKE_CUDA_ARCHITECTURES=86"),
			NULL);

	CHECK_STR(a, b);
	CHECK_STR(a, "-DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=86 -DGGML_CUDA=ON "
		     "-DGGML_CUDA_F16:BOOL=ON -DGGML_CUDA_PEER_MAX_BATCH_SIZE=1 "
		     "-DLLAMA_BUILD_SERVER=ON");
	free(a);
	free(b);
	EXPECT_ERR(cmake(true, L("-G", "Ninja"), NULL), "source.generator");
	EXPECT_ERR(cmake(true, L("--fresh"), NULL), "not a -D option");
	EXPECT_ERR(cmake(true, L("-DGGML_CUDA"), NULL), "has no value");
	EXPECT_ERR(cmake(true, L("-D"), NULL), "needs NAME=VALUE");
	EXPECT_ERR(cmake(true, L("-D1X=2"), NULL), "does not name a variable");
}

TEST(cmake_cpu_pool)
{
	EXPECT(
	    cmake(false, L("-DGGML_NATIVE=ON"), NULL),
	    "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_SERVER=ON");
	EXPECT_ERR(cmake(false, L("-DLLAMA_CUDA=ON"), NULL),
		   "cmake flag '-DGGML_CUDA=ON' asks for CUDA but the pool has no devices");
	EXPECT(cmake(false, L("-DGGML_VULKAN=ON"), NULL),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_VULKAN=ON -DLLAMA_BUILD_SERVER=ON");
	EXPECT(cmake(true, L("-DGGML_VULKAN=ON"), NULL),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_VULKAN=ON -DLLAMA_BUILD_SERVER=ON");
	/* a GPU pool that turns CUDA off keeps it off, with a warning */
	EXPECT(cmake(true, L("-DGGML_CUDA=OFF"), NULL),
	       "-DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=OFF -DLLAMA_BUILD_SERVER=ON");
	CHECK(warned("turns on no GPU backend"));
}

TESTS(T(repeated_gpu_layers_keep_the_last), T(dangling_value_is_an_error),
      T(cpu_engine_drops_gpu_layers), T(flash_attn_needs_its_value),
      T(removed_flags_name_the_replacement), T(underscores_and_inline_values),
      T(unknown_flag_suggests_the_nearest), T(aliases_become_canonical), T(order_does_not_matter),
      T(pool_ctx_becomes_the_ctx_flag), T(vllm_devices_and_ctx), T(tgi), T(triton),
      T(refused_flags), T(two_values_and_repeatable), T(pool_entry_point), T(provider_facts),
      T(tables_are_well_formed), T(llamacpp_table_matches_pinned_help),
      T(cmake_cuda_aliases_collapse), T(cmake_curl_dropped_and_duplicates),
      T(cmake_forms_and_order), T(cmake_cpu_pool))
