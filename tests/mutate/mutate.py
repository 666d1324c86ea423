#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make mutate: mutation testing of pam_jwt (tests/mutate/run.sh runs this).

Each mutant in tests/mutate/mutants.txt is a small, plausible bug: a file, a
snippet that occurs exactly once in it, its replacement, and the rule of
README's "Security model" (or the capability) it breaks.  One at a time it
is put into a copy of the tree (build/mutate/slotN/, never the checkout),
built, and run against the fast tests (the unit tests and the quick
pamtester suites); a mutant they do not kill then meets every other test
program, one at a time, until one fails.  A mutant no test kills survives.

  tests/mutate/run.sh [--only ID,ID...] [--from FILE] [--jobs N] [--fast]
                      [--skip-equivalent] [--no-baseline] [--check] [--list]

  --only      these mutants (ids, or a prefix ending in '*')
  --from      the mutants named by the survivors of an earlier results file
  --jobs      copies run at once (1 or 2, default 2; the machine has 2 cores)
  --fast      stage 1 only (the unit tests and quick suites)
  --tests     only these test programs (test_claims,authz,...), for proving
              that a given test kills a given mutant
  --skip-equivalent  do not run the mutants marked equivalent
  --no-baseline      do not run the unchanged tree first
  --check     only check that every mutant applies (its snippet is there
              exactly once) and that every source file has mutants
  --list      print the mutants

