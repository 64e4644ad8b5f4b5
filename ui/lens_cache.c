/* lens_cache.c - the logit lens of the workspace's last evaluation, clean and intervened, kept
 * between redraws: a cursor move redraws the lens panel without running the unembedding again
 * (on GPT-2 small a whole lens is 13 blocks x 20 positions x 50,257 logits, 20 GFLOP).
 *
 * A key that changes an intervention changes the intervened run only (the workspace keeps the
 * clean one), and only from the first site it acts on: the intervened lens takes the blocks
 * before it from the clean lens. What is left still takes about 100 ms on GPT-2 small, so the
 * explorer's event loop may ask for it later: the screen is drawn at once with the last lens
 * (marked as being brought up to date), and the lens is computed when no key is waiting. */
#include <stdlib.h>

#include "tui.h"

struct tui_lens_cache {
    unsigned long model; /* the model's serial */
    long clean_pass;     /* the clean run the clean lens read (ws->clean_passes then) */
    long evaluation;     /* the evaluation the intervened one read */
    iv_logit_lens clean, intervened;
    bool later;          /* a stale lens is drawn as it is and marked pending */
    bool pending;        /* ... and here it is: tui_lens_update brings it up to date */
};

struct tui_lens_cache *tui_lens_cache_new(void)
{
    return iv_xcalloc(1, sizeof(struct tui_lens_cache));
}

void tui_lens_cache_free(struct tui_lens_cache *c)
{
    if (!c)
        return;
    iv_logit_lens_free(&c->clean);
    iv_logit_lens_free(&c->intervened);
    free(c);
}

void tui_lens_later(struct tui_lens_cache *c, bool later) { c->later = later; }

bool tui_lens_pending(const struct tui_lens_cache *c) { return c && c->pending; }

static bool same_model(const struct tui_lens_cache *c, const iv_workspace *ws)
{
    return c->model == ws->model->serial && c->clean.top && c->intervened.top;
}

static bool stale(const struct tui_lens_cache *c, const iv_workspace *ws)
{
    return !same_model(c, ws) || c->clean_pass != ws->clean_passes ||
           c->evaluation != ws->evaluations;
}

void tui_lens_update(struct tui_lens_cache *c, const iv_workspace *ws)
{
    c->pending = false;
    if (!ws->clean || !ws->intervened || !ws->model->gpt2 || !stale(c, ws))
        return;
    bool same = same_model(c, ws);
    if (!same || c->clean_pass != ws->clean_passes) {
        iv_logit_lens_free(&c->clean);
        iv_logit_lens_run(ws->model, ws->clean, 0, &c->clean);
        c->clean_pass = ws->clean_passes;
        c->evaluation = -1;
    }
    iv_logit_lens_free(&c->intervened);
    iv_logit_lens_like(ws->model, ws->intervened, 0, &c->clean, ws->clean, &c->intervened);
    c->evaluation = ws->evaluations;
    c->model = ws->model->serial;
}

bool tui_lens_of(struct tui_lens_cache *c, const iv_workspace *ws, const iv_logit_lens **clean,
                 const iv_logit_lens **intervened, bool *updating)
{
    *updating = false;
    if (!c || !ws->clean || !ws->intervened || !ws->model->gpt2)
        return false;
    if (stale(c, ws)) {
        if (c->later) {
            c->pending = true;
            *updating = true;
            if (!same_model(c, ws))
                return false; /* another model's lens says nothing of this one */
        } else {
            tui_lens_update(c, ws);
        }
    }
    *clean = &c->clean;
    *intervened = &c->intervened;
    return true;
}
