//! What the comparison systems need from Debian, installed with `apt-get` when missing (as
//! root), or named exactly so the user can install it.

use std::path::Path;
use std::process::Command;

use super::process::find_program;

/// The font the plot's labels are drawn with.
pub const FONT_FILE: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A program (or file) and the Debian package it comes from.
#[derive(Clone, Copy, Debug)]
pub struct Requirement {
    pub what: &'static str,
    pub package: &'static str,
}

pub const ETCD: Requirement = Requirement {
    what: "etcd",
    package: "etcd-server",
};
pub const REDIS: Requirement = Requirement {
    what: "redis-server",
    package: "redis-server",
};
pub const NGINX: Requirement = Requirement {
    what: "nginx",
    package: "nginx-light",
};
pub const FONT: Requirement = Requirement {
    what: FONT_FILE,
    package: "fonts-dejavu-core",
};

impl Requirement {
    pub fn present(self) -> bool {
        if self.what.starts_with('/') {
            Path::new(self.what).is_file()
        } else {
            find_program(self.what).is_some()
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(1).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// Makes sure `requirements` are there: installs the missing packages if `install` is set and
/// we are root, else prints the command. Returns the ones still missing.
pub fn ensure(requirements: &[Requirement], install: bool) -> Vec<Requirement> {
    let missing: Vec<Requirement> = requirements
        .iter()
        .copied()
        .filter(|requirement| !requirement.present())
        .collect();
    if missing.is_empty() {
        return missing;
    }
    let mut packages: Vec<&str> = missing.iter().map(|r| r.package).collect();
    packages.dedup();
    let command = format!(
        "apt-get update && apt-get install -y {}",
        packages.join(" ")
    );
    if install && is_root() && find_program("apt-get").is_some() {
        println!("Installing {} ...", packages.join(" "));
        let apt = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|status| status.success())
        };
        let mut install_args = vec!["install", "-y", "-q", "--no-install-recommends"];
        install_args.extend(&packages);
        if !apt(&install_args) {
            let _ = apt(&["update", "-q"]);
            let _ = apt(&install_args);
        }
    } else {
        println!(
            "Missing: {}. Install with:\n  {command}",
            packages.join(", ")
        );
    }
    let still: Vec<Requirement> = missing
        .into_iter()
        .filter(|requirement| !requirement.present())
        .collect();
    if !still.is_empty() {
        let names: Vec<&str> = still.iter().map(|r| r.package).collect();
        println!(
            "Still missing: {} (skipping what needs them). Install with:\n  apt-get update && \
             apt-get install -y {}",
            names.join(", "),
            names.join(" ")
        );
    }
    still
}
