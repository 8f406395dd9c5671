//! Debian's command-line tools run against a test cluster: `mfscli`
//! displays and `mfsfileinfo` copies, failing the test when they fail.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How long a new file may take to have its goal's copies. mfsmaster
/// creates a chunk on fewer servers than the goal asks when one has only
/// just registered; its chunk loop adds the missing copy within one pass
/// (`CHUNKS_LOOP_MIN_TIME` 60 s under `Replication::Quick`), so the wait
/// is one pass and a margin.
pub const PLACEMENT_WAIT: Duration = Duration::from_secs(90);

/// Runs `program` and returns what it printed; a failure ends the test.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{program} printed {e}"))
}

/// One `mfscli` display (`-SIN`, `-SCS`, `-SMO -m 1`, ...) in plain
/// text; a Python traceback (an answer mfscli could not read) fails the
/// test.
pub fn mfscli(master: Ipv4Addr, set: &str) -> String {
    let master = master.to_string();
    let mut args = vec!["-H", &master, "-p"];
    args.extend(set.split_whitespace());
    let text = run("mfscli", &args);
    assert!(!text.contains("Traceback"), "mfscli {set} crashed: {text}");
    text
}

/// The addresses `mfsfileinfo` lists VALID copies on.
pub fn valid_copies(file: &Path) -> Vec<String> {
    let path = file
        .to_str()
        .unwrap_or_else(|| panic!("{file:?} is not UTF-8"));
    run("mfsfileinfo", &[path])
        .lines()
        .filter(|l| l.contains("(status:VALID)"))
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter_map(|a| a.split(':').next())
        .map(str::to_owned)
        .collect()
}
