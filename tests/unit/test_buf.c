#include <stdlib.h>

#include "ep/buf.h"
#include "ep/strvec.h"
#include "test.h"

TEST(add_and_detach)
{
	struct ep_buf b = EP_BUF_INIT;
	char *s;

	CHECK_STR(b.ptr, "");
	ep_buf_adds(&b, "hello");
	ep_buf_addf(&b, " %d", 42);
	CHECK_STR(b.ptr, "hello 42");
	CHECK_INT(b.len, 8);
	s = ep_buf_detach(&b, NULL);
	CHECK_STR(s, "hello 42");
	CHECK_STR(b.ptr, "");
	free(s);
}

TEST(cap_refuses_growth)
{
	struct ep_buf b;

	ep_buf_init(&b, 4);
	CHECK_INT(ep_buf_adds(&b, "abcd"), 0);
	CHECK_INT(ep_buf_adds(&b, "e"), EP_EIO);
	CHECK_STR(b.ptr, "abcd");
	ep_buf_release(&b);
}

TEST(last_lines)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_adds(&b, "one\ntwo\nthree\nfour\n");
	ep_buf_keep_last_lines(&b, 2);
	CHECK_STR(b.ptr, "three\nfour");
	ep_buf_release(&b);
}

TEST(json_string)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_add_json_str(&b, "a\"b\\c\n\x01");
	CHECK_STR(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\"");
	ep_buf_release(&b);
}

/* Runs of plain bytes between escapes, at either end, and every escape. */
TEST(json_string_runs)
{
	struct ep_buf b = EP_BUF_INIT;

	ep_buf_add_json_str(&b, "");
	ep_buf_add_json_str(&b, "plain text \xc3\xa9\x7f");
	ep_buf_add_json_str(&b, "\"\\\n\r\t\x1f\"x\ty\x02");
	CHECK_STR(b.ptr,
		  "\"\"\"plain text \xc3\xa9\x7f\"\"\\\"\\\\\\n\\r\\t\\u001f\\\"x\\ty\\u0002\"");
	ep_buf_release(&b);
}

/* A capped buffer keeps what fits of a JSON string, as a byte-by-byte append did. */
TEST(json_string_cap)
{
	struct ep_buf b;

	ep_buf_init(&b, 6);
	CHECK_INT(ep_buf_add_json_str(&b, "abcdefgh"), EP_EIO);
	CHECK_STR(b.ptr, "\"abcde");
	ep_buf_release(&b);
}

/* Formatting into room already allocated, past the cap, and growing. */
TEST(addf_in_place_and_cap)
{
	struct ep_buf b;
	int i;

	ep_buf_init(&b, 20);
	CHECK_INT(ep_buf_adds(&b, "x"), 0); /* 64 bytes allocated */
	CHECK_INT(ep_buf_addf(&b, "%s-%d", "ab", 12), 0);
	CHECK_STR(b.ptr, "xab-12");
	CHECK_INT(ep_buf_addf(&b, "%40s", "y"), EP_EIO); /* fits the allocation, not the cap */
	CHECK_STR(b.ptr, "xab-12");
	CHECK_INT(b.len, 6);
	ep_buf_release(&b);
	ep_buf_init(&b, 0);
	for (i = 0; i < 100; i++)
		CHECK_INT(ep_buf_addf(&b, "%d,", i % 10), 0);
	CHECK_INT(b.len, 200);
	CHECK(!strncmp(b.ptr, "0,1,2,", 6) && !strcmp(b.ptr + 194, "7,8,9,"));
	CHECK_INT(ep_buf_addf(&b, "%300s", "z"), 0);
	CHECK_INT(b.len, 500);
	CHECK_INT(b.ptr[499], 'z');
	ep_buf_release(&b);
}

TEST(strvec)
{
	struct ep_strvec sv = EP_STRVEC_INIT;

	CHECK(sv.v[0] == NULL);
	ep_strvec_push(&sv, "a");
	ep_strvec_pushf(&sv, "b%d", 2);
	ep_strvec_push(&sv, "c");
	CHECK_INT(sv.n, 3);
	CHECK_INT(ep_strvec_find(&sv, "b2"), 1);
	ep_strvec_remove(&sv, 1);
	CHECK_STR(sv.v[1], "c");
	CHECK(sv.v[2] == NULL);
	ep_strvec_release(&sv);
}

TESTS(T(add_and_detach), T(cap_refuses_growth), T(last_lines), T(json_string), T(json_string_runs),
      T(json_string_cap), T(addf_in_place_and_cap), T(strvec))
