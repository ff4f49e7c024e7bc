/* net/fw_track.c: the firewall's flow table and TCP state machine (pure;
 * layout in net/fw_table.h, semantics in docs/firewall.md).
 *
 * The table is fixed at init: a free list, hash chains and per-class idle
 * lists, all indices into one array. When it is full, expired flows are
 * reclaimed first, then the oldest flow that is over or never got going
 * (a TCP flow closed by FINs from both sides, then one closed by an RST,
 * then a half-open one, then a UDP flow that is not a stream) is evicted, as Linux's conntrack "early drop" does, so a SYN or UDP
 * flood cannot lock out new clients for a whole timeout. Established TCP
 * flows, UDP streams and ICMP and other flows are never evicted.
 *
 * TCP follows RFC 9293's connection states as an observer in the middle:
 * SYN -> SYN-ACK (acknowledging the SYN) -> ACK opens; FIN from each side
 * closes. The peer's segments must fall within the windows (sequence and
 * acknowledgement numbers) and its RSTs within the receiver's window (RFC
 * 5961 section 3's reasoning: a blind attacker must not be able to tear
 * down or wedge the firewall's state); the appliance's own stack is
 * trusted. A side that goes on talking after its RST reopens the flow (the
 * endpoint ignored it, e.g. with a challenge ACK).
 */
#include "net/fw_table.h"

#include <string.h>

static uint32_t idx(const struct fw *fw, const struct fw_flow *f) { return (uint32_t)(f - fw->flow); }

/* A keyed mix of the whole key (seeded from the CSPRNG), so a peer cannot
 * choose addresses and ports that pile up in one chain. */
static uint32_t hash(const struct fw *fw, const struct fw_key *k)
{
    uint64_t h = fw->k0 ^ ((uint64_t)k->local << 32 | k->remote);
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    h ^= fw->k1 ^ ((uint64_t)k->lport << 40 | (uint64_t)k->rport << 24 | k->proto);
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 32;
    return (uint32_t)h & fw->bmask;
}

static int key_eq(const struct fw_key *a, const struct fw_key *b)
{
    return a->local == b->local && a->remote == b->remote && a->lport == b->lport &&
           a->rport == b->rport && a->proto == b->proto;
}

static void list_unlink(struct fw *fw, struct fw_flow *f)
{
    uint32_t i = idx(fw, f);
    if (f->prev)
        fw->flow[f->prev].next = f->next;
    else if (fw->head[f->cls] == i)
        fw->head[f->cls] = f->next;
    if (f->next)
        fw->flow[f->next].prev = f->prev;
    else if (fw->tail[f->cls] == i)
        fw->tail[f->cls] = f->prev;
    f->prev = f->next = 0;
}

static void list_append(struct fw *fw, struct fw_flow *f, enum fw_class cls)
{
    uint32_t i = idx(fw, f);
    f->cls = (uint8_t)cls;
    f->next = 0;
    f->prev = fw->tail[cls];
    if (f->prev)
        fw->flow[f->prev].next = i;
    else
        fw->head[cls] = i;
    fw->tail[cls] = i;
}

void track_init(struct fw *fw)
{
    memset(fw->bucket, 0, (size_t)(fw->bmask + 1) * sizeof *fw->bucket);
    memset(fw->flow, 0, (size_t)(fw->nflows + 1) * sizeof *fw->flow);
    memset(fw->head, 0, sizeof fw->head);
    memset(fw->tail, 0, sizeof fw->tail);
    fw->free_head = 0;
    for (uint32_t i = fw->nflows; i >= 1; i--) {
        fw->flow[i].hnext = fw->free_head;
        fw->free_head = i;
    }
}

struct fw_flow *track_find(struct fw *fw, const struct fw_key *k)
{
    for (uint32_t i = fw->bucket[hash(fw, k)]; i; i = fw->flow[i].hnext)
        if (key_eq(&fw->flow[i].key, k))
            return &fw->flow[i];
    return NULL;
}

void track_free(struct fw *fw, struct fw_flow *f)
{
    uint32_t i = idx(fw, f), *p = &fw->bucket[hash(fw, &f->key)];
    while (*p && *p != i)
        p = &fw->flow[*p].hnext;
    if (*p)
        *p = f->hnext;
    list_unlink(fw, f);
    fw->st.flows_now--;
    fw->st.flows_by_proto[fw_proto_slot(f->key.proto)]--;
    memset(f, 0, sizeof *f);
    f->hnext = fw->free_head;
    fw->free_head = i;
}

