"""TAB in bash for words that hold an ``@``, ``=`` or ``:`` (README, "Shell completion").

bash splits the line it completes at the characters of ``COMP_WORDBREAKS``, which include
``@``, ``=`` and ``:``: ``incidentctl contacts show anouk@va<TAB>`` reaches the completion as
the words ``anouk``, ``@`` and ``va``, of which bash replaces only the last. The script Typer
installs (``--install-completion``) hands those words on as they are (``COMP_WORDS``, joined by
line ends, and ``COMP_CWORD``), so the address was completed from ``va``, and an ``--as
anouk@vandijk.nl`` earlier on the line made everything after it complete wrongly (``contacts
show b<TAB>`` gave ``backup``).

:class:`BashComplete` takes the place of Typer's class for bash, through Click's public
``add_completion_class``, with the same script: it glues each word made only of those
characters to the words on both sides, back into the word the user typed, completes that,
and answers with the part readline replaces (what follows the last of them, with the ``@``
itself when that is the last: readline keeps an ``@`` in the word it completes). So a script
installed before this change works as well.
"""

from __future__ import annotations

import os
from typing import Any

from incidentctl.cli.clickapi import (
    CompletionItem,
    ShellComplete,
    add_completion_class,
    split_arg_string,
)

BREAKS = frozenset("@=:")
"""The characters of bash's COMP_WORDBREAKS that occur inside a value of incidentctl (an
address, ``--as=EMAIL``, a time): a word made only of them joins the words around it."""

SPECIAL_PREFIXES = frozenset("@$")
"""bash's ``rl_special_prefixes``: a word break that readline keeps in the word it completes
(for ``@host`` and ``$VAR``), so the text it replaces starts at the ``@``, while bash's words
put the ``@`` in a word of its own."""

# The script of Typer's bash completion (``--show-completion bash`` prints the same; a test
# holds them together), for ``_INCIDENTCTL_COMPLETE=source_bash incidentctl``.
SCRIPT = """
%(complete_func)s() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \\
                   COMP_CWORD=$COMP_CWORD \\
                   %(autocomplete_var)s=complete_bash $1 ) )
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s
"""


def typed_words(words: list[str], current: int) -> tuple[list[str], str, int]:
    """(the words before the one being completed, that word, as typed; how many characters
    of it come before the part readline replaces), from the words bash split the line into
    and the position of the one being completed."""
    merged: list[str] = []
    glue = False  # the next word continues the last one
    start = 0  # where the word being completed starts in ``merged``' last word
    for position, word in enumerate(words[: current + 1]):
        breaks_only = bool(word) and set(word) <= BREAKS
        if merged and position > 0 and (glue or breaks_only) and (word or breaks_only):
            if position == current:
                start = len(merged[-1])
            merged[-1] += word
        else:
            merged.append(word)
            if position == current:
                start = 0
        glue = breaks_only
    if current >= len(words):  # the line ends in a blank: a new, empty word
        return merged, "", 0
    word = merged[-1]
    if start and word[start - 1] in SPECIAL_PREFIXES:
        start -= 1  # readline replaces it too: the word it completes starts with it
    return merged[:-1], word, start


class BashComplete(ShellComplete):
    """bash completion that completes words holding ``@``, ``=`` or ``:`` as typed."""

    name = "bash"
    source_template = SCRIPT

    def source_vars(self) -> dict[str, Any]:
        return {
            "complete_func": self.func_name,
            "autocomplete_var": self.complete_var,
            "prog_name": self.prog_name,
        }

    def get_completion_args(self) -> tuple[list[str], str]:
        args, incomplete, _ = self._typed()
        return args, incomplete

    def _typed(self) -> tuple[list[str], str, int]:
        words = split_arg_string(os.environ["COMP_WORDS"])
        before, incomplete, start = typed_words(words, int(os.environ["COMP_CWORD"]))
        return before[1:], incomplete, start

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}"

    def complete(self) -> str:
        args, incomplete, start = self._typed()
        # Click completes the value of ``--option=value`` without the ``--option=``.
        option = ""
        if incomplete.startswith("-") and "=" in incomplete:
            option = incomplete.partition("=")[0] + "="
        answers = []
        for item in self.get_completions(args, incomplete):
            value = option + str(item.value)
            if value.startswith(incomplete[:start]):
                answers.append(value[start:])
        return "\n".join(answers)


def register() -> None:
    """Complete bash lines with :class:`BashComplete` (after Typer registered its own)."""
    add_completion_class(BashComplete, BashComplete.name)
