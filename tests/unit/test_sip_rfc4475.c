/* test_sip_rfc4475.c -- the RFC 4475 SIP torture messages (../shared/corpus/rfc4475).
 *
 * Each message is copied so that it ends exactly where an unreadable page begins, so any
 * read past the buffer faults at once (picohttpparser's test trick). Valid, transaction,
 * application and back-compat messages must parse with the fields checked below; every
 * invalid one must fail with the code chosen for it. Then every prefix of every message is
 * parsed (datagram and stream) with every typed accessor run on every header: no crash, and a
 * stream prefix is never taken for a whole message.
 */
#include "sip/sip.h"
#include "harness.h"

#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#define OK 1 /* "parses": the result is > 0 */

static sip_msg M;

/* ---- a buffer that ends at a PROT_NONE page ---- */

static char *g_base;
static size_t g_data; /* readable bytes before the guard page */

static int guard_init(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    g_data = 16 * page;
    g_base = mmap(NULL, g_data + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g_base == MAP_FAILED) return -1;
    return mprotect(g_base + g_data, page, PROT_NONE);
}

/* Copies n bytes so that they end at the guard page; returns where they start. */
static const char *guard_place(const char *data, size_t n) {
    char *p = g_base + g_data - n;
    memcpy(p, data, n);
    return p;
}

/* ---- per-file field checks ---- */

static int count_values(int id) {
    sip_vit it = {0};
    sx_sv v;
    int k = 0;
    while (sip_next_value(&M, id, &it, &v)) k++;
    return k;
}

static sx_sv nth_value(int id, int n) {
    sip_vit it = {0};
    sx_sv v = SX_SV_NULL;
    for (int k = 0; k <= n; k++)
        if (!sip_next_value(&M, id, &it, &v)) return SX_SV_NULL;
    return v;
}

static void check_wsinv(void) {
    CHECK_SV(M.method, "INVITE");
    CHECK_SV(M.ruri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    CHECK_SV(M.call_id, "wsinv.ndaksdj@192.0.2.1");
    CHECK_INT(M.cseq, 9); /* "0009\r\n  INVITE": leading zeros and a folded CSeq */
    CHECK_SV(M.cseq_method, "INVITE");
    CHECK_INT(M.content_length, 150);
    CHECK_INT(M.body.n, 150);
    CHECK(M.warn & SIP_W_FOLDED);
    CHECK_SV(sip_hdr_first(&M, SIP_H_MAX_FORWARDS), "0068");
    CHECK_SV(sip_hdr_first(&M, SIP_H_SUBJECT), ""); /* "s :" */
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK_SV(na.uri, "sip:vivekg@chair-dnrc.example.com");
    CHECK_SV(na.tag, "1918181833n");
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_SV(na.display, "J Rosenberg \\\\\\\"");
    CHECK_SV(na.uri, "sip:jdrosen@example.com");
    CHECK_SV(na.tag, "98asjd8");
    CHECK_INT(count_values(SIP_H_VIA), 3); /* "Via  :" and "v:" with two values */
    static const char *const host[] = {"192.0.2.2", "spindle.example.com", "192.168.255.111"};
    static const char *const tr[] = {"UDP", "TCP", "UDP"};
    static const char *const br[] = {"390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"};
    for (int i = 0; i < 3; i++) {
        sip_via v;
        CHECK_INT(sip_parse_via(nth_value(SIP_H_VIA, i), &v), 0);
        CHECK_SV(v.host, host[i]);
        CHECK_SV(v.transport, tr[i]);
        CHECK_SV(v.branch, br[i]);
        CHECK_SV(v.version, "2.0");
    }
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_CONTACT), &na), 0); /* "m:" */
    CHECK_SV(na.display, "Quoted string \\\"\\\"");
    sx_sv pv;
    CHECK_INT(sip_param(na.params, "newparam", &pv), 1);
    CHECK_SV(pv, "newvalue");
    CHECK_INT(sip_param(na.params, "q", &pv), 1);
    CHECK_SV(pv, "0.33");
    CHECK_INT(sip_param(na.params, "secondparam", &pv), 1);
    sx_sv nf = sip_hdr_by_name(&M, "newfangledheader");
    CHECK_SV(nf, "newfangled value\r\n continued newfangled value");
    CHECK_SV(sip_hdr_by_name(&M, "UnknownHeaderWithUnusualValue"), ";;,,;;,;");
    CHECK_SV(sip_hdr_first(&M, SIP_H_ROUTE),
             "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>");
}

