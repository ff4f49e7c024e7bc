/* drivers/virtio_rng.c: virtio entropy device (virtio 1.2 5.4) feeding the
 * kernel CSPRNG. One request queue; the driver keeps one 64-byte
 * device-writable buffer posted. Each filled buffer is mixed into the
 * HMAC-DRBG (csprng_mix); the first 32 bytes make csprng_ready() true on a
 * CPU without RDRAND. After that the device is asked again only every
 * RESEED_NS, so an idle appliance does not spin on entropy.
 */
#include "drivers/drivers.h"

#include <string.h>
#include "drivers/virtio.h"
#include "kernel/clock.h"
#include "kernel/csprng.h"
#include "kernel/log.h"
#include "kernel/loop.h"

#define BUF_LEN 64
#define RESEED_NS (60ULL * 1000000000ULL)

static struct virtio_dev rdev;
static struct virtq rq;
static void *cookies[8];
static uint8_t buf[BUF_LEN] __attribute__((aligned(64)));
static int attached, outstanding;
static uint64_t mixed_bytes;

static void request(void)
{
    struct virtq_buf b = { (uint64_t)(uintptr_t)buf, BUF_LEN };
    if (virtq_add_chain(&rq, &b, 0, 1, buf) >= 0) {
        outstanding = 1;
        virtio_kick(&rdev, 0, &rq);
    }
}

static void reseed_timer(void *arg)
{
    (void)arg;
    if (!outstanding)
        request();
}

static int rng_poll(void *arg)
{
    (void)arg;
    uint32_t len;
    unsigned bad = 0;
    if (!virtq_get_used(&rq, &len, &bad))
        return 0;
    outstanding = 0;
    if (len > BUF_LEN)
        len = 0;                    /* a device claiming more than we gave: ignore */
    if (len) {
        int was_ready = csprng_ready();
        csprng_mix(buf, len, "virtio-rng");
        mixed_bytes += len;
        if (!was_ready && csprng_ready())
            log_info("entropy", "csprng seeded from virtio-rng (%s)", rdev.name);
    }
    memset(buf, 0, sizeof buf);
    /* Not seeded yet (a short answer): ask again at once. Otherwise top up
     * later; if the timer set is full, ask now rather than never. */
    if (!csprng_ready() || !loop_timer_add(clock_monotonic_ns() + RESEED_NS, reseed_timer, NULL))
        request();
    return 1;
}

int virtio_rng_attach(const struct virtio_loc *p)
{
    if (attached)
        return -1;
    if (virtio_probe(&rdev, p) < 0 || virtio_negotiate(&rdev, 0, 0) < 0)
        return -1;
    if (virtio_queue_setup(&rdev, 0, &rq, 8, cookies) < 0) {
        virtio_fail(&rdev);
        return -1;
    }
    if (virtio_start(&rdev) < 0)
        return -1;
    attached = 1;
    request();
    return loop_add_poller(rng_poll, NULL);
}
