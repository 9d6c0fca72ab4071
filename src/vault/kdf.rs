//! Argon2id's cost parameters: a value type, as stored in the vault header, with the floor, the
//! defaults and the caps, and what this machine can run. (What builds or checks them with an
//! error to say is in `crypto.rs`; what derives a key with them too.)

use std::fmt;

/// Argon2id cost parameters, as stored in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes (computed on separate threads).
    pub parallelism: u32,
}

impl KdfParams {
    /// RFC 9106's second recommended option: no vault a user creates may be weaker.
    pub const FLOOR: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };
    /// Memory of a new vault; iterations are calibrated to about one second on top of it.
    pub const DEFAULT_MEMORY_KIB: u32 = 256 * 1024;
    pub const DEFAULT_PARALLELISM: u32 = 4;
    /// Stored parameters beyond these are refused before any memory is allocated, so a tampered
    /// header cannot make an unlock allocate 4 TiB or spin for a day.
    pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    pub const MAX_ITERATIONS: u32 = 1_000;
    pub const MAX_PARALLELISM: u32 = 64;

    /// Whether a new vault may not use these (below the floor; test builds, the `test-support`
    /// feature, also accept [`KdfParams::insecure_for_tests`]).
    pub fn below_floor(&self) -> bool {
        let floor = Self::FLOOR;
        let weak = self.memory_kib < floor.memory_kib
            || self.iterations < floor.iterations
            || self.parallelism < floor.parallelism;
        #[cfg(any(test, feature = "test-support"))]
        let weak = weak && *self != Self::insecure_for_tests();
        weak
    }

    /// Cheap parameters for tests only (the `test-support` feature, which a release build does not
    /// have): every vault a user creates goes through [`KdfParams::new`] and its floor.
    #[cfg(any(test, feature = "test-support"))]
    pub fn insecure_for_tests() -> Self {
        KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    /// Within the sanity caps checked on every unlock, before allocating anything.
    pub fn within_caps(&self) -> bool {
        (1..=Self::MAX_PARALLELISM).contains(&self.parallelism)
            && (1..=Self::MAX_ITERATIONS).contains(&self.iterations)
            && self.memory_kib <= Self::MAX_MEMORY_KIB
            && self.memory_kib >= 8 * self.parallelism
    }

    /// Whether these parameters are weaker than what a new vault would get by default.
    pub fn below_default(&self) -> bool {
        self.memory_kib < Self::DEFAULT_MEMORY_KIB || self.iterations < Self::FLOOR.iterations
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.memory_kib.is_multiple_of(1024) {
            write!(f, "Argon2id m={} MiB", self.memory_kib / 1024)?;
        } else {
            write!(f, "Argon2id m={} KiB", self.memory_kib)?;
        }
        write!(f, ", t={}, p={}", self.iterations, self.parallelism)
    }
}

/// The memory this process may use: the machine's, or its control group's limit if lower.
pub(crate) fn memory_available() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
        });
        let mut limits: Vec<u64> = total.into_iter().collect();
        if let Ok(groups) = std::fs::read_to_string("/proc/self/cgroup") {
            for line in groups.lines() {
                let mut parts = line.splitn(3, ':');
                let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                    continue;
                };
                let file = match controllers {
                    "" => format!("/sys/fs/cgroup{path}/memory.max"),
                    c if c.split(',').any(|c| c == "memory") => {
                        format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes")
                    }
                    _ => continue,
                };
                if let Some(limit) = std::fs::read_to_string(file).ok().and_then(|t| t.trim().parse::<u64>().ok()) {
                    limits.push(limit);
                }
            }
        }
        limits.into_iter().min()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_machine_reports_its_memory() {
        #[cfg(target_os = "linux")]
        assert!(super::memory_available().is_some_and(|m| m > 64 * 1024 * 1024));
    }
}
