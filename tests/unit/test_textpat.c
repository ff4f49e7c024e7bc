/* Unit tests of the sql parameters' pattern language (kernel/textpat.c):
 * literals, '.', classes with ranges and negation, \d \w \s, escapes,
 * the repeats * + ? {m} {m,} {m,n}, the optional ^ and $, whole-value
 * matching, every compile error (groups, alternation, dangling and double
 * repeats, bad ranges and counts, more than 63 atoms), and patterns that
 * backtracking matchers take exponential time on, which must stay linear
 * here. */
#include <stdlib.h>
#include <time.h>
#include "kernel/textpat.h"
#include "tests/unit/check.h"

/* 1 or 0 as pattern pat matches the whole of s[0..n); -1 if pat does not
 * compile (a test expecting a match then fails loudly). */
static int match_n(const char *pat, const char *s, size_t n)
{
    struct textpat p;
    const char *why = NULL;
    if (textpat_compile(pat, &p, &why) < 0) {
        fprintf(stderr, "pattern \"%s\" did not compile: %s\n", pat, why ? why : "(no reason)");
        return -1;
    }
    return textpat_match(&p, s, n);
}

static int match(const char *pat, const char *s) { return match_n(pat, s, strlen(s)); }

/* The pattern is refused, with a reason that mentions want. */
static int refused(const char *pat, const char *want)
{
    struct textpat p;
    const char *why = NULL;
    if (textpat_compile(pat, &p, &why) == 0)
        return 0;
    if (!why || !strstr(why, want)) {
        fprintf(stderr, "pattern \"%s\": why \"%s\", want it to mention \"%s\"\n", pat, why ? why : "(null)", want);
        return 0;
    }
    return 1;
}

static unsigned atoms(const char *pat)
{
    struct textpat p;
    const char *why;
    return textpat_compile(pat, &p, &why) == 0 ? p.n : 999;
}

static void test_literals(void)
{
    CHECK(match("", "") == 1);
    CHECK(match("", "a") == 0);
    CHECK(match("abc", "abc") == 1);
    /* The whole value, never a part of it. */
    CHECK(match("abc", "ab") == 0);
    CHECK(match("abc", "abcd") == 0);
    CHECK(match("abc", "xabc") == 0);
    CHECK(match("abc", "ABC") == 0);
    /* ^ and $ may be written and change nothing. */
    CHECK(match("^abc$", "abc") == 1);
    CHECK(match("^abc$", "abcd") == 0);
    CHECK(match("^abc", "abc") == 1);
    CHECK(match("abc$", "abc") == 1);
    CHECK(match("^", "") == 1);
    CHECK(match("$", "") == 1);
    CHECK(match("^$", "") == 1);
    CHECK(match("^$", "x") == 0);
    CHECK_U64(atoms("^abc$"), 3);
    /* Bytes, not characters: a UTF-8 letter is its bytes. */
    CHECK(match("caf\xc3\xa9", "caf\xc3\xa9") == 1);
    CHECK(match("caf.", "caf\xc3\xa9") == 0);
    CHECK(match("caf..", "caf\xc3\xa9") == 1);
    CHECK(match("-_ :/", "-_ :/") == 1);
    CHECK(match("a]b", "a]b") == 1);              /* ']' and '}' alone are literals */
    CHECK(match("a}b", "a}b") == 1);
}

