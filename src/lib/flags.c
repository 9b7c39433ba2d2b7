/*
 * What the flag normalizers share: reading a flag's spelling, and finding
 * the known flag nearest to an unknown one (edit distance).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "flags_internal.h"
#include "suggest.h"
#include "banned.h"

char *ep_flags__spelling(const char *tok, const char **inline_value)
{
	const char *eq = strchr(tok, '=');
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok), i;
	char *name = malloc(len + 1);

	if (!name)
		return NULL;
	memcpy(name, tok, len);
	name[len] = '\0';
	if (len > 2 && name[0] == '-' && name[1] == '-')
		for (i = 2; i < len; i++)
			if (name[i] == '_')
				name[i] = '-';
	if (inline_value)
		*inline_value = eq ? eq + 1 : NULL;
	return name;
}

bool ep_flags__in(const char *const *names, const char *s)
{
	for (; names && *names; names++)
		if (!strcmp(*names, s))
			return true;
	return false;
}

/* Consider every spelling in `names` as a match for `name`, keeping the nearest. */
static void consider(const char *const *names, const char *name, const char *canonical,
		     size_t *best, const char **out)
{
	for (; names && *names; names++) {
		size_t d = ep_suggest__distance(name, *names);

		if (d < *best) {
			*best = d;
			*out = canonical;
		}
	}
}

const char *ep_flags__nearest(const struct ep_provider *p, const char *name)
{
	const struct ep_flag_spec *f;
	const char *out = p->flags[0].name;
	size_t best = (size_t)-1;

	for (f = p->flags; f->name; f++) {
		const char *self[] = {f->name, NULL};

		if (f->refused)
			continue;
		consider(self, name, f->name, &best, &out);
		consider(f->aliases, name, f->name, &best, &out);
		consider(f->extra_aliases, name, f->name, &best, &out);
		if (f->negatives)
			consider(f->negatives, name, f->negatives[0], &best, &out);
	}
	return out;
}

const char *ep_flags__engine_name(enum ep_engine e)
{
	static const char *const names[] = {"llamacpp", "vllm", "tgi", "triton"};

	return (unsigned)e < EP_ENGINE_COUNT ? names[e] : "unknown";
}

const char *ep_flags__engine_option(enum ep_engine e)
{
	static const char *const names[] = {"LLAMACPP", "VLLM", "TGI", "TRITON"};

	return (unsigned)e < EP_ENGINE_COUNT ? names[e] : "UNKNOWN";
}

int ep_flags__warn(struct ep_strvec *warnings, struct ep_error *err, const char *fmt, ...)
{
	struct ep_buf b = EP_BUF_INIT;
	va_list ap;
	int rc;

	if (!warnings)
		return 0;
	va_start(ap, fmt);
	rc = ep_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = ep_strvec_push(warnings, b.ptr);
	ep_buf_release(&b);
	return rc ? ep_error_set(err, EP_ENOMEM, "out of memory") : 0;
}
