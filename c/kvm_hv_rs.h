/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Rust side of kvm_hv_rs calls in the C compiled into the module
 * (the files of c/). Declared again in Rust, in c.rs; these are module-local and
 * not exported.
 */
#ifndef KVM_HV_RS_H
#define KVM_HV_RS_H

#include <linux/kvm_host.h>

int kvmhv_rs_setup(void);
void kvmhv_rs_teardown(void);
struct kvmppc_ops *kvmhv_rs_c_ops(void);
int kvmhv_rs_arch_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg);

/* An HPTE for kvmhv_rs_enter_hptes(): its index in the HPT and its words. */
struct kvmhv_hpte {
	unsigned long index;
	unsigned long v;
	unsigned long r;
};

long kvmhv_rs_enter_hptes(struct kvm *kvm, const struct kvmhv_hpte *hptes,
		       unsigned long n, unsigned long *failed);

u64 kvmhv_rs_vcpu_get_msr(struct kvm_vcpu *vcpu);
u64 kvmhv_rs_vcpu_get_hfscr(struct kvm_vcpu *vcpu);
void kvmhv_rs_vcpu_set_msr(struct kvm_vcpu *vcpu, u64 msr);
unsigned long kvmhv_rs_vcpu_get_pc(struct kvm_vcpu *vcpu);
void kvmhv_rs_vcpu_set_pc(struct kvm_vcpu *vcpu, unsigned long pc);
void kvmhv_rs_vcpu_set_srr0(struct kvm_vcpu *vcpu, u64 srr0);
void kvmhv_rs_vcpu_set_srr1(struct kvm_vcpu *vcpu, u64 srr1);
void kvmhv_rs_update_vpas(struct kvm_vcpu *vcpu);
int kvmhv_rs_p9_disable_preemption_and_irqs(struct kvm_vcpu *vcpu,
					 unsigned long *flags);
void kvmhv_rs_p9_claim_cpu(struct kvm_vcpu *vcpu, int pcpu);
void kvmhv_rs_p9_update_vpa_dispatch(struct kvm_vcpu *vcpu, u64 tb);
int kvmhv_rs_p9_guest_state_enter(struct kvm_vcpu *vcpu);
void kvmhv_rs_p9_leave_guest(struct kvm_vcpu *vcpu, int srcu_idx, int trap,
			  unsigned long flags);
struct p9_host_os_sprs;
struct hv_guest_state;
/*
 * The host SPRs the nested v1 entry saves, in storage Rust owns without
 * knowing the layout (book3s_hv.h is kvm-hv's private header): this many
 * doublewords, checked at build time in c/book3s_hv.c.
 */
#define KVMHV_RS_HOST_SPRS_WORDS 16
bool kvmhv_rs_nestedv1_prepare(struct kvm_vcpu *vcpu,
			       struct p9_host_os_sprs *host,
			       unsigned long *host_psscr);
long kvmhv_rs_nestedv1_run(struct kvm_vcpu *vcpu, struct hv_guest_state *hr,
			   struct p9_host_os_sprs *host, u64 tb);
void kvmhv_rs_nestedv1_finish(struct kvm_vcpu *vcpu,
			      struct p9_host_os_sprs *host,
			      unsigned long host_psscr, unsigned long lpcr,
			      u64 *tb);
long kvmhv_rs_nestedv1_check_image(struct kvm_vcpu *vcpu,
				   const struct hv_guest_state *hr);
long kvmhv_rs_nestedv1_check_return(struct kvm_vcpu *vcpu,
				    const struct hv_guest_state *hr,
				    u8 doorbell);
bool kvmhv_rs_nestedv2_hard_disable(struct kvm_vcpu *vcpu);
long kvmhv_rs_nestedv2_run(struct kvm_vcpu *vcpu, int *trap,
			   unsigned long *elem);
long kvmhv_rs_nestedv2_check_fill(struct kvm_vcpu *vcpu, bool wide,
				  u64 time_limit, unsigned long lpcr,
				  const u8 *buf, size_t len);
long kvmhv_rs_nestedv2_check_output(struct kvm_vcpu *vcpu);
int kvmhv_rs_nested_check_init(void);
void kvmhv_rs_nested_check_exit(void);
u32 kvmhv_rs_nestedv2_default_compat(void);
void kvmhv_rs_nestedv2_after_exit(struct kvm_vcpu *vcpu, u64 tb);
int kvmhv_rs_p9_vcpu_entry(struct kvm_vcpu *vcpu, u64 time_limit,
			unsigned long lpcr, u64 *tb);
void kvmhv_rs_cede(struct kvm_vcpu *vcpu);
int kvmhv_rs_p9_handle_exit(struct kvm_vcpu *vcpu);
bool kvmhv_rs_vcpu_check_block(struct kvm_vcpu *vcpu);

u64 kvmhv_rs_p8_vcore_stolen_time(struct kvmppc_vcore *vc);
void kvmhv_rs_p8_remove_runnable(struct kvmppc_vcore *vc, struct kvm_vcpu *vcpu);
void kvmhv_rs_p8_vcore_preempt(struct kvmppc_vcore *vc);
void kvmhv_rs_p8_vcore_end_preempt(struct kvmppc_vcore *vc);
bool kvmhv_rs_p8_vcpu_woken(struct kvm_vcpu *vcpu);
bool kvmhv_rs_p8_on_primary_thread(void);
bool kvmhv_rs_p8_disable_irqs(void);
void kvmhv_rs_p8_prepare_core(struct kvmppc_vcore *vc, int n);
void kvmhv_rs_p8_start_thread(struct kvm_vcpu *vcpu, struct kvmppc_vcore *vc);
void kvmhv_rs_p8_update_vpa_dispatch(struct kvm_vcpu *vcpu,
				  struct kvmppc_vcore *vc);
int kvmhv_rs_p8_vcore_entry(struct kvmppc_vcore *vc);
void kvmhv_rs_p8_exit_core(int n_threads);
void kvmhv_rs_p8_core_end(struct kvmppc_vcore *vc);
int kvmhv_rs_p8_handle_exit(struct kvm_vcpu *vcpu);

#endif /* KVM_HV_RS_H */
