//! `FargateSize`: the task-level cpu/memory pair, one of the combinations Fargate runs.

use crate::problem::Checker;

/// The cpu units (1024 = one vCPU) and memory of a Fargate task, as one value.
///
/// Fargate accepts only certain pairs, so the two numbers travel together: use a
/// named size (`FargateSize::CPU_256_MEM_512`) or [`FargateSize::new`]. A pair
/// Fargate does not accept is reported when the app is validated (rule
/// `fargate-cpu-memory`), listing the memory sizes valid for that cpu; the
/// constructor itself never fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FargateSize {
    cpu_units: u32,
    memory_mib: u32,
}

/// Cpu units Fargate offers: 0.25, 0.5, 1, 2, 4, 8 and 16 vCPU.
pub const FARGATE_CPU_UNITS: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

macro_rules! sizes {
    ($($name:ident = $cpu:literal, $mem:literal;)*) => {$(
        #[doc = concat!($cpu, " cpu units with ", $mem, " MiB of memory.")]
        pub const $name: FargateSize = FargateSize { cpu_units: $cpu, memory_mib: $mem };
    )*};
}

impl FargateSize {
    sizes! {
        CPU_256_MEM_512 = 256, 512;
        CPU_256_MEM_1024 = 256, 1024;
        CPU_256_MEM_2048 = 256, 2048;
        CPU_512_MEM_1024 = 512, 1024;
        CPU_512_MEM_2048 = 512, 2048;
        CPU_512_MEM_3072 = 512, 3072;
        CPU_512_MEM_4096 = 512, 4096;
        CPU_1024_MEM_2048 = 1024, 2048;
        CPU_1024_MEM_3072 = 1024, 3072;
        CPU_1024_MEM_4096 = 1024, 4096;
        CPU_1024_MEM_8192 = 1024, 8192;
        CPU_2048_MEM_4096 = 2048, 4096;
        CPU_2048_MEM_8192 = 2048, 8192;
        CPU_2048_MEM_16384 = 2048, 16384;
        CPU_4096_MEM_8192 = 4096, 8192;
        CPU_4096_MEM_16384 = 4096, 16384;
        CPU_4096_MEM_30720 = 4096, 30720;
        CPU_8192_MEM_16384 = 8192, 16384;
        CPU_8192_MEM_32768 = 8192, 32768;
        CPU_8192_MEM_61440 = 8192, 61440;
        CPU_16384_MEM_32768 = 16384, 32768;
        CPU_16384_MEM_65536 = 16384, 65536;
        CPU_16384_MEM_122880 = 16384, 122880;
    }

    /// Any pair; checked when the app is validated (rule `fargate-cpu-memory`).
    pub const fn new(cpu_units: u32, memory_mib: u32) -> Self {
        FargateSize { cpu_units, memory_mib }
    }

    pub const fn cpu_units(self) -> u32 {
        self.cpu_units
    }

    pub const fn memory_mib(self) -> u32 {
        self.memory_mib
    }

    /// The memory sizes (MiB) Fargate accepts with `cpu_units`; empty when the
    /// cpu value itself is not one Fargate offers.
    pub fn valid_memory_mib(cpu_units: u32) -> Vec<u32> {
        let (min, max, step) = match cpu_units {
            256 => return vec![512, 1024, 2048],
            512 => (1024, 4096, 1024),
            1024 => (2048, 8192, 1024),
            2048 => (4096, 16384, 1024),
            4096 => (8192, 30720, 1024),
            8192 => (16384, 61440, 4096),
            16384 => (32768, 122880, 8192),
            _ => return Vec::new(),
        };
        (min..=max).step_by(step).collect()
    }

    /// Whether Fargate runs a task of this size.
    pub fn is_valid(self) -> bool {
        Self::valid_memory_mib(self.cpu_units).contains(&self.memory_mib)
    }

    pub(crate) fn check(self, c: &mut Checker<'_>) {
        if self.is_valid() {
            return;
        }
        let (cpu, mem) = (self.cpu_units, self.memory_mib);
        let valid = Self::valid_memory_mib(cpu);
        if valid.is_empty() {
            c.error(
                "fargate-cpu-memory",
                format!("Fargate has no size with {cpu} cpu units; use one of {FARGATE_CPU_UNITS:?}"),
            );
        } else {
            let list: Vec<String> = valid.iter().map(u32::to_string).collect();
            c.error(
                "fargate-cpu-memory",
                format!(
                    "Fargate does not run {cpu} cpu units with {mem} MiB of memory; with {cpu} cpu units the memory must be one of {} MiB",
                    list.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_size_is_one_fargate_accepts() {
        let named = [
            FargateSize::CPU_256_MEM_512,
            FargateSize::CPU_256_MEM_2048,
            FargateSize::CPU_512_MEM_3072,
            FargateSize::CPU_1024_MEM_8192,
            FargateSize::CPU_2048_MEM_16384,
            FargateSize::CPU_4096_MEM_30720,
            FargateSize::CPU_8192_MEM_61440,
            FargateSize::CPU_16384_MEM_122880,
        ];
        assert!(named.iter().all(|s| s.is_valid()));
    }

    #[test]
    fn the_size_table_follows_fargate_steps() {
        assert_eq!(FargateSize::valid_memory_mib(256), [512, 1024, 2048]);
        assert_eq!(FargateSize::valid_memory_mib(512), [1024, 2048, 3072, 4096]);
        assert_eq!(FargateSize::valid_memory_mib(4096).len(), 23);
        assert_eq!(FargateSize::valid_memory_mib(8192)[..3], [16384, 20480, 24576]);
        assert_eq!(FargateSize::valid_memory_mib(16384).last(), Some(&122880));
        assert!(FargateSize::valid_memory_mib(300).is_empty());
        assert!(!FargateSize::new(256, 4096).is_valid());
        assert!(!FargateSize::new(8192, 18432).is_valid());
    }
}
