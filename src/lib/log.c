#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "ep/log.h"
#include "banned.h"

static ep_log_sink_fn sink_fn;
static void *sink_ctx;
static enum ep_level sink_min = EP_LOG_INFO;

void ep_log_set_sink(ep_log_sink_fn fn, void *ctx, enum ep_level min_level)
{
	sink_fn = fn;
	sink_ctx = ctx;
	sink_min = min_level;
}

int64_t ep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ep_narrate(enum ep_level level, const char *actor, const char *action, const char *target,
		const char *pool_id, int64_t duration_ms, const char *fmt, ...)
{
	struct ep_buf raw = EP_BUF_INIT, human = EP_BUF_INIT, tgt = EP_BUF_INIT;
	struct ep_event ev;
	va_list ap;

	if (!sink_fn || level < sink_min)
		return;
	va_start(ap, fmt);
	ep_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	ep_redact(&human, raw.ptr);
	if (target)
		ep_redact(&tgt, target);
	ev.level = level;
	ev.actor = actor;
	ev.action = action;
	ev.target = target ? tgt.ptr : NULL;
	ev.pool_id = pool_id;
	ev.human = human.ptr;
	ev.duration_ms = duration_ms;
	sink_fn(&ev, sink_ctx);
	ep_buf_release(&raw);
	ep_buf_release(&human);
	ep_buf_release(&tgt);
}

static const char *level_name(enum ep_level l)
{
	switch (l) {
	case EP_LOG_DEBUG:
		return "debug";
	case EP_LOG_INFO:
		return "info";
	case EP_LOG_WARN:
		return "warn";
	case EP_LOG_ERROR:
		return "error";
	}
	return "info";
}

int ep_log_format_json(struct ep_buf *out, const struct ep_event *ev)
{
	int rc = ep_buf_addf(out, "{\"level\":\"%s\",\"actor\":", level_name(ev->level));

	rc = rc ? rc : ep_buf_add_json_str(out, ev->actor ? ev->actor : "");
	rc = rc ? rc : ep_buf_adds(out, ",\"action\":");
	rc = rc ? rc : ep_buf_add_json_str(out, ev->action ? ev->action : "");
	rc = rc ? rc : ep_buf_adds(out, ",\"target\":");
	rc = rc ? rc : ep_buf_add_json_str(out, ev->target ? ev->target : "");
	rc = rc ? rc : ep_buf_adds(out, ",\"human\":");
	rc = rc ? rc : ep_buf_add_json_str(out, ev->human ? ev->human : "");
	rc = rc ? rc : ep_buf_adds(out, ",\"pool_id\":");
	if (!rc && ev->pool_id)
		rc = ep_buf_add_json_str(out, ev->pool_id);
	else if (!rc)
		rc = ep_buf_adds(out, "null");
	if (!rc && ev->duration_ms >= 0)
		rc = ep_buf_addf(out, ",\"duration_ms\":%lld", (long long)ev->duration_ms);
	return rc ? rc : ep_buf_addch(out, '}');
}

void ep_log_sink_json(const struct ep_event *ev, void *ctx)
{
	struct ep_buf b = EP_BUF_INIT;

	if (!ep_log_format_json(&b, ev) && !ep_buf_addch(&b, '\n'))
		fputs(b.ptr, ctx ? (FILE *)ctx : stderr);
	ep_buf_release(&b);
}

void ep_log_sink_text(const struct ep_event *ev, void *ctx)
{
	FILE *f = ctx ? (FILE *)ctx : stderr;
	const char *tag = "";

	if (ev->level == EP_LOG_WARN)
		tag = "warning: ";
	else if (ev->level == EP_LOG_ERROR)
		tag = "error: ";
	if (ev->duration_ms >= 0)
		fprintf(f, "%s%s (%lld ms)\n", tag, ev->human, (long long)ev->duration_ms);
	else
		fprintf(f, "%s%s\n", tag, ev->human);
	fflush(f);
}
