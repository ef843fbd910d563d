//! The machine the figures come from, and the open-file limit the connections need.

/// Cores, processor model, memory and kernel, in one line.
pub fn describe() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = read("/proc/cpuinfo");
    let model = field(&cpuinfo, "model name").unwrap_or("unknown processor");
    let meminfo = read("/proc/meminfo");
    let memory_gb = field(&meminfo, "MemTotal")
        .and_then(|kib| kib.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib * 1024.0 / 1e9);
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "{cores} cores ({model}), {memory_gb:.1} GB memory, Linux {}",
        kernel.trim()
    )
}

/// The value of the first `name: value` line of a /proc file.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// Stops the run at once when this process may not open `needed` files: every connection is
/// one on each side, and the stand-in runs in this process too.
pub fn require_open_files(needed: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<u64>().ok());
    if let Some(soft) = soft {
        assert!(
            soft >= needed,
            "the open-file limit is {soft}, the connections need about {needed}: raise it \
             (`ulimit -n 65536`, as `make bench` does) or lower BENCH_CONNECTIONS"
        );
    }
}
