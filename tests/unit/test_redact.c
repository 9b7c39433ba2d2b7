/*
 * ep_redact() against a reference: the plain byte-by-byte scan it replaced,
 * kept here as the definition of what must be masked. Fixed cases cover the
 * corners (secrets at either end, adjacent and overlapping secrets, many
 * registered secrets, capped buffers); random texts built from the bytes the
 * rules care about cover the rest.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>

#include "ep/log.h"
#include "test.h"

/* The reference: the registered list as the reference keeps it. */
static char *ref_secrets[512];
static size_t ref_n;

static void both_register(const char *v)
{
	size_t i;

	ep_redact_register(v);
	if (strlen(v) < 3)
		return;
	for (i = 0; i < ref_n; i++)
		if (!strcmp(ref_secrets[i], v))
			return;
	if (ref_n < sizeof(ref_secrets) / sizeof(ref_secrets[0]))
		ref_secrets[ref_n++] = strdup(v);
}

static void both_forget(void)
{
	ep_redact_forget_all();
	while (ref_n)
		free(ref_secrets[--ref_n]);
}

static bool ref_is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static size_t ref_value_end(const char *s, size_t i, char quote)
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

static size_t ref_pair(struct ep_buf *out, const char *s, size_t i)
{
	char key[256];
	size_t k = i, klen, j, vstart, vend;
	char quote = 0;

	if (i > 0 && ref_is_word(s[i - 1]))
		return 0;
	if (s[k] == '"')
		k++;
	while (ref_is_word(s[k]))
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
	vend = ref_value_end(s, j, quote);
	if (vend == vstart || !ep_redact_key_is_secret(key))
		return 0;
	ep_buf_add(out, s + i, vstart - i);
	ep_buf_adds(out, "***");
	return vend - i;
}

static size_t ref_url(struct ep_buf *out, const char *s, size_t i)
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

static size_t ref_hf(struct ep_buf *out, const char *s, size_t i)
{
	size_t j = i + 3;

	if (strncmp(s + i, "hf_", 3) || (i > 0 && ref_is_word(s[i - 1])))
		return 0;
	while (isalnum((unsigned char)s[j]))
		j++;
	if (j - i < 3 + 8)
		return 0;
	ep_buf_adds(out, "***");
	return j - i;
}

static size_t ref_registered(struct ep_buf *out, const char *s, size_t i)
{
	size_t k;

	for (k = 0; k < ref_n; k++) {
		size_t len = strlen(ref_secrets[k]);

		if (!strncmp(s + i, ref_secrets[k], len)) {
			ep_buf_adds(out, "***");
			return len;
		}
	}
	return 0;
}

