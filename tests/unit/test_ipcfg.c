/* Unit tests of the address rules (kernel/config.c) and of net/ipcfg.c,
 * the address configuration from the command line. */
#include "kernel/config.h"
#include "net/net.h"
#include "tests/unit/check.h"

int main(void)
{
    uint8_t a[4];
    CHECK(config_parse_ipv4("192.0.2.10", a) == 0 && a[0] == 192 && a[3] == 10);
    CHECK(config_parse_ipv4("0.0.0.0", a) == 0);
    CHECK(config_parse_ipv4("255.255.255.255", a) == 0 && a[2] == 255);
    const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1..3.4",
                          "a.b.c.d", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.4/24", "1234.1.1.1", "+1.2.3.4" };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(config_parse_ipv4(bad[i], a) == -1);
        if (config_parse_ipv4(bad[i], a) == 0)
            fprintf(stderr, "  accepted: '%s'\n", bad[i]);
    }

    struct config_network c;
    char err[160];
    CHECK(net_parse_config(NULL, NULL, &c, err, sizeof err) == 0 && c.dhcp);
    CHECK(net_parse_config("dhcp", NULL, &c, err, sizeof err) == 0 && c.dhcp);
    CHECK(net_parse_config("192.0.2.10/24", "192.0.2.1", &c, err, sizeof err) == 0);
    CHECK(!c.dhcp && c.prefix == 24 && c.addr[3] == 10 && c.has_gw && c.gw[3] == 1);
    CHECK(net_parse_config("192.0.2.10/32", NULL, &c, err, sizeof err) == 0 && !c.has_gw && c.prefix == 32);
    CHECK(net_parse_config("dhcp", "192.0.2.1", &c, err, sizeof err) == -1);
    CHECK(strstr(err, "gateway comes from the DHCP server") != NULL);
    CHECK(net_parse_config("192.0.2.10", NULL, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "want ip=dhcp or ip=A.B.C.D/PREFIX") != NULL);
    CHECK(net_parse_config("192.0.2.10/0", NULL, &c, err, sizeof err) == -1);
    CHECK(net_parse_config("192.0.2.10/33", NULL, &c, err, sizeof err) == -1);
    CHECK(net_parse_config("192.0.2.10/2x", NULL, &c, err, sizeof err) == -1);
    CHECK(net_parse_config("192.0.2.10/", NULL, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "prefix length must be 1-32") != NULL);
    CHECK(net_parse_config("192.0.2.999/24", NULL, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "'192.0.2.999' is not a dotted-quad") != NULL);
    CHECK(net_parse_config("192.0.2.10/24", "gateway", &c, err, sizeof err) == -1);
    CHECK(net_parse_config("192.0.2.100000000000000000/24", NULL, &c, err, sizeof err) == -1);
    return check_done("test_ipcfg");
}
