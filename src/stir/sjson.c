/* sjson.c -- the project's JSON reading: cJSON, held to the strict grammar.
 *
 * cJSON (Debian libcjson) builds a tree about 3x cheaper than jansson did (measured under
 * callgrind on the claims of calls-5k: 67.4 M vs 20.0 M instructions for 2,528 parses plus
 * the lookups decode.c makes), but it is lenient where RFC 8259 is strict, and the findings
 * were built on the strict reading that jansson gave: a PASSporT whose JSON is not valid is
 * malformed (claims_json / header_json). So before cJSON sees a text, strict_scan() rejects
 * exactly what the strict reading rejects and cJSON would let through:
 *   - bytes below 0x20 outside strings other than the four RFC 8259 §2 white-space bytes
 *     (cJSON skips any of them as white space, NUL included), and any below 0x20 inside a
 *     string (RFC 8259 §7: they must be escaped);
 *   - invalid UTF-8 (RFC 8259 §8.1; RFC 3629 §3: no overlongs, surrogates, > U+10FFFF);
 *   - \u0000 (a NUL would silently cut a C string short);
 *   - numbers outside the RFC 8259 §6 grammar ("01", "1.", "-.5") that strtod() accepts,
 *     integers outside int64 and reals that overflow a double.
 * Text after the value other than white space is rejected after the parse; so is a value
 * that is not an object or an array. Duplicate keys: the last one wins (stir_json_get).
 * Two limits stay cJSON's: nesting deeper than 1000 and number tokens longer than 63
 * characters are rejected (jansson allowed 2048 and any length); no PASSporT comes near.
 *
 * Threads: cJSON is thread-safe as used here (its README): hooks are installed once before
 * any parse (jarena.c, pthread_once), cJSON_GetErrorPtr() is never called, and sipdx never
 * calls setlocale().
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "stir_int.h"

/* Byte classes inside a string: 0 = copied as is. */
enum { SC_PLAIN, SC_QUOTE, SC_ESC, SC_CTRL, SC_HIGH };

static const uint8_t str_class[256] = {
#define C4(x) x, x, x, x
#define C16(x) C4(x), C4(x), C4(x), C4(x)
    C16(SC_CTRL), C16(SC_CTRL),
    [0x22] = SC_QUOTE, [0x5c] = SC_ESC,
    [0x80] = C16(SC_HIGH), C16(SC_HIGH), C16(SC_HIGH), C16(SC_HIGH),
    C16(SC_HIGH), C16(SC_HIGH), C16(SC_HIGH), C16(SC_HIGH),
#undef C16
#undef C4
};

