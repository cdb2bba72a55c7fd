//! `quorate dev raft-scenario FILE...`: replays CCF raft-scenario files against our Raft
//! engine and reports the first failing line of each.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use quorate_sim::scenario;

#[derive(clap::Args)]
pub struct RaftScenarioArgs {
    /// Scenario files, in CCF's raft-scenario command language; a directory stands for every
    /// file under it (as CCF's runner walks its scenario directories).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the driver's transcript (a Mermaid sequence diagram) for every file.
    #[arg(long)]
    verbose: bool,
}

pub fn run(args: RaftScenarioArgs) -> anyhow::Result<ExitCode> {
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut files = Vec::new();
    for path in &args.files {
        collect_files(path, &mut files)?;
    }
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) => {
                failed += 1;
                println!("FAIL {}: cannot read: {err}", path.display());
                continue;
            }
        };
        let verdict = scenario::run(&text);
        if args.verbose {
            verdict
                .transcript
                .iter()
                .for_each(|line| println!("{line}"));
        }
        match verdict.failure {
            None => {
                passed += 1;
                println!("PASS {}", path.display());
            }
            Some(failure) => {
                failed += 1;
                println!(
                    "FAIL {}:{}: {}",
                    path.display(),
                    failure.line_number,
                    failure.line
                );
                println!("  reason: {}", failure.reason);
                failure
                    .node_states
                    .iter()
                    .for_each(|state| println!("  {state}"));
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `path` itself, or every regular file under it, sorted, when it is a directory.
fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries = std::fs::read_dir(path)
        .with_context(|| format!("reading directory {}", path.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading directory {}", path.display()))?;
    entries.sort();
    for entry in entries {
        collect_files(&entry, files)?;
    }
    Ok(())
}