It prints one line per mutant as it is decided, then the score (killed out
of the non-equivalent mutants that compiled), every survivor with its rule,
the equivalent mutants and whether they survived as explained, and the
mutants that did not compile (reported, not counted).  Results go to
build/mutate/results.txt, each mutant's log to build/mutate/logs/ID.log.
"""
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MUTANTS = os.path.join(ROOT, "tests", "mutate", "mutants.txt")
WORK = os.path.join(ROOT, "build", "mutate")

# Stage 1: every unit test (build/tests/test_*) and these quick suites.
FAST = ["pamtester", "authz", "parts", "askpass", "conf_options", "providers", "revocation",
        "durability"]
# Not run: they test no code a mutant can change, or not the mutant's copy.
# debian_package.sh installs the package on the machine (and its login runs
# the module pamtester.sh runs); demo_fresh_clone.sh clones git HEAD, not the
# copy; runner.sh and deps_output.sh test the test runner and tests/deps.sh.
EXCLUDED = ["debian_package", "demo_fresh_clone", "runner", "deps_output"]
# Stage 2 runs the rest, quickest first (seconds measured by make check);
# programs not listed here come last.
SECONDS = {
    "rfc_examples": 1, "ecdsa_twin": 1, "secrets": 2, "install": 2, "client_qr": 2,
    "signing_keys": 2, "host_env": 3, "crosscheck": 4, "degenerate_keys": 4, "oidc_login": 8,
    "sshd": 9,
    "sudo_su": 10, "fetch_env": 11, "faults": 12, "oidc_provider": 14, "client_ssh": 14,
    "jwks_fetch": 16, "threads": 15, "sanitizers": 21, "client_login": 24, "valgrind": 29,
    "fuzz": 47,
}
TIMEOUT = 900  # seconds for one run of the test runner


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\"}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse(path):
    """The mutants, in file order: dicts with id, file, rule, from, to, and
    equivalent (the explanation, or None)."""
    mutants, cur, lineno = [], None, 0
    errors = []
    with open(path) as f:
        for line in f:
            lineno += 1
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                cur = {"id": line[1:-1], "line": lineno, "equivalent": None}
                mutants.append(cur)
                continue
            key, sep, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if not sep or cur is None or key not in ("file", "rule", "from", "to",
                                                     "equivalent"):
                errors.append("%s:%d: not \"[ID]\" or \"KEY: VALUE\"" % (path, lineno))
                continue
            if key in cur and cur[key] is not None:
                errors.append("%s:%d: %s given twice" % (path, lineno, key))
            cur[key] = unescape(value) if key in ("from", "to") else value
    seen = set()
    for m in mutants:
        for k in ("file", "rule", "from", "to"):
            if k not in m:
                errors.append("%s:%d: [%s] has no %s" % (path, m["line"], m["id"], k))
        if m["id"] in seen:
            errors.append("%s:%d: [%s] twice" % (path, m["line"], m["id"]))
        seen.add(m["id"])
    return mutants, errors


def validate(mutants, tree=ROOT):
    errors = []
    for m in mutants:
        p = os.path.join(tree, m.get("file", ""))
        try:
            text = open(p).read()
        except OSError as e:
            errors.append("[%s] %s: %s" % (m["id"], m.get("file"), e.strerror))
            continue
        n = text.count(m.get("from", "\0"))
        if n != 1:
            errors.append("[%s] %s: the snippet occurs %d times (must be once): %r"
                          % (m["id"], m["file"], n, m.get("from")))
        if m.get("from") == m.get("to"):
            errors.append("[%s] replacement equals the original" % m["id"])
    return errors


def sources(tree=ROOT):
    out = ["pam_jwt.c"]
    for d, _, files in os.walk(os.path.join(tree, "src")):
        for f in files:
            if f.endswith(".c"):
                out.append(os.path.relpath(os.path.join(d, f), tree))
    return sorted(out)


def tracked_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                             check=True, capture_output=True).stdout
        return [f for f in out.decode().split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, fs in os.walk(ROOT):
            dirs[:] = [x for x in dirs if not (d == ROOT and x in ("build", ".git"))]
            files += [os.path.relpath(os.path.join(d, f), ROOT) for f in fs]
        return files


def integration_tests(tree):
    names = []
    for f in sorted(os.listdir(os.path.join(tree, "tests", "integration"))):
        base, ext = os.path.splitext(f)
        if ext in (".sh", ".py") and base not in EXCLUDED:
            names.append(base)
    return names


class Slot:
    def __init__(self, n, log):
        self.n = n
        self.dir = os.path.join(WORK, "slot%d" % n)
        self.log = log
        self.dirty = {}  # path -> original text

    def say(self, msg):
        self.log("slot %d: %s" % (self.n, msg))

    def run(self, args, logf, timeout=TIMEOUT, env=None):
        e = dict(os.environ)
        e.update(env or {})
        start = time.time()
        try:
            p = subprocess.run(args, cwd=self.dir, stdout=logf, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout, env=e)
            return p.returncode, time.time() - start
        except subprocess.TimeoutExpired:
            return "timeout", time.time() - start

    def prepare(self):
        """A fresh copy of the tree, built."""
        if os.path.isdir(self.dir):
            # Keep the build (incremental), refresh the sources.
            pass
        os.makedirs(self.dir, exist_ok=True)
        files = tracked_files()
        keep = set(files)
        for f in files:
            src, dst = os.path.join(ROOT, f), os.path.join(self.dir, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            try:
                same = open(src, "rb").read() == open(dst, "rb").read()
            except OSError:
                same = False
            if not same:
                shutil.copy2(src, dst)
                os.utime(dst)
        # Files gone from the checkout go from the copy.
        for d, dirs, fs in os.walk(self.dir):
            rel = os.path.relpath(d, self.dir)
            if rel == "build" or rel.startswith("build" + os.sep):
                dirs[:] = []
                continue
            for f in fs:
                r = os.path.normpath(os.path.join(rel, f))
                if r not in keep:
                    os.unlink(os.path.join(d, f))
        with open(os.path.join(WORK, "slot%d.build.log" % self.n), "w") as lf:
            rc, _ = self.run(["make", "-s", "WERROR=0", "all", "unit"], lf)
        if rc != 0:
            raise SystemExit("slot %d: the unchanged tree does not build (%s)"
                             % (self.n, os.path.join(WORK, "slot%d.build.log" % self.n)))

    def restore(self):
        for p, text in self.dirty.items():
            with open(p, "w") as f:
                f.write(text)
            os.utime(p)
        self.dirty = {}

    def apply(self, m):
        p = os.path.join(self.dir, m["file"])
        text = open(p).read()
        if text.count(m["from"]) != 1:
            return False
        self.dirty[p] = text
        with open(p, "w") as f:
            f.write(text.replace(m["from"], m["to"], 1))
        os.utime(p)
        return True

    def units(self):
        d = os.path.join(self.dir, "build", "tests")
        return sorted(os.path.join("build", "tests", f) for f in os.listdir(d)
                      if f.startswith("test_") and os.access(os.path.join(d, f), os.X_OK))

    def tests(self, names, units, logf):
        """Runs the test runner on those programs: 0, a failure, or "timeout"."""
        env = {"PJ_TESTS": " ".join(names) if names else "none-at-all",
               "VECTORS": os.path.abspath(os.path.join(ROOT, "..", "shared", "vectors")),
               "OIDC_NPM_DIR": os.path.join(ROOT, "build", "npm")}
        env["VECTORS"] = os.environ.get("VECTORS", env["VECTORS"])
        rc, secs = self.run(["tests/run-tests.sh"] + units, logf, env=env)
        return rc, secs

    def failed_programs(self, logpath, since):
        with open(logpath) as f:
            f.seek(since)
            text = f.read()
        progs, tests = "?", []
        for line in text.splitlines():
            if line.startswith("failed:"):
                progs = line[len("failed:"):].split(" (logs")[0].strip()
            elif line.startswith("    not ok"):
                tests.append(line.split(" - ", 1)[-1].strip())
        if tests:
            shown = "; ".join(tests[:3]) + ("; ..." if len(tests) > 3 else "")
            return "%s (%s)" % (progs, shown[:300])
        return progs

    def judge(self, m, logpath, fast_only, stage2, only_tests=None):
        """killed (by what), survived, or uncompilable."""
        with open(logpath, "w") as logf:
            logf.write("mutant [%s] %s: %r -> %r\n" % (m["id"], m["file"], m["from"], m["to"]))
            logf.flush()
            if not self.apply(m):
                return "stale", "the snippet is no longer in the file exactly once"
            rc, _ = self.run(["make", "-s", "WERROR=0", "all", "unit"], logf)
            if rc != 0:
                return "uncompilable", "the build failed"
            fast, units = FAST, self.units()
            if only_tests is not None:
                units = [u for u in units if os.path.basename(u) in only_tests]
                fast = [t for t in only_tests if not t.startswith("test_")]
                fast_only = True
            logf.write("\n== stage 1: %s %s\n" % (" ".join(units), " ".join(fast)))
            logf.flush()
            pos = logf.tell()
            rc, secs = self.tests(fast, units, logf)
            logf.flush()
            if rc == "timeout":
                return "killed", "stage 1 timed out (%d s)" % secs
            if rc != 0:
                return "killed", "stage 1: " + self.failed_programs(logpath, pos)
            if fast_only:
                return "survived", "stage 1 only"
            logf.write("\n== stage 2: hardening build\n")
            logf.flush()
            rc, _ = self.run(["make", "-s", "WERROR=0", "hardening-build"], logf)
            if rc != 0:
                return "killed", "the sanitizer or fuzzer build failed"
            for name in stage2:
                logf.write("\n== stage 2: %s\n" % name)
                logf.flush()
                pos = logf.tell()
                rc, secs = self.tests([name], [], logf)
                logf.flush()
                if rc == "timeout":
                    return "killed", "%s timed out (%d s)" % (name, secs)
                if rc != 0:
                    return "killed", self.failed_programs(logpath, pos)
            return "survived", "every test passed"


def main(argv):
    opts = {"jobs": 2, "fast": False, "skip_eq": False, "baseline": True, "only": None,
            "from": None, "check": False, "list": False, "tests": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--only", "--from", "--jobs", "--tests") and i + 1 < len(argv):
            opts[{"--only": "only", "--from": "from", "--jobs": "jobs",
                  "--tests": "tests"}[a]] = argv[i + 1]
            i += 2
            continue
        if a == "--fast":
            opts["fast"] = True
        elif a == "--skip-equivalent":
            opts["skip_eq"] = True
        elif a == "--no-baseline":
            opts["baseline"] = False
        elif a == "--check":
            opts["check"] = True
        elif a == "--list":
            opts["list"] = True
        else:
            sys.exit(__doc__)
        i += 1
    mutants, errors = parse(MUTANTS)
    errors += validate(mutants)
    covered = {m.get("file") for m in mutants}
    missing = [f for f in sources() if f not in covered]
    if opts["list"]:
        for m in mutants:
            print("%-34s %-26s %s%s" % (m["id"], m["file"], m["rule"],
                                       " (equivalent)" if m["equivalent"] else ""))
    if errors or opts["check"]:
        for e in errors:
            print("mutate: " + e)
        for f in missing:
            print("mutate: no mutant in %s" % f)
        print("mutate: %d mutants in %d files, %d equivalent; %d problems"
              % (len(mutants), len(covered), sum(1 for m in mutants if m["equivalent"]),
                 len(errors) + len(missing)))
        return 1 if errors or missing else 0
    if opts["list"]:
        return 0
    chosen = mutants
    if opts["only"]:
        want = opts["only"].split(",")
        chosen = [m for m in mutants if any(m["id"] == w or (w.endswith("*") and
                                                             m["id"].startswith(w[:-1]))
                                            for w in want)]
    if opts["from"]:
        ids = set()
        for line in open(opts["from"]):
            parts = line.split("\t")
            if len(parts) > 1 and parts[1] in ("survived", "equivalent-killed"):
                ids.add(parts[0])
        chosen = [m for m in chosen if m["id"] in ids]
    if opts["skip_eq"]:
        chosen = [m for m in chosen if not m["equivalent"]]
    if not chosen:
        print("mutate: no mutant chosen")
        return 1
    jobs = max(1, min(2, int(opts["jobs"])))
    os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)
    lock = threading.Lock()
    t0 = time.time()

    def log(msg):
        with lock:
            print(msg, flush=True)

    log("mutate: %d mutants, %d at a time, copies in %s" % (len(chosen), jobs, WORK))
    slots = [Slot(n + 1, log) for n in range(jobs)]
    for s in slots:
        s.prepare()
    stage2 = sorted((t for t in integration_tests(slots[0].dir) if t not in FAST),
                    key=lambda t: (SECONDS.get(t, 1000), t))
    if opts["baseline"] and not opts["tests"]:
        # The unchanged copy must pass what the mutants meet, or every
        # mutant would look killed.
        for s in slots:
            with open(os.path.join(WORK, "slot%d.baseline.log" % s.n), "w") as lf:
                rc, secs = s.tests(FAST, s.units(), lf)
            if rc != 0:
                sys.exit("mutate: the unchanged tree fails stage 1 in slot %d (%s)"
                         % (s.n, os.path.join(WORK, "slot%d.baseline.log" % s.n)))
        log("mutate: the unchanged tree passes stage 1 (%d s)" % secs)
        if not opts["fast"]:
            s = slots[0]
            with open(os.path.join(WORK, "baseline2.log"), "w") as lf:
                s.run(["make", "-s", "WERROR=0", "hardening-build"], lf)
                rc, secs = s.tests(stage2, [], lf)
            if rc != 0:
                sys.exit("mutate: the unchanged tree fails stage 2 (%s)"
                         % os.path.join(WORK, "baseline2.log"))
            log("mutate: the unchanged tree passes stage 2 (%d s)" % secs)
    work = queue.Queue()
    for m in chosen:
        work.put(m)
    results = {}

    def worker(s):
        while True:
            try:
                m = work.get_nowait()
            except queue.Empty:
                return
            start = time.time()
            logpath = os.path.join(WORK, "logs", m["id"] + ".log")
            try:
                status, detail = s.judge(m, logpath, opts["fast"], stage2,
                                         opts["tests"].split(",") if opts["tests"] else None)
            finally:
                s.restore()
            if m["equivalent"]:
                status = "equivalent-killed" if status == "killed" else \
                    "equivalent" if status == "survived" else status
            results[m["id"]] = (status, detail, time.time() - start)
            log("%-9s %-34s %s (%d s)" % (status.split("-")[0] if status != "equivalent-killed"
                                          else "EQ-KILLED", m["id"], detail, time.time() - start))

    threads = [threading.Thread(target=worker, args=(s,)) for s in slots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(os.path.join(WORK, "results.txt"), "w") as f:
        for m in chosen:
            st, detail, secs = results.get(m["id"], ("not-run", "", 0))
            f.write("%s\t%s\t%s\t%d\n" % (m["id"], st, detail, secs))
    by = {}
    for m in chosen:
        by.setdefault(results.get(m["id"], ("not-run",))[0], []).append(m)
    killed, survived = len(by.get("killed", [])), len(by.get("survived", []))
    counted = killed + survived
    print()
    print("mutate: %d mutants in %d min: %d killed, %d survived, %d equivalent "
          "(%d of them killed), %d did not compile, %d stale"
          % (len(chosen), (time.time() - t0) / 60, killed, survived,
             len(by.get("equivalent", [])) + len(by.get("equivalent-killed", [])),
             len(by.get("equivalent-killed", [])), len(by.get("uncompilable", [])),
             len(by.get("stale", []))))
    if counted:
        print("mutate: score %d/%d = %.1f%% of the non-equivalent mutants that compiled"
              % (killed, counted, 100.0 * killed / counted))
    for title, key in (("survivors", "survived"), ("equivalent, killed after all (the "
                                                   "explanation is wrong)", "equivalent-killed"),
                       ("did not compile (not counted)", "uncompilable"),
                       ("stale (fix the snippet)", "stale")):
        if by.get(key):
            print("%s:" % title)
            for m in by[key]:
                print("  [%s] %s: %s\n      %r -> %r" % (m["id"], m["file"], m["rule"],
                                                       m["from"], m["to"]))
    if by.get("equivalent"):
        print("equivalent (survived, as explained):")
        for m in by["equivalent"]:
            print("  [%s] %s: %s" % (m["id"], m["file"], m["equivalent"]))
    return 0 if not survived and not by.get("equivalent-killed") and not by.get("stale") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
