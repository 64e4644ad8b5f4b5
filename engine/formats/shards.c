/* shards.c - a safetensors file, or the shards a HuggingFace index names, as one set of tensors
 * (shards.h). */
#include "shards.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

#define MAX_INDEX_FILE (16L << 20) /* GPT-2 XL's index is 40 KB; this stops a hostile one */
#define MAX_SHARDS 1024
#define INDEX_SUFFIX ".safetensors.index.json"

typedef struct shard {
    char *file;        /* its name in the index, or the path of a lone file */
    char *path;
    iv_safetensors *st;
    int first;         /* the number of its first tensor */
} shard;

struct iv_shards {
    shard *shard;
    int n, total;
};

bool iv_shards_is_index(const char *path)
{
    size_t n = strlen(path), k = strlen(INDEX_SUFFIX);
    return n > k && strcmp(path + n - k, INDEX_SUFFIX) == 0;
}

void iv_shards_close(iv_shards *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        iv_safetensors_close(s->shard[i].st);
        free(s->shard[i].file);
        free(s->shard[i].path);
    }
    free(s->shard);
    free(s);
}

/* Opens one more file as the next shard. */
static int add_shard(iv_shards *s, const char *file, const char *path, iv_error *err)
{
    iv_safetensors *st = iv_safetensors_open(path, err);
    if (!st)
        return -1;
    s->shard = iv_xrealloc(s->shard, sizeof *s->shard * (size_t)(s->n + 1));
    s->shard[s->n] = (shard){iv_xstrdup(file), iv_xstrdup(path), st, s->total};
    s->total += iv_safetensors_count(st);
    s->n++;
    return 0;
}

/* ---- the index ----------------------------------------------------------------------------------- */

/* A shard's name as an index may give it: a file beside the index, never a path elsewhere. */
static bool plain_name(const char *name)
{
    size_t n = strlen(name), k = strlen(".safetensors");
    return n > k && n < 256 && !strchr(name, '/') && !strchr(name, '\\') &&
           strcmp(name + n - k, ".safetensors") == 0 && name[0] != '.';
}

static int shard_named(const iv_shards *s, const char *file)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->shard[i].file, file) == 0)
            return i;
    return -1;
}

/* The index's "weight_map", parsed strictly; NULL with a message naming the index. */
static json_object *read_map(const char *path, json_object **root, iv_error *err)
{
    size_t len;
    char *text = iv_read_file(path, (size_t)MAX_INDEX_FILE, &len, err);
    if (!text)
        return NULL;
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    *root = json_tokener_parse_ex(tok, text, (int)len);
    bool whole = json_tokener_get_error(tok) == json_tokener_success &&
                 strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") ==
                     len - json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    free(text);
    json_object *map = NULL;
    if (!*root || !whole)
        iv_error_set(err, "%s: not valid JSON", path);
    else if (!json_object_object_get_ex(*root, "weight_map", &map) ||
             !json_object_is_type(map, json_type_object))
        iv_error_set(err, "%s: no \"weight_map\" object naming each tensor's shard", path);
    else if (json_object_object_length(map) == 0)
        iv_error_set(err, "%s: its \"weight_map\" names no tensor", path);
    else
        return map;
    return NULL;
}

/* Opens every shard the map names, in the order they first appear. */
static int open_shards(iv_shards *s, const char *index, const char *dir, json_object *map,
                       iv_error *err)
{
    json_object_object_foreach(map, tensor, file) {
        const char *name = json_object_is_type(file, json_type_string)
                               ? json_object_get_string(file) : NULL;
        if (!name || !plain_name(name))
            return iv_error_set(err, "%s: tensor '%.80s' is in '%.80s': a shard is named by a "
                                "file beside the index, NAME.safetensors", index, tensor,
                                name ? name : json_object_to_json_string(file));
        if (shard_named(s, name) >= 0)
            continue;
        if (s->n == MAX_SHARDS)
            return iv_error_set(err, "%s: more than %d shards", index, MAX_SHARDS);
        char *path = iv_path_join(dir, name);
        int rc = add_shard(s, name, path, err);
        free(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The map and the shards agree: each tensor listed is in its shard, each tensor of a shard is
 * listed there. */
static int check_map(const iv_shards *s, const char *index, json_object *map, iv_error *err)
{
    json_object_object_foreach(map, tensor, file) {
        const shard *sh = &s->shard[shard_named(s, json_object_get_string(file))];
        if (iv_safetensors_find(sh->st, tensor) < 0)
            return iv_error_set(err, "%s: tensor '%.80s' is listed in %s, which does not hold it",
                                index, tensor, sh->path);
    }
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < iv_safetensors_count(s->shard[i].st); k++) {
            const char *name = iv_safetensors_entry_at(s->shard[i].st, k)->name;
            json_object *listed;
            if (!json_object_object_get_ex(map, name, &listed))
                return iv_error_set(err, "%s: tensor '%.80s' is not in the index %s",
                                    s->shard[i].path, name, index);
            if (strcmp(json_object_get_string(listed), s->shard[i].file) != 0)
                return iv_error_set(err, "%s: tensor '%.80s' is here, but the index %s puts it "
                                    "in %s", s->shard[i].path, name, index,
                                    json_object_get_string(listed));
        }
    return 0;
}

iv_shards *iv_shards_open(const char *path, iv_error *err)
{
    iv_shards *s = iv_xcalloc(1, sizeof *s);
    if (!iv_shards_is_index(path)) {
        if (add_shard(s, path, path, err) < 0) {
            iv_shards_close(s);
            return NULL;
        }
        return s;
    }
    char *dir = iv_path_dir(path);
    json_object *root = NULL;
    json_object *map = read_map(path, &root, err);
    int rc = map ? open_shards(s, path, dir, map, err) : -1;
    if (rc == 0)
        rc = check_map(s, path, map, err);
    if (root)
        json_object_put(root);
    free(dir);
    if (rc < 0) {
        iv_shards_close(s);
        return NULL;
    }
    return s;
}

/* ---- the tensors, numbered across the shards ----------------------------------------------------- */

int iv_shards_count(const iv_shards *s) { return s->total; }

/* The shard tensor i is in. */
static const shard *shard_of(const iv_shards *s, int i)
{
    int k = s->n - 1;
    while (k > 0 && s->shard[k].first > i)
        k--;
    return &s->shard[k];
}

const iv_safetensors_entry *iv_shards_entry_at(const iv_shards *s, int i)
{
    if (i < 0 || i >= s->total)
        return NULL;
    const shard *sh = shard_of(s, i);
    return iv_safetensors_entry_at(sh->st, i - sh->first);
}

int iv_shards_find(const iv_shards *s, const char *name)
{
    for (int k = 0; k < s->n; k++) {
        int i = iv_safetensors_find(s->shard[k].st, name);
        if (i >= 0)
            return s->shard[k].first + i;
    }
    return -1;
}

const char *iv_shards_file_of(const iv_shards *s, int i) { return shard_of(s, i)->path; }

int iv_shards_read(iv_shards *s, int i, float *out, bool transpose, iv_error *err)
{
    const shard *sh = shard_of(s, i);
    return iv_safetensors_read(sh->st, i - sh->first, out, transpose, err);
}
