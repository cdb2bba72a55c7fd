//! Size strings ("1MB", "16KB", "5MB"), as CCF's `ccf::ds::SizeString` reads them.
//!
//! CCF multiplies by powers of **1024** (its unit tests check `3KB == 3 * 1024`), so "1MB" is
//! 1 048 576 bytes here too, even though the unit names look decimal. Units are B, KB, MB, GB, TB
//! and PB, case-insensitive; a bare number is a count of bytes; one or more spaces may separate
//! number and unit. A value that overflows 64 bits is rejected rather than wrapped.

use super::unit_string::split_number_unit;

/// What the config expects where a size goes, for error messages.
pub(crate) const SIZE_SYNTAX: &str =
    "a size like \"1MB\" (a whole number with unit B, KB, MB, GB, TB or PB; 1KB = 1024 bytes)";

/// Unit names with their power of 1024, smallest first.
const UNITS: [(&str, u32); 6] = [
    ("B", 0),
    ("KB", 1),
    ("MB", 2),
    ("GB", 3),
    ("TB", 4),
    ("PB", 5),
];

/// The number of bytes a CCF size string denotes, or `None` if it is not one or overflows.
pub fn parse_size_bytes(text: &str) -> Option<u64> {
    let (number, unit) = split_number_unit(text)?;
    let power = if unit.is_empty() {
        0
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))?
            .1
    };
    number.checked_mul(1024_u64.checked_pow(power)?)
}

/// The shortest exact size string for `bytes` (the largest unit that divides it), so that
/// `parse_size_bytes(&format_size_bytes(n)) == Some(n)` for every `n`.
pub fn format_size_bytes(bytes: u64) -> String {
    for (name, power) in UNITS.iter().rev() {
        let unit_bytes = 1024_u64.pow(*power);
        if bytes != 0 && bytes.is_multiple_of(unit_bytes) {
            return format!("{}{name}", bytes / unit_bytes);
        }
    }
    format!("{bytes}B")
}
