/* html.h -- `sipdx analyze --report FILE`: one self-contained HTML page (no network: inline
 * CSS, inline SVG drawn by a small inline script) with the block rate over time per carrier,
 * per caller ID timelines with the onset marked, the plan, sortable tables and a ladder
 * diagram for one example call per cause.
 *
 * The page is a static template (html_page.html -> html_page.c) around two
 * <script type="application/json"> elements: the summary document exactly as
 * `--format json` prints it, and the example call records (NDJSON records, with their
 * verdict once the diagnosis has run). Memory: the summary document plus at most
 * HTML_MAX_EXAMPLES records of at most HTML_MAX_EXAMPLE_BYTES each. */
#ifndef SX_HTML_H
#define SX_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "../call/call.h"
#include "../diag/diag.h"

#define HTML_MAX_EXAMPLES 64             /* one per cause (25) or per final code */
#define HTML_MAX_EXAMPLE_BYTES (256 * 1024) /* a bigger record is skipped, not cut */
#define HTML_KEY 32

/* Example call records, the first one offered under each key (a cause name such as
 * "unsigned_call", or a final code such as "403" when there is no verdict). */
typedef struct html_examples html_examples;

html_examples *html_examples_new(void);
void html_examples_free(html_examples *e);
/* 1 when an example offered under key would be kept (none yet, room left): lets the caller
 * skip serializing a record nobody wants. */
int html_examples_wants(const html_examples *e, const char *key);
/* Keeps a copy of json (one call record object) under key if wanted: 1 kept, 0 not wanted
 * (duplicate key, full, too big, empty), -1 out of memory. */
int html_examples_add(html_examples *e, const char *key, const char *json, size_t len);
/* Serializes r (call_record_json_ex with extra, which may be NULL) and keeps it under key,
 * only if wanted. Same results as html_examples_add. */
int html_examples_add_record(html_examples *e, const char *key, const call_record *r,
                             call_json_extra_fn extra, void *ud);
size_t html_examples_count(const html_examples *e);
/* The diagnosis's phase-2 hook (diag_run_on_verdict, ud = the html_examples): keeps the
 * first record of each cause, with ,"verdict":{...} added as --calls writes it. The record
 * is the one given (records kept for --calls: exact), else a candidate offered in phase 1
 * for the same call (Call-ID and start), if any. */
void html_examples_on_verdict(void *ud, const diag_facts *f, const char *record, size_t n,
                              const diag_verdict *v);

/* Phase 1 without --calls (no record is kept until its verdict): keeps the records of the
 * first HTML_CAND_PER_KEY calls of each final code x next hop x signed x rang -- the facts
 * that set calls of different causes apart -- so phase 2 finds an example for most causes
 * at a bounded cost: at most HTML_MAX_CANDIDATES records, HTML_CAND_BYTES in all, and one
 * hash probe per call. 1 kept, 0 not, -1 out of memory. */
#define HTML_CAND_PER_KEY 2
#define HTML_MAX_CANDIDATES 512
#define HTML_CAND_BYTES (8u << 20)
int html_examples_offer(html_examples *e, const call_record *r);

/* Writes the page to out. summary: the --format json document (len bytes, need not be
 * NUL-terminated); ex may be NULL. Returns 0, or -1 on a write error. */
int html_write_to(FILE *out, const char *summary, size_t len, const html_examples *ex);
/* Same into a file at path (replaced). 0, or -1 with a message in err. */
int html_write(const char *path, const char *summary, size_t len, const html_examples *ex,
               char *err, size_t errn);

/* The page around the data (html_page.c, generated from html_page.html). */
extern const char html_page_head[];
extern const char html_page_tail[];

#endif
