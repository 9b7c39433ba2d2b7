/*
 * Runtime flag normalization: one engine for every provider, driven by the
 * provider's flag table (src/lib/providers/). See ep/flags.h for the rules.
 *
 * The pass reads the list into occurrences (flag, negative or not, values),
 * keeps the last occurrence of each flag that is not repeatable, applies the
 * pool's facts (CPU engine, ctx, device count) and writes the result sorted by
 * canonical name; occurrences of a repeatable flag keep their relative order.
 */
#include <stdlib.h>
#include <string.h>

#include "ep/buf.h"
#include "ep/flags.h"
#include "ep/provider.h"
#include "flags_internal.h"
#include "banned.h"

struct occ {
	const struct ep_flag_spec *spec;
	bool negative;
	bool dropped;
	size_t order;
	char *spelling; /* as written, underscores made dashes */
	char *v1, *v2;	/* values, or NULL */
};

/* A fact of the pool that becomes a flag unless the flags set it. */
struct pool_fact {
	const char *flag;
	unsigned long long value;
	const char *what;
};

struct pass {
	const struct ep_provider *p;
	struct occ *occ;
	size_t n, alloc;
	struct ep_strvec *warnings;
	struct ep_error *err;
};

static void pass_release(struct pass *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->occ[i].spelling);
		free(ps->occ[i].v1);
		free(ps->occ[i].v2);
	}
	free(ps->occ);
}

/* Append an occurrence, taking ownership of the strings (freed on failure). */
static int add_occ(struct pass *ps, const struct ep_flag_spec *spec, bool negative, char *spelling,
		   char *v1, char *v2)
{
	if (ps->n == ps->alloc) {
		size_t n = ps->alloc ? ps->alloc * 2 : 16;
		struct occ *o = realloc(ps->occ, n * sizeof(*o));

		if (!o) {
			free(spelling);
			free(v1);
			free(v2);
			return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
		}
		ps->occ = o;
		ps->alloc = n;
	}
	ps->occ[ps->n] = (struct occ){spec, negative, false, ps->n, spelling, v1, v2};
	ps->n++;
	return 0;
}

