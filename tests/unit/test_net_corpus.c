/* test_net_corpus.c -- every capture of the shared corpus through cap + net: each is read to
 * the end (or refused with a message), the tally balances, and the UDP/TCP packet counts
 * match what tshark dissects (see the table below). */
#include <dirent.h>
#include <stdlib.h>

#include "base/tally.h"
#include "capture/cap.h"
#include "harness.h"
#include "net/net.h"

typedef struct counts {
    sx_tally t;
    long udp, tcp;
    long sip_starts; /* packets whose payload begins with a SIP start line */
} counts;

/* "SIP/2.0 " or a request line ending in " SIP/2.0" (RFC 3261 §7.1, §7.2) */
static int sip_start(const uint8_t *p, size_t n) {
    if (n >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0) return 1;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') return i >= 8 && memcmp(p + i - 8, " SIP/2.0", 8) == 0;
    return 0;
}

static void on_l4(void *ud, const sx_l4 *p) {
    counts *c = ud;
    c->sip_starts += sip_start(p->payload, p->len);
    if (p->proto == SX_PROTO_UDP) {
        c->udp++;
        c->t.udp_not_sip++;
    } else {
        c->tcp++;
        c->t.tcp_segment++;
    }
}

/* Reads one file to the end. Returns -1 if it could not be opened (message in err). */
static int run_file(const char *path, counts *c, char *err, size_t errsz) {
    memset(c, 0, sizeof *c);
    cap *cp = cap_open_files(&path, 1, err, errsz);
    if (!cp) return -1;
    net *n = net_new(NULL, &c->t, on_l4, c);
    sx_frame f;
    int rc;
    while ((rc = cap_next(cp, &f)) != 0)
        if (rc > 0) net_frame(n, &f);
    net_flush(n);
    net_free(n);
    cap_close(cp);
    return 0;
}

/* Expected counts, from tshark 4.0 (Debian 12):
 *   tshark -r F | wc -l                              -> frames
 *   tshark -r F -Y 'udp && !icmp && !icmpv6' | wc -l  -> udp
 *   tshark -r F -Y 'tcp && !icmp && !icmpv6' | wc -l  -> tcp
 * (ICMP errors quote a UDP/TCP header, which tshark matches but sipdx rightly does not.)
 * Exceptions are documented per row. */
static const struct expect {
    const char *file;
    long frames, udp, tcp;
    long reassembled, tunnels; /* tshark -Y ipv6.reassembled.length; frame.protocols */
} expect[] = {
    /* every frame is SLL / IPv4 / UDP 2152 / GTP-U G-PDU; the filters above match the outer
     * UDP, so the inner packets are counted with
     *   tshark -r F -T fields -e frame.protocols | grep -cE 'gtp:ip(v6)?:udp'  -> 40
     *   tshark -r F -T fields -e frame.protocols | grep -cE 'gtp:ip(v6)?:tcp'  -> 58
     * (the other 8 carry ICMP/ICMPv6); each frame unwraps one tunnel */
    {"arkime/gtp-iphone.pcap", 106, 40, 58, 0, 106},
    {"hep/hep.pcap", 8, 8, 0, 0, 0},
    {"hep/hep3_compressed.pcapng", 21, 21, 0, 0, 0},
    {"heplify/ipip0.pcap", 8, 8, 0, 0, 0},
    {"ndpi/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 1552, 1552, 0, 0, 0},
    /* VLAN / IPv4 / GRE v1 (PPTP) / PPP / IPv4 / UDP */
    {"ndpi/gre.pcapng", 1, 1, 0, 0, 2},
    {"ndpi/sip.pcap", 112, 112, 0, 0, 0},
    {"ndpi/sip_hello.pcapng", 30, 30, 0, 0, 0},
    {"pcapplusplus/Sll2Packet.pcap", 1, 0, 1, 0, 0},
    /* only 128 of the 1296 bytes were captured, the TCP header whole: the segment is
     * delivered with what was captured (net.h, "Snap length") */
    {"pcapplusplus/SllPacket.pcap", 1, 0, 1, 0, 0},
    {"pcapplusplus/sip_resp.pcap", 7, 6, 1, 0, 0},
    {"sipnab/SIP_CALL_RTP_G711", 4269, 3583, 522, 0, 0},
    {"sipnab/sip-over-tcp.pcap", 84, 68, 16, 0, 0},
    {"sipnab/metasploit-sip-invite-spoof.pcap", 3, 2, 0, 0, 0},
    {"sipnab/sipp-branch-scenario.pcapng", 8989, 8989, 0, 0, 0},
    {"sngrep/aaa.pcap", 691, 590, 57, 0, 0},
    /* frames 2 and 3 are eth:ip:ip:tcp */
    {"sngrep/ipip.pcap", 4, 0, 4, 0, 2},
    /* 34 frames, 32 UDP: the two first fragments wait for their datagram's last one */
    {"sngrep/ipv6frag.pcap", 34, 32, 0, 2, 0},
    {"suricata-verify/sip-body-large/sip-body-large.pcap", 16, 0, 16, 0, 0},
    {"suricata-verify/sip-tcp-method/sip-tcp.pcap", 11, 0, 11, 0, 0},
    {"zeek/sip-long-request-response-paths.pcap", 2, 2, 0, 0, 0},
    {"zeek/wireshark.pcap", 81, 81, 0, 0, 0},
};

static void test_expected(const char *root) {
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const struct expect *e = &expect[i];
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/corpus/%s", root, e->file);
        counts *c = malloc(sizeof *c);
        int rc = run_file(path, c, err, sizeof err);
        CHECK_MSG(rc == 0, "%s: %s", e->file, err);
        if (rc == 0) {
            CHECK_MSG((long)c->t.frames == e->frames, "%s: %ld frames, want %ld", e->file,
                      (long)c->t.frames, e->frames);
            if (e->udp >= 0)
                CHECK_MSG(c->udp == e->udp, "%s: %ld UDP, want %ld", e->file, c->udp, e->udp);
            if (e->tcp >= 0)
                CHECK_MSG(c->tcp == e->tcp, "%s: %ld TCP, want %ld", e->file, c->tcp, e->tcp);
            CHECK_MSG(tally_check(&c->t) == 0, "%s: tally does not balance", e->file);
            CHECK_MSG((long)c->t.frag_reassembled == e->reassembled, "%s: %lu reassembled",
                      e->file, (unsigned long)c->t.frag_reassembled);
            CHECK_MSG((long)c->t.tunnel_decapsulated == e->tunnels, "%s: %lu decapsulated",
                      e->file, (unsigned long)c->t.tunnel_decapsulated);
        }
        free(c);
    }
}

