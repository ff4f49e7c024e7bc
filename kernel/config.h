/* kernel/config.h: the typed, validated configuration every layer reads at
 * init, built from the config blob (docs/config.md). Pure: compiled
 * unchanged into the kernel and into apctl, so both accept and refuse the
 * same files with the same messages.
 *
 * Sections: network, log, tls, firewall, limits, database, auth, routes. Every
 * other name is an error (nothing is silently ignored). Values not given
 * keep the defaults of config_defaults (documented in docs/config.md).
 * Strings point into the config's own arena (struct config.text): a
 * struct config is built in place and not copied.
 */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/conf_parse.h"
#include "kernel/log.h"

#define CONFIG_FILE "appliance.conf"
#define CONFIG_PATH_MAX 128

/* Limits of the language's sections (docs/config.md lists them). */
#define CONFIG_FW_RULES_MAX 60          /* per direction, as AWS security groups */
#define CONFIG_DESC_MAX 255             /* rule description, as AWS */
#define CONFIG_ROUTES_MAX 128
#define CONFIG_PATTERN_MAX 255
#define CONFIG_PARAMS_MAX 8             /* :params in one route pattern */
#define CONFIG_CORS_MAX 8               /* origins in one route's cors option */
#define CONFIG_SQL_MAX 8                /* statements in one sql route */
#define CONFIG_MIGRATIONS_MAX 256
#define CONFIG_TEXT_MAX (64 * 1024)     /* the arena of strings */
#define CONFIG_BLOB_MAX (64u << 20)     /* the whole archive */
#define CONFIG_SHOW_MAX (128 * 1024)    /* config_show's text, at most */

/* How the validator reaches the files a config names: inside the blob (the
 * kernel) or next to appliance.conf (apctl). get returns 0 and the file's
 * bytes (valid while the resolver's storage lives), or -1 if absent. list
 * calls fn for every regular file under dir (recursively; path is the
 * file's whole name) and returns how many, or -1 if dir holds nothing or
 * fn failed; fn returns 0 to go on, -1 to stop. */
