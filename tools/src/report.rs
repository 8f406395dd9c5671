//! The table `up` and `status` print: what runs where, and whether it is
//! still alive.

use std::fmt::Write;

use crate::mounts;
use crate::state::{Member, State};

/// Whether a member works: its process runs and, for a mount, the mount is
/// still there.
pub fn is_alive(member: &Member) -> bool {
    member.process.is_alive()
        && member
            .mountpoint
            .as_deref()
            .is_none_or(mounts::is_fuse_mounted)
}

/// One line per member, under a header naming the subnet and bridge.
pub fn table(state: &State) -> String {
    let mut rows = vec![[
        "ROLE".to_owned(),
        "FLAVOR".to_owned(),
        "STATE".to_owned(),
        "PID".to_owned(),
        "ADDRESS".to_owned(),
        "WHERE".to_owned(),
        "LOG".to_owned(),
    ]];
    for m in &state.processes {
        let place = match (&m.netns, &m.mountpoint) {
            (_, Some(path)) => format!("host, mounted at {}", path.display()),
            (Some(netns), None) => format!("netns {netns}"),
            (None, None) => "host".to_owned(),
        };
        rows.push([
            m.role.name(),
            m.flavor.to_string(),
            if is_alive(m) { "alive" } else { "dead" }.to_owned(),
            m.process.pid.to_string(),
            m.address.to_string(),
            place,
            m.log.display().to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut text = format!(
        "cluster {} on subnet {} (bridge {} in netns {}; host link {})\n",
        state.prefix,
        state.subnet,
        state.bridge.as_deref().unwrap_or("none"),
        state.namespaces.first().map_or("none", String::as_str),
        state.host_links.join(", ")
    );
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(text, "{}", line.join("  ").trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ProcessId;
    use crate::role::{Flavor, Role};
    use std::net::Ipv4Addr;

    #[test]
    fn dead_member_shows_as_dead() {
        let mut state = State::new("t", "10.1.0.0/24".parse().unwrap());
        state.processes.push(Member {
            role: Role::Master,
            flavor: Flavor::Mfs,
            program: "/usr/sbin/mfsmaster".into(),
            args: Vec::new(),
            process: ProcessId {
                pid: u32::MAX,
                start_time: 1,
            },
            netns: Some("t-master".into()),
            address: Ipv4Addr::new(10, 1, 0, 2),
            log: "/l/master.log".into(),
            mountpoint: None,
        });
        let text = table(&state);
        let line = text.lines().find(|l| l.starts_with("master")).unwrap();
        assert!(line.contains(" dead "), "{text}");
        assert!(
            line.contains("10.1.0.2") && line.contains("netns t-master"),
            "{text}"
        );
    }
}
