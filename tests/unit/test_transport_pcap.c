/* test_transport_pcap.c -- reference captures read through capture -> net -> transport;
 * the number of SIP messages found is checked against tshark's count of SIP messages
 * (numbers obtained with `tshark -r F -Y sip -T fields -e sip.Method -e sip.Status-Code | wc -l`,
 * tshark 4.0 on Debian 12, one SIP message per frame in these files). */
#include "capture/cap.h"
#include "net/net.h"
#include "transport/transport.h"

#include "harness.h"

typedef struct count {
    int msgs, tcp, udp, hep;
    sx_time ts_min;
} count;

static void on_msg(void *ud, const sx_msgmeta *m, const char *buf, size_t len) {
    count *c = ud;
    (void)buf, (void)len;
    c->msgs++;
    if (m->hep) c->hep++;
    else if (m->transport == SX_T_TCP) c->tcp++;
    else if (m->transport == SX_T_UDP) c->udp++;
    if (!c->ts_min || m->ts < c->ts_min) c->ts_min = m->ts;
}

/* Reads one capture; returns 0 and fills c and tally, or -1 if it cannot be opened. */
static int run_lim(const char *shared, const char *rel, const tp_limits *lim, count *c,
                   sx_tally *tally) {
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/corpus/%s", shared, rel);
    const char *paths[1] = {path};
    memset(c, 0, sizeof *c);
    memset(tally, 0, sizeof *tally);
    cap *cp = cap_open_files(paths, 1, err, sizeof err);
    if (!cp) {
        CHECK_MSG(0, "cannot open %s: %s", path, err);
        return -1;
    }
    transport *t = tp_new(lim, tally, on_msg, c);
    net *n = net_new(NULL, tally, tp_packet_cb, t);
    sx_frame f;
    int r;
    while ((r = cap_next(cp, &f)) != 0)
        if (r > 0) net_frame(n, &f);
    net_flush(n);
    tp_flush(t);
    CHECK_MSG(tally_check(tally) == 0, "%s: frames %llu != outcomes %llu", rel,
              (unsigned long long)tally->frames,
              (unsigned long long)tally_frame_outcomes(tally));
    net_free(n);
    tp_free(t);
    cap_close(cp);
    return 0;
}

static int run(const char *shared, const char *rel, count *c, sx_tally *tally) {
    return run_lim(shared, rel, NULL, c, tally);
}

typedef struct want {
    const char *file;
    int msgs;       /* SIP messages delivered */
    int tcp;        /* of which over TCP */
} want;

/* tshark's counts. */
static const want tcp_files[] = {
    {"suricata-verify/sip-tcp-method/sip-tcp.pcap", 2, 2},
    {"suricata-verify/sip-tcp-pattern-matching/sip.pcap", 2, 2},
    {"sipnab/sip-over-tcp.pcap", 7, 7},
    {"pcapplusplus/sip_resp.pcap", 7, -1},
};

static void test_tcp_files(const char *shared) {
    for (size_t i = 0; i < sizeof tcp_files / sizeof tcp_files[0]; i++) {
        const want *w = &tcp_files[i];
        count c;
        sx_tally tally;
        if (run(shared, w->file, &c, &tally) != 0) continue;
        CHECK_MSG(c.msgs == w->msgs, "%s: %d SIP messages, tshark finds %d", w->file, c.msgs,
                  w->msgs);
        if (w->tcp >= 0)
            CHECK_MSG(c.tcp == w->tcp, "%s: %d over TCP, want %d", w->file, c.tcp, w->tcp);
        CHECK_MSG(tally.tcp_gaps == 0, "%s: %llu gaps", w->file,
                  (unsigned long long)tally.tcp_gaps);
    }
}

/* An INVITE of 65793 bytes in five segments (NULL/loopback link), then a 100 Trying. The
 * default 128 KiB max_msg finds tshark's 2 messages; a 64 KiB limit skips and counts the
 * INVITE's bytes. */
static void test_body_large(const char *shared) {
    static const char f[] = "suricata-verify/sip-body-large/sip-body-large.pcap";
    count c;
    sx_tally tally;
    if (run(shared, f, &c, &tally) != 0) return;
    CHECK_INT(c.tcp, 2);
    CHECK_INT(tally.tcp_bytes_skipped, 0);
    tp_limits lim;
    tp_limits_default(&lim);
    lim.max_msg = 64 * 1024;
    if (run_lim(shared, f, &lim, &c, &tally) != 0) return;
    CHECK_INT(c.tcp, 1);
    CHECK_INT(tally.tcp_bytes_skipped, 65793);
}

/* SIP inside GTP-U (TS 29.281): tshark finds 17 SIP messages (PCAP_INDEX.tsv), 13 over TCP
 * over IPv6 and 4 over UDP (SUBSCRIBE/405 and MESSAGE/202). */
static void test_gtp(const char *shared) {
    count c;
    sx_tally tally;
    if (run(shared, "arkime/gtp-iphone.pcap", &c, &tally) != 0) return;
    CHECK_INT(c.msgs, 17);
    CHECK_INT(c.tcp, 13);
}

/* HEP3: tshark 4.0 here has no HEP dissector, so the expected numbers come from decoding
 * each UDP payload's chunks (tshark -T fields -e udp.payload + a 10-line script):
 * hep.pcap holds 8 HEP3 packets, 6 carrying SIP (the others a syslog line and RTCP JSON);
 * hep3_compressed.pcapng holds 21, each with a zlib-compressed SIP-over-TCP payload. */
static void test_hep_files(const char *shared) {
    count c;
    sx_tally tally;
    if (run(shared, "hep/hep.pcap", &c, &tally) == 0) {
        CHECK_INT(tally.hep, 8);
        CHECK_INT(tally.hep_malformed, 0);
        CHECK_INT(c.msgs, 6);
        CHECK_INT(c.hep, 6);
        CHECK_INT(c.ts_min / SX_SEC, 0x584d365c); /* chunk 9 of the first packet */
    }
    if (run(shared, "hep/hep3_compressed.pcapng", &c, &tally) == 0) {
        CHECK_INT(tally.hep, 21);
        CHECK_INT(tally.hep_compressed, 21);
        CHECK_INT(c.msgs, 21);
        CHECK_INT(c.hep, 21);
    }
}

int main(void) {
    const char *shared = th_shared();
    if (!shared) {
        TH_SKIP("../shared not found: reference captures not checked");
        TH_END();
    }
    test_tcp_files(shared);
    test_body_large(shared);
    test_gtp(shared);
    test_hep_files(shared);
    TH_END();
}
