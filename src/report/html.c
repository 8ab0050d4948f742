/* html.c -- writes the --report page: the template around the summary document and the
 * example call records. The data goes into <script type="application/json"> elements, which
 * the HTML parser ends at the first "</script" whatever the JSON quoting says (HTML Living
 * Standard §4.12.1.3, script data state); so every '<' is written as the JSON escape \u003c.
 * In valid JSON a '<' can only occur inside a string, where \u003c means the same. */
#include "html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"

typedef struct html_example {
    char key[HTML_KEY];
    char *json; /* one record object, owned */
    size_t len;
} html_example;

/* A phase-1 candidate: a record that may become the example of its cause in phase 2. */
typedef struct html_cand {
    char call_id[64]; /* cut as diag_facts.call_id is */
    sx_time start;
    char *json;       /* owned */
    size_t len;
} html_cand;

#define KEY_SLOTS 2048  /* candidate keys (open addressing; a power of two) */
#define CAND_SLOTS 1024 /* candidates by Call-ID, > 2 x HTML_MAX_CANDIDATES */

struct html_examples {
    size_t n;
    html_example ex[HTML_MAX_EXAMPLES];
    /* phase-1 candidates */
    html_cand cand[HTML_MAX_CANDIDATES];
    size_t ncand, cand_bytes, nkeys;
    uint64_t key[KEY_SLOTS];      /* 0 = free */
    uint8_t key_count[KEY_SLOTS];
    int16_t by_id[CAND_SLOTS];    /* index into cand, -1 = free */
};

html_examples *html_examples_new(void) {
    html_examples *e = calloc(1, sizeof(html_examples));
    if (e)
        for (size_t i = 0; i < CAND_SLOTS; i++) e->by_id[i] = -1;
    return e;
}

void html_examples_free(html_examples *e) {
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) free(e->ex[i].json);
    for (size_t i = 0; i < e->ncand; i++) free(e->cand[i].json);
    free(e);
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV0 0xcbf29ce484222325ULL

/* The facts that set causes apart at one carrier, hashed (never 0). */
static uint64_t cand_key(const call_record *r) {
    unsigned char bits[2] = {r->nidentity > 0, 0};
    for (size_t i = 0; i < r->nprovisional; i++) bits[1] |= r->provisional[i] >= 180; /* rang */
    uint64_t h = fnv(FNV0, &r->final_code, sizeof r->final_code);
    h = fnv(h, &r->dst, sizeof r->dst);
    h = fnv(h, &r->dport, sizeof r->dport);
    h = fnv(h, bits, sizeof bits);
    return h ? h : 1;
}

/* The key's slot (found or free), or NULL when the table is full. */
static uint8_t *key_count(html_examples *e, uint64_t k) {
    for (size_t i = 0, s = k & (KEY_SLOTS - 1); i < KEY_SLOTS; i++, s = (s + 1) & (KEY_SLOTS - 1)) {
        if (e->key[s] == k) return &e->key_count[s];
        if (e->key[s] == 0) {
            if (e->nkeys >= KEY_SLOTS / 2) return NULL; /* keep probes short */
            e->key[s] = k;
            e->nkeys++;
            return &e->key_count[s];
        }
    }
    return NULL;
}

static size_t id_slot(const char *call_id) {
    return fnv(FNV0, call_id, strlen(call_id)) & (CAND_SLOTS - 1);
}

int html_examples_offer(html_examples *e, const call_record *r) {
    if (!e || e->ncand >= HTML_MAX_CANDIDATES || e->cand_bytes >= HTML_CAND_BYTES) return 0;
    uint8_t *count = key_count(e, cand_key(r));
    if (!count || *count >= HTML_CAND_PER_KEY) return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return -1;
    call_record_json(r, m);
    if (fclose(m) != 0 || len > HTML_MAX_EXAMPLE_BYTES) {
        free(buf);
        return len > HTML_MAX_EXAMPLE_BYTES ? 0 : -1;
    }
    html_cand *c = &e->cand[e->ncand];
    size_t idn = r->call_id.n < sizeof c->call_id ? r->call_id.n : sizeof c->call_id - 1;
    memcpy(c->call_id, r->call_id.p, idn);
    c->call_id[idn] = '\0';
    c->start = r->start;
    c->json = buf;
    c->len = len;
    size_t s = id_slot(c->call_id);
    while (e->by_id[s] >= 0) s = (s + 1) & (CAND_SLOTS - 1);
    e->by_id[s] = (int16_t)e->ncand++;
    e->cand_bytes += len;
    (*count)++;
    return 1;
}

