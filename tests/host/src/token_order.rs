// SPDX-License-Identifier: GPL-2.0

//! The order of a POWER9 entry's steps is the compiler's to check: each
//! step takes the token of the one before (`vcpu/single.rs`: `IrqsOff`,
//! `Claimed`, `InGuest`), and only that file can make one. These tests
//! compile small functions against the module's own `vcpu/` files with the
//! host's `rustc` and expect the ones that skip or repeat a step to be
//! refused, with the error that says why. The first compiles the right
//! order, so that a refusal is known to come from the order and not from
//! the harness.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Compiles `body` as the body of `fn f<V: P9Vcpu>(v: &mut V, t: &mut u64)`
/// in a crate made of `vcpu/interrupt.rs`, `vcpu/run.rs` and
/// `vcpu/single.rs`. Returns rustc's diagnostics when it refuses.
fn compile(body: &str) -> Result<(), String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let vcpu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vcpu");
    let vcpu = vcpu.canonicalize().expect("vcpu/");
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "kvm_hv_rs_token_order_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let src = format!(
        "#![allow(dead_code, unused)]\n\
         #[path = \"{d}/../errno.rs\"] mod errno;\n\
         #[path = \"{d}/interrupt.rs\"] mod interrupt;\n\
         #[path = \"{d}/run.rs\"] mod run;\n\
         #[path = \"{d}/single.rs\"] mod single;\n\
         use single::*;\n\
         pub fn f<V: P9Vcpu>(v: &mut V, t: &mut u64) {{\n{body}\n}}\n",
        d = vcpu.display()
    );
    let file = dir.join("order.rs");
    std::fs::write(&file, src).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit=metadata",
        ])
        .arg("--out-dir")
        .arg(&dir)
        .arg(&file)
        .output()
        .expect("rustc");
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn refused(body: &str, error: &str) {
    match compile(body) {
        Ok(()) => panic!("compiled, but skips or repeats a step:\n{body}"),
        Err(e) => assert!(e.contains(error), "refused, but not with {error}:\n{e}"),
    }
}

#[test]
fn the_order_compiles() {
    compile(
        "let irqs = irqs_off(v);
         let claimed = claim(v, irqs);
         let g = enter_guest_state(v, claimed);
         let trap = v.enter_p9(&g, 0, 0, t);
         v.leave_guest(g, trap);",
    )
    .unwrap();
    compile("let irqs = irqs_off(v); v.release_cpu(irqs);").unwrap();
}

#[test]
fn no_token_without_its_step() {
    // Interrupts off, by fiat: the token's field is private to single.rs.
    refused("let claimed = claim(v, IrqsOff(()));", "E0423");
    // The CPU claimed without interrupts off.
    refused("v.claim_cpu();", "E0061");
}

#[test]
fn no_guest_entry_outside_guest_state() {
    // The entry straight after claiming the CPU, guest state skipped.
    refused(
        "let claimed = claim(v, irqs_off(v));
         let trap = v.enter_p9(&claimed, 0, 0, t);",
        "E0308",
    );
}

#[test]
fn no_step_after_leaving() {
    // The guest entered again after leave_guest consumed guest state.
    refused(
        "let g = enter_guest_state(v, claim(v, irqs_off(v)));
         v.leave_guest(g, 0);
         v.enter_p9(&g, 0, 0, t);",
        "E0382",
    );
    // The CPU released twice.
    refused(
        "let irqs = irqs_off(v);
         v.release_cpu(irqs);
         v.release_cpu(irqs);",
        "E0382",
    );
}