/* SIP inside GTP-U: every SIP message tshark finds (PCAP_INDEX.tsv: 17 SIP frames, over
 * UDP and TCP over IPv6) starts a UDP datagram or TCP segment once unwrapped. */
static void test_gtp_sip(const char *root) {
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/corpus/arkime/gtp-iphone.pcap", root);
    counts *c = malloc(sizeof *c);
    CHECK_MSG(run_file(path, c, err, sizeof err) == 0, "%s", err);
    CHECK_INT(c->sip_starts, 17);
    free(c);
}

/* Every capture in the corpus: read, balanced, nothing lost. */
static int n_files, n_refused;

static int is_capture_name(const char *name) {
    size_t l = strlen(name);
    return strstr(name, ".pcap") || (l > 4 && strcmp(name + l - 4, ".cap") == 0) ||
           strcmp(name, "SIP_CALL_RTP_G711") == 0;
}

static void walk(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024], err[512] = "";
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        DIR *sub = opendir(path);
        if (sub) {
            closedir(sub);
            walk(path);
            continue;
        }
        if (!is_capture_name(de->d_name) || strstr(de->d_name, ".out")) continue;
        counts *c = malloc(sizeof *c);
        n_files++;
        if (run_file(path, c, err, sizeof err) != 0) {
            /* Only the Microsoft NetMon file is expected here (libpcap cannot read it). */
            n_refused++;
            CHECK_MSG(strstr(path, "c07-sip-r2.cap") != NULL, "%s refused: %s", path, err);
            CHECK_MSG(strstr(err, "c07-sip-r2.cap") != NULL, "message names the file: %s", err);
        } else {
            CHECK_MSG(tally_check(&c->t) == 0, "%s: tally does not balance", path);
            CHECK_MSG(c->t.frames > 0, "%s: no frames", path);
            /* plausibility: every corpus capture carries SIP over UDP or TCP */
            CHECK_MSG(c->udp + c->tcp > 0 || c->t.link_truncated == c->t.frames,
                      "%s: no UDP/TCP at all", path);
            CHECK_MSG(c->t.link_unsupported == 0, "%s: %lu frames of unsupported link", path,
                      (unsigned long)c->t.link_unsupported);
            if (getenv("SIPDX_VERBOSE"))
                printf("%-70s frames %6lu udp %6ld tcp %5ld held %lu reasm %lu tun %lu\n", path,
                       (unsigned long)c->t.frames, c->udp, c->tcp,
                       (unsigned long)c->t.ip_fragment_held, (unsigned long)c->t.frag_reassembled,
                       (unsigned long)c->t.tunnel_decapsulated);
        }
        free(c);
    }
    if (d) closedir(d);
}

/* Three real captures of different formats and link types read together: every frame once,
 * in time order, each with its own source's link type, the tally balanced. */
static void test_merge_real(const char *root) {
    static const char *const names[3] = {"sngrep/ipv6frag.pcap", "ndpi/sip_hello.pcapng",
                                         "heplify/ipip0.pcap"};
    static const long frames[3] = {34, 30, 8}; /* tshark -r F | wc -l */
    char buf[3][1024], err[512] = "";
    const char *paths[3];
    for (int i = 0; i < 3; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/corpus/%s", root, names[i]);
        paths[i] = buf[i];
    }
    cap *cp = cap_open_files(paths, 3, err, sizeof err);
    CHECK_MSG(cp != NULL, "%s", err);
    if (!cp) return;
    counts *c = malloc(sizeof *c);
    memset(c, 0, sizeof *c);
    net *n = net_new(NULL, &c->t, on_l4, c);
    long per[3] = {0, 0, 0};
    int ordered = 1;
    sx_time last = INT64_MIN;
    sx_frame f;
    while (cap_next(cp, &f) == 1) {
        per[f.source]++;
        if (f.ts < last) ordered = 0;
        last = f.ts;
        CHECK(f.linktype == cap_linktype(cp, f.source));
        net_frame(n, &f);
    }
    net_flush(n);
    for (int i = 0; i < 3; i++) CHECK_MSG(per[i] == frames[i], "%s: %ld", names[i], per[i]);
    CHECK(ordered);
    CHECK_INT(c->t.frames, 34 + 30 + 8);
    CHECK_INT(c->udp, 32 + 30 + 8);
    CHECK(tally_check(&c->t) == 0);
    net_free(n);
    cap_close(cp);
    free(c);
}

int main(void) {
    const char *root = th_shared();
    if (!root) {
        TH_SKIP("no shared corpus (../shared or $SIPDX_SHARED)");
        TH_END();
    }
    test_expected(root);
    test_merge_real(root);
    test_gtp_sip(root);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus", root);
    walk(dir);
    CHECK_MSG(n_files >= 54, "found %d captures", n_files);
    CHECK_INT(n_refused, 1);
    TH_END();
}
