"""The package is laid out by layer, and each layer imports only itself and the layers below it:

    gan < engine < run < service < host < ui

read from every module's source with ``ast`` (imports anywhere: at the top, in function bodies, under
``if TYPE_CHECKING:``), relative imports resolved. The entry points (``ganapp/__main__.py``, ``ganapp/cli.py``) may
import anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ganapp"
LAYERS = ("gan", "engine", "run", "service", "host", "ui")
ENTRY_POINTS = {"__init__.py", "__main__.py", "cli.py"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, absolute (``from . import x`` gives ``<package>.x``), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from .x (level 1) is in this package; each further dot goes one package up
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            out.append((base, node.lineno))
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names]  # from package import module
    return out


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[0] == "ganapp" and parts[1] in LAYERS else None


def test_the_reading_resolves_relative_imports_as_python_does(tmp_path):
    """(the rules below are only as good as this reading)"""
    module = tmp_path / "ganapp" / "run" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..gan.config import A\nfrom . import history\ndef f():\n    import gradio\n")
    global PACKAGE
    real, PACKAGE = PACKAGE, tmp_path / "ganapp"
    try:
        names = {m for m, _ in imported(module)}
    finally:
        PACKAGE = real
    assert {"ganapp.gan.config", "ganapp.gan.config.A", "ganapp.run", "ganapp.run.history", "gradio"} == names


def test_each_layer_imports_only_itself_and_the_layers_below():
    wrong = []
    for path in modules():
        mine = layer_of(module_name(path))
        if mine is None:
            continue
        for target, line in imported(path):
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({LAYERS[mine]}) imports {target} "
                             f"({LAYERS[theirs]})")
    assert not wrong, "\n".join(wrong)


def test_only_the_ui_imports_gradio():
    wrong = [f"{p.relative_to(PACKAGE.parent)}:{line}" for p in modules() if layer_of(module_name(p)) != 5
             for target, line in imported(p) if target.split(".")[0] == "gradio"]
    assert not wrong, wrong


def test_the_gan_layer_starts_no_thread():
    """Pure GAN code: locks are allowed (a reader and the trainer share a model), starting a thread is not."""
    wrong = []
    for path in (PACKAGE / "gan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name in ("Thread", "ThreadPoolExecutor", "ProcessPoolExecutor", "Timer"):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {name}")
    assert not wrong, wrong


def test_only_the_entry_points_sit_at_the_top_of_the_package():
    top = {p.name for p in PACKAGE.iterdir() if p.suffix in (".py", ".pyi")}
    assert top == ENTRY_POINTS
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == set(LAYERS)


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: p.parent.name)
def test_a_package_init_is_its_docstring_only(init):
    """No re-export façades: a name is imported from the module that defines it."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), init
    assert all(isinstance(n, ast.Expr) for n in tree.body), init


def test_every_test_file_name_is_unique():
    """(pytest imports test files by their base name, rootdir-relative, so two of one name would collide)"""
    names = [p.name for p in Path(__file__).resolve().parent.rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


# The tests' folders: one per layer, named as the package's, and the tests that cross layers by design.
TEST_FOLDERS = set(LAYERS) | {"browser", "quality", "security"}


def test_tests_are_laid_out_as_the_code_is():
    """A layer's tests sit in the folder of its name; at the top sit only the tests of the entry points and of the
    layout itself."""
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == TEST_FOLDERS
    top = {p.stem.removeprefix("test_") for p in tests.glob("test_*.py")}
    assert top == {"app_client", "cli", "gradio_summary", "layers", "restart"}


# Words that once named one concept several ways: a run is a "run" (not a session or a job) and run B is "run B" (not
# a twin). "job" stays the engine's own word for what it schedules (engine.Job, which a Run is), below the run layer.
# The libraries' names are theirs: Gradio's session_hash, state_session_capacity and session_data, subprocess's
# start_new_session.
RETIRED_WORDS = ("session", "twin", "job")
LIBRARY_NAMES = {"session_hash", "state_session_capacity", "session_data", "start_new_session"}


def test_one_word_per_concept_in_the_package_s_names():
    """No class, function, argument, attribute or variable of the package is named with a retired word."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.arg):
                names = [node.arg]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, ast.Name):
                names = [node.id]
            elif isinstance(node, ast.keyword) and node.arg:
                names = [node.arg]
            else:
                continue
            retired = [w for w in RETIRED_WORDS if not (w == "job" and path.parent.name == "engine")]
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno} {n}" for n in names
                      if n not in LIBRARY_NAMES and any(w in n.lower() for w in retired)]
    assert not found, found
