/* Unit tests of a sql route's values, all pure: the JSON body reader
 * (app/json.c: every kind, escapes and surrogate pairs, int64 edges, and
 * each strictness rule with its reason and byte offset), the UTF-8
 * helpers, the typed parameters (app/sqlparam.c: text, JSON and absent
 * values of each type against min/max, length in characters, pattern,
 * nullable, required and default, with the exact messages), and list
 * paging (app/sqlpage.c: ?sort=, the exact wrapped SQL for each cursor
 * case, and cursors that round-trip, while anything not written by
 * sqlpage_cursor is refused). */
#include <math.h>
#include <stdlib.h>
#include "app/json.h"
#include "app/sqlpage.h"
#include "app/sqlparam.h"
#include "tests/unit/check.h"

/* ---------------------------------------------------------------- json */

static struct json_member mem[40];
static char *input, *scratch;
static const char *why;
static size_t at;

/* json_object over a copy of t[0..n) and a scratch of exactly the size
 * json.h asks for, both on the heap so that ASan sees any byte read or
 * written past them (a string literal's NUL would hide an over-read).
 * They live until the next call, as the members point into them. */
static int parse_n(const char *t, size_t n, size_t max)
{
    free(input);
    free(scratch);
    input = malloc(n ? n : 1);
    memcpy(input, t, n);
    scratch = malloc(n + 2 * max ? n + 2 * max : 1);
    why = NULL;
    at = (size_t)-1;
    int r = json_object(input, n, mem, max, scratch, &why, &at);
    if (r < 0 && !why)
        fprintf(stderr, "json_object(%.*s) failed without a reason\n", (int)n, t);
    return r;
}

static int parse(const char *t) { return parse_n(t, strlen(t), 40); }

/* Refused with a reason mentioning want, at byte offset want_at. */
static int bad_n(const char *t, size_t n, const char *want, size_t want_at)
{
    int r = parse_n(t, n, 40);
    if (r >= 0) {
        fprintf(stderr, "json_object(%.*s) = %d, want it refused\n", (int)(n < 80 ? n : 80), t, r);
        return 0;
    }
    if (!why || !strstr(why, want) || at != want_at) {
        fprintf(stderr, "json_object(%.*s): \"%s\" at %zu, want \"%s\" at %zu\n", (int)(n < 80 ? n : 80), t,
                why ? why : "(null)", at, want, want_at);
        return 0;
    }
    return 1;
}

static int bad(const char *t, const char *want, size_t want_at) { return bad_n(t, strlen(t), want, want_at); }

/* The member named name from the last parse. */
static const struct json_member *member(int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(mem[i].name, name))
            return &mem[i];
    fprintf(stderr, "no member \"%s\"\n", name);
    static struct json_member none = { .name = "", .kind = (enum json_kind)-1 };
    return &none;
}

static int bytes_eq(const char *a, size_t an, const char *b, size_t bn) { return an == bn && !memcmp(a, b, an); }

static void test_json_objects(void)
{
    CHECK_I64(parse("{}"), 0);
    CHECK_I64(parse(" \t\r\n{ \n}\r\n "), 0);     /* whitespace anywhere between tokens */
    CHECK_I64(parse("{\"a\":1}"), 1);
    CHECK_STR(mem[0].name, "a");
    CHECK_U64(mem[0].name_len, 1);
    CHECK(mem[0].kind == JSON_INT && mem[0].i == 1 && mem[0].d == 1.0);

    /* Every kind, in order. */
    const char *all = "{ \"n\" : null , \"f\":false,\"t\":true,\"i\":-42,\"r\":1.5,\"e\":2e3,\"s\":\"hi\","
                      "\"o\": {\"x\":[1,2]} ,\"a\":[ ],\"ea\":{}}";
    int n = parse(all);
    CHECK_I64(n, 10);
    CHECK(member(n, "n")->kind == JSON_NULL);
    CHECK(member(n, "f")->kind == JSON_FALSE);
    CHECK(member(n, "t")->kind == JSON_TRUE);
    CHECK(member(n, "i")->kind == JSON_INT && member(n, "i")->i == -42 && member(n, "i")->d == -42.0);
    CHECK(member(n, "r")->kind == JSON_REAL && member(n, "r")->d == 1.5);
    CHECK(member(n, "e")->kind == JSON_REAL && member(n, "e")->d == 2000.0);   /* an exponent: real */
    CHECK(member(n, "s")->kind == JSON_STRING && bytes_eq(member(n, "s")->s, member(n, "s")->len, "hi", 2));
    /* Objects and arrays: their raw text, brackets included. */
    const struct json_member *o = member(n, "o");
    CHECK(o->kind == JSON_NESTED && bytes_eq(o->s, o->len, "{\"x\":[1,2]}", 11));
    CHECK(o->s >= input && o->s + o->len <= input + strlen(all));   /* in the body, not scratch */
    CHECK(member(n, "a")->kind == JSON_NESTED && bytes_eq(member(n, "a")->s, member(n, "a")->len, "[ ]", 3));
    CHECK(member(n, "ea")->kind == JSON_NESTED && bytes_eq(member(n, "ea")->s, member(n, "ea")->len, "{}", 2));
    /* Names and strings are NUL-terminated in scratch. */
    for (int i = 0; i < n; i++) {
        CHECK(mem[i].name >= scratch && mem[i].name[mem[i].name_len] == 0);
        if (mem[i].kind == JSON_STRING)
            CHECK(mem[i].s >= scratch && mem[i].s[mem[i].len] == 0);
    }
    /* Members in the order written. */
    CHECK_STR(mem[0].name, "n");
    CHECK_STR(mem[9].name, "ea");

    /* Deep values inside are kept whole, checked but not decoded. */
    const char *deep = "[{\"a\":[\"\\u00e9\",{\"b\":null}]},-0.5e-3,\"x\\\"]\"]";
    char body[100];
    snprintf(body, sizeof body, "{\"deep\":%s}", deep);
    n = parse(body);
    CHECK_I64(n, 1);
    CHECK(bytes_eq(mem[0].s, mem[0].len, deep, strlen(deep)));
    /* Member names inside nested objects may repeat (only the body's own
     * members become parameters). */
    CHECK_I64(parse("{\"a\":{\"x\":1,\"x\":2}}"), 1);
    /* As many members as max, but not one more. */
    CHECK_I64(parse_n("{\"a\":1,\"b\":2,\"c\":3}", 19, 3), 3);
    CHECK_I64(parse_n("{}", 2, 0), 0);
}

