/* net/netif.c: lwIP (NO_SYS, raw API) on a netdev, driven from the event
 * loop (see net.h).
 *
 * Receive: each loop turn takes up to RX_BUDGET frames from the device
 * straight into pool pbufs (one pbuf holds a whole 1514-byte frame, so one
 * copy: ring buffer -> pbuf) and hands them to lwIP. Transmit: lwIP's
 * linkoutput flattens the pbuf chain into the device's slot (netdev copies);
 * when the ring is full the pbuf is referenced and queued in a backlog of
 * TX_BACKLOG frames, sent in order as slots free (the driver wakes the
 * loop then). lwIP does not retransmit a segment whose pbuf is still
 * referenced, so queued frames are never sent twice. A full backlog drops
 * and counts (TCP recovers). lwIP's timeouts run
 * from the loop; a loop timer is armed for the next one so an idle
 * appliance sleeps until then (ARP's 1 s tick is the floor).
 */
#include "net/net.h"

#include <errno.h>
#include <string.h>
#include "drivers/netdev.h"
#include "kernel/kernel.h"
#include "net/firewall.h"
#include "net/fw.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/dhcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define RX_BUDGET 64
#define TX_BACKLOG 1024
#define LINK_POLL_NS 1000000000ULL

static struct netif nif;
static struct netdev *dev;
static struct config_network conf;
static int addr_up;
static struct pbuf *spare;
static uint64_t lwip_timer_id, lwip_timer_at;
static uint64_t next_link_poll;
static uint8_t txbuf[1536];
static struct pbuf *backlog[TX_BACKLOG];
static unsigned bl_head, bl_len;
static uint64_t tx_dropped;

static int send_now(struct pbuf *p)
{
    u16_t len = pbuf_copy_partial(p, txbuf, p->tot_len, 0);
    return dev->tx(dev, txbuf, len);
}

/* Send queued frames in order while the device takes them; 1 if any went. */
static int backlog_flush(void)
{
    int sent = 0;
    while (bl_len) {
        struct pbuf *p = backlog[bl_head];
        if (send_now(p) == -EAGAIN)
            break;
        pbuf_free(p);
        bl_head = (bl_head + 1) % TX_BACKLOG;
        bl_len--;
        sent = 1;
    }
    return sent;
}

static err_t link_output(struct netif *n, struct pbuf *p)
{
    (void)n;
    if (p->tot_len > sizeof txbuf)
        return ERR_BUF;
    /* The firewall reads the headers only; lwIP's first pbuf usually
     * holds them but need not. A dropped frame is as if lost on the wire
     * (ERR_OK): TCP retransmits into the same rule and gives up in time. */
    uint8_t hdr[FW_HDR_MAX];
    u16_t caplen = pbuf_copy_partial(p, hdr, sizeof hdr, 0);
    if (!firewall_out(hdr, caplen, p->tot_len))
        return ERR_OK;
    if (bl_len == 0) {
        int rc = send_now(p);
        if (rc != -EAGAIN)
            return rc == 0 ? ERR_OK : ERR_IF;
    }
    if (bl_len == TX_BACKLOG) {
        tx_dropped++;
        return ERR_MEM;
    }
    pbuf_ref(p);
    backlog[(bl_head + bl_len) % TX_BACKLOG] = p;
    bl_len++;
    return ERR_OK;
}

static err_t nif_init(struct netif *n)
{
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->hwaddr_len = 6;
    memcpy(n->hwaddr, dev->mac, 6);
    n->mtu = dev->mtu;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    n->output = etharp_output;
    n->linkoutput = link_output;
    return ERR_OK;
}

static void status_cb(struct netif *n)
{
    /* Every change (a new lease, a lost one) reaches the firewall, whose
     * "not for us" check follows the address. */
    firewall_set_address(lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(n))),
                         lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n))));
    if (ip4_addr_isany_val(*netif_ip4_addr(n)) || addr_up)
        return;
    addr_up = 1;
    char a[16], m[16], g[16];
    ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a);
    ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof m);
    ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g);
    if (conf.dhcp) {
        /* The status callback runs as the address is set, before lwIP
         * installs the gateway: report the lease's own router. */
        struct dhcp *d = netif_dhcp_data(n);
        if (d)
            ip4addr_ntoa_r(&d->offered_gw_addr, g, sizeof g);
        log_info("net", "dhcp: address %s mask %s gateway %s lease %lus", a, m, g,
                 d ? (unsigned long)d->offered_t0_lease : 0ul);
    } else {
        log_info("net", "static: address %s mask %s gateway %s", a, m, g);
    }
    log_info("boot", "listening on %s", a);
}

static void lwip_timer_fired(void *arg)
{
    (void)arg;
    lwip_timer_id = 0;
}

/* RFC 6191: a SYN whose sequence number is past everything the old
 * connection saw may take the ports of a connection in TIME-WAIT. lwIP
 * answers such a SYN with an ACK or RST instead (tcp_timewait_input), and
 * the client retries a second later: a server that closes first (every
 * "Connection: close") would stall clients that reuse ports. The TIME-WAIT
 * pcb is dropped here, before lwIP sees the SYN. Frames passed the
 * firewall, so the headers are whole. */
static uint64_t tw_reused;

