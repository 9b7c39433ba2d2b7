/*
 * The arena that owns a loaded config: memory is handed out from chunks
 * by bumping a pointer and is returned all at once by
 * ep_config_arena__free(), so the config's many small strings and arrays
 * need no bookkeeping of their own.
 *
 * Chunks come from mmap, already zeroed and populated in one call: a big
 * config would otherwise take one page fault per page it touches, which
 * costs more than parsing it on a virtual machine. Chunks double in size,
 * so a small config takes one 64 KiB chunk and a huge one a few dozen.
 *
 * Under AddressSanitizer every allocation is a malloc of its own, so that
 * reading past the end of any string or array is caught (the tests and
 * the fuzzer run that way).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config_int.h"
#include "banned.h"

#define ARENA_CHUNK	(64u * 1024)
#define ARENA_CHUNK_MAX (8u * 1024 * 1024)
#define ARENA_ALIGN	8u /* enough for every type a config holds */

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_EXACT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_EXACT 1
#endif
#endif
#ifndef ARENA_EXACT
#define ARENA_EXACT 0
#endif

struct arena_chunk {
	struct arena_chunk *next;
	size_t mapped; /* bytes mapped, header included */
	size_t size;   /* usable bytes after the header */
	size_t used;
	max_align_t data[];
};

struct ep_config_arena {
	struct arena_chunk *head;
	size_t next_size; /* the size of the next ordinary chunk */
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
		if (ch->mapped)
			munmap(ch, ch->mapped);
		else
			free(ch);
	}
	free(a);
}

/* A new chunk with at least `need` usable bytes, zeroed; NULL when out of memory. */
static struct arena_chunk *chunk_new(size_t need)
{
	size_t len = sizeof(struct arena_chunk) + need;
	struct arena_chunk *ch;

	if (len < need)
		return NULL;
	ch = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
		  0);
	if (ch == MAP_FAILED)
		return NULL;
	ch->mapped = len;
	ch->size = need;
	ch->used = 0;
	return ch;
}

/* Take `size` zeroed bytes from the head chunk, starting a new one when it is full. */
void *ep_config_arena__alloc(struct ep_config_arena *a, size_t size)
{
	struct arena_chunk *ch = a->head;
	size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < size)
		return NULL;
	if (ARENA_EXACT) {
		ch = size <= SIZE_MAX - sizeof(*ch) ? calloc(1, sizeof(*ch) + size) : NULL;
		if (!ch)
			return NULL;
		ch->next = a->head;
		a->head = ch;
		return ch->data;
	}
	if (!ch || ch->size - ch->used < need) {
		size_t csize = a->next_size ? a->next_size : ARENA_CHUNK;

		ch = chunk_new(need > csize ? need : csize);
		if (!ch)
			return NULL;
		/* A big block gets a chunk of its own behind the head, which keeps its free space.
		 */
		if (a->head && need > csize) {
			ch->next = a->head->next;
			a->head->next = ch;
		} else {
			ch->next = a->head;
			a->head = ch;
			a->next_size = csize < ARENA_CHUNK_MAX ? csize * 2 : csize;
		}
	}
	p = (char *)ch->data + ch->used;
	ch->used += need;
	return p; /* mmap'd memory is zero and never handed out twice */
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
