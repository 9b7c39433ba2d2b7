/*
 * libFuzzer harness for the config loader: any bytes must give either a
 * config or diagnostics, never a crash, a leak or undefined behaviour.
 * The same file is built with fuzz/driver.c into a ctest that runs the
 * seed corpus (fuzz/corpus/config) on every test run.
 */
#include <stddef.h>
#include <stdint.h>

#include "ep/buf.h"
#include "ep/config.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep_config_diags diags = EP_CONFIG_DIAGS_INIT;
	struct ep_error err = EP_ERROR_INIT;
	struct ep_config *cfg = NULL;
	struct ep_buf out = EP_BUF_INIT;
	size_t i;

	if (ep_config_load_mem(&cfg, "fuzz", (const char *)data, size, &diags, &err) == 0) {
		/* walk what was loaded: every pointer must be valid */
		for (i = 0; i < cfg->n_pools; i++) {
			const struct ep_pool *p = &cfg->pools[i];

			if (ep_config_find_pool(cfg, p->id) == NULL)
				__builtin_trap();
			ep_buf_addf(&out, "%s %s %s %zu %d\n", p->id, ep_engine_name(p->engine),
				    ep_mode_name(p->provisioning.mode), p->provisioning.flags.n,
				    ep_pool_is_cpu(p));
		}
		ep_config_free(cfg);
	} else {
		ep_config_diags_format(&out, "fuzz", &diags);
	}
	ep_buf_release(&out);
	ep_config_diags_release(&diags);
	return 0;
}
