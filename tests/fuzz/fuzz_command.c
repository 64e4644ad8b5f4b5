/* fuzz_command.c - libFuzzer target: the command language (iv_script_split, iv_words_split,
 * iv_command_run) on the built-in max network with a 4 x 4 grid as its dataset.
 *
 * Each input is a script of at most 4 KiB, run on a fresh workspace so that a finding replays from
 * its input alone. Every command runs even after one fails, to reach further, but only the first
 * 16: each re-runs the workspace and most take a pass over the dataset, so a long script costs
 * time in proportion (60 commands take 5 ms) without reaching new code.
 *
 * Commands that write or read files, and the searches (`compare`, optimal ablation), are skipped
 * (see iv_fuzz_command_check). The memory limit is IV_FUZZ_MEMORY_LIMIT, set again for each
 * input. */
#include <stdlib.h>

#include "budget.h"
#include "formats/formats.h"
#include "fuzz_util.h"

#define MAX_INPUT 4096
#define MAX_COMMANDS 16

static iv_workspace *workspace_new(void)
{
    iv_error err;
    iv_model *m = iv_model_builtin_max();
    /* The tiny grid replaces the model's own 11 x 11 one, which would only cost time. */
    m->dataset = "grid x=0:3:1 y=0:3:1";
    iv_workspace *ws = iv_workspace_new(m, &err);
    if (!ws)
        abort();
    return ws;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0;
    /* `limit memory` may have lowered it for the previous input. */
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    char *text = iv_fuzz_text_dup(data, size);
    iv_workspace *ws = workspace_new();
    iv_script_command *cmds;
    int n = iv_script_split(text, &cmds);
    for (int i = 0; i < n && i < MAX_COMMANDS; i++) {
        char **argv;
        iv_error err;
        int argc = iv_words_split(cmds[i].text, &argv, &err);
        if (argc < 0)
            continue;
        if (argc > 0 && iv_fuzz_command_check(argc, argv))
            iv_command_run(ws, argc, argv, &iv_fuzz_sink, &err);
        iv_words_free(argv);
    }
    iv_script_free(cmds, n);
    iv_workspace_free(ws);
    free(text);
    return 0;
}
