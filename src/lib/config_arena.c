/*
 * The arena that owns a loaded config: memory is handed out from chunks
 * by bumping a pointer and is returned all at once by
 * ep_config_arena__free(), so the config's many small strings and arrays
 * need no bookkeeping of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "banned.h"

#define ARENA_CHUNK (64u * 1024)
#define ARENA_ALIGN 8u /* enough for every type a config holds */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[];
};

struct ep_config_arena {
	struct arena_chunk *head;
};

struct ep_config_arena *ep_config_arena__new(void)
{
	return calloc(1, sizeof(struct ep_config_arena));
}

void ep_config_arena__free(struct ep_config_arena *a)
{
	struct arena_chunk *ch, *next;

	if (!a)
		return;
	for (ch = a->head; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(a);
}

/* Take `size` zeroed bytes from the head chunk, starting a new one when it is full. */
void *ep_config_arena__alloc(struct ep_config_arena *a, size_t size)
{
	struct arena_chunk *ch = a->head;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < size)
		return NULL;
	if (!ch || ch->size - ch->used < need) {
		size_t csize = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		if (csize > SIZE_MAX - sizeof(*ch))
			return NULL;
		ch = malloc(sizeof(*ch) + csize);
		if (!ch)
			return NULL;
		ch->size = csize;
		ch->used = 0;
		/* A big block gets a chunk of its own behind the head, which keeps its free space.
		 */
		if (a->head && need > ARENA_CHUNK) {
			ch->next = a->head->next;
			a->head->next = ch;
		} else {
			ch->next = a->head;
			a->head = ch;
		}
	}
	p = (char *)ch->data + ch->used;
	ch->used += need;
	memset(p, 0, size);
	return p;
}

char *ep_config_arena__strndup(struct ep_config_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = ep_config_arena__alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