static int ref_redact(struct ep_buf *out, const char *s)
{
	size_t i = 0;

	while (s[i]) {
		size_t used = ref_registered(out, s, i);

		if (!used)
			used = ref_url(out, s, i);
		if (!used)
			used = ref_hf(out, s, i);
		if (!used)
			used = ref_pair(out, s, i);
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

/* Both scans of `in`, into buffers capped at `cap` (0: none) that already hold "pre:". */
static int same_as_reference(const char *in, size_t cap)
{
	struct ep_buf got, want;
	int rc_got, rc_want, ok;

	ep_buf_init(&got, cap);
	ep_buf_init(&want, cap);
	ep_buf_adds(&got, "pre:");
	ep_buf_adds(&want, "pre:");
	rc_got = ep_redact(&got, in);
	rc_want = ref_redact(&want, in);
	ok = rc_got == rc_want && got.len == want.len && !memcmp(got.ptr, want.ptr, got.len);
	if (!ok)
		fprintf(stderr, "redact(\"%s\", cap %zu): got %d \"%s\", reference %d \"%s\"\n", in,
			cap, rc_got, got.ptr, rc_want, want.ptr);
	ep_buf_release(&got);
	ep_buf_release(&want);
	return ok;
}

static void redacted(const char *in, const char *want)
{
	struct ep_buf b = EP_BUF_INIT;

	CHECK_INT(ep_redact(&b, in), 0);
	CHECK_STR(b.ptr, want);
	CHECK(same_as_reference(in, 0));
	ep_buf_release(&b);
}

TEST(fixed_cases)
{
	redacted("", "");
	redacted("plain text with no secret at all", "plain text with no secret at all");
	redacted("HF_TOKEN=abc123", "HF_TOKEN=***");
	redacted("x HF_TOKEN=abc123", "x HF_TOKEN=***");
	redacted("xHF_TOKEN=abc123", "xHF_TOKEN=***");
	redacted("a-TOKEN=v b_KEY=w", "a-TOKEN=*** b_KEY=***");
	redacted("\"API_KEY\":\"x\",\"PASSWORD\": 'y z'",
		 "\"API_KEY\":\"***\",\"PASSWORD\": '***'");
	redacted("TOKEN=", "TOKEN=");
	redacted("TOKEN= ", "TOKEN= ");
	redacted("auth: bearer", "auth: ***");
	redacted("see https://u:p@h/x and http://@h and ://a@", "see https://***@h/x and http://@h "
								"and ://***@");
	redacted("hf_abcdefgh hf_abcdefg xhf_abcdefghij -hf_abcdefghij",
		 "*** hf_abcdefg xhf_abcdefghij -hf_abcdefghij");
	redacted("TOKEN=hf_abcdefghij", "TOKEN=***");
	redacted("\xc3\xa9TOKEN=v \xe9KEY=w", "\xc3\xa9TOKEN=*** \xe9KEY=***");
}

TEST(registered_secrets)
{
	both_register("ab"); /* too short: never masked */
	both_register("s3cr3t");
	both_register("s3cr3t-longer"); /* after a shorter one with the same start */
	both_register("xyzzy");
	both_register("xyzzy");
	redacted("s3cr3t", "***");
	redacted("ab s3cr3t-longer", "ab ***-longer");
	redacted("s3cr3ts3cr3txyzzy", "*********");
	redacted("s3cr3", "s3cr3");
	redacted("ends with s3cr", "ends with s3cr");
	redacted("URL https://xyzzy@h", "URL https://***@h");
	redacted("TOKEN=s3cr3t rest", "TOKEN=*** rest");
	redacted("ss3cr3t", "s***");
	both_forget();
	redacted("s3cr3t", "s3cr3t");
}

TEST(many_registered_secrets)
{
	struct ep_buf text = EP_BUF_INIT, out = EP_BUF_INIT;
	char v[32];
	int i;

	for (i = 0; i < 300; i++) {
		snprintf(v, sizeof(v), "%c%csecret%d", 'a' + i % 26, 'a' + i % 7, i);
		both_register(v);
	}
	for (i = 0; i < 400; i += 3)
		ep_buf_addf(&text, "w%d %c%csecret%d,", i, 'a' + i % 26, 'a' + i % 7, i);
	CHECK(same_as_reference(text.ptr, 0));
	CHECK_INT(ep_redact(&out, text.ptr), 0);
	CHECK(!strstr(out.ptr, "secret3,"));
	CHECK_CONTAINS(out.ptr, "w3 ***,w6 ***,");
	CHECK_CONTAINS(out.ptr, "secret303,"); /* not registered */
	both_forget();
	ep_buf_release(&text);
	ep_buf_release(&out);
}

/* A full buffer: the same bytes kept and the same failure as the reference. */
TEST(capped_buffers)
{
	static const char *const texts[] = {"HF_TOKEN=abc123 PATH=/bin and more words here",
					    "https://u:p@h/x.git then a long tail of text",
					    "no secret but longer than the cap allows"};
	size_t i, cap;

	both_register("tail");
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		for (cap = 4; cap < 60; cap++)
			CHECK(same_as_reference(texts[i], cap));
	both_forget();
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Random texts made of the pieces the rules look for. */
TEST(random_texts)
{
	static const char *const pieces[] = {
	    "TOKEN", "KEY",   "path", "hf_",  "abcdefgh", "=",	  ":",	"://", "@",  "/", " ",
	    "\"",    "'",     ",",    "}",    "&",	  ";",	  "\t", "-",   "_",  "h", "x",
	    "se",    "cret1", "9",    "\xe9", "\xc3\xa9", "Pass", "a",	"b",   "ab", "\n"};
	struct ep_buf text = EP_BUF_INIT;
	int round, k, bad = 0;

	for (round = 0; round < 4000 && bad < 5; round++) {
		int n = 1 + (int)(rnd() % 40);

		if (round % 500 == 0) {
			both_forget();
			if (round % 1000 == 0) {
				both_register("secret1");
				both_register("se9cret");
				both_register("ab:");
				both_register("KEY=a");
			}
		}
		ep_buf_reset(&text);
		for (k = 0; k < n; k++)
			ep_buf_adds(&text, pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))]);
		if (!same_as_reference(text.ptr, 0) || !same_as_reference(text.ptr, 24))
			bad++;
	}
	CHECK_INT(bad, 0);
	both_forget();
	ep_buf_release(&text);
}

TESTS(T(fixed_cases), T(registered_secrets), T(many_registered_secrets), T(capped_buffers),
      T(random_texts))
