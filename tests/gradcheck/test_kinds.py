"""The one vocabulary of findings: every kind verigrad reports is registered, with its
description and advice; an unknown kind is refused; the documentation's tables are the
registry's."""
import ast
import copy
import json
import pickle
from pathlib import Path

import pytest

import verigrad as vg
import verigrad.exercises  # noqa: F401  (registers the exercises' kinds)
from verigrad.exercises import register_mistakes
from verigrad.exercises.core import Mistake
from verigrad.gradcheck import Finding, Kind, kinds, register_kind, registered_kinds
from verigrad.gradcheck.findings import KINDS, Diagnosis

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def scratch_registry(monkeypatch):
    """Registrations made in a test are forgotten after it."""
    monkeypatch.setattr(kinds, "_REGISTRY", dict(vars(kinds)["_REGISTRY"]))


def test_a_kind_is_its_name_for_comparison_json_pickle_and_copy():
    finding = Finding("scale", "W1", "dW1 is 4 × the true gradient")
    assert finding.kind == "scale" and finding.kind is kinds.SCALE
    assert isinstance(finding.kind, Kind) and f"{finding.kind}" == "scale"
    assert str(finding) == "[scale] W1: dW1 is 4 × the true gradient"
    assert json.dumps({"kind": finding.kind}) == '{"kind": "scale"}'
    assert pickle.loads(pickle.dumps(finding)).kind is kinds.SCALE
    assert copy.deepcopy(finding).kind is kinds.SCALE
    assert {"scale": 1}[finding.kind] == 1


def test_the_gradient_checks_kinds_are_registered_with_their_texts():
    assert KINDS == registered_kinds("gradcheck") and len(KINDS) == 12
    exercises = registered_kinds("exercises")
    assert {"forward", "stride", "accumulate", "bn_mean_path", "activation"} <= set(exercises)
    import verigrad.pytorch  # noqa: F401  (registers the PyTorch comparison's kinds)
    assert {"second_path"} == set(registered_kinds("pytorch"))
    assert set(registered_kinds()) == set(KINDS) | set(exercises) | {"second_path"}
    for kind in registered_kinds():
        assert kind.description.strip() and kind.advice.strip() and Kind(str(kind)) is kind


def test_an_unknown_kind_is_refused_by_finding_diagnosis_and_mistake():
    with pytest.raises(ValueError, match=r"'sacle' is not a registered finding kind "
                                         r"\(did you mean 'scale'"):
        Finding("sacle", "W1", "message")
    with pytest.raises(ValueError, match="not a registered finding kind"):
        Diagnosis("no_such_kind", None, "head", "why")
    with pytest.raises(ValueError, match="not a registered finding kind"):
        Mistake("no_such_kind", "a wrong formula", lambda *args: None)
    with pytest.raises(ValueError, match="not a registered finding kind"):
        Kind(3)
    with pytest.raises(AttributeError, match="cannot be changed"):
        kinds.SCALE.advice = "elsewhere"


def test_registering_a_kind(scratch_registry):
    kind = register_kind("im2col_order", "the columns are in the other order",
                         "the order of the loops", origin="exercises")
    assert Finding("im2col_order", None, "m").kind is kind and kind.origin == "exercises"
    assert kind in registered_kinds("exercises")
    # the same texts again (a module imported twice): the same kind
    assert register_kind("im2col_order", "the columns are in the other order",
                         "the order of the loops", origin="exercises") is kind
    with pytest.raises(ValueError, match="already registered by 'gradcheck'"):
        register_kind("scale", "something else", "elsewhere", origin="exercises")
    for name in ("Bad", "1st", "has space", "", None):
        with pytest.raises(ValueError, match="lower case letters"):
            register_kind(name, "d", "a", origin="exercises")
    with pytest.raises(ValueError, match="advice of finding kind 'fine' must be a non-empty"):
        register_kind("fine", "d", "  ", origin="exercises")


def test_an_exercise_module_registers_its_mistakes_in_one_call(scratch_registry):
    added = register_mistakes({"window_order": ("the windows are read column-major",
                                                "the order of the h and w loops")})
    assert added["window_order"].advice == "the order of the h and w loops"
    assert Mistake("window_order", "m", lambda: None).kind is added["window_order"]
    assert "window_order" in registered_kinds("exercises")


def _literal_kinds():
    """Every kind written as a literal in verigrad's code: the first argument of Finding,
    Diagnosis and Mistake, and the string a finding's ``.kind`` is compared with (not a
    dtype's)."""
    found = set()
    for path in (ROOT / "verigrad").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "Finding", "Diagnosis", "Mistake") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add((path.name, node.args[0].value))
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
                    and node.left.attr == "kind" and "dtype" not in ast.unparse(node.left)):
                found.update((path.name, c.value) for c in node.comparators
                             if isinstance(c, ast.Constant))
    return found


def test_every_kind_the_code_names_is_registered():
    literals = _literal_kinds()
    assert len(literals) > 30  # the scan finds the catalogue's findings
    unknown = sorted((name, kind) for name, kind in literals if kind not in registered_kinds())
    assert not unknown, f"kinds used but never registered: {unknown}"


def test_every_finding_of_a_real_check_is_a_registered_kind():
    import numpy as np

    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    report = vg.check_backprop(lambda p: float(np.sum(p["W"] ** 2)),
                               lambda p: {"dW": 8 * p["W"]}, {"W": W})
    assert [f.kind for f in report.findings] == ["scale"]
    assert all(type(f.kind) is Kind for f in report.findings)


def test_the_documentations_tables_are_the_registrys(generated_pages):
    tables = generated_pages.load("make_kind_tables")
    assert tables.stale() == [], ("a table of kinds in docs/ is out of date: run "
                                  "python docs/make_kind_tables.py")
    for page, origin in tables.PAGES.items():
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for kind in registered_kinds(origin):
            assert f"| `{kind}` | {kind.description} | {kind.advice} |" in text


def test_a_stale_table_is_found_and_rewritten(scratch_registry, tmp_path, generated_pages):
    tables = generated_pages.load("make_kind_tables")
    for page in tables.PAGES:
        (tmp_path / page).write_text((ROOT / "docs" / page).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    register_mistakes({"new_mistake": ("something new", "somewhere")})
    assert tables.stale(tmp_path) == ["checking-your-layers.md"]
    page = tmp_path / "checking-your-layers.md"
    page.write_text(tables.with_table(page.read_text(encoding="utf-8"), "exercises"),
                    encoding="utf-8")
    assert tables.stale(tmp_path) == []
    assert "| `new_mistake` | something new | somewhere |" in page.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="must hold one table of the exercises kinds"):
        tables.with_table("no table here", "exercises")
