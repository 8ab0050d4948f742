/* test_report_html.c -- the --report page's data handling (src/report/html.c): nothing in
 * the data can end its <script> element, examples are one per key and bounded. What the
 * page draws is checked in a real browser by tests/shell/test_report.sh. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report/html.h"

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* The page for summary and ex, as one NUL-terminated string (caller frees). */
static char *page(const char *summary, const html_examples *ex) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    CHECK_INT(html_write_to(m, summary, summary ? strlen(summary) : 0, ex), 0);
    fclose(m);
    return buf;
}

static void test_script_data_cannot_escape(void) {
    size_t template_scripts = count(html_page_head, "</script") + count(html_page_tail, "</script");
    const char *evil = "{\"reason\":\"</script><script>alert(1)</script><!--\"}";
    html_examples *ex = html_examples_new();
    const char *rec = "{\"call_id\":\"a</SCRIPT>b\",\"messages\":[]}\n";
    CHECK_INT(html_examples_add(ex, "403", rec, strlen(rec)), 1);
    char *p = page(evil, ex);
    CHECK(p != NULL);
    if (p) {
        /* exactly the template's </script> plus the two data elements' own */
        CHECK_INT(count(p, "</script"), template_scripts + 2);
        CHECK(!strstr(p, "</SCRIPT>") && !strstr(p, "<!--\"}"));
        CHECK(strstr(p, "\\u003c/script>\\u003cscript>alert(1)") != NULL);
        CHECK(strstr(p, "[{\"key\":\"403\",\"record\":{\"call_id\":\"a\\u003c/SCRIPT>b\"") != NULL);
        CHECK(strstr(p, "b\",\"messages\":[]}}]</script>") != NULL); /* newline trimmed */
        CHECK(strncmp(p, "<!DOCTYPE html>", 15) == 0 && strstr(p, "</html>") != NULL);
    }
    free(p);
    html_examples_free(ex);
}

static void test_empty_inputs(void) {
    char *p = page(NULL, NULL);
    CHECK(p && strstr(p, "id=\"sipdx-summary\">{}</script>") != NULL);
    CHECK(p && strstr(p, "id=\"sipdx-examples\">[]</script>") != NULL);
    free(p);
}

static void test_examples_bounded(void) {
    html_examples *ex = html_examples_new();
    const char *a = "{\"n\":1}", *b = "{\"n\":2}";
    CHECK_INT(html_examples_add(ex, "unsigned_call", a, strlen(a)), 1);
    CHECK_INT(html_examples_wants(ex, "unsigned_call"), 0);
    CHECK_INT(html_examples_add(ex, "unsigned_call", b, strlen(b)), 0); /* first one stays */
    CHECK_INT(html_examples_add(ex, "", a, strlen(a)), 0);
    CHECK_INT(html_examples_add(ex, "empty", a, 0), 0);
    size_t big = HTML_MAX_EXAMPLE_BYTES + 1;
    char *huge = malloc(big);
    if (huge) {
        memset(huge, ' ', big);
        CHECK_INT(html_examples_add(ex, "huge", huge, big), 0);
        CHECK_INT(html_examples_wants(ex, "huge"), 1); /* skipped, not taken: another may fit */
    }
    free(huge);
    char key[16];
    int kept = 1;
    for (int i = 0; i < 2 * HTML_MAX_EXAMPLES; i++) {
        snprintf(key, sizeof key, "k%d", i);
        kept += html_examples_add(ex, key, a, strlen(a)) == 1;
    }
    CHECK_INT(kept, HTML_MAX_EXAMPLES);
    CHECK_INT(html_examples_count(ex), HTML_MAX_EXAMPLES);
    char *p = page("{}", ex);
    CHECK(p && strstr(p, "{\"key\":\"unsigned_call\",\"record\":{\"n\":1}}") != NULL);
    CHECK(p && count(p, "\"record\":") == HTML_MAX_EXAMPLES);
    free(p);
    html_examples_free(ex);
    html_examples_free(NULL);
}

/* The phase-2 hook: the record given gets its verdict; one example per cause; without a
 * record and without a phase-1 candidate for that call, nothing is kept. */
static void test_on_verdict(void) {
    html_examples *ex = html_examples_new();
    diag_verdict v = {.blocked_by = DIAG_BY_NETWORK, .cause = DIAG_C_UNSIGNED_CALL,
                      .confidence = 0.9f, .rule = "R13", .remediation = "Sign the calls."};
    snprintf(v.evidence[0], sizeof v.evidence[0], "no Identity header on INVITE");
    v.nevidence = 1;
    diag_facts f;
    memset(&f, 0, sizeof f);
    snprintf(f.call_id, sizeof f.call_id, "abc");
    html_examples_on_verdict(ex, &f, NULL, 0, &v);
    CHECK_INT(html_examples_count(ex), 0);
    const char *rec = "{\"call_id\":\"abc\",\"messages\":[]}\n";
    html_examples_on_verdict(ex, &f, rec, strlen(rec), &v);
    html_examples_on_verdict(ex, &f, "{\"zzsecond\":1}", 14, &v); /* same cause: ignored */
    CHECK_INT(html_examples_count(ex), 1);
    char *p = page("{}", ex);
    CHECK(p && strstr(p, "{\"key\":\"unsigned_call\",\"record\":{\"call_id\":\"abc\","
                         "\"messages\":[],\"verdict\":{") != NULL);
    CHECK(p && strstr(p, "no Identity header on INVITE") && !strstr(p, "zzsecond"));
    free(p);
    html_examples_free(ex);
}

static void test_write_errors(void) {
    char err[256] = "";
    CHECK_INT(html_write("/nonexistent-dir/x/report.html", "{}", 2, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent-dir/x/report.html") != NULL);
}

int main(void) {
    test_script_data_cannot_escape();
    test_empty_inputs();
    test_examples_bounded();
    test_on_verdict();
    test_write_errors();
    TH_END();
}
