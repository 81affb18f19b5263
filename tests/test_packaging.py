"""The packaging metadata, and the private scikit-learn names skmm relies on."""

import ast
import importlib
import tomllib
from pathlib import Path

import pytest
import sklearn
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# Every private scikit-learn name skmm imports, as (module, name). Policy: use a
# public equivalent where scikit-learn has one; otherwise list the name here,
# and keep scikit-learn's upper bound in pyproject.toml at the minor after the
# newest release tested. A release that moves or drops one of these fails
# test_private_sklearn_name_imports before users meet it;
# test_private_sklearn_names_are_listed keeps this list complete.
SKLEARN_PRIVATE_NAMES = [
    # Declarative parameter validation (no public API).
    ("sklearn.utils._param_validation", "HasMethods"),
    ("sklearn.utils._param_validation", "Hidden"),
    ("sklearn.utils._param_validation", "Interval"),
    ("sklearn.utils._param_validation", "StrOptions"),
    ("sklearn.utils._param_validation", "validate_params"),
    ("sklearn.base", "_fit_context"),
    # Documented in scikit-learn's API reference, private by its name only.
    ("sklearn.utils", "_safe_indexing"),
    # Style keyword checks shared with scikit-learn's own displays.
    ("sklearn.utils._plotting", "_validate_style_kwargs"),
    # Parameters of (name, estimator, column) lists, as ColumnTransformer's.
    ("sklearn.utils.metaestimators", "_BaseComposition"),
    ("sklearn.utils.validation", "_check_feature_names_in"),
    ("sklearn.utils.validation", "_check_method_params"),
]


def _is_private(dotted):
    return any(part.startswith("_") for part in dotted.split("."))


def _private_sklearn_imports():
    """``{(module, name): [files]}`` of private sklearn names imported in skmm."""
    found = {}
    for path in sorted((ROOT / "skmm").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level or module.split(".")[0] != "sklearn":
                    continue
                pairs = [(module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                pairs = [
                    (alias.name, None)
                    for alias in node.names
                    if alias.name.split(".")[0] == "sklearn"
                ]
            else:
                continue
            for module, name in pairs:
                if _is_private(module) or (name and name.startswith("_")):
                    relative = str(path.relative_to(ROOT))
                    found.setdefault((module, name), []).append(relative)
    return found


@pytest.mark.parametrize(("module", "name"), SKLEARN_PRIVATE_NAMES)
def test_private_sklearn_name_imports(module, name):
    assert hasattr(importlib.import_module(module), name), (
        f"scikit-learn {sklearn.__version__} has no {module}.{name}, which skmm "
        "uses: replace it, or keep scikit-learn's upper bound below this release."
    )


def test_private_sklearn_names_are_listed():
    found = _private_sklearn_imports()
    unlisted = {
        key: files for key, files in found.items() if key not in SKLEARN_PRIVATE_NAMES
    }
    assert not unlisted, f"add to SKLEARN_PRIVATE_NAMES (or replace): {unlisted}"
    unused = set(SKLEARN_PRIVATE_NAMES) - set(found)
    assert not unused, f"no longer imported, drop from the list: {unused}"


def _requirement(requirements, name):
    matches = [Requirement(text) for text in requirements]
    matches = [req for req in matches if req.name == name]
    assert len(matches) == 1, f"expected one {name} requirement in {requirements}"
    return matches[0]


def _floor(requirement):
    floors = [
        Version(spec.version)
        for spec in requirement.specifier
        if spec.operator in (">=", "==", "~=")
    ]
    return max(floors, default=None)


def test_build_backend_reads_the_license_expression():
    # An SPDX string `license` (PEP 639) needs setuptools >= 77; an older one
    # in an isolated build fails on the metadata.
    if not isinstance(PYPROJECT["project"].get("license"), str):
        pytest.skip("license is not an SPDX expression")
    setuptools = _requirement(PYPROJECT["build-system"]["requires"], "setuptools")
    floor = _floor(setuptools)
    assert floor is not None and floor >= Version("77"), str(setuptools)


def test_scikit_learn_is_bounded_above_and_installed_within():
    requirement = _requirement(PYPROJECT["project"]["dependencies"], "scikit-learn")
    assert any(spec.operator == "<" for spec in requirement.specifier), (
        "skmm imports private scikit-learn names: bound scikit-learn above"
    )
    assert requirement.specifier.contains(sklearn.__version__, prereleases=True)


def test_one_package_owns_cv2():
    # opencv-python(-headless) and opencv-contrib-python(-headless) all install
    # `cv2`; two of them in one environment overwrite each other's files.
    project = PYPROJECT["project"]
    groups = {"dependencies": project["dependencies"]}
    groups.update(project.get("optional-dependencies", {}))
    owners = [
        (group, Requirement(text).name)
        for group, requirements in groups.items()
        for text in requirements
        if Requirement(text).name.startswith("opencv")
    ]
    assert owners == [("dependencies", "opencv-python-headless")]


def test_ruff_is_a_dev_tool_not_a_test_dependency():
    extras = PYPROJECT["project"]["optional-dependencies"]
    names = {
        group: {Requirement(text).name for text in requirements}
        for group, requirements in extras.items()
    }
    assert "ruff" not in names["test"]
    assert "ruff" in names["dev"]
    assert "skmm" in names["dev"] or names["test"] <= names["dev"]
