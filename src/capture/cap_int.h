/* cap_int.h -- what the files of the capture stage share (not part of the interface). */
#ifndef SX_CAP_INT_H
#define SX_CAP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cap.h"

/* A classic pcap file read by sipdx itself (pcapfile.c): the fast path for files. */
typedef struct cap_direct {
    int fd;             /* -1 when not in use */
    uint8_t *buf;       /* CHUNK + the largest record: a whole record always fits */
    size_t pos, have;   /* next record at buf[pos], valid bytes up to buf[have] */
    uint64_t foff;      /* file offset of buf[have] */
    uint32_t snap;      /* libpcap's snapshot length for the file (pcap_snapshot) */
    int swapped;        /* written in the other byte order */
    int nano;           /* nanosecond timestamps */
} cap_direct;

/* One record, as cap_next() hands it on. */
typedef struct cap_rec {
    sx_time ts;
    const uint8_t *data;
    uint32_t caplen, wirelen;
} cap_rec;

enum { CAP_REC_HDR = 16, CAP_MAX_CAPLEN = 262144 /* libpcap's MAXIMUM_SNAPLEN */ };

/* The common case of direct_next(), inline in cap_next(): the whole record is already in
 * the buffer and its length is plausible. Returns 1 with the record, or 0 when the caller
 * must take direct_next() (refill, end of file, error message): same record either way. */
static inline int direct_next_fast(cap_direct *d, cap_rec *r) {
    size_t avail = d->have - d->pos;
    if (avail < CAP_REC_HDR) return 0;
    const uint8_t *h = d->buf + d->pos;
    uint32_t w[4];
    memcpy(w, h, sizeof w);
    if (d->swapped)
        for (int i = 0; i < 4; i++) w[i] = __builtin_bswap32(w[i]);
    uint32_t caplen = w[2];
    if (caplen > CAP_MAX_CAPLEN || avail - CAP_REC_HDR < caplen) return 0;
    r->ts = (sx_time)w[0] * SX_SEC + (sx_time)(d->nano ? w[1] / 1000 : w[1]);
    r->data = h + CAP_REC_HDR;
    r->caplen = caplen > d->snap ? d->snap : caplen;
    r->wirelen = w[3];
    d->pos += CAP_REC_HDR + (size_t)caplen;
    return 1;
}

/* Takes over fd (a regular file) if it holds a classic pcap file this reader handles (magic
 * a1b2c3d4 or a1b23c4d in either byte order, version 2.4); snap is libpcap's snapshot length
 * for it. Returns 0, or -1 when the caller should keep reading through libpcap (fd is then
 * left alone). */
int direct_open(cap_direct *d, int fd, uint32_t snap);
/* Next record: 1 = got one (valid until the next call), 0 = end of file, -1 = the file ends
 * early or a record is impossible (libpcap's own words in err). */
int direct_next(cap_direct *d, cap_rec *r, char *err, size_t errsz);
/* File offset of the next record (for progress). */
uint64_t direct_offset(const cap_direct *d);
void direct_close(cap_direct *d);

#endif
