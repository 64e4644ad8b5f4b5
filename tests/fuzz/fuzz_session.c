/* fuzz_session.c - libFuzzer target: saved sessions, as the `load FILE` command replays them.
 *
 * The input is written to a file and loaded into one workspace kept for the whole run: `load`
 * replays into a fresh workspace of its own and swaps it in only on success, so the previous
 * input's session cannot leak into this one (the seed, which `load` carries over, is reset first).
 * A session holding a command the fuzzers skip (see iv_fuzz_command_check: one that writes or reads
 * other files, or a search) is not loaded, nor one of more than 32 commands: `save` writes one
 * command per line of state, and a longer replay only costs time. */
#include <stdlib.h>

#include "budget.h"
#include "formats/formats.h"
#include "fuzz_util.h"

#define MAX_COMMANDS 32

static iv_workspace *ws;

static void workspace_free(void) { iv_workspace_free(ws); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT);
    iv_error err;
    ws = iv_workspace_new(iv_model_builtin_max(), &err);
    if (!ws)
        abort();
    atexit(workspace_free);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = iv_fuzz_text_dup(data, size);
    bool safe = iv_fuzz_script_check(text, MAX_COMMANDS);
    free(text);
    if (!safe)
        return 0;
    char *argv[] = {"load", (char *)iv_fuzz_file_write("session.iv", data, size), NULL};
    iv_error err;
    ws->seed = 1;
    iv_memory_limit_set(IV_FUZZ_MEMORY_LIMIT); /* a session may have lowered it */
    iv_command_run(ws, 2, argv, &iv_fuzz_sink, &err);
    return 0;
}
