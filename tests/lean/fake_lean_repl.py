"""A tiny stand-in REPL process for the subprocess-transport tests (a real program, run as a
child process; it does not touch mathgym code).

It reads requests framed like the Lean REPL (lines joined until a blank line), answers with
pretty-printed multi-line JSON followed by a blank line, and misbehaves on request:

* ``{"cmd": "... sorry"}`` -> an env id and one sorry with goal ``⊢ True`` (a command
  containing ``HANG`` never gets an answer);
* tactic ``trivial`` -> ``proofStatus: "Completed"``, no goals;
* tactic ``hang`` -> never answers (sleeps);
* tactic ``die`` -> writes ``boom`` to stderr and exits with code 3;
* tactic ``garbage`` -> prints text that is not JSON;
* any other tactic -> the same goal, ``"Incomplete: open goals remain"``.
"""

import json
import sys
import time


def main() -> None:
    env = 0
    state = 0
    parts: list[str] = []
    for line in sys.stdin:
        if line.strip():
            parts.append(line.rstrip())
            continue
        if not parts:
            continue
        req = json.loads("".join(parts))
        parts = []
        if "cmd" in req:
            if "HANG" in req["cmd"]:
                time.sleep(3600)
            resp = {"env": env, "sorries": [{"proofState": state, "goal": "⊢ True",
                                             "pos": {"line": 1, "column": 20},
                                             "endPos": {"line": 1, "column": 25}}]}
            env += 1
            state += 1
        else:
            tactic = req["tactic"]
            if tactic == "hang":
                time.sleep(3600)
            if tactic == "die":
                sys.stderr.write("boom\n")
                sys.stderr.flush()
                sys.exit(3)
            if tactic == "garbage":
                sys.stdout.write("this is not json\n\n")
                sys.stdout.flush()
                continue
            done = tactic == "trivial"
            resp = {"proofState": state, "goals": [] if done else ["⊢ True"],
                    "proofStatus": "Completed" if done else "Incomplete: open goals remain"}
            state += 1
        sys.stdout.write(json.dumps(resp, indent=1, ensure_ascii=False) + "\n\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
