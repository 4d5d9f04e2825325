"""The summary of a class's check, read back from its result files (one per submission,
written by ``verigrad.exercises.batch``): per function, how many submissions have it right,
wrong, not done, or could not check it, and the most common findings; per submission, its
score and each function's verdict; the files that could not be run, and why.

``summarize`` builds it, ``table`` prints it, ``write`` saves it beside the results as
``summary.json``, ``summary.csv`` (one row per function) and ``scores.csv`` (one row per
submission, a column per function: a teacher's grade sheet).
"""
from __future__ import annotations

import collections
import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._files import write_text
from .batch import result_path

#: a function's verdict in the summary, and the JSON key of its count
CATEGORIES = {"right": "right", "wrong": "wrong", "not done": "not_done",
              "cannot check": "cannot_check"}
#: how many findings the table shows per function
FINDINGS_SHOWN = 3
#: the kind of the first finding of a function left as the template was
NOT_IMPLEMENTED = "not_implemented"


def category(function: dict) -> str:
    """"right", "wrong", "not done" (a template left as it was) or "cannot check", from a
    function's entry in ``verigrad check --json``'s ``functions``."""
    findings = function.get("findings") or []
    if function.get("verdict") == "NOT DONE" or (
            function.get("ok") is False and findings and findings[0]["kind"] == NOT_IMPLEMENTED):
        return "not done"
    return {True: "right", False: "wrong"}.get(function.get("ok"), "cannot check")  # type: ignore[arg-type]  # noqa: E501


def finding_label(function: dict) -> str | None:
    """The function's first finding as the check's table names it ("scale (W)"), or None."""
    findings = function.get("findings") or []
    if not findings:
        return None
    first = findings[0]
    return first["kind"] + (f" ({first['param']})" if first.get("param") else "")


def status(result: dict) -> str:
    """"checked", "not run" (the file could not be checked at all) or "no exercise"."""
    if "error" in result:
        return "not run"
    return "checked" if result.get("functions") else "no exercise"


