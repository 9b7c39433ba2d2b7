/*
 * YAML or JSON text -> a tree of nodes with positions, in the load's
 * arena. libyaml's event parser does the reading (JSON is YAML's flow
 * syntax); this file only builds the tree, with bounds: nesting deeper
 * than EP_CONFIG_MAX_DEPTH or more than EP_CONFIG__MAX_NODES values are
 * refused before they cost memory, and aliases are refused so that no
 * value is ever expanded ("billion laughs").
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_int.h"
#include "banned.h"

/* A container being read: its node and the children seen so far. */
struct frame {
	struct ep_cnode *node;
	struct ep_cnode **tmp;
	size_t n, alloc;
};

struct tree {
	struct ep_config_ctx *c;
	struct frame st[EP_CONFIG_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	struct ep_cnode *root;
	bool failed; /* reading stopped: a fatal diagnostic was given */
};

static struct ep_pos mark_pos(yaml_mark_t m)
{
	struct ep_pos p = {(unsigned)m.line + 1, (unsigned)m.column + 1};

	return p;
}

/* Put the key path of the value being read now into c->path (for diagnostics). */
static size_t tree_path(struct tree *t)
{
	size_t mark = t->c->path.len, i;

	for (i = 0; i < t->depth; i++) {
		const struct frame *f = &t->st[i];

		if (f->node->kind == EP_CNODE_SEQ) {
			ep_config__push_index(t->c, f->n);
		} else if (f->n % 2) {
			const struct ep_cnode *k = f->tmp[f->n - 1];

			ep_config__push_key(t->c, k->kind == EP_CNODE_SCALAR ? k->u.str : "?");
		}
	}
	return mark;
}

/* A diagnostic at `pos` under the path being read; `fatal` stops reading. */
static void tree_diag(struct tree *t, struct ep_pos pos, bool fatal, const char *msg)
{
	size_t mark = tree_path(t);

	if (t->c->path.len - mark > 120) { /* deep nesting: keep the path readable */
		ep_buf_setlen(&t->c->path, mark + 120);
		ep_buf_adds(&t->c->path, "...");
	}
	ep_config__diag(t->c, pos, "%s", msg);
	ep_config__pop(t->c, mark);
	if (fatal)
		t->failed = true;
}

static struct ep_cnode *node_new(struct tree *t, enum ep_cnode_kind kind, struct ep_pos pos)
{
	struct ep_cnode *n;

