"""The process in which ``verigrad check`` runs a learner's file.

    python -m verigrad.cli._learner FILE RESULT SETTINGS [--debug]

imports FILE, checks its ``grads`` against its ``cost`` with
``check_backprop(**SETTINGS)`` (a JSON object), prints the report and writes {"ok": bool,
"report": text, "findings": [{"kind", "param", "message"}]} or {"error": message} to the
file RESULT. The parent command trusts only RESULT, never this process's exit status: code
in FILE may call ``sys.exit(0)`` or ``os._exit(0)``, which must not pass for a check.
"""
import json
import sys
import traceback
from pathlib import Path


def describe(err, path):
    """One line: what the learner's code raised, and where in their file."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if Path(f.filename).resolve() == path.resolve()]
    where = f" (line {frames[-1].lineno} of {path}, in {frames[-1].name})" if frames else ""
    if isinstance(err, SystemExit):
        return (f"{path} called sys.exit({err.code!r}){where} before the check finished: a "
                f"file to check should only define params, cost and grads")
    if isinstance(err, SyntaxError):
        return f"{path} has a syntax error: {err.msg} (line {err.lineno})"
    if not frames:  # the check's own verdict on what the file defines
        return str(err)
    return f"{path} raised {type(err).__name__}{f': {err}' if str(err) else ''}{where}"


def main(argv):
    from ..gradcheck import check_backprop
    from .check import load_learner_file

    path, result_file, settings = Path(argv[0]), Path(argv[1]), json.loads(argv[2])
    try:
        params, cost, grads, order = load_learner_file(path)
        report = check_backprop(cost, grads, params, order=order, **settings)
    except BaseException as err:  # noqa: BLE001 -- whatever the learner's code does
        if "--debug" in argv:
            traceback.print_exc()
        result = {"error": describe(err, path)}
    else:
        print(report, flush=True)
        result = {"ok": bool(report.ok), "report": str(report),
                  "findings": [{"kind": f.kind, "param": f.param, "message": f.message}
                               for f in report.findings]}
    result_file.write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
