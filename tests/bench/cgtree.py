#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reads a callgrind output file keyed by (object, function name) only.

callgrind_annotate keys functions by file:function, so a function with inlined
code from headers shows up several times with partial costs; this keeps one
entry per function.  Inclusive cost = self + cost of calls to other functions
(a call's cost line is inclusive of the callee).

  cgtree.py FILE total              the file's total Ir
  cgtree.py FILE incl NAME...       inclusive Ir of each NAME (0 when absent)
  cgtree.py FILE edge CALLER CALLEE cost of CALLER's calls to CALLEE
  cgtree.py FILE within ROOT NAME...
                                    for each NAME, the cost of the calls to it
                                    made anywhere below ROOT (whatever was
                                    inlined or renamed on the way)
  cgtree.py FILE libs ROOT          own cost of ROOT and the functions of its
                                    object it reaches, then their calls into
                                    each other object
  cgtree.py FILE objs               self cost per object
  cgtree.py FILE tree ROOT DEPTH PCT
                                    ROOT's callees, DEPTH levels, those >= PCT %
                                    of ROOT
"""
import os
import sys
from collections import defaultdict


def parse(path):
    names = {"ob": {}, "fn": {}}
    selfc = defaultdict(int)
    calls = defaultdict(lambda: defaultdict(int))
    ncalls = defaultdict(lambda: defaultdict(int))
    total = 0
    ob = fn = None
    cob = cfn = None
    pending = 0  # the next cost line belongs to a call

    def name(kind, v):
        v = v.strip()
        if v.startswith("("):
            i = v.index(")")
            ident, rest = v[1:i], v[i + 1:].strip()
            if rest:
                names[kind][ident] = rest
            v = names[kind].get(ident, v)
        return v.split("@")[0] if kind == "fn" else v

    with open(path, errors="replace") as f:
        for line in f:
            c = line[0] if line else ""
            if c.isdigit() or c in "+-*":
                parts = line.split()
                ir = int(parts[1]) if len(parts) > 1 else 0
                if pending:
                    key = (ob, fn)
                    callee = (cob if cob is not None else ob, cfn)
                    calls[key][callee] += ir
                    ncalls[key][callee] += pending
                    pending = 0
                    cob = None
                else:
                    selfc[(ob, fn)] += ir
                continue
            if line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith("cob="):
                cob = name("ob", line[4:])
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:])
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0]) or 1
            elif line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return selfc, calls, ncalls, total


def inclusive(selfc, calls):
    inc = defaultdict(int)
    for k, v in selfc.items():
        inc[k] += v
    for k, cs in calls.items():
        for callee, v in cs.items():
            if callee != k:
                inc[k] += v
    return inc


def by_name(inc, nm):
    return max([v for (o, f), v in inc.items() if f == nm], default=0)


def main():
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    selfc, calls, ncalls, total = parse(path)
    if cmd == "total":
        print(total)
        return
    inc = inclusive(selfc, calls)
    if cmd == "incl":
        for nm in args:
            print(nm, by_name(inc, nm))
        return
    if cmd == "edge":
        print(sum(v for k, cs in calls.items() if k[1] == args[0]
                  for c, v in cs.items() if c[1] == args[1] and c != k))
        return
    if cmd == "within":
        keys = [k for k in inc if k[1] == args[0]]
        start = max(keys, key=lambda k: inc[k]) if keys else None
        for nm in args[1:]:
            total_nm, seen, todo = 0, {start}, [start] if start else []
            while todo:
                k = todo.pop()
                for c, v in calls.get(k, {}).items():
                    if c == k:
                        continue
                    if c[1] == nm:
                        total_nm += v
                    elif c not in seen:
                        seen.add(c)
                        todo.append(c)
            print(nm, total_nm)
        return
    if cmd == "libs":
        # ROOT's own object: walk ROOT and the functions of that object it
        # reaches; add up their own cost and their calls into other objects.
        keys = [k for k in inc if k[1] == args[0]]
        if not keys:
            return
        start = max(keys, key=lambda k: inc[k])
        seen, todo, out, own = {start}, [start], defaultdict(int), 0
        while todo:
            k = todo.pop()
            own += selfc.get(k, 0)
            for c, v in calls.get(k, {}).items():
                if c == k:
                    continue
                if c[0] == start[0]:
                    if c not in seen:
                        seen.add(c)
                        todo.append(c)
                else:
                    out[os.path.basename(c[0] or "?")] += v
        print(f"own {own}")
        for o, v in sorted(out.items(), key=lambda kv: -kv[1]):
            print(f"{o} {v}")
        return
    if cmd == "objs":
        out = defaultdict(int)
        for k, v in selfc.items():
            out[os.path.basename(k[0] or "?")] += v
        for o, v in sorted(out.items(), key=lambda kv: -kv[1]):
            print(f"{o} {v}")
        return
    root, depth, pct = args[0], int(args[1]), float(args[2])
    keys = [k for k in inc if k[1] == root]
    if not keys:
        print(f"    ({root} not found)")
        return
    key = max(keys, key=lambda k: inc[k])
    base = inc[key] or 1
    floor = base * pct / 100

    def show(k, level, seen):
        cs = sorted(calls.get(k, {}).items(), key=lambda kv: -kv[1])
        rest = 0
        for callee, v in cs:
            if callee == k:
                continue
            if v < floor or callee in seen:
                rest += v
                continue
            n = ncalls[k][callee]
            print(f"{v:>12,} {100.0 * v / base:6.1f}%  {'  ' * level}{callee[1]}"
                  f" ({n}x) [{os.path.basename(callee[0] or '?')}]")
            if level + 1 < depth:
                show(callee, level + 1, seen | {callee})
        own = selfc.get(k, 0)
        if own >= floor:
            print(f"{own:>12,} {100.0 * own / base:6.1f}%  {'  ' * level}(self)")
    print(f"{inc[key]:>12,} 100.0%  {root} [{os.path.basename(key[0] or '?')}]")
    show(key, 1, {key})


main()
