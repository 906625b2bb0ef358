"""Side environment for cross-checking hhdyn against PyDSTool's PyCont.

PyDSTool (last release 0.91.0, 2020) does not import on Python >= 3.10 or
numpy >= 1.24, so it runs in a separate Python 3.9 virtualenv and is driven
through a JSON-in/JSON-out runner script (``_pydstool_runner.py``, next to
this file). This module only uses the standard library.

* :func:`find_python39` locates pyenv's 3.9.18 interpreter.
* :func:`ensure_env` builds (once, cached) the side virtualenv.
* :func:`run_pycont` runs one continuation task there and returns its JSON.

The cached env lives in ``~/.cache/hhdyn/pydstool-py39`` unless the
``HHDYN_PYDSTOOL_ENV`` environment variable names another directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON_VERSION = "3.9.18"
# swig < 4.1 is needed for LC-C: PyDSTool's AUTO interface (automod.i) uses
# PyInt_AsLong, which only SWIG <= 4.0's Python 3 runtime still #defines.
PINS = ("numpy==1.23.5", "scipy==1.10.1", "PyDSTool==0.91.0", "swig==4.0.2")
ENV_VAR = "HHDYN_PYDSTOOL_ENV"
MARKER_NAME = "hhdyn-pydstool-env.json"
RUNNER = Path(__file__).with_name("_pydstool_runner.py")
INSTALL_TIMEOUT_S = 1800

_FIX_PYTHON = (
    "install it with `pyenv install {v}`, or set PYENV_ROOT to a pyenv root "
    "that has versions/{v}"
).format(v=PYTHON_VERSION)

# Asked of the side env's python at build time: installed versions and where
# the pip-installed swig keeps its real binary and library (the console
# script's shebang would point at the temporary build directory).
_PROBE = r"""
import json, importlib.metadata as md, swig
print(json.dumps({
    "versions": {d: md.version(d) for d in ("numpy", "scipy", "PyDSTool", "swig")},
    "swig_bin": swig.BIN_DIR,
    "swig_lib": swig.SWIG_LIB_ENV["SWIG_LIB"],
}))
"""


class PyDSToolUnavailable(RuntimeError):
    """The PyDSTool side environment cannot be found or built."""


class PyContRunError(RuntimeError):
    """The PyCont runner failed, timed out or printed something that is not JSON."""


def _pyenv_roots():
    """Candidate pyenv roots: $PYENV_ROOT, `pyenv root`, ~/.pyenv (in order)."""
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, text=True,
                                 timeout=30, check=True)
            roots.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append(str(Path.home() / ".pyenv"))
    return [r for r in roots if r]


def find_python39():
    """Return the path of pyenv's Python 3.9.18 interpreter, or None."""
    for root in _pyenv_roots():
        candidate = Path(root) / "versions" / PYTHON_VERSION / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def default_env_path():
    """Where the side env lives: $HHDYN_PYDSTOOL_ENV or ~/.cache/hhdyn/pydstool-py39."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "hhdyn" / "pydstool-py39"


def env_python(path):
    """The side env's interpreter (the venv's own ``bin/python``)."""
    return Path(path) / "bin" / "python"


def read_marker(path):
    """The side env's marker dict, or None when it is missing or unreadable."""
    try:
        return json.loads((Path(path) / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None


def _is_complete(path):
    """True if ``path`` is a finished env built with the current pins."""
    marker = read_marker(path)
    return (marker is not None
            and marker.get("pins") == list(PINS)
            and marker.get("python") == PYTHON_VERSION
            and env_python(path).exists())


def _tail(text, lines=40):
    """Last ``lines`` lines of ``text`` (for error messages)."""
    return "\n".join((text or "").strip().splitlines()[-lines:])


def _run_step(cmd, what, timeout):
    """Run one build step; raise PyDSToolUnavailable with its output tail."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PyDSToolUnavailable("%s timed out after %ss: %s" % (what, timeout, " ".join(cmd)))
    if proc.returncode != 0:
        raise PyDSToolUnavailable(
            "%s failed (exit %d): %s\n%s" % (what, proc.returncode, " ".join(cmd),
                                             _tail(proc.stdout + "\n" + proc.stderr)))
    return proc.stdout


def _build(python, target):
    """Create the venv in ``target``, install the pins, write the marker."""
    t0 = time.monotonic()
    _run_step([python, "-m", "venv", str(target)], "creating the virtualenv", 300)
    py = str(env_python(target))
    _run_step([py, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
               "--only-binary=:all:", *PINS],
              "pip install %s (needs access to PyPI)" % " ".join(PINS), INSTALL_TIMEOUT_S)
    _run_step([py, "-c", "import PyDSTool.PyCont"], "importing PyDSTool", 300)
    probe = json.loads(_run_step([py, "-c", _PROBE], "probing the env", 300))
    marker = {
        "python": PYTHON_VERSION,
        "base_interpreter": python,
        "pins": list(PINS),
        "versions": probe["versions"],
        # relative, so the marker stays valid after the rename into place
        "swig_bin": os.path.relpath(probe["swig_bin"], target),
        "swig_lib": os.path.relpath(probe["swig_lib"], target),
        "build_seconds": round(time.monotonic() - t0, 1),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (Path(target) / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")


def _assert_replaceable(path):
    """Refuse to replace anything but nothing, an empty dir or a virtualenv.

    A stale or half-built env is replaced; this check makes sure a mistyped
    $HHDYN_PYDSTOOL_ENV cannot delete unrelated files.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return
    if not path.is_dir() or (any(path.iterdir()) and not (path / "pyvenv.cfg").exists()):
        raise PyDSToolUnavailable(
            "%s exists but is not a PyDSTool side env; remove it or point %s elsewhere"
            % (path, ENV_VAR))


def _discard(path):
    """Remove a stale or half-built env at ``path`` (see _assert_replaceable)."""
    path = Path(path)
    _assert_replaceable(path)
    if not os.path.lexists(path):
        return
    trash = Path(tempfile.mkdtemp(prefix=path.name + ".stale-", dir=path.parent))
    os.replace(path, trash / "env")  # frees the path at once
    shutil.rmtree(trash, ignore_errors=True)


def _install(target, path):
    """Move the finished env ``target`` to ``path`` unless a complete one is there."""
    if _is_complete(path):  # another process finished first
        return
    _discard(path)
    try:
        os.replace(target, path)
    except OSError:
        if not _is_complete(path):  # lost a race to a process that failed?
            raise


def ensure_env(path=None):
    """Return the path of a ready PyDSTool side env, building it if needed.

    The env is built into a temporary sibling directory and renamed into
    place only once every pin installed and PyDSTool imported, so a
    half-built env is never reused; the marker file ``MARKER_NAME`` records
    the pins. Raises :class:`PyDSToolUnavailable` when Python 3.9 is missing
    or the build fails.
    """
    path = Path(path).expanduser() if path is not None else default_env_path()
    if _is_complete(path):
        return path
    _assert_replaceable(path)
    python = find_python39()
    if python is None:
        raise PyDSToolUnavailable(
            "Python %s not found (looked in $PYENV_ROOT, `pyenv root` and ~/.pyenv); %s"
            % (PYTHON_VERSION, _FIX_PYTHON))
    path.parent.mkdir(parents=True, exist_ok=True)
    build_dir = Path(tempfile.mkdtemp(prefix=path.name + ".build-", dir=path.parent))
    try:
        _build(python, build_dir / "env")
        _install(build_dir / "env", path)
    except PyDSToolUnavailable as exc:
        raise PyDSToolUnavailable(
            "could not set up the PyDSTool side env at %s; fix the cause below and "
            "retry.\n%s" % (path, exc)) from None
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    return path


def _runner_environ(path):
    """Environment for the runner: the env's swig first on PATH, no leaks from here."""
    marker = read_marker(path) or {}
    environ = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    environ["PYTHONNOUSERSITE"] = "1"
    if marker.get("swig_bin"):
        environ["PATH"] = os.pathsep.join(
            [str(Path(path) / marker["swig_bin"]), environ.get("PATH", "")])
    if marker.get("swig_lib"):
        environ["SWIG_LIB"] = str(Path(path) / marker["swig_lib"])
    return environ


def _run_runner(cmd, cwd, env, timeout):
    """Run the runner in its own process group; return (returncode, stdout, stderr).

    On timeout the whole group (the runner and any compiler it started) is
    killed and :class:`PyContRunError` carries the stderr tail.
    """
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _out, err = proc.communicate()
            raise PyContRunError("PyCont runner timed out after %ss\nstderr tail:\n%s"
                                 % (timeout, _tail(err))) from None
    return proc.returncode, out, err


def run_pycont(spec, task, timeout=600, *, env_path=None):
    """Run one PyCont task in the side env and return the runner's result dict.

    ``spec`` and ``task`` are described in ``_pydstool_runner.py``. The env
    is built first if needed (see :func:`ensure_env`). The runner works in a
    fresh scratch directory because LC-C compiles PyDSTool's AUTO extension
    into its working directory. Raises :class:`PyContRunError` (with the
    runner's stderr tail) when the run fails, times out or prints no JSON.
    """
    path = ensure_env(env_path)
    with tempfile.TemporaryDirectory(prefix="hhdyn-pycont-") as work:
        job = Path(work) / "input.json"
        job.write_text(json.dumps({"spec": spec, "task": task}))
        cmd = [str(env_python(path)), str(RUNNER), str(job)]
        code, out, err = _run_runner(cmd, work, _runner_environ(path), timeout)
    if code != 0:
        raise PyContRunError("PyCont runner failed (exit %d)\nstderr tail:\n%s"
                             % (code, _tail(err)))
    try:
        return json.loads(out)
    except ValueError:
        raise PyContRunError("PyCont runner printed no valid JSON; stdout starts %r\n"
                             "stderr tail:\n%s" % (out[:300], _tail(err))) from None


def main(argv=None):
    """``python -m analysis.pydstool_env [PATH]``: build the env, print its path."""
    argv = sys.argv[1:] if argv is None else argv
    path = ensure_env(argv[0] if argv else None)
    sys.stdout.write("%s\n" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
