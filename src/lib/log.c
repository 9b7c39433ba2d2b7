#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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

/* Redaction. */

static char **secrets;
static size_t n_secrets;

bool ep_redact_key_is_secret(const char *key)
{
	static const char *const words[] = {"TOKEN", "SECRET",	   "KEY", "PASSWORD",
					    "PASS",  "CREDENTIAL", "AUTH"};
	char up[256];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)toupper((unsigned char)key[i]);
	up[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(up, words[i]))
			return true;
	return false;
}

int ep_redact_register(const char *value)
{
	char **v;
	size_t i;

	if (!value || strlen(value) < 3)
		return 0; /* too short to mask without mangling ordinary text */
	for (i = 0; i < n_secrets; i++)
		if (!strcmp(secrets[i], value))
			return 0;
	v = realloc(secrets, (n_secrets + 1) * sizeof(*v));
	if (!v)
		return EP_ENOMEM;
	secrets = v;
	secrets[n_secrets] = strdup(value);
	if (!secrets[n_secrets])
		return EP_ENOMEM;
	n_secrets++;
	return 0;
}

void ep_redact_forget_all(void)
{
	size_t i;

	for (i = 0; i < n_secrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	n_secrets = 0;
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static size_t value_end(const char *s, size_t i, char quote)
{
	if (quote) {
		while (s[i] && s[i] != quote)
			i++;
		return i;
	}
	while (s[i] && !isspace((unsigned char)s[i]) && s[i] != ',' && s[i] != '"' &&
	       s[i] != '\'' && s[i] != '}' && s[i] != '&' && s[i] != ';')
		i++;
	return i;
}

/*
 * If a `KEY=value`, `"KEY": "value"` or `KEY: value` pair whose key looks
 * secret starts at s[i], append the masked pair and return its length.
 */
static size_t redact_pair(struct ep_buf *out, const char *s, size_t i)
{
	char key[256];
	size_t k = i, klen, j, vstart, vend;
	char quote = 0;

	if (i > 0 && is_word(s[i - 1]))
		return 0;
	if (s[k] == '"')
		k++;
	while (is_word(s[k]))
		k++;
	klen = k - i - (s[i] == '"');
	if (!klen || klen >= sizeof(key))
		return 0;
	memcpy(key, s + i + (s[i] == '"'), klen);
	key[klen] = '\0';
	j = k;
	if (s[i] == '"') {
		if (s[j] != '"')
			return 0;
		j++;
	}
	if (s[j] != '=' && s[j] != ':')
		return 0;
	j++;
	while (s[j] == ' ')
		j++;
	if (s[j] == '"' || s[j] == '\'')
		quote = s[j++];
	vstart = j;
	vend = value_end(s, j, quote);
	if (vend == vstart || !ep_redact_key_is_secret(key))
		return 0;
	ep_buf_add(out, s + i, vstart - i);
	ep_buf_adds(out, "***");
	return vend - i;
}

/* A URL's user:password part becomes three stars. */
static size_t redact_url_userinfo(struct ep_buf *out, const char *s, size_t i)
{
	size_t j;

	if (strncmp(s + i, "://", 3))
		return 0;
	for (j = i + 3; s[j] && s[j] != '@' && s[j] != '/' && !isspace((unsigned char)s[j]); j++)
		;
	if (s[j] != '@' || j == i + 3)
		return 0;
	ep_buf_adds(out, "://***@");
	return j + 1 - i;
}

static size_t redact_hf_token(struct ep_buf *out, const char *s, size_t i)
{
	size_t j = i + 3;

	if (strncmp(s + i, "hf_", 3) || (i > 0 && is_word(s[i - 1])))
		return 0;
	while (isalnum((unsigned char)s[j]))
		j++;
	if (j - i < 3 + 8)
		return 0;
	ep_buf_adds(out, "***");
	return j - i;
}

static size_t redact_registered(struct ep_buf *out, const char *s, size_t i)
{
	size_t k;

	for (k = 0; k < n_secrets; k++) {
		size_t len = strlen(secrets[k]);

		if (!strncmp(s + i, secrets[k], len)) {
			ep_buf_adds(out, "***");
			return len;
		}
	}
	return 0;
}

int ep_redact(struct ep_buf *out, const char *s)
{
	size_t i = 0;

	while (s[i]) {
		size_t used = redact_registered(out, s, i);

		if (!used)
			used = redact_url_userinfo(out, s, i);
		if (!used)
			used = redact_hf_token(out, s, i);
		if (!used)
			used = redact_pair(out, s, i);
		if (used) {
			i += used;
			continue;
		}
		if (ep_buf_addch(out, s[i]))
			return EP_ENOMEM;
		i++;
	}
	return 0;
}
