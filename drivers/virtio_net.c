/* drivers/virtio_net.c: virtio-net (virtio 1.2 5.1) behind struct netdev.
 *
 * Queue 0 receives, queue 1 transmits. Features: VERSION_1 (required),
 * MAC, STATUS, MTU. No checksum or segmentation offload is negotiated, so
 * every frame carries complete checksums both ways and lwIP checks every
 * one it receives (the rule: offload only if handled per packet;
 * not negotiating it is the simple correct choice for now). Without
 * MRG_RXBUF, each receive buffer holds the 12-byte header (5.1.6: with
 * VERSION_1 the header always has num_buffers) and a whole frame: 2 KiB
 * buffers, all posted at start and re-posted as soon as a frame is
 * copied out. Transmit copies into one of as many 2 KiB slots as the ring
 * has entries; completions are reclaimed on every tx, and the transmit
 * queue asks for interrupts only while the ring is full (2.7.7), so the
 * caller's backlog is woken when slots free up.
 */
#include "drivers/drivers.h"

#include <errno.h>
#include <string.h>
#include "drivers/netdev.h"
#include "drivers/virtio.h"
#include "kernel/log.h"
#include "kernel/memory.h"

#define F_MTU (1ULL << 3)
#define F_MAC (1ULL << 5)
#define F_STATUS (1ULL << 16)
#define CFG_MAC 0           /* u8[6] */
#define CFG_STATUS 6        /* le16, bit 0 link up */
#define CFG_MTU 10          /* le16 */
#define HDR_LEN 12          /* struct virtio_net_hdr with num_buffers */
#define BUF_SIZE 2048
#define QUEUE_MAX 256
#define FRAME_MAX (BUF_SIZE - HDR_LEN)
#define RX_PUBLISH_BATCH 16

struct vnet {
    struct virtio_dev vdev;
    struct netdev nd;
    struct virtq rxq, txq;
    void *rx_cookies[QUEUE_MAX], *tx_cookies[QUEUE_MAX];
    uint8_t *rx_bufs, *tx_bufs;
    uint16_t rx_size, tx_size;
    uint8_t *tx_free[QUEUE_MAX];
    unsigned tx_nfree;
    unsigned rx_unpublished;
};

static struct vnet vnets[2];
static int nvnets;

static int post_rx(struct vnet *n, uint8_t *buf)
{
    struct virtq_buf b = { (uint64_t)(uintptr_t)buf, BUF_SIZE };
    return virtq_add_chain(&n->rxq, &b, 0, 1, buf);
}

static void reclaim_tx(struct vnet *n)
{
    uint32_t len;
    void *c;
    unsigned bad = 0;
    while ((c = virtq_get_used(&n->txq, &len, &bad)) != NULL)
        n->tx_free[n->tx_nfree++] = c;
    n->nd.stats.bad_used += bad;
}

static int vnet_tx(struct netdev *nd, const void *frame, size_t len)
{
    struct vnet *n = nd->priv;
    if (len > (size_t)nd->mtu + 14 || len > FRAME_MAX)
        return -EMSGSIZE;
    reclaim_tx(n);
    if (n->tx_nfree == 0) {
        /* Ring full: ask for a completion interrupt so the caller's backlog
         * is retried when the device frees slots, then look once more in
         * case it already did (2.7.7: enable, then re-check). */
        virtq_set_interrupts(&n->txq, true);
        reclaim_tx(n);
        if (n->tx_nfree == 0) {
            nd->stats.tx_busy++;
            return -EAGAIN;
        }
    }
    virtq_set_interrupts(&n->txq, false);
    uint8_t *slot = n->tx_free[--n->tx_nfree];
    memset(slot, 0, HDR_LEN);
    memcpy(slot + HDR_LEN, frame, len);
    struct virtq_buf b = { (uint64_t)(uintptr_t)slot, (uint32_t)(HDR_LEN + len) };
    if (virtq_add_chain(&n->txq, &b, 1, 0, slot) < 0) {
        n->tx_free[n->tx_nfree++] = slot;
        nd->stats.tx_busy++;
        return -EAGAIN;
    }
    virtio_kick(&n->vdev, 1, &n->txq);
    nd->stats.tx_frames++;
    nd->stats.tx_bytes += len;
    return 0;
}

