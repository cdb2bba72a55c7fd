//! `quorate node start --config FILE`: the node's CCF-shaped JSON configuration, parsed with
//! every default, unit string (`"10ms"`, `"1MB"`), address and enum it has. Errors are typed
//! (`ConfigError`), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quorate_node::config::NodeConfig;

fuzz_target!(
    init: quorate_fuzz::maybe_write_seeds("node_config"),
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        match NodeConfig::from_json_str(text) {
            Ok(config) => {
                // What the node reads from it at start-up, formatted as logs would.
                let _ = format!("{config:?}");
                // Parsing is deterministic.
                assert_eq!(NodeConfig::from_json_str(text).ok(), Some(config));
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
);
