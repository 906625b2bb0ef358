"""Run the code cells of a MyST notebook as one script and print the wall time (a quick check
outside Sphinx; the build itself executes the notebooks with myst-nb)."""
import re
import sys
import time

for path in sys.argv[1:]:
    text = open(path).read()
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S)
    start = time.perf_counter()
    namespace = {"__name__": "__main__"}
    for cell in cells:
        lines = [l for l in cell.splitlines() if not l.startswith("%")]
        exec(compile("\n".join(lines), path, "exec"), namespace)
    print(f"{path}: {len(cells)} cells in {time.perf_counter() - start:.1f} s")