/* The removed-flag entry for `name`, or NULL. */
static const struct ep_flag_removed *find_removed(const struct ep_provider *p, const char *name)
{
	const struct ep_flag_removed *r;

	for (r = p->removed; r && r->name; r++)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* Does `tok` read as a flag the engine knows (so it cannot be a value)? */
static bool is_known_flag(const struct ep_provider *p, const char *tok)
{
	char *name;
	bool known;

	if (tok[0] != '-')
		return false;
	name = ep_flags__spelling(tok, NULL);
	if (!name)
		return false;
	known = ep_provider_find_flag(p, name, NULL) || find_removed(p, name);
	free(name);
	return known;
}

/* "on|off|auto" for a message. */
static void join_allowed(struct ep_buf *b, const char *const *allowed)
{
	for (; *allowed; allowed++)
		(void)ep_buf_addf(b, "%s%s", b->len ? "|" : "", *allowed);
}

/* Take the value of `spelling` at *i (inline or the next element) into *out. */
static int take_value(struct pass *ps, const struct ep_flag_spec *f, const char *spelling,
		      const struct ep_strlist *flags, size_t *i, const char *inline_v, char **out)
{
	const char *v = inline_v;
	struct ep_buf allowed = EP_BUF_INIT;
	int rc = 0;

	if (!v) {
		const char *next = *i + 1 < flags->n ? flags->v[*i + 1] : NULL;

		if (!next || is_known_flag(ps->p, next)) {
			struct ep_buf m = EP_BUF_INIT;

			(void)ep_buf_addf(&m, "flag '%s' for %s needs a value", spelling,
					  ps->p->name);
			if (f->allowed) {
				join_allowed(&allowed, f->allowed);
				(void)ep_buf_addf(&m, " (%s)", allowed.ptr);
			}
			if (next)
				(void)ep_buf_addf(&m, "; it is followed by flag '%s'", next);
			rc = ep_error_set(ps->err, EP_ECONFIG, "%s", m.ptr);
			ep_buf_release(&m);
			goto out;
		}
		v = flags->v[++*i];
	}
	if (f->allowed && !ep_flags__in(f->allowed, v)) {
		join_allowed(&allowed, f->allowed);
		rc = ep_error_set(ps->err, EP_ECONFIG, "flag '%s' for %s takes one of %s, not '%s'",
				  spelling, ps->p->name, allowed.ptr, v);
		goto out;
	}
	*out = strdup(v);
	if (!*out)
		rc = ep_error_set(ps->err, EP_ENOMEM, "out of memory");
out:
	ep_buf_release(&allowed);
	return rc;
}

/* Read one flag (and its values) starting at flags->v[*i]. */
static int read_one(struct pass *ps, const struct ep_strlist *flags, size_t *i)
{
	const char *tok = flags->v[*i], *inline_v = NULL;
	const struct ep_flag_spec *f;
	const struct ep_flag_removed *r;
	char *name, *v1 = NULL, *v2 = NULL;
	bool negative = false;
	int rc;

	if (tok[0] != '-' || !tok[1])
		return ep_error_set(
		    ps->err, EP_ECONFIG,
		    "unexpected value '%s' in the flags for %s; a value must follow "
		    "the flag it belongs to",
		    tok, ps->p->name);
	name = ep_flags__spelling(tok, &inline_v);
	if (!name)
		return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
	if ((r = find_removed(ps->p, name))) {
		rc = ep_error_set(ps->err, EP_ECONFIG, "flag '%s' was removed from %s; %s", name,
				  ps->p->name, r->replacement);
		goto fail;
	}
	f = ep_provider_find_flag(ps->p, name, &negative);
	if (!f) {
		rc = ep_error_set(ps->err, EP_ECONFIG,
				  "unknown flag '%s' for %s; did you mean '%s'?", name, ps->p->name,
				  ep_flags__nearest(ps->p, name));
		goto fail;
	}
	if (f->refused) {
		rc = ep_error_set(ps->err, EP_ECONFIG,
				  "flag '%s' is not allowed in the flags for %s: %s", name,
				  ps->p->name, f->refused);
		goto fail;
	}
	if (f->takes_value && !negative) {
		rc = take_value(ps, f, name, flags, i, inline_v, &v1);
		if (!rc && f->two_values)
			rc = take_value(ps, f, name, flags, i, NULL, &v2);
		if (rc)
			goto fail;
	} else if (inline_v) {
		rc = ep_error_set(ps->err, EP_ECONFIG, "flag '%s' for %s takes no value, not '%s'",
				  name, ps->p->name, inline_v);
		goto fail;
	}
	return add_occ(ps, f, negative, name, v1, v2);
fail:
	free(name);
	free(v1);
	return rc;
}

/* Keep the last occurrence of each flag that is not repeatable; warn once per flag. */
static int keep_last(struct pass *ps)
{
	size_t i, j;

	for (i = 0; i < ps->n; i++) {
		struct occ *o = &ps->occ[i];
		struct ep_buf b = EP_BUF_INIT;
		size_t count = 0;
		int rc;

		if (o->spec->repeatable || o->dropped)
			continue;
		for (j = i; j < ps->n; j++) {
			struct occ *q = &ps->occ[j];

			if (q->spec != o->spec)
				continue;
			if (count++)
				(void)ep_buf_addf(&b, "%s'%s%s%s'", count > 2 ? ", " : "",
						  q->spelling, q->v1 ? " " : "",
						  q->v1 ? q->v1 : "");
			q->dropped = true;
		}
		for (j = ps->n; j-- > i;)
			if (ps->occ[j].spec == o->spec) {
				ps->occ[j].dropped = false;
				break;
			}
		rc = count > 1
			 ? ep_flags__warn(
			       ps->warnings, ps->err,
			       "flag '%s' for %s given %zu times ('%s%s%s', %s); the last one is "
			       "kept",
			       o->spec->name, ps->p->name, count, o->spelling, o->v1 ? " " : "",
			       o->v1 ? o->v1 : "", b.ptr)
			 : 0;
		ep_buf_release(&b);
		if (rc)
			return rc;
	}
	return 0;
}

/* The kept occurrence of `spec`, or NULL. */
static struct occ *kept(struct pass *ps, const struct ep_flag_spec *spec)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->occ[i].spec == spec && !ps->occ[i].dropped)
			return &ps->occ[i];
	return NULL;
}

/* Set `flag` to the pool's number `value` unless the flags set it already. */
static int pool_default(struct pool_fact fact, struct pass *ps)
{
	const struct ep_flag_spec *f = ep_provider_find_flag(ps->p, fact.flag, NULL);
	struct occ *o;
	struct ep_buf b = EP_BUF_INIT;
	char *spelling, *v;

	if (!f)
		return ep_error_set(ps->err, EP_EINTERNAL, "flag '%s' is not in the %s table",
				    fact.flag, ps->p->name);
	if (ep_buf_addf(&b, "%llu", fact.value))
		return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
	o = kept(ps, f);
	if (o) {
		int rc = 0;

		if (!o->v1 || strcmp(o->v1, b.ptr) != 0)
			rc = ep_flags__warn(
			    ps->warnings, ps->err,
			    "flags set '%s %s' for %s; the pool's %s (%s) is not used", f->name,
			    o->v1 ? o->v1 : "", ps->p->name, fact.what, b.ptr);
		ep_buf_release(&b);
		return rc;
	}
	spelling = strdup(f->name);
	v = ep_buf_detach(&b, NULL);
	if (!spelling || !v) {
		free(spelling);
		free(v);
		return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
	}
	return add_occ(ps, f, false, spelling, v, NULL);
}

