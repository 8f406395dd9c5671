//! Extended attributes and POSIX ACLs, set through mount 1 and read
//! through mount 2 with the standard tools (`setfattr`, `setfacl`, ...).

use std::fs::{self, File};

use anyhow::{ensure, Result};

use crate::matrix::env::{run, Env};

/// A user xattr is set, listed, read and removed.
pub fn xattrs(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("xattr")?;
    File::create(dir.join("f"))?;
    let (here, there) = (dir.join("f"), other.join("f"));
    run(
        "setfattr",
        &[
            "-n".as_ref(),
            "user.mooseng".as_ref(),
            "-v".as_ref(),
            "matrix".as_ref(),
            here.as_os_str(),
        ],
    )?;
    let value = run(
        "getfattr",
        &[
            "--only-values".as_ref(),
            "-n".as_ref(),
            "user.mooseng".as_ref(),
            there.as_os_str(),
        ],
    )?;
    ensure!(value == "matrix", "user.mooseng reads {value:?}");
    let listed = run("getfattr", &["-d".as_ref(), there.as_os_str()])?;
    ensure!(
        listed.contains("user.mooseng=\"matrix\""),
        "listing lacks user.mooseng: {listed}"
    );
    run(
        "setfattr",
        &["-x".as_ref(), "user.mooseng".as_ref(), here.as_os_str()],
    )?;
    let listed = run("getfattr", &["-d".as_ref(), there.as_os_str()])?;
    ensure!(
        !listed.contains("user.mooseng"),
        "user.mooseng survived removal: {listed}"
    );
    Ok(())
}

/// An access ACL on a file, and a default ACL that a new file inherits.
pub fn acls(env: &mut Env) -> Result<()> {
    let (dir, other) = env.dir("acl")?;
    File::create(dir.join("f"))?;
    run(
        "setfacl",
        &[
            "-m".as_ref(),
            "u:1234:rw,g:5678:r".as_ref(),
            dir.join("f").as_os_str(),
        ],
    )?;
    let acl = run("getfacl", &["-n".as_ref(), other.join("f").as_os_str()])?;
    for entry in ["user:1234:rw-", "group:5678:r--", "mask::rw-"] {
        ensure!(
            acl.lines().any(|l| l.starts_with(entry)),
            "ACL lacks {entry}: {acl}"
        );
    }
    fs::create_dir(dir.join("d"))?;
    run(
        "setfacl",
        &[
            "-d".as_ref(),
            "-m".as_ref(),
            "u:1234:rwx".as_ref(),
            dir.join("d").as_os_str(),
        ],
    )?;
    File::create(dir.join("d/inherits"))?;
    let acl = run(
        "getfacl",
        &["-n".as_ref(), other.join("d/inherits").as_os_str()],
    )?;
    ensure!(
        acl.lines().any(|l| l.starts_with("user:1234:rwx")),
        "new file did not inherit the default ACL: {acl}"
    );
    Ok(())
}