static void test_json_strings(void)
{
    int n = parse("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}");
    CHECK_I64(n, 1);
    CHECK(bytes_eq(mem[0].s, mem[0].len, "\"\\/\b\f\n\r\t", 8));
    /* \u escapes become UTF-8: one, two, three and four bytes, the last
     * from a surrogate pair; hex digits in either case. */
    n = parse("{\"u\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\",\"edges\":\"\\u007f\\u0080\\u07ff\\u0800\\uFFFF"
              "\\ud800\\udc00\\udbff\\udfff\"}");
    CHECK_I64(n, 2);
    CHECK(bytes_eq(member(n, "u")->s, member(n, "u")->len, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
    CHECK(bytes_eq(member(n, "edges")->s, member(n, "edges")->len,
                   "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 19));
    /* \u0000 is a NUL inside the value; the length counts it. */
    n = parse("{\"z\":\"a\\u0000b\"}");
    CHECK_I64(n, 1);
    CHECK(bytes_eq(mem[0].s, mem[0].len, "a\0b", 3));
    /* Raw UTF-8 passes through, in names too. */
    n = parse("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}");
    CHECK_I64(n, 1);
    CHECK_STR(mem[0].name, "caf\xc3\xa9");
    CHECK_U64(mem[0].name_len, 5);
    CHECK_STR(mem[0].s, "\xe2\x82\xac \xf0\x9f\x98\x80");
    /* Names are decoded too, and compared decoded: "a" and "\u0061" are
     * the same name. */
    n = parse("{\"\\u0061\\n\":1,\"\":2}");
    CHECK_I64(n, 2);
    CHECK(bytes_eq(mem[0].name, mem[0].name_len, "a\n", 2));
    CHECK(mem[1].name_len == 0 && mem[1].name[0] == 0);
    CHECK(bad("{\"a\":1,\"\\u0061\":2}", "same member name twice", 7));
    CHECK(bad("{\"a\":1,\"b\":2,\"a\":3}", "same member name twice", 13));
    CHECK(bad("{\"\":1,\"\":2}", "same member name twice", 6));
    CHECK_I64(parse("{\"a\":1,\"ab\":2,\"A\":3}"), 3);   /* prefixes and case differ */

    /* Control characters must be escaped; DEL need not be. */
    CHECK(bad("{\"a\":\"x\ny\"}", "control character", 7));
    CHECK(bad("{\"a\":\"\x01\"}", "control character", 6));
    CHECK(bad("{\"a\":\"\t\"}", "control character", 6));
    CHECK(bad("{\"\x1f\":1}", "control character", 2));
    CHECK(bad_n("{\"a\":\"\0\"}", 9, "control character", 6));
    CHECK_I64(parse("{\"a\":\"\x7f\"}"), 1);
    /* Invalid UTF-8: truncated, a stray continuation, overlong, a
     * surrogate, past U+10FFFF, bytes never used; in names, values and
     * strings nested deeper. */
    CHECK(bad("{\"a\":\"\xc3\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"x\x80\"}", "invalid UTF-8", 7));
    CHECK(bad("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xe0\x80\xaf\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xf0\x80\x80\xaf\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xf8\x88\x80\x80\x80\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"a\":\"\xff\"}", "invalid UTF-8", 6));
    CHECK(bad("{\"\xe2\x82\":1}", "invalid UTF-8", 2));
    CHECK(bad("{\"a\":[\"ok\",{\"\xfe\":1}]}", "invalid UTF-8", 13));
    CHECK(bad_n("{\"a\":\"\xf0\x9f\x98", 9, "invalid UTF-8", 6));   /* cut by the end of the text */
    /* Lone and mismatched surrogates. */
    CHECK(bad("{\"a\":\"\\ud800\"}", "without its low half", 12));
    CHECK(bad("{\"a\":\"\\ud800x\"}", "without its low half", 12));
    CHECK(bad("{\"a\":\"\\ud800\\u0041\"}", "without its low half", 18));
    CHECK(bad("{\"a\":\"\\udbff\\udbff\"}", "without its low half", 18));
    CHECK(bad("{\"a\":\"\\ud800\\n\"}", "without its low half", 12));
    CHECK(bad("{\"a\":\"\\udc00\"}", "lone low surrogate", 12));
    CHECK(bad("{\"a\":\"\\udfff\\ud800\"}", "lone low surrogate", 12));
    CHECK(bad("{\"a\":[\"\\ud83d\"]}", "without its low half", 13));   /* checked deeper too */
    /* Escapes JSON does not have. */
    CHECK(bad("{\"a\":\"\\x41\"}", "unknown escape", 8));
    CHECK(bad("{\"a\":\"\\'\"}", "unknown escape", 8));
    CHECK(bad("{\"a\":\"\\U0041\"}", "unknown escape", 8));
    CHECK(bad("{\"a\":\"\\u12\"}", "four hex digits", 11));
    CHECK(bad("{\"a\":\"\\u12g4\"}", "four hex digits", 11));
    CHECK(bad("{\"a\":\"\\u12", "four hex digits", 8));
    CHECK(bad("{\"a\":\"\\", "closing '\"'", 7));
    CHECK(bad("{\"a\":\"abc", "closing '\"'", 9));
    CHECK(bad("{\"abc", "closing '\"'", 5));
}

static void test_json_numbers(void)
{
    int n = parse("{\"min\":-9223372036854775808,\"max\":9223372036854775807,\"over\":9223372036854775808,"
                  "\"under\":-9223372036854775809,\"z\":0,\"nz\":-0,\"big\":123456789012345678901234567890,"
                  "\"f\":1.0,\"e1\":1E+2,\"e2\":1e-2,\"e3\":-0.5E0,\"huge\":1e400,\"tiny\":1e-400}");
    CHECK_I64(n, 13);
    const struct json_member *m = member(n, "min");
    CHECK(m->kind == JSON_INT);
    CHECK_I64(m->i, INT64_MIN);
    m = member(n, "max");
    CHECK(m->kind == JSON_INT);
    CHECK_I64(m->i, INT64_MAX);
    /* Just past int64 either way: a real, not a wrapped integer. */
    m = member(n, "over");
    CHECK(m->kind == JSON_REAL && m->d == 9223372036854775808.0);
    m = member(n, "under");
    CHECK(m->kind == JSON_REAL && m->d == -9223372036854775808.0);
    CHECK(member(n, "z")->kind == JSON_INT && member(n, "z")->i == 0);
    CHECK(member(n, "nz")->kind == JSON_INT && member(n, "nz")->i == 0);
    CHECK(member(n, "big")->kind == JSON_REAL && member(n, "big")->d == 123456789012345678901234567890.0);
    CHECK(member(n, "f")->kind == JSON_REAL && member(n, "f")->d == 1.0);
    CHECK(member(n, "e1")->kind == JSON_REAL && member(n, "e1")->d == 100.0);
    CHECK(member(n, "e2")->kind == JSON_REAL && member(n, "e2")->d == 0.01);
    CHECK(member(n, "e3")->kind == JSON_REAL && member(n, "e3")->d == -0.5);
    CHECK(member(n, "huge")->kind == JSON_REAL && isinf(member(n, "huge")->d));   /* sqlparam refuses it */
    CHECK(member(n, "tiny")->kind == JSON_REAL && member(n, "tiny")->d == 0.0);
    /* Numbers longer than the parser's buffer: 1e99 in 100 digits, and a
     * long fraction. */
    char t[300];
    strcpy(t, "{\"a\":1");
    memset(t + 6, '0', 99);
    strcpy(t + 105, ",\"b\":0.");
    memset(t + 112, '5', 80);
    strcpy(t + 192, "}");
    n = parse(t);
    CHECK_I64(n, 2);
    CHECK(mem[0].kind == JSON_REAL && mem[0].d == 1e99);
    CHECK(mem[1].kind == JSON_REAL && fabs(mem[1].d - 0.5555555555555556) < 1e-15);

    /* Not JSON numbers. */
    CHECK(bad("{\"a\":01}", "',' or '}' expected", 6));     /* leading zeros */
    CHECK(bad("{\"a\":-01}", "',' or '}' expected", 7));
    CHECK(bad("{\"a\":00}", "',' or '}' expected", 6));
    CHECK(bad("{\"a\":[0,01]}", "',' or ']' expected", 9));
    CHECK(bad("{\"a\":+1}", "not a JSON value", 5));
    CHECK(bad("{\"a\":.5}", "not a JSON value", 5));
    CHECK(bad("{\"a\":-}", "not a JSON value", 6));
    CHECK(bad("{\"a\":--1}", "not a JSON value", 6));
    CHECK(bad("{\"a\":1.}", "digit must follow '.'", 7));
    CHECK(bad("{\"a\":1.e3}", "digit must follow '.'", 7));
    CHECK(bad("{\"a\":1e}", "digit must follow the exponent", 7));
    CHECK(bad("{\"a\":1e+}", "digit must follow the exponent", 8));
    CHECK(bad("{\"a\":0x10}", "',' or '}' expected", 6));
    CHECK(bad("{\"a\":NaN}", "not a JSON value", 5));
    CHECK(bad("{\"a\":Infinity}", "not a JSON value", 5));
    CHECK(bad("{\"a\":-Infinity}", "not a JSON value", 6));
    CHECK(bad("{\"a\":1 2}", "',' or '}' expected", 7));
}

/* A body whose deepest point is depth brackets open at once, the body's
 * own object being the first: {"a":[[...]]}. */
static char *nest(int depth)
{
    char *t = malloc((size_t)depth * 2 + 16);
    size_t o = 0;
    o += (size_t)sprintf(t, "{\"a\":");
    for (int i = 1; i < depth; i++)
        t[o++] = '[';
    for (int i = 1; i < depth; i++)
        t[o++] = ']';
    t[o++] = '}';
    t[o] = 0;
    return t;
}

static void test_json_refusals(void)
{
    /* Not an object at all. */
    CHECK(bad("", "must be a JSON object", 0));
    CHECK(bad("   ", "must be a JSON object", 3));
    CHECK(bad("[]", "must be a JSON object", 0));
    CHECK(bad("  [{}]", "must be a JSON object", 2));
    CHECK(bad("\"a\"", "must be a JSON object", 0));
    CHECK(bad("null", "must be a JSON object", 0));
    CHECK(bad("\xef\xbb\xbf{}", "must be a JSON object", 0));   /* no byte order mark */
    /* Trailing commas. */
    CHECK(bad("{\"a\":1,}", "name in quotes", 7));
    CHECK(bad("{,}", "name in quotes", 1));
    CHECK(bad("{\"a\":[1,]}", "not a JSON value", 8));
    CHECK(bad("{\"a\":{\"b\":1,}}", "name in quotes", 12));
    CHECK(bad("{\"a\":1,,\"b\":2}", "name in quotes", 7));
    CHECK(bad("{\"a\":[,1]}", "not a JSON value", 6));
    /* Broken members. */
    CHECK(bad("{a:1}", "name in quotes", 1));
    CHECK(bad("{'a':1}", "name in quotes", 1));
    CHECK(bad("{\"a\"}", "':' must follow", 4));
    CHECK(bad("{\"a\" 1}", "':' must follow", 5));
    CHECK(bad("{\"a\":}", "not a JSON value", 5));
    CHECK(bad("{\"a\":", "ends where a value should be", 5));
    CHECK(bad("{\"a\":1", "',' or '}' expected", 6));
    CHECK(bad("{\"a\":1 \"b\":2}", "',' or '}' expected", 7));
    CHECK(bad("{", "name in quotes", 1));
    CHECK(bad("{\"a\":[1 2]}", "',' or ']' expected", 8));
    CHECK(bad("{\"a\":[1", "',' or ']' expected", 7));
    CHECK(bad("{\"a\":{\"b\"}}", "':' must follow", 9));
    CHECK(bad("{\"a\":[}", "not a JSON value", 6));
    /* Literals are lower case and whole; no comments. */
    CHECK(bad("{\"a\":tru}", "not a JSON value", 5));
    CHECK(bad("{\"a\":True}", "not a JSON value", 5));
    CHECK(bad("{\"a\":nul", "not a JSON value", 5));
    CHECK(bad("{\"a\":nulls}", "',' or '}' expected", 9));
    CHECK(bad("{\"a\":undefined}", "not a JSON value", 5));
    CHECK(bad("{\"a\":1 /* c */}", "',' or '}' expected", 7));
    CHECK(bad("{\"a\":1 // c\n}", "',' or '}' expected", 7));
    CHECK(bad("{# c\n\"a\":1}", "name in quotes", 1));
    /* Nothing after the object but whitespace. */
    CHECK_I64(parse("{\"a\":1}\r\n\t "), 1);
    CHECK(bad("{\"a\":1} x", "something follows", 8));
    CHECK(bad("{\"a\":1}{}", "something follows", 7));
    CHECK(bad("{}}", "something follows", 2));
    CHECK(bad("{},", "something follows", 2));
    CHECK(bad_n("{}\0", 3, "something follows", 2));
    /* Too many members: refused at the first one too many. */
    CHECK(parse_n("{\"a\":1,\"b\":2,\"c\":3}", 19, 2) < 0);
    CHECK(why && strstr(why, "too many members"));
    CHECK_U64(at, 13);
    CHECK(parse_n("{\"a\":1}", 7, 0) < 0);
    CHECK(why && strstr(why, "too many members"));
    CHECK_U64(at, 1);

    /* Depth: 32 brackets open at once (the body's object is one of them)
     * is the most. */
    char *t = nest(32);
    CHECK_I64(parse(t), 1);
    CHECK_U64(mem[0].len, 62);
    free(t);
    t = nest(33);
    CHECK(bad(t, "deeper than 32", 36));
    free(t);
    /* The same with objects. */
    char obj[400];
    size_t o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)sprintf(obj + o, "{\"a\":");
    o += (size_t)sprintf(obj + o, "1");
    for (int i = 0; i < 32; i++)
        obj[o++] = '}';
    obj[o] = 0;
    CHECK_I64(parse(obj), 1);
    memmove(obj + 5, obj, o + 1);                   /* one more level: 33 */
    memcpy(obj, "{\"a\":", 5);
    obj[o + 5] = '}', obj[o + 6] = 0;
    CHECK(bad(obj, "deeper than 32", 32 * 5));
    /* Very deep: refused at level 33, without recursing further. */
    size_t deep = 200000;
    t = malloc(deep + 8);
    memcpy(t, "{\"a\":", 5);
    memset(t + 5, '[', deep);
    t[deep + 5] = 0;
    CHECK(bad(t, "deeper than 32", 36));
    free(t);
}

static void test_utf8(void)
{
    CHECK(json_utf8_ok("", 0));
    CHECK(json_utf8_ok("plain ascii ~", 13));
    CHECK(json_utf8_ok("\0", 1));                   /* NUL is UTF-8; sqlparam refuses it separately */
    CHECK(json_utf8_ok("\xc2\x80\xdf\xbf", 4));     /* U+0080, U+07FF */
    CHECK(json_utf8_ok("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", 12));  /* U+0800 U+D7FF U+E000 U+FFFF */
    CHECK(json_utf8_ok("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8));   /* U+10000, U+10FFFF */
    CHECK(!json_utf8_ok("\x80", 1));
    CHECK(!json_utf8_ok("\xbf", 1));
    CHECK(!json_utf8_ok("\xc0\x80", 2));            /* overlong NUL */
    CHECK(!json_utf8_ok("\xc1\xbf", 2));
    CHECK(!json_utf8_ok("\xe0\x9f\xbf", 3));
    CHECK(!json_utf8_ok("\xf0\x8f\xbf\xbf", 4));
    CHECK(!json_utf8_ok("\xed\xa0\x80", 3));        /* U+D800 */
    CHECK(!json_utf8_ok("\xed\xbf\xbf", 3));        /* U+DFFF */
    CHECK(!json_utf8_ok("\xf4\x90\x80\x80", 4));    /* U+110000 */
    CHECK(!json_utf8_ok("\xf5\x80\x80\x80", 4));
    CHECK(!json_utf8_ok("\xfe", 1));
    CHECK(!json_utf8_ok("\xff", 1));
    CHECK(!json_utf8_ok("\xe2\x82", 2));            /* cut short */
    CHECK(!json_utf8_ok("\xe2\x82\xac", 2));        /* cut short by n, not by the bytes */
    CHECK(!json_utf8_ok("\xc3(", 2));
    CHECK(!json_utf8_ok("a\xe2\x28\xa1", 4));
    CHECK_U64(json_utf8_len("", 0), 0);
    CHECK_U64(json_utf8_len("abc", 3), 3);
    CHECK_U64(json_utf8_len("\xc3\xa9", 2), 1);
    CHECK_U64(json_utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 11), 5);
}

/* ---------------------------------------------------------------- params */

static char msg[200];
static struct store_value v;

static int text(const struct config_param *p, const char *s)
{
    msg[0] = 0;
    return sqlparam_text(p, s, strlen(s), &v, msg, sizeof msg);
}

/* Refused with exactly this message. */
static int text_bad(const struct config_param *p, const char *s, size_t n, const char *want)
{
    strcpy(msg, "(none)");
    if (sqlparam_text(p, s, n, &v, msg, sizeof msg) == 0 || strcmp(msg, want)) {
        fprintf(stderr, "sqlparam_text(%.*s): \"%s\", want refused with \"%s\"\n", (int)n, s, msg, want);
        return 0;
    }
    return 1;
}

static void test_param_text(void)
{
    struct config_param ip = { .name = "n", .type = CONFIG_P_INTEGER };
    CHECK(text(&ip, "42") == 0 && v.type == STORE_INT && v.i == 42);
    CHECK(text(&ip, "-7") == 0 && v.type == STORE_INT && v.i == -7);
    CHECK(text(&ip, "0") == 0 && v.type == STORE_INT && v.i == 0);
    CHECK(text(&ip, "-0") == 0 && v.type == STORE_INT && v.i == 0);
    CHECK(text(&ip, "9223372036854775807") == 0 && v.i == INT64_MAX);
    CHECK(text(&ip, "-9223372036854775808") == 0 && v.i == INT64_MIN);
    CHECK(text_bad(&ip, "9223372036854775808", 19, "must be an integer within 64 bits"));
    CHECK(text_bad(&ip, "-9223372036854775809", 20, "must be an integer within 64 bits"));
    CHECK(text_bad(&ip, "99999999999999999999", 20, "must be an integer within 64 bits"));
    /* A path or query integer is a JSON integer's text: no sign but '-',
     * no leading zeros, no fraction or exponent, no spaces. */
    static const char *const not_int[] = { "", "1.5", "1.0", "1e3", "abc", "+1", "01", " 1", "1 ", "0x1f", "-",
                                           "1_000", "\xd9\xa1" /* an Arabic-Indic one */ };
    for (size_t i = 0; i < sizeof not_int / sizeof not_int[0]; i++)
        CHECK(text_bad(&ip, not_int[i], strlen(not_int[i]), "must be an integer"));
    CHECK(text_bad(&ip, "12\0", 3, "must be an integer"));          /* a NUL is not a digit */
    char longnum[80];
    memset(longnum, '0', sizeof longnum);
    longnum[0] = '1';
    CHECK(text_bad(&ip, longnum, sizeof longnum, "must be an integer"));   /* too long to be one */

    struct config_param range = { .type = CONFIG_P_INTEGER, .has_min = 1, .min = 1, .has_max = 1, .max = 100 };
    CHECK(text(&range, "1") == 0 && v.i == 1);
    CHECK(text(&range, "100") == 0 && v.i == 100);
    CHECK(text_bad(&range, "0", 1, "must be from 1 to 100"));
    CHECK(text_bad(&range, "101", 3, "must be from 1 to 100"));
    CHECK(text_bad(&range, "-9223372036854775808", 20, "must be from 1 to 100"));
    struct config_param lo = { .type = CONFIG_P_INTEGER, .has_min = 1, .min = -5 };
    CHECK(text(&lo, "-5") == 0 && text(&lo, "9223372036854775807") == 0);
    CHECK(text_bad(&lo, "-6", 2, "must be at least -5"));
    struct config_param hi = { .type = CONFIG_P_INTEGER, .has_max = 1, .max = 10 };
    CHECK(text(&hi, "10") == 0 && text(&hi, "-9223372036854775808") == 0);
    CHECK(text_bad(&hi, "11", 2, "must be at most 10"));

    struct config_param rp = { .type = CONFIG_P_REAL };
    CHECK(text(&rp, "1.5") == 0 && v.type == STORE_REAL && v.d == 1.5);
    CHECK(text(&rp, "2") == 0 && v.type == STORE_REAL && v.d == 2.0);   /* an integer text is a real too */
    CHECK(text(&rp, "-0.25e1") == 0 && v.d == -2.5);
    CHECK(text(&rp, "1E-2") == 0 && v.d == 0.01);
    CHECK(text(&rp, "9223372036854775808") == 0 && v.d == 9223372036854775808.0);
    CHECK(text_bad(&rp, "1e999", 5, "must be a finite number"));
    CHECK(text_bad(&rp, "-1e999", 6, "must be a finite number"));
    static const char *const not_real[] = { "", "nan", "NaN", "inf", "Infinity", "1.", ".5", "+1", "1e", "0x10",
                                            "1,5", "01.5", "1.5 " };
    for (size_t i = 0; i < sizeof not_real / sizeof not_real[0]; i++)
        CHECK(text_bad(&rp, not_real[i], strlen(not_real[i]), "must be a number"));
    struct config_param rr = { .type = CONFIG_P_REAL, .has_min = 1, .min = 0.5, .has_max = 1, .max = 2.5 };
    CHECK(text(&rr, "0.5") == 0 && text(&rr, "2.5") == 0 && text(&rr, "1") == 0);
    CHECK(text_bad(&rr, "0.49", 4, "must be from 0.5 to 2.5"));
    CHECK(text_bad(&rr, "2.51", 4, "must be from 0.5 to 2.5"));
    CHECK(text_bad(&rr, "-1e300", 6, "must be from 0.5 to 2.5"));

    struct config_param bp = { .type = CONFIG_P_BOOLEAN, .has_min = 1, .min = 5 };   /* min means nothing here */
    CHECK(text(&bp, "true") == 0 && v.type == STORE_INT && v.i == 1);
    CHECK(text(&bp, "1") == 0 && v.type == STORE_INT && v.i == 1);
    CHECK(text(&bp, "false") == 0 && v.type == STORE_INT && v.i == 0);
    CHECK(text(&bp, "0") == 0 && v.type == STORE_INT && v.i == 0);
    static const char *const not_bool[] = { "", "TRUE", "True", "yes", "no", "on", "2", "-1", "00", "truee", "t" };
    for (size_t i = 0; i < sizeof not_bool / sizeof not_bool[0]; i++)
        CHECK(text_bad(&bp, not_bool[i], strlen(not_bool[i]), "must be a boolean"));

    /* Text: the bytes as given (v.p points into them). */
    struct config_param tp = { .type = CONFIG_P_TEXT };
    const char *hello = "hello world";
    CHECK(sqlparam_text(&tp, hello, 5, &v, msg, sizeof msg) == 0 && v.type == STORE_TEXT && v.p == hello &&
          v.len == 5);
    CHECK(text(&tp, "") == 0 && v.type == STORE_TEXT && v.len == 0);
    CHECK(text(&tp, "42") == 0 && v.type == STORE_TEXT);               /* digits stay text */
    CHECK(text_bad(&tp, "\xff", 1, "must be UTF-8 text without NUL characters"));
    CHECK(text_bad(&tp, "ab\xc3", 3, "must be UTF-8 text without NUL characters"));
    CHECK(text_bad(&tp, "\xed\xa0\x80", 3, "must be UTF-8 text without NUL characters"));
    CHECK(text_bad(&tp, "a\0b", 3, "must be UTF-8 text without NUL characters"));
    /* Length counts characters, not bytes. */
    struct config_param len = { .type = CONFIG_P_TEXT, .has_length = 1, .len_lo = 2, .len_hi = 5 };
    CHECK(text(&len, "ab") == 0 && text(&len, "abcde") == 0);
    CHECK(text(&len, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9") == 0);        /* 5 characters, 10 bytes */
    CHECK(text(&len, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80") == 0);                /* 2 characters, 8 bytes */
    CHECK(text_bad(&len, "a", 1, "must be 2 to 5 characters long"));
    CHECK(text_bad(&len, "", 0, "must be 2 to 5 characters long"));
    CHECK(text_bad(&len, "abcdef", 6, "must be 2 to 5 characters long"));
    CHECK(text_bad(&len, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 12, "must be 2 to 5 characters long"));
    CHECK(text_bad(&len, "\xf0\x9f\x98\x80", 4, "must be 2 to 5 characters long"));
    struct config_param exact = { .type = CONFIG_P_TEXT, .has_length = 1, .len_lo = 3, .len_hi = 3 };
    CHECK(text(&exact, "a\xe2\x82\xac" "b") == 0);
    CHECK(text_bad(&exact, "ab", 2, "must be 3 characters long"));
    /* Pattern: the whole value, by bytes. */
    struct config_param pat = { .type = CONFIG_P_TEXT, .pattern = "[a-z][a-z0-9_]{2,15}" };
    CHECK(text(&pat, "alice_42") == 0);
    CHECK(text_bad(&pat, "Alice", 5, "must match the pattern [a-z][a-z0-9_]{2,15}"));
    CHECK(text_bad(&pat, "al", 2, "must match the pattern [a-z][a-z0-9_]{2,15}"));
    CHECK(text_bad(&pat, "alice!", 6, "must match the pattern [a-z][a-z0-9_]{2,15}"));
    /* Length is checked before the pattern; UTF-8 before both. */
    struct config_param both = { .type = CONFIG_P_TEXT, .has_length = 1, .len_lo = 1, .len_hi = 3,
                                 .pattern = "\\d+" };
    CHECK(text(&both, "123") == 0);
    CHECK(text_bad(&both, "1234", 4, "must be 1 to 3 characters long"));
    CHECK(text_bad(&both, "ab", 2, "must match the pattern \\d+"));
    CHECK(text_bad(&both, "\xff", 1, "must be UTF-8 text without NUL characters"));
    /* A message never runs past the caller's buffer. */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(sqlparam_text(&pat, "A", 1, &v, small, sizeof small) < 0);
    CHECK_STR(small, "must ma");
}

/* sqlparam_json on member name of the body parsed last. */
static int js(const struct config_param *p, int n, const char *name)
{
    msg[0] = 0;
    return sqlparam_json(p, member(n, name), &v, msg, sizeof msg);
}

static int js_bad(const struct config_param *p, int n, const char *name, const char *want)
{
    strcpy(msg, "(none)");
    if (sqlparam_json(p, member(n, name), &v, msg, sizeof msg) == 0 || strcmp(msg, want)) {
        fprintf(stderr, "sqlparam_json(%s): \"%s\", want refused with \"%s\"\n", name, msg, want);
        return 0;
    }
    return 1;
}

static void test_param_json(void)
{
    int n = parse("{\"i\":5,\"r\":5.0,\"e\":5e0,\"h\":5.5,\"s\":\"5\",\"t\":true,\"f\":false,\"n\":null,"
                  "\"o\":{},\"a\":[1],\"big\":1e300,\"inf\":1e400,\"ovf\":9223372036854775808,\"neg\":-3,"
                  "\"u\":\"h\\u00e9llo\",\"z\":\"a\\u0000b\",\"max\":9223372036854775807,\"p53\":9007199254740991.0,"
                  "\"m53\":9007199254740992.0,\"nz\":-0.0}");
    CHECK_I64(n, 20);

    struct config_param ip = { .type = CONFIG_P_INTEGER };
    CHECK(js(&ip, n, "i") == 0 && v.type == STORE_INT && v.i == 5);
    CHECK(js(&ip, n, "neg") == 0 && v.i == -3);
    CHECK(js(&ip, n, "max") == 0 && v.i == INT64_MAX);
    /* A whole real is that integer (5.0, 5e0), while it is exact. */
    CHECK(js(&ip, n, "r") == 0 && v.type == STORE_INT && v.i == 5);
    CHECK(js(&ip, n, "e") == 0 && v.type == STORE_INT && v.i == 5);
    CHECK(js(&ip, n, "p53") == 0 && v.i == 9007199254740991);
    CHECK(js(&ip, n, "nz") == 0 && v.type == STORE_INT && v.i == 0);
    CHECK(js_bad(&ip, n, "m53", "must be an integer"));
    CHECK(js_bad(&ip, n, "h", "must be an integer"));
    CHECK(js_bad(&ip, n, "s", "must be an integer"));             /* a string "5" is not an integer */
    CHECK(js_bad(&ip, n, "t", "must be an integer"));
    CHECK(js_bad(&ip, n, "o", "must be an integer"));
    CHECK(js_bad(&ip, n, "a", "must be an integer"));
    CHECK(js_bad(&ip, n, "big", "must be an integer"));
    CHECK(js_bad(&ip, n, "inf", "must be an integer"));
    CHECK(js_bad(&ip, n, "ovf", "must be an integer"));
    /* null only when nullable. */
    CHECK(js_bad(&ip, n, "n", "may not be null"));
    struct config_param inull = { .type = CONFIG_P_INTEGER, .nullable = 1, .has_min = 1, .min = 10 };
    CHECK(js(&inull, n, "n") == 0 && v.type == STORE_NULL);     /* null is not checked against min */
    CHECK(js_bad(&inull, n, "i", "must be at least 10"));
    struct config_param ir = { .type = CONFIG_P_INTEGER, .has_min = 1, .min = -3, .has_max = 1, .max = 4 };
    CHECK(js(&ir, n, "neg") == 0);
    CHECK(js_bad(&ir, n, "i", "must be from -3 to 4"));
    CHECK(js_bad(&ir, n, "r", "must be from -3 to 4"));

    struct config_param rp = { .type = CONFIG_P_REAL };
    CHECK(js(&rp, n, "i") == 0 && v.type == STORE_REAL && v.d == 5.0);   /* an integer is a number */
    CHECK(js(&rp, n, "h") == 0 && v.type == STORE_REAL && v.d == 5.5);
    CHECK(js(&rp, n, "big") == 0 && v.d == 1e300);
    CHECK(js(&rp, n, "ovf") == 0 && v.d == 9223372036854775808.0);
    CHECK(js_bad(&rp, n, "inf", "must be a finite number"));
    CHECK(js_bad(&rp, n, "s", "must be a number"));
    CHECK(js_bad(&rp, n, "f", "must be a number"));
    CHECK(js_bad(&rp, n, "a", "must be a number"));
    CHECK(js_bad(&rp, n, "n", "may not be null"));
    struct config_param rr = { .type = CONFIG_P_REAL, .has_max = 1, .max = 5.25 };
    CHECK(js(&rr, n, "r") == 0);
    CHECK(js_bad(&rr, n, "h", "must be at most 5.25"));

    struct config_param bp = { .type = CONFIG_P_BOOLEAN };
    CHECK(js(&bp, n, "t") == 0 && v.type == STORE_INT && v.i == 1);
    CHECK(js(&bp, n, "f") == 0 && v.type == STORE_INT && v.i == 0);
    CHECK(js_bad(&bp, n, "i", "must be a boolean"));              /* 1 is not true in JSON */
    CHECK(js_bad(&bp, n, "s", "must be a boolean"));
    CHECK(js_bad(&bp, n, "n", "may not be null"));

    struct config_param tp = { .type = CONFIG_P_TEXT, .nullable = 1 };
    CHECK(js(&tp, n, "s") == 0 && v.type == STORE_TEXT && v.p == member(n, "s")->s && v.len == 1);
    CHECK(js(&tp, n, "n") == 0 && v.type == STORE_NULL);
    CHECK(js_bad(&tp, n, "i", "must be a string"));
    CHECK(js_bad(&tp, n, "t", "must be a string"));
    CHECK(js_bad(&tp, n, "o", "must be a string"));               /* no JSON inside text */
    CHECK(js_bad(&tp, n, "z", "must be UTF-8 text without NUL characters"));   /* a \u0000 */
    /* Length in characters after decoding: "h\u00e9llo" is 5. */
    struct config_param tl = { .type = CONFIG_P_TEXT, .has_length = 1, .len_lo = 5, .len_hi = 5,
                               .pattern = "h.+o" };
    CHECK(js(&tl, n, "u") == 0 && v.len == 6);
    struct config_param tl4 = { .type = CONFIG_P_TEXT, .has_length = 1, .len_lo = 1, .len_hi = 4 };
    CHECK(js_bad(&tl4, n, "u", "must be 1 to 4 characters long"));
    struct config_param tpat = { .type = CONFIG_P_TEXT, .pattern = "[a-z]+" };
    CHECK(js_bad(&tpat, n, "u", "must match the pattern [a-z]+"));   /* é is two bytes outside a-z */
}

static void test_param_absent(void)
{
    struct config_param req = { .type = CONFIG_P_INTEGER, .required = 1, .def = "5" };
    strcpy(msg, "(none)");
    CHECK(sqlparam_absent(&req, &v, msg, sizeof msg) < 0);
    CHECK_STR(msg, "is required");
    /* Optional without a default: NULL, nullable or not. */
    struct config_param opt = { .type = CONFIG_P_TEXT };
    CHECK(sqlparam_absent(&opt, &v, msg, sizeof msg) == 0 && v.type == STORE_NULL);
    /* A default as written, parsed by the type. */
    struct config_param di = { .type = CONFIG_P_INTEGER, .def = "-12" };
    CHECK(sqlparam_absent(&di, &v, msg, sizeof msg) == 0 && v.type == STORE_INT && v.i == -12);
    struct config_param dr = { .type = CONFIG_P_REAL, .def = "2.5" };
    CHECK(sqlparam_absent(&dr, &v, msg, sizeof msg) == 0 && v.type == STORE_REAL && v.d == 2.5);
    struct config_param db = { .type = CONFIG_P_BOOLEAN, .def = "true" };
    CHECK(sqlparam_absent(&db, &v, msg, sizeof msg) == 0 && v.type == STORE_INT && v.i == 1);
    struct config_param dt = { .type = CONFIG_P_TEXT, .def = "draft" };
    CHECK(sqlparam_absent(&dt, &v, msg, sizeof msg) == 0 && v.type == STORE_TEXT && v.len == 5 &&
          !memcmp(v.p, "draft", 5));
    struct config_param de = { .type = CONFIG_P_TEXT, .def = "" };
    CHECK(sqlparam_absent(&de, &v, msg, sizeof msg) == 0 && v.type == STORE_TEXT && v.len == 0);
}

/* ---------------------------------------------------------------- paging */

static struct config_sql q = {
    .key = "id",
    .sort_by = { "likes", "created_at" },
    .nsort = 2,
    .filter_by = { "user_id", "tag" },
    .nfilter = 2,
};

static int sort(const char *s, struct sqlpage *pg)
{
    memset(pg, 0x55, sizeof *pg);
    return sqlpage_sort(&q, s, s ? strlen(s) : 0, pg);
}

static void test_sort(void)
{
    struct sqlpage pg;
    q.key_desc = 0;
    CHECK(sort(NULL, &pg) == 0 && pg.sort == -1 && pg.desc == 0);
    q.key_desc = 1;
    CHECK(sort(NULL, &pg) == 0 && pg.sort == -1 && pg.desc == 1);   /* the key's own order by default */
    /* Named: the direction written, whatever the key's default. */
    CHECK(sort("id", &pg) == 0 && pg.sort == -1 && pg.desc == 0);
    CHECK(sort("-id", &pg) == 0 && pg.sort == -1 && pg.desc == 1);
    CHECK(sort("likes", &pg) == 0 && pg.sort == 0 && pg.desc == 0);
    CHECK(sort("-likes", &pg) == 0 && pg.sort == 0 && pg.desc == 1);
    CHECK(sort("created_at", &pg) == 0 && pg.sort == 1 && pg.desc == 0);
    CHECK(sort("-created_at", &pg) == 0 && pg.sort == 1 && pg.desc == 1);
    q.key_desc = 0;
    static const char *const refused[] = { "", "-", "--likes", "+likes", "lik", "likesx", "Likes", "body",
                                           "user_id", "likes ", " likes", "\"likes\"", "likes;DROP TABLE x" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECK(sort(refused[i], &pg) < 0);
    /* Only n bytes count: "likes" cut to "lik" is no column. */
    CHECK(sqlpage_sort(&q, "likes", 3, &pg) < 0);
    CHECK(sqlpage_sort(&q, "likesXYZ", 5, &pg) == 0 && pg.sort == 0);
}

#define B "SELECT * FROM (SELECT id, likes FROM posts WHERE user_id = :uid) WHERE 1"
#define TAIL " LIMIT :_limit OFFSET :_offset"

static const char *sql(int sort_i, int desc, unsigned filters, int cursor, enum store_type cv)
{
    static char out[SQLPAGE_SQL_MAX];
    struct sqlpage pg = { .sort = sort_i, .desc = desc, .filters = filters, .has_cursor = cursor };
    pg.cv.type = cv;
    pg.ck.type = STORE_INT;
    memset(out, 'x', sizeof out);
    /* Trailing semicolons and whitespace go: the statement is wrapped. */
    if (sqlpage_sql(&q, "SELECT id, likes FROM posts WHERE user_id = :uid ;\n\t; \r\n", &pg, out, sizeof out) < 0)
        return "(too long)";
    return out;
}

static void test_sql(void)
{
    /* The key alone. */
    CHECK_STR(sql(-1, 0, 0, 0, STORE_NULL), B " ORDER BY \"id\" ASC" TAIL);
    CHECK_STR(sql(-1, 1, 0, 0, STORE_NULL), B " ORDER BY \"id\" DESC" TAIL);
    CHECK_STR(sql(-1, 0, 0, 1, STORE_NULL), B " AND \"id\" > :_ck ORDER BY \"id\" ASC" TAIL);
    CHECK_STR(sql(-1, 1, 0, 1, STORE_INT), B " AND \"id\" < :_ck ORDER BY \"id\" DESC" TAIL);
    /* A sort column, the key breaking ties. */
    CHECK_STR(sql(0, 0, 0, 0, STORE_NULL), B " ORDER BY \"likes\" ASC, \"id\" ASC" TAIL);
    CHECK_STR(sql(1, 1, 0, 0, STORE_NULL), B " ORDER BY \"created_at\" DESC, \"id\" DESC" TAIL);
    /* After a non-null sort value. Ascending, NULLs came first and are
     * behind us; descending, they come last and are still ahead. */
    CHECK_STR(sql(0, 0, 0, 1, STORE_INT),
              B " AND (\"likes\" > :_cv OR (\"likes\" = :_cv AND \"id\" > :_ck))"
                " ORDER BY \"likes\" ASC, \"id\" ASC" TAIL);
    CHECK_STR(sql(0, 1, 0, 1, STORE_TEXT),
              B " AND (\"likes\" < :_cv OR (\"likes\" = :_cv AND \"id\" < :_ck) OR \"likes\" IS NULL)"
                " ORDER BY \"likes\" DESC, \"id\" DESC" TAIL);
    /* After a NULL sort value: ascending, the rest of the NULLs then every
     * non-null; descending, only the rest of the NULLs. */
    CHECK_STR(sql(0, 0, 0, 1, STORE_NULL),
              B " AND ((\"likes\" IS NULL AND \"id\" > :_ck) OR \"likes\" IS NOT NULL)"
                " ORDER BY \"likes\" ASC, \"id\" ASC" TAIL);
    CHECK_STR(sql(1, 1, 0, 1, STORE_NULL),
              B " AND (\"created_at\" IS NULL AND \"id\" < :_ck) ORDER BY \"created_at\" DESC, \"id\" DESC" TAIL);
    /* Filters by bit, in the allow-list's order, before the cursor. */
    CHECK_STR(sql(-1, 0, 1, 0, STORE_NULL), B " AND \"user_id\" = :_f0 ORDER BY \"id\" ASC" TAIL);
    CHECK_STR(sql(-1, 0, 2, 0, STORE_NULL), B " AND \"tag\" = :_f1 ORDER BY \"id\" ASC" TAIL);
    CHECK_STR(sql(-1, 0, 3, 0, STORE_NULL), B " AND \"user_id\" = :_f0 AND \"tag\" = :_f1 ORDER BY \"id\" ASC" TAIL);
    CHECK_STR(sql(0, 1, 3, 1, STORE_REAL),
              B " AND \"user_id\" = :_f0 AND \"tag\" = :_f1"
                " AND (\"likes\" < :_cv OR (\"likes\" = :_cv AND \"id\" < :_ck) OR \"likes\" IS NULL)"
                " ORDER BY \"likes\" DESC, \"id\" DESC" TAIL);
    CHECK_STR(sql(-1, 0, 1u << 5 | 1u << 31, 0, STORE_NULL), B " ORDER BY \"id\" ASC" TAIL);   /* no such filter */

    /* Only trailing ';' and whitespace go; a ';' inside stays. */
    char out[SQLPAGE_SQL_MAX];
    struct sqlpage pg = { .sort = -1 };
    CHECK(sqlpage_sql(&q, "SELECT ';' AS x;", &pg, out, sizeof out) == 0);
    CHECK_STR(out, "SELECT * FROM (SELECT ';' AS x) WHERE 1 ORDER BY \"id\" ASC" TAIL);
    /* Too long: -1, and nothing past cap. */
    char *base = malloc(SQLPAGE_SQL_MAX + 1);
    memset(base, ' ', SQLPAGE_SQL_MAX);
    memcpy(base, "SELECT 1", 8);
    memset(base + 8, 'x', SQLPAGE_SQL_MAX - 8);
    base[SQLPAGE_SQL_MAX] = 0;
    CHECK(sqlpage_sql(&q, base, &pg, out, sizeof out) < 0);
    CHECK(memchr(out, 0, sizeof out) != NULL);
    free(base);
    char tiny[40];
    CHECK(sqlpage_sql(&q, "SELECT 1", &pg, tiny, sizeof tiny) < 0);
    CHECK(strlen(tiny) < sizeof tiny);
    /* Room for the text and more: the whole text. */
    const char *want = "SELECT * FROM (SELECT 1) WHERE 1 ORDER BY \"id\" ASC" TAIL;
    char *fit = malloc(strlen(want) + 2);
    CHECK(sqlpage_sql(&q, "SELECT 1", &pg, fit, strlen(want) + 2) == 0);
    CHECK_STR(fit, want);
    free(fit);
}

/* base64url without padding, written here from RFC 4648 so that the
 * tests do not trust the encoder they check. */
static size_t b64url(const uint8_t *raw, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = a[acc >> bits & 63];
        }
    }
    if (bits)
        out[o++] = a[acc << (6 - bits) & 63];
    out[o] = 0;
    return o;
}

static char store[SQLPAGE_CURSOR_MAX];

static int uncursor(const char *s, size_t n, struct sqlpage *pg)
{
    memset(pg, 0, sizeof *pg);
    return sqlpage_uncursor(&q, s, n, pg, store);
}

/* A cursor from raw bytes, decoded. */
static int uncursor_raw(const uint8_t *raw, size_t n)
{
    char text[1000];
    struct sqlpage pg;
    size_t k = b64url(raw, n, text);
    return uncursor(text, k, &pg);
}

static int same_value(const struct store_value *a, const struct store_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case STORE_NULL: return 1;
    case STORE_INT: return a->i == b->i;
    case STORE_REAL: return !memcmp(&a->d, &b->d, sizeof a->d);    /* bit for bit: -0.0 stays -0.0 */
    default: return a->len == b->len && !memcmp(a->p, b->p, a->len);
    }
}

/* A cursor for (sort, desc, sv, kv) decodes to exactly them. */
static int round_trip(int sort_i, int desc, struct store_value sv, struct store_value kv)
{
    struct sqlpage pg = { .sort = sort_i, .desc = desc }, back;
    char text[SQLPAGE_CURSOR_MAX];
    size_t n = sqlpage_cursor(&pg, &sv, &kv, text, sizeof text);
    if (n == 0 || n > SQLPAGE_CURSOR_MAX - 1 || strlen(text) != n || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "abcdefghijklmnopqrstuvwxyz0123456789-_") != n)
        return 0;
    if (uncursor(text, n, &back) < 0)
        return 0;
    if (back.sort != sort_i || back.desc != desc || !back.has_cursor || !same_value(&back.cv, &sv) ||
        !same_value(&back.ck, &kv))
        return 0;
    /* Text and blob values point into store, not into the cursor text. */
    if ((back.cv.type == STORE_TEXT || back.cv.type == STORE_BLOB) &&
        (back.cv.p < store || back.cv.p + back.cv.len > store + sizeof store))
        return 0;
    return 1;
}

static struct store_value vnull(void) { return (struct store_value){ .type = STORE_NULL }; }
static struct store_value vint(int64_t i) { return (struct store_value){ .type = STORE_INT, .i = i }; }
static struct store_value vreal(double d) { return (struct store_value){ .type = STORE_REAL, .d = d }; }
static struct store_value vtext(const char *p, size_t n) { return (struct store_value){ .type = STORE_TEXT, .p = p, .len = n }; }
static struct store_value vblob(const char *p, size_t n) { return (struct store_value){ .type = STORE_BLOB, .p = p, .len = n }; }

static void test_cursors(void)
{
    /* Known texts: the format is what is documented in sqlpage.c. */
    struct sqlpage pg = { .sort = 0, .desc = 1 };
    struct store_value sv = vint(42), kv = vtext("ab", 2);
    char text[SQLPAGE_CURSOR_MAX];
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, text, sizeof text), 23);
    CHECK_STR(text, "AQEBAQAAAAAAAAAqAwACYWI");
    pg = (struct sqlpage){ .sort = -1 };
    sv = vnull(), kv = vnull();
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, text, sizeof text), 7);
    CHECK_STR(text, "AQAAAAA");
    sv = vreal(-1.5), kv = vblob("\0\xff\x3f", 3);
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, text, sizeof text), 24);
    CHECK_STR(text, "AQAAAr_4AAAAAAAABAADAP8_");

    /* Round trips of every type, in both places. */
    CHECK(round_trip(-1, 0, vnull(), vint(1)));
    CHECK(round_trip(-1, 1, vint(7), vint(7)));
    CHECK(round_trip(0, 0, vint(INT64_MIN), vint(INT64_MAX)));
    CHECK(round_trip(1, 1, vint(-1), vint(0)));
    CHECK(round_trip(0, 1, vreal(3.25), vint(9)));
    CHECK(round_trip(0, 0, vreal(-0.0), vreal(1e-310)));        /* negative zero, a subnormal */
    CHECK(round_trip(0, 0, vreal(INFINITY), vreal(-INFINITY)));
    CHECK(round_trip(0, 0, vreal(1.7976931348623157e308), vnull()));
    CHECK(round_trip(1, 0, vtext("h\xc3\xa9llo", 6), vtext("", 0)));
    CHECK(round_trip(0, 1, vblob("\0\x01\xfe\xff", 4), vblob("", 0)));
    CHECK(round_trip(0, 0, vnull(), vtext("k", 1)));
    CHECK(round_trip(1, 1, vnull(), vnull()));
    /* Values up to SQLPAGE_VALUE_MAX bytes; the longest cursor fits. */
    static char big[SQLPAGE_VALUE_MAX + 1];
    memset(big, 'z', sizeof big);
    big[0] = '\0', big[100] = '\xff';
    CHECK(round_trip(1, 1, vtext(big, SQLPAGE_VALUE_MAX), vblob(big, SQLPAGE_VALUE_MAX)));
    pg = (struct sqlpage){ .sort = 1 };
    sv = vtext(big, SQLPAGE_VALUE_MAX), kv = vtext(big, SQLPAGE_VALUE_MAX);
    size_t longest = sqlpage_cursor(&pg, &sv, &kv, text, sizeof text);
    CHECK(longest > 0 && longest < SQLPAGE_CURSOR_MAX);
    /* One byte more: no cursor (offsets still work). */
    sv = vtext(big, SQLPAGE_VALUE_MAX + 1);
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, text, sizeof text), 0);
    sv = vint(1), kv = vblob(big, SQLPAGE_VALUE_MAX + 1);
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, text, sizeof text), 0);
    /* A buffer too small gives no cursor rather than a cut one. */
    sv = vint(42), kv = vtext("ab", 2);
    pg = (struct sqlpage){ .sort = 0, .desc = 1 };
    char small[24];
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, small, 23), 0);
    CHECK_U64(sqlpage_cursor(&pg, &sv, &kv, small, 24), 23);

    /* Built here byte by byte: a good one first, to show the refusals
     * below are refused for the one thing changed. */
    uint8_t good[] = { 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 2, 'h', 'i' };
    CHECK(uncursor_raw(good, sizeof good) == 0);
    uint8_t r[600];
    memcpy(r, good, sizeof good);
    r[0] = 2;
    CHECK(uncursor_raw(r, sizeof good) < 0);                      /* another version */
    r[0] = 0;
    CHECK(uncursor_raw(r, sizeof good) < 0);
    r[0] = 1, r[1] = 2;
    CHECK(uncursor_raw(r, sizeof good) == 0);                     /* sort index 1 of 2 */
    r[1] = 3;
    CHECK(uncursor_raw(r, sizeof good) < 0);                      /* sort index 2: beyond nsort */
    r[1] = 255;
    CHECK(uncursor_raw(r, sizeof good) < 0);
    r[1] = 1, r[2] = 2;
    CHECK(uncursor_raw(r, sizeof good) < 0);                      /* desc is 0 or 1 */
    r[2] = 0;
    r[sizeof good] = 0;
    CHECK(uncursor_raw(r, sizeof good + 1) < 0);                  /* a byte after the key value */
    CHECK(uncursor_raw(r, sizeof good - 1) < 0);                  /* the key value cut short */
    CHECK(uncursor_raw(r, 11) < 0);                               /* the sort value cut short */
    CHECK(uncursor_raw(r, 3) < 0);                                /* no values */
    r[3] = 5;
    CHECK(uncursor_raw(r, sizeof good) < 0);                      /* no such value type */
    r[3] = 0xff;
    CHECK(uncursor_raw(r, sizeof good) < 0);
    r[3] = 1, r[14] = 3;
    CHECK(uncursor_raw(r, sizeof good) < 0);                      /* a text longer than what follows */
    r[14] = 2;
    /* A NaN is never a sort value a row had. */
    uint8_t nan[] = { 1, 1, 0, 2, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0 };
    CHECK(uncursor_raw(nan, sizeof nan) < 0);
    uint8_t snan[] = { 1, 1, 0, 0, 2, 0xff, 0xf0, 0, 0, 0, 0, 0, 1 };
    CHECK(uncursor_raw(snan, sizeof snan) < 0);
    uint8_t inf[] = { 1, 1, 0, 0, 2, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0 };
    CHECK(uncursor_raw(inf, sizeof inf) == 0);
    /* Text longer than a cursor ever keeps. */
    size_t n = 0;
    r[n++] = 1, r[n++] = 0, r[n++] = 0, r[n++] = 0;
    r[n++] = 3, r[n++] = (SQLPAGE_VALUE_MAX + 1) >> 8, r[n++] = (SQLPAGE_VALUE_MAX + 1) & 255;
    memset(r + n, 'a', SQLPAGE_VALUE_MAX + 1);
    CHECK(uncursor_raw(r, n + SQLPAGE_VALUE_MAX + 1) < 0);
    r[6] = SQLPAGE_VALUE_MAX & 255, r[5] = SQLPAGE_VALUE_MAX >> 8;
    CHECK(uncursor_raw(r, n + SQLPAGE_VALUE_MAX) == 0);

    /* The text itself. */
    struct sqlpage back;
    CHECK(uncursor("AQAAAAA", 7, &back) == 0 && back.sort == -1 && back.desc == 0 && back.has_cursor &&
          back.cv.type == STORE_NULL && back.ck.type == STORE_NULL);
    CHECK(uncursor("AQAB", 4, &back) < 0);                        /* three bytes, no values */
    CHECK(uncursor("", 0, &back) < 0);
    CHECK(uncursor("AQAAA", 5, &back) < 0);                       /* 4n + 1 characters is no base64 */
    CHECK(uncursor("AQAAAAA=", 8, &back) < 0);                    /* no padding */
    CHECK(uncursor("AQAAAAB", 7, &back) < 0);                     /* non-zero padding bits (2 of them) */
    CHECK(uncursor("AQAAAAC", 7, &back) < 0);
    static const char bad_chars[] = "+/=.~ \n\0\x80\xff";
    for (size_t i = 0; i < sizeof bad_chars - 1; i++) {
        char t[8] = "AQAAAAA";
        t[3] = bad_chars[i];
        CHECK(uncursor(t, 7, &back) < 0);
    }
    /* 13 bytes (a NULL and an integer) end in a 2-character group with 4
     * padding bits. */
    uint8_t ni[] = { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9 };
    char t[40];
    size_t k = b64url(ni, sizeof ni, t);
    CHECK(k % 4 == 2 && uncursor(t, k, &back) == 0 && back.ck.i == 9);
    for (int bit = 0; bit < 4; bit++) {
        char u[40];
        memcpy(u, t, k + 1);
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        u[k - 1] = a[(strchr(a, t[k - 1]) - a) ^ (1 << bit)];
        CHECK(uncursor(u, k, &back) < 0);
    }
    /* Longer than any cursor: refused before decoding. */
    char *longc = malloc(SQLPAGE_CURSOR_MAX + 4);
    memset(longc, 'A', SQLPAGE_CURSOR_MAX + 4);
    CHECK(uncursor(longc, SQLPAGE_CURSOR_MAX + 4, &back) < 0);
    free(longc);
    /* Another list with fewer sort columns refuses a cursor for sort 1. */
    struct config_sql q1 = { .key = "id", .sort_by = { "likes" }, .nsort = 1 };
    pg = (struct sqlpage){ .sort = 1 };
    sv = vint(1), kv = vint(2);
    k = sqlpage_cursor(&pg, &sv, &kv, t, sizeof t);
    CHECK(k > 0 && sqlpage_uncursor(&q1, t, k, &back, store) < 0);
    pg.sort = 0;
    k = sqlpage_cursor(&pg, &sv, &kv, t, sizeof t);
    CHECK(k > 0 && sqlpage_uncursor(&q1, t, k, &back, store) == 0 && back.sort == 0);
}

int main(void)
{
    test_json_objects();
    test_json_strings();
    test_json_numbers();
    test_json_refusals();
    test_utf8();
    test_param_text();
    test_param_json();
    test_param_absent();
    test_sort();
    test_sql();
    test_cursors();
    free(input);
    free(scratch);
    return check_done("test_sqlvalues");
}
