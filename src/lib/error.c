#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ep/error.h"
#include "banned.h"

int ep_error_vset(struct ep_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->sys_errno = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int ep_error_set(struct ep_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ep_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int ep_error_sys(struct ep_error *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (!err)
		return code;
	va_start(ap, fmt);
	ep_error_vset(err, code, fmt, ap);
	va_end(ap);
	err->sys_errno = saved;
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	return code;
}

int ep_error_prefix(struct ep_error *err, const char *fmt, ...)
{
	char prefix[512];
	char old[EP_ERROR_MSG_MAX];
	va_list ap;

	if (!err)
		return EP_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		size_t plen = strlen(prefix);

		if (plen + 2 >= sizeof(err->msg))
			plen = sizeof(err->msg) - 3;
		memcpy(err->msg, prefix, plen);
		memcpy(err->msg + plen, ": ", 2);
		plen += 2;
		memcpy(err->msg + plen, old, sizeof(err->msg) - plen - 1);
		err->msg[sizeof(err->msg) - 1] = '\0';
	}
	return err->code;
}

void ep_error_clear(struct ep_error *err)
{
	if (!err)
		return;
	err->code = EP_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

const char *ep_code_name(int code)
{
	static const char *const names[] = {
	    "ok",     "nomem",	"usage", "config", "policy",  "preflight",
	    "gpu",    "fetch",	"build", "io",	   "busy",    "notfound",
	    "verify", "unsafe", "spawn", "engine", "catalog", "internal",
	};
	int i = -code;

	if (i < 0 || (size_t)i >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[i];
}