def load(json_dir: str | os.PathLike, keys: Sequence[str]) -> list[dict]:
    """The result of each submission of ``keys``, read from ``json_dir``; a result that is
    missing or unreadable is a submission that was not run."""
    results = []
    for key in keys:
        try:
            result = json.loads(result_path(json_dir, key).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            result = {"file": key, "exit_code": 2, "tests": [],
                      "error": f"no result was written ({type(error).__name__})"}
        result["submission"] = key
        results.append(result)
    return results


def summarize(results: Sequence[dict], folder: str | None = None,
              seconds: float | None = None) -> dict:
    """The summary of ``results`` (each a submission's result, with its ``submission``
    key), as written to summary.json."""
    functions: dict[str, dict[str, Any]]  # name -> its row of the table
    functions, scores, not_run, no_exercise = {}, [], [], []
    for result in results:
        key = result["submission"]
        kind = status(result)
        if kind == "not run":
            not_run.append({"file": key, "error": result["error"]})
        elif kind == "no exercise":
            no_exercise.append(key)
        verdicts = {}
        for f in result.get("functions", []):
            row = functions.setdefault(f["name"], {
                "function": f["name"], "exercise": f.get("exercise"), "files": 0,
                **dict.fromkeys(CATEGORIES.values(), 0), "findings": collections.Counter()})
            verdict = category(f)
            row["files"] += 1
            row[CATEGORIES[verdict]] += 1
            label = finding_label(f)
            if verdict != "not done" and label is not None:
                row["findings"][label] += 1
            verdicts[f["name"]] = verdict
        counts = collections.Counter(verdicts.values())
        scores.append({"file": key, "status": kind, "exit_code": result.get("exit_code"),
                       "score": counts["right"], "max_score": len(verdicts),
                       **{CATEGORIES[c]: counts[c] for c in CATEGORIES},
                       "verdicts": verdicts, "seconds": result.get("seconds")})
    common: collections.Counter[tuple[str, str]] = collections.Counter()
    for row in functions.values():
        common.update({(row["function"], label): n for label, n in row["findings"].items()})
        row["findings"] = [{"finding": label, "files": n}
                           for label, n in row["findings"].most_common()]
    all_right = [s["file"] for s in scores
                 if s["status"] == "checked" and s["score"] == s["max_score"]]
    return {"folder": folder, "files": len(results),
            "checked": sum(s["status"] == "checked" for s in scores),
            "all_right": len(all_right), "not_run": not_run, "no_exercise": no_exercise,
            "seconds": seconds, "exit_code": 0 if len(all_right) == len(results) else 1,
            "functions": list(functions.values()),
            "findings": [{"function": fn, "finding": label, "files": n}
                         for (fn, label), n in common.most_common()],
            "scores": scores}


def table(summary: dict) -> str:
    """The summary as the terminal shows it: one line of counts, the table of functions
    with their most common findings, then the files that could not be run, and why."""
    head = (f"{summary['files']} submission(s)" +
            (f" in {summary['folder']}" if summary.get("folder") else "") +
            f": {summary['checked']} checked, {summary['all_right']} all right, "
            f"{len(summary['not_run'])} could not be run, {len(summary['no_exercise'])} "
            f"with no exercise" +
            (f" ({summary['seconds']:.1f} s)" if summary.get("seconds") is not None else ""))
    rows = [("function", "files", "right", "wrong", "not done", "cannot check",
             "most common findings")]
    for row in summary["functions"]:
        shown = row["findings"][:FINDINGS_SHOWN]
        findings = ", ".join(f"{f['finding']} ×{f['files']}" for f in shown)
        if len(row["findings"]) > FINDINGS_SHOWN:
            findings += f", +{len(row['findings']) - FINDINGS_SHOWN} more"
        rows.append((row["function"], *(str(row[k]) for k in ("files", *CATEGORIES.values())),
                     findings or "-"))
    lines = [head, ""]
    if summary["functions"]:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += ["  ".join(c.rjust(w) if 0 < i < 6 else c.ljust(w)
                            for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]
    else:
        lines.append("No exercise was checked in any submission.")
    if summary["not_run"]:
        lines += ["", "Could not be run (exit status 2, no verdict):"]
        lines += [f"  {f['file']}: {' '.join(f['error'].split())}" for f in summary["not_run"]]
    if summary["no_exercise"]:
        lines += ["", "No exercise of the catalogue found in: " +
                  ", ".join(summary["no_exercise"])]
    return "\n".join(lines)


def write(json_dir: str | os.PathLike, summary: dict) -> list[Path]:
    """Write summary.json, summary.csv and scores.csv into ``json_dir``; their paths."""
    json_dir = Path(json_dir)
    per_function = [["function", "exercise", "files", *CATEGORIES, "most common findings"]]
    per_function += [[r["function"], r["exercise"], r["files"],
                      *(r[k] for k in CATEGORIES.values()),
                      "; ".join(f"{f['finding']} ×{f['files']}" for f in r["findings"])]
                     for r in summary["functions"]]
    names = [r["function"] for r in summary["functions"]]
    errors = {f["file"]: f["error"] for f in summary["not_run"]}
    per_file = [["file", "status", "exit_code", "score", "max_score", *names, "error"]]
    per_file += [[s["file"], s["status"], s["exit_code"], s["score"], s["max_score"],
                  *(s["verdicts"].get(n, "") for n in names), errors.get(s["file"], "")]
                 for s in summary["scores"]]
    written = []
    for name, text in (("summary.json", json.dumps(summary, indent=1, ensure_ascii=False)),
                       ("summary.csv", _csv(per_function)), ("scores.csv", _csv(per_file))):
        write_text(json_dir / name, text)
        written.append(json_dir / name)
    return written


def _csv(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
