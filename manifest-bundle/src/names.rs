//! Kubernetes object names (RFC 1123), checked the same way by every template crate.
//!
//! Each function returns why a name is rejected, as a short phrase ("must not be empty"), for the
//! calling crate to put into its own error next to what was being named.

/// The longest DNS-1123 subdomain (most object names).
pub const MAX_SUBDOMAIN_LEN: usize = 253;
/// The longest DNS-1123 label (names that become Service, Pod or container name parts).
pub const MAX_LABEL_LEN: usize = 63;

/// Checks a DNS-1123 subdomain: at most 253 characters, dot-separated parts of lowercase letters,
/// digits and `-`, each starting and ending with a letter or digit.
///
/// ```
/// use manifest_bundle::names::dns1123_subdomain;
///
/// assert!(dns1123_subdomain("lake-kafka.cdc").is_ok());
/// assert_eq!(dns1123_subdomain("Upper"), Err("must consist of lowercase letters, digits, '-' and '.'"));
/// ```
pub fn dns1123_subdomain(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("must not be empty");
    }
    if name.len() > MAX_SUBDOMAIN_LEN {
        return Err("must be at most 253 characters");
    }
    for part in name.split('.') {
        if part.is_empty() {
            return Err("must not contain empty dot-separated parts");
        }
        if !part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("must consist of lowercase letters, digits, '-' and '.'");
        }
        if part.starts_with('-') || part.ends_with('-') {
            return Err("must start and end with a letter or digit");
        }
    }
    Ok(())
}

/// Checks a DNS-1123 label of at most `max_len` characters (and never more than
/// [`MAX_LABEL_LEN`]): a subdomain without `.`. Callers pass a smaller `max_len` when other names
/// are derived from this one by adding a suffix.
///
/// ```
/// use manifest_bundle::names::dns1123_label;
///
/// assert!(dns1123_label("orders-cdc", 40).is_ok());
/// assert!(dns1123_label("a.b", 63).is_err());
/// assert!(dns1123_label(&"a".repeat(41), 40).is_err());
/// ```
pub fn dns1123_label(name: &str, max_len: usize) -> Result<(), &'static str> {
    dns1123_subdomain(name)?;
    if name.contains('.') {
        return Err("must not contain '.'");
    }
    if name.len() > MAX_LABEL_LEN {
        return Err("must be at most 63 characters");
    }
    if name.len() > max_len {
        return Err("is too long for the names derived from it");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomain_rules() {
        assert!(dns1123_subdomain("lake-kafka.cdc").is_ok());
        assert!(dns1123_subdomain("").is_err());
        assert!(dns1123_subdomain("Upper").is_err());
        assert!(dns1123_subdomain("-lead").is_err());
        assert!(dns1123_subdomain("a..b").is_err());
        assert!(dns1123_subdomain(&"a".repeat(254)).is_err());
    }

    #[test]
    fn label_rules() {
        assert!(dns1123_label("a-b", 63).is_ok());
        assert!(dns1123_label("a.b", 63).is_err());
        assert!(dns1123_label("trailing-", 63).is_err());
        assert!(dns1123_label(&"a".repeat(64), 100).is_err());
        assert!(dns1123_label(&"a".repeat(40), 30).is_err());
    }
}
