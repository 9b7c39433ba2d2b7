#include <stdlib.h>

#include "ep/fs.h"
#include "ep/state.h"
#include "banned.h"

int ep_state_dir(struct ep_buf *out, const char *explicit_dir, struct ep_error *err)
{
	const char *env = getenv("EP_STATE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct ep_buf raw = EP_BUF_INIT;
	int rc;

	if (explicit_dir && *explicit_dir)
		rc = ep_buf_adds(&raw, explicit_dir);
	else if (env && *env)
		rc = ep_buf_adds(&raw, env);
	else if (xdg && *xdg == '/')
		rc = ep_buf_addf(&raw, "%s/engine-provisioner", xdg);
	else if (home && *home == '/')
		rc = ep_buf_addf(&raw, "%s/.cache/engine-provisioner", home);
	else
		rc = ep_error_set(
		    err, EP_EUSAGE,
		    "cannot choose a state directory: set --state-dir or EP_STATE_DIR");
	if (!rc && ep_fs_absolute(out, raw.ptr))
		rc = ep_error_set(err, EP_EIO, "cannot make '%s' absolute", raw.ptr);
	ep_buf_release(&raw);
	if (!rc)
		rc = ep_fs_mkdirs(out->ptr, 0755, err);
	return rc;
}

int ep_state_subdir(struct ep_buf *out, const char *state, const char *sub, struct ep_error *err)
{
	ep_buf_reset(out);
	if (ep_buf_addf(out, "%s/%s", state, sub))
		return ep_error_set(err, EP_ENOMEM, "out of memory");
	return ep_fs_mkdirs(out->ptr, 0755, err);
}
