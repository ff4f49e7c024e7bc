/* kernel/config.h: the typed, validated configuration every layer reads at
 * init, built from the config blob (docs/config.md). Pure: compiled
 * unchanged into the kernel and into apctl, so both accept and refuse the
 * same files with the same messages.
 *
 * Sections implemented so far: network, log, tls. Every other name is an error
 * (nothing is silently ignored); later issues add firewall, tls, routes,
 * database and limits. Values not given keep the defaults of
 * config_defaults (documented in docs/config.md).
 */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/conf_parse.h"
#include "kernel/log.h"

#define CONFIG_FILE "appliance.conf"
#define CONFIG_PATH_MAX 128

/* How the validator reaches the files a config names: inside the blob (the
 * kernel) or next to appliance.conf (apctl). get returns 0 and the file's
 * bytes (valid while the resolver's storage lives), or -1 if absent. */
struct config_files {
    int (*get)(void *ctx, const char *path, const uint8_t **data, size_t *len);
    void *ctx;
};

/* A file the config names, with its bytes once resolved. */
struct config_file {
    char path[CONFIG_PATH_MAX];
    const uint8_t *data;
    size_t len;
};

/* Address configuration: from the blob's network section, or (booting
 * without a blob) from ip=/gw= on the command line (net_parse_config). */
struct config_network {
    int dhcp;
    uint8_t addr[4], prefix, gw[4];
    int has_gw;
};

struct config {
    struct config_network network;
    struct {
        enum log_level level;
    } log;
    struct {
        int enabled;
        struct config_file certificate, key;   /* key bytes are secret */
    } tls;
};

void config_defaults(struct config *c);
/* Validate a parsed document into c (defaults first), resolving every file
 * it names through files. 0, or -1 with "FILE:LINE:COL: message" in err. */
int config_build(struct config *c, const struct conf_doc *d, const struct config_files *files,
                 char *err, size_t errlen);
/* The files a valid config names (for apctl pack), each path once: up to
 * max, returns how many. */
size_t config_named_files(const struct config *c, const struct config_file **out, size_t max);
/* The whole path for a blob: archive check, find appliance.conf, parse,
 * validate. doc is scratch space (large: give it static storage). */
int config_load_blob(struct config *c, struct conf_doc *doc, const uint8_t *blob, size_t len,
                     char *err, size_t errlen);
/* The effective config in the config syntax. Secrets (the key's bytes) are
 * never printed: only file names are. Returns the length written
 * (truncated to cap - 1). */
size_t config_show(const struct config *c, char *buf, size_t cap);

/* Pure helpers shared with net/: strict dotted quad, and A.B.C.D/N. */
int config_parse_ipv4(const char *s, uint8_t out[4]);
int config_parse_cidr(const char *s, uint8_t out[4], uint8_t *prefix);

#endif
