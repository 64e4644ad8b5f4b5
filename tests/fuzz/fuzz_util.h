/* fuzz_util.h - what the fuzz targets share: inputs as text or as files in a private directory,
 * a filter that keeps commands from touching the file system, and the model checks.
 *
 * Readers that take only a path get the input written to a file in one directory per process,
 * made with mkdtemp under $TMPDIR on first use and removed at exit, so parallel jobs never share
 * a file. */
#ifndef IV_FUZZ_UTIL_H
#define IV_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "model.h"

/* The memory limit every target runs under, so that a request for a huge dataset, pass or sample
 * count is refused at once instead of being computed. 1 MiB still holds a dataset of 131,072
 * examples of the max network and a pass of 16,384 rows, enough to reach every code path; under
 * 64 MiB a 7-million-point grid was built, which took a second and halved the command target's
 * rate. */
#define IV_FUZZ_MEMORY_LIMIT ((size_t)1 << 20)

/* The input as a NUL-terminated string (free it); a NUL inside ends the text early, as a reader of
 * C strings would see it. */
char *iv_fuzz_text_dup(const uint8_t *data, size_t size);

/* Writes the input to NAME in the private directory and returns its path (owned by this module,
 * valid until the next call with the same name). Aborts when the file cannot be written, since
 * every later run would then test nothing. */
const char *iv_fuzz_file_write(const char *name, const uint8_t *data, size_t size);

/* A path in the private directory for a file the target itself writes (e.g. a round trip). */
const char *iv_fuzz_file_path(const char *name);

/* A sink that renders every result as JSON text and drops it. */
extern const iv_sink iv_fuzz_sink;

/* Whether a command (as words) may run under the fuzzer. Not save, export or load: they write
 * files or read other sessions (which the session target covers). Not `limit memory` above
 * IV_FUZZ_MEMORY_LIMIT. Not `compare` or optimal ablation: their cost is a search of hundreds of
 * passes (10 to 20 ms on a 4 x 4 grid, seconds on a large one, against 0.2 ms for a typical
 * command), which would hold the targets far below the thousand runs a second they need, and
 * their arguments are read by the same code as those of the other ablations. And no argument that
 * names an existing file, so that a run depends on its input and not on the machine. */
bool iv_fuzz_command_check(int argc, char **argv);

/* Whether a script has at most max_commands commands and each passes iv_fuzz_command_check (one
 * that does not split into words passes: its error is worth reaching). */
bool iv_fuzz_script_check(const char *text, int max_commands);

/* The properties every model a reader accepts must have: it writes in the text format (the writer
 * may refuse an imported model it could not write so that it reads back, never one from_text),
 * the text parses back, and writing that gives the same text. Then a workspace opens on it (its
 * target and default dataset build) and shows every site. Does not take m. Aborts, naming what
 * broke, so that libFuzzer keeps the input. */
void iv_fuzz_model_check(iv_model *m, bool from_text);

#endif