static void test_dot_and_escapes(void)
{
    CHECK(match(".", "x") == 1);
    CHECK(match(".", "") == 0);
    CHECK(match(".", "xy") == 0);
    /* '.' is any byte: newline, NUL and 0xff too. */
    CHECK(match_n(".", "\n", 1) == 1);
    CHECK(match_n(".", "\0", 1) == 1);
    CHECK(match_n(".", "\xff", 1) == 1);
    CHECK(match_n("a.c", "a\0c", 3) == 1);

    CHECK(match("\\d", "7") == 1);
    CHECK(match("\\d", "a") == 0);
    CHECK(match("\\d{3}-\\d{4}", "555-1234") == 1);
    CHECK(match("\\d{3}-\\d{4}", "555-123") == 0);
    CHECK(match("\\w+", "Az_09") == 1);
    CHECK(match("\\w", "-") == 0);
    CHECK(match("\\w", "\xc3") == 0);
    CHECK(match("a\\sb", "a b") == 1);
    CHECK(match("a\\sb", "a\tb") == 1);
    CHECK(match("a\\sb", "a\rb") == 1);
    CHECK(match("a\\sb", "a\nb") == 1);
    CHECK(match("a\\sb", "a\vb") == 0);           /* space, tab, CR, LF only */
    CHECK(match("a\\sb", "a_b") == 0);

    /* '\' before punctuation is that byte. */
    CHECK(match("a\\.b", "a.b") == 1);
    CHECK(match("a\\.b", "axb") == 0);
    CHECK(match("\\*\\+\\?", "*+?") == 1);
    CHECK(match("\\(\\)\\[\\]\\{\\}", "()[]{}") == 1);
    CHECK(match("\\\\", "\\") == 1);
    CHECK(match("\\^\\$\\|\\-\\/", "^$|-/") == 1);
    CHECK(match("a\\$", "a$") == 1);             /* an escaped '$' at the end is a byte, not an anchor */
    CHECK(match("a\\$", "a") == 0);
    CHECK(match("\\\\$", "\\") == 1);            /* an escaped '\' then the anchor */
    /* Any ASCII punctuation, not only the specials. */
    CHECK(match("\\d{2}\\:\\d{2}", "12:34") == 1);
    CHECK(match("\\@\\\"\\#\\~\\_\\,\\!\\%\\&\\'\\<\\>\\=\\;\\`", "@\"#~_,!%&'<>=;`") == 1);
    CHECK(match("[\\:\\@]+", ":@:") == 1);
    CHECK(refused("\\q", "punctuation"));
    CHECK(refused("\\0", "punctuation"));         /* digits are no punctuation (no backreferences) */
    CHECK(refused("\\ ", "punctuation"));
    CHECK(refused("\\\xc3\xa9", "punctuation"));
    CHECK(refused("[\\A]", "punctuation"));
    CHECK(refused("\\n", "punctuation"));         /* no \n: a newline is \s or [...] */
    CHECK(refused("a\\", "punctuation"));         /* a '\' with nothing after it */
}

static void test_classes(void)
{
    CHECK(match("[abc]", "b") == 1);
    CHECK(match("[abc]", "d") == 0);
    CHECK(match("[abc]", "") == 0);
    CHECK(match("[a-z]+", "hello") == 1);
    CHECK(match("[a-z]+", "Hello") == 0);
    CHECK(match("[a-zA-Z0-9]+", "Zz09") == 1);
    CHECK(match("[a-a]", "a") == 1);
    CHECK(match("[0-9a-f]{8}", "deadbeef") == 1);
    CHECK(match("[0-9a-f]{8}", "deadbeeg") == 0);
    /* Negation: every byte but those, including NUL and high bytes. */
    CHECK(match("[^a-z]", "A") == 1);
    CHECK(match("[^a-z]", "q") == 0);
    CHECK(match_n("[^a-z]", "\0", 1) == 1);
    CHECK(match_n("[^a-z]", "\xff", 1) == 1);
    CHECK(match("[^a-z]+", "ABC123") == 1);
    CHECK(match("[^a-z]+", "ABcD") == 0);
    /* ']' first is a member; '-' first or last is a member. */
    CHECK(match("[]a]+", "]a]") == 1);
    CHECK(match("[^]]", "]") == 0);
    CHECK(match("[^]]", "x") == 1);
    CHECK(match("[a-]+", "-a-") == 1);
    CHECK(match("[a-]", "b") == 0);
    CHECK(match("[-a]+", "a-") == 1);
    /* Escapes inside: \d \w \s, and punctuation. */
    CHECK(match("[\\d_]+", "12_3") == 1);
    CHECK(match("[\\d_]+", "12a") == 0);
    CHECK(match("[\\s,]+", " ,\t\n") == 1);
    CHECK(match("[\\w.-]+@[\\w.-]+", "a.b-c@ex.com") == 1);
    CHECK(match("[\\]\\\\]+", "]\\]") == 1);
    CHECK(match("[\\^x]", "^") == 1);
    CHECK(match("[\\--/]+", "-./") == 1);       /* an escaped '-' as a range's low end */
    CHECK(match("[^\\d]", "5") == 0);
    CHECK(match("[^\\d]", "x") == 1);
    /* Specials are plain inside a class. */
    CHECK(match("[.*+?(){}|$]+", ".*+?(){}|$") == 1);
    CHECK(match("[.]", "x") == 0);
    /* High bytes and ranges over them. */
    CHECK(match("[\x80-\xff]+", "\xc3\xa9\xe2\x82\xac") == 1);
    CHECK(match("[\x80-\xff]", "a") == 0);

    CHECK(refused("[a", "']'"));
    CHECK(refused("[", "']'"));
    CHECK(refused("[]", "']'"));                 /* ']' first is a member, so the class never closes */
    CHECK(refused("[^", "']'"));
    CHECK(refused("[a-", "']'"));
    CHECK(refused("[z-a]", "low to high"));
    CHECK(refused("[9-0]", "low to high"));
    CHECK(refused("[\\q]", "punctuation"));
    CHECK(refused("[\\", "punctuation"));
}

