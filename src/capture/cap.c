/* cap.c -- frames from capture files (pcap, pcapng), stdin or a live interface.
 *
 * Every file is opened by libpcap, which validates it and says what it is. A classic pcap
 * file that pcapfile.c reads exactly like libpcap is then read by it instead, more than
 * twice as fast; pcapng, stdin, pipes, live capture and anything unusual stay with libpcap.
 *
 * Zero copy: a frame's data is the reader's own buffer for that source (libpcap's or
 * pcapfile.c's), which stays valid until the next read *of that source*. The k-way merge keeps one pending frame per source and
 * refills a source lazily, at the start of the cap_next() call after its frame was delivered,
 * so the delivered frame stays valid until the next cap_next() without any copy.
 */
#include "cap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cap_int.h"

typedef struct cap_src {
    pcap_t *p;
    const char *name;        /* the caller's path string (for messages only) */
    int linktype;            /* SX_LINK_* after mapping OS-specific DLT values */
    int pending;             /* rec holds a frame not yet delivered */
    int stale;               /* its last frame was delivered: refill before merging */
    int done;                /* end of file or error */
    cap_rec rec;             /* the pending frame; data valid until the next read */
    uint64_t size;           /* file size in bytes, 0 if unknown (stdin, pipe) */
    char *iobuf;             /* stdio buffer of the file (freed after pcap_close) */
    cap_direct direct;       /* the fast path: direct.fd >= 0, and p is NULL */
} cap_src;

struct cap {
    cap_src *src;
    int n;
    int live;
    int failed;
    uint64_t index;
    volatile int stop; /* set by cap_break() */
    char err[512];
};

/* pcap_datalink() answers DLT_* values, some of which differ by OS; the rest of sipdx uses
 * the portable LINKTYPE_* numbers (https://www.tcpdump.org/linktypes.html). */
static int dlt_to_linktype(int dlt) {
#ifdef DLT_LOOP
    if (dlt == DLT_LOOP) return SX_LINK_LOOP;
#endif
    if (dlt == DLT_RAW) return SX_LINK_RAW;
    return dlt;
}

static uint64_t file_size(pcap_t *p) {
    FILE *fp = pcap_file(p);
    struct stat st;
    if (!fp || fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    return (uint64_t)st.st_size;
}

static cap *cap_alloc(int n) {
    cap *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->src = calloc((size_t)(n > 0 ? n : 1), sizeof *c->src);
    if (!c->src) {
        free(c);
        return NULL;
    }
    c->n = n;
    for (int i = 0; i < n; i++) c->src[i].direct.fd = -1; /* 0 would be stdin */
    return c;
}

/* libpcap's messages: "unknown file format" for a non-capture (it does not name the file),
 * "<path>: No such file or directory" when it cannot be opened (it does). */
static void open_error(char *err, size_t errsz, const char *name, const char *perr) {
    if (strstr(perr, "unknown file format"))
        snprintf(err, errsz, "%s: not a pcap or pcapng capture file (libpcap: %s)", name, perr);
    else if (strstr(perr, name))
        snprintf(err, errsz, "%s", perr);
    else
        snprintf(err, errsz, "%s: %s", name, perr);
}

/* stdio's default 4 KiB buffer costs a read() per 4 KiB, a quarter of the time spent reading
 * a capture; a larger one makes libpcap's two fread()s per record cheap copies. */
#define CAP_IOBUF (256u << 10)

/* Opens one file (or stdin for "-") through libpcap, with our own stdio buffer. */
static int src_open(cap_src *s, const char *path, char *err, size_t errsz) {
    char perr[PCAP_ERRBUF_SIZE] = "";
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* not for stdin: libpcap leaves stdin open, and it would outlive the buffer */
    if (fp != stdin && (s->iobuf = malloc(CAP_IOBUF)) != NULL)
        setvbuf(fp, s->iobuf, _IOFBF, CAP_IOBUF);
    /* Microsecond timestamps whatever the file's precision (nanosecond pcap, pcapng). On
     * failure libpcap does not close fp. */
    s->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!s->p) {
        if (fp != stdin) fclose(fp);
        open_error(err, errsz, s->name, perr);
        return -1;
    }
    return 0;
}

