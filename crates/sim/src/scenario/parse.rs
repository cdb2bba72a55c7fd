//! Splitting a scenario line into fields exactly as CCF's driver does.

/// The fields of one line: cut at the first `#`, strip trailing whitespace, split on every
/// `,` without trimming; a single trailing comma adds no field. Empty for blank lines.
pub fn fields(line: &str) -> Vec<&str> {
    let line = line.split('#').next().unwrap_or_default();
    let line = line.trim_end_matches([' ', '\t', '\n', '\r', '\x0c', '\x0b']);
    if line.is_empty() {
        return Vec::new();
    }
    let mut fields: Vec<&str> = line.split(',').collect();
    if fields.len() > 1 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// A leading decimal integer, as C's `stol` reads it: leading whitespace, an optional sign,
/// then digits; anything after the digits is ignored (`10ms` is 10).
pub fn leading_integer(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let value: i64 = digits.get(..end)?.parse().ok()?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_whitespace_and_commas_follow_ccf() {
        assert_eq!(
            fields("replicate,2,hello world  # note"),
            ["replicate", "2", "hello world"]
        );
        assert_eq!(fields("a,,b"), ["a", "", "b"]);
        assert_eq!(fields("a,b,"), ["a", "b"]);
        assert_eq!(
            fields("assert_commit_idx, 0,2"),
            ["assert_commit_idx", " 0", "2"]
        );
        assert_eq!(fields(" start_node,0\r"), [" start_node", "0"]);
        assert!(fields("   # only a comment").is_empty());
        assert!(fields("").is_empty());
    }

    #[test]
    fn integers_are_read_like_stol() {
        assert_eq!(leading_integer("10ms"), Some(10));
        assert_eq!(leading_integer(" 7"), Some(7));
        assert_eq!(leading_integer("-3"), Some(-3));
        assert_eq!(leading_integer("ms"), None);
    }
}