	if (++t->nodes > EP_CONFIG__MAX_NODES) {
		tree_diag(t, pos, true, "the config holds more than 2000000 values; refused");
		return NULL;
	}
	n = ep_config_arena__alloc(t->c->arena, sizeof(*n));
	if (!n) {
		t->c->nomem = true;
		t->failed = true;
		return NULL;
	}
	n->kind = (uint8_t)kind;
	n->pos = pos;
	return n;
}

/* Hang a finished node under the open container (or make it the root). */
static void attach(struct tree *t, struct ep_cnode *n)
{
	struct frame *f;

	if (!t->depth) {
		t->root = n;
		return;
	}
	f = &t->st[t->depth - 1];
	if (f->node->kind == EP_CNODE_MAP && f->n % 2 == 0 && n->kind != EP_CNODE_SCALAR)
		tree_diag(t, n->pos, false,
			  "a key must be a plain string, not a mapping or a list");
	if (f->n == f->alloc) {
		size_t alloc = f->alloc ? f->alloc * 2 : 8;
		struct ep_cnode **v = realloc(f->tmp, alloc * sizeof(*v));

		if (!v) {
			t->c->nomem = true;
			t->failed = true;
			return;
		}
		f->tmp = v;
		f->alloc = alloc;
	}
	f->tmp[f->n++] = n;
}

static void open_container(struct tree *t, enum ep_cnode_kind kind, struct ep_pos pos)
{
	struct ep_cnode *n;

	if (t->depth == EP_CONFIG_MAX_DEPTH) {
		tree_diag(t, pos, true, "nesting deeper than 64 levels; refused");
		return;
	}
	n = node_new(t, kind, pos);
	if (!n)
		return;
	t->st[t->depth].node = n;
	t->st[t->depth].tmp = NULL;
	t->st[t->depth].n = t->st[t->depth].alloc = 0;
	t->depth++;
}

/* Move the children of the innermost container into the arena and attach it. */
static void close_container(struct tree *t)
{
	struct frame *f = &t->st[t->depth - 1];
	struct ep_cnode *n = f->node;

	if (f->n) {
		n->u.items = ep_config_arena__alloc(t->c->arena, f->n * sizeof(*n->u.items));
		if (!n->u.items) {
			t->c->nomem = true;
			t->failed = true;
			return;
		}
		memcpy(n->u.items, f->tmp, f->n * sizeof(*n->u.items));
	}
	n->n = (uint32_t)(n->kind == EP_CNODE_MAP ? f->n / 2 : f->n);
	free(f->tmp);
	f->tmp = NULL;
	t->depth--;
	attach(t, n);
}

/* Attach a scalar with its text copied into the arena. */
static void add_scalar(struct tree *t, struct ep_pos pos, const char *v, size_t len, bool plain)
{
	struct ep_cnode *n = node_new(t, EP_CNODE_SCALAR, pos);

	if (!n)
		return;
	n->plain = plain;
	n->n = (uint32_t)len;
	n->u.str = ep_config_arena__strndup(t->c->arena, v, len);
	if (!n->u.str) {
		t->c->nomem = true;
		t->failed = true;
		return;
	}
	attach(t, n);
}

/* Line and column of a byte offset (reader errors carry only the offset). */
static struct ep_pos offset_pos(const char *data, size_t len, size_t off)
{
	struct ep_pos p = {1, 1};
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

/* Turn libyaml's error into a diagnostic that says where and what. */
static void syntax_error(struct tree *t, yaml_parser_t *p, const char *data, size_t len)
{
	struct ep_buf msg = EP_BUF_INIT;
	struct ep_pos pos;

	if (p->error == YAML_MEMORY_ERROR) {
		t->c->nomem = true;
		t->failed = true;
		return;
	}
	if (p->error == YAML_READER_ERROR)
		pos = offset_pos(data, len, p->problem_offset);
	else
		pos = mark_pos(p->problem_mark);
	ep_buf_addf(&msg, "invalid YAML or JSON: %s", p->problem ? p->problem : "syntax error");
	if (p->context && p->error != YAML_READER_ERROR)
		ep_buf_addf(&msg, " (%s at line %u, column %u)", p->context,
			    (unsigned)p->context_mark.line + 1,
			    (unsigned)p->context_mark.column + 1);
	tree_diag(t, pos, true, msg.ptr);
	ep_buf_release(&msg);
}

/* Handle one event; false when reading is over (the end, or a fatal problem). */
static bool tree_event(struct tree *t, const yaml_event_t *ev, int *docs)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1) {
			tree_diag(
			    t, mark_pos(ev->start_mark), true,
			    "a second YAML document; a config is one document (remove the '---')");
			return false;
		}
		return true;
	case YAML_ALIAS_EVENT:
		tree_diag(t, mark_pos(ev->start_mark), true,
			  "aliases ('*name') are not allowed; write the value out in full");
		return false;
	case YAML_SCALAR_EVENT:
		add_scalar(t, mark_pos(ev->start_mark), (const char *)ev->data.scalar.value,
			   ev->data.scalar.length,
			   ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			       !ev->data.scalar.tag);
		return !t->failed;
	case YAML_SEQUENCE_START_EVENT:
		open_container(t, EP_CNODE_SEQ, mark_pos(ev->start_mark));
		return !t->failed;
	case YAML_MAPPING_START_EVENT:
		open_container(t, EP_CNODE_MAP, mark_pos(ev->start_mark));
		return !t->failed;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (t->depth)
			close_container(t);
		return !t->failed;
	case YAML_STREAM_END_EVENT:
		return false;
	default:
		return true;
	}
}

struct ep_cnode *ep_config_tree__parse(struct ep_config_ctx *c, const char *data, size_t len)
{
	struct tree t;
	yaml_parser_t parser;
	int docs = 0;
	bool more = true;

	memset(&t, 0, sizeof(t));
	t.c = c;
	if (!yaml_parser_initialize(&parser)) {
		c->nomem = true;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (more) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&t, &parser, data, len);
			break;
		}
		more = tree_event(&t, &ev, &docs);
		yaml_event_delete(&ev);
	}
	while (t.depth) {
		free(t.st[t.depth - 1].tmp);
		t.depth--;
	}
	yaml_parser_delete(&parser);
	return t.failed ? NULL : t.root;
}