static void test_repeats(void)
{
    CHECK(match("a*", "") == 1);
    CHECK(match("a*", "aaaa") == 1);
    CHECK(match("a*", "aab") == 0);
    CHECK(match("a+", "") == 0);
    CHECK(match("a+", "a") == 1);
    CHECK(match("a+", "aaa") == 1);
    CHECK(match("a?", "") == 1);
    CHECK(match("a?", "a") == 1);
    CHECK(match("a?", "aa") == 0);
    CHECK(match("ab*c", "ac") == 1);
    CHECK(match("ab*c", "abbbc") == 1);
    CHECK(match("ab+c", "ac") == 0);
    CHECK(match("colou?r", "color") == 1);
    CHECK(match("colou?r", "colour") == 1);
    CHECK(match("a.*z", "a-anything-z") == 1);
    CHECK(match("a.*z", "a-anything-y") == 0);
    CHECK(match(".*", "") == 1);
    CHECK(match("a*a", "aaa") == 1);              /* a star gives back what the rest needs */
    CHECK(match("a*ab", "aaab") == 1);

    CHECK(match("a{3}", "aaa") == 1);
    CHECK(match("a{3}", "aa") == 0);
    CHECK(match("a{3}", "aaaa") == 0);
    CHECK(match("a{2,}", "a") == 0);
    CHECK(match("a{2,}", "aa") == 1);
    CHECK(match("a{2,}", "aaaaaaa") == 1);
    CHECK(match("a{2,4}", "a") == 0);
    CHECK(match("a{2,4}", "aa") == 1);
    CHECK(match("a{2,4}", "aaaa") == 1);
    CHECK(match("a{2,4}", "aaaaa") == 0);
    CHECK(match("a{0,2}", "") == 1);
    CHECK(match("a{0,2}", "aa") == 1);
    CHECK(match("a{0,2}", "aaa") == 0);
    CHECK(match("a{1,1}", "a") == 1);
    CHECK(match("a{007}", "aaaaaaa") == 1);       /* leading zeros are still 7 */
    CHECK(match("[a-c]{2}x", "cbx") == 1);
    /* {0}: the atom zero times, so only the empty value; not a star. */
    CHECK(match("a{0}", "") == 1);
    CHECK(match("a{0}", "a") == 0);
    CHECK(match("a{0}b", "b") == 1);
    CHECK(match("a{0}b", "aab") == 0);
    CHECK(match("a{0,}", "aaa") == 1);            /* {0,} is '*' */
    CHECK_U64(atoms("a{0}"), 0);
    CHECK(match("a{0,0}b", "b") == 1);           /* {0,0} is {0} */
    CHECK(match("a{0,0}b", "ab") == 0);
    CHECK_U64(atoms("a{0,0}"), 0);
    /* {m,n} expands: m taken, n - m optional; {m,} is m and a star. */
    CHECK_U64(atoms("a{2,5}"), 5);
    CHECK_U64(atoms("a{2,}"), 3);
    CHECK_U64(atoms("a+"), 2);
    CHECK_U64(atoms("a*b?c"), 3);
    CHECK(refused("a{64,64}", "at most 63 atoms"));

    CHECK(refused("a{65}", "up to 64"));
    CHECK(refused("a{100}", "up to 64"));
    CHECK(refused("a{99999999999}", "up to 64"));
    CHECK(refused("a{1,65}", "up to 64"));
    CHECK(refused("a{3,2}", "n at least m"));
    CHECK(refused("a{,3}", "up to 64"));
    CHECK(refused("a{}", "up to 64"));
    CHECK(refused("a{x}", "up to 64"));
    CHECK(refused("a{3", "'}'"));
    CHECK(refused("a{3,4", "'}'"));
    CHECK(refused("a{3x}", "'}'"));
    CHECK(refused("a**", "two repeats"));
    CHECK(refused("a+?", "two repeats"));        /* no lazy quantifiers */
    CHECK(refused("a*+", "two repeats"));        /* no possessive ones */
    CHECK(refused("a{2}{3}", "two repeats"));
    CHECK(refused("a?*", "two repeats"));
}