typedef int (*config_file_fn)(void *arg, const char *path, const uint8_t *data, size_t len);
struct config_files {
    int (*get)(void *ctx, const char *path, const uint8_t **data, size_t *len);
    int (*list)(void *ctx, const char *dir, config_file_fn fn, void *arg);
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

/* One security-group rule (docs/firewall.md). proto is an IP protocol
 * number or CONFIG_PROTO_ALL; ports apply to tcp and udp, ICMP type and
 * code to icmp (CONFIG_ICMP_ANY is the wildcard). peer is the source of
 * inbound packets and the destination of outbound ones. */
#define CONFIG_PROTO_ALL 256
#define CONFIG_ICMP_ANY 256
enum { CONFIG_PROTO_ICMP = 1, CONFIG_PROTO_TCP = 6, CONFIG_PROTO_UDP = 17 };
struct config_fw_rule {
    uint16_t proto;
    uint16_t port_lo, port_hi;
    uint16_t icmp_type, icmp_code;
    uint8_t peer[4], prefix;
    const char *desc;               /* "" when none */
    uint32_t line;                  /* in appliance.conf, for logs */
};

struct config_firewall {
    struct config_fw_rule in[CONFIG_FW_RULES_MAX], out[CONFIG_FW_RULES_MAX];
    unsigned nin, nout;
    uint32_t flows;                 /* tracking table entries */
    /* Idle timeouts in seconds (AWS's connection-tracking defaults). */
    uint32_t tcp_established, udp, udp_stream, other;
};

/* HTTP server limits (defaults in config_defaults, ranges in config.c). */
struct config_limits {
    uint32_t connections;
    uint32_t header_timeout_ms, body_timeout_ms, send_timeout_ms, keepalive_timeout_ms;
    uint32_t keepalive_requests;
    uint32_t drain_timeout_ms;      /* power button: open requests finish within it */
    uint32_t request_line_max, header_max, headers_max;
    uint64_t body_max;
};

struct config_migration {
    unsigned number;
    const char *path;               /* in the blob */
    const uint8_t *sql;
    size_t len;
};

struct config_database {
    int enabled;
    unsigned disk;                  /* 0 = vda, the first virtio-blk disk */
    const char *migrations;         /* directory, NULL if none */
    struct config_migration mig[CONFIG_MIGRATIONS_MAX];
    unsigned nmig;
    uint64_t cache_bytes;
    uint64_t memory_bytes;          /* SQLite's whole heap (hard limit) */
    uint32_t statement_timeout_ms;
    uint32_t idempotency_s;         /* how long an Idempotency-Key replays */
};

/* The tls section (docs/tls.md). cert[0] is the default certificate
 * (top-level certificate/key); cert[1..] come from `host NAME... { }`
 * blocks and are chosen by SNI. */
#define CONFIG_TLS_HOSTS_MAX 16         /* host blocks */
#define CONFIG_TLS_NAMES_MAX 8          /* names in one host block */
#define CONFIG_TLS_NAME_MAX 253         /* a DNS name (RFC 1035 2.3.4) */
#define CONFIG_TLS_SESSIONS_MAX 262144  /* session-cache entries */
enum { CONFIG_PLAIN_SERVE = 1, CONFIG_PLAIN_REDIRECT = 2 };
struct config_tls_cert {
    struct config_file certificate, key;   /* key bytes are secret */
    unsigned chain_len, key_bits;           /* from config_tls_check */
    int key_is_ec;
    const char *names[CONFIG_TLS_NAMES_MAX];   /* lower case; "*.example.com" wildcards */
    unsigned nnames;
    uint32_t line;
};
struct config_tls {
    int enabled;
    struct config_tls_cert cert[1 + CONFIG_TLS_HOSTS_MAX];
    unsigned ncert;
    uint32_t session_cache;             /* entries; 0: no resumption */
    uint32_t session_timeout_s;
    uint32_t handshake_timeout_ms;
    uint32_t hsts_s;                    /* max-age */
    int hsts, hsts_subdomains, hsts_preload;
    int plain_http;                     /* CONFIG_PLAIN_*: routes without their own */
    uint16_t https_port;                /* in redirects */
};

/* A sql route's declared parameter (docs/store.md, "sql routes"): a
 * :name bound from the path, the JSON body or the query, in that order,
 * with its type and checks. */
#define CONFIG_SQL_PARAMS_MAX 16
#define CONFIG_SQL_COLS_MAX 8           /* sort-by, filter-by, json-boolean lists */
enum config_ptype { CONFIG_P_INTEGER, CONFIG_P_REAL, CONFIG_P_TEXT, CONFIG_P_BOOLEAN };
struct config_param {
    const char *name;
    enum config_ptype type;
    int required, nullable;
    int has_min, has_max;           /* integer and real: the value; text: see length */
    double min, max;
    int has_length;
    uint32_t len_lo, len_hi;        /* text: characters (UTF-8 code points) */
    const char *pattern;            /* text: kernel/textpat.h syntax, or NULL */
    const char *def;                /* default when absent, as written; NULL: SQL NULL */
};
enum config_result { CONFIG_RESULT_AUTO, CONFIG_RESULT_ONE, CONFIG_RESULT_LIST, CONFIG_RESULT_NONE };
struct config_sql {
    struct config_param param[CONFIG_SQL_PARAMS_MAX];
    unsigned nparam;
    enum config_result result;
    const char *location;           /* "/api/posts/:id": 201 with this Location */
    /* list routes (page): sizes and the unique key that orders ties and
     * makes cursors; key_desc: newest first by default. */
    uint32_t page_default, page_max;
    const char *key;
    int key_desc;
    const char *sort_by[CONFIG_SQL_COLS_MAX], *filter_by[CONFIG_SQL_COLS_MAX];
    const char *booleans[CONFIG_SQL_COLS_MAX];
    unsigned nsort, nfilter, nbool;
};

/* The auth section (docs/auth.md): who a caller is (API keys, JWTs,
 * session cookies from a login route) and what each role may do. */
#define CONFIG_ROLES_MAX 16
#define CONFIG_PERMS_MAX 32             /* distinct permission names */
#define CONFIG_API_KEYS_MAX 64
#define CONFIG_JWT_KEYS_MAX 8
#define CONFIG_CSRF_ORIGINS_MAX 8
#define CONFIG_NAME_MAX 64              /* role, permission, key and claim names */
#define CONFIG_PASSWORD_ITER_MIN 600000 /* OWASP's 2023 floor for PBKDF2-HMAC-SHA256 */
enum { CONFIG_AUTH_APIKEY = 1, CONFIG_AUTH_JWT = 2, CONFIG_AUTH_SESSION = 4, CONFIG_AUTH_NONE = 8 };
enum { CONFIG_SAMESITE_LAX, CONFIG_SAMESITE_STRICT, CONFIG_SAMESITE_NONE };
struct config_role {
    const char *name;
    uint32_t perms;                 /* bits: indexes into config_auth.perm */
};
struct config_api_key {
    const char *name;
    unsigned role;                  /* index into roles */
    uint8_t sha256[32];             /* of the key; the key itself is never in the config */
    int has_user;
    int64_t user;                   /* :auth_user_id for this key, when has_user */
};
struct config_jwt_key {
    const char *name;               /* the kid it answers to */
    int es256;                      /* else HS256 */
    struct config_file file;        /* HS256: the secret (secret bytes); ES256: the PEM public key */
    uint8_t pub[65];                /* ES256: 0x04 || X || Y */
};
struct config_auth {
    int enabled;
    struct config_role role[CONFIG_ROLES_MAX];
    unsigned nroles;
    const char *perm[CONFIG_PERMS_MAX];
    unsigned nperms;
    struct config_api_key key[CONFIG_API_KEYS_MAX];
    unsigned nkeys;
    const char *api_key_header;     /* "X-API-Key" */
    struct config_jwt_key jwt[CONFIG_JWT_KEYS_MAX];
    unsigned njwt;
    uint32_t jwt_leeway_s;
    const char *jwt_issuer, *jwt_audience;     /* NULL: not checked */
    const char *jwt_user_claim, *jwt_role_claim;
    /* Sessions (login routes): the cookie and the server-side record. */
    const char *cookie;             /* its name */
    uint32_t session_max_age_s;
    const char *session_path, *session_domain;  /* domain NULL: host-only */
    int same_site;                  /* CONFIG_SAMESITE_* */
    uint32_t session_cache;         /* entries kept in memory */
    const char *csrf_origin[CONFIG_CSRF_ORIGINS_MAX];
    unsigned ncsrf_origins;
    const char *csrf_header;        /* "X-CSRF-Token" */
    /* Passwords: PBKDF2-HMAC-SHA256. */
    uint32_t password_iterations;
    uint32_t password_min, password_max;    /* characters */
    uint32_t hash_concurrency;      /* password hashes running at once; others queue */
    /* Login attempts: per client address (all), per account (failures). */
    uint32_t login_per_min, login_burst;
    uint32_t account_per_min, account_burst;
    int audit;                      /* the appliance_audit table (needs a database) */
};

/* Route methods: a bit mask. GET routes answer HEAD too. */
enum {
    CONFIG_M_GET = 1, CONFIG_M_HEAD = 2, CONFIG_M_POST = 4, CONFIG_M_PUT = 8,
    CONFIG_M_PATCH = 16, CONFIG_M_DELETE = 32, CONFIG_M_OPTIONS = 64, CONFIG_M_ALL = 127,
};
enum config_route_kind {
    CONFIG_ROUTE_STATIC, CONFIG_ROUTE_REDIRECT, CONFIG_ROUTE_HEALTH, CONFIG_ROUTE_READY,
    CONFIG_ROUTE_METRICS, CONFIG_ROUTE_SQL, CONFIG_ROUTE_HANDLER, CONFIG_ROUTE_BACKUP,
    CONFIG_ROUTE_LOGIN, CONFIG_ROUTE_LOGOUT,
};
struct config_route {
    unsigned methods;
    const char *pattern;            /* e.g. "/api/posts/:id", "/docs/" "*" */
    enum config_route_kind kind;
    /* static: the file or directory; redirect: the target; handler: its
     * name; sql: the statements. */
    const char *target;
    int target_is_dir;
    unsigned redirect_code;
    const char *sql[CONFIG_SQL_MAX];
    unsigned nsql;
    struct config_sql q;            /* sql routes' options */
    /* Options from the route's block; 0/NULL when not given. */
    uint64_t body_max;              /* when has_body_max, else limits.body_max */
    int has_body_max;
    const char *cache_control;
    const char *index;              /* static directories: "index.html" */
    uint32_t rate_per_min, rate_burst;  /* 0: no rate limit */
    /* CORS: allowed origins ("https://app.example"), or cors_any for "*";
     * credentials allowed (never with "*"). ncors 0 and !cors_any: none. */
    const char *cors[CONFIG_CORS_MAX];
    unsigned ncors;
    int cors_any, cors_credentials;
    /* backup routes: the SHA-256 of the bearer token, 64 hex digits (the
     * token itself is never in the config). */
    const char *token_sha256;
    /* Credentials: CONFIG_AUTH_* schemes the route takes (0: public), and
     * the permission it needs (index into auth.perm, -1: any caller the
     * schemes authenticate). */
    unsigned auth;
    int permission;
    /* sql routes: `hash-password FIELD`: the body's FIELD is hashed
     * (PBKDF2, off the event loop's critical path) and bound as
     * :FIELD_hash; the password itself is never bound. */
    const char *hash_password;
    /* On port 80 when tls is on: CONFIG_PLAIN_SERVE or _REDIRECT, 0 for
     * the tls section's plain-http. */
    int plain_http;
    uint32_t line, col;             /* of the kind, for messages */
};

struct config {
    struct config_network network;
    struct {
        enum log_level level;
    } log;
    struct config_tls tls;
    struct config_firewall firewall;
    struct config_limits limits;
    struct config_database database;
    struct config_auth auth;
    struct config_route routes[CONFIG_ROUTES_MAX];
    unsigned nroutes;
    char text[CONFIG_TEXT_MAX];     /* arena for the strings above */
    size_t ntext;
    const uint8_t *blob;            /* the archive it came from (config_load_blob) */
    size_t blob_len;
};

void config_defaults(struct config *c);
/* Validate a parsed document into c (defaults first), resolving every file
 * it names through files. 0, or -1 with "FILE:LINE:COL: message" in err. */
int config_build(struct config *c, const struct conf_doc *d, const struct config_files *files,
                 char *err, size_t errlen);
/* The whole path for a blob: archive check, find appliance.conf, parse,
 * validate. doc is scratch space (large: give it static storage). */
int config_load_blob(struct config *c, struct conf_doc *doc, const uint8_t *blob, size_t len,
                     char *err, size_t errlen);
/* The i-th entry of the blob the config was loaded from (files the config
 * names, e.g. static files): 0, or -1 past the end or without a blob. */
struct config_entry { const char *name; const uint8_t *data; size_t size; int is_dir; uint32_t mtime; };
int config_blob_entry(const struct config *c, size_t i, struct config_entry *e);
/* The effective config in the config syntax. Secrets (the key's bytes) are
 * never printed: only file names are. Returns the length written
 * (truncated to cap - 1). */
size_t config_show(const struct config *c, char *buf, size_t cap);
/* Advice about a valid config that is probably not what its author meant
 * (e.g. routes but no inbound rule to reach them): one line per warning,
 * no trailing position. Returns the length written. */
size_t config_warnings(const struct config *c, char *buf, size_t cap);

/* Paths a valid config names, for apctl pack: files and directories (whose
 * files all go into the blob); secret is set for private keys and HS256
 * secrets (packed owner-only, never shown). */
struct config_named { const char *path; int is_dir, secret; };
size_t config_named(const struct config *c, struct config_named *out, size_t max);

/* Pure helpers shared with net/: strict dotted quad, and A.B.C.D/N. */
int config_parse_ipv4(const char *s, uint8_t out[4]);
int config_parse_cidr(const char *s, uint8_t out[4], uint8_t *prefix);

#endif
