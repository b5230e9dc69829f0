//! Command probes: run it with a timeout; exit 0 passes.
//!
//! The command runs with standard input closed, in its own process group, its
//! standard output and standard error joined into one pipe (so the output
//! reads as `2>&1` would show it). The last [`KEEP`] bytes are kept. When the
//! command ends, whatever it left running in its process group is killed, so
//! no stray process outlives the check; on timeout the whole group is killed.

use crate::check::Exec;
use crate::probe::Attempt;
use rustix::process::{Pid, Signal, kill_process_group};
use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How much of a command's output is kept: the last 64 KiB.
pub const KEEP: usize = 64 * 1024;

/// How long to wait for the output pipe to close, and for a killed command to
/// be reaped, before answering with what there is.
const GRACE: Duration = Duration::from_secs(2);

/// One attempt of a command check.
///
/// Exit 0 passes; another exit status fails (`exit status 3`, condition
/// `exit 0`, observed `3`); a signal fails (`killed by SIGTERM (signal 15)`).
/// A timeout is an error (`timed out after 2s`) carrying the output so far; a
/// program that cannot start is a permanent error.
pub fn probe(check: &Exec, timeout: Duration) -> Attempt {
    let Some((program, args)) = check.argv.split_first() else {
        return Attempt::error("the command is empty: give a program to run").permanent();
    };
    if let Some(dir) = &check.dir
        && !dir.is_dir()
    {
        let reason =
            format!("cannot run {program}: working directory {} is not a directory", dir.display());
        return Attempt::error(reason).permanent();
    }
    let (reader, writer) = match pipe() {
        Ok(p) => p,
        Err(e) => return Attempt::error(format!("cannot run {program}: {e}")),
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(check.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .process_group(0);
    cmd.stdout(writer.0).stderr(writer.1);
    if let Some(dir) = &check.dir {
        cmd.current_dir(dir);
    }
    let started = Instant::now();
    let spawned = cmd.spawn();
    // The command holds our copies of the pipe's write end: drop them, or the
    // reader never sees the end of the output.
    drop(cmd);
    let child = match spawned {
        Ok(c) => c,
        Err(e) => return Attempt::error(format!("cannot run {program}: {e}")).permanent(),
    };
    let group = Pid::from_child(&child);
    let output = Arc::new(Mutex::new(Tail::default()));
    let read_done = match read_into(reader, Arc::clone(&output)) {
        Ok(rx) => rx,
        Err(e) => {
            kill_group(group);
            return Attempt::error(format!("cannot read the output of {program}: {e}"));
        }
    };
    let exited = match wait_for(child) {
        Ok(rx) => rx,
        Err(e) => {
            kill_group(group);
            return Attempt::error(format!("cannot wait for {program}: {e}"));
        }
    };
    let outcome = exited.recv_timeout(timeout);
    let latency = started.elapsed();
    kill_group(group);
    let attempt = match outcome {
        Ok(Ok(status)) => verdict(status).with_latency(latency),
        Ok(Err(e)) => Attempt::error(format!("cannot wait for {program}: {e}")),
        Err(_) => {
            let _ = exited.recv_timeout(GRACE);
            Attempt::error(format!("timed out after {}", vz::duration::format(timeout)))
        }
    };
    let _ = read_done.recv_timeout(GRACE);
    let text = output.lock().unwrap_or_else(PoisonError::into_inner).text();
    Attempt { output: (!text.is_empty()).then_some(text), ..attempt }
}

/// A pipe whose write end is cloned for standard output and standard error.
fn pipe() -> std::io::Result<(std::io::PipeReader, (std::io::PipeWriter, std::io::PipeWriter))> {
    let (reader, writer) = std::io::pipe()?;
    let other = writer.try_clone()?;
    Ok((reader, (other, writer)))
}

/// Reads `reader` to its end into `tail` on a thread; the receiver hears when
/// it is done.
fn read_into(
    mut reader: std::io::PipeReader,
    tail: Arc<Mutex<Tail>>,
) -> std::io::Result<Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new().name("vz-health-exec-output".into()).spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => tail.lock().unwrap_or_else(PoisonError::into_inner).push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    })?;
    Ok(rx)
}

/// Waits for `child` on a thread; the receiver hears its exit status.
fn wait_for(
    mut child: std::process::Child,
) -> std::io::Result<Receiver<std::io::Result<ExitStatus>>> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new().name("vz-health-exec-wait".into()).spawn(move || {
        let _ = tx.send(child.wait());
    })?;
    Ok(rx)
}

/// Kills every process left in the group; a group already gone is fine.
fn kill_group(group: Pid) {
    let _ = kill_process_group(group, Signal::KILL);
}

