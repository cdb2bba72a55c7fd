//! Property tests: CCF's size and time strings round-trip and agree with their definition, the
//! parsers never panic on arbitrary text, and the loader never panics on arbitrary JSON or on a
//! valid config with any field replaced by an arbitrary value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use proptest::prelude::*;
use quorate_node::config::{
    HostPort, NodeConfig, format_duration, format_size_bytes, parse_duration, parse_size_bytes,
};
use serde_json::{Value, json};

/// Size units with their multiplier in bytes (powers of 1024, as in CCF).
const SIZE_UNITS: [(&str, u64); 7] = [
    ("", 1),
    ("B", 1),
    ("KB", 1 << 10),
    ("MB", 1 << 20),
    ("GB", 1 << 30),
    ("TB", 1 << 40),
    ("PB", 1 << 50),
];

/// Time units with their length in microseconds (a bare number is microseconds, as in CCF).
const TIME_UNITS: [(&str, u64); 6] = [
    ("", 1),
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("min", 60_000_000),
    ("h", 3_600_000_000),
];

/// Numbers biased toward the edges where overflow starts.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..10_000_u64,
        any::<u64>(),
        (0..64_u32).prop_map(|shift| 1_u64 << shift)
    ]
}

/// Mixed-case spelling of `unit`, chosen by the bits of `mask`.
fn with_case(unit: &str, mask: u8) -> String {
    unit.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask & (1 << (i % 8)) != 0 {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("1MB"),
            Just("100ms"),
            Just("127.0.0.1:0"),
            Just("Start"),
            Just("Join"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    ".{0,8}",
                    Just("network".to_owned()),
                    Just("command".to_owned()),
                    Just("type".to_owned()),
                    Just("bind_address".to_owned()),
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A valid config exercising most sections, for mutation.
fn valid_config() -> Value {
    json!({
        "network": {
            "node_to_node_interface": { "bind_address": "127.0.0.1:8001" },
            "rpc_interfaces": { "primary": {
                "bind_address": "127.0.0.1:8000",
                "max_open_sessions_soft": 10,
                "http_configuration": { "max_body_size": "1MB", "max_frame_size": "16KB" },
                "redirections": { "to_primary": { "kind": "NodeByRole", "target": { "role": "primary" } } }
            } }
        },
        "command": {
            "type": "Start",
            "start": {
                "members": [{ "certificate_file": "m.pem", "encryption_public_key_file": "e.pem", "recovery_role": "Owner" }],
                "constitution_files": ["c.js"],
                "service_configuration": { "recovery_threshold": 1 },
                "cose_signatures": { "issuer": "i" }
            }
        },
        "node_certificate": { "subject_alt_names": ["iPAddress:127.0.0.1"] },
        "ledger": { "directory": "l", "read_only_directories": ["r"], "chunk_size": "5MB" },
        "snapshots": { "tx_count": 10 },
        "ledger_signatures": { "tx_count": 10, "delay": "10ms" },
        "consensus": { "message_timeout": "10ms", "election_timeout": "1s" },
        "output_files": { "rpc_addresses_file": "a.json" },
        "logging": { "level": "Info" },
        "worker_threads": 0
    })
}

/// Every JSON pointer inside `value` (the root excluded).
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        _ => {}
    }
}

/// The loader's contract on any input: no panic, and a field error's message starts with its path.
fn check_loader(text: &str) {
    if let Err(error) = NodeConfig::from_json_str(text)
        && let Some(path) = error.path()
    {
        assert!(!path.is_empty());
        assert!(
            error.to_string().starts_with(&format!("{path}: ")),
            "{error}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn size_strings_round_trip(bytes in number()) {
        prop_assert_eq!(parse_size_bytes(&format_size_bytes(bytes)), Some(bytes));
    }

    #[test]
    fn size_strings_mean_number_times_a_power_of_1024(
        n in number(), unit in 0..SIZE_UNITS.len(), spaces in 0..3_usize, case in any::<u8>()
    ) {
        let (name, multiplier) = SIZE_UNITS[unit];
        let text = format!("{n}{}{}", " ".repeat(spaces), with_case(name, case));
        prop_assert_eq!(parse_size_bytes(&text), n.checked_mul(multiplier));
    }

    #[test]
    fn time_strings_round_trip(micros in number()) {
        let duration = Duration::from_micros(micros);
        prop_assert_eq!(parse_duration(&format_duration(duration)), Some(duration));
    }

    #[test]
    fn time_strings_mean_number_times_the_unit(
        n in number(), unit in 0..TIME_UNITS.len(), spaces in 0..3_usize, case in any::<u8>()
    ) {
        let (name, micros) = TIME_UNITS[unit];
        let text = format!("{n}{}{}", " ".repeat(spaces), with_case(name, case));
        prop_assert_eq!(parse_duration(&text), n.checked_mul(micros).map(Duration::from_micros));
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in ".{0,40}") {
        // A negative or fractional number is never a size or a duration.
        let size = parse_size_bytes(&text);
        let duration = parse_duration(&text);
        if text.starts_with(['-', '+', '.', ' ']) {
            prop_assert_eq!(size, None);
            prop_assert_eq!(duration, None);
        }
        // Whatever parses as an address prints back to the same address.
        if let Some(address) = HostPort::parse(&text) {
            prop_assert_eq!(HostPort::parse(&address.to_string()), Some(address));
        }
    }

    #[test]
    fn addresses_round_trip(host in "[a-z0-9.-]{1,20}|[0-9a-f:]{2,20}", port in any::<u16>()) {
        let address = HostPort { host, port };
        prop_assert_eq!(HostPort::parse(&address.to_string()), Some(address));
    }

    #[test]
    fn loader_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        check_loader(&value.to_string());
    }

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in ".{0,60}") {
        check_loader(&text);
    }

    #[test]
    fn loader_never_panics_on_a_valid_config_with_one_field_replaced(
        pick in any::<prop::sample::Index>(), replacement in arbitrary_json()
    ) {
        let mut config = valid_config();
        let mut all = Vec::new();
        pointers(&config, "", &mut all);
        let pointer = pick.get(&all).clone();
        if let Some(slot) = config.pointer_mut(&pointer) {
            *slot = replacement;
        }
        check_loader(&config.to_string());
    }
}

