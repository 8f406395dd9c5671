//! The command line, as close to mfsmount's as the meanings allow:
//! `mooseng-mount MOUNTPOINT [-H HOST[:PORT]]... [-P PORT] [-S PATH] [-o OPT[,OPT]...] [-f]`.

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};

/// The master port mfsmount uses unless told otherwise.
pub const DEFAULT_PORT: u16 = 9421;

/// Whether the kernel keeps a file's pages from one open to the next
/// (`mfscachemode`), as in mfsmount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// As the master says: kept while no other mount changed the file.
    #[default]
    Auto,
    /// Always kept (`YES`, `ALWAYS`, or `mfscachefiles`).
    Always,
    /// Dropped at every open (`NO`, `NONE`, `NEVER`).
    Never,
    /// Not cached at all: every read and write reaches the mount.
    Direct,
}

impl CacheMode {
    fn parse(text: &str) -> anyhow::Result<CacheMode> {
        match text.to_ascii_uppercase().as_str() {
            "AUTO" => Ok(CacheMode::Auto),
            "YES" | "ALWAYS" => Ok(CacheMode::Always),
            "NO" | "NONE" | "NEVER" => Ok(CacheMode::Never),
            "DIRECT" => Ok(CacheMode::Direct),
            _ => bail!("unrecognized cachemode option: {text}"),
        }
    }
}

/// Everything the command line decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub mountpoint: PathBuf,
    /// `HOST` or `HOST:PORT` as given; `mfsmaster` if none.
    pub masters: Vec<String>,
    pub port: u16,
    pub subfolder: String,
    pub password: Option<String>,
    /// The password's MD5 as given (`mfsmd5pass`), used when no password
    /// is.
    pub password_md5: Option<[u8; 16]>,
    pub attr_timeout: Duration,
    pub entry_timeout: Duration,
    pub direntry_timeout: Duration,
    /// How long an extended attribute's value is kept (`mfsxattrcacheto`).
    pub xattr_timeout: Duration,
    pub io_retries: u32,
    pub cache_mode: CacheMode,
    /// Scheduling priority set at start (`mfsnice`, -19 by default as in
    /// mfsmount): every process reading or writing the mount waits on it.
    pub nice: i32,
    pub read_only: bool,
    pub allow_other: bool,
    pub foreground: bool,
    /// Where the proxy for MooseFS's tools listens (`.masterinfo` names it).
    pub proxy_ip: Ipv4Addr,
    /// Mount the meta file system (trash, sustained) instead of the tree.
    pub meta: bool,
    /// In the meta file system, list the whole trash in `trash/` instead
    /// of in its 4096 buckets.
    pub flat_trash: bool,
    /// Where to serve `/health` and `/metrics`, if anywhere.
    pub metrics: Option<SocketAddr>,
    /// Options we accept but do not act on, for a warning.
    pub ignored: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mountpoint: PathBuf::new(),
            masters: Vec::new(),
            port: DEFAULT_PORT,
            subfolder: "/".into(),
            password: None,
            password_md5: None,
            attr_timeout: Duration::from_secs(1),
            entry_timeout: Duration::ZERO,
            direntry_timeout: Duration::from_secs(1),
            xattr_timeout: Duration::from_secs(30),
            io_retries: 30,
            cache_mode: CacheMode::Auto,
            nice: -19,
            read_only: false,
            // mfsmount mounts with allow_other by default.
            allow_other: true,
            foreground: false,
            proxy_ip: Ipv4Addr::LOCALHOST,
            meta: false,
            flat_trash: false,
            metrics: None,
            ignored: Vec::new(),
        }
    }
}

pub const USAGE: &str = "usage: mooseng-mount MOUNTPOINT [-H HOST[:PORT]]... [-P PORT] [-S SUBFOLDER] [-o OPT[,OPT...]] [-m] [-f] [--metrics ADDR:PORT]";

fn metrics_address(value: &str) -> anyhow::Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("metrics: not an address and port: {value}"))
}

/// A password's MD5 written as 32 hex digits, as mfsmount takes it.
fn md5_hex(text: &str) -> anyhow::Result<[u8; 16]> {
    let bad = || anyhow!("bad md5 definition (md5 should be given as 32 hex digits)");
    if text.len() != 32 || !text.is_ascii() {
        return Err(bad());
    }
    let mut md5 = [0u8; 16];
    for (byte, pair) in md5.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(md5)
}

