/* sx.c -- string views and addresses. */
#include "sx.h"

#include <arpa/inet.h>
#include <stdio.h>

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int sx_sv_eq(sx_sv a, const char *lit) {
    size_t n = strlen(lit);
    return a.n == n && (n == 0 || memcmp(a.p, lit, n) == 0);
}

int sx_sv_ieq(sx_sv a, const char *lit) {
    size_t n = strlen(lit);
    if (a.n != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)lit[i])) return 0;
    return 1;
}

int sx_sv_ieq_sv(sx_sv a, sx_sv b) {
    if (a.n != b.n) return 0;
    for (size_t i = 0; i < a.n; i++)
        if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i])) return 0;
    return 1;
}

int sx_sv_istarts(sx_sv a, const char *lit) {
    size_t n = strlen(lit);
    return a.n >= n && sx_sv_ieq(sx_sv_make(a.p, n), lit);
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

sx_sv sx_sv_trim(sx_sv v) {
    while (v.n && is_ws(v.p[0])) v.p++, v.n--;
    while (v.n && is_ws(v.p[v.n - 1])) v.n--;
    return v;
}

int sx_sv_u64(sx_sv v, uint64_t max, uint64_t *out) {
    if (v.n == 0) return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        unsigned d = (unsigned char)v.p[i] - '0';
        if (d > 9) return -1;
        if (x > (max - d) / 10) return -1; /* would exceed max */
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

const char *sx_addr_str(const sx_addr *a, char *out) {
    if (a->family == 4) inet_ntop(AF_INET, a->a, out, SX_ADDR_STRLEN);
    else if (a->family == 6) inet_ntop(AF_INET6, a->a, out, SX_ADDR_STRLEN);
    else snprintf(out, SX_ADDR_STRLEN, "-");
    return out;
}

const char *sx_endpoint_str(const sx_addr *a, uint16_t port, char *out) {
    char ip[SX_ADDR_STRLEN];
    sx_addr_str(a, ip);
    snprintf(out, SX_ENDPOINT_STRLEN, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
    return out;
}

int sx_addr_eq(const sx_addr *x, const sx_addr *y) {
    if (x->family != y->family) return 0;
    return memcmp(x->a, y->a, x->family == 4 ? 4 : 16) == 0;
}

const char *sx_transport_name(int t) {
    switch (t) {
    case SX_T_UDP: return "UDP";
    case SX_T_TCP: return "TCP";
    case SX_T_SCTP: return "SCTP";
    case SX_T_TLS: return "TLS";
    default: return "?";
    }
}

const char *sx_optval(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}
