// SPDX-License-Identifier: GPL-2.0

//! The order of a guest entry's steps is the compiler's to check: each
//! step takes the token of the one before, and only the pure file of the
//! entry can make one: the POWER9 entry's `IrqsOff`, `Claimed`, `InGuest`
//! (`vcpu/single.rs`), the POWER8 vcore run's `Locked`, `IrqsOff`,
//! `CoreReady` (`vcpu/vcore.rs`). These tests
//! compile small functions against the module's own `vcpu/` files with the
//! host's `rustc` and expect the ones that skip or repeat a step to be
//! refused, with the error that says why. The first compiles the right
//! order, so that a refusal is known to come from the order and not from
//! the harness.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Compiles `body` as the body of `fn f<V: P9Vcpu>(v: &mut V, t: &mut u64)`
/// in a crate made of `vcpu/interrupt.rs`, `vcpu/run.rs`, `vcpu/single.rs`
/// and `vcpu/vcore.rs`, with single.rs's names in scope. Returns rustc's
/// diagnostics when it refuses.
fn compile(body: &str) -> Result<(), String> {
    compile_fn("single", "fn f<V: P9Vcpu>(v: &mut V, t: &mut u64)", body)
}

/// The same for `fn f<V: Vcore>(v: &mut V)`, with vcore.rs's names in
/// scope.
fn compile_p8(body: &str) -> Result<(), String> {
    compile_fn("vcore", "fn f<V: Vcore>(v: &mut V)", body)
}

fn compile_fn(module: &str, signature: &str, body: &str) -> Result<(), String> {
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
         #[path = \"{d}/vcore.rs\"] mod vcore;\n\
         use {module}::*;\n\
         pub {signature} {{\n{body}\n}}\n",
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
    check_refused(compile(body), body, error);
}

fn refused_p8(body: &str, error: &str) {
    check_refused(compile_p8(body), body, error);
}

fn check_refused(r: Result<(), String>, body: &str, error: &str) {
    match r {
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

/// The POWER8 vcore run in its order: the lock, interrupts off, the core
/// prepared, the lock dropped for the entry and taken again, interrupts
/// back on at the exit, the lock and the core given back together.
const P8_RUN: &str = "let held = lock(v);
     let (irqs, _pending) = disable_irqs(v);
     let core = prepare_core(v, &held, &irqs, 1);
     v.unlock(held);
     let _trap = v.enter(&irqs, &core);
     let held = lock(v);
     v.exit_core(irqs, 1);
     v.core_end(core, held);";

#[test]
fn the_p8_order_compiles() {
    compile_p8(P8_RUN).unwrap();
    compile_p8("let held = lock(v); v.wait_for_exec(&held, true); v.unlock(held);").unwrap();
    compile_p8("let (irqs, _) = disable_irqs(v); v.enable_irqs(irqs);").unwrap();
}

#[test]
fn no_vcore_unlock_without_the_lock() {
    // The lock held, by fiat: the token's field is private to vcore.rs.
    refused_p8("v.unlock(Locked(()));", "E0423");
    // Unlocked without a token.
    refused_p8("v.unlock();", "E0061");
    // Unlocked twice.
    refused_p8(
        "let held = lock(v); v.unlock(held); v.unlock(held);",
        "E0382",
    );
    // Waited for (which drops and retakes the lock) after unlocking.
    refused_p8(
        "let held = lock(v); v.unlock(held); v.wait_for_exec(&held, true);",
        "E0382",
    );
}

#[test]
fn no_p8_entry_out_of_order() {
    // The core prepared with interrupts on.
    refused_p8(
        "let held = lock(v); let core = prepare_core(v, &held, 1);",
        "E0061",
    );
    // The guest entered without the core prepared.
    refused_p8(
        "let held = lock(v);
         let (irqs, _) = disable_irqs(v);
         v.unlock(held);
         v.enter(&irqs);",
        "E0061",
    );
    // The guest entered after interrupts were enabled again.
    refused_p8(
        "let held = lock(v);
         let (irqs, _) = disable_irqs(v);
         let core = prepare_core(v, &held, &irqs, 1);
         v.enable_irqs(irqs);
         v.unlock(held);
         v.enter(&irqs, &core);",
        "E0382",
    );
    // The run ended (lock and preemption given back) without the lock.
    refused_p8(
        "let held = lock(v);
         let (irqs, _) = disable_irqs(v);
         let core = prepare_core(v, &held, &irqs, 1);
         v.unlock(held);
         v.exit_core(irqs, 1);
         v.core_end(core, held);",
        "E0382",
    );
}
