/* th_json.h -- the small jansson-style vocabulary the unit tests read JSON with, over cJSON
 * (the project's one JSON library). Tests only: parses are strict about trailing text so
 * "the output parses" still means the whole output; duplicate keys are not expected here.
 * json_incref returns an owned deep copy (cJSON has no reference counts), so every
 * json_incref/json_loads result is released with json_decref exactly as before. */
#ifndef TH_JSON_H
#define TH_JSON_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef cJSON json_t;
typedef struct {
    char text[64];
    int position;
} json_error_t;

static inline json_t *th_json_parse(const char *s, size_t n, json_error_t *e) {
    const char *end = NULL;
    json_t *j = s ? cJSON_ParseWithLengthOpts(s, n, &end, 0) : NULL;
    while (j && end < s + n && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
    if (j && end != s + n) {
        cJSON_Delete(j);
        j = NULL;
    }
    if (!j && e) {
        snprintf(e->text, sizeof e->text, "invalid JSON");
        e->position = end ? (int)(end - s) : 0;
    }
    return j;
}

static inline json_t *th_json_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536))) break;
        n += r = fread(buf + n, 1, cap - n, f);
    } while (r > 0);
    fclose(f);
    json_t *j = buf ? th_json_parse(buf, n, NULL) : NULL;
    free(buf);
    return j;
}

__attribute__((noinline)) static const char *th_json_str(const json_t *v) {
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
static inline size_t th_json_strlen(const json_t *v) {
    return cJSON_IsString(v) ? strlen(v->valuestring) : 0;
}
static inline long long th_json_int(const json_t *v) {
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}
static inline double th_json_real(const json_t *v) { return cJSON_IsNumber(v) ? v->valuedouble : 0.0; }

#define json_loadb(s, n, flags, err) th_json_parse((s), (n), (err))
#define json_loads(s, flags, err) th_json_parse((s), strlen(s), (err))
#define json_load_file(path, flags, err) th_json_file(path)
#define json_decref(j) cJSON_Delete(j)
#define json_incref(j) cJSON_Duplicate((j), 1)
#define json_object_get(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))
#define json_array_get(a, i) cJSON_GetArrayItem((a), (int)(i))
#define json_array_size(a) ((size_t)cJSON_GetArraySize(a))
#define json_is_string(v) cJSON_IsString(v)
#define json_is_array(v) cJSON_IsArray(v)
#define json_is_object(v) cJSON_IsObject(v)
#define json_is_null(v) cJSON_IsNull(v)
#define json_is_true(v) cJSON_IsTrue(v)
#define json_string_value(v) th_json_str(v)
#define json_string_length(v) th_json_strlen(v)
#define json_integer_value(v) th_json_int(v)
#define json_real_value(v) th_json_real(v)
#define json_equal(a, b) cJSON_Compare((a), (b), 1)
#define json_false() cJSON_CreateFalse()
#define json_array_foreach(a, i, v)                                                          \
    for ((i) = 0; (i) < json_array_size(a) && ((v) = json_array_get((a), (i))) != NULL; (i)++)

/* Sets o[k] = v (taking v), replacing an existing member. */
static inline int json_object_set_new(json_t *o, const char *k, json_t *v) {
    if (!cJSON_IsObject(o) || !v) {
        cJSON_Delete(v);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, k)) return cJSON_ReplaceItemInObjectCaseSensitive(o, k, v) ? 0 : -1;
    return cJSON_AddItemToObject(o, k, v) ? 0 : -1;
}

#endif
