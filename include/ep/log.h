/*
 * Narration: the library never prints. It describes what it does as events
 * and hands each to the sink the program installed (none: events are
 * dropped). Two sinks come with the library: JSON lines for machines and
 * readable lines for people. Every sink sees text that has already passed
 * through ep_redact(), so no secret reaches a log.
 */
#ifndef EP_LOG_H
#define EP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ep/buf.h"
#include "ep/error.h"

enum ep_level { EP_LOG_DEBUG, EP_LOG_INFO, EP_LOG_WARN, EP_LOG_ERROR };

struct ep_event {
	enum ep_level level;
	const char *actor;   /* the module speaking: "config", "git", "cmake", "gpu" ... */
	const char *action;  /* what it did: "clone", "configure", "fail-fast" ... */
	const char *target;  /* what it did it to (a pool, a ref, a path); may be NULL */
	const char *pool_id; /* may be NULL */
	const char *human;   /* one readable sentence, already redacted */
	int64_t duration_ms; /* -1 when it does not apply */
};

typedef void (*ep_log_sink_fn)(const struct ep_event *ev, void *ctx);

/* Install the process-wide sink and the lowest level it receives. */
void ep_log_set_sink(ep_log_sink_fn fn, void *ctx, enum ep_level min_level);

/* Emit an event; `fmt` makes `human`. duration_ms < 0 means none. */
void ep_narrate(enum ep_level level, const char *actor, const char *action, const char *target,
		const char *pool_id, int64_t duration_ms, const char *fmt, ...) EP_PRINTF(7, 8);

/* The sinks the library provides; ctx is the FILE * to write to. */
void ep_log_sink_json(const struct ep_event *ev, void *ctx);
void ep_log_sink_text(const struct ep_event *ev, void *ctx);

/* Format one event as a JSON object (no newline). */
int ep_log_format_json(struct ep_buf *out, const struct ep_event *ev);

/*
 * Redaction. A secret is: the value of an env entry whose key looks secret
 * (contains TOKEN, SECRET, KEY, PASSWORD, PASS, CREDENTIAL or AUTH, in any
 * case), any `hf_...` token, the user:password part of a URL, and any value
 * registered with ep_redact_register(). ep_redact() appends `s` to `out`
 * with every secret replaced by "***".
 */
bool ep_redact_key_is_secret(const char *key);
/* Remember a value to mask everywhere from now on (e.g. an env secret). */
int ep_redact_register(const char *value);
void ep_redact_forget_all(void);
int ep_redact(struct ep_buf *out, const char *s);

/* Milliseconds from a monotonic clock. */
int64_t ep_now_ms(void);

#endif
