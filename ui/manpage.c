/* manpage.c - the manual page, generated from the same tables as the help (commands, the explorer's
 * commands and keys), so that it cannot drift from the program. `intervene --man` prints it; the
 * build writes it to intervene.1 and `make install` installs it. */
#include <stdio.h>
#include <string.h>

#include "manpage.h"
#include "tui.h"

/* Writes text for troff: backslashes escaped, a leading '.' or '\'' made literal, and each line
 * of a multi-line text as its own output line. */
static void put_text(FILE *f, const char *s)
{
    bool line_start = true;
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
        line_start = *s == '\n';
    }
}

static void section(FILE *f, const char *name) { fprintf(f, ".SH %s\n", name); }

static void paragraph(FILE *f, const char *text)
{
    fputs(".PP\n", f);
    put_text(f, text);
    fputc('\n', f);
}

static void tagged(FILE *f, const char *tag, const char *text)
{
    fputs(".TP\n.B ", f);
    put_text(f, tag);
    fputc('\n', f);
    put_text(f, text);
    fputc('\n', f);
}

static void commands_section(FILE *f)
{
    int n;
    const iv_command *cmds = iv_commands(&n);
    section(f, "COMMANDS");
    paragraph(f, "Every action is a command: typed at the explorer's ':' line, issued by its keys, "
                 "or run with -c and -s. Several commands on a line are separated by ';'; '#' "
                 "starts a comment.");
    for (int i = 0; i < n; i++) {
        char tag[256];
        snprintf(tag, sizeof tag, "%s%s%s", cmds[i].name, *cmds[i].usage ? " " : "", cmds[i].usage);
        fputs(".TP\n.B ", f);
        put_text(f, tag);
        fputc('\n', f);
        put_text(f, cmds[i].summary);
        fputs(".\n", f);
        if (*cmds[i].detail) {
            fputs(".nf\n", f); /* details are laid out by hand: keep their lines */
            put_text(f, cmds[i].detail);
            fputs("\n.fi\n", f);
        }
    }
    const tui_command *ui = tui_commands(&n);
    paragraph(f, "The explorer adds commands for its own state:");
    for (int i = 0; i < n; i++) {
        char tag[256];
        snprintf(tag, sizeof tag, "%s %s", ui[i].name, ui[i].usage);
        tagged(f, tag, ui[i].summary);
    }
}

static void keys_section(FILE *f)
{
    int n;
    const tui_key *keys = tui_keys(&n);
    section(f, "KEYS");
    paragraph(f, "In the explorer each key runs a command, echoed on the message line.");
    for (int i = 0; i < n; i++) {
        if (!keys[i].label)
            continue;
        char text[300];
        snprintf(text, sizeof text, "%s%s%s", keys[i].help, keys[i].command ? ": " : "",
                 keys[i].command ? keys[i].command : "");
        tagged(f, keys[i].label, text);
    }
}

void ui_write_manpage(FILE *f, const char *version)
{
    fprintf(f, ".TH INTERVENE 1 \"\" \"intervene %s\" \"User Commands\"\n", version);
    section(f, "NAME");
    fputs("intervene \\- explore interventions on neural networks in a terminal\n", f);
    section(f, "SYNOPSIS");
    fputs(".B intervene\n[\\fIOPTIONS\\fR] [\\fIMODEL\\fR]\n", f);
    section(f, "DESCRIPTION");
    paragraph(f, "intervene edits a network's activations (zero, mean, noise, resample and optimal "
                 "ablation, setting a value, patching a value in from a second input) and shows "
                 "at once what changes, for one input and over a whole reference dataset. Without "
                 "MODEL it opens the max(x, y) network of the lecture on interventions. MODEL is "
                 "a text model file (.nn).");
    section(f, "OPTIONS");
    tagged(f, "-c, --command TEXT", "Run commands and print their results (repeatable).");
    tagged(f, "-s, --script FILE", "Run the commands in FILE; - reads standard input.");
    tagged(f, "--json", "Print each result as one line of JSON.");
    tagged(f, "-k, --keep-going", "After a failing command, run the rest.");
    tagged(f, "--demo FILE", "Lecture mode: step through FILE (] next, [ back).");
    tagged(f, "--prompt", "A line-by-line prompt instead of the full-screen explorer.");
    tagged(f, "--man", "Print this manual page.");
    tagged(f, "-h, --help; -V, --version", "Usage; version.");
    commands_section(f);
    keys_section(f);
    section(f, "LONG COMMANDS");
    paragraph(f, "In the explorer a command that takes more than a moment shows a progress bar on "
                 "the message line: the command, how much is done, the time left, and Esc cancels. "
                 "Esc or Ctrl-C stops it and undoes the whole line, so nothing changes; other keys "
                 "are not taken meanwhile. Ctrl-C with nothing running quits, asking first when "
                 "there are unsaved interventions. In batch mode and at the prompt a progress line is shown on "
                 "standard error when it is a terminal; SIGINT (Ctrl-C) stops the running "
                 "command, which then changes nothing: at the prompt, back to the prompt; in batch "
                 "mode the program ends with status 130.");
    section(f, "ENVIRONMENT");
    tagged(f, "NO_COLOR", "When set and not empty, the explorer shows magnitudes with shade "
                          "glyphs instead of colours.");
    tagged(f, "XDG_STATE_HOME", "The command line's history is kept in "
                                "$XDG_STATE_HOME/intervene/history (default ~/.local/state).");
    section(f, "EXIT STATUS");
    paragraph(f, "0 on success; 2 when a model file or a command fails (the message names the "
                 "file and line, or the command); 128 + N after signal N (130 when SIGINT "
                 "interrupted a run).");
    section(f, "EXAMPLES");
    fputs(".nf\n", f);
    put_text(f, "intervene -c 'input 3 5; ablate h1[1] zero; show out'     # clean 5, intervened 8\n"
                "intervene -c 'input 3 5; source 5 3; patch h1[0:2]; show out'   # 3\n"
                "intervene -c 'compare h1'    # loss gaps of every kind of ablation\n"
                "intervene --demo zero-ablation.demo");
    fputs("\n.fi\n", f);
}