static void timewait_reuse(const uint8_t *f, size_t len)
{
    if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
        return;
    const uint8_t *ip = f + 14, *t = ip + (ip[0] & 15) * 4;
    if (t + 20 > f + len || (t[13] & 0x12) != 0x02)
        return;                                 /* not an opening SYN */
    u16_t sport = (u16_t)(t[0] << 8 | t[1]), dport = (u16_t)(t[2] << 8 | t[3]);
    u32_t seq = (u32_t)t[4] << 24 | (u32_t)t[5] << 16 | (u32_t)t[6] << 8 | t[7];
    ip4_addr_t src;
    memcpy(&src, ip + 12, 4);
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
        if (pcb->remote_port == sport && pcb->local_port == dport &&
            ip4_addr_cmp(ip_2_ip4(&pcb->remote_ip), &src)) {
            if (TCP_SEQ_GT(seq, pcb->rcv_nxt)) {
                tcp_abort(pcb);                 /* frees a TIME-WAIT pcb without a segment */
                tw_reused++;
            }
            return;
        }
    }
}

static int net_poll(void *arg)
{
    (void)arg;
    int work = backlog_flush();
    for (int i = 0; i < RX_BUDGET; i++) {
        if (!spare && !(spare = pbuf_alloc(PBUF_RAW, 1514, PBUF_POOL)))
            break;                      /* pool empty: frames wait in the ring */
        int n = spare->next ? 0 : dev->rx(dev, spare->payload, spare->len);
        if (n <= 0)
            break;
        struct pbuf *p = spare;
        spare = NULL;
        pbuf_realloc(p, (u16_t)n);
        work = 1;
        if (!firewall_in(p->payload, (size_t)n)) {
            pbuf_free(p);
            continue;
        }
        timewait_reuse(p->payload, (size_t)n);
        if (nif.input(p, &nif) != ERR_OK)
            pbuf_free(p);
    }
    uint64_t now = clock_monotonic_ns();
    if (now >= next_link_poll) {
        next_link_poll = now + LINK_POLL_NS;
        int up = dev->link_up(dev);
        if (up && !netif_is_link_up(&nif)) {
            netif_set_link_up(&nif);
            log_info("net", "%s: link up", dev->name);
        } else if (!up && netif_is_link_up(&nif)) {
            netif_set_link_down(&nif);
            log_warn("net", "%s: link down", dev->name);
        }
    }
    sys_check_timeouts();
    /* Sleep no longer than lwIP's next timeout. */
    u32_t ms = sys_timeouts_sleeptime();
    uint64_t at = now + (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? LINK_POLL_NS : (uint64_t)ms * 1000000u);
    if (at > next_link_poll)
        at = next_link_poll;
    if (!lwip_timer_id || at < lwip_timer_at) {
        if (lwip_timer_id)
            loop_timer_cancel(lwip_timer_id);
        lwip_timer_id = loop_timer_add(at, lwip_timer_fired, NULL);
        lwip_timer_at = at;
    }
    return work;
}

int net_start(struct netdev *nd, const struct config_network *cfg)
{
    dev = nd;
    conf = *cfg;
    ip4_addr_t a, m, g;
    ip4_addr_set_zero(&a);
    ip4_addr_set_zero(&m);
    ip4_addr_set_zero(&g);
    if (!cfg->dhcp) {
        IP4_ADDR(&a, cfg->addr[0], cfg->addr[1], cfg->addr[2], cfg->addr[3]);
        uint32_t mask = cfg->prefix ? 0xffffffffu << (32 - cfg->prefix) : 0;
        ip4_addr_set_u32(&m, lwip_htonl(mask));
        if (cfg->has_gw)
            IP4_ADDR(&g, cfg->gw[0], cfg->gw[1], cfg->gw[2], cfg->gw[3]);
    }
    if (!netif_add(&nif, &a, &m, &g, NULL, nif_init, ethernet_input)) {
        log_error("net", "netif_add failed");
        return -1;
    }
    netif_set_default(&nif);
    netif_set_status_callback(&nif, status_cb);
    netif_set_up(&nif);
    if (dev->link_up(dev))
        netif_set_link_up(&nif);
    if (cfg->dhcp) {
        if (dhcp_start(&nif) != ERR_OK) {
            log_error("net", "dhcp_start failed");
            return -1;
        }
        log_info("net", "%s: asking for an address by DHCP", dev->name);
    } else {
        status_cb(&nif);
    }
    return loop_add_poller(net_poll, NULL);
}

int net_ready(void) { return addr_up; }

void net_log_stats(void)
{
    if (!dev)
        return;
    const struct netdev_stats *d = &dev->stats;
    log_info("net", "%s: rx %llu frames %llu bytes (%llu dropped), tx %llu frames %llu bytes "
             "(ring full %llu times), backlog %u queued %llu dropped, bad used %llu; TIME-WAIT reused %llu",
             dev->name,
             (unsigned long long)d->rx_frames, (unsigned long long)d->rx_bytes,
             (unsigned long long)d->rx_dropped, (unsigned long long)d->tx_frames,
             (unsigned long long)d->tx_bytes, (unsigned long long)d->tx_busy, bl_len,
             (unsigned long long)tx_dropped, (unsigned long long)d->bad_used,
             (unsigned long long)tw_reused);
    net_firewall_log_stats();
}
