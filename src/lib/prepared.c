/*
 * PreparedEngine: the record of what ensure prepared, as JSON (keys in a
 * fixed order, so the same inputs give the same bytes) and as text.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/prepared.h"
#include "banned.h"

void ep_prepared_init(struct ep_prepared *p)
{
	memset(p, 0, sizeof(*p));
	ep_strvec_init(&p->flags);
}

void ep_prepared_release(struct ep_prepared *p)
{
	free(p->pool_id);
	free(p->replica_id);
	free(p->engine_version);
	free(p->build_ref);
	free(p->engine_digest);
	free(p->binary_path);
	free(p->image_ref);
	free(p->store_key);
	free(p->model_path);
	free(p->host);
	free(p->device_mask);
	ep_strvec_release(&p->flags);
	ep_prepared_init(p);
}

/* "key": value-or-null, with a leading comma unless first. */
static int add_str(struct ep_buf *out, bool first, const char *key, const char *v)
{
	int rc = ep_buf_addf(out, "%s\"%s\":", first ? "" : ",", key);

	if (rc)
		return rc;
	return v ? ep_buf_add_json_str(out, v) : ep_buf_adds(out, "null");
}

int ep_prepared_to_json(struct ep_buf *out, const struct ep_prepared *p)
{
	size_t i;
	int rc;

	rc = ep_buf_addch(out, '{');
	rc = rc ? rc : add_str(out, true, "engine", ep_engine_name(p->engine));
	rc = rc ? rc : add_str(out, false, "engine_version", p->engine_version);
	rc = rc ? rc : add_str(out, false, "build_ref", p->build_ref);
	rc = rc ? rc : add_str(out, false, "engine_digest", p->engine_digest);
	rc = rc ? rc : add_str(out, false, "provisioning_mode", ep_mode_name(p->mode));
	rc = rc ? rc : ep_buf_adds(out, ",\"flags\":[");
	for (i = 0; !rc && i < p->flags.n; i++) {
		if (i)
			rc = ep_buf_addch(out, ',');
		rc = rc ? rc : ep_buf_add_json_str(out, p->flags.v[i]);
	}
	rc = rc ? rc : ep_buf_addch(out, ']');
	rc = rc ? rc : add_str(out, false, "binary_path", p->binary_path);
	rc = rc ? rc : add_str(out, false, "image_ref", p->image_ref);
	rc = rc ? rc : add_str(out, false, "store_key", p->store_key);
	rc = rc ? rc : add_str(out, false, "model_path", p->model_path);
	rc = rc ? rc : add_str(out, false, "host", p->host);
	rc = rc ? rc : ep_buf_addf(out, ",\"port\":%u", (unsigned)p->port);
	rc = rc ? rc : add_str(out, false, "pool_id", p->pool_id);
	rc = rc ? rc : add_str(out, false, "replica_id", p->replica_id);
	rc = rc ? rc : add_str(out, false, "device_mask", p->device_mask);
	rc = rc ? rc : ep_buf_addch(out, '}');
	return rc;
}

static int add_line(struct ep_buf *out, const char *key, const char *v)
{
	return ep_buf_addf(out, "%-18s %s\n", key, v ? v : "-");
}

int ep_prepared_to_text(struct ep_buf *out, const struct ep_prepared *p)
{
	size_t i;
	int rc;

	rc = add_line(out, "pool_id:", p->pool_id);
	rc = rc ? rc : add_line(out, "replica_id:", p->replica_id);
	rc = rc ? rc : add_line(out, "engine:", ep_engine_name(p->engine));
	rc = rc ? rc : add_line(out, "engine_version:", p->engine_version);
	rc = rc ? rc : add_line(out, "provisioning_mode:", ep_mode_name(p->mode));
	rc = rc ? rc : add_line(out, "build_ref:", p->build_ref);
	rc = rc ? rc : add_line(out, "engine_digest:", p->engine_digest);
	rc = rc ? rc : add_line(out, "binary_path:", p->binary_path);
	if (p->image_ref)
		rc = rc ? rc : add_line(out, "image_ref:", p->image_ref);
	rc = rc ? rc : add_line(out, "store_key:", p->store_key);
	rc = rc ? rc : add_line(out, "model_path:", p->model_path);
	rc = rc ? rc : add_line(out, "host:", p->host);
	rc = rc ? rc : ep_buf_addf(out, "%-18s %u\n", "port:", (unsigned)p->port);
	rc = rc ? rc
		: add_line(out, "device_mask:",
			   p->device_mask && *p->device_mask ? p->device_mask : "(none: CPU)");
	rc = rc ? rc : ep_buf_addf(out, "%-18s", "flags:");
	for (i = 0; !rc && i < p->flags.n; i++)
		rc = ep_buf_addf(out, " %s", p->flags.v[i]);
	rc = rc ? rc : ep_buf_addch(out, '\n');
	return rc;
}