fn seconds(key: &str, value: &str) -> anyhow::Result<Duration> {
    let secs: f64 = value
        .parse()
        .with_context(|| format!("{key}: not a number of seconds: {value}"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| anyhow!("{key}: not a timeout: {value}"))
}

impl Options {
    /// Parses the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> anyhow::Result<Options> {
        let mut options = Options::default();
        let mut mountpoint = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |flag: &str| args.next().ok_or_else(|| anyhow!("{flag} needs a value"));
            match arg.as_str() {
                "-f" => options.foreground = true,
                "-m" | "--meta" => options.meta = true,
                "-H" => options.masters.push(value("-H")?),
                "-P" => options.port = value("-P")?.parse().context("-P: not a port")?,
                "-S" => options.subfolder = value("-S")?,
                "--metrics" => options.metrics = Some(metrics_address(&value("--metrics")?)?),
                "-o" => {
                    let list = value("-o")?;
                    for item in list.split(',').filter(|s| !s.is_empty()) {
                        options.apply(item)?;
                    }
                }
                s if s.starts_with("-o") => {
                    for item in s[2..].split(',').filter(|s| !s.is_empty()) {
                        options.apply(item)?;
                    }
                }
                s if s.starts_with('-') => bail!("unknown flag {s}\n{USAGE}"),
                _ if mountpoint.is_none() => mountpoint = Some(PathBuf::from(arg)),
                _ => bail!("more than one mount point\n{USAGE}"),
            }
        }
        options.mountpoint = mountpoint.ok_or_else(|| anyhow!("no mount point\n{USAGE}"))?;
        if options.masters.is_empty() {
            options.masters.push("mfsmaster".into());
        }
        if !options.subfolder.starts_with('/') {
            options.subfolder.insert(0, '/');
        }
        Ok(options)
    }

    /// Applies one `-o` item.
    fn apply(&mut self, item: &str) -> anyhow::Result<()> {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        let need = || value.ok_or_else(|| anyhow!("-o {key} needs a value"));
        match key {
            "mfsmaster" => self.masters = vec![need()?.to_string()],
            "mfsport" => self.port = need()?.parse().context("mfsport: not a port")?,
            "mfssubfolder" => self.subfolder = need()?.to_string(),
            "mfspassword" => self.password = Some(need()?.to_string()),
            "mfsmd5pass" => self.password_md5 = Some(md5_hex(need()?)?),
            "mfsproxy" => {
                self.proxy_ip = need()?.parse().context("mfsproxy: not an IPv4 address")?
            }
            "mfsattrcacheto" => self.attr_timeout = seconds(key, need()?)?,
            "mfsentrycacheto" => self.entry_timeout = seconds(key, need()?)?,
            "mfsdirentrycacheto" => self.direntry_timeout = seconds(key, need()?)?,
            "mfsxattrcacheto" => self.xattr_timeout = seconds(key, need()?)?,
            "mfsioretries" => {
                self.io_retries = need()?.parse().context("mfsioretries: not a number")?
            }
            "mfscachemode" => self.cache_mode = CacheMode::parse(need()?)?,
            "mfscachefiles" => self.cache_mode = CacheMode::Always,
            "mfsnice" => self.nice = need()?.parse().context("mfsnice: not a number")?,
            "mfsmeta" => self.meta = true,
            "mfsflattrash" => self.flat_trash = true,
            "metrics" => self.metrics = Some(metrics_address(need()?)?),
            "ro" => self.read_only = true,
            "rw" => self.read_only = false,
            "allow_other" => self.allow_other = true,
            // Other mfsmount and FUSE options: accepted so that existing
            // fstab lines keep working, and named in a warning.
            _ => self.ignored.push(item.to_string()),
        }
        Ok(())
    }

    /// The master addresses to try, each `HOST` getting the default port.
    pub fn master_addresses(&self) -> anyhow::Result<Vec<SocketAddr>> {
        let mut out = Vec::new();
        for master in &self.masters {
            let with_port = if master.contains(':') {
                master.clone()
            } else {
                format!("{master}:{}", self.port)
            };
            let resolved = with_port
                .to_socket_addrs()
                .with_context(|| format!("cannot resolve master {with_port}"))?
                .filter(SocketAddr::is_ipv4);
            out.extend(resolved);
        }
        if out.is_empty() {
            bail!("no IPv4 address for the master");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Options {
        Options::parse(line.split_whitespace().map(String::from)).unwrap()
    }

    #[test]
    fn mfsmount_command_line_of_mooseng_cluster() {
        let o = parse("/mnt -f -H 10.233.0.2 -P 9521");
        assert_eq!(o.mountpoint, PathBuf::from("/mnt"));
        assert_eq!(
            (o.masters.clone(), o.port, o.foreground),
            (vec!["10.233.0.2".to_string()], 9521, true)
        );
        assert_eq!(
            o.master_addresses().unwrap(),
            vec!["10.233.0.2:9521".parse().unwrap()]
        );
    }

    #[test]
    fn the_cache_mode_takes_mfsmount_names_in_any_case() {
        assert_eq!(parse("/m").cache_mode, CacheMode::Auto);
        for (name, mode) in [
            ("yes", CacheMode::Always),
            ("ALWAYS", CacheMode::Always),
            ("None", CacheMode::Never),
            ("never", CacheMode::Never),
            ("DIRECT", CacheMode::Direct),
            ("auto", CacheMode::Auto),
        ] {
            let line = format!("/m -o mfscachemode={name}");
            assert_eq!(parse(&line).cache_mode, mode, "{name}");
        }
        assert_eq!(parse("/m -o mfscachefiles").cache_mode, CacheMode::Always);
        let bad = "/m -o mfscachemode=SOMETIMES"
            .split_whitespace()
            .map(String::from);
        assert!(Options::parse(bad).is_err());
    }

    #[test]
    fn a_password_may_be_given_as_its_md5() {
        let o = parse("/m -o mfsmd5pass=5EBE2294ECD0E0F08EAB7690D2A6EE69");
        let md5 = crate::master::register::password_digest("secret");
        assert_eq!(o.password_md5, Some(md5));
        for bad in [
            "5ebe22",
            "5ebe2294ecd0e0f08eab7690d2a6ee6g",
            "é5ebe2294ecd0e0f08eab7690d2a6ee",
        ] {
            let line = format!("/m -o mfsmd5pass={bad}");
            assert!(
                Options::parse(line.split_whitespace().map(String::from)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn mfs_options_keep_their_mfsmount_meaning() {
        let o = parse("-o mfsmaster=127.0.0.1,mfsport=1,mfssubfolder=sub,mfsioretries=3 /m -o ro,mfsattrcacheto=0.5,mfspassword=pw,mfsproxy=10.0.0.7");
        assert_eq!(o.masters, vec!["127.0.0.1".to_string()]);
        assert_eq!((o.port, o.io_retries, o.read_only), (1, 3, true));
        assert_eq!(o.subfolder, "/sub");
        assert_eq!(o.attr_timeout, Duration::from_millis(500));
        assert_eq!(o.password.as_deref(), Some("pw"));
        assert_eq!(o.proxy_ip, Ipv4Addr::new(10, 0, 0, 7));
        assert!(!o.foreground);
        assert_eq!((o.nice, parse("/m -o mfsnice=4").nice), (-19, 4));
    }

    #[test]
    fn unknown_mfs_options_are_kept_for_a_warning() {
        let o = parse("/m -o mfsrlimitnofile=10,nodev -S /a");
        assert_eq!(
            o.ignored,
            vec!["mfsrlimitnofile=10".to_string(), "nodev".to_string()]
        );
        assert_eq!(o.subfolder, "/a");
        assert_eq!(o.masters, vec!["mfsmaster".to_string()]);
    }

    #[test]
    fn meta_is_asked_as_mfsmount_asks_it() {
        assert!(!parse("/m").meta);
        assert!(parse("/m -o mfsmeta").meta);
        assert!(parse("/m -m").meta);
        assert!(parse("/m --meta").meta);
        let o = parse("/m -o mfsmeta,mfsflattrash");
        assert!(o.meta && o.flat_trash && o.ignored.is_empty());
    }

    #[test]
    fn metrics_address_from_flag_or_option() {
        assert_eq!(parse("/m").metrics, None);
        let addr: SocketAddr = "127.0.0.1:9427".parse().unwrap();
        assert_eq!(parse("/m --metrics 127.0.0.1:9427").metrics, Some(addr));
        assert_eq!(parse("/m -o rw,metrics=127.0.0.1:9427").metrics, Some(addr));
        let bad = |line: &str| Options::parse(line.split_whitespace().map(String::from)).is_err();
        assert!(bad("/m --metrics 9427"));
        assert!(bad("/m --metrics"));
    }

    #[test]
    fn bad_command_lines_are_refused() {
        let bad = |line: &str| Options::parse(line.split_whitespace().map(String::from)).is_err();
        assert!(bad("-f"));
        assert!(bad("/a /b"));
        assert!(bad("/a -o mfsattrcacheto=soon"));
        assert!(bad("/a -H"));
        assert!(bad("/a -x"));
        assert!(bad("/a -o mfsproxy=localhost"));
    }
}