void track_reap(struct fw *fw, uint64_t now)
{
    for (int c = 0; c < FWC_COUNT; c++) {
        while (fw->head[c]) {
            struct fw_flow *f = &fw->flow[fw->head[c]];
            if (now - f->last_ms < fw->timeout_ms[c])
                break;
            track_free(fw, f);
            fw->st.flows_expired++;
        }
    }
}

struct fw_flow *track_new(struct fw *fw, const struct fw_key *k, enum fw_class cls, uint64_t now)
{
    if (!fw->free_head) {
        static const enum fw_class early[] = { FWC_TCP_DONE, FWC_TCP_CLOSED, FWC_TCP_OPEN, FWC_UDP };
        for (unsigned c = 0; c < sizeof early / sizeof early[0] && !fw->free_head; c++) {
            if (fw->head[early[c]]) {
                track_free(fw, &fw->flow[fw->head[early[c]]]);
                fw->st.flows_evicted++;
            }
        }
        if (!fw->free_head)
            return NULL;
    }
    uint32_t i = fw->free_head;
    struct fw_flow *f = &fw->flow[i];
    fw->free_head = f->hnext;
    memset(f, 0, sizeof *f);
    f->key = *k;
    f->wscale[0] = f->wscale[1] = 0xff;
    f->last_ms = now;
    uint32_t *b = &fw->bucket[hash(fw, k)];
    f->hnext = *b;
    *b = i;
    list_append(fw, f, cls);
    fw->st.flows_created++;
    fw->st.flows_by_proto[fw_proto_slot(k->proto)]++;
    if (++fw->st.flows_now > fw->st.flows_peak)
        fw->st.flows_peak = fw->st.flows_now;
    return f;
}

void track_touch(struct fw *fw, struct fw_flow *f, enum fw_class cls, uint64_t now)
{
    f->last_ms = now;
    if (fw->tail[cls] == idx(fw, f))
        return;
    list_unlink(fw, f);
    list_append(fw, f, cls);
}

/* ---- TCP ---- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static int seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static enum fw_class tcp_class(const struct fw_flow *f)
{
    switch (f->state) {
    case TCP_EST: return FWC_TCP_EST;
    case TCP_FIN: return f->fin == 3 ? FWC_TCP_DONE : FWC_TCP_CLOSING;
    case TCP_CLOSED: return FWC_TCP_CLOSED;
    default: return FWC_TCP_OPEN;
    }
}

/* Window scaling applies once both SYNs carried the option (RFC 7323
 * section 2.2), and never to a SYN's own window. */
static void note_side(struct fw_flow *f, int s, const struct fw_pkt *p)
{
    uint32_t end = p->seq + p->seglen;
    if (seq_after(end, f->end[s]) || !f->end[s])
        f->end[s] = end;
    uint32_t win = p->win;
    if (!(p->tcp_flags & TH_SYN) && f->wscale[0] != 0xff && f->wscale[1] != 0xff)
        win <<= f->wscale[s] > 14 ? 14 : f->wscale[s];
    if (win > f->maxwin[s])
        f->maxwin[s] = win;
}

void track_tcp_open(struct fw_flow *f, const struct fw_pkt *p)
{
    f->state = TCP_SYN_SENT;
    f->wscale[FW_SIDE_ORIG] = p->wscale;
    note_side(f, FW_SIDE_ORIG, p);
}

/* A segment from side s is in window when its sequence number lies within
 * the window the other side advertised around what s has sent, and what
 * it acknowledges was sent by the other side no longer ago than a window
 * of s (Linux conntrack's tcp_in_window, simplified; 66000 is its slack
 * for acknowledgements). A blind attacker must guess both. */
#define ACK_SLACK 66000

static int in_window(const struct fw_flow *f, int s, const struct fw_pkt *p)
{
    int64_t win = f->maxwin[!s] ? f->maxwin[!s] : 65535;
    int64_t d = (int32_t)(p->seq - f->end[s]);
    if (d < -win || d > win)
        return 0;
    if (!(p->tcp_flags & TH_ACK))
        return 1;
    int64_t back = (int64_t)(f->maxwin[s] > ACK_SLACK ? f->maxwin[s] : ACK_SLACK);
    int64_t a = (int32_t)(p->ack - f->end[!s]);
    return a <= 0 && a >= -back;
}

