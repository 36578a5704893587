"""correct: try a GGUF the way the CLI of `base.consumer` (fix or wit) runs it.

    python -m cmd_correct correct "gti status" [--shell zsh] [--gguf PATH] [--threads N]
        [--tool 'which_binary(git)=/usr/bin/git' ...]   (wit only: what its tools said, in its order)

The prompt, the decoding and the clean-up are the consumer's own (contract.CONSUMERS through
infer.Corrector); the shell name is found as fix finds it (--shell, else the basename of $SHELL, else
`powershell` when PSModulePath is set, else bash) and goes into the prompt verbatim, a name the model was not
trained on included (a note on stderr says so). Like fix, it prints the corrected command, or "No correction
needed" when the answer equals the input (fix only; wit prints its answer). The GGUF defaults to the
pipeline's release.quant_type file in models/quant.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from . import contract, paths
from . import params as params_mod

NO_CORRECTION = "No correction needed"  # what fix prints when the answer is its input


def detect_shell(environ: dict[str, str] | None = None) -> str:
    """fix's shell detection: the basename of $SHELL, else powershell when PSModulePath is set, else bash
    (fix picks cmd on Windows before bash; this runs where $SHELL or PSModulePath says)."""
    env = os.environ if environ is None else environ
    if env.get("SHELL"):
        return Path(env["SHELL"]).name
    return "powershell" if env.get("PSModulePath") else "bash"


TOOL_ARG = re.compile(r"(\w+)\(([^)]*)\)=(.*)", re.S)  # --tool 'which_binary(git)=/usr/bin/git'


def parse_tool(text: str) -> contract.ToolResult:
    """A `--tool 'name(arg)=output'` option as a ToolResult (output kept as wit keeps it); ValueError if malformed."""
    m = TOOL_ARG.fullmatch(text)
    if not m or m.group(1) not in contract.TOOLS:
        raise ValueError(f"--tool {text!r}: expected NAME(ARG)=OUTPUT with NAME one of {', '.join(contract.TOOLS)}")
    kept = contract.keep_output(m.group(3).replace("\\n", "\n"))
    if kept is None:
        raise ValueError(f"--tool {text!r}: wit leaves an empty result out of its prompt; drop the option")
    return contract.ToolResult(m.group(1), m.group(2), kept)


def correct(
    gguf: Path,
    command: str,
    shell: str,
    *,
    threads: int | None = None,
    consumer: str = "fix",
    results: tuple[contract.ToolResult, ...] = (),
) -> tuple[str, float]:
    """The consumer's answer for `command` (wit: with its tool `results`) and the load time in ms."""
    from .infer import load

    with load(gguf, threads=threads, consumer=consumer) as model:
        model.known_shells = False  # any one-word name, verbatim, as the CLIs send it
        return model.correct(shell, model.user(command, results)).text, model.load_ms


def main(argv: list[str] | None = None) -> int:
    from .cli import parser

    p = parser("correct", __doc__)
    p.add_argument("command", help='the command to correct, quoted as one argument ("gti status")')
    p.add_argument("--shell", default=None, help="shell name for the prompt (default: as fix detects it)")
    p.add_argument("--gguf", type=Path, default=None, help="GGUF to load (default: the release quant type's)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: evaluate.threads)")
    p.add_argument("--tool", action="append", default=[], help="wit: a tool result NAME(ARG)=OUTPUT (\\n: newline)")
    args = p.parse_args(argv)
    shell = args.shell or detect_shell()
    raw = params_mod.load(args.params)
    consumer = params_mod.base_consumer(raw, args.params)
    try:
        results = tuple(map(parse_tool, args.tool))
        contract.user_turn(args.command, results, consumer=consumer)
    except ValueError as e:
        p.error(str(e))
    # Before llama.cpp's OpenMP runtime loads: spinning threads, as a CLI's unset policy runs (evaluate's).
    os.environ["OMP_WAIT_POLICY"] = params_mod.section("evaluate", raw, path=args.params).omp_wait_policy
    gguf = args.gguf or paths.quant_gguf(params_mod.section("release", raw, path=args.params).quant_type)
    if shell not in contract.PROMPT_SHELLS:
        print(
            f"note: shell {shell!r} is not one the model was trained on ({', '.join(contract.PROMPT_SHELLS)}); "
            "fix sends it as it is, and so does this",
            file=sys.stderr,
        )
    answer, load_ms = correct(gguf, args.command, shell, threads=args.threads, consumer=consumer, results=results)
    print(NO_CORRECTION if consumer == "fix" and answer == args.command.strip() else answer)
    print(f"({gguf}, shell {shell}, loaded in {load_ms:.0f} ms)", file=sys.stderr)
    return 0
