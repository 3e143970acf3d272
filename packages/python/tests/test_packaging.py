"""`pip install --no-build-isolation ./packages/python` works offline with nothing but the standard
library: the in-tree build backend (_build/promptline_build.py) makes the wheel."""

import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

from .support import PACKAGE

sys.path.insert(0, str(PACKAGE / "_build"))
import promptline_build  # noqa: E402


class Packaging(unittest.TestCase):
    def test_the_wheel_holds_the_package_py_typed_and_its_metadata(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            name = promptline_build.build_wheel(directory)
            self.assertEqual(name, "promptline-0.1.0-py3-none-any.whl")
            with zipfile.ZipFile(os.path.join(directory, name)) as wheel:
                names = set(wheel.namelist())
                metadata = wheel.read("promptline-0.1.0.dist-info/METADATA").decode()
                record = wheel.read("promptline-0.1.0.dist-info/RECORD").decode()
        self.assertTrue({"promptline/__init__.py", "promptline/client.py", "promptline/py.typed"} <= names)
        self.assertFalse(any("__pycache__" in n for n in names))
        self.assertIn("Requires-Python: >=3.9", metadata)
        self.assertIn("Typing :: Typed", metadata)
        self.assertIn("promptline/client.py,sha256=", record)

    def test_pip_installs_it_offline_without_build_isolation(self) -> None:
        with tempfile.TemporaryDirectory() as target:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
                 "--disable-pip-version-check", "--quiet", "--target", target, str(PACKAGE)],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            self.assertEqual(done.returncode, 0, done.stderr)
            check = subprocess.run(
                [sys.executable, "-c", "import promptline, sys; print(promptline.__file__, promptline.__version__)"],
                capture_output=True, text=True, cwd=target, env=dict(os.environ, PYTHONPATH=target),
            )  # fmt: skip
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertTrue(check.stdout.startswith(os.path.join(os.path.realpath(target), "promptline")) or target in check.stdout, check.stdout)
            self.assertTrue(check.stdout.strip().endswith("0.1.0"))
