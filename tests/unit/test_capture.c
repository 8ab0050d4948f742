/* test_capture.c -- the source stage: files merged in time order, truncated files end with a
 * message after delivering what was readable, non-captures are refused naming the file,
 * stdin, nanosecond files, pcapng timestamps, progress. Captures are written at test time
 * under /tmp. */
#include <stdlib.h>
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
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TH_END();
}
