//! `mooseng-mount MOUNTPOINT -H MASTER ...`: mounts a MooseFS file system.
//! Called as `mount.mooseng SPEC DIR -o OPTS` (a symlink), it is mount(8)'s
//! helper for type `mooseng`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use fuser::{Config, Filesystem, MountOption, SessionACL};
use mooseng_mount::daemon;
use mooseng_mount::data::{report_open_files_forever, DataPath};
use mooseng_mount::fs::core::{Core, Timeouts};
use mooseng_mount::fs::notices;
use mooseng_mount::fs::special::MasterInfo;
use mooseng_mount::fs::xattr_cache::XattrCache;
use mooseng_mount::fs::MooseFs;
use mooseng_mount::helper::{self, Helper};
use mooseng_mount::master::{register::password_digest, Master, Notice, SessionConfig, ToolsProxy};
use mooseng_mount::meta::MetaFs;
use mooseng_mount::metrics;
use mooseng_mount::options::Options;
use mooseng_mount::syslog::Syslog;
use tokio::sync::mpsc::UnboundedReceiver;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Threads reading FUSE requests. Work leaves a thread at its first wait,
/// so a few keep the kernel's queue moving while one copies a large write
/// or read; more only add switching on small machines.
const FUSE_THREADS: usize = 4;

fn main() -> ExitCode {
    init_logging();
    let mut argv = std::env::args();
    let program = argv.next().unwrap_or_default();
    let given: Vec<String> = argv.collect();
    let args = if helper::invoked_as_helper(&program) {
        match helper::translate(&given) {
            Ok(Helper::Mount(args)) => args,
            Ok(Helper::Fake) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{}: {e}", helper::HELPER_NAME);
                return ExitCode::from(2);
            }
        }
    } else {
        given
    };
    let options = match Options::parse(args.clone()) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("mooseng-mount: {e:#}");
            return ExitCode::from(2);
        }
    };
    if !options.foreground {
        return match daemon::run_in_background(&args) {
            Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
            Err(e) => {
                eprintln!("mooseng-mount: cannot go to the background: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    daemon::detach();
    match mount(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mooseng-mount: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; the background copy logs to syslog too, since its
/// stderr becomes /dev/null once it is mounted.
fn init_logging() {
    let logger = tracing_subscriber::fmt();
    if daemon::in_background() {
        let syslog = Syslog::connect("mooseng-mount");
        logger.with_writer(std::io::stderr.and(syslog)).init();
    } else {
        logger.with_writer(std::io::stderr).init();
    }
}

/// The kernel's mount options; a meta mount is named `mfsmeta` after its
/// master, as mfsmount names it. Requests are read by several threads, each
/// on its own clone of the FUSE descriptor, as libfuse does for mfsmount.
fn session_config(options: &Options, master: &str) -> Config {
    let mut list = if options.meta {
        vec![
            MountOption::FSName(master.to_string()),
            MountOption::Subtype("mfsmeta".into()),
        ]
    } else {
        vec![
            MountOption::FSName(format!("{master}:{}", options.subfolder)),
            MountOption::Subtype("mfs".into()),
        ]
    };
    if options.read_only {
        list.push(MountOption::RO);
    }
    let mut config = Config::default();
    config.mount_options = list;
    if options.allow_other {
        config.acl = SessionACL::All;
    }
    config.n_threads = Some(FUSE_THREADS);
    config.clone_fd = true;
    config
}

fn mount(options: Options) -> anyhow::Result<()> {
    for ignored in &options.ignored {
        tracing::warn!("option {ignored} is not supported and is ignored");
    }
    let config = SessionConfig {
        masters: options.master_addresses()?,
        subfolder: options.subfolder.clone(),
        password_md5: options
            .password
            .as_deref()
            .map(password_digest)
            .or(options.password_md5),
        info: options.mountpoint.display().to_string(),
        meta: options.meta,
    };
    let first_master = config.masters[0].to_string();
    // Before the runtime starts: Linux keeps the nice level per thread,
    // and new threads inherit their creator's.
    if let Err(error) = rustix::process::setpriority_process(None, options.nice) {
        tracing::warn!(level = options.nice, %error, "cannot set the nice level");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let master = runtime.block_on(Master::connect(config, options.io_retries))?;
    if let Some(addr) = options.metrics {
        runtime
            .block_on(metrics::serve(master.clone(), addr))
            .with_context(|| format!("metrics endpoint on {addr}"))?;
    }
    let served = serve_with(master.clone(), &options, &first_master, &runtime);
    let sessionid = master.session().sessionid;
    if runtime.block_on(master.close_session()) {
        tracing::info!(sessionid, "session closed");
    } else {
        tracing::warn!(
            sessionid,
            "the master did not confirm the end of the session"
        );
    }
    served
}

/// Builds the file system the options ask for on `master` and serves it
/// until it is unmounted.
fn serve_with(
    master: Master,
    options: &Options,
    first_master: &str,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<()> {
    let proxy = runtime.block_on(ToolsProxy::start(master.clone(), options.proxy_ip))?;
    let masterinfo = MasterInfo::new(proxy, master.clone());
    let timeouts = Timeouts {
        attr: options.attr_timeout,
        entry: options.entry_timeout,
        direntry: options.direntry_timeout,
    };
    let handle = runtime.handle().clone();
    if options.meta {
        let fs = MetaFs::new(master, handle, timeouts, options.flat_trash, masterinfo);
        return serve(fs, options, first_master, runtime, None);
    }
    let notices = master.take_notices();
    let data = Arc::new(DataPath::new(master, options.io_retries));
    let core = Core {
        data: Arc::clone(&data),
        timeouts,
        locks: Default::default(),
        xattrs: XattrCache::new(options.xattr_timeout),
        cache: options.cache_mode,
    };
    let fs = MooseFs::new(core, handle, masterinfo);
    let follow = notices.map(|notices| (data, notices));
    serve(fs, options, first_master, runtime, follow)
}

/// The data path, which reports its open files, and the master's
/// notices for it to follow.
type Follow = (Arc<DataPath>, UnboundedReceiver<Notice>);

/// Mounts `fs` and serves it until it is unmounted or we are told to stop.
fn serve<FS: Filesystem>(
    fs: FS,
    options: &Options,
    first_master: &str,
    runtime: &tokio::runtime::Runtime,
    follow: Option<Follow>,
) -> anyhow::Result<()> {
    let mut session = fuser::Session::new(
        fs,
        &options.mountpoint,
        &session_config(options, first_master),
    )?;
    if let Some((data, notices)) = follow {
        runtime.spawn(report_open_files_forever(Arc::clone(&data)));
        runtime.spawn(notices::follow(data, notices, session.notifier()));
    }
    let mut unmounter = session.unmount_callable();
    runtime.spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!("cannot watch SIGTERM: {e}");
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        if let Err(e) = unmounter.unmount() {
            tracing::warn!("unmount on signal failed: {e}");
        }
    });
    daemon::notify_ready()?;
    session.run()?;
    Ok(())
}
