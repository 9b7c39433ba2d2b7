/*
 * Typed reads of the config tree: each checks the node's type and range,
 * and on a problem records a diagnostic under the current key path that
 * says what was found and what is allowed. Scalars follow YAML 1.2's core
 * schema: plain `true`/`false` are booleans, plain digits are numbers,
 * plain empty, `~` and `null` are null, and quoted text is always a string.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "banned.h"

size_t ep_config__push_key(struct ep_config_ctx *c, const char *key)
{
	size_t mark = c->path.len;

	if (c->path.len)
		ep_buf_addch(&c->path, '.');
	ep_buf_adds(&c->path, key);
	return mark;
}

size_t ep_config__push_index(struct ep_config_ctx *c, size_t i)
{
	char digits[24], *p = digits + sizeof(digits);
	size_t mark = c->path.len;

	/* by hand: this runs for every list item, and printf costs more than the parse */
	*--p = ']';
	do {
		*--p = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	*--p = '[';
	ep_buf_add(&c->path, p, (size_t)(digits + sizeof(digits) - p));
	return mark;
}

void ep_config__pop(struct ep_config_ctx *c, size_t mark)
{
	ep_buf_setlen(&c->path, mark);
}

static bool plain_is(const struct ep_cnode *n, const char *const *words)
{
	if (n->kind != EP_CNODE_SCALAR || !n->plain)
		return false;
	if (n->n > 5 || (n->n && !strchr("~nNtTfF", n->u.str[0])))
		return false; /* the common case: no keyword starts so */
	for (; *words; words++)
		if (!strcmp(n->u.str, *words))
			return true;
	return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", NULL};
static const char *const false_words[] = {"false", "False", "FALSE", NULL};

bool ep_config__is_null(const struct ep_cnode *n)
{
	return plain_is(n, null_words);
}

static bool is_bool(const struct ep_cnode *n)
{
	return plain_is(n, true_words) || plain_is(n, false_words);
}

/* [-+]?[0-9]+ */
static bool is_int_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* YAML 1.2 core floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf/.nan */
static bool is_float_text(const char *s)
{
	size_t digits = 0;

	if (*s == '-' || *s == '+')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return true;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool is_number(const struct ep_cnode *n)
{
	return n->kind == EP_CNODE_SCALAR && n->plain && is_float_text(n->u.str);
}

const char *ep_config__kind_name(const struct ep_cnode *n)
{
	if (n->kind == EP_CNODE_MAP)
		return "a mapping";
	if (n->kind == EP_CNODE_SEQ)
		return "a list";
	if (ep_config__is_null(n))
		return "null";
	if (is_bool(n))
		return "true/false";
	if (is_number(n))
		return "a number";
	return "a string";
}

const struct ep_cnode *ep_config__field(const struct ep_cnode *map, const char *key)
{
	uint32_t i;

	if (!map || map->kind != EP_CNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++) {
		const struct ep_cnode *k = map->u.items[2 * i];

		if (k->kind == EP_CNODE_SCALAR && !strcmp(k->u.str, key))
			return ep_config__is_null(map->u.items[2 * i + 1])
				   ? NULL
				   : map->u.items[2 * i + 1];
	}
	return NULL;
}

/* Keys by text, then by position: repeats end up side by side, the first one first. */
static int key_cmp(const void *pa, const void *pb)
{
	const struct ep_cnode *a = *(const struct ep_cnode *const *)pa;
	const struct ep_cnode *b = *(const struct ep_cnode *const *)pb;
	int r = strcmp(a->u.str, b->u.str);

	if (r)
		return r;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	return a->pos.col < b->pos.col ? -1 : a->pos.col > b->pos.col;
}

/* Diagnose every key of `map` that repeats an earlier one. */
static void check_duplicates(struct ep_config_ctx *c, const struct ep_cnode *map)
{
	const struct ep_cnode **keys;
	size_t i, n = 0;

	if (map->n < 2)
		return;
	keys = malloc(map->n * sizeof(*keys));
	if (!keys) {
		c->nomem = true;
		return;
	}
	for (i = 0; i < map->n; i++)
		if (map->u.items[2 * i]->kind == EP_CNODE_SCALAR)
			keys[n++] = map->u.items[2 * i];
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		size_t first = i - 1, mark;

		if (strcmp(keys[i]->u.str, keys[i - 1]->u.str))
			continue;
		while (first > 0 && !strcmp(keys[first - 1]->u.str, keys[i]->u.str))
			first--;
		mark = ep_config__push_key(c, keys[i]->u.str);
		ep_config__diag(c, keys[i]->pos,
				"duplicate key '%s' (first at line %u, column %u); each key may "
				"appear once",
				keys[i]->u.str, keys[first]->pos.line, keys[first]->pos.col);
		ep_config__pop(c, mark);
	}
	free(keys);
}

bool ep_config__check_map(struct ep_config_ctx *c, const struct ep_cnode *n,
			  const char *const *keys)
{
	uint32_t i;

	if (n->kind != EP_CNODE_MAP) {
		ep_config__diag(c, n->pos, "expected a mapping, got %s", ep_config__kind_name(n));
		return false;
	}
	for (i = 0; keys && i < n->n; i++) {
		const struct ep_cnode *k = n->u.items[2 * i];
		const char *const *known;
		const char *near;
		struct ep_buf allowed = EP_BUF_INIT;
		size_t mark;

		if (k->kind != EP_CNODE_SCALAR)
			continue;
		for (known = keys; *known && strcmp(*known, k->u.str); known++)
			;
		if (*known)
			continue;
		near = ep_config__nearest(k->u.str, keys);
		ep_config__join_choices(&allowed, keys);
		mark = ep_config__push_key(c, k->u.str);
		if (near)
			ep_config__diag(c, k->pos,
					"unknown key '%s' (did you mean '%s'?); allowed: %s",
					k->u.str, near, allowed.ptr);
		else
			ep_config__diag(c, k->pos, "unknown key '%s'; allowed: %s", k->u.str,
					allowed.ptr);
		ep_config__pop(c, mark);
		ep_buf_release(&allowed);
	}
	check_duplicates(c, n);
	return true;
}

void ep_config__missing(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
			const char *what)
{
	size_t mark = ep_config__push_key(c, key);

	ep_config__diag(c, map->pos, "missing required key '%s': %s", key, what);
	ep_config__pop(c, mark);
}

bool ep_config__as_str(struct ep_config_ctx *c, const struct ep_cnode *n, unsigned flags,
		       const char **out)
{
	if (n->kind != EP_CNODE_SCALAR || ep_config__is_null(n)) {
		ep_config__diag(c, n->pos, "expected a string, got %s", ep_config__kind_name(n));
		return false;
	}
	if (is_bool(n)) {
		ep_config__diag(c, n->pos, "expected a string, got %s; quote it: \"%s\"",
				ep_config__kind_name(n), n->u.str);
		return false;
	}
	if (strlen(n->u.str) != n->n) {
		ep_config__diag(c, n->pos, "contains a NUL character; not allowed");
		return false;
	}
	if ((flags & EP_CFG_NO_DASH) && !n->u.str[0]) {
		ep_config__diag(c, n->pos, "must not be empty");
		return false;
	}
	if ((flags & EP_CFG_NO_DASH) && n->u.str[0] == '-') {
		ep_config__diag(c, n->pos,
				"'%s' begins with '-' and would be read as an option; not allowed",
				n->u.str);
		return false;
	}
	*out = n->u.str;
	return true;
}

bool ep_config__as_uint(struct ep_config_ctx *c, const struct ep_cnode *n, uint64_t min,
			uint64_t max, uint64_t *out)
{
	const char *s = n->u.str;
	unsigned long long v;
	char *end;

	if (n->kind != EP_CNODE_SCALAR || ep_config__is_null(n) || is_bool(n)) {
		ep_config__diag(c, n->pos,
				"expected a number from %" PRIu64 " to %" PRIu64 ", got %s", min,
				max, ep_config__kind_name(n));
		return false;
	}
	if (!n->plain) {
		ep_config__diag(c, n->pos,
				"expected a number from %" PRIu64 " to %" PRIu64
				", got the quoted string \"%s\"; write it without quotes",
				min, max, s);
		return false;
	}
	if (!is_float_text(s)) {
		ep_config__diag(c, n->pos,
				"expected a number from %" PRIu64 " to %" PRIu64 ", got '%s'", min,
				max, s);
		return false;
	}
	if (s[0] == '-' && strspn(s + 1, "0.") != strlen(s + 1)) {
		ep_config__diag(c, n->pos,
				"%s is negative; allowed: a number from %" PRIu64 " to %" PRIu64, s,
				min, max);
		return false;
	}
	if (!is_int_text(s)) {
		ep_config__diag(c, n->pos,
				"expected a whole number from %" PRIu64 " to %" PRIu64 ", got %s",
				min, max, s);
		return false;
	}
	errno = 0;
	v = strtoull(s[0] == '-' || s[0] == '+' ? s + 1 : s, &end, 10);
	if (errno || *end || v < min || v > max) {
		ep_config__diag(
		    c, n->pos, "%s is out of range; allowed: a number from %" PRIu64 " to %" PRIu64,
		    s, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* The value of map[key] with the key pushed on the path; NULL when absent. */
static const struct ep_cnode *enter(struct ep_config_ctx *c, const struct ep_cnode *map,
				    const char *key, unsigned flags, size_t *mark)
{
	const struct ep_cnode *v = ep_config__field(map, key);

	if (!v) {
		if (flags & EP_CFG_REQUIRED)
			ep_config__missing(c, map, key, "a string");
		return NULL;
	}
	*mark = ep_config__push_key(c, key);
	return v;
}

bool ep_config__str(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		    unsigned flags, const char **out)
{
	size_t mark;
	const struct ep_cnode *v = enter(c, map, key, flags, &mark);
	bool ok;

	if (!v)
		return false;
	ok = ep_config__as_str(c, v, flags, out);
	ep_config__pop(c, mark);
	return ok;
}

bool ep_config__enum(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     const char *const *choices, const char **out)
{
	size_t mark;
	const struct ep_cnode *v = enter(c, map, key, 0, &mark);
	const char *s, *near;
	const char *const *ch;
	struct ep_buf allowed = EP_BUF_INIT;
	bool ok = false;

	if (!v)
		return false;
	if (ep_config__as_str(c, v, 0, &s)) {
		for (ch = choices; *ch && strcmp(*ch, s); ch++)
			;
		ok = *ch != NULL;
		if (ok) {
			*out = *ch;
		} else {
			near = ep_config__nearest(s, choices);
			ep_config__join_choices(&allowed, choices);
			ep_config__diag(c, v->pos, "unknown %s '%s'; allowed: %s%s%s%s", key, s,
					allowed.ptr, near ? " (did you mean '" : "",
					near ? near : "", near ? "'?)" : "");
			ep_buf_release(&allowed);
		}
	}
	ep_config__pop(c, mark);
	return ok;
}

bool ep_config__bool(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     bool *out)
{
	size_t mark;
	const struct ep_cnode *v = enter(c, map, key, 0, &mark);
	bool ok = true;

	if (!v)
		return false;
	if (plain_is(v, true_words)) {
		*out = true;
	} else if (plain_is(v, false_words)) {
		*out = false;
	} else {
		ep_config__diag(c, v->pos, "expected true or false, got %s%s%s%s",
				ep_config__kind_name(v), v->kind == EP_CNODE_SCALAR ? " '" : "",
				v->kind == EP_CNODE_SCALAR ? v->u.str : "",
				v->kind == EP_CNODE_SCALAR ? "'" : "");
		ok = false;
	}
	ep_config__pop(c, mark);
	return ok;
}

bool ep_config__uint(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	size_t mark;
	const struct ep_cnode *v = enter(c, map, key, 0, &mark);
	bool ok;

	if (!v)
		return false;
	ok = ep_config__as_uint(c, v, min, max, out);
	ep_config__pop(c, mark);
	return ok;
}

const struct ep_cnode *ep_config__list(struct ep_config_ctx *c, const struct ep_cnode *map,
				       const char *key)
{
	const struct ep_cnode *v = ep_config__field(map, key);
	size_t mark;

	if (!v || v->kind == EP_CNODE_SEQ)
		return v;
	mark = ep_config__push_key(c, key);
	ep_config__diag(c, v->pos, "expected a list, got %s", ep_config__kind_name(v));
	ep_config__pop(c, mark);
	return NULL;
}

bool ep_config__strlist(struct ep_config_ctx *c, const struct ep_cnode *map, const char *key,
			unsigned flags, struct ep_strlist *out)
{
	const struct ep_cnode *v = ep_config__list(c, map, key);
	size_t mark, i;

	if (!v || !v->n)
		return false;
	out->v = ep_config_arena__alloc(c->arena, v->n * sizeof(*out->v));
	if (!out->v) {
		c->nomem = true;
		return false;
	}
	mark = ep_config__push_key(c, key);
	for (i = 0; i < v->n; i++) {
		size_t m = ep_config__push_index(c, i);

		if (ep_config__as_str(c, v->u.items[i], flags, &out->v[out->n]))
			out->n++;
		ep_config__pop(c, m);
	}
	ep_config__pop(c, mark);
	return true;
}

bool ep_config__is_sha256(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7))
		return false;
	for (i = 0; i < 64; i++)
		if (!s[7 + i] || !strchr("0123456789abcdefABCDEF", s[7 + i]))
			return false;
	return s[71] == '\0';
}
