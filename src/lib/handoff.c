/*
 * The handoff file: how the rest of the system learns where a healthy
 * engine is (.runtime/engines/<pool>.json), and the runtime directory that
 * holds it, the PID files and the engine logs.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/fs.h"
#include "ep/log.h"
#include "engine_internal.h"
#include "banned.h"

int ep_runtime_dir(struct ep_buf *out, const char *explicit_dir, struct ep_error *err)
{
	const char *dir = explicit_dir;

	if (!dir || !*dir)
		dir = getenv("EP_RUNTIME_DIR");
	if (!dir || !*dir)
		dir = ".runtime";
	if (ep_fs_absolute(out, dir))
		return ep_error_sys(err, EP_EIO, "cannot resolve the runtime directory '%s'", dir);
	return 0;
}

/* Append `"key":` and a JSON string, or null. */
static int add_str(struct ep_buf *b, const char *key, const char *value, bool comma)
{
	int rc = ep_buf_addf(b, "%s\n  \"%s\": ", comma ? "," : "", key);

	if (rc)
		return rc;
	return value ? ep_buf_add_json_str(b, value) : ep_buf_adds(b, "null");
}

int ep_handoff__write(const char *path, const struct ep_prepared *pe, const struct ep_pool *pool,
		      const char *url, struct ep_error *err)
{
	struct ep_buf b = EP_BUF_INIT, red = EP_BUF_INIT;
	size_t i;
	int rc;

	rc = ep_buf_adds(&b, "{");
	rc = rc ? rc : add_str(&b, "engine", ep_engine_name(pe->engine), false);
	rc = rc ? rc : add_str(&b, "engine_version", pe->engine_version, true);
	rc = rc ? rc : add_str(&b, "provisioning_mode", ep_mode_name(pe->mode), true);
	rc = rc ? rc : add_str(&b, "url", url, true);
	rc = rc ? rc : add_str(&b, "pool_id", pe->pool_id, true);
	rc = rc ? rc : add_str(&b, "replica_id", pe->replica_id ? pe->replica_id : "r0", true);
	rc = rc ? rc : ep_buf_adds(&b, ",\n  \"model\": {\"id\": ");
	rc = rc ? rc : ep_buf_add_json_str(&b, pool && pool->model ? pool->model : "");
	rc = rc ? rc : ep_buf_adds(&b, ", \"path\": ");
	rc = rc ? rc
		: (pe->model_path ? ep_buf_add_json_str(&b, pe->model_path)
				  : ep_buf_adds(&b, "null"));
	rc = rc ? rc : ep_buf_adds(&b, "},\n  \"flags\": [");
	for (i = 0; !rc && i < pe->flags.n; i++) {
		rc = i ? ep_buf_adds(&b, ", ") : 0;
		rc = rc ? rc : ep_buf_add_json_str(&b, pe->flags.v[i]);
	}
	rc = rc ? rc : ep_buf_adds(&b, "]\n}\n");
	/* Flags are the user's; a secret among them must not spread further. */
	rc = rc ? rc : ep_redact(&red, b.ptr);
	if (rc)
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	else
		rc = ep_fs_replace(path, red.ptr, red.len, 0644, err);
	ep_buf_release(&b);
	ep_buf_release(&red);
	return rc;
}
