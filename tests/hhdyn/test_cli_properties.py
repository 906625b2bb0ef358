"""Hypothesis property tests of the command line: random argv built from the real option names with
random, garbage and extreme values. Every run ends within a time bound with exit 0/1 (a result) or
exit 2 and exactly one line ``hhdyn: error: ...`` — never a traceback, an internal error (exit 3) or
a hang — and values that are not meaningful numbers are never silently accepted."""
from __future__ import annotations

import argparse
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hhdyn.app.cli import build_parser, main
from hhdyn.app.commands._common import parse_param

#: Small-work options put first on every command line, so that random options change a cheap run.
BASE = {
    "simulate": ["--t-end", "5"],
    "phaseplane": ["--model", "fhn", "--t-end", "5", "--t-max", "50"],
    "fi": ["--range", "0", "2", "--step", "1", "--settle", "5", "--measure", "5", "--sweep", "up", "--quiet"],
    "bifurcation": ["--model", "fhn", "--range", "0", "1"],
    "axon": ["--length-cm", "2.5", "--dt", "0.05"],
    "gallery": ["--only", "passive_membrane"],
    "explore": ["--model", "fhn", "--t-end", "5"],
}
#: Commands whose base also names an output in the example's folder.
BASE_OUTPUT = {"gallery": ("--out", "gallery"), "explore": ("--save", "ex.png")}
#: Path options (get file names, not numbers).
PATHS = {"--plot", "--csv", "--json", "--save", "--out"}
#: Values no numeric or name option may accept.
NONSENSE = ["nan", "inf", "-inf", "1e308", "-1e308", "abc", "", "1e999", "-nan", "0x10", "1,2,3,4"]
PLAIN = ["0", "1", "-1", "0.5", "2", "5", "-1e3", "1e-9", "1e9", "1e-300", "-0", "36", "I_ext", "gK", "V", "n",
         "gK=30", "T=-300", "C=0", "m=5", "1,2", "-50,0.4", "0,1", "steady_state", "hh", "fhn", "h_plus_n"]
TIME_LIMIT_S = 90


def _options():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    table = {}
    for name in BASE:
        actions = []
        for action in sub.choices[name]._actions:
            if action.option_strings and action.dest not in ("help",):
                actions.append((action.option_strings[-1], action.nargs, action.const is not None or action.nargs == 0))
        table[name] = actions
    return table


OPTIONS = _options()


class Hang(BaseException):
    pass


@contextmanager
def time_bound(seconds):
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@st.composite
def command_lines(draw, tmp_dir):
    command = draw(st.sampled_from(sorted(BASE)))
    argv, nonsense = [command, *BASE[command]], False
    if command in BASE_OUTPUT:
        option, name = BASE_OUTPUT[command]
        argv += [option, str(tmp_dir / name)]
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 9)) == 0:  # a stray word: garbage, a misspelt option, a lone dash
            word = draw(st.one_of(st.text(max_size=6), st.sampled_from(["-", "--", "--nope", "-1e3x", "---I"])))
            argv.append(word)
            nonsense = nonsense or bool(word)  # an empty word is no option and no value: refused too
            continue
        option, nargs, is_flag = draw(st.sampled_from(OPTIONS[command]))
        if option == "--cycles" and command == "bifurcation":
            continue  # collocation of cycles is the one slow flag; its sizes are checked by --ntst/--ncol
        if is_flag:
            argv.append(option)
            continue
        count = nargs if isinstance(nargs, int) else 1
        values = []
        for _ in range(count):
            if option in PATHS:
                values.append(str(tmp_dir / draw(st.sampled_from(["a.png", "a.csv", "b.json", "a.png"]))))
            elif draw(st.booleans()):
                values.append(draw(st.sampled_from(NONSENSE)))
                nonsense = True
            else:
                values.append(draw(st.one_of(st.sampled_from(PLAIN),
                                             st.floats(allow_nan=True, allow_infinity=True).map(repr),
                                             st.text(max_size=8))))
        argv += [option, *values]
    return argv, nonsense


def check_outcome(argv, code, out, err):
    assert "Traceback" not in err, (argv, err)
    assert code != 3, (argv, err)  # internal error
    assert code in (0, 1, 2), (argv, code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hhdyn: error:"), (argv, err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_random_command_lines_fail_in_one_line_or_succeed(data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, nonsense = data.draw(command_lines(tmp_path))
    with time_bound(TIME_LIMIT_S):
        code = main(argv)
    out, err = capsys.readouterr()
    check_outcome(argv, code, out, err)
    if nonsense:
        assert code == 2, (argv, out)
    for leftover in tmp_path.rglob(".*"):  # no temporary file survives
        raise AssertionError(f"{leftover} left behind by {argv}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_parse_param_returns_a_name_and_a_finite_number_or_refuses(text):
    import math

    try:
        name, value = parse_param(text)
    except argparse.ArgumentTypeError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert name.isidentifier() and math.isfinite(value)
    assert text.partition("=")[0].strip() == name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["gK", "gNa", "gL", "C", "T", "EK", "ENa", "EL", "I_ext", "nope", "", "1x"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                       st.sampled_from(["1e308", "-1e308", "1e-300", "0", "-0", "abc", "", "1e3", "-1e3"])))
def test_any_param_value_is_used_or_refused_in_one_line(name, value, capsys):
    argv = ["simulate", "--t-end", "2", "--param", f"{name}={value}"]
    with time_bound(TIME_LIMIT_S):
        code = main(argv)
    out, err = capsys.readouterr()
    check_outcome(argv, code, out, err)
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or number != number or abs(number) == float("inf") or name in ("nope", "", "1x"):
        assert code == 2, (argv, out)


@pytest.mark.parametrize("word, is_value", [("-1e3", True), ("-1E+3", True), ("-.5e-2", True), ("-50,0.4", True),
                                             ("-inf", True), ("-nan", True), ("--I", False), ("-x", False)])
def test_negative_number_matcher(word, is_value):
    from hhdyn.app.cli import NEGATIVE_NUMBER

    assert bool(NEGATIVE_NUMBER.match(word)) == is_value
