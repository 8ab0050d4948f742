/* gen.c -- writes a large, realistic SIP capture for the benchmark (bench/run.sh).
 *
 * A classic pcap (Ethernet / IPv4 / UDP, a share of calls over TCP) of N calls, each a
 * full ladder with realistic message sizes: INVITE with SDP (half of them signed with a
 * SHAKEN Identity header, RFC 8224/8588), 100 Trying, then one of
 *   60 % answered   180, 200+SDP, ACK, RTP, BYE, 200
 *   15 % 486 / 480  busy / no answer
 *   10 % 403        Reason: Q.850;cause=21 (call rejected)
 *    5 % 603        decline
 *    5 % 608        Call-Info ...;purpose=jwscard (RFC 8688)
 *    5 % 404
 * plus INVITE retransmissions (2 %, at T1 = 500 ms, RFC 3261 §17.1.1.2).
 *
 * Calls start at --rate per second and last up to a minute, so tens of thousands are active
 * at once. Every pending message sits in a binary heap keyed by its time, so timestamps in
 * the file are monotonic while calls interleave; the heap holds one entry per active call,
 * which bounds the generator's memory by the number of concurrent calls, not by N.
 *
 * Deterministic: the same --seed gives the same bytes. Call-IDs, tags and branches are
 * splitmix64 images of distinct counters, and splitmix64 is a bijection, so they never
 * collide.
 *
 * Build: cc -O2 -o bench/gen bench/gen.c
 * Usage: bench/gen [--calls N] [--seed S] [--rate CPS] [--rtp N] [--tcp PCT] [--mtu N] OUT.pcap
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0_SEC 1709251200ULL /* 2024-03-01 00:00:00 UTC: capture start */
#define MAX_RTP 32
#define MAX_STEPS (12 + MAX_RTP)
#define MSG_MAX 4096
#define FRAME_MAX (MSG_MAX + 128)
#define OUTBUF (4u << 20)
#define N_CARRIERS 4
#define CALLER_POOL 2000
#define TCP_MSS 1448

/* ---- random numbers: splitmix64 (a bijection on 64 bits) + a per-call stream ---- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

typedef struct { uint64_t s; } rng;

static uint64_t rnext(rng *r) { return mix64(r->s++ * 0x2545f4914f6cdd1dULL); }
/* uniform in [lo, hi] */
static uint64_t rrange(rng *r, uint64_t lo, uint64_t hi) { return lo + rnext(r) % (hi - lo + 1); }

/* ---- output: one big buffer, flushed with fwrite ---- */

typedef struct {
    FILE *f;
    unsigned char *buf;
    size_t n;
    uint64_t bytes, packets, sip_msgs, rtp_pkts, tcp_segs, frags;
    uint64_t answered, with_identity; /* ground truth to check a tool's call totals */
} out;

