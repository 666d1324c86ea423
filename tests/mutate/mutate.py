#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""make mutate: mutation testing of pam_jwt (tests/mutate/run.sh runs this).

Each mutant in tests/mutate/mutants.txt is a small, plausible bug: a file, a
snippet that occurs exactly once in it, its replacement, and the rule of
README's "Security model" (or the capability) it breaks.  One at a time it
is put into a copy of the tree (build/mutate/slotN/, never the checkout),
built (incrementally: the copy keeps its build), and run against the test
programs until one fails (the runner's PJ_FAIL_FAST): first the likeliest
killers (the file's own unit test, the suites HINTS names for it, whatever
killed the earlier mutants of that file), then the rest quickest first, as
the unchanged tree's run measured them; the programs that need the
sanitizer, TSan and fuzzer builds come last, and those builds are made only
for a mutant every other program let through.  A mutant no test kills
survives.

  tests/mutate/run.sh [--only ID,ID...] [--from FILE] [--jobs N] [--fast]
                      [--skip-equivalent] [--no-baseline] [--check] [--list]

  --only      these mutants (ids, or a prefix ending in '*')
  --from      the mutants named by the survivors of an earlier results file
  --jobs      copies run at once (1 or 2, default 2; the machine has 2 cores)
  --fast      the quick programs only (the unit tests, FAST's suites and the
              suites HINTS names for the mutant's file)
  --tests     only these test programs (test_claims,authz,...), for proving
              that a given test kills a given mutant
  --skip-equivalent  do not run the mutants marked equivalent
  --no-baseline      do not run the unchanged tree first
  --reverse          the mutants in the reverse order (a second run beside
                     one under way, PJ_MUTATE_DIR, meets it in the middle)
  --resume FILE,...  take the verdicts of earlier runs (their results.txt,
                     progress.txt or printed output) and run only the rest;
                     a mutant whose quick programs passed meets the others
  --until HH:MM      take no new mutant after that time (UTC); the rest are
                     reported not run
  --tally            run nothing: the summary of the verdicts --resume names
  --check     only check that every mutant applies (its snippet is there
              exactly once) and that every source file has mutants
  --list      print the mutants

It prints one line per mutant as it is decided, then the score (killed out
of the non-equivalent mutants that compiled), every survivor with its rule,
the equivalent mutants and whether they survived as explained, and the
mutants that did not compile (reported, not counted).  Results go to
build/mutate/results.txt, each mutant's log to build/mutate/logs/ID.log.
"""
import calendar
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MUTANTS = os.path.join(ROOT, "tests", "mutate", "mutants.txt")
# PJ_MUTATE_DIR: another place for the copies and results (a second run
# beside one under way, proving a new test against a few mutants).
WORK = os.path.abspath(os.environ.get("PJ_MUTATE_DIR") or os.path.join(ROOT, "build", "mutate"))

# The quick programs (--fast runs only these): every unit test
# (build/tests/test_*) and these suites.
FAST = ["pamtester", "authz", "parts", "askpass", "conf_options", "providers", "revocation",
        "durability", "status_list", "feed"]
# Not run: they test no code a mutant can change, or not the mutant's copy.
# debian_package.sh installs the package on the machine (and its login runs
# the module pamtester.sh runs); demo_fresh_clone.sh clones git HEAD, not the
# copy; runner.sh and deps_output.sh test the test runner and tests/deps.sh.
EXCLUDED = ["debian_package", "demo_fresh_clone", "runner", "deps_output"]
# These need `make hardening-build` (the sanitizer, TSan and fuzzer builds):
# built only for a mutant every other program let through.
HARDENED = ["sanitizers", "threads", "fuzz"]
# Seconds each program takes (make check's figures), until the unchanged
# tree's run (the baseline) measures them; programs run quickest first
# after the likeliest killers.
SECONDS = {
    "rfc_examples": 1, "ecdsa_twin": 1, "secrets": 2, "install": 2, "client_qr": 2,
    "signing_keys": 2, "host_env": 3, "crosscheck": 4, "degenerate_keys": 4, "oidc_login": 8,
    "sshd": 9, "sudo_su": 10, "fetch_env": 11, "faults": 12, "oidc_provider": 14,
    "client_ssh": 14, "jwks_fetch": 16, "threads": 15, "sanitizers": 21, "client_login": 24,
    "valgrind": 29, "fuzz": 47, "revocation": 30, "providers": 6, "pamtester": 4, "parts": 4,
    "authz": 3, "fleet": 60, "status_list": 20, "feed": 20, "askpass": 1, "conf_options": 2,
    "durability": 1,
}
# The programs likeliest to kill a mutant of a file, tried first: the file's
# own unit test (test_BASENAME) is found by name; these add the suites that
# exercise it.  Then whatever killed the earlier mutants of that file (learnt
# as the run goes, kept in build/mutate/killers.json for the next run).
HINTS = {
    "pam_jwt.c": ["pamtester", "authz"],
    "src/statuslist.c": ["test_statuslist", "status_list"],
    "src/lst/lst.c": ["test_statuslist", "status_list"],
    "src/feed.c": ["feed", "test_revocation"],
    "src/store.c": ["test_revocation", "revocation"],
    "src/revline.c": ["test_revocation", "revocation"],
    "src/tool/cmd_status.c": ["status_list"],
    "src/tool/cmd_publish.c": ["feed"],
    "src/tool/cmd_revoke.c": ["revocation", "durability"],
    "src/tool/cmd_sign.c": ["signing_keys", "crosscheck"],
    "src/tool/cmd_fetch.c": ["jwks_fetch", "status_list", "feed"],
    "src/tool/cmd_verify.c": ["pamtester", "crosscheck"],
    "src/tool/cmd_keys.c": ["jwks_fetch"],
    "src/askpass/askpass.c": ["askpass"],
    "src/fetchhelper/main.c": ["jwks_fetch", "fetch_env"],
    "src/fetchhelper/http.c": ["jwks_fetch", "fetch_env"],
    "src/fetch.c": ["test_fetch", "jwks_fetch"],
    "src/document.c": ["jwks_fetch", "test_fetch", "status_list"],
    "src/frame.c": ["test_frame", "jwks_fetch"],
    "src/spawn.c": ["test_spawn", "fetch_env", "host_env", "faults"],
    "src/session.c": ["authz", "pamtester"],
    "src/verify.c": ["test_attacks", "pamtester", "revocation"],
    "src/sig.c": ["test_sig", "test_attacks", "degenerate_keys", "crosscheck"],
    "src/keys.c": ["test_keys", "degenerate_keys", "signing_keys"],
    "src/token.c": ["test_token", "test_attacks"],
    "src/provider.c": ["test_provider", "providers"],
    "src/usermap.c": ["test_usermap", "providers"],
    "src/util.c": ["test_util", "durability", "secrets", "jwks_fetch"],
    "src/client/main.c": ["client_login", "client_ssh"],
    "src/client/oauth.c": ["client_login", "oidc_login"],
    "src/client/http.c": ["client_login", "oidc_login"],
    "src/client/target.c": ["client_ssh", "client_login"],
    "src/client/cache.c": ["test_client_cache", "client_login"],
    "src/client/conf.c": ["test_client_config", "client_login"],
    "src/client/qr.c": ["test_client_qr", "client_qr"],
    "src/keyindex.c": ["test_keyindex", "jwks_fetch"],
    "src/spki.c": ["test_spki", "test_keys"],
    "src/tool/cmd_index.c": ["jwks_fetch"],
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

    def programs(self):
        """Every test program of the copy: name -> what the runner is given."""
        d = os.path.join(self.dir, "build", "tests")
        out = {f: os.path.join("build", "tests", f) for f in os.listdir(d)
               if f.startswith("test_") and not f.endswith(".o")
               and os.access(os.path.join(d, f), os.X_OK)}
        for name in integration_tests(self.dir):
            for ext in (".sh", ".py"):
                if os.path.exists(os.path.join(self.dir, "tests", "integration", name + ext)):
                    out[name] = os.path.join("tests", "integration", name + ext)
        return out

    def tests(self, progs, logf, fail_fast=True, timeout=TIMEOUT):
        """Runs the test runner on those programs (paths, in that order): 0,
        a failure, or "timeout"."""
        env = {"PJ_TESTS": "none-at-all",
               "VECTORS": os.path.abspath(os.path.join(ROOT, "..", "shared", "vectors")),
               "OIDC_NPM_DIR": os.path.join(ROOT, "build", "npm")}
        # 100 hosts run the same code as 1,000 (fleet.sh), in a tenth of the time.
        env["FLEET_HOSTS"] = os.environ.get("FLEET_HOSTS", "100")
        if fail_fast:
            env["PJ_FAIL_FAST"] = "1"
        env["VECTORS"] = os.environ.get("VECTORS", env["VECTORS"])
        rc, secs = self.run(["tests/run-tests.sh"] + progs, logf, env=env, timeout=timeout)
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
            return progs, "%s (%s)" % (progs, shown[:300])
        return progs, progs

    def judge(self, m, logpath, plan, phase):
        """killed (by what), survived, or uncompilable; and the killer."""
        with open(logpath, "w" if phase < 2 else "a") as logf:
            logf.write("mutant [%s] %s: %r -> %r\n" % (m["id"], m["file"], m["from"], m["to"]))
            logf.flush()
            if not self.apply(m):
                return "stale", "the snippet is no longer in the file exactly once", None
            rc, _ = self.run(["make", "-s", "WERROR=0", "all", "unit"], logf)
            if rc != 0:
                return "uncompilable", "the build failed", None
            progs = self.programs()
            plain, hardened, timeout = plan(m, progs, phase)
            for stage, names in ((1, plain), (2, hardened)):
                if not names:
                    continue
                if stage == 2:
                    logf.write("\n== the hardening build\n")
                    logf.flush()
                    rc, _ = self.run(["make", "-s", "WERROR=0", "hardening-build"], logf)
                    if rc != 0:
                        # The unchanged tree's builds pass (the baseline):
                        # a tool or the machine failed, not a test.
                        return "broken", "the hardening build failed", None
                logf.write("\n== %s\n" % " ".join(names))
                logf.flush()
                pos = logf.tell()
                rc, secs = self.tests([progs[n] for n in names], logf, timeout=timeout)
                logf.flush()
                if rc == "timeout":
                    return "killed", "timed out (%d s)" % secs, None
                if rc != 0:
                    killer, detail = self.failed_programs(logpath, pos)
                    return "killed", detail, killer
            return "survived", "every test passed", None


def prog_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def parse_times(logpath):
    """Seconds per program from a runner's output."""
    out = {}
    try:
        for line in open(logpath):
            f = line.split()
            if len(f) >= 9 and f[1] == "ok," and f[-1] == "s" and f[0] != "/tmp":
                try:
                    out[prog_name(f[0])] = int(f[-2])
                except ValueError:
                    pass
    except OSError:
        pass
    return out


FINAL = {"killed", "survived", "equivalent", "equivalent-killed", "uncompilable", "stale"}


def read_results(path):
    """What an earlier run decided: its results.txt or progress.txt (ID TAB
    STATUS TAB DETAIL TAB SECONDS) or its printed lines (STATUS ID DETAIL
    (N s)).  Final verdicts, and the mutants whose quick programs passed."""
    out, quick_ok = {}, set()
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 3:
            mid, st, detail = parts[0], parts[1], parts[2]
        else:
            w = line.split(None, 2)
            if len(w) < 3:
                continue
            st, mid, detail = w[0].lower(), w[1], w[2].strip()
            st = {"eq-killed": "equivalent-killed"}.get(st, st)
        if st == "quick-ok" or (st == "survived" and "(--fast)" in detail):
            quick_ok.add(mid)
        elif st == "survived" and "(--tests)" in detail:
            continue  # only some programs ran: no verdict
        elif st in FINAL:
            out[mid] = (st, "%s [%s]" % (detail, os.path.basename(path)), 0)
    return out, quick_ok


def main(argv):
    opts = {"jobs": 2, "fast": False, "skip_eq": False, "baseline": True, "only": None,
            "from": None, "check": False, "list": False, "tests": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--only", "--from", "--jobs", "--tests", "--resume", "--until") and \
                i + 1 < len(argv):
            opts[{"--only": "only", "--from": "from", "--jobs": "jobs", "--tests": "tests",
                  "--resume": "resume", "--until": "until"}[a]] = argv[i + 1]
            i += 2
            continue
        if a == "--fast":
            opts["fast"] = True
        elif a == "--skip-equivalent":
            opts["skip_eq"] = True
        elif a == "--tally":
            opts["tally"] = True
        elif a == "--reverse":
            opts["reverse"] = True
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
            if len(parts) > 1 and parts[1] in ("survived", "equivalent-killed", "broken", "not-run"):
                ids.add(parts[0])
        chosen = [m for m in chosen if m["id"] in ids]
    if opts["skip_eq"]:
        chosen = [m for m in chosen if not m["equivalent"]]
    if opts.get("reverse"):
        chosen.reverse()
    if not chosen:
        print("mutate: no mutant chosen")
        return 1
    jobs = max(1, min(2, int(opts["jobs"])))
    resumed, phase1_passed = {}, set()
    for path in (opts.get("resume") or "").split(","):
        if path:
            r, p1 = read_results(path)
            resumed.update(r)
            phase1_passed |= p1
    phase1_passed -= set(resumed)
    if opts.get("until"):
        hh, mm = opts["until"].split(":")
        now = time.gmtime()
        opts["until"] = calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, int(hh), int(mm),
                                         0, 0, 0, 0))
    os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)
    lock = threading.Lock()
    t0 = time.time()

    def log(msg):
        with lock:
            print(msg, flush=True)

    log("mutate: %d mutants, %d at a time, copies in %s" % (len(chosen), jobs, WORK))
    # --tally: no copies, no runs; the verdicts of --resume, summed up.
    slots = [] if opts.get("tally") else [Slot(n + 1, log) for n in range(jobs)]
    for s in slots:
        s.prepare()
    times = dict(SECONDS)
    killers_path = os.path.join(WORK, "killers.json")
    try:
        killers = json.load(open(killers_path))
    except (OSError, ValueError):
        killers = {}
    progs = slots[0].programs() if slots else {}
    if opts["baseline"] and not opts["tests"] and slots:
        # The unchanged copy must pass what the mutants meet, or every
        # mutant would look killed; it also measures each program's time.
        # Slot 1 runs the programs of the plain build while slot 2 makes
        # the hardening build and runs those that need it.
        plain = sorted((n for n in progs if n not in HARDENED and
                        (not opts["fast"] or n.startswith("test_") or n in FAST)),
                       key=lambda n: (times.get(n, 1 if n.startswith("test_") else 1000), n))
        hard = [] if opts["fast"] else [n for n in HARDENED if n in progs]
        res = {}

        def base(s, names, hardening, name):
            lp = os.path.join(WORK, name)
            with open(lp, "w") as lf:
                if hardening:
                    rc, _ = s.run(["make", "-s", "WERROR=0", "hardening-build"], lf)
                    if rc != 0:
                        res[name] = ("the hardening build failed", 0)
                        return
                rc, secs = s.tests([progs[n] for n in names], lf, fail_fast=False,
                                   timeout=4 * TIMEOUT)
            res[name] = (rc, secs)

        jobs_b = [(slots[0], plain, False, "baseline.log")]
        if hard:
            jobs_b.append((slots[-1], hard, True, "baseline-hardened.log"))
        ths = [threading.Thread(target=base, args=j) for j in jobs_b]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        for name, (rc, secs) in res.items():
            if rc != 0:
                sys.exit("mutate: the unchanged tree fails (%s)" % os.path.join(WORK, name))
            times.update(parse_times(os.path.join(WORK, name)))
        log("mutate: the unchanged tree passes %d programs (%s s)"
            % (len(plain) + len(hard), " + ".join("%d" % r[1] for r in res.values())))
    elif not opts["tests"]:
        # No baseline now: the times the last one measured.
        for name in ("baseline.log", "baseline-hardened.log"):
            times.update(parse_times(os.path.join(WORK, name)))
    total = sum(times.get(n, 60) for n in progs)
    timeout = max(TIMEOUT, 3 * total)

    def plan(m, progs, phase):
        """The programs a mutant meets, in order: the plain build's, the
        likeliest killers first (its file's unit test, the hints, what
        killed its file's earlier mutants), then the rest quickest first;
        then those that need the hardening build; and the time limit.
        Phase 1 is the quick programs (the unit tests, FAST, the hints),
        phase 2 the others, for a mutant phase 1 let through; phase 0 all."""
        names = [n for n in progs if n not in EXCLUDED]
        stem = prog_name(m["file"])
        first = ["test_" + stem] + HINTS.get(m["file"], [])
        if opts["tests"]:
            names = [n for n in names if n in opts["tests"].split(",")]
        else:
            quick = [n for n in names if n.startswith("test_") or n in FAST or n in first]
            names = quick if phase == 1 else [n for n in names if n not in quick]
        learnt = killers.get(m["file"], {})

        def key(n):
            return (0 if n in first else 1, first.index(n) if n in first else 0,
                    -learnt.get(n, 0), times.get(n, 1 if n.startswith("test_") else 1000), n)
        names.sort(key=key)
        return ([n for n in names if n not in HARDENED],
                [n for n in names if n in HARDENED], timeout)

    # Phase 2 takes the non-equivalent mutants first: an equivalent one is
    # explained already, and meets every program only to confirm it.
    work, later, later_eq = queue.Queue(), queue.Queue(), queue.Queue()
    results = dict(resumed)
    for m in chosen:
        # A mutant explained as equivalent since that run: judged as such.
        st = results.get(m["id"], ("",))[0]
        if m["equivalent"] and st in ("killed", "survived"):
            results[m["id"]] = ("equivalent-killed" if st == "killed" else "equivalent",) + \
                results[m["id"]][1:]
        elif not m["equivalent"] and st in ("equivalent", "equivalent-killed"):
            results[m["id"]] = ("killed" if st == "equivalent-killed" else "survived",) + \
                results[m["id"]][1:]
    for m in chosen:
        if m["id"] in results:
            continue
        if m["id"] in phase1_passed:
            (later_eq if m["equivalent"] else later).put((m, 2))
        else:
            work.put((m, 0 if opts["tests"] else 1))
    progress = open(os.path.join(WORK, "progress.txt"), "a")
    deadline = opts.get("until")

    def worker(s):
        while True:
            if deadline and time.time() > deadline:
                return
            try:
                m, phase = work.get_nowait()
            except queue.Empty:
                try:
                    m, phase = later.get_nowait()
                except queue.Empty:
                    try:
                        m, phase = later_eq.get_nowait()
                    except queue.Empty:
                        m = None
                if m is None:
                    if work.empty() and later.empty() and later_eq.empty() and all(
                            not th.is_alive() or th is threading.current_thread()
                            or not busy.get(th.name) for th in threads):
                        return
                    time.sleep(1)
                    continue
            busy[threading.current_thread().name] = True
            start = time.time()
            logpath = os.path.join(WORK, "logs", m["id"] + ".log")
            try:
                status, detail, killer = s.judge(m, logpath, plan, phase)
            finally:
                s.restore()
                busy[threading.current_thread().name] = False
            if killer:
                with lock:
                    for k in killer.split():
                        k = prog_name(k)
                        d = killers.setdefault(m["file"], {})
                        d[k] = d.get(k, 0) + 1
            if status == "survived" and opts["tests"]:
                detail = "the programs --tests named passed (--tests)"
            if status == "survived" and phase == 1:
                if not opts["fast"]:
                    (later_eq if m["equivalent"] else later).put((m, 2))
                    log("%-9s %-34s %s (%d s)" % ("quick-ok", m["id"], "the quick programs "
                                                  "passed: the others later",
                                                  time.time() - start))
                    continue
                detail = "the quick programs passed (--fast)"
            if m["equivalent"]:
                status = "equivalent-killed" if status == "killed" else \
                    "equivalent" if status == "survived" else status
            results[m["id"]] = (status, detail, time.time() - start)
            with lock:
                progress.write("%s\t%s\t%s\t%d\n" % (m["id"], status, detail,
                                                      time.time() - start))
                progress.flush()
            log("%-9s %-34s %s (%d s)" % (status.split("-")[0] if status != "equivalent-killed"
                                          else "EQ-KILLED", m["id"], detail, time.time() - start))

    busy = {}
    threads = [threading.Thread(target=worker, args=(s,), name="slot%d" % s.n) for s in slots]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(killers_path, "w") as f:
        json.dump(killers, f, indent=1, sort_keys=True)
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
          "(%d of them killed), %d did not compile, %d stale, %d not decided, %d not run"
          % (len(chosen), (time.time() - t0) / 60, killed, survived,
             len(by.get("equivalent", [])) + len(by.get("equivalent-killed", [])),
             len(by.get("equivalent-killed", [])), len(by.get("uncompilable", [])),
             len(by.get("stale", [])), len(by.get("broken", [])), len(by.get("not-run", []))))
    if counted:
        print("mutate: score %d/%d = %.1f%% of the non-equivalent mutants that compiled"
              % (killed, counted, 100.0 * killed / counted))
    for title, key in (("survivors", "survived"), ("equivalent, killed after all (the "
                                                   "explanation is wrong)", "equivalent-killed"),
                       ("did not compile (not counted)", "uncompilable"),
                       ("not decided: the hardening build failed (rerun them)", "broken"),
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
    return 0 if not survived and not by.get("equivalent-killed") and not by.get("stale") and \
        not by.get("broken") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
