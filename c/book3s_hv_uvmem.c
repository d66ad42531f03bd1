// SPDX-License-Identifier: GPL-2.0
/* kvm-hv's book3s_hv_uvmem.c, compiled into kvm_hv_rs.ko (see c/book3s_hv.c). */
#include <book3s_hv_uvmem.c>
