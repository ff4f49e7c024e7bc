/* drivers/netdev.h: the network device interface net/ sees (one per NIC).
 *
 * tx copies the frame (Ethernet header onward, no FCS, at most mtu + 14
 * bytes) and returns 0, or -EAGAIN when the device's transmit ring is full
 * (the caller drops or retries later; nothing is queued behind its back).
 * rx copies the next received frame into buf and returns its length, 0 when
 * none is waiting, or a negative errno. link_up reports carrier. Frames
 * are never handed over half: a frame longer than cap is dropped and
 * counted. Event-loop context only.
 */
#ifndef DRIVERS_NETDEV_H
#define DRIVERS_NETDEV_H

#include <stddef.h>
#include <stdint.h>

struct netdev_stats { uint64_t rx_frames, rx_bytes, rx_dropped, tx_frames, tx_bytes, tx_busy, bad_used; };

struct netdev {
    const char *name;
    uint8_t mac[6];
    uint16_t mtu;
    int (*tx)(struct netdev *, const void *frame, size_t len);
    int (*rx)(struct netdev *, void *buf, size_t cap);
    int (*link_up)(struct netdev *);
    struct netdev_stats stats;
    void *priv;
};

#endif
