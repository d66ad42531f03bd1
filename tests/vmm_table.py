#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The VMM scenarios side by side: guest x machine x module.

    vmm_table.py [--out FILE] MACHINE=CONSOLE_LOG:QEMU_STATUS ...

Reads tests/init.sh's vmm-mode KTAP from each emulated host's console
(results "ok N radix_2vcpu.kvm_hv_rs", timings "# NAME: QEMU exit RC after
N s") and prints one row per guest with one column per machine and module:
"pass 13 s", "FAIL 95 s" or "-" (not run), and per machine a "same" column:
whether the two modules' guests reported the same.
"""

import argparse
import re
import sys

RESULT = re.compile(r"^(ok|not ok) \d+ (\S+)")
TIMING = re.compile(r"^# (\S+): QEMU exit (-?\d+) after (\d+) s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("specs", nargs="+")
    args = ap.parse_args()
    cells, machines, modules, guests = {}, [], [], []
    for spec in args.specs:
        machine, rest = spec.split("=", 1)
        machine = machine.removesuffix("-vmm")
        log = rest.rsplit(":", 1)[0]
        machines.append(machine)
        try:
            text = open(log, errors="replace").read()
        except OSError:
            continue
        secs = {}
        for line in text.splitlines():
            line = line.rstrip("\r")
            m = TIMING.match(line)
            if m:
                secs[m.group(1)] = m.group(3)
                continue
            m = RESULT.match(line)
            if not m or "." not in m.group(2):
                continue
            guest, module = m.group(2).rsplit(".", 1)
            if not re.match(r"(radix|hash)_\d+vcpu", guest):
                continue
            if guest not in guests:
                guests.append(guest)
            if module not in modules:
                modules.append(module)
            status = "pass" if m.group(1) == "ok" else "FAIL"
            t = secs.get(m.group(2))
            cells[(guest, machine, module)] = f"{status} {t} s" if t else status
    cols = [(ma, mo) for ma in machines for mo in modules]
    head = ["guest"] + [f"{ma} {mo}" for ma, mo in cols]
    rows = [[g] + [cells.get((g, ma, mo), "-") for ma, mo in cols] for g in guests]
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [
        "Debian's QEMU boots Debian's Linux in each emulated host (make vmm):",
        "guest x machine x module; 'same': both modules' guests reported the same.",
        "",
        fmt.format(*head),
    ] + [fmt.format(*r) for r in rows]
    out = "\n".join(line.rstrip() for line in lines) + "\n"
    sys.stdout.write(out)
    if args.out:
        with open(args.out, "w") as f:
            f.write(out)


if __name__ == "__main__":
    main()
