#!/usr/bin/env python3
"""Picks a few dozen inputs that keep most of a fuzzing run's edge coverage.

Reads the control file of a libFuzzer merge run as scripts/fuzz.sh --merge runs it:
`-merge=1 -merge_control_file=CONTROL COMMITTED WORK`, the committed corpus first. The
file's first line is the number of inputs, the second the number from COMMITTED, then
their paths: COMMITTED's first, then WORK's, each part smallest first. The merge runs
the inputs in that order, and the line `COV i e1 e2 ...` lists the edges (PC-table
indices) that input i was the first to reach, so the COV sets are disjoint: the
committed inputs' sets are what the corpus already covers, and an input of WORK adds
at least the edges of its own set.

Chooses the inputs of WORK with the largest sets, up to MAX, and none that adds
nothing. Prints their paths, one per line, and on stderr the edges kept: a lower
bound, since an input also reaches edges first seen in a smaller one. Usage:
    fuzz_select.py CONTROL_FILE MAX
"""
import sys


def main():
    control, limit = sys.argv[1], int(sys.argv[2])
    with open(control) as f:
        lines = f.read().splitlines()
    n, committed = int(lines[0]), int(lines[1])
    paths = lines[2 : 2 + n]
    first = {}  # input index -> edges it reached first
    for line in lines[2 + n :]:
        parts = line.split()
        if parts and parts[0] == "COV":
            first.setdefault(int(parts[1]), set()).update(parts[2:])
    every = set().union(*first.values()) if first else set()
    covered = set()
    for i in range(committed):
        covered |= first.get(i, set())
    before = len(covered)
    gains = sorted(((len(first[i] - covered), i) for i in first if i >= committed), key=lambda g: (-g[0], g[1]))
    chosen = [i for gain, i in gains[: max(limit, 0)] if gain > 0]
    for i in chosen:
        covered |= first[i]
        print(paths[i])
    print(
        f"fuzz_select: the committed inputs reach {before} of the {len(every)} edges; "
        f"with {len(chosen)} more, at least {len(covered)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
