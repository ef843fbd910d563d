//! The server's resident memory, read from /proc (Linux): the server runs as a process of its
//! own, so this is its memory alone, not the load generator's or the stand-in's.

/// Bytes of resident memory: at the peak of the process's life (`VmHWM`) and now (`VmRSS`).
pub struct Resident {
    pub peak: u64,
    pub now: u64,
}

/// The resident memory of process `pid`; `None` when /proc does not say.
pub fn of_process(pid: u32) -> Option<Resident> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let bytes = |field: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib * 1024)
    };
    Some(Resident {
        peak: bytes("VmHWM:")?,
        now: bytes("VmRSS:")?,
    })
}