static void out_write(out *o, const void *p, size_t n)
{
    if (o->n + n > OUTBUF) {
        if (fwrite(o->buf, 1, o->n, o->f) != o->n) {
            perror("gen: write");
            exit(1);
        }
        o->n = 0;
    }
    memcpy(o->buf + o->n, p, n);
    o->n += n;
    o->bytes += n;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static void put_be16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static void pcap_header(out *o)
{
    unsigned char h[24];
    put_le32(h, 0xa1b2c3d4u);
    h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;       /* version 2.4 */
    put_le32(h + 8, 0); put_le32(h + 12, 0);      /* thiszone, sigfigs */
    put_le32(h + 16, 65535);                      /* snaplen */
    put_le32(h + 20, 1);                          /* LINKTYPE_ETHERNET */
    out_write(o, h, 24);
}

static void pcap_record(out *o, uint64_t t_us, const unsigned char *frame, size_t len)
{
    unsigned char h[16];
    put_le32(h, (uint32_t)(t_us / 1000000));
    put_le32(h + 4, (uint32_t)(t_us % 1000000));
    put_le32(h + 8, (uint32_t)len);
    put_le32(h + 12, (uint32_t)len);
    out_write(o, h, 16);
    out_write(o, frame, len);
    o->packets++;
}

/* ---- network layers ---- */

static const uint32_t carrier_ip[N_CARRIERS] = {
    0xC000020Au, /* 192.0.2.10    */
    0xC6336414u, /* 198.51.100.20 */
    0xCB00711Eu, /* 203.0.113.30  */
    0xC0000228u, /* 192.0.2.40    */
};
static const char *const carrier_ip_str[N_CARRIERS] = {
    "192.0.2.10", "198.51.100.20", "203.0.113.30", "192.0.2.40",
};

static unsigned ip_csum(const unsigned char *h)
{
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return ~s & 0xffff;
}

/* Ethernet + IPv4 header for `iplen` bytes of IP payload, fragment offset in bytes. */
static size_t eth_ip(unsigned char *f, int src, int dst, int proto, size_t iplen, unsigned id,
                     size_t frag_off, int more)
{
    static const unsigned char mac[N_CARRIERS][6] = {
        {0x02, 0, 0, 0, 0, 0x0a}, {0x02, 0, 0, 0, 0, 0x14},
        {0x02, 0, 0, 0, 0, 0x1e}, {0x02, 0, 0, 0, 0, 0x28},
    };
    memcpy(f, mac[dst], 6);
    memcpy(f + 6, mac[src], 6);
    f[12] = 0x08; f[13] = 0x00;
    unsigned char *ip = f + 14;
    ip[0] = 0x45; ip[1] = 0;
    put_be16(ip + 2, (unsigned)(20 + iplen));
    put_be16(ip + 4, id & 0xffff);
    put_be16(ip + 6, (unsigned)((more ? 0x2000 : 0) | (frag_off / 8)));
    ip[8] = 62; ip[9] = (unsigned char)proto;
    ip[10] = ip[11] = 0;
    put_be32(ip + 12, carrier_ip[src]);
    put_be32(ip + 16, carrier_ip[dst]);
    put_be16(ip + 10, ip_csum(ip));
    return 34;
}

/* One long-lived TCP connection per unordered carrier pair, opened on first use. */
typedef struct { int open; int client; uint32_t seq[2]; } tcp_conn;

typedef struct {
    out *o;
    unsigned ip_id;
    size_t mtu; /* 0 = never fragment (as captured with offloads on) */
    tcp_conn tcp[N_CARRIERS][N_CARRIERS];
} net;

/* A UDP datagram, split into IPv4 fragments beyond the MTU (RFC 791: offsets in 8-byte units). */
static void send_udp(net *n, uint64_t t, int src, int dst, unsigned sport, unsigned dport,
                     const void *payload, size_t len)
{
    unsigned char dgram[FRAME_MAX], frame[FRAME_MAX];
    put_be16(dgram, sport);
    put_be16(dgram + 2, dport);
    put_be16(dgram + 4, (unsigned)(8 + len));
    put_be16(dgram + 6, 0); /* no checksum: allowed over IPv4 (RFC 768) */
    memcpy(dgram + 8, payload, len);
    size_t total = 8 + len, id = n->ip_id++;
    size_t chunk = n->mtu ? ((n->mtu - 20) & ~(size_t)7) : total;
    for (size_t off = 0; off < total; off += chunk) {
        size_t part = total - off < chunk ? total - off : chunk;
        int more = off + part < total;
        size_t h = eth_ip(frame, src, dst, 17, part, (unsigned)id, off, more);
        memcpy(frame + h, dgram + off, part);
        pcap_record(n->o, t, frame, h + part);
        if (more || off)
            n->o->frags++;
    }
}

static void tcp_segment(net *n, uint64_t t, int src, int dst, unsigned sport, unsigned dport,
                        uint32_t seq, uint32_t ack, unsigned flags, const void *p, size_t len)
{
    unsigned char frame[FRAME_MAX];
    size_t h = eth_ip(frame, src, dst, 6, 20 + len, n->ip_id++, 0, 0);
    unsigned char *tcp = frame + h;
    put_be16(tcp, sport);
    put_be16(tcp + 2, dport);
    put_be32(tcp + 4, seq);
    put_be32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = (unsigned char)flags;
    put_be16(tcp + 14, 65535);
    put_be16(tcp + 16, 0); /* checksum left 0: capture tools do not verify it by default */
    put_be16(tcp + 18, 0);
    if (len)
        memcpy(tcp + 20, p, len);
    pcap_record(n->o, t, frame, h + 20 + len);
    n->o->tcp_segs++;
}

/* SIP over the pair's persistent TCP connection, segmented at the MSS; the three-way
 * handshake is written the first time the pair talks. */
static void send_tcp(net *n, uint64_t t, int src, int dst, const void *payload, size_t len)
{
    int a = src < dst ? src : dst, b = src < dst ? dst : src;
    unsigned cport = 40000 + (unsigned)(a * N_CARRIERS + b);
    tcp_conn *c = &n->tcp[a][b];
    if (!c->open) {
        c->open = 1;
        c->client = src;
        c->seq[0] = (uint32_t)mix64((uint64_t)cport);
        c->seq[1] = (uint32_t)mix64((uint64_t)cport + 7);
        int s = c->client, d = c->client == a ? b : a;
        tcp_segment(n, t, s, d, cport, 5060, c->seq[0]++, 0, 0x02, NULL, 0);
        tcp_segment(n, t, d, s, 5060, cport, c->seq[1]++, c->seq[0], 0x12, NULL, 0);
        tcp_segment(n, t, s, d, cport, 5060, c->seq[0], c->seq[1], 0x10, NULL, 0);
    }
    int dir = src == c->client ? 0 : 1;
    unsigned sport = dir == 0 ? cport : 5060, dport = dir == 0 ? 5060 : cport;
    const unsigned char *p = payload;
    for (size_t off = 0; off < len; off += TCP_MSS) {
        size_t part = len - off < TCP_MSS ? len - off : TCP_MSS;
        tcp_segment(n, t, src, dst, sport, dport, c->seq[dir], c->seq[!dir], 0x18, p + off, part);
        c->seq[dir] += (uint32_t)part;
    }
}

/* ---- text building: an appender into a fixed buffer (messages are < MSG_MAX) ---- */

typedef struct { char b[MSG_MAX]; size_t n; } txt;

static void ps(txt *t, const char *s)
{
    size_t k = strlen(s);
    if (t->n + k >= MSG_MAX) {
        fprintf(stderr, "gen: message too long\n");
        exit(1);
    }
    memcpy(t->b + t->n, s, k);
    t->n += k;
}

static void pu(txt *t, uint64_t v)
{
    char d[24];
    int i = 24;
    do { d[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    if (t->n + (size_t)(24 - i) >= MSG_MAX)
        exit(1);
    memcpy(t->b + t->n, d + i, (size_t)(24 - i));
    t->n += (size_t)(24 - i);
}

static void px(txt *t, uint64_t v, int digits)
{
    static const char hx[] = "0123456789abcdef";
    if (t->n + (size_t)digits >= MSG_MAX)
        exit(1);
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        t->b[t->n + (size_t)i] = hx[v & 15];
    t->n += (size_t)digits;
}

static void pb64url(txt *t, const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (t->n + n * 4 / 3 + 4 >= MSG_MAX)
        exit(1);
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        t->b[t->n++] = a[v >> 18]; t->b[t->n++] = a[v >> 12 & 63];
        t->b[t->n++] = a[v >> 6 & 63]; t->b[t->n++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        t->b[t->n++] = a[v >> 18]; t->b[t->n++] = a[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        t->b[t->n++] = a[v >> 18]; t->b[t->n++] = a[v >> 12 & 63]; t->b[t->n++] = a[v >> 6 & 63];
    }
}

/* ---- calls ---- */

enum outcome { O_ANSWER, O_486, O_480, O_403, O_603, O_608, O_404 };
enum kind { K_INVITE, K_100, K_180, K_200INV, K_ACK2XX, K_RTP, K_BYE, K_200BYE, K_FINAL, K_ACKERR };

typedef struct {
    uint64_t id;          /* call number: source of every identifier */
    uint64_t start;       /* µs since the epoch */
    uint64_t caller, callee; /* 10-digit NANP numbers */
    uint32_t off[MAX_STEPS]; /* µs after start, non-decreasing */
    uint8_t kind[MAX_STEPS];
    uint8_t nsteps, step, outcome, src, dst, identity, tcp, bye_from_callee, name, rtp_seq;
} call;

typedef struct { uint64_t t; uint32_t slot; uint32_t seq; } event;

typedef struct {
    uint64_t seed;
    uint64_t pool[CALLER_POOL];
    int rtp, tcp_pct;
    net n;
} world;

static uint64_t nanp(rng *r)
{
    uint64_t npa, nxx;
    do npa = rrange(r, 200, 989); while (npa % 100 == 11 || (npa / 10) % 10 == 9);
    do nxx = rrange(r, 200, 999); while (nxx % 100 == 11);
    return npa * 10000000ULL + nxx * 10000ULL + rrange(r, 0, 9999);
}

static uint64_t ident(const world *w, const call *c, uint64_t salt)
{
    return mix64(c->id * 16 + salt + w->seed * 0x9e3779b97f4a7c15ULL);
}

static void add_step(call *c, int kind, uint64_t off)
{
    c->kind[c->nsteps] = (uint8_t)kind;
    c->off[c->nsteps] = (uint32_t)off;
    c->nsteps++;
}

/* Decides the call's fate and writes its whole timeline of message offsets. */
static void call_init(world *w, call *c, uint64_t id, uint64_t start)
{
    rng r = {mix64(id ^ w->seed)};
    memset(c, 0, sizeof *c);
    c->id = id;
    c->start = start;
    c->caller = w->pool[rnext(&r) % CALLER_POOL];
    c->callee = nanp(&r);
    c->src = (uint8_t)(rnext(&r) % N_CARRIERS);
    c->dst = (uint8_t)((c->src + 1 + rnext(&r) % (N_CARRIERS - 1)) % N_CARRIERS);
    c->identity = rnext(&r) % 2 == 0;
    c->tcp = (int)(rnext(&r) % 100) < w->tcp_pct;
    c->name = (uint8_t)(rnext(&r) % 8);
    c->bye_from_callee = rnext(&r) % 2 == 0;
    unsigned p = (unsigned)(rnext(&r) % 100);
    c->outcome = p < 60 ? O_ANSWER : p < 68 ? O_486 : p < 75 ? O_480 : p < 85 ? O_403
               : p < 90 ? O_603 : p < 95 ? O_608 : O_404;
    uint64_t t = 0;
    add_step(c, K_INVITE, t);
    /* TCP is reliable: no retransmission (RFC 3261 §17.1.1.2). */
    if (!c->tcp && rnext(&r) % 100 < 2) {
        t += 500000; /* T1 */
        add_step(c, K_INVITE, t);
    }
    t += rrange(&r, 5000, 40000);
    add_step(c, K_100, t);
    switch (c->outcome) {
    case O_ANSWER: {
        t += rrange(&r, 50000, 400000);
        add_step(c, K_180, t);
        t += rrange(&r, 1000000, 15000000);
        add_step(c, K_200INV, t);
        t += rrange(&r, 20000, 80000);
        add_step(c, K_ACK2XX, t);
        uint64_t dur = rrange(&r, 1000000, 60000000);
        for (int k = 1; k <= w->rtp; k++)
            add_step(c, K_RTP, t + dur * (uint64_t)k / (uint64_t)(w->rtp + 1));
        t += dur;
        add_step(c, K_BYE, t);
        t += rrange(&r, 10000, 60000);
        add_step(c, K_200BYE, t);
        return;
    }
    case O_480: case O_603: /* rang first: no answer / the user declined */
        t += rrange(&r, 50000, 400000);
        add_step(c, K_180, t);
        t += c->outcome == O_480 ? rrange(&r, 15000000, 30000000) : rrange(&r, 2000000, 10000000);
        break;
    default: /* 486, 403, 404, 608 come back quickly */
        t += rrange(&r, 20000, 1500000);
        break;
    }
    add_step(c, K_FINAL, t);
    t += rrange(&r, 10000, 50000);
    add_step(c, K_ACKERR, t);
}

static const char *const names[8] = {
    "John Smith", "ACME Corp", "Maria Garcia", "WIRELESS CALLER",
    "Dr. Lee Office", "Pat Johnson", "City Pharmacy", "Unknown",
};

static void p_tn(txt *t, uint64_t tn) { ps(t, "+1"); pu(t, tn); }

static void p_via(const world *w, txt *t, const call *c, int from_callee, uint64_t branch)
{
    (void)w;
    ps(t, c->tcp ? "Via: SIP/2.0/TCP " : "Via: SIP/2.0/UDP ");
    ps(t, carrier_ip_str[from_callee ? c->dst : c->src]);
    ps(t, ":5060;branch=z9hG4bK");
    px(t, branch, 16);
    ps(t, c->tcp ? "\r\n" : ";rport\r\n");
}

static void p_from(const world *w, txt *t, const call *c)
{
    ps(t, "From: \""); ps(t, names[c->name]); ps(t, "\" <sip:"); p_tn(t, c->caller);
    ps(t, "@"); ps(t, carrier_ip_str[c->src]); ps(t, ";user=phone>;tag=");
    px(t, ident(w, c, 1), 12); ps(t, "\r\n");
}

static void p_to(const world *w, txt *t, const call *c, int with_tag)
{
    ps(t, "To: <sip:"); p_tn(t, c->callee); ps(t, "@"); ps(t, carrier_ip_str[c->dst]);
    ps(t, ";user=phone>");
    if (with_tag) { ps(t, ";tag="); px(t, ident(w, c, 2), 10); }
    ps(t, "\r\n");
}

static void p_callid(const world *w, txt *t, const call *c)
{
    ps(t, "Call-ID: "); px(t, ident(w, c, 0), 16); ps(t, "-"); px(t, c->id, 8);
    ps(t, "@"); ps(t, carrier_ip_str[c->src]); ps(t, "\r\n");
}

static void p_sdp(txt *b, const call *c, int answer)
{
    const char *ip = carrier_ip_str[answer ? c->dst : c->src];
    uint64_t sess = c->id * 2 + (uint64_t)answer + 100000;
    ps(b, "v=0\r\no=- "); pu(b, sess); ps(b, " "); pu(b, sess); ps(b, " IN IP4 "); ps(b, ip);
    ps(b, "\r\ns=SBC\r\nc=IN IP4 "); ps(b, ip); ps(b, "\r\nt=0 0\r\nm=audio ");
    pu(b, 20000 + (c->id * 2 % 20000) * 2); /* even RTP port (RFC 3550 §11) */
    if (answer)
        ps(b, " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n");
    else
        ps(b, " RTP/AVP 0 8 18 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
              "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n");
    ps(b, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
          "a=maxptime:40\r\na=sendrecv\r\n");
}

static void p_body(txt *t, const txt *body, const char *ctype)
{
    if (ctype) { ps(t, "Content-Type: "); ps(t, ctype); ps(t, "\r\n"); }
    ps(t, "Content-Length: "); pu(t, body ? body->n : 0); ps(t, "\r\n\r\n");
    if (body) {
        memcpy(t->b + t->n, body->b, body->n); /* both < MSG_MAX/2 by construction */
        t->n += body->n;
    }
}

/* SHAKEN PASSporT (RFC 8588): real base64url JSON claims; the signature is random bytes of
 * the right length (64, r||s), so it parses but does not verify -- there is no cert. */
static void p_identity(const world *w, txt *t, const call *c)
{
    txt j = {.n = 0};
    uint64_t u1 = ident(w, c, 5), u2 = ident(w, c, 6);
    ps(&j, "{\"attest\":\""); ps(&j, (c->id % 5) ? "A" : "B");
    ps(&j, "\",\"dest\":{\"tn\":[\"1"); pu(&j, c->callee);
    ps(&j, "\"]},\"iat\":"); pu(&j, c->start / 1000000);
    ps(&j, ",\"orig\":{\"tn\":\"1"); pu(&j, c->caller);
    ps(&j, "\"},\"origid\":\"");
    px(&j, u1 >> 32, 8); ps(&j, "-"); px(&j, u1 >> 16, 4); ps(&j, "-4"); px(&j, u1, 3);
    ps(&j, "-a"); px(&j, u2 >> 48, 3); ps(&j, "-"); px(&j, u2, 12); ps(&j, "\"}");
    unsigned char sig[64];
    for (int i = 0; i < 8; i++) {
        uint64_t v = ident(w, c, 7 + (uint64_t)i) ;
        memcpy(sig + i * 8, &v, 8);
    }
    ps(t, "Identity: eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1Ijoi"
          "aHR0cHM6Ly9jZXJ0LmV4YW1wbGUuY29tL2NlcnQucGVtIn0.");
    pb64url(t, (const unsigned char *)j.b, j.n);
    ps(t, ".");
    pb64url(t, sig, sizeof sig);
    ps(t, ";info=<https://cert.example.com/cert.pem>;alg=ES256;ppt=shaken\r\n");
}

static void p_date(txt *t, uint64_t us)
{
    char d[64];
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(d, sizeof d, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    ps(t, d);
}

static void build_invite(const world *w, txt *t, const call *c)
{
    txt sdp = {.n = 0};
    p_sdp(&sdp, c, 0);
    ps(t, "INVITE sip:"); p_tn(t, c->callee); ps(t, "@"); ps(t, carrier_ip_str[c->dst]);
    ps(t, ":5060;user=phone SIP/2.0\r\n");
    p_via(w, t, c, 0, ident(w, c, 3));
    ps(t, "Max-Forwards: 69\r\n");
    p_from(w, t, c);
    p_to(w, t, c, 0);
    p_callid(w, t, c);
    ps(t, "CSeq: 101 INVITE\r\nContact: <sip:"); p_tn(t, c->caller); ps(t, "@");
    ps(t, carrier_ip_str[c->src]); ps(t, c->tcp ? ":5060;transport=tcp>\r\n" : ":5060>\r\n");
    ps(t, "P-Asserted-Identity: \""); ps(t, names[c->name]); ps(t, "\" <sip:"); p_tn(t, c->caller);
    ps(t, "@"); ps(t, carrier_ip_str[c->src]); ps(t, ";user=phone>\r\n");
    p_date(t, c->start);
    if (c->identity)
        p_identity(w, t, c);
    ps(t, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY\r\n"
          "Supported: 100rel, timer, replaces, histinfo\r\n"
          "Session-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n"
          "User-Agent: CarrierSBC/7.2.1\r\n");
    p_body(t, &sdp, "application/sdp");
}

static const char *final_line(int outcome)
{
    switch (outcome) {
    case O_486: return "SIP/2.0 486 Busy Here\r\n";
    case O_480: return "SIP/2.0 480 Temporarily Unavailable\r\n";
    case O_403: return "SIP/2.0 403 Forbidden\r\n";
    case O_603: return "SIP/2.0 603 Decline\r\n";
    case O_608: return "SIP/2.0 608 Rejected\r\n";
    default:    return "SIP/2.0 404 Not Found\r\n";
    }
}

/* A response to the INVITE: headers copied from it (RFC 3261 §8.2.6.2). */
static void build_response(const world *w, txt *t, const call *c, int kind)
{
    ps(t, kind == K_100 ? "SIP/2.0 100 Trying\r\n" : kind == K_180 ? "SIP/2.0 180 Ringing\r\n"
          : kind == K_200INV ? "SIP/2.0 200 OK\r\n" : final_line(c->outcome));
    p_via(w, t, c, 0, ident(w, c, 3));
    p_from(w, t, c);
    p_to(w, t, c, kind != K_100);
    p_callid(w, t, c);
    ps(t, "CSeq: 101 INVITE\r\n");
    if (kind == K_180 || kind == K_200INV) {
        ps(t, "Contact: <sip:"); p_tn(t, c->callee); ps(t, "@"); ps(t, carrier_ip_str[c->dst]);
        ps(t, c->tcp ? ":5060;transport=tcp>\r\n" : ":5060>\r\n");
        ps(t, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO\r\n");
    }
    if (kind == K_FINAL && c->outcome == O_403)
        ps(t, "Reason: Q.850;cause=21;text=\"Call Rejected\"\r\n");
    if (kind == K_FINAL && c->outcome == O_608) {
        ps(t, "Call-Info: <https://analytics.example.net/jws/"); px(t, ident(w, c, 15), 16);
        ps(t, ">;purpose=jwscard\r\n");
    }
    if (kind == K_200INV)
        ps(t, "Supported: timer, replaces\r\nSession-Expires: 1800;refresher=uac\r\nRequire: timer\r\n");
    ps(t, "Server: CarrierSBC/7.2.1\r\n");
    if (kind == K_200INV) {
        txt sdp = {.n = 0};
        p_sdp(&sdp, c, 1);
        p_body(t, &sdp, "application/sdp");
    } else {
        p_body(t, NULL, NULL);
    }
}

/* ACK (both kinds), BYE and the 200 to BYE. */
static void build_dialog(const world *w, txt *t, const call *c, int kind)
{
    int callee_side = (kind == K_BYE && c->bye_from_callee) || (kind == K_200BYE && !c->bye_from_callee);
    int req_from_callee = c->bye_from_callee && (kind == K_BYE || kind == K_200BYE);
    uint64_t branch = kind == K_ACKERR ? ident(w, c, 3) : ident(w, c, kind == K_ACK2XX ? 12 : 13);
    if (kind == K_200BYE) {
        ps(t, "SIP/2.0 200 OK\r\n");
    } else {
        /* non-2xx ACK goes to the INVITE's Request-URI (§17.1.1.3); 2xx ACK and BYE to the
         * peer's Contact (§12.2.1.1) */
        uint64_t tn = req_from_callee ? c->caller : c->callee;
        ps(t, kind == K_BYE ? "BYE sip:" : "ACK sip:"); p_tn(t, tn); ps(t, "@");
        ps(t, carrier_ip_str[req_from_callee ? c->src : c->dst]);
        ps(t, kind == K_ACKERR ? ":5060;user=phone SIP/2.0\r\n" : ":5060 SIP/2.0\r\n");
    }
    (void)callee_side;
    p_via(w, t, c, req_from_callee, branch);
    ps(t, "Max-Forwards: 70\r\n");
    if (req_from_callee) {
        /* From/To swap for a request sent by the callee (§12.2.1.1) */
        ps(t, "From: <sip:"); p_tn(t, c->callee); ps(t, "@"); ps(t, carrier_ip_str[c->dst]);
        ps(t, ";user=phone>;tag="); px(t, ident(w, c, 2), 10); ps(t, "\r\nTo: \"");
        ps(t, names[c->name]); ps(t, "\" <sip:"); p_tn(t, c->caller); ps(t, "@");
        ps(t, carrier_ip_str[c->src]); ps(t, ";user=phone>;tag="); px(t, ident(w, c, 1), 12);
        ps(t, "\r\n");
    } else {
        p_from(w, t, c);
        p_to(w, t, c, 1);
    }
    p_callid(w, t, c);
    ps(t, kind == K_ACKERR ? "CSeq: 101 ACK\r\n" : kind == K_ACK2XX ? "CSeq: 101 ACK\r\n"
          : req_from_callee ? "CSeq: 2001 BYE\r\n" : "CSeq: 102 BYE\r\n");
    if (kind == K_BYE)
        ps(t, "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n");
    ps(t, kind == K_200BYE ? "Server: CarrierSBC/7.2.1\r\n" : "User-Agent: CarrierSBC/7.2.1\r\n");
    p_body(t, NULL, NULL);
}

/* Which side sends this message: 0 = caller's carrier (src), 1 = callee's (dst). */
static int sent_by_callee(const call *c, int kind)
{
    switch (kind) {
    case K_100: case K_180: case K_200INV: case K_FINAL: return 1;
    case K_BYE: return c->bye_from_callee;
    case K_200BYE: return !c->bye_from_callee;
    default: return 0;
    }
}

static void send_rtp(world *w, uint64_t t, call *c)
{
    unsigned char p[12 + 160];
    int from_callee = c->rtp_seq & 1;
    p[0] = 0x80; p[1] = 0; /* V=2, PT 0 = PCMU (RFC 3551) */
    put_be16(p + 2, c->rtp_seq);
    put_be32(p + 4, (uint32_t)(t / 125));
    put_be32(p + 8, (uint32_t)ident(w, c, (uint64_t)(10 + from_callee)));
    memset(p + 12, 0xff, 160); /* mu-law silence */
    unsigned port = 20000 + (unsigned)(c->id * 2 % 20000) * 2;
    int s = from_callee ? c->dst : c->src, d = from_callee ? c->src : c->dst;
    send_udp(&w->n, t, s, d, port, port, p, sizeof p);
    c->rtp_seq++;
    w->n.o->rtp_pkts++;
}

static void emit(world *w, uint64_t t, call *c)
{
    int kind = c->kind[c->step];
    if (kind == K_RTP) {
        send_rtp(w, t, c);
        return;
    }
    txt m = {.n = 0};
    if (kind == K_INVITE)
        build_invite(w, &m, c);
    else if (kind == K_100 || kind == K_180 || kind == K_200INV || kind == K_FINAL)
        build_response(w, &m, c, kind);
    else
        build_dialog(w, &m, c, kind);
    int rev = sent_by_callee(c, kind);
    int s = rev ? c->dst : c->src, d = rev ? c->src : c->dst;
    if (c->tcp)
        send_tcp(&w->n, t, s, d, m.b, m.n);
    else
        send_udp(&w->n, t, s, d, 5060, 5060, m.b, m.n);
    w->n.o->sip_msgs++;
}

/* ---- the event heap (min-heap on time; seq breaks ties so output is deterministic) ---- */

typedef struct { event *e; size_t n, cap; } heap;

static int ev_less(const event *a, const event *b) { return a->t < b->t || (a->t == b->t && a->seq < b->seq); }

static void heap_push(heap *h, event ev)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 4096;
        h->e = realloc(h->e, h->cap * sizeof *h->e);
        if (!h->e) { perror("gen"); exit(1); }
    }
    size_t i = h->n++;
    while (i && ev_less(&ev, &h->e[(i - 1) / 2])) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = ev;
}

static event heap_pop(heap *h)
{
    event top = h->e[0], last = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const event *best = &last;
        if (l < h->n && ev_less(&h->e[l], best)) { m = l; best = &h->e[l]; }
        if (l + 1 < h->n && ev_less(&h->e[l + 1], best)) m = l + 1;
        if (m == i) break;
        h->e[i] = h->e[m];
        i = m;
    }
    if (h->n)
        h->e[i] = last;
    return top;
}

/* ---- slots for active calls (free list; grows to the peak concurrency only) ---- */

typedef struct { call *c; uint32_t *free; size_t n, cap, nfree, peak; } slots;

static uint32_t slot_get(slots *s)
{
    if (s->nfree)
        return s->free[--s->nfree];
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->c = realloc(s->c, s->cap * sizeof *s->c);
        s->free = realloc(s->free, s->cap * sizeof *s->free);
        if (!s->c || !s->free) { perror("gen"); exit(1); }
    }
    if (s->n + 1 > s->peak)
        s->peak = s->n + 1;
    return (uint32_t)s->n++;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gen [--calls N] [--seed S] [--rate CPS] [--rtp N] [--tcp PCT] [--mtu N] OUT.pcap\n"
            "  --calls N   calls to generate (default 1000000)\n"
            "  --seed S    random seed (default 1); same seed, same bytes\n"
            "  --rate CPS  new calls per second (default 1000)\n"
            "  --rtp N     RTP packets per answered call, 0..%d (default 5)\n"
            "  --tcp PCT   percent of calls carried over TCP (default 5)\n"
            "  --mtu N     fragment UDP datagrams above this IP MTU; 0 = never (default 1500)\n",
            MAX_RTP);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t ncalls = 1000000, rate = 1000;
    world w = {.seed = 1, .rtp = 5, .tcp_pct = 5};
    size_t mtu = 1500;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && a[0] == '-' && a[1] == '-') {
            unsigned long long v = strtoull(argv[++i], NULL, 10);
            if (!strcmp(a, "--calls")) ncalls = v;
            else if (!strcmp(a, "--seed")) w.seed = v;
            else if (!strcmp(a, "--rate") && v > 0) rate = v;
            else if (!strcmp(a, "--rtp") && v <= MAX_RTP) w.rtp = (int)v;
            else if (!strcmp(a, "--tcp") && v <= 100) w.tcp_pct = (int)v;
            else if (!strcmp(a, "--mtu") && (v == 0 || (v >= 576 && v <= 9000))) mtu = (size_t)v;
            else usage();
        } else if (!path && a[0] != '-') {
            path = a;
        } else {
            usage();
        }
    }
    if (!path)
        usage();

    out o = {.f = fopen(path, "wb"), .buf = malloc(OUTBUF)};
    if (!o.f || !o.buf) { perror(path); return 1; }
    w.n.o = &o;
    w.n.mtu = mtu;
    rng pr = {mix64(w.seed * 31 + 7)};
    for (int i = 0; i < CALLER_POOL; i++)
        w.pool[i] = nanp(&pr);
    pcap_header(&o);

    heap h = {0};
    slots s = {0};
    rng ar = {mix64(w.seed + 12345)};
    uint64_t next_start = T0_SEC * 1000000ULL, started = 0, seq = 0, last_t = 0;
    uint64_t mean_gap = 1000000 / rate;
    size_t peak_active = 0;
    while (started < ncalls || h.n) {
        if (started < ncalls && (!h.n || next_start <= h.e[0].t)) {
            uint32_t k = slot_get(&s);
            call_init(&w, &s.c[k], started, next_start);
            heap_push(&h, (event){next_start, k, (uint32_t)seq++});
            o.answered += s.c[k].outcome == O_ANSWER;
            o.with_identity += s.c[k].identity;
            started++;
            /* arrivals jitter around the rate: uniform in [0, 2*mean] keeps the mean */
            next_start += mean_gap ? rrange(&ar, 0, 2 * mean_gap) : 0;
            if (h.n > peak_active)
                peak_active = h.n;
            continue;
        }
        event ev = heap_pop(&h);
        call *c = &s.c[ev.slot];
        if (ev.t < last_t) { fprintf(stderr, "gen: time went backwards\n"); return 1; }
        last_t = ev.t;
        emit(&w, ev.t, c);
        if (++c->step < c->nsteps)
            heap_push(&h, (event){c->start + c->off[c->step], ev.slot, (uint32_t)seq++});
        else
            s.free[s.nfree++] = ev.slot;
    }
    if (o.n && fwrite(o.buf, 1, o.n, o.f) != o.n) { perror(path); return 1; }
    if (fclose(o.f)) { perror(path); return 1; }
    printf("calls %llu  answered %llu  failed %llu  with_identity %llu  packets %llu  sip_messages %llu  rtp_packets %llu  tcp_segments %llu  "
           "ip_fragments %llu  bytes %llu  peak_active_calls %zu  duration_s %.1f\n",
           (unsigned long long)ncalls, (unsigned long long)o.answered,
           (unsigned long long)(ncalls - o.answered), (unsigned long long)o.with_identity,
           (unsigned long long)o.packets,
           (unsigned long long)o.sip_msgs, (unsigned long long)o.rtp_pkts,
           (unsigned long long)o.tcp_segs, (unsigned long long)o.frags,
           (unsigned long long)o.bytes, peak_active,
           (double)(last_t - T0_SEC * 1000000ULL) / 1e6);
    free(o.buf); free(h.e); free(s.c); free(s.free);
    return 0;
}
