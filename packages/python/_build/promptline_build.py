"""A PEP 517 build backend in the standard library only, so that
``pip install --no-build-isolation ./packages/python`` works offline on any Python >= 3.9 — also
where setuptools lacks the ``wheel`` package (setuptools < 70 cannot build wheels without it).
It builds a pure-Python wheel of ``src/promptline`` (``py3-none-any``), an sdist, and a PEP 660
editable wheel (a ``.pth`` file pointing at ``src``). Metadata comes from ``pyproject.toml``."""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "promptline"


def _project() -> Dict[str, str]:
    # tomllib is Python 3.11+: the [project] table's few scalar keys are read with a pattern.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    table = text.split("[project]", 1)[1].split("\n[", 1)[0]
    values = dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"', table, flags=re.MULTILINE))
    values["classifiers"] = "\n".join(re.findall(r'^\s*"([^"]+ :: [^"]+)"', table, flags=re.MULTILINE))
    return values


def _metadata() -> str:
    p = _project()
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + p["name"],
        "Version: " + p["version"],
        "Summary: " + p.get("description", ""),
        "License: MIT",
        "Requires-Python: " + p.get("requires-python", ">=3.9"),
    ]
    lines += ["Classifier: " + c for c in p["classifiers"].splitlines() if c]
    lines.append("Description-Content-Type: text/markdown")
    readme = ROOT / "README.md"
    return "\n".join(lines) + "\n\n" + (readme.read_text(encoding="utf-8") if readme.exists() else "")


def _dist_info() -> str:
    p = _project()
    return "%s-%s.dist-info" % (p["name"], p["version"])


def _wheel_name() -> str:
    p = _project()
    return "%s-%s-py3-none-any.whl" % (p["name"], p["version"])


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def _write_wheel(directory: str, files: List[Tuple[str, bytes]]) -> str:
    info = _dist_info()
    files = files + [
        (info + "/METADATA", _metadata().encode("utf-8")),
        (info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: promptline_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = [_record_line(name, data) for name, data in files] + [info + "/RECORD,,"]
    files.append((info + "/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    path = os.path.join(directory, _wheel_name())
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return os.path.basename(path)


def _package_files() -> List[Tuple[str, bytes]]:
    source = ROOT / "src" / PACKAGE
    return [
        ("%s/%s" % (PACKAGE, path.relative_to(source).as_posix()), path.read_bytes())
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    info = Path(metadata_directory) / _dist_info()
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata(), encoding="utf-8")
    return info.name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None) -> str:
    return _write_wheel(wheel_directory, [("%s.pth" % PACKAGE, (str(ROOT / "src") + "\n").encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    p = _project()
    base = "%s-%s" % (p["name"], p["version"])
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as archive:
        for name in ["pyproject.toml", "README.md", "_build", "src"]:
            if (ROOT / name).exists():
                archive.add(str(ROOT / name), arcname=base + "/" + name, filter=lambda t: None if "__pycache__" in t.name else t)
        data = _metadata().encode("utf-8")
        member = tarfile.TarInfo(base + "/PKG-INFO")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return os.path.basename(path)
