//! `mooseng-bench`: runs the same workloads on two cluster configurations,
//! alternating them, and prints each figure side by side with the ratio;
//! writes the table as this pair's section of a Markdown page, and the
//! ratios as a PNG chart. Needs root (it runs clusters with
//! `mooseng-cluster`'s library).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use clap::Parser;
use mooseng_tools::bench::{self, chart, io, page, ClusterSpec, Workload};
use mooseng_tools::Subnet;

/// Benchmarks configuration B against configuration A.
#[derive(Debug, Parser)]
#[command(name = "mooseng-bench", version)]
struct Cli {
    /// Configuration A as MASTER/CS,CS,.../MOUNT, each mfs or ng.
    #[arg(long, default_value = "mfs/mfs,mfs,mfs/mfs")]
    a: ClusterSpec,
    /// Configuration B, same form.
    #[arg(long, default_value = "mfs/mfs,mfs,mfs/ng")]
    b: ClusterSpec,
    /// Runs of each configuration; the table shows their median, min, max.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Size of the sequential file in MiB (written at goal 2).
    #[arg(long, default_value_t = 2048)]
    seq_mib: u64,
    /// Span of the random 4 KiB I/O in MiB (within the sequential file).
    #[arg(long, default_value_t = 256)]
    rand_mib: u64,
    /// Seconds each random workload runs.
    #[arg(long, default_value_t = 20)]
    rand_seconds: u64,
    /// Files created, stat'ed, renamed and unlinked.
    #[arg(long, default_value_t = 10_000)]
    files: usize,
    /// Thread counts the file and directory workloads run with, comma
    /// separated (1: one operation at a time; more: that many at once).
    #[arg(long, value_delimiter = ',', default_value = "1",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    meta_threads: Vec<usize>,
    /// Directories made and removed.
    #[arg(long, default_value_t = 2_000)]
    dirs: usize,
    /// Entries of the listed directory, also the file count of the master's
    /// memory-per-file figure.
    #[arg(long, default_value_t = 100_000)]
    entries: usize,
    /// Free text for the page's machine notes (what else ran, say).
    #[arg(long, default_value = "")]
    note: String,
    /// The Markdown page whose section for this pair of configurations is
    /// written (other sections are kept).
    #[arg(long, default_value = "docs/benchmarks.md")]
    output: PathBuf,
    /// The PNG chart of B/A per figure, linked from the section.
    #[arg(long, default_value = "docs/benchmarks.png")]
    chart: PathBuf,
    #[arg(long, default_value = "/run/mooseng-bench")]
    state_dir: PathBuf,
    #[arg(long, default_value = "mfsbench")]
    prefix: String,
    #[arg(long, default_value = "10.233.140.0/24")]
    subnet: Subnet,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let work = Workload {
        seq_bytes: cli.seq_mib << 20,
        rand_bytes: cli.rand_mib << 20,
        rand_seconds: cli.rand_seconds,
        files: cli.files,
        dirs: cli.dirs,
        entries: cli.entries,
        meta_threads: cli.meta_threads.clone(),
        use_fio: io::have_fio(),
        state_dir: cli.state_dir.clone(),
        prefix: cli.prefix.clone(),
        subnet: cli.subnet,
    };
    let notes = machine_notes(&cli.note, work.use_fio);
    let (a, b) = bench::alternate(&cli.a, &cli.b, cli.runs, &work, |run, spec| {
        eprintln!("run {run}/{}: {spec}", cli.runs);
    })?;
    let (label_a, label_b) = (cli.a.to_string(), cli.b.to_string());
    let table = bench::table(&label_a, &a, &label_b, &b);
    print!("{table}");
    let title = format!("B/A per figure: A = {label_a}, B = {label_b}");
    chart::draw(&cli.chart, &title, &bench::report::ratios(&a, &b))?;
    eprintln!("wrote {}", cli.chart.display());
    let mut section = page::heading(&label_a, &label_b);
    section.push_str("\n\n");
    let _ = writeln!(
        section,
        "- Date: {}",
        shell("date -u '+%Y-%m-%d %H:%M UTC'")
    );
    let command: Vec<String> = std::env::args().map(|a| quoted(&a)).collect();
    let _ = writeln!(section, "- Command: `{}`", command.join(" "));
    let _ = writeln!(
        section,
        "- Configurations (MASTER/CHUNKSERVERS/MOUNT): A = `{label_a}`, B = `{label_b}`, alternated A B A B ..., {} runs each on a fresh cluster",
        cli.runs
    );
    section.push_str(&notes);
    section.push_str(
        "\nEach cell: median (min–max) over the runs; B/A is the ratio of the medians.\n\n",
    );
    let _ = writeln!(
        section,
        "![{title}]({})\n",
        link(&cli.output, &cli.chart).display()
    );
    section.push_str(&table);
    let old = match fs::read_to_string(&cli.output) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("read {}", cli.output.display())),
    };
    fs::write(&cli.output, page::update(&old, &section))
        .with_context(|| format!("write {}", cli.output.display()))?;
    eprintln!("wrote {}", cli.output.display());
    Ok(())
}

/// `arg` as a POSIX shell reads it back: as is when it holds only safe
/// characters, in single quotes otherwise, so the page's command can be
/// pasted.
fn quoted(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./,=:@%+".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// How the page at `page` refers to `target`: relative to the page's
/// directory when it lies below it, as given otherwise.
fn link<'a>(page: &Path, target: &'a Path) -> &'a Path {
    page.parent()
        .and_then(|dir| target.strip_prefix(dir).ok())
        .unwrap_or(target)
}

/// What the numbers depend on besides the code: CPU, memory, kernel, load.
fn machine_notes(note: &str, use_fio: bool) -> String {
    let cpu = shell("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let mut out = format!(
        "- Machine: {} CPUs ({}), {}, kernel {}, load average at start {}\n",
        shell("nproc"),
        cpu.trim(),
        shell("grep MemTotal /proc/meminfo | tr -s ' '"),
        shell("uname -r"),
        shell("cut -d' ' -f1-3 /proc/loadavg"),
    );
    let tool = if use_fio {
        shell("fio --version")
    } else {
        "dd (no fio: no random I/O figures)".to_owned()
    };
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let _ = writeln!(
        out,
        "- I/O tool: {tool}; MooseNG programs from the same {build} build as this tool"
    );
    if !note.is_empty() {
        let _ = writeln!(out, "- Note: {note}");
    }
    out
}

/// The trimmed output of a shell command, empty if it fails.
fn shell(command: &str) -> String {
    Command::new("sh")
        .args(["-c", command])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_the_shell_would_split_or_expand() {
        assert_eq!(quoted("--seq-mib"), "--seq-mib");
        assert_eq!(quoted("mfs/mfs,mfs/ng"), "mfs/mfs,mfs/ng");
        assert_eq!(quoted("two words"), "'two words'");
        assert_eq!(quoted("helpers' builds"), r"'helpers'\'' builds'");
        assert_eq!(quoted(""), "''");
    }

    #[test]
    fn links_relative_to_the_page() {
        let page = Path::new("docs/benchmarks.md");
        assert_eq!(link(page, Path::new("docs/b.png")), Path::new("b.png"));
        assert_eq!(link(page, Path::new("/tmp/b.png")), Path::new("/tmp/b.png"));
    }
}