/// Pass, or why not, from an exit status.
fn verdict(status: ExitStatus) -> Attempt {
    if status.success() {
        return Attempt::pass(None);
    }
    if let Some(code) = status.code() {
        // The shell's "not executable" and "not found": retrying will not help.
        let why = match code {
            126 => " (the shell could not execute the command)",
            127 => " (the shell could not find the command)",
            _ => "",
        };
        let a = Attempt::fail(
            format!("exit status {code}{why}"),
            Some("exit 0".into()),
            Some(code.into()),
        );
        return if why.is_empty() { a } else { a.permanent() };
    }
    match status.signal() {
        Some(n) => {
            let name = signal_name(n);
            let observed = name.map_or_else(|| n.into(), Into::into);
            let reason = match name {
                Some(name) => format!("killed by {name} (signal {n})"),
                None => format!("killed by signal {n}"),
            };
            Attempt::fail(reason, Some("exit 0".into()), Some(observed))
        }
        None => Attempt::fail(format!("ended with {status}"), Some("exit 0".into()), None),
    }
}

/// The conventional name of signal `n` (`SIGTERM`), when it has one.
fn signal_name(n: i32) -> Option<&'static str> {
    let sig = Signal::from_named_raw(n)?;
    let names = [
        (Signal::HUP, "SIGHUP"),
        (Signal::INT, "SIGINT"),
        (Signal::QUIT, "SIGQUIT"),
        (Signal::ILL, "SIGILL"),
        (Signal::TRAP, "SIGTRAP"),
        (Signal::ABORT, "SIGABRT"),
        (Signal::BUS, "SIGBUS"),
        (Signal::FPE, "SIGFPE"),
        (Signal::KILL, "SIGKILL"),
        (Signal::USR1, "SIGUSR1"),
        (Signal::SEGV, "SIGSEGV"),
        (Signal::USR2, "SIGUSR2"),
        (Signal::PIPE, "SIGPIPE"),
        (Signal::ALARM, "SIGALRM"),
        (Signal::TERM, "SIGTERM"),
        (Signal::XCPU, "SIGXCPU"),
        (Signal::XFSZ, "SIGXFSZ"),
        (Signal::SYS, "SIGSYS"),
    ];
    names.iter().find(|(s, _)| *s == sig).map(|(_, name)| *name)
}

