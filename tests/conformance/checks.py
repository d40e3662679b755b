"""The tally the Python conformance scripts share: one line per check, then "N passed, N failed"."""
import sys

_tally = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        _tally["passed"] += 1
        print("ok   " + name)
    else:
        _tally["failed"] += 1
        print("FAIL " + name + ": " + str(detail))


def finish():
    """Prints the totals and exits non-zero on any failure."""
    print("%d passed, %d failed" % (_tally["passed"], _tally["failed"]))
    sys.exit(1 if _tally["failed"] else 0)
