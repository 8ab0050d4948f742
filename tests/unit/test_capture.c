/* test_capture.c -- the source stage: files merged in time order, truncated files end with a
 * message after delivering what was readable, non-captures are refused naming the file,
 * stdin, nanosecond files, pcapng timestamps, progress. Captures are written at test time
 * under /tmp. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/cap.h"
#include "harness.h"

static char tmpdir[256];

static void put32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Writes a classic pcap: n records, record i at ts[i] microseconds (nanoseconds if nano),
 * 60 bytes of data whose first byte is tag + i. */
static void write_pcap(const char *path, int nano, int n, const sx_time *ts, uint8_t tag) {
    FILE *f = fopen(path, "wb");
    uint8_t h[24] = {0};
    put32le(h, nano ? 0xa1b23c4d : 0xa1b2c3d4);
    h[4] = 2, h[6] = 4;        /* version 2.4 */
    put32le(h + 16, 65535);    /* snaplen */
    put32le(h + 20, 1);        /* Ethernet */
    fwrite(h, 1, sizeof h, f);
    for (int i = 0; i < n; i++) {
        uint8_t r[16 + 60] = {0};
        sx_time sub = ts[i] % SX_SEC;
        put32le(r, (uint32_t)(ts[i] / SX_SEC));
        put32le(r + 4, (uint32_t)(nano ? sub * 1000 + 999 : sub));
        put32le(r + 8, 60);
        put32le(r + 12, 60);
        r[16] = (uint8_t)(tag + i);
        fwrite(r, 1, sizeof r, f);
    }
    fclose(f);
}

static void tmp_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", tmpdir, name);
}