static void test_errors(void)
{
    CHECK(refused("(a)", "groups"));
    CHECK(refused("a(b)c", "groups"));
    CHECK(refused("a)", "groups"));
    CHECK(refused("a|b", "alternation"));
    CHECK(refused("|", "alternation"));
    CHECK(refused("*", "follows nothing"));
    CHECK(refused("+a", "follows nothing"));
    CHECK(refused("?", "follows nothing"));
    CHECK(refused("{2}", "follows nothing"));
    CHECK(refused("^*", "follows nothing"));      /* ^ is not an atom to repeat */

    /* 63 atoms at most, counting the expansion of repeats. */
    char pat[200];
    memset(pat, 'x', 63);
    pat[63] = 0;
    CHECK_U64(atoms(pat), 63);
    CHECK(match(pat, pat) == 1);
    pat[63] = 'x', pat[64] = 0;
    CHECK(refused(pat, "at most 63 atoms"));
    CHECK_U64(atoms("a{60}b{3}"), 63);
    CHECK(refused("a{60}b{4}", "at most 63 atoms"));
    CHECK_U64(atoms("a{62}b*"), 63);
    CHECK(refused("a{62}b+", "at most 63 atoms"));
    CHECK(refused("a{64}", "at most 63 atoms"));
    CHECK(refused("a{0,64}", "at most 63 atoms"));
    CHECK_U64(atoms("^a{63}$"), 63);              /* the anchors are no atoms */
    /* The last atom's state is bit 63: the longest pattern still matches
     * exactly its length. */
    char s[80];
    memset(s, 'a', sizeof s);
    CHECK(match_n("a{63}", s, 63) == 1);
    CHECK(match_n("a{63}", s, 62) == 0);
    CHECK(match_n("a{63}", s, 64) == 0);
    CHECK(match_n("a{0,63}", s, 0) == 1);
    CHECK(match_n("a{0,63}", s, 63) == 1);
    CHECK(match_n("a{0,63}", s, 64) == 0);
    CHECK(match_n("a{62}a*", s, 80) == 1);
    CHECK(match_n("a{62}a*", s, 61) == 0);
}

static double seconds(clock_t a, clock_t b) { return (double)(b - a) / CLOCKS_PER_SEC; }

/* Patterns that send backtracking matchers exponential: one pass here. */
static void test_linear(void)
{
    size_t n = 100000;
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    clock_t t0 = clock();
    CHECK(match_n("a*a*a*a*a*a*a*a*b", s, n) == 0);
    CHECK(match_n(".*.*.*.*.*.*.*.*.*.*b", s, n) == 0);
    CHECK(match_n("a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", s,
                  n) == 0);
    CHECK(match_n("[a-z]*\\w*.*a+a+a+a+a+x", s, n) == 0);
    s[n - 1] = 'b';
    CHECK(match_n("a*a*a*a*a*a*a*a*b", s, n) == 1);
    CHECK(match_n(".*.*.*.*.*.*.*.*.*.*b", s, n) == 1);
    /* The classic (a?){n}a{n} on a^n, spelled out for n = 30. */
    CHECK(match_n("a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", s,
                  30) == 1);
    CHECK(match_n("a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", s,
                  29) == 0);
    clock_t t1 = clock();
    /* Linear: a few million steps, well under a second even with the
     * sanitizers; a backtracking matcher would not finish at all. */
    double dt = seconds(t0, t1);
    if (dt >= 2.0)
        fprintf(stderr, "linear patterns took %.2f s\n", dt);
    CHECK(dt < 2.0);
    free(s);
}

int main(void)
{
    test_literals();
    test_dot_and_escapes();
    test_classes();
    test_repeats();
    test_errors();
    test_linear();
    return check_done("test_textpat");
}