/* Length of the valid UTF-8 sequence at s (first byte >= 0x80), or 0 (RFC 3629 §4). */
static size_t utf8_len(const uint8_t *s, size_t avail) {
    uint8_t u = s[0];
    size_t size;
    uint32_t v;
    if (u >= 0xC2 && u <= 0xDF) size = 2, v = u & 0x1Fu;
    else if (u >= 0xE0 && u <= 0xEF) size = 3, v = u & 0x0Fu;
    else if (u >= 0xF0 && u <= 0xF4) size = 4, v = u & 0x07u;
    else return 0; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
    if (size > avail) return 0;
    for (size_t i = 1; i < size; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    if ((size == 3 && v < 0x800) || (size == 4 && v < 0x10000)) return 0;
    return size;
}

int stir_utf8_valid(const char *s, size_t n) {
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static int is_hex(uint8_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

/* \u is followed by four hex digits (cJSON reads a bad digit as 0) and is not \u0000. */
static int unicode_escape_ok(const uint8_t *h, size_t avail) {
    if (avail < 4 || !is_hex(h[0]) || !is_hex(h[1]) || !is_hex(h[2]) || !is_hex(h[3])) return 0;
    return memcmp(h, "0000", 4) != 0;
}

/* Scans a string body from just after its opening quote; returns the index after the
 * closing quote, or 0 if the string breaks a rule cJSON would not enforce. */
static size_t scan_string(const uint8_t *s, size_t n, size_t i) {
    for (;;) {
        while (i < n && str_class[s[i]] == SC_PLAIN) i++;
        if (i >= n) return 0;
        switch (str_class[s[i]]) {
        case SC_QUOTE:
            return i + 1;
        case SC_ESC: /* the escape letter is cJSON's to judge; \u is checked here */
            if (i + 1 < n && s[i + 1] == 'u') {
                if (!unicode_escape_ok(s + i + 2, n - i - 2)) return 0;
                i += 6;
            } else {
                i += 2;
            }
            break;
        case SC_HIGH: {
            size_t k = utf8_len(s + i, n - i);
            if (!k) return 0;
            i += k;
            break;
        }
        default: /* SC_CTRL */
            return 0;
        }
    }
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* An integer token (no '.', no exponent) within int64. */
static int int_fits(const uint8_t *t, size_t len) {
    int neg = t[0] == '-';
    size_t digits = len - (size_t)neg;
    if (digits < 19) return 1;
    if (digits > 19) return 0;
    return memcmp(t + neg, neg ? "9223372036854775808" : "9223372036854775807", 19) <= 0;
}

/* A real token whose value is finite (strtod: no ERANGE overflow). */
static int real_fits(const uint8_t *t, size_t len) {
    char small[64], *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf) return 0;
    memcpy(buf, t, len);
    buf[len] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    int ok = !(errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL));
    if (buf != small) free(buf);
    return ok;
}

/* Scans a number (RFC 8259 §6) at i; returns the index after it, or 0. */
static size_t scan_number(const uint8_t *s, size_t n, size_t i, sj_num *num) {
    size_t st = i;
    int is_int = 1, has_exp = 0;
    if (s[i] == '-') i++;
    if (i < n && s[i] == '0') {
        if (++i < n && is_digit(s[i])) return 0; /* a leading zero ("01") */
    } else if (i < n && s[i] >= '1' && s[i] <= '9') while (i < n && is_digit(s[i])) i++;
    else return 0;
    if (i < n && s[i] == '.') {
        is_int = 0;
        if (++i >= n || !is_digit(s[i])) return 0;
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        is_int = 0, has_exp = 1;
        if (++i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return 0;
        while (i < n && is_digit(s[i])) i++;
    }
    size_t len = i - st;
    /* Without an exponent a real needs > 308 digits to overflow. */
    if (is_int ? !int_fits(s + st, len) : (has_exp || len > 300) && !real_fits(s + st, len))
        return 0;
    num->off = st, num->len = len, num->is_int = is_int;
    return i;
}

/* One NUL byte right after a number or a literal was always ignored (the strict reader
 * looked one byte ahead and dropped a NUL it put back); cJSON skips it as white space. */
static size_t skip_nul(const uint8_t *s, size_t n, size_t i) { return i < n && s[i] == 0 ? i + 1 : i; }

int stir_json_scan(const char *text, size_t n, sj_num *nums, size_t cap, size_t *count) {
    const uint8_t *s = (const uint8_t *)text;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c == '"') {
            i = scan_string(s, n, i + 1);
            if (!i) return -1;
        } else if (c == '-' || is_digit(c)) {
            sj_num num;
            i = scan_number(s, n, i, &num);
            if (!i) return -1;
            if (nums && k < cap) nums[k] = num;
            k++;
            i = skip_nul(s, n, i);
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            while (i < n && (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') i++;
            i = skip_nul(s, n, i); /* a literal: cJSON judges which */
        } else if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
            return -1; /* never valid outside a string; cJSON would skip controls */
        } else {
            i++; /* structure, white space, literals: cJSON judges them */
        }
    }
    if (count) *count = k;
    return 0;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* ---- Fast path ----
 * A PASSporT's claims are small and plain: strings without escapes, short integers, a few
 * objects and arrays. For such a text one pass can check the strict grammar and build the
 * very tree cJSON builds (same node types and values, members in text order, duplicates
 * kept, the head's prev at the tail) straight into the decode arena, instead of a scan
 * followed by cJSON's parse (together ~3/4 of a decode). Anything else (an escape, a real,
 * an integer of more than 15 digits, a literal or a number not followed by a delimiter,
 * any syntax error, no arena scope or no room) makes it give up, and the text takes the
 * general path below, which alone judges what is malformed. So the fast path may only
 * accept texts the general path accepts, giving the same tree (test_stir compares both),
 * but for the root's cJSON_IsReference flag (see fast_parse). */

#define FP_DEPTH 32 /* deeper texts take the general path */

typedef struct fp { const uint8_t *e; int depth; } fp;

static int fp_is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

const uint8_t *stir_json_ws(const uint8_t *p, const uint8_t *e) {
    while (p < e && fp_is_ws(*p)) p++;
    return p;
}

static cJSON *fp_node(void) {
    cJSON *c = stir_jarena_alloc(sizeof *c);
    if (c) memset(c, 0, sizeof *c);
    return c;
}

const uint8_t *stir_json_plain_str(const uint8_t *p, const uint8_t *e, sx_sv *out) {
    const uint8_t *st = ++p;
    for (;;) {
#ifdef STIR_SSE2
        while (e - p >= 16) { /* plain: 0x20..0x7f but '"' and '\\' */
            __m128i x = stir_load16((const char *)p);
            unsigned m = stir_below16(x, 0x20) |
                         (unsigned)_mm_movemask_epi8(_mm_or_si128(stir_eq16(x, '"'), stir_eq16(x, '\\')));
            if (m) {
                p += __builtin_ctz(m);
                break;
            }
            p += 16;
        }
#endif
        while (p < e && str_class[*p] == SC_PLAIN) p++;
        if (p >= e) return NULL;
        if (*p == '"') break;
        size_t k = str_class[*p] == SC_HIGH ? utf8_len(p, (size_t)(e - p)) : 0;
        if (!k) return NULL; /* an escape or a control: the general path decides */
        p += k;
    }
    *out = sx_sv_make((const char *)st, (size_t)(p - st));
    return p + 1;
}

/* A string without escapes, at its opening quote: an arena copy in *out; returns the byte
 * after the closing quote, or NULL. */
static const uint8_t *fp_string(const uint8_t *p, const uint8_t *e, char **out) {
    sx_sv v;
    const uint8_t *end = stir_json_plain_str(p, e, &v);
    if (!end) return NULL;
    size_t len = v.n;
#ifdef STIR_SSE2
    /* Most keys and values are short: one 16-byte copy (the block is taken 16 bytes long)
     * instead of a call to memcpy, while 16 bytes of text remain readable. */
    if (len < 16 && e - (const uint8_t *)v.p >= 16) {
        char *c = stir_jarena_alloc(16);
        if (!c) return NULL;
        _mm_storeu_si128((__m128i *)(void *)c, stir_load16(v.p));
        c[len] = '\0';
        *out = c;
        return end;
    }
#endif
    char *c = stir_jarena_alloc(len + 1);
    if (!c) return NULL;
    memcpy(c, v.p, len);
    c[len] = '\0';
    *out = c;
    return end;
}

/* An integer of at most 15 digits: exact in a double, so strtod (cJSON) gives the same
 * value; valueint saturates as cJSON's parse_number does. */
const uint8_t *stir_json_small_int(const uint8_t *p, const uint8_t *e, uint64_t *mag, int *neg) {
    *neg = p < e && *p == '-';
    const uint8_t *d = p + *neg;
    p = d;
    uint64_t v = 0;
    while (p < e && is_digit(*p)) v = v * 10 + (uint64_t)(*p++ - '0');
    size_t nd = (size_t)(p - d);
    if (nd == 0 || nd > 15 || (nd > 1 && *d == '0')) return NULL;
    if (p < e && (*p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')) return NULL;
    *mag = v;
    return p;
}

static const uint8_t *fp_number(const uint8_t *p, const uint8_t *e, cJSON *item) {
    uint64_t v;
    int neg;
    if (!(p = stir_json_small_int(p, e, &v, &neg))) return NULL;
    double x = neg ? -(double)v : (double)v; /* "-0" is -0.0, as strtod reads it */
    item->valuedouble = x;
    item->valueint = x >= INT_MAX ? INT_MAX : x <= (double)INT_MIN ? INT_MIN : (int)x;
    item->type = cJSON_Number;
    return p;
}

static const uint8_t *fp_value(fp *f, const uint8_t *p, cJSON *item);

/* The members (object) or elements (array) after the opening bracket, up to the closing. */
static const uint8_t *fp_container(fp *f, const uint8_t *p, cJSON *item, int object) {
    const uint8_t *e = f->e;
    uint8_t close = object ? '}' : ']';
    cJSON *head = NULL, *cur = NULL;
    if (++f->depth > FP_DEPTH) return NULL;
    p = stir_json_ws(p + 1, e);
    if (p < e && *p == close) {
        p++;
    } else {
        for (;;) {
            cJSON *n = fp_node();
            if (!n) return NULL;
            if (cur) cur->next = n, n->prev = cur;
            else head = n;
            cur = n;
            if (object) {
                if (p >= e || *p != '"' || !(p = fp_string(p, e, &n->string))) return NULL;
                p = stir_json_ws(p, e);
                if (p >= e || *p != ':') return NULL;
                p = stir_json_ws(p + 1, e);
            }
            if (!(p = fp_value(f, p, n))) return NULL;
            p = stir_json_ws(p, e);
            if (p >= e) return NULL;
            if (*p == close) {
                p++;
                break;
            }
            if (*p != ',') return NULL;
            p = stir_json_ws(p + 1, e);
        }
    }
    if (head) head->prev = cur;
    item->type = object ? cJSON_Object : cJSON_Array;
    item->child = head;
    f->depth--;
    return p;
}

/* A literal must be followed by a delimiter (or the end), else the general path judges. */
static const uint8_t *fp_literal(const uint8_t *p, const uint8_t *e, const char *lit,
                                 size_t len) {
    if ((size_t)(e - p) < len || memcmp(p, lit, len) != 0) return NULL;
    p += len;
    if (p < e && !fp_is_ws(*p) && *p != ',' && *p != ']' && *p != '}') return NULL;
    return p;
}

static const uint8_t *fp_value(fp *f, const uint8_t *p, cJSON *item) {
    const uint8_t *e = f->e;
    if (p >= e) return NULL;
    switch (*p) {
    case '"':
        item->type = cJSON_String;
        return fp_string(p, e, &item->valuestring);
    case '{':
        return fp_container(f, p, item, 1);
    case '[':
        return fp_container(f, p, item, 0);
    case 't':
        item->type = cJSON_True;
        item->valueint = 1;
        return fp_literal(p, e, "true", 4);
    case 'f':
        item->type = cJSON_False;
        return fp_literal(p, e, "false", 5);
    case 'n':
        item->type = cJSON_NULL;
        return fp_literal(p, e, "null", 4);
    default:
        return *p == '-' || is_digit(*p) ? fp_number(p, e, item) : NULL;
    }
}

/* The tree of an object or array text, or NULL: not decided here (see above). */
static cJSON *fast_parse(const char *s, size_t n) {
    const uint8_t *p = (const uint8_t *)s, *e = p + n;
    size_t mark = stir_jarena_mark();
    p = stir_json_ws(p, e);
    if (p >= e || (*p != '{' && *p != '[')) return NULL;
    fp f = {e, 0};
    cJSON *root = fp_node();
    if (root && (p = fp_value(&f, p, root)) != NULL && stir_json_ws(p, e) == e) {
        /* The arena owns every block and frees them at once when the scope ends: marked a
         * reference, the root is all cJSON_Delete visits (the type tests mask the flag). */
        root->type |= cJSON_IsReference;
        return root;
    }
    stir_jarena_release(mark); /* nothing of it escaped: the blocks are only ours */
    return NULL;
}

cJSON *stir_json_parse(const char *s, size_t n) {
    stir_jarena_install();
    cJSON *fast = fast_parse(s, n);
    if (fast) return fast;
    if (n == 0 || stir_json_scan(s, n, NULL, 0, NULL) < 0) return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (!j) return NULL;
    while (end < s + n && is_ws(*end)) end++;
    if (end != s + n || !(cJSON_IsObject(j) || cJSON_IsArray(j))) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

void stir_json_free(cJSON *j) { cJSON_Delete(j); }

const cJSON *stir_json_get(const cJSON *obj, const char *key) {
    const cJSON *hit = NULL;
    if (!obj || (obj->type & 0xFF) != cJSON_Object) return NULL; /* cJSON_IsObject, inline */
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0)
            hit = c; /* the last duplicate wins */
    return hit;
}

size_t stir_json_strlen(const cJSON *v) {
    return cJSON_IsString(v) && v->valuestring ? strlen(v->valuestring) : 0;
}

/* ---- Number tokens ----
 * cJSON keeps a number as a double only; the integer/real distinction and the exact value
 * of integers beyond 2^53 live in the text. cJSON keeps every member (duplicates too) in
 * text order, so the k-th number node of a pre-order walk is the k-th number token. */

static void collect_numbers(const cJSON *v, const cJSON **out, size_t cap, size_t *k) {
    for (; v; v = v->next) {
        if (cJSON_IsNumber(v)) {
            if (*k < cap) out[*k] = v;
            (*k)++;
        }
        collect_numbers(v->child, out, cap, k);
    }
}

/* The token of number node `node` in root (parsed from text): 0 and *tok set, or -1. */
static int number_token(const cJSON *root, const char *text, size_t n, const cJSON *node,
                        sj_num *tok) {
    size_t nn = 0, nt = 0, k = 0;
    if (stir_json_scan(text, n, NULL, 0, &nt) < 0 || nt == 0) return -1;
    const cJSON **nodes = malloc(nt * sizeof *nodes);
    sj_num *toks = malloc(nt * sizeof *toks);
    int rc = -1;
    if (nodes && toks && stir_json_scan(text, n, toks, nt, &nt) == 0) {
        collect_numbers(root, nodes, nt, &nn);
        while (nn == nt && k < nn && nodes[k] != node) k++;
        if (nn == nt && k < nn) *tok = toks[k], rc = 0;
    }
    free(nodes);
    free(toks);
    return rc;
}

int stir_json_int(const cJSON *root, const char *text, size_t n, const cJSON *node,
                  int64_t *out) {
    sj_num t;
    if (number_token(root, text, n, node, &t) < 0 || !t.is_int) return 0;
    char buf[24]; /* an int64 token: at most 20 characters */
    memcpy(buf, text + t.off, t.len);
    buf[t.len] = '\0';
    *out = strtoll(buf, NULL, 10);
    return 1;
}

/* ---- Compact writer for parsed text (stir_print_json) ----
 * Prints what was parsed the way the JSON output always showed it: compact, members in
 * text order with a duplicate key shown once at its first place holding its last value,
 * strings raw UTF-8 with only '"', '\\' and controls escaped, integers exact, reals with 17
 * significant digits and always a '.' or an exponent (so a reader keeps them reals). */

void stir_json_put_str(FILE *out, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    fputc('"', out);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fwrite(s + run, 1, i - run, out);
        run = i + 1;
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default: fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        }
    }
    fwrite(s + run, 1, n - run, out);
    fputc('"', out);
}

static void put_real(FILE *out, double d) {
    char b[64];
    int len = snprintf(b, sizeof b - 3, "%.17g", d);
    if (len < 0 || (size_t)len >= sizeof b - 3) return;
    if (!strchr(b, '.') && !strchr(b, 'e')) memcpy(b + len, ".0", 3), len += 2;
    char *e = strchr(b, 'e');
    if (e) { /* "1e+20" -> "1e20", "1e-07" -> "1e-7" */
        char *st = e + 1, *dig = st + 1;
        if (*st == '-') st++;
        while (*dig == '0') dig++;
        if (dig != st) memmove(st, dig, strlen(dig) + 1);
    }
    fputs(b, out);
}

typedef struct dump_ctx {
    FILE *out;
    const char *text;
    const cJSON **nodes;
    const sj_num *toks;
    size_t count;
} dump_ctx;

static void dump_value(const dump_ctx *d, const cJSON *v);

static void dump_number(const dump_ctx *d, const cJSON *v) {
    size_t k = 0;
    while (k < d->count && d->nodes[k] != v) k++;
    if (k < d->count && d->toks[k].is_int) {
        char buf[24];
        memcpy(buf, d->text + d->toks[k].off, d->toks[k].len);
        buf[d->toks[k].len] = '\0';
        fprintf(d->out, "%lld", strtoll(buf, NULL, 10)); /* "-0" -> "0" */
    } else {
        put_real(d->out, v->valuedouble);
    }
}

static void dump_object(const dump_ctx *d, const cJSON *o) {
    int first = 1;
    fputc('{', d->out);
    for (const cJSON *c = o->child; c; c = c->next) {
        const cJSON *e = o->child;
        while (e != c && strcmp(e->string, c->string) != 0) e = e->next;
        if (e != c) continue; /* shown at its first place */
        if (!first) fputc(',', d->out);
        first = 0;
        stir_json_put_str(d->out, c->string, strlen(c->string));
        fputc(':', d->out);
        dump_value(d, stir_json_get(o, c->string));
    }
    fputc('}', d->out);
}

static void dump_value(const dump_ctx *d, const cJSON *v) {
    if (cJSON_IsObject(v)) {
        dump_object(d, v);
    } else if (cJSON_IsArray(v)) {
        fputc('[', d->out);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) fputc(',', d->out);
            dump_value(d, c);
        }
        fputc(']', d->out);
    } else if (cJSON_IsString(v)) {
        stir_json_put_str(d->out, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        dump_number(d, v);
    } else {
        fputs(cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null", d->out);
    }
}

void stir_json_dump_text(FILE *out, const char *text, size_t n) {
    cJSON *root = n ? stir_json_parse(text, n) : NULL;
    size_t nt = 0, nn = 0;
    const cJSON **nodes = NULL;
    sj_num *toks = NULL;
    if (root && stir_json_scan(text, n, NULL, 0, &nt) == 0 && nt) {
        nodes = malloc(nt * sizeof *nodes);
        toks = malloc(nt * sizeof *toks);
        if (nodes && toks && stir_json_scan(text, n, toks, nt, &nt) == 0)
            collect_numbers(root, nodes, nt, &nn);
    }
    dump_ctx d = {out, text, nodes, toks, nn == nt ? nn : 0};
    if (root) dump_value(&d, root);
    else fputs("null", out);
    free(nodes);
    free(toks);
    cJSON_Delete(root);
}