/* Link types whose records libpcap bounds at 262144 bytes (pcapfile.c relies on it). */
static int direct_link(int lt) {
    switch (lt) {
    case SX_LINK_NULL: case SX_LINK_EN10MB: case SX_LINK_RAW: case SX_LINK_LOOP:
    case SX_LINK_LINUX_SLL: case SX_LINK_IPV4: case SX_LINK_IPV6: case SX_LINK_LINUX_SLL2:
        return 1;
    default: return 0;
    }
}

/* Switches an opened file to the direct reader if it qualifies; otherwise libpcap goes on
 * (the direct reader uses its own descriptor and offsets, so it does not matter how far
 * libpcap's stdio buffer has read). */
static void src_try_direct(cap_src *s) {
    FILE *fp = pcap_file(s->p);
    if (!fp || fp == stdin || !direct_link(s->linktype)) return;
    int fd = dup(fileno(fp));
    if (fd < 0) return;
    if (direct_open(&s->direct, fd, (uint32_t)pcap_snapshot(s->p)) != 0) {
        close(fd);
        return;
    }
    pcap_close(s->p);
    s->p = NULL;
    free(s->iobuf);
    s->iobuf = NULL;
}

cap *cap_open_files(const char *const *paths, int n, char *err, size_t errsz) {
    return cap_open_files_ex(paths, n, 0, err, errsz);
}

cap *cap_open_files_ex(const char *const *paths, int n, int flags, char *err, size_t errsz) {
    if (n <= 0) {
        snprintf(err, errsz, "no capture file given");
        return NULL;
    }
    cap *c = cap_alloc(n);
    if (!c) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        cap_src *s = &c->src[i];
        s->name = strcmp(paths[i], "-") == 0 ? "(stdin)" : paths[i];
        if (src_open(s, paths[i], err, errsz) != 0) {
            cap_close(c);
            return NULL;
        }
        s->linktype = dlt_to_linktype(pcap_datalink(s->p));
        s->size = file_size(s->p);
        s->stale = 1;
        if (!(flags & CAP_LIBPCAP_ONLY)) src_try_direct(s);
    }
    return c;
}

cap *cap_open_live(const char *ifname, const char *filter, char *err, size_t errsz) {
    char perr[PCAP_ERRBUF_SIZE] = "";
    cap *c = cap_alloc(1);
    if (!c) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    cap_src *s = &c->src[0];
    s->name = ifname;
    c->live = 1;
    s->p = pcap_create(ifname, perr);
    if (!s->p) {
        snprintf(err, errsz, "%s: %s", ifname, perr);
        cap_close(c);
        return NULL;
    }
    pcap_set_snaplen(s->p, 262144);
    pcap_set_promisc(s->p, 1);
    pcap_set_timeout(s->p, 100); /* ms: lets cap_next notice cap_break() on a quiet link */
    pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_MICRO);
    int rc = pcap_activate(s->p);
    if (rc < 0) {
        snprintf(err, errsz, "%s: %s", ifname, pcap_geterr(s->p));
        cap_close(c);
        return NULL;
    }
    if (filter && *filter) {
        struct bpf_program prog;
        int bad = pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0;
        if (!bad) { /* prog exists only if it compiled */
            bad = pcap_setfilter(s->p, &prog) != 0;
            pcap_freecode(&prog);
        }
        if (bad) {
            snprintf(err, errsz, "%s: filter \"%s\": %s", ifname, filter, pcap_geterr(s->p));
            cap_close(c);
            return NULL;
        }
    }
    s->linktype = dlt_to_linktype(pcap_datalink(s->p));
    s->stale = 1;
    return c;
}

static void src_failed(cap *c, cap_src *s, const char *why) {
    /* e.g. "truncated dump file; tried to read 1514 captured bytes, only got 600" */
    snprintf(c->err, sizeof c->err, "%s: capture ends early (truncated or corrupt): %s",
             s->name, why);
    c->failed++;
}

/* The direct reader's next record into the pending slot. */
static int direct_fill(cap *c, cap_src *s) {
    char why[256];
    int rc = direct_next(&s->direct, &s->rec, why, sizeof why);
    if (rc == 1) {
        s->pending = 1;
        return 0;
    }
    s->done = 1;
    if (rc == 0) return 0;
    src_failed(c, s, why);
    return -1;
}