static void check_intmeth(void) {
    CHECK_SV(M.method, "!interesting-Method0123456789_*+`.%indeed'~");
    CHECK_INT(M.method_id, SIP_M_OTHER);
    CHECK_INT(M.cseq, 139122385);
    CHECK(sx_sv_eq(M.cseq_method, "!interesting-Method0123456789_*+`.%indeed'~"));
    sip_uri u;
    CHECK_INT(sip_parse_uri(M.ruri, &u), 0);
    CHECK_SV(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    CHECK_SV(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    CHECK_SV(u.host, "example.com");
    CHECK(u.headers.p == NULL);
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    static const char disp[] = "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f"; /* escaped controls */
    CHECK(na.display.n == sizeof disp - 1 && memcmp(na.display.p, disp, sizeof disp - 1) == 0);
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_SV(na.display, "token1~` token2'+_ token3*%!.-");
    CHECK_SV(na.uri, "sip:mundane@example.com");
    CHECK_SV(na.tag, "_token~1'+`*%!-.");
    sx_sv fp;
    CHECK_INT(sip_param(na.params, "fromParam''~+*_!.-%", &fp), 1);
    CHECK_SV(fp, "\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9");
    CHECK_SV(M.call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    CHECK_SV(sip_hdr_first(&M, SIP_H_MAX_FORWARDS), "255");
    CHECK_SV(sip_hdr_by_name(&M, "extensionHeader-!.%*+_`'~"),
             "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
}

static void check_esc01(void) {
    sip_uri u;
    CHECK_INT(sip_parse_uri(M.ruri, &u), 0);
    CHECK_SV(u.user, "sips%3Auser%40example.com");
    CHECK_SV(u.host, "example.net");
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_SV(na.uri, "sip:I%20have%20spaces@example.net");
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_CONTACT), &na), 0);
    CHECK_INT(sip_parse_uri(na.uri, &u), 0);
    CHECK_SV(u.user, "cal%6Cer");
    CHECK_SV(u.params, "%6C%72;n%61me=v%61lue%25%34%31");
    CHECK_SV(sip_hdr_first(&M, SIP_H_CONTENT_TYPE), "application/sdp"); /* "C:" */
    CHECK(M.warn & SIP_W_FOLDED);
}

static void check_escnull(void) {
    sip_naddr na;
    sip_uri u;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK_INT(sip_parse_uri(na.uri, &u), 0);
    CHECK_SV(u.user, "null-%00-null");
    CHECK_INT(count_values(SIP_H_CONTACT), 2);
    CHECK_INT(M.content_length, 0); /* "L:0" */
}

static void check_esc02(void) {
    CHECK_SV(M.method, "RE%47IST%45R");
    CHECK_INT(M.method_id, SIP_M_OTHER); /* not REGISTER: % is no escape in a method */
    CHECK_SV(M.cseq_method, "RE%47IST%45R");
    CHECK_INT(count_values(SIP_H_CONTACT), 2); /* C%6Fntact is another header */
    CHECK_SV(sip_hdr_by_name(&M, "C%6Fntact"), "<sip:alias2@host2.example.com>");
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK_SV(na.display, "%Z%45");
    sip_via v;
    CHECK_INT(sip_parse_via(sip_hdr_first(&M, SIP_H_VIA), &v), 0);
    CHECK_SV(v.branch, "z9hG4bK209%fzsnel234");
}

static void check_lwsdisp(void) {
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_SV(na.display, "caller");
    CHECK_SV(na.uri, "sip:caller@example.com");
    CHECK_SV(na.tag, "323");
}

static void check_longreq(void) {
    CHECK_INT(count_values(SIP_H_VIA), 34);
    sip_via v;
    CHECK_INT(sip_parse_via(nth_value(SIP_H_VIA, 33), &v), 0);
    CHECK_SV(v.host, "host.example.com");
    CHECK_SV(v.received, "192.0.2.5");
    CHECK_INT(v.branch.n, 215);
    CHECK_INT(M.content_length, 150); /* "l: 150" */
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK(sx_sv_istarts(na.display, "I have a user name of extremeextreme"));
    sip_uri u;
    CHECK_INT(sip_parse_uri(na.uri, &u), 0);
    CHECK_INT(u.port, 6000);
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0); /* "F:" */
    CHECK_INT(na.tag.n, 155);
    CHECK(sx_sv_istarts(M.call_id, "longreq.onereallyreally"));
}

