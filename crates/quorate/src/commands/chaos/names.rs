//! Names of everything a run creates outside its workspace (network namespaces, the bridge,
//! veth pairs, the tmpfs): a fixed prefix, the run's process id, a letter saying what it is.
//! Two runs never collide, and a crashed run's leftovers are recognisable by the prefix and a
//! process id that is no longer a `quorate`.

use std::net::Ipv4Addr;

/// Every name starts with this.
pub const PREFIX: &str = "qch";

/// The names of one run.
#[derive(Clone, Debug)]
pub struct RunNames {
    pid: u32,
}

impl RunNames {
    pub fn new(pid: u32) -> RunNames {
        RunNames { pid }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `qch<pid>`: what every name of this run starts with. Interface names must fit in 15
    /// bytes; the longest is `qch<7 digits>h<digit>`.
    pub fn tag(&self) -> String {
        format!("{PREFIX}{}", self.pid)
    }

    pub fn bridge(&self) -> String {
        format!("{}b", self.tag())
    }

    pub fn namespace(&self, node: usize) -> String {
        format!("{}n{node}", self.tag())
    }

    /// The bridge's end of node `node`'s veth pair.
    pub fn host_veth(&self, node: usize) -> String {
        format!("{}h{node}", self.tag())
    }

    /// The namespace's end, before it is renamed `eth0` inside the namespace.
    pub fn node_veth(&self, node: usize) -> String {
        format!("{}c{node}", self.tag())
    }

    /// The tmpfs's source name, as `/proc/mounts` shows it.
    pub fn disk_source(&self) -> String {
        format!("{}d", self.tag())
    }

    /// A /24 of 10.0.0.0/8 derived from the pid, so concurrent runs use different subnets.
    pub fn subnet(&self) -> [u8; 3] {
        let high = 64 + ((self.pid >> 8) % 128);
        [
            10,
            u8::try_from(high).unwrap_or(64),
            u8::try_from(self.pid & 0xff).unwrap_or(0),
        ]
    }

    /// The bridge's address: where the harness's clients come from.
    pub fn bridge_ip(&self) -> Ipv4Addr {
        let [a, b, c] = self.subnet();
        Ipv4Addr::new(a, b, c, 1)
    }

    pub fn node_ip(&self, node: usize) -> Ipv4Addr {
        let [a, b, c] = self.subnet();
        Ipv4Addr::new(a, b, c, 10 + u8::try_from(node).unwrap_or(0))
    }
}

/// The run that created `name`, if it is one of ours: the prefix, digits, then a letter.
pub fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].chars().next()?;
    if digits.is_empty() || !after.is_ascii_lowercase() {
        return None;
    }
    digits.parse().ok()
}

/// Whether the run with this pid is still going: a live process with that pid runs `… dev
/// chaos …`. (Its arguments, not its name: the binary may have been copied under another name,
/// and a pid reused by another program means the run is gone.)
pub fn run_is_alive(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| is_chaos_command(&cmdline))
}

/// Whether a NUL-separated command line has `dev chaos` among its arguments.
fn is_chaos_command(cmdline: &[u8]) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|byte| *byte == 0).collect();
    args.windows(2)
        .any(|pair| pair[0] == b"dev" && pair[1] == b"chaos")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_interfaces_and_parse_back() {
        let names = RunNames::new(4_194_303);
        for name in [names.bridge(), names.host_veth(9), names.node_veth(9)] {
            assert!(name.len() <= 15, "{name}");
            assert_eq!(owner_pid(&name), Some(4_194_303));
        }
        assert_eq!(owner_pid(&names.namespace(3)), Some(4_194_303));
        assert_eq!(owner_pid("qch"), None);
        assert_eq!(owner_pid("qchb"), None);
        assert_eq!(owner_pid("eth0"), None);
        assert_eq!(owner_pid("qch12"), None);
    }

    #[test]
    fn a_run_is_recognised_by_its_arguments_whatever_the_binary_is_called() {
        assert!(is_chaos_command(
            b"/tmp/x/quorate2\0dev\0chaos\0--seconds\x0010\0"
        ));
        assert!(!is_chaos_command(
            b"quorate\0node\0start\0--config\0c.json\0"
        ));
        assert!(!is_chaos_command(b""));
        assert!(
            run_is_alive(std::process::id())
                == is_chaos_command(&std::fs::read("/proc/self/cmdline").unwrap_or_default())
        );
    }

    #[test]
    fn subnets_differ_between_neighbouring_pids() {
        assert_ne!(RunNames::new(1000).subnet(), RunNames::new(1001).subnet());
        assert_eq!(RunNames::new(1000).node_ip(2).octets()[3], 12);
    }
}