static int vnet_rx(struct netdev *nd, void *buf, size_t cap)
{
    struct vnet *n = nd->priv;
    for (;;) {
        uint32_t len;
        unsigned bad = 0;
        uint8_t *b = virtq_get_used(&n->rxq, &len, &bad);
        nd->stats.bad_used += bad;
        if (!b)
            return 0;
        int got = -1;
        if (len > HDR_LEN && len <= BUF_SIZE && len - HDR_LEN <= cap) {
            got = (int)(len - HDR_LEN);
            memcpy(buf, b + HDR_LEN, (size_t)got);
            nd->stats.rx_frames++;
            nd->stats.rx_bytes += (uint64_t)got;
        } else {
            nd->stats.rx_dropped++;     /* runt or oversized: never half a frame */
        }
        post_rx(n, b);
        /* One notification per burst, not per frame (each kick is an exit
         * to the hypervisor), but never more than RX_PUBLISH_BATCH buffers
         * held back: a caller that stops mid-burst (no pbufs) must not
         * leave the device short of buffers. */
        if (++n->rx_unpublished >= RX_PUBLISH_BATCH || !virtq_has_used(&n->rxq)) {
            virtio_kick(&n->vdev, 0, &n->rxq);
            n->rx_unpublished = 0;
        }
        if (got >= 0)
            return got;
    }
}

static int vnet_link_up(struct netdev *nd)
{
    struct vnet *n = nd->priv;
    if (!(n->vdev.features & F_STATUS))
        return 1;               /* 5.1.4.2: without STATUS, assume up */
    uint16_t st;
    virtio_config_read(&n->vdev, CFG_STATUS, &st, 2);
    return st & 1;
}

struct netdev *virtio_net_attach(const struct virtio_loc *p)
{
    if (nvnets == (int)(sizeof vnets / sizeof vnets[0])) {
        log_warn("virtio-net", "only %d NICs supported: extra one ignored", nvnets);
        return NULL;
    }
    struct vnet *n = &vnets[nvnets];
    memset(n, 0, sizeof *n);
    if (virtio_probe(&n->vdev, p) < 0)
        return NULL;
    /* 5.1.6.3.1: with F_MTU the receive buffers must hold an MTU-sized
     * frame; ours hold 1500, so accept F_MTU only for a device MTU of at
     * most that (config may be read before FEATURES_OK, 3.1.1 step 4). */
    uint64_t wanted = F_MAC | F_STATUS;
    if (virtio_offered(&n->vdev) & F_MTU) {
        uint16_t mtu;
        virtio_config_read(&n->vdev, CFG_MTU, &mtu, 2);
        if (mtu >= 68 && mtu <= 1500)
            wanted |= F_MTU;
    }
    if (virtio_negotiate(&n->vdev, wanted, 0) < 0)
        return NULL;
    int rs = virtio_queue_setup(&n->vdev, 0, &n->rxq, QUEUE_MAX, n->rx_cookies);
    int ts = virtio_queue_setup(&n->vdev, 1, &n->txq, QUEUE_MAX, n->tx_cookies);
    if (rs < 0 || ts < 0) {
        virtio_fail(&n->vdev);
        return NULL;
    }
    n->rx_size = (uint16_t)rs;
    n->tx_size = (uint16_t)ts;
    uint64_t rxp = memory_alloc_pages((uint64_t)rs * BUF_SIZE / 4096, 1);
    uint64_t txp = memory_alloc_pages((uint64_t)ts * BUF_SIZE / 4096, 1);
    if (!rxp || !txp) {
        log_error("virtio-net", "%s: no memory for %d+%d packet buffers", n->vdev.name, rs, ts);
        virtio_fail(&n->vdev);
        return NULL;
    }
    n->rx_bufs = (uint8_t *)(uintptr_t)rxp;
    n->tx_bufs = (uint8_t *)(uintptr_t)txp;
    for (int i = 0; i < ts; i++)
        n->tx_free[n->tx_nfree++] = n->tx_bufs + (size_t)i * BUF_SIZE;
    for (int i = 0; i < rs; i++)
        post_rx(n, n->rx_bufs + (size_t)i * BUF_SIZE);
    virtq_set_interrupts(&n->txq, false);

    struct netdev *nd = &n->nd;
    nd->name = n->vdev.name;
    nd->priv = n;
    nd->tx = vnet_tx;
    nd->rx = vnet_rx;
    nd->link_up = vnet_link_up;
    nd->mtu = 1500;
    if (n->vdev.features & F_MTU) {
        uint16_t mtu;
        virtio_config_read(&n->vdev, CFG_MTU, &mtu, 2);
        nd->mtu = mtu;          /* 68..1500, checked before accepting F_MTU */
    }
    if (n->vdev.features & F_MAC)
        virtio_config_read(&n->vdev, CFG_MAC, nd->mac, 6);
    else
        log_warn("virtio-net", "%s: device gives no MAC address", nd->name);
    if (virtio_start(&n->vdev) < 0)
        return NULL;
    virtio_kick(&n->vdev, 0, &n->rxq);
    nvnets++;
    log_info("virtio-net", "%s: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u link %s, rx %d tx %d entries",
             nd->name, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3], nd->mac[4], nd->mac[5],
             nd->mtu, vnet_link_up(nd) ? "up" : "down", rs, ts);
    return nd;
}