static void check_dblreq(void) {
    CHECK_SV(M.method, "REGISTER"); /* the first request only */
    CHECK_SV(M.call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412"); /* "I:" */
    CHECK_INT(M.body.n, 0);
    CHECK(M.warn & SIP_W_TRAILING);
}

static void check_semiuri(void) {
    sip_uri u;
    CHECK_INT(sip_parse_uri(M.ruri, &u), 0);
    CHECK_SV(u.user, "user;par=u%40example.net");
    CHECK_SV(u.host, "example.com");
    char e[16];
    CHECK_INT(sip_e164(u.user, e), 0);
    CHECK(M.warn & SIP_W_FOLDED); /* the Accept header */
}

static void check_transports(void) {
    static const char *const tr[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    CHECK_INT(count_values(SIP_H_VIA), 5);
    for (int i = 0; i < 5; i++) {
        sip_via v;
        CHECK_INT(sip_parse_via(nth_value(SIP_H_VIA, i), &v), 0);
        CHECK_SV(v.transport, tr[i]);
    }
    CHECK_SV(M.call_id, "transports.kijh4akdnaqjkwendsasfdj");
}

static void check_mpart01(void) {
    CHECK_SV(M.method, "MESSAGE");
    CHECK_INT(M.content_length, 553);
    CHECK_INT(M.body.n, 553);
    CHECK(memchr(M.body.p, 0, M.body.n) != NULL); /* the binary S/MIME part is kept */
    CHECK_INT(sip_hdr_first(&M, SIP_H_IDENTITY).n, 172);
    sip_via v;
    CHECK_INT(sip_parse_via(sip_hdr_first(&M, SIP_H_VIA), &v), 0);
    CHECK_INT(v.port, 5070);
    CHECK_INT(v.has_rport, 1);
    CHECK_SV(sip_hdr_first(&M, SIP_H_DATE), "Sat, 15 Oct 2005 04:44:56 GMT");
}

static void check_unreason(void) {
    CHECK_INT(M.status, 200);
    CHECK(sx_sv_istarts(M.reason, "= 2**3 * 5**2 \xd0\xbd\xd0\xbe"));
    CHECK_INT(M.body.n, 154);
}

static void check_noreason(void) {
    CHECK_INT(M.status, 100);
    CHECK_INT(M.reason.n, 0);
    CHECK_SV(M.cseq_method, "INVITE");
}

static void check_inv2543(void) {
    CHECK(M.warn & SIP_W_NO_CLEN);
    CHECK_INT(M.content_length, -1);
    CHECK(sx_sv_istarts(M.body, "v=0\r\n"));
    CHECK_INT(M.body.n, M.len - (size_t)(M.body.p - M.start_line.p));
    sip_via v;
    CHECK_INT(sip_parse_via(sip_hdr_first(&M, SIP_H_VIA), &v), 0);
    CHECK_INT(v.branch.n, 0); /* RFC 2543: no branch */
    sip_naddr na;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_TO), &na), 0);
    CHECK_SV(na.uri, "sip:+16505552222@ss1.example.net");
    CHECK_SV(na.params, "user=phone");
    sip_uri u;
    char e[16];
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_FROM), &na), 0);
    CHECK_INT(sip_parse_uri(na.uri, &u), 0);
    CHECK_INT(sip_e164(u.user, e), 11);
    CHECK_STR(e, "13035551111");
    CHECK_INT(na.tag.n, 0);
}

static void check_multi01(void) {
    CHECK(M.warn & SIP_W_MULTI_CALLID);
    CHECK_SV(M.call_id, "multi01.98asdh@192.0.2.1"); /* the first one */
    CHECK_INT(M.cseq, 5);
}

static void check_mcl01(void) {
    CHECK(M.warn & SIP_W_MULTI_CLEN);
    CHECK_INT(M.content_length, 13);
    CHECK_SV(M.body, "There's no wa");
}

static void check_zeromf(void) { CHECK_SV(sip_hdr_first(&M, SIP_H_MAX_FORWARDS), "0"); }

static void check_unkscm(void) {
    sip_uri u;
    CHECK_INT(sip_parse_uri(M.ruri, &u), 0);
    CHECK_SV(u.scheme, "nobodyKnowsThisScheme");
    CHECK_SV(u.rest, "totallyopaquecontent");
}

static void check_regescrt(void) {
    sip_naddr na;
    sip_uri u;
    CHECK_INT(sip_parse_naddr(sip_hdr_first(&M, SIP_H_CONTACT), &na), 0); /* "M:" */
    CHECK_INT(sip_parse_uri(na.uri, &u), 0);
    CHECK_SV(u.headers, "Route=%3Csip:sip.example.com%3E");
}

