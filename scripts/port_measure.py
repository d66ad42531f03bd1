#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How much of kvm_hv_rs.ko is still kvm-hv's C: the measure of the port.

For each kvm-hv source compiled into the module (c/*.c and asm/*.S, the
ones the build produced objects for), its lines of code, against the lines
of Rust of the module; and which kvmppc_ops members are Rust. Lines of code
are the lines that are neither blank nor only comment.

A kvm-hv function that Rust replaces is compiled out of the module: its
glue renames the definition out of the table (c/book3s_hv.c), and the
compiler then emits neither it nor what only it calls. Those functions are
found on the source's call graph (a function is kept when a root reaches
it: a global function, a name used outside function bodies such as kvm-hv's
ops table, or a function the glue calls), their lines are not counted, and
each one that kvm-hv.ko's object has a symbol for must have none in the
module's (exit status 1 otherwise: the function was not compiled out).

  port_measure.py --top REPO --src KERNEL_SRC --obj KERNEL_BUILD [--markdown]
"""
import argparse
import re
import subprocess
from pathlib import Path

IDENT = re.compile(r"[A-Za-z_]\w*")


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


def functions(text):
    """Top-level function definitions of a kernel-style C file: {name: (body,
    code lines, signature)} (the body from the signature to the closing brace at column
    0), and the text outside them."""
    funcs, outside = {}, []
    lines = text.splitlines()
    i, sig = 0, []
    while i < len(lines):
        line = lines[i]
        if line == "{" and sig:
            head = " ".join(sig)
            m = re.search(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$", head)
            j = i
            while j < len(lines) and lines[j] != "}":
                j += 1
            body = "\n".join(lines[i:j + 1])
            if m:
                funcs[m.group(1)] = (body, code_lines(head + "\n" + body), head)
            outside = outside[:-len(sig)]
            sig, i = [], j + 1
            continue
        open_parens = sum(x.count("(") - x.count(")") for x in sig)
        if sig and open_parens > 0 and line.startswith((" ", "\t")):
            # A signature's parameters continued on an indented line.
            sig.append(line)
        elif not line.strip() or line.startswith(("#", "}", " ", "\t", "/*", " *")) or line.rstrip().endswith((";", "*/")):
            sig = []
        else:
            sig.append(line)
        outside.append(line)
        i += 1
    return funcs, "\n".join(outside)


def compiled_out(text, glue):
    """The functions of kvm-hv source `text` that the module's build does not
    compile: the ones the glue renames out of the table, and what only they
    reach. Returns {name: code lines}."""
    renamed = set(re.findall(r"^#define (\w+)\(\w+\) __maybe_unused ", glue, re.M))
    if not renamed:
        return {}
    stripped = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    funcs, outside = functions(stripped)
    uses = {f: set(IDENT.findall(b)) & funcs.keys() for f, (b, _, _) in funcs.items()}
    statics = {f for f, (_, _, head) in funcs.items() if re.search(r"\bstatic\b", head)}
    # Prototypes name a function without using it.
    outside = re.sub(r"^\w[^=;{]*\([^;{]*\);", " ", outside, flags=re.M)
    roots = (funcs.keys() - statics) | (set(IDENT.findall(outside)) & funcs.keys())
    roots |= set(IDENT.findall(re.sub(r"/\*.*?\*/", " ", glue, flags=re.S))) & funcs.keys()
    roots -= renamed
    seen, todo = set(), list(roots)
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(uses[f] - seen - renamed)
    return {f: funcs[f][1] for f in funcs if f not in seen}


def text_symbols(obj):
    out = subprocess.run(["llvm-nm-19", "--defined-only", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    return {l.split()[-1] for l in out.splitlines() if l.split()[-2] in ("t", "T")}


def crate_files(root):
    """The files of the crate whose root is `root`: each `mod name;` of a
    file `dir/f.rs` is `dir/name.rs` (crate root) or `dir/f/name.rs`, as
    rustc finds them, followed from the root. Files not in the crate (the
    host tests', or one the module does not declare yet) are not counted."""
    files, todo = [], [(root, root.parent)]
    while todo:
        f, subdir = todo.pop()
        files.append(f)
        for name in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", f.read_text(), re.M):
            child = subdir / f"{name}.rs"
            todo.append((child, subdir / name))
    return sorted(files)


def c_members(src):
    """The members book3s_hv.c sets in kvm_ops_hv, at build and at init."""
    text = (src / "arch/powerpc/kvm/book3s_hv.c").read_text()
    body = re.search(r"struct kvmppc_ops kvm_ops_hv = \{(.*?)\n\};", text, re.S).group(1)
    members = re.findall(r"^\s*\.(\w+)\s*=", body, re.M)
    members += [m for m in re.findall(r"kvm_ops_hv\.(\w+)\s*=", text) if m not in members and m != "owner"]
    return members


def rust_members(top, src):
    """Members ops.rs sets to Rust functions, and members of kvm_ops_hv whose
    function the glue renames (the table then names Rust's)."""
    ours = re.findall(r"\(\*ours\)\.(\w+) = Some\(", (top / "ops.rs").read_text())
    renamed = re.findall(r"^#define (\w+)\(\w+\) __maybe_unused ", (top / "c/book3s_hv.c").read_text(), re.M)
    text = (src / "arch/powerpc/kvm/book3s_hv.c").read_text()
    body = re.search(r"struct kvmppc_ops kvm_ops_hv = \{(.*?)\n\};", text, re.S).group(1)
    table = dict((f, m) for m, f in re.findall(r"^\s*\.(\w+)\s*=\s*(\w+)", body, re.M))
    return [table[f] for f in renamed if f in table] + ours


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=Path, required=True)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--obj", type=Path, required=True)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()

    rows, out_funcs, missing = [], [], []
    for wrapper in sorted(list((a.top / "c").glob("*.c")) + list((a.top / "asm").glob("*.S"))):
        rel = wrapper.relative_to(a.top)
        if not (a.obj / "arch/powerpc/kvm/hv_rs" / rel.with_suffix(".o")).exists():
            continue  # not configured (CONFIG_PPC_UV, CONFIG_PPC_TRANSACTIONAL_MEM)
        inc = re.search(r"^#include <(\w+\.[cS])>", wrapper.read_text(), re.M)
        kfile = inc.group(1)
        ktext = (a.src / "arch/powerpc/kvm" / kfile).read_text()
        kvm_lines = code_lines(ktext)
        own = code_lines(wrapper.read_text())
        gone = compiled_out(ktext, wrapper.read_text()) if kfile.endswith(".c") else {}
        if gone:
            c_syms = text_symbols(a.obj / "arch/powerpc/kvm" / Path(kfile).with_suffix(".o"))
            rs_syms = text_symbols(a.obj / "arch/powerpc/kvm/hv_rs" / rel.with_suffix(".o"))
            missing += [f"{kfile}: {f}" for f in gone if f in c_syms and f in rs_syms]
            out_funcs += [(kfile, f, n) for f, n in sorted(gone.items())]
        kvm_lines -= sum(gone.values())
        rows.append((kfile, kvm_lines, str(rel), own))
    rust_files = crate_files(a.top / "kvm_hv_rs.rs")
    rust = sum(code_lines(p.read_text(), rust=True) for p in rust_files)
    c_total = sum(r[1] + r[3] for r in rows)
    members = c_members(a.src)
    ours = rust_members(a.top, a.src)
    gone_lines = sum(n for _, _, n in out_funcs)

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
        out.append("")
        out.append(f"Compiled out (replaced by Rust, not counted above): {gone_lines} lines, "
                   + ", ".join(f"`{f}()` {n}" for _, f, n in out_funcs) + ".")
    else:
        out.append("Port measure (lines of code: not blank, not only comment):")
        for k, n, w, g in rows:
            out.append(f"  C    {k:28s} {n:6d}   + {w} {g}")
        out.append(f"  C    total in kvm_hv_rs.ko        {c_total:6d}")
        out.append(f"  Rust {len(rust_files)} files                     {rust:6d}")
        out.append(f"  kvmppc_ops members in Rust: {len(ours)} of {len(members)}: {', '.join(ours)}")
        out.append(f"  compiled out (Rust replaces them; not counted): {gone_lines} lines in "
                   f"{len(out_funcs)} functions:")
        for k, f, n in out_funcs:
            out.append(f"    {k:28s} {f:36s} {n:5d}")
    for m in missing:
        out.append(f"  NOT COMPILED OUT: {m} is in kvm_hv_rs.ko")
    print("\n".join(out))
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
