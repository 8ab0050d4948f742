/* ladder.c -- draws a call_record's message list. Endpoints become columns in the order
 * they first appear (the caller first), at most LADDER_COLS; the record already caps the
 * message list, so this is bounded too. */
#include "ladder.h"

#include "../base/json.h"

#define LADDER_COLS 6

typedef struct col { sx_addr a; uint16_t port; } col;

static int col_of(col *cols, int *n, const sx_addr *a, uint16_t port) {
    for (int i = 0; i < *n; i++)
        if (cols[i].port == port && sx_addr_eq(&cols[i].a, a)) return i;
    if (*n == LADDER_COLS) return LADDER_COLS - 1; /* fold the rest into the last column */
    cols[*n] = (col){*a, port};
    return (*n)++;
}

/* One arrow line: "  t.ttt  |----label---->|" between columns x0 and x1 (character offsets). */
static void arrow(FILE *out, double t, int x0, int x1, sx_sv label, int width) {
    char line[512];
    int w = width < (int)sizeof line - 1 ? width : (int)sizeof line - 1;
    memset(line, ' ', (size_t)w);
    int lo = x0 < x1 ? x0 : x1, hi = x0 < x1 ? x1 : x0;
    for (int x = lo; x <= hi && x < w; x++) line[x] = '-';
    if (lo < w) line[lo] = x0 < x1 ? '|' : '<';
    if (hi < w) line[hi] = x0 < x1 ? '>' : '|';
    if (lo == hi && lo < w) line[lo] = 'o'; /* a message to itself (seen at one point) */
    size_t room = hi - lo > 4 ? (size_t)(hi - lo - 4) : 0, n = label.n < room ? label.n : room;
    for (size_t i = 0; i < n; i++) {
        char c = label.p[i];
        line[lo + 2 + (int)i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    int end = w;
    while (end > 0 && line[end - 1] == ' ') end--;
    fprintf(out, "%9.3f  %.*s\n", t, end, line);
}

static void failure_details(const call_record *r, FILE *out) {
    for (size_t i = 0; i < r->nreasons; i++) {
        const call_reason *re = &r->reasons[i];
        fprintf(out, "           Reason: %.*s", SX_SV_FMT(re->protocol));
        if (re->cause >= 0) fprintf(out, ";cause=%d", re->cause);
        if (re->text.n) fprintf(out, ";text=\"%.*s\"", SX_SV_FMT(re->text));
        if (re->location.n) fprintf(out, ";location=%.*s", SX_SV_FMT(re->location));
        fputc('\n', out);
    }
    if (r->warning.n) fprintf(out, "           Warning: %.*s\n", SX_SV_FMT(r->warning));
    if (r->retry_after >= 0) fprintf(out, "           Retry-After: %lld\n", (long long)r->retry_after);
    for (size_t i = 0; i < r->ncall_info; i++)
        fprintf(out, "           Call-Info: <%.*s>;purpose=%.*s\n", SX_SV_FMT(r->call_info[i].uri),
                SX_SV_FMT(r->call_info[i].purpose));
    if (r->server.n) fprintf(out, "           Server: %.*s\n", SX_SV_FMT(r->server));
    else if (r->user_agent.n) fprintf(out, "           User-Agent: %.*s\n", SX_SV_FMT(r->user_agent));
}

void ladder_print(const call_record *r, const carriers *names, int width, FILE *out) {
    col cols[LADDER_COLS];
    int ncols = 0;
    char t[32], ep[SX_ENDPOINT_STRLEN];
    if (width < 40) width = 40;
    if (width > 400) width = 400;
    for (size_t i = 0; i < r->nmessages; i++) {
        col_of(cols, &ncols, &r->messages[i].src, r->messages[i].sport);
        col_of(cols, &ncols, &r->messages[i].dst, r->messages[i].dport);
    }
    fprintf(out, "Call %.*s  %s  ", SX_SV_FMT(r->call_id), sx_time_str(r->start, 3, t));
    if (r->final_code) fprintf(out, "final %d %.*s", r->final_code, SX_SV_FMT(r->final_reason));
    else fputs("no final response", out);
    fprintf(out, "  (%s, %s)\n", call_status_name(r->status), call_end_name(r->end));
    fprintf(out, "caller %s  callee %s\n", r->caller.e164[0] ? r->caller.e164 : "-",
            r->callee.e164[0] ? r->callee.e164 : "-");
    if (ncols == 0) return;
    int span = (width - 11) / (ncols > 1 ? ncols - 1 : 1);
    if (span > 60) span = 60;
    int x[LADDER_COLS];
    for (int i = 0; i < ncols; i++) x[i] = i * span + 1;
    /* Column headings, each centred over its line where it fits. */
    fprintf(out, "%9s  ", "seconds");
    int pos = 0;
    for (int i = 0; i < ncols; i++) {
        const char *name = carriers_by_addr(names, &cols[i].a);
        const char *label = name ? name : sx_endpoint_str(&cols[i].a, cols[i].port, ep);
        int len = (int)strlen(label), start = x[i] - len / 2;
        if (start < pos) start = pos;
        fprintf(out, "%*s%s", start - pos, "", label);
        pos = start + len + 1;
        fputc(' ', out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->nmessages; i++) {
        const call_msg *m = &r->messages[i];
        int a = col_of(cols, &ncols, &m->src, m->sport), b = col_of(cols, &ncols, &m->dst, m->dport);
        arrow(out, (double)(m->t - r->start) / 1e6, x[a], x[b], m->line, width);
        /* The final response: show what explains it right under its arrow. */
        int code = 0;
        if (m->line.n > 11 && memcmp(m->line.p, "SIP/2.0 ", 8) == 0)
            code = (m->line.p[8] - '0') * 100 + (m->line.p[9] - '0') * 10 + (m->line.p[10] - '0');
        if (code == r->final_code && code >= 300) {
            failure_details(r, out);
            code = -1;
        }
    }
    if (r->messages_dropped)
        fprintf(out, "           (%u more messages not kept)\n", r->messages_dropped);
}
