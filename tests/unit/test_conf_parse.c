/* Unit tests of kernel/conf_parse.c: the tree it builds, positions, and
 * every syntax error with its exact message and position. */
#include <stdlib.h>
#include "kernel/conf_parse.h"
#include "tests/unit/check.h"

static struct conf_doc doc;
static char err[256];

static int parse(const char *src)
{
    err[0] = 0;
    return conf_parse(&doc, src, strlen(src), "appliance.conf", err, sizeof err);
}

#define EXPECT_ERR(src, msg) do { CHECK(parse(src) == -1); CHECK_STR(err, msg); } while (0)

static const struct conf_node *child(int16_t i) { return i < 0 ? NULL : &doc.nodes[i]; }
static const char *arg(const struct conf_node *n, int k) { return doc.args[n->first_arg + k].s; }

int main(void)
{
    const char *src =
        "# the example from the issue\n"
        "network  { dhcp }\n"
        "firewall {\n"
        "    inbound  tcp 443  from 0.0.0.0/0   \"https\"\n"
        "    inbound  icmp echo-request from 192.0.2.0/24 ; inbound tcp 80 from 0.0.0.0/0\n"
        "}\n"
        "routes {\n"
        "    GET  /api/posts/:id  sql \"SELECT id, title FROM posts WHERE id = :id\"\n"
        "    GET  /*              static www   # trailing comment\n"
        "}\n";
    CHECK(parse(src) == 0);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    const struct conf_node *net = child(doc.first);
    CHECK_STR(net->name, "network");
    CHECK(net->line == 2 && net->col == 1 && net->has_block && net->nargs == 0);
    const struct conf_node *dhcp = child(net->first_child);
    CHECK_STR(dhcp->name, "dhcp");
    CHECK(dhcp->line == 2 && dhcp->col == 12 && dhcp->next == -1 && !dhcp->has_block);
    const struct conf_node *fw = child(net->next);
    CHECK_STR(fw->name, "firewall");
    const struct conf_node *r1 = child(fw->first_child);
    CHECK(r1->nargs == 5);
    CHECK_STR(arg(r1, 4), "https");
    CHECK(doc.args[r1->first_arg + 4].quoted && doc.args[r1->first_arg + 4].line == 4 &&
          doc.args[r1->first_arg + 4].col == 40);
    const struct conf_node *r2 = child(r1->next), *r3 = child(r2->next);
    CHECK_STR(arg(r2, 1), "echo-request");
    CHECK(r3 && r3->line == 5 && r3->nargs == 4 && r3->next == -1);
    const struct conf_node *routes = child(fw->next);
    const struct conf_node *g1 = child(routes->first_child);
    CHECK_STR(arg(g1, 2), "SELECT id, title FROM posts WHERE id = :id");
    CHECK_STR(arg(child(g1->next), 2), "www");
    CHECK(routes->next == -1);

    /* Escapes, CRLF, empty input, comments only, nested blocks. */
    CHECK(parse("a \"q\\\"x\\\\y\\n\\t\"\r\nb\r\n") == 0);
    CHECK_STR(arg(child(doc.first), 0), "q\"x\\y\n\t");
    CHECK_STR(child(child(doc.first)->next)->name, "b");
    CHECK(parse("") == 0 && doc.first == -1);
    CHECK(parse("# nothing\n\n   \t# more\n") == 0 && doc.first == -1);
    CHECK(parse("a { b { c { d { e } } } }") == 0);
    CHECK(parse("x \"\"") == 0 && arg(child(doc.first), 0)[0] == 0);
    CHECK(parse("key value;key2 value2") == 0);
    CHECK_STR(child(child(doc.first)->next)->name, "key2");

    /* Errors: message and position. */
    EXPECT_ERR("a {\n  b\n", "appliance.conf:1:3: block opened here is not closed (add a '}')");
    EXPECT_ERR("a\n}\n", "appliance.conf:2:1: '}' without a matching '{' (remove it)");
    EXPECT_ERR("  { b }", "appliance.conf:1:3: '{' without a directive name before it (e.g. 'routes {')");
    EXPECT_ERR("\"quoted\" x", "appliance.conf:1:1: a directive name cannot be a quoted string");
    EXPECT_ERR("a \"open\nb", "appliance.conf:1:3: string not closed on its line (add the closing \")");
    EXPECT_ERR("a \"open", "appliance.conf:1:3: string not closed on its line (add the closing \")");
    EXPECT_ERR("a \"x\\qy\"", "appliance.conf:1:5: unknown escape in string (use \\\", \\\\, \\n or \\t)");
    EXPECT_ERR("a b\x01", "appliance.conf:1:4: control character 0x01 (remove it; only spaces, tabs and "
               "newlines separate words)");
    EXPECT_ERR("a \"b\x7f\"", "appliance.conf:1:5: control character 0x7f in string (use \\n or \\t)");
    EXPECT_ERR("a b\rc", "appliance.conf:1:4: carriage return without a newline (save the file with Unix or "
               "DOS line endings)");
    EXPECT_ERR("a { b { c { d { e { f } } } } }", "appliance.conf:1:19: blocks nested deeper than 4");
    CHECK(conf_parse(&doc, "ab\ncd\0ef", 8, "x.conf", err, sizeof err) == -1);
    CHECK_STR(err, "x.conf:2:3: NUL byte (this is not a text file)");

    char many[2048] = "d";
    for (int i = 0; i < 33; i++)
        strcat(many, " x");
    EXPECT_ERR(many, "appliance.conf:1:67: more than 32 arguments to 'd'");
    char *big = malloc(CONF_SOURCE_MAX + 2);
    memset(big, 'a', CONF_SOURCE_MAX + 1);
    big[CONF_SOURCE_MAX + 1] = 0;
    EXPECT_ERR(big, "appliance.conf:1:1: file larger than 262144 bytes");
    /* A 2000-byte string is too long; many directives overflow the node cap. */
    memset(big, 'y', 2000);
    memcpy(big, "a \"", 3);
    strcpy(big + 2000, "\"");
    EXPECT_ERR(big, "appliance.conf:1:3: string longer than 1023 bytes");
    size_t p = 0;
    for (int i = 0; i < CONF_MAX_NODES + 1; i++)
        p += (size_t)sprintf(big + p, "n\n");
    EXPECT_ERR(big, "appliance.conf:1025:1: more than 1024 directives");
    free(big);
    return check_done("test_conf_parse");
}
