#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise `make bench` boots as one table: C, Rust and Rust/C per row.

Each argument is MACHINE:ALLOC:QEMU_STATUS:CONSOLE_LOG, ALLOC being "cma"
(a boot with a KVM CMA area) or "buddy" (kvm_cma_resv_ratio=0). A console
holds lines "bench MODULE ROW COUNT" from tests/guest/bench.c, COUNT being
the median instructions per operation in that boot. Per machine, row and
module the table gives the median over the boots and the spread
((max - min) / median). In buddy boots only first_run_hpt is kept, as
first_run_hpt_buddy; in cma boots it is first_run_hpt_cma.

Exits 1 if a boot failed, lacks a row, or its kernel log shows a warning.
"""
import argparse
import re
import statistics
import sys

from ktap_summary import NOT_SPLATS  # a blank pseries NVRAM at boot is no report

MODULES = ("kvm-hv", "kvm_hv_rs")
ROWS = ("null_hcall_radix", "null_hcall_hpt", "kernel_hcall_radix", "kernel_hcall_hpt",
        "first_run_hpt_cma", "first_run_hpt_buddy", "vm_lifecycle")
BENCH = re.compile(r"^bench (\S+) (\S+) (\d+)\s*$")
BAD = re.compile(r"WARNING:|BUG:|Oops|Call Trace|lockdep|bench-error|Kernel panic")


def parse(spec, samples, problems):
    machine, alloc, status, log = spec.split(":", 3)
    try:
        text = open(log, errors="replace").read()
    except OSError as e:
        problems.append(f"{machine} {alloc}: {e}")
        return
    if status != "0":
        problems.append(f"{machine} {alloc}: QEMU exit {status} ({log})")
    seen = set()
    for line in text.splitlines():
        line = line.strip("\r")
        if BAD.search(line) and not NOT_SPLATS.match(line.strip()):
            problems.append(f"{machine} {alloc}: {line.strip()} ({log})")
        m = BENCH.match(line)
        if not m:
            continue
        module, row, count = m.group(1), m.group(2), int(m.group(3))
        if row == "first_run_hpt":
            row = f"first_run_hpt_{alloc}"
        elif alloc == "buddy":
            continue
        samples.setdefault((machine, row, module), []).append(count)
        seen.add((row, module))
    if alloc == "buddy":
        want_rows = ["first_run_hpt_buddy"]
    elif alloc == "nested":
        # A pseries host runs radix guests only: no HPT, no HPT allocator.
        want_rows = ["null_hcall_radix", "kernel_hcall_radix", "vm_lifecycle"]
    else:
        want_rows = [r for r in ROWS if r != "first_run_hpt_buddy"]
    for row in want_rows:
        for module in MODULES:
            if (row, module) not in seen and not (row.endswith("_radix") and machine == "powernv8"):
                problems.append(f"{machine} {alloc}: no {row} for {module} ({log})")


def table(samples):
    machines = sorted({k[0] for k in samples}, key=lambda m: (len(m), m))
    lines = [f"{'machine':<16} {'row':<20} {'C':>10} {'Rust':>10} {'Rust/C':>7}  "
             f"{'spread C':>8} {'spread Rust':>11}  boots"]
    for machine in machines:
        for row in ROWS:
            c = samples.get((machine, row, "kvm-hv"))
            r = samples.get((machine, row, "kvm_hv_rs"))
            if not c or not r:
                continue
            cm, rm = statistics.median(c), statistics.median(r)
            spread = lambda v, med: (max(v) - min(v)) / med * 100 if med else 0.0
            lines.append(f"{machine:<16} {row:<20} {cm:>10.0f} {rm:>10.0f} {rm / cm:>7.3f}  "
                         f"{spread(c, cm):>7.2f}% {spread(r, rm):>10.2f}%  {min(len(c), len(r))}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("boots", nargs="+")
    args = ap.parse_args()
    samples, problems = {}, []
    for spec in args.boots:
        parse(spec, samples, problems)
    text = ("Instructions per operation (emulated, -icount shift=0,sleep=off); "
            "median over boots.\n\n" + table(samples))
    print(text, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