/// The last [`KEEP`] bytes of a stream and how many came before them.
#[derive(Default)]
struct Tail {
    kept: VecDeque<u8>,
    cut: usize,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.kept.extend(bytes);
        let excess = self.kept.len().saturating_sub(KEEP);
        if excess > 0 {
            self.kept.drain(..excess);
            self.cut += excess;
        }
    }

    /// The kept bytes as text, prefixed by `… (N bytes cut)` when the start
    /// was dropped (never starting in the middle of a character).
    fn text(&self) -> String {
        let mut bytes: Vec<u8> = self.kept.iter().copied().collect();
        let mut cut = self.cut;
        if cut > 0 {
            let partial =
                bytes.iter().take(3).take_while(|b| (**b & 0b1100_0000) == 0b1000_0000).count();
            bytes.drain(..partial);
            cut += partial;
        }
        let text = String::from_utf8_lossy(&bytes);
        if cut > 0 { format!("… ({cut} bytes cut)\n{text}") } else { text.into_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Retry, Status};
    use serde_json::json;

    fn sh(script: &str) -> Exec {
        Exec { argv: vec!["sh".into(), "-c".into(), script.into()], dir: None, env: vec![] }
    }

    fn argv(args: &[&str]) -> Exec {
        Exec { argv: args.iter().map(|a| a.to_string()).collect(), dir: None, env: vec![] }
    }

    const LONG: Duration = Duration::from_secs(30);

    /// Whether process `pid` is gone (or a zombie nobody has reaped yet: dead
    /// all the same).
    /// Whether `pid` is gone (or a zombie). SIGKILL is delivered
    /// asynchronously, so this waits up to a safety net of 10 s.
    fn is_dead(pid: &str) -> bool {
        let gone = || match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => {
                stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            }
        };
        let safety_net = std::time::Instant::now() + Duration::from_secs(10);
        while !gone() {
            if std::time::Instant::now() > safety_net {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn true_passes_with_no_output() {
        let a = probe(&argv(&["true"]), LONG);
        assert_eq!(a.status, Status::Pass);
        assert_eq!((a.reason, a.output), (None, None));
        assert!(a.latency.is_some());
    }

    #[test]
    fn false_fails_with_its_exit_status() {
        let a = probe(&argv(&["false"]), LONG);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.reason.as_deref(), Some("exit status 1"));
        assert_eq!(a.condition.as_deref(), Some("exit 0"));
        assert_eq!(a.observed, Some(json!(1)));
        assert_eq!(a.retry, Retry::Transient { after: None });
    }

    #[test]
    fn stdout_and_stderr_are_kept_in_the_order_written() {
        let a = probe(&sh("echo out; echo err >&2; echo out2; exit 3"), LONG);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.reason.as_deref(), Some("exit status 3"));
        assert_eq!(a.observed, Some(json!(3)));
        assert_eq!(a.output.as_deref(), Some("out\nerr\nout2\n"));
    }

    #[test]
    fn a_signal_is_named() {
        let a = probe(&sh("echo bye; kill -TERM $$"), LONG);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.reason.as_deref(), Some("killed by SIGTERM (signal 15)"));
        assert_eq!(a.observed, Some(json!("SIGTERM")));
        assert_eq!(a.output.as_deref(), Some("bye\n"));
    }

    #[test]
    fn runs_in_its_directory_with_its_environment_and_no_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let dir_path = dir.path().canonicalize().unwrap();
        let mut e = sh("echo \"$VZ_TEST_GREETING\"; pwd; cat; echo end");
        e.dir = Some(dir_path.clone());
        e.env = vec![("VZ_TEST_GREETING".into(), "hello there".into())];
        let a = probe(&e, LONG);
        assert_eq!(a.status, Status::Pass);
        assert_eq!(a.output, Some(format!("hello there\n{}\nend\n", dir_path.display())));
    }

    #[test]
    fn a_timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo started; sleep 100 & echo $! > '{}'; wait", pid_file.display());
        let a = probe(&sh(&script), Duration::from_millis(500));
        assert_eq!(a.status, Status::Error);
        assert_eq!(a.reason.as_deref(), Some("timed out after 500ms"));
        assert_eq!(a.output.as_deref(), Some("started\n"));
        assert_eq!(a.retry, Retry::Transient { after: None });
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        assert!(is_dead(pid.trim()), "the grandchild {} outlived the timeout", pid.trim());
    }

    #[test]
    fn what_a_passing_command_leaves_running_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 100 & echo $! > '{}'; echo done", pid_file.display());
        let a = probe(&sh(&script), LONG);
        assert_eq!(a.status, Status::Pass);
        assert_eq!(a.output.as_deref(), Some("done\n"));
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        assert!(is_dead(pid.trim()), "the background child {} outlived the check", pid.trim());
    }

    #[test]
    fn long_output_keeps_its_tail() {
        let a = probe(&sh("head -c 100000 /dev/zero | tr '\\0' a; printf 'END'"), LONG);
        assert_eq!(a.status, Status::Pass);
        let expected = format!("… ({} bytes cut)\n{}END", 100_003 - KEEP, "a".repeat(KEEP - 3));
        assert_eq!(a.output, Some(expected));
    }

    #[test]
    fn a_cut_never_starts_inside_a_character() {
        let mut t = Tail::default();
        t.push("é".repeat(KEEP).as_bytes()); // 2 bytes each: half is cut
        t.push(b"x"); // shifts the cut by one byte, into the middle of an `é`
        let text = t.text();
        assert_eq!(text, format!("… ({} bytes cut)\n{}x", KEEP + 2, "é".repeat(KEEP / 2 - 1)));
    }

    #[test]
    fn a_missing_program_is_a_permanent_error() {
        let a = probe(&argv(&["./no-such-smoke.sh"]), LONG);
        assert_eq!(a.status, Status::Error);
        assert_eq!(
            a.reason.as_deref(),
            Some("cannot run ./no-such-smoke.sh: No such file or directory (os error 2)")
        );
        assert_eq!(a.retry, Retry::Permanent);
    }

    #[test]
    fn a_command_the_shell_cannot_find_fails_for_good() {
        let a = probe(&argv(&["sh", "-c", "./no-such-smoke.sh"]), LONG);
        assert_eq!(a.status, Status::Fail);
        assert_eq!(
            a.reason.as_deref(),
            Some("exit status 127 (the shell could not find the command)")
        );
        assert_eq!(a.retry, Retry::Permanent);
    }

    #[test]
    fn a_file_that_is_not_executable_is_a_permanent_error() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("smoke.sh");
        std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
        let a = probe(&argv(&[script.to_str().unwrap()]), LONG);
        assert_eq!(a.status, Status::Error);
        let expected = format!("cannot run {}: Permission denied (os error 13)", script.display());
        assert_eq!(a.reason, Some(expected));
        assert_eq!(a.retry, Retry::Permanent);
    }

    #[test]
    fn a_missing_directory_and_an_empty_command_are_permanent_errors() {
        let mut e = argv(&["true"]);
        e.dir = Some("/no/such/dir".into());
        let a = probe(&e, LONG);
        assert_eq!(
            a.reason.as_deref(),
            Some("cannot run true: working directory /no/such/dir is not a directory")
        );
        assert_eq!(a.retry, Retry::Permanent);
        let a = probe(&argv(&[]), LONG);
        assert_eq!(a.reason.as_deref(), Some("the command is empty: give a program to run"));
        assert_eq!(a.retry, Retry::Permanent);
    }
}