/* dgram / stream: the expected result of sip_parse in each mode. */
static const struct {
    const char *file;
    int dgram, stream;
    void (*check)(void);
} expect[] = {
    {"wsinv.dat", OK, OK, check_wsinv},
    {"intmeth.dat", OK, OK, check_intmeth},
    {"esc01.dat", OK, OK, check_esc01},
    {"escnull.dat", OK, OK, check_escnull},
    {"esc02.dat", OK, OK, check_esc02},
    {"lwsdisp.dat", OK, OK, check_lwsdisp},
    {"longreq.dat", OK, OK, check_longreq},
    {"dblreq.dat", OK, OK, check_dblreq},
    {"semiuri.dat", OK, OK, check_semiuri},
    {"transports.dat", OK, OK, check_transports},
    {"mpart01.dat", OK, OK, check_mpart01},
    {"unreason.dat", OK, OK, check_unreason},
    {"noreason.dat", OK, OK, check_noreason},
    {"badinv01.dat", SIP_EVIA, SIP_EVIA, NULL},         /* Via: ...;;,;,, */
    {"clerr.dat", SIP_ECLEN, SIP_EINCOMPLETE, NULL},    /* 9999 > datagram */
    {"ncl.dat", SIP_ECLEN, SIP_ECLEN, NULL},            /* -999 */
    {"scalar02.dat", SIP_ECSEQ, SIP_ECSEQ, NULL},       /* CSeq > 2**32 */
    {"scalarlg.dat", SIP_ECSEQ, SIP_ECSEQ, NULL},       /* CSeq > 2**64 */
    {"quotbal.dat", SIP_EFROMTO, SIP_EFROMTO, NULL},    /* To: "Mr. J. User <... */
    {"ltgtruri.dat", SIP_EURI, SIP_EURI, NULL},         /* INVITE <sip:...> */
    {"lwsruri.dat", SIP_EURI, SIP_EURI, NULL},          /* sip:user@example.com; lr */
    {"lwsstart.dat", SIP_ESTARTLINE, SIP_ESTARTLINE, NULL}, /* two SPs */
    {"trws.dat", SIP_ESTARTLINE, SIP_ESTARTLINE, NULL}, /* SIP/2.0 + SPs */
    {"escruri.dat", SIP_EURI, SIP_EURI, NULL},          /* ?Route= in the Request-URI */
    {"baddate.dat", SIP_EDATE, SIP_EDATE, NULL},        /* EST */
    {"regbadct.dat", SIP_ECONTACT, SIP_ECONTACT, NULL}, /* Contact: sip:...?Route=... */
    {"badaspec.dat", SIP_EFROMTO, SIP_EFROMTO, NULL},   /* To: "Watson, Thomas" < sip:... > */
    /* The stored copy lacks the final blank line: a stream waits for it. */
    {"baddn.dat", SIP_EFROMTO, SIP_EINCOMPLETE, NULL},  /* From: Bell, Alexander <...> */
    {"badvers.dat", SIP_EVERSION, SIP_EVERSION, NULL},  /* SIP/7.0 */
    {"mismatch01.dat", SIP_EMETHOD, SIP_EMETHOD, NULL}, /* OPTIONS vs CSeq INVITE */
    {"mismatch02.dat", SIP_EMETHOD, SIP_EMETHOD, NULL}, /* NEWMETHOD vs CSeq INVITE */
    {"bigcode.dat", SIP_ESTATUS, SIP_ESTATUS, NULL},    /* 4294967301 */
    {"badbranch.dat", OK, OK, NULL},
    /* §3.3.1 lacks Call-ID, From, To: call consumers cannot use it, so it is refused (the
     * RFC itself expects a 400). */
    {"insuf.dat", SIP_ECALLID, SIP_ECALLID, NULL},
    {"multi01.dat", OK, OK, check_multi01},
    {"mcl01.dat", OK, OK, check_mcl01},
    {"zeromf.dat", OK, OK, check_zeromf},
    {"unkscm.dat", OK, OK, check_unkscm},
    {"regescrt.dat", OK, OK, check_regescrt},
    {"inv2543.dat", OK, SIP_ECLEN, check_inv2543}, /* no Content-Length: fine on UDP only */
    /* not RFC 4475: resiprocate's "INVITE sip:alan@jasomi.com" without a version */
    {"extra_resiprocate_test.dat", SIP_ESTARTLINE, SIP_ESTARTLINE, NULL},
};

static int find_expect(const char *name) {
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (strcmp(expect[i].file, name) == 0) return (int)i;
    return -1;
}

