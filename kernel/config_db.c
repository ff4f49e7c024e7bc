/* kernel/config_db.c: the database section (docs/config.md).
 *
 *   database {
 *       disk vda                      # the first virtio-blk disk
 *       migrations db/migrations      # NNN_name.sql files, applied in order
 *       cache 2m                      # SQLite page cache
 *       statement-timeout 250ms       # one statement's time budget
 *       memory 32m                    # SQLite's heap, cache included
 *       idempotency 24h               # how long an Idempotency-Key replays
 *   }
 *
 * The migration files are checked here (names, numbering, not empty); the
 * SQL in them is SQLite's to judge when the store applies them.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/config_kit.h"

struct mig_ctx {
    struct vctx *v;
    const struct conf_node *n;
    size_t dirlen;
};

static int add_migration(void *arg, const char *path, const uint8_t *data, size_t len)
{
    struct mig_ctx *m = arg;
    struct vctx *v = m->v;
    struct config_database *db = &v->c->database;
    const char *name = path + m->dirlen + 1;
    if (strchr(name, '/'))
        return verr_arg(v, m->n, 0, "'%s' is in a subdirectory: migrations are files directly in "
                        "'%s'", path, db->migrations);
    /* NNN_name.sql: three or more digits, '_', a name, ".sql". */
    size_t digits = 0, k = strlen(name);
    unsigned number = 0;
    while (name[digits] >= '0' && name[digits] <= '9') {
        number = number * 10 + (unsigned)(name[digits] - '0');
        if (++digits > 6)
            break;
    }
    if (digits < 3 || digits > 6 || name[digits] != '_' || k < digits + 6 ||
        strcmp(name + k - 4, ".sql") != 0)
        return verr_arg(v, m->n, 0, "'%s' is not a migration file name: NNN_name.sql, e.g. "
                        "001_create_posts.sql", path);
    if (len == 0)
        return verr_arg(v, m->n, 0, "migration '%s' is empty", path);
    for (unsigned i = 0; i < db->nmig; i++)
        if (db->mig[i].number == number)
            return verr_arg(v, m->n, 0, "migrations '%s' and '%s' have the same number %u "
                            "(renumber one)", db->mig[i].path, path, number);
    if (db->nmig == CONFIG_MIGRATIONS_MAX)
        return verr_arg(v, m->n, 0, "more than %d migrations", CONFIG_MIGRATIONS_MAX);
    const char *kept = kit_keep(v, m->n, path);
    if (!kept)
        return -1;
    /* Insertion keeps them in number order, whatever order the blob has. */
    unsigned at = db->nmig;
    while (at > 0 && db->mig[at - 1].number > number) {
        db->mig[at] = db->mig[at - 1];
        at--;
    }
    db->mig[at] = (struct config_migration){ number, kept, data, len };
    db->nmig++;
    return 0;
}

int config_sec_database(struct vctx *v, const struct conf_node *sec)
{
    struct config_database *db = &v->c->database;
    struct slot slot[] = { { "disk", NULL, 0 }, { "migrations", NULL, 0 }, { "cache", NULL, 0 },
                           { "statement-timeout", NULL, 0 }, { "memory", NULL, 0 },
                           { "idempotency", NULL, 0 } };
    if (kit_collect(v, sec, slot, 6) < 0)
        return -1;
    db->enabled = 1;
    if (slot[0].node) {
        const struct conf_node *n = slot[0].node;
        if (kit_want_args(v, n, 1, "e.g. disk vda, the first virtio-blk disk") < 0)
            return -1;
        const char *s = kit_arg(v, n, 0)->s;
        if (strlen(s) != 3 || s[0] != 'v' || s[1] != 'd' || s[2] < 'a' || s[2] > 'z')
            return verr_arg(v, n, 0, "'%s' is not a disk name: vda (the first virtio-blk disk), "
                            "vdb, ... vdz", s);
        db->disk = (unsigned)(s[2] - 'a');
    }
    if (slot[1].node) {
        const struct conf_node *n = slot[1].node;
        if (kit_want_args(v, n, 1, "e.g. migrations db/migrations") < 0)
            return -1;
        if (kit_path_ok(v, n, 0) < 0 || !(db->migrations = kit_keep(v, n, kit_arg(v, n, 0)->s)))
            return -1;
        struct mig_ctx m = { v, n, strlen(db->migrations) };
        if (kit_dir(v, n, 0, add_migration, &m) < 0)
            return -1;
    }
    uint64_t x;
    if (slot[2].node) {
        if (kit_size(v, slot[2].node, 64 * 1024, 1ull << 30, &x) < 0)
            return -1;
        db->cache_bytes = x;
    }
    if (slot[3].node) {
        if (kit_duration_ms(v, slot[3].node, 1, 60000, &x) < 0)
            return -1;
        db->statement_timeout_ms = (uint32_t)x;
    }
    if (slot[4].node) {
        if (kit_size(v, slot[4].node, 1 << 20, 1ull << 30, &x) < 0)
            return -1;
        db->memory_bytes = x;
    }
    if (slot[5].node) {
        if (kit_duration_ms(v, slot[5].node, 60000, 30ull * 86400000, &x) < 0)
            return -1;
        db->idempotency_s = (uint32_t)(x / 1000);
    }
    /* The page cache lives in the heap budget, with room for statements. */
    if (db->cache_bytes * 2 > db->memory_bytes) {
        const struct conf_node *n = slot[4].node ? slot[4].node : slot[2].node ? slot[2].node : sec;
        return verr(v, n->line, n->col, "the cache (%llu KiB) needs a memory budget at least twice "
                    "its size (memory is %llu KiB)", (unsigned long long)(db->cache_bytes >> 10),
                    (unsigned long long)(db->memory_bytes >> 10));
    }
    return 0;
}

void config_show_database(const struct config *c, struct sbuf *b)
{
    const struct config_database *db = &c->database;
    if (!db->enabled)
        return;
    sb_printf(b, "database {\n    disk vd%c\n", 'a' + db->disk);
    if (db->migrations) {
        sb_printf(b, "    migrations ");
        sb_value(b, db->migrations);
        size_t skip = strlen(db->migrations) + 1;
        sb_printf(b, "    # %u file%s: %s", db->nmig, db->nmig == 1 ? "" : "s", db->mig[0].path + skip);
        if (db->nmig > 1)
            sb_printf(b, " .. %s", db->mig[db->nmig - 1].path + skip);
        sb_printf(b, "\n");
    }
    sb_printf(b, "    cache ");
    sb_size(b, db->cache_bytes);
    sb_printf(b, "\n    statement-timeout ");
    sb_duration(b, db->statement_timeout_ms);
    sb_printf(b, "\n    memory ");
    sb_size(b, db->memory_bytes);
    sb_printf(b, "\n    idempotency ");
    sb_duration(b, (uint64_t)db->idempotency_s * 1000);
    sb_printf(b, "\n}\n");
}
