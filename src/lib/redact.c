/*
 * Redaction: every text the library hands out passes through ep_redact()
 * (the rules are in ep/log.h). The scan stops only where a rule could start
 * (a registered secret's first byte, "://", the start of a word) and copies
 * the stretches between such places in one piece, so a text with no secret
 * in it costs little more than a copy.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ep/log.h"
#include "banned.h"

struct secret {
	char *value;
	size_t len;
};

static struct secret *secrets;
static size_t n_secrets;
/* first_byte[c]: some registered secret starts with the byte c */
static bool first_byte[256];

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
	struct secret *v;
	size_t i, len;

	if (!value || (len = strlen(value)) < 3)
		return 0; /* too short to mask without mangling ordinary text */
	for (i = 0; i < n_secrets; i++)
		if (secrets[i].len == len && !memcmp(secrets[i].value, value, len))
			return 0;
	v = realloc(secrets, (n_secrets + 1) * sizeof(*v));
	if (!v)
		return EP_ENOMEM;
	secrets = v;
	secrets[n_secrets].value = strdup(value);
	if (!secrets[n_secrets].value)
		return EP_ENOMEM;
	secrets[n_secrets].len = len;
	first_byte[(unsigned char)value[0]] = true;
	n_secrets++;
	return 0;
}

void ep_redact_forget_all(void)
{
	size_t i;

	for (i = 0; i < n_secrets; i++)
		free(secrets[i].value);
	free(secrets);
	secrets = NULL;
	n_secrets = 0;
	memset(first_byte, 0, sizeof(first_byte));
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/*
 * is_word() for ASCII, which every locale classifies alike; false for bytes
 * from 0x80 up, whose class depends on the locale. The scan uses it only to
 * rule places out, so a byte it is unsure of is always looked at closely.
 */
static bool ascii_word(unsigned char c)
{
	return (unsigned char)((c | 32) - 'a') < 26 || (unsigned char)(c - '0') < 10 || c == '_' ||
	       c == '-';
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
 * A `KEY=value`, `"KEY": "value"` or `KEY: value` pair whose key looks
 * secret, starting at s[i]: its length, and in *keep the length of the part
 * before the value (kept as it is). 0 when there is none.
 */
static size_t match_pair(const char *s, size_t i, size_t *keep)
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
	if (vend == vstart)
		return 0;
	memcpy(key, s + i + (s[i] == '"'), klen);
	key[klen] = '\0';
	if (!ep_redact_key_is_secret(key))
		return 0;
	*keep = vstart - i;
	return vend - i;
}

/* A URL's user:password part, from the "://" at s[i] to the '@'; 0 when there is none. */
static size_t match_url_userinfo(const char *s, size_t i)
{
	size_t j;

	if (strncmp(s + i, "://", 3))
		return 0;
	for (j = i + 3; s[j] && s[j] != '@' && s[j] != '/' && !isspace((unsigned char)s[j]); j++)
		;
	if (s[j] != '@' || j == i + 3)
		return 0;
	return j + 1 - i;
}

/* An hf_ token of at least 8 characters after the prefix, starting a word at s[i]. */
static size_t match_hf_token(const char *s, size_t i)
{
	size_t j = i + 3;

	if (strncmp(s + i, "hf_", 3) || (i > 0 && is_word(s[i - 1])))
		return 0;
	while (isalnum((unsigned char)s[j]))
		j++;
	if (j - i < 3 + 8)
		return 0;
	return j - i;
}

/* The first registered secret (in the order registered) that s[i..n) starts with. */
static size_t match_registered(const char *s, size_t n, size_t i)
{
	size_t k;

	for (k = 0; k < n_secrets; k++)
		if (secrets[k].len <= n - i && !memcmp(s + i, secrets[k].value, secrets[k].len))
			return secrets[k].len;
	return 0;
}

/*
 * Whether a rule could match at s[i]: a registered secret starting with its
 * byte, "://", or (hf_ token, secret pair) the start of a word or of a quoted
 * key. A place this rules out is one no rule matches at.
 */
static bool may_match_at(const char *s, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ':' || first_byte[c])
		return true;
	if (c < 0x80 && c != '"' && !ascii_word(c))
		return false;
	return i == 0 || !ascii_word((unsigned char)s[i - 1]);
}

/*
 * Append s[0..len) as the byte-by-byte scan did: when it does not fit, as
 * much as fits, then EP_ENOMEM.
 */
static int copy_run(struct ep_buf *out, const char *s, size_t len)
{
	size_t i;

	if (!len || !ep_buf_add(out, s, len))
		return 0;
	for (i = 0; i < len; i++)
		if (ep_buf_addch(out, s[i]))
			return EP_ENOMEM;
	return 0;
}

int ep_redact(struct ep_buf *out, const char *s)
{
	size_t n = strlen(s), i = 0, from = 0;

	(void)ep_buf_grow(out, n); /* room for the common case; the appends report failures */
	while (i < n) {
		const char *mask = "***";
		size_t used = 0, keep = 0;

		if (!may_match_at(s, i)) {
			i++;
			continue;
		}
		if (first_byte[(unsigned char)s[i]])
			used = match_registered(s, n, i);
		if (!used && s[i] == ':' && (used = match_url_userinfo(s, i)))
			mask = "://***@";
		if (!used && s[i] == 'h')
			used = match_hf_token(s, i);
		if (!used)
			used = match_pair(s, i, &keep);
		if (!used) {
			i++;
			continue;
		}
		if (copy_run(out, s + from, i - from))
			return EP_ENOMEM;
		ep_buf_add(out, s + i, keep);
		ep_buf_adds(out, mask);
		i += used;
		from = i;
	}
	return copy_run(out, s + from, n - from);
}