#[test]
fn the_mutation_base_is_valid() {
    assert!(NodeConfig::from_json_str(&valid_config().to_string()).is_ok());
}

#[test]
fn ccf_size_and_time_examples() {
    assert_eq!(parse_size_bytes("3KB"), Some(3 * 1024));
    assert_eq!(parse_size_bytes("3 kb"), Some(3 * 1024));
    assert_eq!(parse_size_bytes("12"), Some(12));
    assert_eq!(parse_size_bytes("KB"), None);
    assert_eq!(parse_size_bytes(""), None);
    assert_eq!(parse_size_bytes("12345ms"), None);
    assert_eq!(parse_size_bytes(&format!("{}B", u64::MAX)), Some(u64::MAX));
    assert_eq!(
        parse_size_bytes(&format!("{}KB", u64::MAX / 1024 + 1)),
        None
    );
    assert_eq!(format_size_bytes(5 * 1024 * 1024), "5MB");
    assert_eq!(format_size_bytes(1000), "1000B");
    assert_eq!(format_size_bytes(0), "0B");

    assert_eq!(parse_duration("10ms"), Some(Duration::from_millis(10)));
    assert_eq!(parse_duration("5000ms"), Some(Duration::from_secs(5)));
    assert_eq!(parse_duration("30min"), Some(Duration::from_secs(1800)));
    assert_eq!(parse_duration("3h"), Some(Duration::from_secs(3 * 3600)));
    assert_eq!(parse_duration("1001"), Some(Duration::from_micros(1001)));
    assert_eq!(parse_duration("ms"), None);
    assert_eq!(parse_duration("12345KB"), None);
    assert_eq!(parse_duration("1.5s"), None);
    assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    assert_eq!(format_duration(Duration::from_secs(120)), "2min");
}
