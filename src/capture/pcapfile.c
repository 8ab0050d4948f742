/* pcapfile.c -- classic pcap files read by sipdx itself: the fast path of the source stage.
 *
 * Why: libpcap makes two fread()s per record, copying each one twice (into stdio's buffer,
 * then into its own), which costs about as much CPU as the whole packet stage. This reader
 * reads the file in 64 KiB pread()s into one buffer and hands out records in place: one
 * copy by the kernel, then the records are parsed while still in the CPU cache.
 * A memory mapping was measured too, twice, and is not worth it:
 *  - walking the headers alone of a 4.5 GB file in the page cache: ~1.9 GB/s of CPU mapped
 *    against ~4.6 GB/s this way (a page fault and a TLB miss on a fresh page every few
 *    records);
 *  - the whole `decode` of the 454 MB and 4.5 GB benchmark files (2026-11, ext4 page cache
 *    of 4 KiB folios, so no huge mappings whatever MADV_HUGEPAGE asks): sliding windows of
 *    1 to 64 MiB, with MAP_POPULATE, MADV_SEQUENTIAL, MADV_WILLNEED or MADV_HUGEPAGE, came
 *    within the noise of pread in CPU time (best of 5 to 15, interleaved: 404-438 ms
 *    against 425-440 ms on the 454 MB file; 4.3-4.7 s against 4.4-4.7 s on the 4.5 GB one,
 *    either side winning from one round to the next). The kernel's share only moves: the
 *    copy (~11 % of the run) goes, but mapping and unmapping each 4 KiB page (rmap, memcg
 *    statistics, unmap_page_range) costs ~as much, and the cache misses on the page cache
 *    move from the kernel's copy to the parser. Meanwhile a mapping adds resident size (the window: 16 MiB of windows ->
 *    21 MB RSS, against ~5 MB) and a SIGBUS if the file is cut while mapped, which pread
 *    reports as the truncated file it is. The chunk size barely matters to `decode` (64 KiB
 *    to 1 MiB: same CPU time), but `analyze` keeps its calls' lines in the same 1 MiB L2:
 *    64 KiB chunks instead of 256 KiB, interleaved runs on calls-100k, 2 x 16 pairs: median
 *    -4.3 % and -9.7 % CPU time (decode of the 1M capture: 3 pairs, each a little faster).
 *
 * libpcap stays the reference: this reader takes only files whose every record it reads
 * as libpcap 1.10's sf-pcap.c does, messages included
 * (format: https://www.tcpdump.org/manpages/pcap-savefile.5.txt):
 *  - caplen > 262144 (libpcap's maximum for the link types sipdx decodes) is an error;
 *  - caplen > the file's snapshot length (but within the maximum) is cut to the snapshot
 *    length, the rest of the record skipped;
 *  - a record header or data that runs past the end of the file is an error;
 *  - nanosecond timestamps are divided down to microseconds; seconds are unsigned (libpcap
 *    1.10 reads them signed, which differs only after 2038).
 * Memory: one buffer of CHUNK + 256 KiB per file, whatever the file size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cap_int.h"

enum {
    MAGIC_USEC = 0xa1b2c3d4,
    MAGIC_NSEC = 0xa1b23c4d,
    FILE_HDR = 24,
    REC_HDR = CAP_REC_HDR,
    MAX_CAPLEN = CAP_MAX_CAPLEN,
};
/* Bytes asked of each read: small enough that a chunk is still in L2 when it is parsed, and
 * evicts little of what the later stages keep there. */
#define CHUNK ((size_t)64 << 10)
#define BUF_SIZE (CHUNK + REC_HDR + MAX_CAPLEN)

static uint32_t rd32(const uint8_t *p, int swapped) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, int swapped) {
    uint16_t v;
    memcpy(&v, p, 2);
    return swapped ? __builtin_bswap16(v) : v;
}

