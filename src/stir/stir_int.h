/* stir_int.h -- helpers shared by the stir module's files (not a public interface). */
#ifndef SX_STIR_INT_H
#define SX_STIR_INT_H

#include "stir.h"

/* A scope in which jansson allocates from this thread's bump arena (jarena.c). Every json_t
 * made inside must be released before the matching end(); scopes nest. */
void stir_jarena_begin(void);
void stir_jarena_end(void);

#endif
