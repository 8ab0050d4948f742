/* huge.h -- memory for large tables read at random (sx_huge_*).
 *
 * A table of a few MB probed at random (hash indexes, per-pair counters) costs a TLB miss
 * per probe when it lives on 4 KiB pages: thousands of pages, and the TLB holds ~2000
 * entries for everything the run touches. These blocks are 2 MiB-aligned and advised as
 * transparent huge pages (Linux "madvise" mode), so a table takes one entry per 2 MiB.
 * Only sizes of 1 MiB and more go there; smaller ones are plain malloc. Pages are touched,
 * and counted in RSS, only as they are used. */
#ifndef SX_HUGE_H
#define SX_HUGE_H

#include <stddef.h>

/* n zeroed bytes, or NULL. */
void *sx_huge_calloc(size_t n);
/* Grows (or shrinks) p, of old bytes, to n bytes, copying; new bytes are zero. NULL if out of
 * memory (p is then untouched). p may be NULL (old 0). */
void *sx_huge_realloc(void *p, size_t old, size_t n);
/* Frees p, of n bytes (as allocated); NULL is fine. */
void sx_huge_free(void *p, size_t n);

/* Advises the malloc heap's part added since the last call like the tables above: the call
 * stage's per-call arenas live there (~1.5 KB a call, tens of thousands of calls open,
 * touched at random). glibc's main arena grows the heap with brk; the first call makes it
 * grow 32 MiB at a time (M_TOP_PAD) so that most of each step is advised before it is
 * touched. Cheap (no system call unless the heap grew); the main thread calls it now and
 * then (every 1024 frames). */
void sx_huge_heap(void);

#endif
