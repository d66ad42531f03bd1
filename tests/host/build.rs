// SPDX-License-Identifier: GPL-2.0

//! Builds kvm-hv's guest state buffer code (arch/powerpc/kvm/
//! guest-state-buffer.c of the kernel tree the project builds) for the host,
//! with the definitions it needs from c/shim/ and the calls the tests make
//! in c/gsb_glue.c, so that gsb_tests.rs can compare kvm_hv_rs's encoding
//! with C's. The tree is $KVM_HV_RS_KERNEL_SRC, else the project's cache
//! (scripts/lib.sh); without one, the comparisons are not built (cfg
//! `gsb_c`), and a run that requires them (KVM_HV_RS_REQUIRE_C=1, as
//! `make check` sets) fails.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn kernel_src() -> Option<PathBuf> {
    if let Some(s) = env::var_os("KVM_HV_RS_KERNEL_SRC") {
        return Some(s.into());
    }
    let cache = env::var_os("KVM_HV_RS_CACHE")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kvm_hv_rs")))?;
    Some(cache.join("linux-7.3"))
}

fn main() {
    println!("cargo:rustc-check-cfg=cfg(gsb_c)");
    println!("cargo:rerun-if-env-changed=KVM_HV_RS_KERNEL_SRC");
    println!("cargo:rerun-if-env-changed=KVM_HV_RS_CACHE");
    println!("cargo:rerun-if-changed=c");
    let Some(src) = kernel_src() else { return };
    let c_file = src.join("arch/powerpc/kvm/guest-state-buffer.c");
    if !c_file.exists() {
        return;
    }
    println!("cargo:rerun-if-changed={}", c_file.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("c");
    let mut objs = Vec::new();
    for (name, file) in [("gsb", c_file), ("gsb_glue", here.join("gsb_glue.c"))] {
        let obj = out.join(format!("{name}.o"));
        let st = Command::new(env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-c", "-O1", "-fPIC", "-Wall", "-Werror"])
            .arg("-I")
            .arg(here.join("shim"))
            .arg("-I")
            .arg(src.join("arch/powerpc/include"))
            .arg("-o")
            .arg(&obj)
            .arg(&file)
            .status()
            .expect("cc");
        assert!(st.success(), "cc {} failed", file.display());
        objs.push(obj);
    }
    let lib = out.join("libgsbc.a");
    let _ = std::fs::remove_file(&lib);
    let st = Command::new("ar")
        .arg("rcs")
        .arg(&lib)
        .args(&objs)
        .status()
        .expect("ar");
    assert!(st.success(), "ar failed");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=gsbc");
    println!("cargo:rustc-cfg=gsb_c");
}
