#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How much of kvm_hv_rs.ko is still kvm-hv's C: the measure of the port.

For each kvm-hv source compiled into the module (c/*.c and asm/*.S, the
ones the build produced objects for), its lines of code, against the lines
of Rust of the module; and which kvmppc_ops members are Rust. Lines of code
are the lines that are neither blank nor only comment.

  port_measure.py --top REPO --src KERNEL_SRC --obj KERNEL_BUILD [--markdown]
"""
import argparse
import re
from pathlib import Path


def code_lines(text, rust=False):
    """Lines that are not blank and not only comment."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    n = 0
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("//"):
            continue
        n += 1
    return n


def c_members(src):
    """The members book3s_hv.c sets in kvm_ops_hv, at build and at init."""
    text = (src / "arch/powerpc/kvm/book3s_hv.c").read_text()
    body = re.search(r"struct kvmppc_ops kvm_ops_hv = \{(.*?)\n\};", text, re.S).group(1)
    members = re.findall(r"^\s*\.(\w+)\s*=", body, re.M)
    members += [m for m in re.findall(r"kvm_ops_hv\.(\w+)\s*=", text) if m not in members and m != "owner"]
    return members


def rust_members(top):
    text = (top / "ops.rs").read_text()
    return re.findall(r"\(\*ours\)\.(\w+) = Some\(", text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=Path, required=True)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--obj", type=Path, required=True)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()

    rows = []
    for wrapper in sorted(list((a.top / "c").glob("*.c")) + list((a.top / "asm").glob("*.S"))):
        rel = wrapper.relative_to(a.top)
        if not (a.obj / "arch/powerpc/kvm/hv_rs" / rel.with_suffix(".o")).exists():
            continue  # not configured (CONFIG_PPC_UV, CONFIG_PPC_TRANSACTIONAL_MEM)
        inc = re.search(r"^#include <(\w+\.[cS])>", wrapper.read_text(), re.M)
        kfile = inc.group(1)
        kvm_lines = code_lines((a.src / "arch/powerpc/kvm" / kfile).read_text())
        own = code_lines(wrapper.read_text())
        rows.append((kfile, kvm_lines, str(rel), own))
    rust_files = [p for p in a.top.rglob("*.rs") if "tests" not in p.relative_to(a.top).parts]
    rust = sum(code_lines(p.read_text(), rust=True) for p in rust_files)
    c_total = sum(r[1] + r[3] for r in rows)
    members = c_members(a.src)
    ours = rust_members(a.top)

    out = []
    if a.markdown:
        out.append("| kvm-hv source | its lines | glue | lines |")
        out.append("|---|---:|---|---:|")
        for k, n, w, g in rows:
            out.append(f"| `{k}` | {n} | `{w}` | {g} |")
        out.append(f"| **C in kvm_hv_rs.ko** | | | **{c_total}** |")
        out.append(f"| **Rust** ({len(rust_files)} files) | | | **{rust}** |")
        out.append("")
        out.append(f"`kvmppc_ops` members in Rust: {len(ours)} of {len(members)} "
                   f"({', '.join('`%s`' % m for m in ours)}).")
    else:
        out.append("Port measure (lines of code: not blank, not only comment):")
        for k, n, w, g in rows:
            out.append(f"  C    {k:28s} {n:6d}   + {w} {g}")
        out.append(f"  C    total in kvm_hv_rs.ko        {c_total:6d}")
        out.append(f"  Rust {len(rust_files)} files                     {rust:6d}")
        out.append(f"  kvmppc_ops members in Rust: {len(ours)} of {len(members)}: {', '.join(ours)}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
