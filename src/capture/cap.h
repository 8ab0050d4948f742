/* cap.h -- the source stage: frames from pcap/pcapng files, stdin, or a live interface,
 * through libpcap. libpcap's types stay inside this module.
 *
 * Classic pcap files (not pcapng, not stdin or a pipe) are read by sipdx's own reader
 * (pcapfile.c) rather than libpcap's per-record fread()s: the same frames, timestamps and
 * error messages, more than twice as fast, in a fixed ~512 KiB buffer per file.
 *
 * Several files are merged in timestamp order (a k-way merge over one open handle per
 * file). A truncated or corrupt file ends with a message in cap_err(); every frame read
 * until then has been delivered.
 */
#ifndef SX_CAP_H
#define SX_CAP_H

#include "../base/sx.h"

/* Link types (DLT_* values from pcap, which pcapng's LINKTYPE_* map onto). */
enum {
    SX_LINK_NULL = 0,        /* BSD loopback */
    SX_LINK_EN10MB = 1,      /* Ethernet */
    SX_LINK_RAW = 101,       /* LINKTYPE_RAW: raw IPv4/IPv6 */
    SX_LINK_LOOP = 108,      /* OpenBSD loopback */
    SX_LINK_LINUX_SLL = 113,
    SX_LINK_IPV4 = 228,
    SX_LINK_IPV6 = 229,
    SX_LINK_LINUX_SLL2 = 276,
};

typedef struct sx_frame {
    sx_time ts;             /* capture time, microseconds */
    int linktype;           /* SX_LINK_* (LINKTYPE value) */
    const uint8_t *data;    /* valid until the next cap_next() */
    uint32_t caplen;        /* bytes captured */
    uint32_t wirelen;       /* bytes on the wire */
    uint64_t index;         /* 1-based frame number across all sources */
    int source;             /* which file (0-based) */
} sx_frame;

typedef struct cap cap;

/* Opens every path ("-" = stdin). Returns NULL and writes a message to err (size errsz)
 * naming the file if one cannot be opened or is not a capture. */
cap *cap_open_files(const char *const *paths, int n, char *err, size_t errsz);
/* The same, with flags: CAP_LIBPCAP_ONLY reads every file through libpcap (the reference
 * the direct reader is tested against). */
enum { CAP_LIBPCAP_ONLY = 1 };
cap *cap_open_files_ex(const char *const *paths, int n, int flags, char *err, size_t errsz);
/* Opens a live interface (promiscuous, snaplen 262144); filter may be NULL. */
cap *cap_open_live(const char *ifname, const char *filter, char *err, size_t errsz);
/* Next frame in timestamp order: 1 = got one, 0 = end of all input, -1 = a source failed
 * (message in cap_err(); the other sources go on, so keep calling until 0). */
int cap_next(cap *c, sx_frame *f);
/* Last error message, or "" if none. */
const char *cap_err(const cap *c);
/* Total and consumed byte sizes of the files, for a progress bar (0 total if unknown). */
void cap_progress(const cap *c, uint64_t *done, uint64_t *total);
/* Number of sources that ended in error (truncated/corrupt). */
int cap_failed_sources(const cap *c);
/* 1 if that source is read by the direct reader, 0 if through libpcap. */
int cap_direct_read(const cap *c, int source);
/* Link type (SX_LINK_*) of one source, -1 if out of range. */
int cap_linktype(const cap *c, int source);
/* Makes a blocked cap_next() on a live capture return 0 soon (call from a signal handler:
 * it only sets flags). */
void cap_break(cap *c);
void cap_close(cap *c);

#endif