int direct_open(cap_direct *d, int fd, uint32_t snap) {
    memset(d, 0, sizeof *d);
    d->fd = -1;
    uint8_t h[FILE_HDR];
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) return -1;
    uint32_t magic;
    memcpy(&magic, h, 4);
    int swapped = magic == __builtin_bswap32(MAGIC_USEC) || magic == __builtin_bswap32(MAGIC_NSEC);
    if (swapped) magic = __builtin_bswap32(magic);
    if (magic != MAGIC_USEC && magic != MAGIC_NSEC) return -1;
    /* 2.4 only: libpcap swaps caplen and len in older versions (or guesses, for 2.3) */
    if (rd16(h + 4, swapped) != 2 || rd16(h + 6, swapped) != 4) return -1;
    d->buf = malloc(BUF_SIZE);
    if (!d->buf) return -1;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    d->fd = fd;
    d->foff = FILE_HDR;
    d->snap = snap;
    d->swapped = swapped;
    d->nano = magic == MAGIC_NSEC;
    return 0;
}

/* Makes at least `need` bytes available at buf[pos] unless the file ends first. Moves the
 * unread tail (less than one record) to the front: the frame handed out before is no longer
 * in use once the next one is asked for (cap.h: valid until the next cap_next()). Returns 0,
 * or -1 on a read error (message in err). */
static int refill(cap_direct *d, size_t need, char *err, size_t errsz) {
    size_t left = d->have - d->pos;
    memmove(d->buf, d->buf + d->pos, left);
    d->pos = 0;
    d->have = left;
    while (d->have < need) {
        ssize_t got = pread(d->fd, d->buf + d->have, BUF_SIZE - d->have, (off_t)d->foff);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(err, errsz, "error reading dump file: %s", strerror(errno));
            return -1;
        }
        if (got == 0) break; /* end of file */
        d->have += (size_t)got;
        d->foff += (uint64_t)got;
    }
    return 0;
}

int direct_next(cap_direct *d, cap_rec *r, char *err, size_t errsz) {
    if (d->have - d->pos < REC_HDR) {
        if (refill(d, CHUNK, err, errsz) != 0) return -1;
        size_t left = d->have - d->pos;
        if (left == 0) return 0;
        if (left < REC_HDR) {
            snprintf(err, errsz,
                     "truncated dump file; tried to read %d header bytes, only got %zu", REC_HDR,
                     left);
            return -1;
        }
    }
    const uint8_t *h = d->buf + d->pos;
    uint32_t caplen = rd32(h + 8, d->swapped);
    if (caplen > MAX_CAPLEN) {
        if (caplen > d->snap)
            snprintf(err, errsz, "invalid packet capture length %u, bigger than snaplen of %u",
                     caplen, d->snap);
        else
            snprintf(err, errsz, "invalid packet capture length %u, bigger than maximum of %u",
                     caplen, (unsigned)MAX_CAPLEN);
        return -1;
    }
    if (d->have - d->pos < REC_HDR + (size_t)caplen) {
        if (refill(d, REC_HDR + (size_t)caplen, err, errsz) != 0) return -1;
        h = d->buf; /* refill moved the record to the front */
        size_t left = d->have - REC_HDR;
        if (left < caplen) {
            /* libpcap reads the first snapshot-length bytes of an oversized record first,
             * and names that length if they are already missing */
            snprintf(err, errsz,
                     "truncated dump file; tried to read %u captured bytes, only got %zu",
                     caplen > d->snap && left < d->snap ? d->snap : caplen, left);
            return -1;
        }
    }
    uint32_t sub = rd32(h + 4, d->swapped);
    r->ts = (sx_time)rd32(h, d->swapped) * SX_SEC + (sx_time)(d->nano ? sub / 1000 : sub);
    r->data = h + REC_HDR;
    r->caplen = caplen > d->snap ? d->snap : caplen;
    r->wirelen = rd32(h + 12, d->swapped);
    d->pos += REC_HDR + (size_t)caplen;
    return 1;
}

uint64_t direct_offset(const cap_direct *d) { return d->foff - (d->have - d->pos); }

void direct_close(cap_direct *d) {
    if (d->fd >= 0) close(d->fd);
    free(d->buf);
    memset(d, 0, sizeof *d);
    d->fd = -1;
}