/* Runs every accessor on every header kept: they must stay inside the buffer. */
static void run_accessors(void) {
    for (int i = 0; i < M.nhdrs; i++) {
        sx_sv v = M.hdrs[i].value;
        sip_uri u;
        sip_naddr na;
        sip_via via;
        sip_reason r;
        sip_callinfo ci;
        sip_warning w;
        uint32_t s;
        char e[16];
        sx_sv pv;
        sip_parse_uri(v, &u);
        if (sip_parse_naddr(v, &na) == 0 && sip_parse_uri(na.uri, &u) == 0) sip_e164(u.user, e);
        sip_parse_via(v, &via);
        sip_parse_reason(v, &r);
        sip_parse_callinfo(v, &ci);
        sip_parse_warning(v, &w);
        sip_parse_retry_after(v, &s);
        sip_param(v, "tag", &pv);
        sip_e164(v, e);
    }
    for (int id = 0; id < SIP_H__COUNT; id++) {
        sip_vit it = {0};
        sx_sv v;
        int guard = 0;
        while (sip_next_value(&M, id, &it, &v) && guard++ < 10000) {
        }
    }
}

static int is_good_class(const char *dir) {
    return strncmp(dir, "valid", 5) == 0 || strncmp(dir, "transaction", 11) == 0 ||
           strncmp(dir, "application", 11) == 0 || strncmp(dir, "backcompat", 10) == 0;
}

static char g_file[1 << 16];

static void test_file(const char *path, const char *dir, const char *name) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECK_MSG(0, "cannot open %s", path);
        return;
    }
    size_t n = fread(g_file, 1, sizeof g_file, f);
    fclose(f);
    if (n > g_data) {
        CHECK_MSG(0, "%s is larger than the test buffer", path);
        return;
    }
    int x = find_expect(name);
    const char *b = guard_place(g_file, n);
    int rs = sip_parse(b, n, SIP_P_STREAM, &M);
    run_accessors();
    int rd = sip_parse(b, n, 0, &M);
    run_accessors();
    if (x < 0) { /* a file nobody wrote expectations for: at least its class */
        int good = is_good_class(dir);
        CHECK_MSG(good ? rd > 0 : rd < 0, "%s/%s: %d (%s)", dir, name, rd, sip_err_name(rd));
    } else {
        int wd = expect[x].dgram, ws = expect[x].stream;
        CHECK_MSG(wd == OK ? rd > 0 : rd == wd, "%s datagram: got %d (%s), want %s", name, rd,
                  sip_err_name(rd), wd == OK ? "success" : sip_err_name(wd));
        CHECK_MSG(ws == OK ? rs > 0 : rs == ws, "%s stream: got %d (%s), want %s", name, rs,
                  sip_err_name(rs), ws == OK ? "success" : sip_err_name(ws));
        if (rd > 0 && expect[x].check) expect[x].check();
    }
    if (rd > 0) CHECK_MSG((size_t)rd == n || (M.warn & SIP_W_TRAILING), "%s: consumed %d of %zu", name, rd, n);
    printf("  %-28s datagram %-14s stream %s\n", name, rd > 0 ? "ok" : sip_err_name(rd),
           rs > 0 ? "ok" : sip_err_name(rs));

    /* Every prefix: never a crash; a stream prefix shorter than the message never parses. */
    int bad = 0;
    for (size_t k = 0; k <= n; k++) {
        const char *p = guard_place(g_file, k);
        int r = sip_parse(p, k, SIP_P_STREAM, &M);
        run_accessors();
        if (r > 0 && rs > 0 && r != rs) bad++;
        if (r > 0 && (size_t)r > k) bad++;
        r = sip_parse(p, k, 0, &M);
        run_accessors();
        if (r > 0 && (size_t)r > k) bad++;
    }
    CHECK_MSG(bad == 0, "%s: %d prefixes parsed wrongly", name, bad);
}

static int test_dir(const char *root, const char *sub) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, sub);
    DIR *d = opendir(path);
    if (!d) return 0;
    int nfiles = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.') continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            char s2[1024];
            snprintf(s2, sizeof s2, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
            nfiles += test_dir(root, s2);
        } else if (l > 4 && strcmp(e->d_name + l - 4, ".dat") == 0) {
            test_file(p, sub, e->d_name);
            nfiles++;
        }
    }
    closedir(d);
    return nfiles;
}

int main(void) {
    const char *sh = th_shared();
    char root[512];
    struct stat st;
    if (sh) snprintf(root, sizeof root, "%s/corpus/rfc4475", sh);
    if (!sh || stat(root, &st) != 0) {
        TH_SKIP("no RFC 4475 corpus under ../shared/corpus/rfc4475");
        TH_END();
    }
    if (guard_init() != 0) {
        CHECK_MSG(0, "cannot map a guard page");
        TH_END();
    }
    int n = test_dir(root, "");
    CHECK_MSG(n >= 49, "%d torture messages found, want the 49 of RFC 4475", n);
    TH_END();
}