/* Reads the next frame of one source into its pending slot. Returns 0, or -1 if the source
 * failed (the message is in c->err). A live source loops over read timeouts until a frame
 * arrives or cap_break() is called. */
static int src_fill(cap *c, cap_src *s) {
    s->stale = 0;
    s->pending = 0;
    if (s->done) return 0;
    if (s->direct.fd >= 0) return direct_fill(c, s);
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(s->p, &h, &data);
        if (rc == 1) {
            s->rec.ts = (sx_time)h->ts.tv_sec * SX_SEC + (sx_time)h->ts.tv_usec;
            s->rec.data = data;
            s->rec.caplen = h->caplen;
            s->rec.wirelen = h->len;
            s->pending = 1;
            return 0;
        }
        if (rc == 0 && c->live && !c->stop) continue; /* live read timeout */
        s->done = 1;
        if (rc == PCAP_ERROR) {
            src_failed(c, s, pcap_geterr(s->p));
            return -1;
        }
        return 0; /* PCAP_ERROR_BREAK (-2): end of file, or cap_break() */
    }
}

/* Hands out a source's pending frame. */
static void deliver(cap *c, cap_src *s, int i, sx_frame *f) {
    s->stale = 1;
    f->ts = s->rec.ts;
    f->linktype = s->linktype;
    f->data = s->rec.data;
    f->caplen = s->rec.caplen;
    f->wirelen = s->rec.wirelen;
    f->index = ++c->index;
    f->source = i;
}

int cap_next(cap *c, sx_frame *f) {
    if (c->n == 1) { /* one file: nothing to merge */
        cap_src *s = c->src;
        if (s->stale) {
            /* the usual case inline: the next record is whole in the direct reader's buffer */
            if (s->direct.fd >= 0 && !s->done && direct_next_fast(&s->direct, &s->rec)) {
                s->stale = 0;
                s->pending = 1;
            } else if (src_fill(c, s) != 0) {
                return -1;
            }
        }
        if (!s->pending) return 0;
        deliver(c, s, 0, f);
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < c->n; i++)
        if (c->src[i].stale && src_fill(c, &c->src[i]) != 0) failed = 1;
    if (failed) return -1; /* the frames of other sources are still pending: nothing lost */

    /* Linear scan: the number of files is small, and with one file this is one compare. */
    cap_src *best = NULL;
    int bi = -1;
    for (int i = 0; i < c->n; i++) {
        cap_src *s = &c->src[i];
        if (s->pending && (!best || s->rec.ts < best->rec.ts)) {
            best = s;
            bi = i;
        }
    }
    if (!best) return 0;
    deliver(c, best, bi, f);
    return 1;
}

const char *cap_err(const cap *c) { return c->err; }

void cap_progress(const cap *c, uint64_t *done, uint64_t *total) {
    uint64_t d = 0, t = 0;
    for (int i = 0; i < c->n; i++) {
        const cap_src *s = &c->src[i];
        if (!s->size) continue;
        t += s->size;
        if (s->done) {
            d += s->size;
        } else if (s->direct.fd >= 0) {
            d += direct_offset(&s->direct);
        } else {
            long pos = ftell(pcap_file(s->p));
            if (pos > 0) d += (uint64_t)pos < s->size ? (uint64_t)pos : s->size;
        }
    }
    *done = d;
    *total = t;
}

int cap_failed_sources(const cap *c) { return c->failed; }

int cap_direct_read(const cap *c, int source) {
    return source >= 0 && source < c->n && c->src[source].direct.fd >= 0;
}

int cap_linktype(const cap *c, int source) {
    return source >= 0 && source < c->n ? c->src[source].linktype : -1;
}

void cap_break(cap *c) {
    c->stop = 1;
    for (int i = 0; i < c->n; i++)
        if (c->src[i].p) pcap_breakloop(c->src[i].p);
}

void cap_close(cap *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        if (c->src[i].p) pcap_close(c->src[i].p); /* closes the FILE, stdin included */
        free(c->src[i].iobuf);
        direct_close(&c->src[i].direct);
    }
    free(c->src);
    free(c);
}