static const html_cand *cand_find(const html_examples *e, const char *call_id, sx_time start) {
    for (size_t s = id_slot(call_id); e->by_id[s] >= 0; s = (s + 1) & (CAND_SLOTS - 1)) {
        const html_cand *c = &e->cand[e->by_id[s]];
        if (c->start == start && !strcmp(c->call_id, call_id)) return c;
    }
    return NULL;
}

size_t html_examples_count(const html_examples *e) { return e ? e->n : 0; }

int html_examples_wants(const html_examples *e, const char *key) {
    if (!e || !key || !key[0] || e->n >= HTML_MAX_EXAMPLES) return 0;
    for (size_t i = 0; i < e->n; i++)
        if (!strncmp(e->ex[i].key, key, HTML_KEY - 1)) return 0;
    return 1;
}

int html_examples_add(html_examples *e, const char *key, const char *json, size_t len) {
    if (!html_examples_wants(e, key) || !json || len == 0 || len > HTML_MAX_EXAMPLE_BYTES)
        return 0;
    while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r')) len--;
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, json, len);
    copy[len] = '\0';
    html_example *x = &e->ex[e->n++];
    snprintf(x->key, sizeof x->key, "%s", key);
    x->json = copy;
    x->len = len;
    return 1;
}

int html_examples_add_record(html_examples *e, const char *key, const call_record *r,
                             call_json_extra_fn extra, void *ud) {
    if (!html_examples_wants(e, key)) return 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return -1;
    call_record_json_ex(r, m, extra, ud);
    int bad = fclose(m) != 0;
    int rc = bad ? -1 : html_examples_add(e, key, buf, len);
    free(buf);
    return rc;
}

void html_examples_on_verdict(void *ud, const diag_facts *f, const char *record, size_t n,
                              const diag_verdict *v) {
    html_examples *e = ud;
    const char *cause = diag_cause_name(v->cause);
    if (!html_examples_wants(e, cause)) return; /* the common case: nothing to copy */
    if (!record) {
        const html_cand *c = e->ncand ? cand_find(e, f->call_id, f->start) : NULL;
        if (!c) return;
        record = c->json, n = c->len;
    }
    while (n && (record[n - 1] == '\n' || record[n - 1] == '\r')) n--;
    if (!n || record[n - 1] != '}') return; /* not a record object */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    fwrite(record, 1, n - 1, m);
    int first = 0;
    diag_verdict_json(v, m, &first);
    fputc('}', m);
    if (fclose(m) == 0) html_examples_add(e, cause, buf, len);
    free(buf);
}

/* JSON into script data: '<' as \u003c, everything else as is. */
static void write_script_json(FILE *out, const char *s, size_t len) {
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '<') continue;
        fwrite(s + from, 1, i - from, out);
        fputs("\\u003c", out);
        from = i + 1;
    }
    fwrite(s + from, 1, len - from, out);
}

static void write_examples(FILE *out, const html_examples *ex) {
    fputc('[', out);
    for (size_t i = 0; ex && i < ex->n; i++) {
        fputs(i ? ",\n{\"key\":" : "{\"key\":", out);
        /* a key is plain text, but it is text: keep it valid JSON and free of '<' */
        char *k = NULL;
        size_t klen = 0;
        FILE *m = open_memstream(&k, &klen);
        if (m) {
            json_cstr(m, ex->ex[i].key);
            fclose(m);
            write_script_json(out, k, klen);
        } else
            fputs("\"?\"", out);
        free(k);
        fputs(",\"record\":", out);
        write_script_json(out, ex->ex[i].json, ex->ex[i].len);
        fputc('}', out);
    }
    fputs("]", out);
}

int html_write_to(FILE *out, const char *summary, size_t len, const html_examples *ex) {
    fputs(html_page_head, out);
    fputs("<script type=\"application/json\" id=\"sipdx-summary\">", out);
    if (summary && len) write_script_json(out, summary, len);
    else fputs("{}", out);
    fputs("</script>\n<script type=\"application/json\" id=\"sipdx-examples\">", out);
    write_examples(out, ex);
    fputs("</script>\n", out);
    fputs(html_page_tail, out);
    return ferror(out) ? -1 : 0;
}

int html_write(const char *path, const char *summary, size_t len, const html_examples *ex,
               char *err, size_t errn) {
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errn, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = html_write_to(f, summary, len, ex);
    if (fclose(f) != 0) rc = -1;
    if (rc) snprintf(err, errn, "error writing %s: %s", path, strerror(errno));
    return rc;
}
