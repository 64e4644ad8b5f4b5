/* fuzz_keys.c - libFuzzer target: the explorer's keys, clicks and screen sizes on a small
 * transformer, each followed by a full redraw on a headless screen. It reaches the layout and the
 * drawing of strips, grids, attention patterns, the heads and lens panels at sizes and cursor
 * places no saved screen has.
 *
 * The input's first byte picks the prompt's length (1 to 8 positions) of a 2-layer GPT-2 with
 * random weights and no tokenizer; then each byte is a key of the key table (every one but ':'
 * and '=', which open the command line), except two escapes: 0xFE Y X clicks screen cell (Y, X),
 * 0xFF R C resizes the screen to 20 + R % 41 rows by 60 + C % 141 columns. At most 64 keys. */
#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "fuzz_util.h"
#include "gpt2.h"
#include "tui.h"

#define MAX_KEYS 64

/* Weights from a hash of each tensor's name: the same model for every input. */
typedef struct {
    float *buf;
} weights;

static const float *random_tensor(void *user, const char *name, long count, iv_error *err)
{
    (void)err;
    weights *w = user;
    uint64_t s = 7;
    for (const char *c = name; *c; c++)
        s = s * 31 + (unsigned char)*c;
    free(w->buf);
    w->buf = malloc(sizeof(float) * (size_t)(count ? count : 1));
    bool ln_weight = strstr(name, "ln_") && strstr(name, ".weight");
    for (long i = 0; i < count; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        float u = (float)((s >> 40) & 0xffffff) / (float)0x1000000 - 0.5f;
        w->buf[i] = ln_weight ? 1 + 0.2f * u : u;
    }
    return w->buf;
}

static iv_model *small_transformer(int positions)
{
    iv_gpt2_config c = {.n_layer = 2, .n_head = 2, .d_model = 8, .d_mlp = 16, .n_ctx = 8,
                        .d_vocab = 12, .ln_eps = 1e-5f, .act = IV_ACT_GELU_TANH, .tied = true};
    weights w = {NULL};
    iv_gpt2_source src = {&w, random_tensor};
    iv_error err;
    iv_model *m = iv_gpt2_build("fuzz", NULL, &c, &src, positions, &err);
    free(w.buf);
    if (!m)
        abort();
    return m;
}

static int keys[128], n_keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setlocale(LC_ALL, "C.UTF-8");
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *screen = newterm("xterm-256color", out, in);
    if (!screen)
        abort();
    set_term(screen);
    int count;
    const tui_key *table = tui_keys(&count);
    for (int i = 0; i < count && n_keys < 128; i++)
        if (table[i].key != ':' && table[i].key != '=')
            keys[n_keys++] = table[i].key;
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

static void resize(tui *t, int rows, int cols)
{
    resizeterm(rows, cols);
    t->rows = rows;
    t->cols = cols;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    iv_error err;
    iv_workspace *ws = iv_workspace_new(small_transformer(1 + data[0] % 8), &err);
    if (!ws)
        abort();
    tui t;
    tui_init(&t, ws);
    t.colour = tui_colour_init();
    resize(&t, 30, 100);
    tui_draw(&t);
    int pressed = 0;
    for (size_t i = 1; i < size && pressed < MAX_KEYS && !t.quit; i++, pressed++) {
        if (data[i] == 0xFF && i + 2 < size) {
            resize(&t, 20 + data[i + 1] % 41, 60 + data[i + 2] % 141);
            i += 2;
        } else if (data[i] == 0xFE && i + 2 < size) {
            tui_layout lay;
            int site, neuron;
            tui_screen_layout(&t, &lay);
            if (!lay.too_small && tui_layout_hit(&t, &lay, data[i + 1] % t.rows,
                                                 data[i + 2] % t.cols, &site, &neuron) == 0)
                tui_click(&t, site, neuron);
            i += 2;
        } else {
            tui_key_press(&t, keys[data[i] % n_keys]);
        }
        tui_draw(&t);
    }
    tui_free(&t);
    iv_workspace_free(ws);
    return 0;
}