/* A CPU engine: drop every GPU-layer flag, then set the GPU-layer flag to 0. */
static int cpu_engine(struct pass *ps)
{
	const struct ep_flag_spec *f;
	size_t i;
	int rc;

	for (i = 0; i < ps->n; i++) {
		struct occ *o = &ps->occ[i];

		if (!o->spec->gpu_layers || o->dropped)
			continue;
		o->dropped = true;
		rc =
		    ep_flags__warn(ps->warnings, ps->err,
				   "a cpu engine (devices: []) offloads no layers; dropped '%s %s'",
				   o->spelling, o->v1 ? o->v1 : "");
		if (rc)
			return rc;
	}
	if (!ps->p->gpu_layers_flag)
		return 0;
	f = ep_provider_find_flag(ps->p, ps->p->gpu_layers_flag, NULL);
	if (!f)
		return ep_error_set(ps->err, EP_EINTERNAL, "flag '%s' is not in the %s table",
				    ps->p->gpu_layers_flag, ps->p->name);
	{
		char *spelling = strdup(f->name), *v = strdup("0");

		if (!spelling || !v) {
			free(spelling);
			free(v);
			return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
		}
		return add_occ(ps, f, false, spelling, v, NULL);
	}
}

/* Canonical order: by canonical name, then by position (repeatable flags). */
static int cmp_occ(const void *a, const void *b)
{
	const struct occ *x = *(const struct occ *const *)a, *y = *(const struct occ *const *)b;
	int c = strcmp(x->spec->name, y->spec->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Write the kept occurrences, sorted, to `out`. */
static int emit(struct ep_strvec *out, struct pass *ps)
{
	struct occ **v = calloc(ps->n ? ps->n : 1, sizeof(*v));
	size_t i, k = 0;
	int rc = 0;

	if (!v)
		return ep_error_set(ps->err, EP_ENOMEM, "out of memory");
	for (i = 0; i < ps->n; i++)
		if (!ps->occ[i].dropped)
			v[k++] = &ps->occ[i];
	qsort(v, k, sizeof(*v), cmp_occ);
	for (i = 0; i < k && !rc; i++) {
		const struct occ *o = v[i];

		rc = ep_strvec_push(out, o->negative ? o->spec->negatives[0] : o->spec->name);
		if (!rc && o->v1)
			rc = ep_strvec_push(out, o->v1);
		if (!rc && o->v2)
			rc = ep_strvec_push(out, o->v2);
	}
	free(v);
	return rc ? ep_error_set(ps->err, EP_ENOMEM, "out of memory") : 0;
}

int ep_flags_normalize_engine(struct ep_strvec *out, enum ep_engine engine,
			      const struct ep_strlist *flags, bool cpu, size_t n_devices,
			      bool has_ctx, uint32_t ctx, struct ep_strvec *warnings,
			      struct ep_error *err)
{
	struct pass ps = {ep_provider_for(engine), NULL, 0, 0, warnings, err};
	struct ep_strvec res = EP_STRVEC_INIT;
	size_t i;
	int rc = 0;

	if (!ps.p)
		return ep_error_set(err, EP_ECONFIG,
				    "engine '%s' is not in this build; rebuild with "
				    "-DEP_PROVIDER_%s=ON",
				    ep_flags__engine_name(engine), ep_flags__engine_option(engine));
	for (i = 0; flags && i < flags->n && !rc; i++)
		rc = read_one(&ps, flags, &i);
	if (!rc)
		rc = keep_last(&ps);
	if (!rc && cpu)
		rc = cpu_engine(&ps);
	if (!rc && has_ctx && ps.p->ctx_flag)
		rc = pool_default((struct pool_fact){ps.p->ctx_flag, ctx, "ctx"}, &ps);
	if (!rc && !cpu && n_devices && ps.p->devices_flag)
		rc = pool_default((struct pool_fact){ps.p->devices_flag, n_devices, "device count"},
				  &ps);
	if (!rc)
		rc = emit(&res, &ps);
	if (!rc && ep_strvec_copy(out, &res))
		rc = ep_error_set(err, EP_ENOMEM, "out of memory");
	ep_strvec_release(&res);
	pass_release(&ps);
	return rc;
}

int ep_flags_normalize_runtime(struct ep_strvec *out, const struct ep_pool *pool,
			       struct ep_strvec *warnings, struct ep_error *err)
{
	return ep_flags_normalize_engine(out, pool->engine, &pool->provisioning.flags,
					 pool->n_devices == 0, pool->n_devices, pool->has_ctx,
					 pool->ctx, warnings, err);
}
