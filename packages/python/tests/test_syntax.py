"""Every Python file of the repository keeps to Python 3.9 syntax (python3 here is newer)."""

import ast
import os
import unittest
from pathlib import Path

from .support import REPO

SKIP_DIRS = {"node_modules", ".git", "dist", "__pycache__", ".promptline", "build"}


def python_files():
    found = []
    for directory, subdirs, files in os.walk(REPO):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        found.extend(Path(directory) / f for f in files if f.endswith(".py"))
    return sorted(found)


class Syntax(unittest.TestCase):
    def test_every_py_file_parses_as_python_3_9(self) -> None:
        files = list(python_files())
        self.assertGreater(len(files), 10)
        for path in files:
            with self.subTest(path=str(path.relative_to(REPO))):
                ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))

    def test_the_check_refuses_newer_syntax(self) -> None:
        with self.assertRaises(SyntaxError):
            ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 9))

    def test_no_annotation_uses_x_or_y_unions_which_python_3_9_cannot_evaluate(self) -> None:
        for path in python_files():
            tree = ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 9))
            future = any(
                isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
                for n in tree.body
            )
            if future:
                continue
            for node in ast.walk(tree):
                annotations = []
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    annotations.append(node.returns)
                    args = node.args
                    annotations.extend(a.annotation for a in args.args + args.kwonlyargs + args.posonlyargs)
                    annotations.extend(a.annotation for a in (args.vararg, args.kwarg) if a is not None)
                elif isinstance(node, ast.AnnAssign):
                    annotations.append(node.annotation)
                for annotation in annotations:
                    if annotation is None:
                        continue
                    for inner in ast.walk(annotation):
                        if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.BitOr):
                            self.fail(
                                "%s:%d uses `X | Y` in an annotation; write Optional[X] / Union[X, Y] for Python 3.9"
                                % (path.relative_to(REPO), inner.lineno)
                            )

    def test_the_eval_worker_embedded_in_typescript_parses_as_python_3_9(self) -> None:
        # packages/core/src/eval-node/python-runner.ts runs python assertions, providers and prompt
        # functions with this source (`python3 -c`): it must run on the oldest Python we support.
        source = (REPO / "packages" / "core" / "src" / "eval-node" / "python-runner.ts").read_text(encoding="utf-8")
        start = source.index("PYTHON_WORKER_SOURCE = String.raw`") + len("PYTHON_WORKER_SOURCE = String.raw`")
        worker = source[start : source.index("\n`;", start)]
        self.assertIn("def run(task):", worker)
        ast.parse(worker, filename="python-runner.ts (worker)", feature_version=(3, 9))
