//! One real run of `mooseng-conformance matrix` in quick mode, restricted
//! to the reference cell (Debian's mfsmount, mfsmaster and chunkservers)
//! and the cell with MooseNG chunkservers under Debian's master and mount.
//! Both must pass every step, and the page keeps the pjdfstest section it
//! had. Needs root, network namespaces, FUSE and the MooseFS packages
//! (scripts/setup.sh).

use std::process::Command;

/// Builds `mooseng-chunkserver` into the target directory of this test's
/// binary, where the matrix looks for MooseNG programs.
fn build_chunkserver() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "mooseng-chunkserver",
            "--bin",
            "mooseng-chunkserver",
        ])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building mooseng-chunkserver failed");
}

#[test]
fn reference_and_ng_chunkserver_cells_pass() {
    build_chunkserver();
    let dir = tempfile::tempdir().expect("temporary directory");
    let page = dir.path().join("conformance.md");
    // The section `mooseng-conformance pjdfstest` wrote: the matrix keeps it.
    let pjdfstest = "## POSIX suite (pjdfstest)\n\nthe suite's results\n";
    std::fs::write(&page, format!("# Old page\n\n{pjdfstest}")).expect("seed the page");
    let out = Command::new(env!("CARGO_BIN_EXE_mooseng-conformance"))
        .arg("matrix")
        .arg("--quick")
        .args(["--cell", "mfs-mfs-mfs", "--cell", "mfs-mfs-ng"])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--output")
        .arg(&page)
        .output()
        .expect("mooseng-conformance runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| mfsmount |"))
        .collect();
    assert_eq!(rows.len(), 2, "{report}");
    for row in rows {
        assert!(row.contains("| pass |"), "{row}");
    }
    let text = std::fs::read_to_string(&page).expect("the page is written");
    assert!(text.contains("- Large file: 128 MiB, goal 2"), "{text}");
    assert!(text.starts_with("# Conformance matrix\n"), "{text}");
    assert!(text.ends_with(&format!("\n\n{pjdfstest}")), "{text}");
    assert!(
        !dir.path().join("state/mfs-mfs-mfs/state.json").exists(),
        "the cell was left up"
    );
}
