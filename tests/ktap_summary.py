#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `make check` run: KTAP from the emulated hosts' consoles,
host-side checks of each boot, and the host unit tests.

    ktap_summary.py [--out FILE] [--cargo LOG] [--check GROUP/NAME=STATUS ...]
                    MACHINE=CONSOLE_LOG:QEMU_STATUS ...

Every leaf KTAP result counts once, named MACHINE/SUBTEST/TEST. Each machine
also gets host checks: it booted, it reached the end of its scenarios with
QEMU exiting 0, the top-level KTAP plan was met, and the kernel log has no
WARN, BUG, Oops, lockdep report or other splat. The last line printed is
"N passed, N failed, N skipped"; the exit status is 1 if anything failed.
"""

import argparse
import os
import re
import sys

RESULT = re.compile(r"^( *)(ok|not ok) (\d+) (.*?)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?\s*$")
PLAN = re.compile(r"^( *)1\.\.(\d+)\s*$")
SUBTEST = re.compile(r"^( *)# Subtest: (\S+)")
# Kernel reports that must never appear during a run.
SPLATS = re.compile(
    r"WARNING:|\bBUG:|kernel BUG|Oops|Call Trace:|Kernel panic|"
    r"possible circular locking|possible recursive locking|"
    r"inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|"
    r"Unable to handle kernel|UBSAN:|KASAN:|refcount_t:|list_add corruption|"
    r"list_del corruption|Bad page state|rcu_sched self-detected stall|"
    r"soft lockup|hard LOCKUP|detected stall|"
    # The debug kernel's detectors (scripts/config/debug.config). Sleeping in
    # atomic context, KASAN and KFENCE print "BUG: ..." lines, matched above.
    r"kmemleak: .*(suspected memory leak|disabled)|DEBUG_LOCKS_WARN_ON|"
    r"ODEBUG:|\bBUG \S+ \((Not tainted|Tainted)|Poison overwritten|"
    r"Redzone overwritten|Object already free|Freepointer corrupt|"
    r"lockdep is turned off|pagealloc: (memory corruption|single bit error)"
)


# Kernel lines that contain a SPLATS word but are no report: the pseries
# NVRAM scan (arch/powerpc/kernel/nvram_64.c) prints this when it finds
# QEMU's NVRAM still blank, at every pseries boot, and goes on to format it.
NOT_SPLATS = re.compile(r"^WARNING: nvram corruption detected: 0-length partition$")


# What an injected allocation failure makes the kernel print (warn_alloc()'s
# stack dump after "vmalloc error:" or "page allocation failure:"), accepted
# only between tests/init.sh's faults-begin and faults-end markers.
FAULT_REPORT = re.compile(r"vmalloc error:|page allocation failure:|FAULT_INJECTION: forcing")


def injected_fault_report(lines, i):
    if not lines[i].rstrip().endswith("Call Trace:"):
        return False
    begin = max((j for j in range(i) if "kvm_hv_rs-test: faults-begin" in lines[j]), default=None)
    if begin is None or any("kvm_hv_rs-test: faults-end" in l for l in lines[begin:i]):
        return False
    return any(FAULT_REPORT.search(l) for l in lines[max(begin, i - 15) : i])


class Tally:
    def __init__(self):
        self.passed, self.failed, self.skipped = 0, 0, 0
        self.failures = []  # (name, [diagnostic lines])
        self.rows = []  # (name, status)

    def add(self, name, status, diag=()):
        self.rows.append((name, status))
        if status == "pass":
            self.passed += 1
        elif status == "skip":
            self.skipped += 1
        else:
            self.failed += 1
            # The list itself: diagnostics printed after "not ok" are
            # appended to it as they are read.
            self.failures.append((name, diag if isinstance(diag, list) else list(diag)))


def parse_console(machine, text, qemu_status, tally):
    lines = [l.rstrip("\r") for l in text.splitlines()]
    start = next((i for i, l in enumerate(lines) if "kvm_hv_rs-test: start" in l), None)
    end = next((i for i, l in enumerate(lines) if "kvm_hv_rs-test: end" in l), None)

    def host(check, ok, diag=()):
        tally.add(f"{machine}/host/{check}", "pass" if ok else "fail", diag)

    tail = lines[-15:]
    host("boot", start is not None, ["no 'kvm_hv_rs-test: start' on the console"] + tail)
    if start is None:
        return
    finished = end is not None and qemu_status == 0
    why = [f"QEMU exit status {qemu_status}" + (" (timed out)" if qemu_status == 124 else "")]
    if end is None:
        why.append("the scenarios did not reach 'kvm_hv_rs-test: end'")
    host("finished", finished, why + tail)

    # "# | " lines are a nested guest's console (tests/init.sh, vmm mode),
    # printed when its scenario failed: that failure is counted already.
    splats = [
        l
        for i, l in enumerate(lines)
        if SPLATS.search(l) and not NOT_SPLATS.match(l.strip())
        and not l.startswith("# | ") and not injected_fault_report(lines, i)
    ]
    host("dmesg_clean", not splats, splats[:20])

    body = lines[start + 1 : end if end is not None else len(lines)]
    top_plan, top_results = None, 0
    prev_indent = None
    sub_name, sub_plan, sub_count, sub_failed = None, None, 0, False
    # Diagnostics belong to the failure they precede (a program prints them
    # while testing) or follow (the harness prints them after "not ok").
    pending = None  # (name, status, diag) of the last failure
    recent = []  # '#' lines since the last result
    for line in body:
        if line.lstrip().startswith("#") and not SUBTEST.match(line):
            if pending is not None:
                pending[2].append(line.strip())
            else:
                recent.append(line.strip())
            continue
        m = SUBTEST.match(line)
        if m:
            sub_name, sub_plan, sub_count, sub_failed = m.group(2), None, 0, False
            continue
        m = PLAN.match(line)
        if m:
            if m.group(1):
                sub_plan = int(m.group(2))
            elif top_plan is None:
                top_plan = int(m.group(2))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent, okword, _, name, directive, reason = m.groups()
        depth = len(indent)
        is_parent = prev_indent is not None and prev_indent > depth
        prev_indent = depth
        if depth == 0:
            top_results += 1
        if is_parent:
            # A subtest's own line: its leaves were counted already; count it
            # only when it failed without a failing leaf (a crash) or when
            # its plan was not met.
            problems = []
            if okword == "not ok" and not sub_failed:
                problems.append("subtest failed with no failing test (crashed?)")
            if sub_plan is not None and sub_count != sub_plan:
                problems.append(f"subtest planned {sub_plan} tests, ran {sub_count}")
            if problems:
                pending = (f"{machine}/{name}", "fail", recent + problems)
                tally.add(*pending)
            else:
                pending = None
            recent = []
            sub_name = None
            continue
        full = f"{machine}/{sub_name}/{name}" if depth and sub_name else f"{machine}/{name}"
        if depth:
            sub_count += 1
        if directive == "SKIP":
            status = "skip"
        elif okword == "ok":
            status = "pass"
        else:
            status = "fail"
            if depth:
                sub_failed = True
        pending = (full, status, recent) if status == "fail" else None
        recent = []
        tally.add(full, status, pending[2] if pending else ())
    host(
        "ktap_plan",
        top_plan is not None and top_plan == top_results,
        [f"plan {top_plan}, results {top_results}"],
    )


def parse_cargo(text, tally):
    seen = False
    for m in re.finditer(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", text, re.M):
        seen = True
        status = {"ok": "pass", "FAILED": "fail", "ignored": "skip"}[m.group(2)]
        tally.add(f"host/{m.group(1)}", status)
    if not seen:  # it did not build, or ran nothing
        tally.add("host/cargo_test", "fail", text.splitlines()[-20:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--cargo")
    ap.add_argument("--check", action="append", default=[])
    ap.add_argument("machines", nargs="*")
    args = ap.parse_args()

    tally = Tally()
    if args.cargo and os.path.exists(args.cargo):
        parse_cargo(open(args.cargo, errors="replace").read(), tally)
    for spec in args.check:
        name, _, status = spec.partition("=")
        tally.add(name, "pass" if status == "0" else "fail", [f"exit status {status}"])
    for spec in args.machines:
        machine, _, rest = spec.partition("=")
        path, _, status = rest.rpartition(":")
        try:
            text = open(path, errors="replace").read()
        except OSError as e:
            text = ""
            tally.add(f"{machine}/host/console", "fail", [str(e)])
        parse_console(machine, text, int(status or 1), tally)

    groups = {}
    for name, status in tally.rows:
        g = groups.setdefault(name.split("/")[0], [0, 0, 0])
        g[{"pass": 0, "fail": 1, "skip": 2}[status]] += 1
    report = ["", "Results:"]
    for g, (p, f, s) in groups.items():
        report.append(f"  {g:<14} {p:4} passed {f:4} failed {s:4} skipped")
    for name, diag in tally.failures:
        report.append(f"FAILED {name}")
        report.extend(f"    {d}" for d in diag)
    if args.out:
        with open(args.out, "w") as f:
            for name, status in tally.rows:
                f.write(f"{status:4} {name}\n")
            f.write("\n".join(report) + "\n")
    print("\n".join(report))
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
