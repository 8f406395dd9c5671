//! Running external programs (`ip`, `umount`, `mfscli`) so that a failure
//! says which command failed and what it printed on stderr: most of what can
//! go wrong while building a cluster shows up there first.

use std::fmt;
use std::process::{Command, Output};

/// A command that could not be started or exited with a failure.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
}

/// Shows a command the way one would type it in a shell.
struct Shown<'a>(&'a Command);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.get_program().to_string_lossy())?;
        for arg in self.0.get_args() {
            write!(f, " {}", arg.to_string_lossy())?;
        }
        Ok(())
    }
}

/// Renders `command` as a shell-like line for messages.
pub fn describe(command: &Command) -> String {
    Shown(command).to_string()
}

/// Runs `command` to completion and returns its stdout; a non-zero exit is an
/// error carrying the command line and its trimmed stderr.
pub fn run(command: &mut Command) -> Result<String, CommandError> {
    let output = output(command)?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(CommandError::Failed {
        command: describe(command),
        status: output.status.to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    })
}

/// Runs `command` to completion and returns whatever it produced, failed or
/// not; only a failure to start it is an error.
pub fn output(command: &mut Command) -> Result<Output, CommandError> {
    command.output().map_err(|source| CommandError::Spawn {
        command: describe(command),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_names_the_command_and_its_stderr() {
        let err = run(Command::new("sh").args(["-c", "echo oops >&2; exit 3"])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`sh -c echo oops >&2; exit 3`"), "{text}");
        assert!(text.contains("oops"), "{text}");
        assert!(text.contains('3'), "{text}");
    }

    #[test]
    fn success_returns_stdout() {
        assert_eq!(run(Command::new("echo").arg("hi")).unwrap(), "hi\n");
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let err = run(&mut Command::new("/nonexistent/program")).unwrap_err();
        assert!(matches!(err, CommandError::Spawn { .. }), "{err}");
    }
}