int track_tcp(struct fw *fw, struct fw_flow *f, int s, const struct fw_pkt *p, uint64_t now)
{
    uint8_t fl = p->tcp_flags;
    /* The appliance's own stack is trusted: its RSTs end the flow. */
    int ours = (s == FW_SIDE_ORIG) == (f->orig == FW_OUT);
    if (fl & TH_RST) {
        int ok;
        if (ours)
            ok = 1;
        else if (f->state == TCP_SYN_SENT)
            ok = (fl & TH_ACK) && p->ack == f->end[FW_SIDE_ORIG];   /* refusing the SYN */
        else {
            int64_t win = f->maxwin[!s] ? f->maxwin[!s] : 65535;
            int64_t d = (int32_t)(p->seq - f->end[s]);
            ok = d >= -win && d <= win;
        }
        if (!ok)
            return FW_DROP_TCP_STATE;
        if (f->state != TCP_CLOSED)
            fw->st.flows_closed++;
        f->state = TCP_CLOSED;
        f->rst_side = (uint8_t)s;
        track_touch(fw, f, FWC_TCP_CLOSED, now);
        return FW_PASS_TRACKED;
    }
    if ((fl & TH_SYN) && !(fl & TH_ACK)) {
        if (s == FW_SIDE_ORIG) {
            /* A new connection on the same ports after this one ended. */
            if (f->state == TCP_CLOSED || (f->state == TCP_FIN && f->fin == 3))
                return -1;
            /* A SYN inside a connection: the endpoint answers it with a
             * challenge ACK (RFC 5961 section 4); it moves nothing here. */
            if (f->state != TCP_SYN_SENT) {
                track_touch(fw, f, tcp_class(f), now);
                return FW_PASS_TRACKED;
            }
        } else if (f->state == TCP_SYN_SENT) {
            f->state = TCP_SYN_RECV;           /* simultaneous open */
            f->wscale[FW_SIDE_REPLY] = p->wscale;
        } else {
            return FW_DROP_TCP_STATE;
        }
        note_side(f, s, p);
        track_touch(fw, f, tcp_class(f), now);
        return FW_PASS_TRACKED;
    }
    if (fl & TH_SYN) {                         /* SYN-ACK */
        if (s != FW_SIDE_REPLY || (f->state != TCP_SYN_SENT && f->state != TCP_SYN_RECV) ||
            p->ack != f->end[FW_SIDE_ORIG])
            return FW_DROP_TCP_STATE;
        f->state = TCP_SYN_RECV;
        f->wscale[FW_SIDE_REPLY] = p->wscale;
        note_side(f, s, p);
        track_touch(fw, f, FWC_TCP_OPEN, now);
        return FW_PASS_TRACKED;
    }
    /* ACK set, no SYN or RST. */
    if (f->state == TCP_SYN_SENT)
        return FW_DROP_TCP_STATE;              /* nothing is acknowledged before the SYN-ACK */
    if (!ours && !in_window(f, s, p))
        return FW_DROP_TCP_STATE;
    switch (f->state) {
    case TCP_SYN_RECV:
        /* Established only by an ACK of the SYN-ACK: an opener that acks
         * something else is refused by its peer and must not leave a flow
         * that lives for the established timeout. */
        if (s == FW_SIDE_ORIG) {
            if (p->ack != f->end[FW_SIDE_REPLY])
                return FW_DROP_TCP_STATE;
            f->state = TCP_EST;
        }
        break;
    case TCP_CLOSED:
        if (s == f->rst_side)
            f->state = f->fin ? TCP_FIN : TCP_EST;   /* its RST was ignored */
        break;
    default:
        break;
    }
    if ((fl & TH_FIN) && f->state != TCP_CLOSED) {
        f->fin |= (uint8_t)(1u << s);
        if (f->state == TCP_EST || f->state == TCP_SYN_RECV)
            f->state = TCP_FIN;
    }
    note_side(f, s, p);
    track_touch(fw, f, tcp_class(f), now);
    return FW_PASS_TRACKED;
}
