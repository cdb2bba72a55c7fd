//! Time strings ("10ms", "1s", "5000ms", "30min"), as CCF's `ccf::ds::TimeString` reads them.
//!
//! Units are `us`, `ms`, `s`, `min` and `h`, case-insensitive, optionally after spaces. A bare
//! number is a count of **microseconds**, because that is what CCF does ("1000" is 1 ms, not 1 s);
//! write the unit to be unambiguous. These are the forms CCF's schema allows
//! (`^[0-9]+(us|ms|s|min|h)?$`), all of which humantime also reads the same way except the bare
//! number. A value that overflows 64-bit microseconds is rejected rather than wrapped.

use std::time::Duration;

use super::unit_string::split_number_unit;

/// What the config expects where a duration goes, for error messages.
pub(crate) const DURATION_SYNTAX: &str =
    "a duration like \"100ms\" (a whole number with unit us, ms, s, min or h)";

/// Unit names with their length in microseconds, largest first.
const UNITS: [(&str, u64); 5] = [
    ("h", 3_600_000_000),
    ("min", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

/// The duration a CCF time string denotes, or `None` if it is not one or overflows.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = split_number_unit(text)?;
    let unit_micros = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))?
            .1
    };
    number.checked_mul(unit_micros).map(Duration::from_micros)
}

/// The shortest exact time string for `duration` at microsecond precision (the largest unit
/// that divides it), so that parsing it back gives the same whole microseconds.
pub fn format_duration(duration: Duration) -> String {
    let micros = duration.as_micros();
    for (name, unit_micros) in UNITS {
        let unit_micros = u128::from(unit_micros);
        if micros != 0 && micros.is_multiple_of(unit_micros) {
            return format!("{}{name}", micros / unit_micros);
        }
    }
    format!("{micros}us")
}
