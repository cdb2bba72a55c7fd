//! CCF's "unit strings" (`ccf::ds::UnitString`): an unsigned decimal number followed, optionally
//! after spaces, by a unit made of letters ("5MB", "100ms", "3 KB"). Sizes and durations share
//! this grammar and differ only in their unit tables.

/// Splits `text` into its number and its (possibly empty) unit, or `None` when the text is not a
/// unit string or the number does not fit in 64 bits.
pub(crate) fn split_number_unit(text: &str) -> Option<(u64, &str)> {
    let digits_len = text.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, rest) = text.split_at_checked(digits_len)?;
    if digits.is_empty() {
        return None;
    }
    let number = digits.parse::<u64>().ok()?;
    let unit = rest.trim_start_matches(' ');
    if unit.bytes().all(|b| b.is_ascii_alphabetic()) {
        Some((number, unit))
    } else {
        None
    }
}
