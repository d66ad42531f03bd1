#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The KVM selftests side by side: test x machine x module.

    kselftest_table.py [--out FILE] MACHINE=CONSOLE_LOG ...

Reads the "kselftests.kvm-hv" and "kselftests.kvm_hv_rs" KTAP subtests
tests/init.sh prints (and "kselftests-hash.*", the radix hosts' pass with
hash guests: rows "(hash) TEST") and writes one row per test, two columns per machine
(C = kvm-hv, Rust = kvm_hv_rs): pass, skip, known (a failure listed in
tests/kselftests/known), FAIL, or "-" (not run there). A row whose two
columns differ on a machine is marked "differs": that is a failure.
"""
import argparse
import re
import sys

SUBTEST = re.compile(r"^\s*# Subtest: kselftests(-hash)?\.(kvm-hv|kvm_hv_rs)\s*$")
RESULT = re.compile(r"^    (ok|not ok) \d+ (\S+)(?:\s+#\s*(SKIP)?\s*(.*))?$")
MODULES = ("kvm-hv", "kvm_hv_rs")


def parse(text):
    """{(module, test): status} from one console log."""
    results = {}
    module, prefix = None, ""
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = SUBTEST.match(line)
        if m:
            prefix = "(hash) " if m.group(1) else ""
            module = m.group(2)
            continue
        if module is None:
            continue
        if not line.startswith("    "):
            if re.match(r"^(ok|not ok) ", line):
                module = None
            continue
        m = RESULT.match(line)
        if not m:
            continue
        word, test, skip, reason = m.groups()
        if word == "not ok":
            status = "FAIL"
        elif skip and reason.startswith("known failure"):
            status = "known"
        elif skip:
            status = "skip"
        else:
            status = "pass"
        results[(module, prefix + test)] = status
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("machines", nargs="+")
    args = ap.parse_args()

    per_machine = []
    tests = set()
    for spec in args.machines:
        machine, _, log = spec.partition("=")
        try:
            with open(log, errors="replace") as f:
                res = parse(f.read())
        except OSError:
            res = {}
        per_machine.append((machine, res))
        tests.update(t for _, t in res)

    width = max([len(t) for t in tests] + [len("test")])
    head1 = f"{'':<{width}}"
    head2 = f"{'test':<{width}}"
    for machine, _ in per_machine:
        head1 += f" | {machine:^13}"
        head2 += f" | {'C':<6} {'Rust':<6}"
    lines = [head1, head2, "-" * len(head2)]
    differs = 0
    for test in sorted(tests):
        row = f"{test:<{width}}"
        mark = ""
        for _, res in per_machine:
            c, r = (res.get((m, test), "-") for m in MODULES)
            row += f" | {c:<6} {r:<6}"
            if c != r:
                mark = "  differs"
        differs += bool(mark)
        lines.append(row + mark)
    counts = {}
    for _, res in per_machine:
        for status in res.values():
            counts[status] = counts.get(status, 0) + 1
    lines.append("")
    lines.append(
        "results: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "skip", "known", "FAIL"))
        + f"; {differs} tests differ between C and Rust"
    )
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 1 if differs or counts.get("FAIL") else 0


if __name__ == "__main__":
    sys.exit(main())
