#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the instructions of an in-kernel hcall (or of a first KVM_RUN) go,
per kernel function, under kvm-hv and under kvm_hv_rs.

    scripts/bench-profile.py [MACHINE] [--row first_run] [--top N]
                             [--keep DIR | --from DIR]

Boots MACHINE (default powernv9) in run-qemu.sh's profile mode: bench under
-icount with QEMU's translation log on (-d in_asm,nochain). When
tests/guest/bench.c reaches the first measured run of the row (kernel_hcall,
or with --row first_run the first KVM_RUN of an HPT guest: powernv9-nocma
for the page allocator's HPT) it prints bench-profile-start and waits; this script then turns QEMU's
execution log on through the monitor, lets the guest go, and turns it off
at bench-profile-stop. Each executed translation block is charged its
instructions, by address, to the kernel symbols the guest's /proc/kallsyms
names. Prints, per module and MMU, the instructions per hcall by function,
and the functions whose counts differ most between C and Rust.

Needs `make initramfs` to have run. Debugging aid, not part of make check.
"""
import argparse
import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOPS = 100                          # KERNEL_LOOPS in bench.c: kernel_hcall's
                                     # operations per profiled run
INSN = re.compile(r"^0x([0-9a-f]+):")
EXEC = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/[0-9a-f]+/([0-9a-f]+)\]")
CF_COUNT_MASK = 0x1ff                # QEMU's cflags: a block cut to this many
START = re.compile(r"bench-profile-(start|stop) (\S+) (\S+)")


def monitor(sock_path, cmd):
    for _ in range(100):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock_path)
            break
        except OSError:
            time.sleep(0.1)
    s.settimeout(2)
    s.sendall((cmd + "\n").encode())
    time.sleep(0.3)
    s.close()


def drive(machine, pdir, row):
    env = dict(os.environ, KVM_HV_RS_PROFILE_DIR=pdir, KVM_HV_RS_PROFILE_ROW=row)
    qemu = subprocess.Popen([os.path.join(TOP, "scripts/run-qemu.sh"), machine, "profile"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    console = []
    for raw in qemu.stdout:
        line = raw.decode(errors="replace").rstrip("\r\n")
        console.append(line)
        m = START.search(line)
        if not m:
            continue
        what, module, mmu = m.groups()
        if what == "start":
            monitor(os.path.join(pdir, "mon.sock"), f"logfile {exec_log(pdir, module, mmu)}")
            monitor(os.path.join(pdir, "mon.sock"), "log in_asm,nochain,exec")
        else:
            monitor(os.path.join(pdir, "mon.sock"), "log in_asm,nochain")
            monitor(os.path.join(pdir, "mon.sock"), f"logfile {pdir}/asm-{module}-{mmu}.log")
        qemu.stdin.write(b"\n")
        qemu.stdin.flush()
    qemu.wait()
    with open(os.path.join(pdir, "console.txt"), "w") as f:
        f.write("\n".join(console) + "\n")
    return console


def exec_log(pdir, module, mmu):
    return os.path.join(pdir, f"exec-{module}-{mmu}.log")


def windows(console, pdir):
    """(module, MMU, execution log) of each profiled window, in order."""
    return [(m.group(2), m.group(3), exec_log(pdir, m.group(2), m.group(3)))
            for m in map(START.search, console) if m and m.group(1) == "start"]


def kallsyms(console):
    syms, inside = [], False
    for line in console:
        if line.startswith("kallsyms-begin"):
            inside = True
        elif line.startswith("kallsyms-end"):
            break
        elif inside:
            f = line.split()
            if len(f) >= 3 and f[1] in "tTwW":
                name = f[2] + (" " + f[3] if len(f) > 3 else "")
                syms.append((int(f[0], 16), name))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def translations(pdir):
    """TB start address -> the addresses of its instructions.

    The logs are read in the order QEMU wrote them, and a later
    translation of an address replaces an earlier one, as when a module is
    loaded where another was: except that under -icount QEMU also
    translates blocks cut short (to the instruction budget left, or to end
    at an I/O instruction) and runs them once. Such a block is a prefix of
    the full one and does not replace it; its execution says how many
    instructions ran in its cflags (see profile()).
    """
    tbs, code = {}, {}

    def done(cur):
        pc, old = cur[0][0], code.get(cur[0][0], [])
        if len(cur) < len(old) and old[:len(cur)] == [c for _, c in cur]:
            return
        tbs[pc] = [a for a, _ in cur]
        code[pc] = [c for _, c in cur]

    logs = [n for n in os.listdir(pdir) if n.endswith(".log")]
    for name in sorted(logs, key=lambda n: os.path.getmtime(os.path.join(pdir, n))):
        cur = None
        with open(os.path.join(pdir, name), errors="replace") as f:
            for line in f:
                if line.startswith("IN:"):
                    cur, objd = [], ""
                elif cur is None:
                    continue
                elif m := INSN.match(line):
                    cur.append((int(m.group(1), 16), line.split(":", 1)[1].strip()))
                elif line.startswith("OBJD-T:"):
                    # A QEMU built without a disassembler (the patched
                    # one for powernv8) logs the block's bytes after its
                    # first address instead, 32 a line.
                    objd += line.split()[1]
                elif cur:
                    if objd:
                        # Eight hex digits, four bytes, an instruction.
                        cur = [(cur[0][0] + i // 2, objd[i:i + 8])
                               for i in range(0, len(objd), 8)]
                    done(cur)
                    cur = None
    return tbs


def marker_ranges():
    """bench's bench_profile_begin and _end: (start, end) address ranges."""
    binary = os.path.join(os.environ.get("KVM_HV_RS_CACHE", os.path.expanduser(
        "~/.cache/kvm_hv_rs")), "out/initramfs.d/tests/bench")
    out = subprocess.run(["powerpc64le-linux-gnu-nm", "-S", binary], capture_output=True,
                         text=True, check=True).stdout
    ranges = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[3] in ("bench_profile_begin", "bench_profile_end"):
            ranges[f[3]] = (int(f[0], 16), int(f[0], 16) + int(f[1], 16))
    return ranges["bench_profile_begin"], ranges["bench_profile_end"]


def profile(window, tbs, addrs, names, markers):
    """Instructions per symbol between the two markers' first executions."""
    per = collections.Counter()
    missing = 0
    (b0, b1), (e0, e1) = markers
    inside = False
    with open(window, errors="replace") as f:
        for line in f:
            m = EXEC.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if not inside:
                inside = b0 <= pc < b1
                continue
            if e0 <= pc < e1:
                break
            insns = tbs.get(pc)
            if not insns:
                missing += 1
                continue
            count = int(m.group(2), 16) & CF_COUNT_MASK
            if count:
                insns = insns[:count]
            for a in insns:
                i = bisect.bisect_right(addrs, a) - 1
                per[names[i] if i >= 0 else hex(a)] += 1
    return per, missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("machine", nargs="?", default="powernv9")
    ap.add_argument("--row", choices=("kernel_hcall", "first_run"), default="kernel_hcall")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--keep", help="directory for the logs (default: a temporary one)")
    ap.add_argument("--from", dest="source",
                    help="analyse the logs an earlier --keep left in this directory, without booting")
    args = ap.parse_args()
    if args.source:
        pdir = args.source
        try:
            with open(os.path.join(pdir, "row")) as f:
                args.row = f.read().strip()
        except FileNotFoundError:
            args.row = "kernel_hcall"
        with open(os.path.join(pdir, "console.txt")) as f:
            console = f.read().splitlines()
    else:
        pdir = args.keep or tempfile.mkdtemp(prefix="kvm_hv_rs-profile-")
        os.makedirs(pdir, exist_ok=True)
        with open(os.path.join(pdir, "row"), "w") as f:
            f.write(args.row + "\n")
        console = drive(args.machine, pdir, args.row)
    profiled = windows(console, pdir)
    addrs, names = kallsyms(console)
    if not profiled or not addrs:
        print("no profile windows or no kallsyms on the console", file=sys.stderr)
        return 1
    ops, unit = (LOOPS, "hcall") if args.row == "kernel_hcall" else (1, "first run")
    tbs = translations(pdir)
    # The markers' addresses are those of the bench binary that ran: kept
    # with the logs, since a later build of bench.c moves them.
    saved = os.path.join(pdir, "markers")
    if args.source and os.path.exists(saved):
        with open(saved) as f:
            b0, b1, e0, e1 = (int(x, 16) for x in f.read().split())
        markers = (b0, b1), (e0, e1)
    else:
        markers = marker_ranges()
        with open(saved, "w") as f:
            f.write(" ".join(f"{a:x}" for r in markers for a in r) + "\n")
    result = {}
    for module, mmu, window in profiled:
        per, missing = profile(window, tbs, addrs, names, markers)
        result[(module, mmu)] = per
        total = sum(per.values())
        print(f"\n== {module} {mmu}: {total / ops:.0f} instructions per {unit}"
              f" ({missing} blocks without a translation)")
        for sym, n in per.most_common(args.top):
            print(f"  {n / ops:8.1f}  {sym}")
    for mmu in sorted({m for _, m in result}):
        c, r = result.get(("kvm-hv", mmu)), result.get(("kvm_hv_rs", mmu))
        if not c or not r:
            continue
        print(f"\n== {mmu}: Rust - C per {unit}, by function (largest first)")
        diff = {s: (r.get(s, 0) - c.get(s, 0)) / ops for s in set(c) | set(r)}
        for sym, d in sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:args.top]:
            print(f"  {d:+8.1f}  {sym}")
    print(f"\nlogs: {pdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