static void test_merge(void) {
    char a[300], b[300], err[512] = "";
    tmp_path(a, sizeof a, "a.pcap");
    tmp_path(b, sizeof b, "b.pcap");
    const sx_time T = 1700000000 * (sx_time)SX_SEC;
    const sx_time ta[4] = {T + 1, T + 30, T + 31, T + 90};
    const sx_time tb[3] = {T + 2, T + 40, T + 50};
    write_pcap(a, 0, 4, ta, 0x10);
    write_pcap(b, 0, 3, tb, 0x20);
    const char *paths[2] = {a, b};
    cap *c = cap_open_files(paths, 2, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    /* expected order by time, with the frame's own first byte telling where it came from */
    static const struct { int src; uint8_t tag; } want[7] = {
        {0, 0x10}, {1, 0x20}, {0, 0x11}, {0, 0x12}, {1, 0x21}, {1, 0x22}, {0, 0x13}};
    sx_frame f;
    sx_time last = 0;
    int k = 0, rc;
    while ((rc = cap_next(c, &f)) == 1 && k < 7) {
        CHECK_MSG(f.source == want[k].src && f.data[0] == want[k].tag,
                  "frame %d: source %d tag %#x, want %d %#x", k, f.source, f.data[0],
                  want[k].src, want[k].tag);
        CHECK(f.ts >= last);
        CHECK_INT(f.index, k + 1);
        CHECK_INT(f.caplen, 60);
        CHECK_INT(f.linktype, SX_LINK_EN10MB);
        last = f.ts;
        k++;
    }
    CHECK_INT(k, 7);
    CHECK_INT(rc, 0);
    CHECK_INT(cap_failed_sources(c), 0);
    CHECK_STR(cap_err(c), "");
    uint64_t done, total;
    cap_progress(c, &done, &total);
    CHECK_INT(total, 2 * 24 + 7 * 76);
    CHECK_INT(done, total);
    cap_close(c);
}

static void test_nanosecond(void) {
    char a[300], err[512];
    tmp_path(a, sizeof a, "nano.pcap");
    const sx_time ts[1] = {1700000000 * (sx_time)SX_SEC + 123456};
    write_pcap(a, 1, 1, ts, 0);
    const char *p = a;
    cap *c = cap_open_files(&p, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    sx_frame f;
    CHECK_INT(cap_next(c, &f), 1);
    CHECK_INT(f.ts, ts[0]); /* ...123456999 ns -> ...123456 us */
    cap_close(c);
}

/* A capture cut in the middle of a record: every whole frame before the cut is delivered,
 * then -1 with a message naming the file, then 0. A second, intact source goes on. */
static void test_truncated(void) {
    char a[300], b[300], err[512];
    tmp_path(a, sizeof a, "cut.pcap");
    tmp_path(b, sizeof b, "whole.pcap");
    const sx_time T = 1700000000 * (sx_time)SX_SEC;
    const sx_time ta[5] = {T, T + 10, T + 20, T + 30, T + 40};
    const sx_time tb[2] = {T + 5, T + 100};
    write_pcap(a, 0, 5, ta, 0x30);
    write_pcap(b, 0, 2, tb, 0x40);
    CHECK(truncate(a, 24 + 3 * 76 + 40) == 0); /* 3 whole records, the 4th cut in its data */
    const char *one = a;
    cap *c = cap_open_files(&one, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    sx_frame f;
    int got = 0, rc;
    while ((rc = cap_next(c, &f)) == 1) got++;
    CHECK_INT(got, 3);
    CHECK_INT(rc, -1);
    CHECK_MSG(strstr(cap_err(c), "cut.pcap") && strstr(cap_err(c), "truncated"), "msg: %s",
              cap_err(c));
    CHECK_INT(cap_next(c, &f), 0);
    CHECK_INT(cap_failed_sources(c), 1);
    cap_close(c);

    const char *two[2] = {a, b};
    c = cap_open_files(two, 2, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    int fails = 0;
    got = 0;
    while ((rc = cap_next(c, &f)) != 0) {
        if (rc < 0) fails++;
        else got++;
    }
    CHECK_INT(got, 3 + 2);
    CHECK_INT(fails, 1);
    cap_close(c);
}

static void test_refused(void) {
    char a[300], err[512] = "";
    tmp_path(a, sizeof a, "notes.txt");
    FILE *f = fopen(a, "w");
    fputs("INVITE sip:bob@example.com SIP/2.0\r\nthis is not a capture\r\n", f);
    fclose(f);
    const char *p = a;
    CHECK(cap_open_files(&p, 1, err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "notes.txt") && strstr(err, "not a pcap or pcapng"),
              "message names the file and says why: %s", err);
    /* a good file then a missing one: nothing is opened, the message names the missing one */
    char good[300];
    tmp_path(good, sizeof good, "a.pcap");
    const char *two[2] = {good, "/nonexistent/x.pcap"};
    CHECK(cap_open_files(two, 2, err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "/nonexistent/x.pcap") != NULL, "%s", err);
    CHECK(cap_open_files(two, 0, err, sizeof err) == NULL);
}

static void test_stdin(void) {
    char a[300], err[512];
    tmp_path(a, sizeof a, "a.pcap");
    if (!freopen(a, "rb", stdin)) {
        CHECK_MSG(0, "freopen %s", a);
        return;
    }
    const char *p = "-";
    cap *c = cap_open_files(&p, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    sx_frame f;
    int got = 0;
    while (cap_next(c, &f) == 1) got++;
    CHECK_INT(got, 4);
    cap_close(c);
}

/* Real files: pcapng timestamps come out in microseconds; a NetMon file is refused. */
static void test_corpus(void) {
    const char *root = th_shared();
    if (!root) {
        TH_SKIP("no shared corpus");
        return;
    }
    char p[1024], err[512] = "";
    const char *pp = p;
    /* tshark -r sipnab/sip-auth-failure.pcapng -c1 -T fields -e frame.time_epoch
     * -> 1463472095.431471000; tshark -r F | wc -l -> 8 */
    snprintf(p, sizeof p, "%s/corpus/sipnab/sip-auth-failure.pcapng", root);
    cap *c = cap_open_files(&pp, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (c) {
        sx_frame f;
        CHECK_INT(cap_next(c, &f), 1);
        CHECK_INT(f.ts, 1463472095431471LL);
        CHECK_INT(f.linktype, SX_LINK_EN10MB);
        CHECK_INT(cap_linktype(c, 0), SX_LINK_EN10MB);
        int n = 1;
        while (cap_next(c, &f) == 1) n++;
        CHECK_INT(n, 8);
        cap_close(c);
    }
    /* Microsoft NetMon 2.x: libpcap cannot read it; refused at open, naming the file */
    snprintf(p, sizeof p, "%s/corpus/sipnab/c07-sip-r2.cap", root);
    CHECK(cap_open_files(&pp, 1, err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "c07-sip-r2.cap") != NULL, "%s", err);
    /* raw IP in a pcap file: LINKTYPE_RAW whatever DLT_RAW is on this OS */
    snprintf(p, sizeof p, "%s/corpus/heplify/ipip0.pcap", root);
    c = cap_open_files(&pp, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (c) {
        CHECK_INT(cap_linktype(c, 0), SX_LINK_RAW);
        cap_close(c);
    }
}

/* Live capture on the loopback interface, if this process may capture: a bad filter is
 * refused with a message, and cap_break() ends a blocked read. */
static void test_live(void) {
    char err[512] = "";
    cap *c = cap_open_live("lo", "udp port 5060", err, sizeof err);
    if (!c) {
        TH_SKIP("live capture on lo not permitted here: %s", err);
        return;
    }
    CHECK(cap_linktype(c, 0) == SX_LINK_EN10MB);
    cap_break(c);
    sx_frame f;
    CHECK_INT(cap_next(c, &f), 0);
    cap_close(c);
    CHECK(cap_open_live("lo", "this is not bpf", err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "this is not bpf") != NULL, "%s", err);
    CHECK(cap_open_live("no-such-if0", NULL, err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "no-such-if0") != NULL, "%s", err);
}

/* ---- the direct reader against libpcap ---- */

/* Reads a whole capture into a summary: frame count, a hash of every frame's fields and
 * bytes, the return codes sequence end, the error message. */
typedef struct readout {
    long frames;
    uint64_t hash;
    int fails;
    int direct;
    char err[512];
} readout;

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

static int read_all(const char *path, int flags, readout *o) {
    char err[512];
    memset(o, 0, sizeof *o);
    o->hash = 0xcbf29ce484222325ULL;
    cap *c = cap_open_files_ex(&path, 1, flags, err, sizeof err);
    if (!c) {
        snprintf(o->err, sizeof o->err, "%s", err);
        return -1;
    }
    o->direct = cap_direct_read(c, 0);
    sx_frame f;
    int rc;
    while ((rc = cap_next(c, &f)) != 0) {
        if (rc < 0) {
            o->fails++;
            continue;
        }
        o->frames++;
        o->hash = mix(o->hash, (uint64_t)f.ts);
        o->hash = mix(o->hash, (uint64_t)f.caplen << 32 | f.wirelen);
        o->hash = mix(o->hash, (uint64_t)f.linktype << 32 | f.index);
        for (uint32_t i = 0; i < f.caplen; i++) o->hash = mix(o->hash, f.data[i]);
    }
    snprintf(o->err, sizeof o->err, "%s", cap_err(c));
    uint64_t done, total;
    cap_progress(c, &done, &total);
    if (done != total) o->fails += 100;
    cap_close(c);
    return 0;
}

/* Both ways must agree exactly; returns 1 if the file was read directly. */
static int same_both_ways(const char *path) {
    readout a, b;
    int ra = read_all(path, 0, &a), rb = read_all(path, CAP_LIBPCAP_ONLY, &b);
    CHECK_MSG(ra == rb, "%s: open %d vs %d", path, ra, rb);
    CHECK_MSG(a.frames == b.frames, "%s: %ld frames direct, %ld libpcap", path, a.frames, b.frames);
    CHECK_MSG(a.hash == b.hash, "%s: frames differ", path);
    CHECK_MSG(a.fails == b.fails, "%s: %d vs %d failures", path, a.fails, b.fails);
    CHECK_MSG(strcmp(a.err, b.err) == 0, "%s: \"%s\" vs \"%s\"", path, a.err, b.err);
    CHECK(!b.direct);
    return a.direct;
}

/* A record header: ts, caplen, wirelen, in the file's byte order. */
static void put32(uint8_t *p, uint32_t v, int be) {
    if (!be) put32le(p, v);
    else p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

typedef struct pspec {
    int be, nano, minor;
    uint32_t snap;
    int n;
    uint32_t caplen[8], wirelen[8];
} pspec;

static void write_spec(const char *path, const pspec *sp) {
    FILE *f = fopen(path, "wb");
    uint8_t h[24] = {0};
    put32(h, sp->nano ? 0xa1b23c4d : 0xa1b2c3d4, sp->be);
    h[sp->be ? 5 : 4] = 2, h[sp->be ? 7 : 6] = (uint8_t)sp->minor;
    put32(h + 16, sp->snap, sp->be);
    put32(h + 20, 1, sp->be);
    fwrite(h, 1, sizeof h, f);
    for (int i = 0; i < sp->n; i++) {
        uint8_t r[16];
        put32(r, 1700000000u + (uint32_t)i, sp->be);
        put32(r + 4, sp->nano ? 123456789u : 654321u, sp->be);
        put32(r + 8, sp->caplen[i], sp->be);
        put32(r + 12, sp->wirelen[i], sp->be);
        fwrite(r, 1, 16, f);
        for (uint32_t k = 0; k < sp->caplen[i] && k < 300000; k++) fputc((int)((k * 31 + (uint32_t)i) & 0xff), f);
    }
    fclose(f);
}

static void test_direct_vs_libpcap(void) {
    char a[300];
    tmp_path(a, sizeof a, "spec.pcap");
    /* little and big endian, micro and nano: read directly, and identical */
    for (int v = 0; v < 4; v++) {
        pspec sp = {.be = v & 1, .nano = v >> 1, .minor = 4, .snap = 65535, .n = 3,
                    .caplen = {60, 1514, 0}, .wirelen = {60, 1514, 0}};
        write_spec(a, &sp);
        CHECK_MSG(same_both_ways(a), "variant %d read directly", v);
    }
    /* a record longer than the snap length: libpcap cuts it to the snap length */
    pspec big = {.minor = 4, .snap = 100, .n = 3, .caplen = {60, 200, 60}, .wirelen = {60, 200, 60}};
    write_spec(a, &big);
    CHECK(same_both_ways(a));
    readout o;
    read_all(a, 0, &o);
    CHECK_INT(o.frames, 3);
    /* over 256 KiB: the source ends with libpcap's message, the frame before it delivered */
    pspec huge = {.minor = 4, .snap = 65535, .n = 2, .caplen = {60, 262145}, .wirelen = {60, 262145}};
    write_spec(a, &huge);
    CHECK(same_both_ways(a));
    read_all(a, 0, &o);
    CHECK_INT(o.frames, 1);
    CHECK_INT(o.fails, 1);
    CHECK_MSG(strstr(o.err, "spec.pcap: capture ends early (truncated or corrupt): invalid packet "
                            "capture length 262145") != NULL, "%s", o.err);
    /* cut in a record's data, in a record header, in an oversized record */
    pspec cut = {.minor = 4, .snap = 65535, .n = 4, .caplen = {60, 60, 60, 60}, .wirelen = {60, 60, 60, 60}};
    for (int k = 0; k < 3; k++) {
        pspec sp = k == 2 ? big : cut;
        write_spec(a, &sp);
        off_t len = k == 0 ? 24 + 3 * 76 + 40 : k == 1 ? 24 + 3 * 76 + 9 : 24 + 76 + 16 + 50;
        CHECK(truncate(a, len) == 0);
        CHECK(same_both_ways(a));
        read_all(a, 0, &o);
        CHECK_INT(o.fails, 1);
        CHECK_MSG(strstr(o.err, "truncated dump file") != NULL, "%s", o.err);
    }
    /* records of 200 and 150 KB: each straddles the reader's 256 KiB reads */
    pspec large = {.minor = 4, .snap = 262144, .n = 5, .caplen = {60, 200000, 150000, 262144, 60},
                   .wirelen = {60, 200000, 150000, 262144, 60}};
    write_spec(a, &large);
    CHECK(same_both_ways(a));
    /* version 2.3 (caplen and len may be swapped): left to libpcap */
    pspec v23 = {.minor = 3, .snap = 65535, .n = 1, .caplen = {60}, .wirelen = {60}};
    write_spec(a, &v23);
    CHECK(!same_both_ways(a));
    /* a header-only file: read directly, no frames, no error */
    pspec empty = {.snap = 65535, .minor = 4, .n = 0};
    write_spec(a, &empty);
    CHECK(same_both_ways(a));
    read_all(a, 0, &o);
    CHECK_INT(o.frames, 0);
    CHECK_STR(o.err, "");
}

/* A pipe is not a regular file: libpcap reads it. */
static void test_pipe_not_direct(void) {
    char a[300], fifo[300], cmd[1000], err[512];
    tmp_path(a, sizeof a, "a.pcap");
    tmp_path(fifo, sizeof fifo, "fifo");
    snprintf(cmd, sizeof cmd, "mkfifo %s && (cat %s > %s &)", fifo, a, fifo);
    if (system(cmd) != 0) {
        TH_SKIP("mkfifo failed");
        return;
    }
    const char *p = fifo;
    cap *c = cap_open_files(&p, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    CHECK(!cap_direct_read(c, 0));
    sx_frame f;
    int got = 0;
    while (cap_next(c, &f) == 1) got++;
    CHECK_INT(got, 4);
    cap_close(c);
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* ~80 MB of records read by the direct reader: the resident size does not follow the file. */
static void test_direct_memory(void) {
    char a[300], err[512];
    tmp_path(a, sizeof a, "large.pcap");
    FILE *f = fopen(a, "wb");
    uint8_t h[24] = {0}, r[16 + 1500];
    put32le(h, 0xa1b2c3d4);
    h[4] = 2, h[6] = 4;
    put32le(h + 16, 65535);
    put32le(h + 20, 1);
    fwrite(h, 1, sizeof h, f);
    memset(r, 0x5a, sizeof r);
    const int n = 64 * 1024;
    for (int i = 0; i < n; i++) {
        uint32_t len = 1000 + (uint32_t)(i * 7919) % 500; /* record boundaries drift */
        put32le(r, 1700000000u + (uint32_t)i / 1000);
        put32le(r + 4, (uint32_t)i % 1000 * 1000);
        put32le(r + 8, len);
        put32le(r + 12, 1500);
        fwrite(r, 1, 16 + len, f);
    }
    fclose(f);
    const char *p = a;
    long before = rss_kb(), peak = before;
    cap *c = cap_open_files(&p, 1, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (!c) return;
    CHECK(cap_direct_read(c, 0));
    sx_frame fr;
    long got = 0, sum = 0;
    while (cap_next(c, &fr) == 1) {
        sum += fr.data[fr.caplen - 1]; /* touch every frame's last page */
        if (++got % 4096 == 0) {
            long now = rss_kb();
            if (now > peak) peak = now;
        }
    }
    cap_close(c);
    CHECK_INT(got, n);
    CHECK_INT(sum, (long)n * 0x5a);
    CHECK_MSG(peak - before < 32 * 1024, "resident grew by %ld KiB over an 80 MB file", peak - before);
    CHECK(same_both_ways(a)); /* many reads: records cut at every possible place */
    unlink(a);
}

/* Every classic pcap of the shared corpus, read both ways: identical frames, timestamps,
 * lengths, bytes and messages. */
static int n_direct, n_compared;

static void corpus_walk(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            corpus_walk(path);
            continue;
        }
        FILE *f = fopen(path, "rb");
        uint8_t m[4] = {0};
        size_t got = f ? fread(m, 1, 4, f) : 0;
        if (f) fclose(f);
        uint32_t le = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
        uint32_t be = (uint32_t)m[3] | (uint32_t)m[2] << 8 | (uint32_t)m[1] << 16 | (uint32_t)m[0] << 24;
        int classic = got == 4 && (le == 0xa1b2c3d4 || le == 0xa1b23c4d || be == 0xa1b2c3d4 ||
                                   be == 0xa1b23c4d);
        if (!classic) continue;
        n_compared++;
        n_direct += same_both_ways(path);
    }
    if (d) closedir(d);
}

static void test_corpus_both_ways(void) {
    const char *root = th_shared();
    if (!root) {
        TH_SKIP("no shared corpus");
        return;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", root);
    corpus_walk(dir);
    CHECK_MSG(n_compared >= 30, "%d classic pcap files", n_compared);
    CHECK_MSG(n_direct >= n_compared - 3, "%d of %d read directly", n_direct, n_compared);
    if (getenv("SIPDX_VERBOSE")) printf("%d classic pcap files, %d read directly\n", n_compared, n_direct);
}

/* Differential: 1000 small files with random byte order, precision, snap length, record
 * lengths (some over the snap length or over 256 KiB) and a random cut: the direct reader
 * and libpcap must agree on every frame and every message. */
static void test_direct_random(void) {
    char a[300];
    tmp_path(a, sizeof a, "rnd.pcap");
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int direct = 0;
    for (int it = 0; it < 1000; it++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t y = x;
        static const uint32_t snaps[4] = {0, 64, 1500, 262144};
        pspec sp = {.be = (int)(y & 1), .nano = (int)(y >> 1 & 1), .minor = 4,
                    .snap = snaps[y >> 2 & 3], .n = (int)(y >> 4 & 7)};
        for (int i = 0; i < sp.n; i++) {
            y = y * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t r = (uint32_t)(y >> 33);
            sp.caplen[i] = r % 16 == 0 ? 262145 + r % 3 : r % 8 == 0 ? 3000 + r % 1000 : r % 200;
            sp.wirelen[i] = sp.caplen[i] + r % 3;
        }
        write_spec(a, &sp);
        struct stat st;
        if (stat(a, &st) == 0 && (x >> 40) % 3 == 0) /* cut somewhere */
            CHECK(truncate(a, 24 + (off_t)((x >> 20) % (uint64_t)(st.st_size - 23))) == 0);
        direct += same_both_ways(a);
    }
    CHECK_MSG(direct == 1000, "%d of 1000 read directly", direct);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sipdx-test-capture.%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0) return 1;
    test_merge();
    test_nanosecond();
    test_truncated();
    test_refused();
    test_stdin();
    test_corpus();
    test_live();
    test_direct_vs_libpcap();
    test_pipe_not_direct();
    test_direct_memory();
    test_direct_random();
    test_corpus_both_ways();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TH_END();
}
