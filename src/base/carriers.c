/* carriers.c -- the --carriers file: a short list, searched linearly (operators name tens
 * of peers, not thousands); lookups happen once per call, not per message. */
#include "carriers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct entry {
    int is_host;
    sx_addr net;       /* is_host == 0 */
    int prefix;        /* bits */
    char host[256];    /* is_host == 1, lower case */
    char name[64];
} entry;

struct carriers {
    entry *e;
    size_t n, cap;
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" (a /32). Returns 0 if it is an address. */
static int parse_cidr(const char *s, sx_addr *a, int *prefix) {
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, buf, a->a) == 1) a->family = 4, *prefix = 32;
    else if (inet_pton(AF_INET6, buf, a->a) == 1) a->family = 6, *prefix = 128;
    else return -1;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (*end || p < 0 || p > *prefix) return -1;
        *prefix = (int)p;
    }
    return 0;
}

static int add_line(carriers *c, const char *key, const char *name) {
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        entry *ne = realloc(c->e, ncap * sizeof *ne);
        if (!ne) return -1;
        c->e = ne, c->cap = ncap;
    }
    entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    if (parse_cidr(key, &e->net, &e->prefix) != 0) {
        if (strlen(key) >= sizeof e->host || strchr(key, '/')) return -1;
        e->is_host = 1;
        for (size_t i = 0; key[i]; i++) e->host[i] = (char)lower((unsigned char)key[i]);
    }
    snprintf(e->name, sizeof e->name, "%s", name);
    c->n++;
    return 0;
}

carriers *carriers_load(const char *path, char *err, size_t errsz) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "cannot read carriers file %s", path);
        return NULL;
    }
    carriers *c = calloc(1, sizeof *c);
    if (!c) {
        fclose(f);
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    char line[512];
    int lineno = 0;
    while (c && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char key[300], name[64];
        int got = sscanf(line, "%299s %63[^\r\n]", key, name);
        if (got <= 0) continue; /* blank or comment */
        if (got != 2 || add_line(c, key, name) != 0) {
            snprintf(err, errsz, "%s:%d: expected 'CIDR-or-hostname NAME'", path, lineno);
            carriers_free(c);
            c = NULL;
        }
    }
    fclose(f);
    if (!c) return NULL;
    return c;
}

static int prefix_match(const sx_addr *net, int prefix, const sx_addr *a) {
    if (net->family != a->family) return 0;
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(net->a, a->a, (size_t)full) != 0) return 0;
    if (rest == 0) return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (net->a[full] & mask) == (a->a[full] & mask);
}

const char *carriers_by_addr(const carriers *c, const sx_addr *a) {
    if (!c) return NULL;
    const entry *best = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (!e->is_host && prefix_match(&e->net, e->prefix, a) &&
            (!best || e->prefix > best->prefix))
            best = e;
    }
    return best ? best->name : NULL;
}

const char *carriers_by_host(const carriers *c, sx_sv host) {
    if (!c || host.n == 0) return NULL;
    for (size_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (!e->is_host) continue;
        size_t n = strlen(e->host);
        if (host.n < n) continue;
        sx_sv tail = sx_sv_make(host.p + host.n - n, n);
        if (sx_sv_ieq(tail, e->host) && (host.n == n || host.p[host.n - n - 1] == '.'))
            return e->name;
    }
    return NULL;
}

size_t carriers_count(const carriers *c) { return c ? c->n : 0; }

void carriers_free(carriers *c) {
    if (!c) return;
    free(c->e);
    free(c);
}
