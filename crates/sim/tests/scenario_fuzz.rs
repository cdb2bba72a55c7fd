//! Arbitrary scenario text never crashes the driver: every input ends in a verdict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use quorate_sim::scenario;

mod common;
use common::ALL_COMMANDS;

fn argument() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..4).prop_map(|n| n.to_string()),
        (0u64..6).prop_map(|n| n.to_string()),
        Just("in".to_string()),
        Just("out".to_string()),
        Just("latest".to_string()),
        Just("leadership_state".to_string()),
        Just("Leader".to_string()),
        Just("true".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-1".to_string()),
        "[a-z ]{0,6}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(ALL_COMMANDS),
        proptest::collection::vec(argument(), 0..5),
    )
        .prop_map(|(command, args)| {
            std::iter::once(command.to_string())
                .chain(args)
                .collect::<Vec<_>>()
                .join(",")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A scenario starting like CCF's, then arbitrary commands: the driver reports a
    /// verdict, and any failure names a line of the file (or the one after it).
    #[test]
    fn any_script_gets_a_verdict(lines in proptest::collection::vec(line(), 0..30)) {
        let text = format!("start_node,0\nemit_signature,2\n{}", lines.join("\n"));
        let verdict = scenario::run(&text);
        if let Some(failure) = verdict.failure {
            prop_assert!(failure.line_number >= 1 && failure.line_number <= lines.len() + 3);
        }
    }
}
